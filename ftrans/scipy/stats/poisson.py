"""The Poisson distribution with mean ``mu`` (as ``jax.scipy.stats.poisson``)."""

from __future__ import annotations

import numpy as np

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, special
from ftrans.typing import Array, ArrayLike

__all__ = ["logpmf", "pmf", "cdf", "entropy"]


def logpmf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0) -> Array:
    """Log of the Poisson probability of ``k``, ``xlogy(k, mu) - mu - gammaln(k + 1)``
    (``-inf`` for a negative or non-integer ``k - loc``).

    >>> from ftrans.scipy.stats import poisson
    >>> round(float(poisson.logpmf(2, 3.0)), 6)
    -1.495923
    """
    k, mu, loc = promote_args("poisson.logpmf", k, mu, loc)
    sp = special()
    x = k - loc
    support = (x >= 0) & (jnp.floor(x) == x)
    x_in = jnp.where(support, x, 0.0)
    out = sp.xlogy(x_in, mu) - mu - sp.gammaln(x_in + 1.0)
    return nan_unless(mu >= 0, jnp.where(support, out, -jnp.inf))


def pmf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0) -> Array:
    """The Poisson probability mass function.

    >>> from ftrans.scipy.stats import poisson
    >>> round(float(poisson.pmf(0, 2.0)), 6)
    0.135335
    """
    return jnp.exp(logpmf(k, mu, loc))


def cdf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0) -> Array:
    """The Poisson CDF, ``gammaincc(floor(k - loc) + 1, mu)`` (0 below ``loc``).

    >>> from ftrans.scipy.stats import poisson
    >>> round(float(poisson.cdf(2, 3.0)), 6)
    0.42319
    """
    k, mu, loc = promote_args("poisson.cdf", k, mu, loc)
    x = jnp.floor(k - loc)
    inside = x >= 0
    out = special().gammaincc(jnp.where(inside, x, 0.0) + 1.0, mu)
    return nan_unless(mu >= 0, jnp.where(inside, out, 0.0))


_TERMS = 220  # covers k <= mu + 10 sqrt(mu) + 20 for every mu below _ASYMPTOTIC
_ASYMPTOTIC = 100.0


def entropy(mu: ArrayLike, loc: ArrayLike = 0) -> Array:
    """The Shannon entropy ``-Σ p(k) log p(k)`` of the Poisson distribution:
    a direct sum of 220 terms for ``mu < 100``, the asymptotic series
    ``log(2πeμ)/2 - 1/(12μ) - 1/(24μ²) - 19/(360μ³)`` above; ``nan`` for
    ``mu <= 0``. ``loc`` does not change it.

    >>> from ftrans.scipy.stats import poisson
    >>> round(float(poisson.entropy(5.0)), 6)
    2.204395
    """
    mu, loc = promote_args("poisson.entropy", mu, loc)
    mu = mu + 0.0 * loc  # the broadcast shape of both
    sp = special()
    small = mu < _ASYMPTOTIC
    mu_s = jnp.where(small, mu, 1.0)[..., None]
    ks = np.arange(_TERMS, dtype=jnp.result_type(mu))
    logp = sp.xlogy(ks, mu_s) - mu_s - sp.gammaln(ks + 1.0)
    direct = -jnp.sum(jnp.exp(logp) * logp, axis=-1)
    mu_l = jnp.where(small, _ASYMPTOTIC, mu)
    series = (0.5 * jnp.log(2.0 * np.pi * np.e * mu_l) - 1.0 / (12.0 * mu_l)
              - 1.0 / (24.0 * mu_l ** 2) - 19.0 / (360.0 * mu_l ** 3))
    return nan_unless(mu > 0, jnp.where(small, direct, series))
