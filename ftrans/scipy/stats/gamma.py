"""The gamma distribution with shape ``a`` (as ``jax.scipy.stats.gamma``):
density ``y^(a-1) exp(-y) / (Γ(a) scale)`` for ``y = (x - loc) / scale >= 0``."""

from __future__ import annotations

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, special
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def _standardize(name, x, a, loc, scale):
    x, a, loc, scale = promote_args(name, x, a, loc, scale)
    return a, scale, (x - loc) / scale


def logpdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the gamma density, ``xlogy(a - 1, y) - y - gammaln(a) - log(scale)``
    (``-inf`` below ``loc``).

    >>> from ftrans.scipy.stats import gamma
    >>> round(float(gamma.logpdf(1.5, 2.0)), 6)
    -1.094535
    """
    a, scale, y = _standardize("gamma.logpdf", x, a, loc, scale)
    sp = special()
    inside = y >= 0
    y_in = jnp.where(inside, y, 1.0)  # no log of a negative number, even unselected
    out = sp.xlogy(a - 1.0, y_in) - y_in - sp.gammaln(a) - jnp.log(scale)
    return nan_unless((a > 0) & (scale > 0), jnp.where(inside, out, -jnp.inf))


def pdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The gamma density.

    >>> from ftrans.scipy.stats import gamma
    >>> round(float(gamma.pdf(1.0, 1.0)), 6)
    0.367879
    """
    return jnp.exp(logpdf(x, a, loc, scale))


def cdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The gamma CDF, the regularized lower incomplete gamma ``gammainc(a, y)``.

    >>> from ftrans.scipy.stats import gamma
    >>> round(float(gamma.cdf(1.0, 1.0)), 6)
    0.632121
    """
    a, scale, y = _standardize("gamma.cdf", x, a, loc, scale)
    return nan_unless((a > 0) & (scale > 0), special().gammainc(a, jnp.maximum(y, 0.0)))


def logcdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the gamma CDF.

    >>> from ftrans.scipy.stats import gamma
    >>> round(float(gamma.logcdf(1.0, 1.0)), 6)
    -0.458675
    """
    return jnp.log(cdf(x, a, loc, scale))


def sf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The gamma survival function, ``gammaincc(a, y)``.

    >>> from ftrans.scipy.stats import gamma
    >>> round(float(gamma.sf(1.0, 1.0)), 6)
    0.367879
    """
    a, scale, y = _standardize("gamma.sf", x, a, loc, scale)
    return nan_unless((a > 0) & (scale > 0), special().gammaincc(a, jnp.maximum(y, 0.0)))


def logsf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the gamma survival function.

    >>> from ftrans.scipy.stats import gamma
    >>> round(float(gamma.logsf(1.0, 1.0)), 6)
    -1.0
    """
    return jnp.log(sf(x, a, loc, scale))
