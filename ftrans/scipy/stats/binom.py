"""The binomial distribution with ``n`` trials of success probability ``p``
(as ``jax.scipy.stats.binom``)."""

from __future__ import annotations

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, special
from ftrans.typing import Array, ArrayLike

__all__ = ["logpmf", "pmf"]


def logpmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """Log of the binomial probability of ``k`` successes:
    ``log C(n, k) + xlogy(k, p) + xlog1py(n - k, -p)`` (``-inf`` off
    ``{0, ..., n}``).

    >>> from ftrans.scipy.stats import binom
    >>> round(float(binom.logpmf(3, 10, 0.4)), 6)
    -1.53716
    """
    k, n, p, loc = promote_args("binom.logpmf", k, n, p, loc)
    sp = special()
    y = k - loc
    support = (y >= 0) & (y <= n) & (jnp.floor(y) == y)
    y_in = jnp.where(support, y, 0.0)
    comb = sp.gammaln(n + 1.0) - sp.gammaln(y_in + 1.0) - sp.gammaln(n - y_in + 1.0)
    out = comb + sp.xlogy(y_in, p) + sp.xlog1py(n - y_in, -p)
    ok = (p >= 0) & (p <= 1) & (n >= 0) & (jnp.floor(n) == n)
    return nan_unless(ok, jnp.where(support, out, -jnp.inf))


def pmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """The binomial probability mass function.

    >>> from ftrans.scipy.stats import binom
    >>> round(float(binom.pmf(1, 2, 0.5)), 6)
    0.5
    """
    return jnp.exp(logpmf(k, n, p, loc))
