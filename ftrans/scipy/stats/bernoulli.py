"""The Bernoulli distribution with success probability ``p`` (as
``jax.scipy.stats.bernoulli``)."""

from __future__ import annotations

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, special
from ftrans.typing import Array, ArrayLike

__all__ = ["logpmf", "pmf", "cdf", "ppf"]


def logpmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """Log of the Bernoulli probability of ``k``: ``log p`` at 1, ``log(1 - p)``
    at 0, ``-inf`` elsewhere.

    >>> from ftrans.scipy.stats import bernoulli
    >>> round(float(bernoulli.logpmf(1, 0.25)), 6), round(float(bernoulli.logpmf(0, 0.25)), 6)
    (-1.386294, -0.287682)
    """
    k, p, loc = promote_args("bernoulli.logpmf", k, p, loc)
    sp = special()
    x = k - loc
    support = (x == 0) | (x == 1)
    x_in = jnp.where(support, x, 0.0)
    out = sp.xlogy(x_in, p) + sp.xlog1py(1.0 - x_in, -p)
    return nan_unless((p >= 0) & (p <= 1), jnp.where(support, out, -jnp.inf))


def pmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """The Bernoulli probability mass function.

    >>> from ftrans.scipy.stats import bernoulli
    >>> float(bernoulli.pmf(1, 0.25))
    0.25
    """
    return jnp.exp(logpmf(k, p, loc))


def cdf(k: ArrayLike, p: ArrayLike) -> Array:
    """The Bernoulli CDF: 0 below 0, ``1 - p`` on ``[0, 1)``, 1 from 1 on.

    >>> from ftrans.scipy.stats import bernoulli
    >>> float(bernoulli.cdf(0.5, 0.25))
    0.75
    """
    k, p = promote_args("bernoulli.cdf", k, p)
    out = jnp.where(k < 0, 0.0, jnp.where(k < 1, 1.0 - p, 1.0))
    return nan_unless((p >= 0) & (p <= 1) & ~jnp.isnan(k), out)


def ppf(q: ArrayLike, p: ArrayLike) -> Array:
    """The Bernoulli quantile function: 0 for ``q <= 1 - p``, else 1 (``nan``
    outside ``[0, 1]``).

    >>> from ftrans.scipy.stats import bernoulli
    >>> float(bernoulli.ppf(0.5, 0.25)), float(bernoulli.ppf(0.9, 0.25))
    (0.0, 1.0)
    """
    q, p = promote_args("bernoulli.ppf", q, p)
    ok = (p >= 0) & (p <= 1) & (q >= 0) & (q <= 1)
    return nan_unless(ok, jnp.where(q <= 1.0 - p, 0.0, 1.0))
