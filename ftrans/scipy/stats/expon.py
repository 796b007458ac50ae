"""The exponential distribution (as ``jax.scipy.stats.expon``): density
``exp(-z) / scale`` for ``z = (x - loc) / scale >= 0``."""

from __future__ import annotations

import numpy as np

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, standardize
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the exponential density (``-inf`` below ``loc``).

    >>> from ftrans.scipy.stats import expon
    >>> float(expon.logpdf(2.0)), float(expon.logpdf(-1.0))
    (-2.0, -inf)
    """
    x, loc, scale, z = standardize("expon.logpdf", x, loc, scale)
    return nan_unless(scale > 0, jnp.where(z < 0, -jnp.inf, -z - jnp.log(scale)))


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The exponential density.

    >>> from ftrans.scipy.stats import expon
    >>> float(expon.pdf(0.0, scale=2.0))
    0.5
    """
    return jnp.exp(logpdf(x, loc, scale))


def _log1mexp(y):
    # log(1 - exp(-y)) for y > 0: expm1 near 0, log1p far from it
    small = y <= np.log(2.0)
    y_small = jnp.where(small, y, 1.0)
    y_large = jnp.where(small, 1.0, y)
    return jnp.where(small, jnp.log(-jnp.expm1(-y_small)), jnp.log1p(-jnp.exp(-y_large)))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The exponential CDF, ``1 - exp(-z)``.

    >>> from ftrans.scipy.stats import expon
    >>> round(float(expon.cdf(1.0)), 6)
    0.632121
    """
    x, loc, scale, z = standardize("expon.cdf", x, loc, scale)
    return nan_unless(scale > 0, -jnp.expm1(-jnp.maximum(z, 0.0)))


def logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the exponential CDF.

    >>> from ftrans.scipy.stats import expon
    >>> round(float(expon.logcdf(1.0)), 6)
    -0.458675
    """
    x, loc, scale, z = standardize("expon.logcdf", x, loc, scale)
    pos = z > 0
    return nan_unless(scale > 0, jnp.where(pos, _log1mexp(jnp.where(pos, z, 1.0)), -jnp.inf))


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The exponential survival function, ``exp(-z)`` (1 below ``loc``).

    >>> from ftrans.scipy.stats import expon
    >>> round(float(expon.sf(1.0)), 6)
    0.367879
    """
    x, loc, scale, z = standardize("expon.sf", x, loc, scale)
    return nan_unless(scale > 0, jnp.exp(-jnp.maximum(z, 0.0)))


def logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the exponential survival function, ``-z`` (0 below ``loc``).

    >>> from ftrans.scipy.stats import expon
    >>> float(expon.logsf(3.0))
    -3.0
    """
    x, loc, scale, z = standardize("expon.logsf", x, loc, scale)
    return nan_unless(scale > 0, -jnp.maximum(z, 0.0))


def ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The exponential quantile function, ``loc - scale * log1p(-q)``.

    >>> from ftrans.scipy.stats import expon
    >>> round(float(expon.ppf(0.5)), 6)
    0.693147
    """
    q, loc, scale = promote_args("expon.ppf", q, loc, scale)
    ok = (scale > 0) & (q >= 0) & (q <= 1)
    return nan_unless(ok, loc - scale * jnp.log1p(-jnp.where(ok, q, 0.0)))


def isf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The exponential inverse survival function, ``loc - scale * log(q)``.

    >>> from ftrans.scipy.stats import expon
    >>> round(float(expon.isf(0.5)), 6)
    0.693147
    """
    q, loc, scale = promote_args("expon.isf", q, loc, scale)
    ok = (scale > 0) & (q >= 0) & (q <= 1)
    return nan_unless(ok, loc - scale * jnp.log(jnp.where(ok, q, 1.0)))
