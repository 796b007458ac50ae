"""The normal distribution (as ``jax.scipy.stats.norm``)."""

from __future__ import annotations

import numpy as np

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, special, standardize
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]

_LOG_SQRT_2PI = float(0.5 * np.log(2 * np.pi))


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the normal density, ``-z²/2 - log(scale) - log(√(2π))`` with
    ``z = (x - loc) / scale``.

    >>> from ftrans.scipy.stats import norm
    >>> round(float(norm.logpdf(0.0)), 6)
    -0.918939
    """
    x, loc, scale, z = standardize("norm.logpdf", x, loc, scale)
    return nan_unless(scale > 0, -0.5 * z * z - jnp.log(scale) - _LOG_SQRT_2PI)


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The normal density.

    >>> from ftrans.scipy.stats import norm
    >>> round(float(norm.pdf(1.0, loc=1.0, scale=2.0)), 6)
    0.199471
    """
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The normal cumulative distribution function, ``ndtr(z)``.

    >>> from ftrans.scipy.stats import norm
    >>> round(float(norm.cdf(1.0)), 6)
    0.841345
    """
    x, loc, scale, z = standardize("norm.cdf", x, loc, scale)
    return nan_unless(scale > 0, special().ndtr(z))


def logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the normal CDF, ``log_ndtr(z)`` (accurate far in the left tail).

    >>> from ftrans.scipy.stats import norm
    >>> round(float(norm.logcdf(-10.0)), 4)
    -53.2313
    """
    x, loc, scale, z = standardize("norm.logcdf", x, loc, scale)
    return nan_unless(scale > 0, special().log_ndtr(z))


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The normal survival function ``1 - cdf``, computed as ``ndtr(-z)``.

    >>> from ftrans.scipy.stats import norm
    >>> round(float(norm.sf(1.0)), 6)
    0.158655
    """
    x, loc, scale, z = standardize("norm.sf", x, loc, scale)
    return nan_unless(scale > 0, special().ndtr(-z))


def logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the normal survival function, ``log_ndtr(-z)``.

    >>> from ftrans.scipy.stats import norm
    >>> round(float(norm.logsf(10.0)), 4)
    -53.2313
    """
    x, loc, scale, z = standardize("norm.logsf", x, loc, scale)
    return nan_unless(scale > 0, special().log_ndtr(-z))


def ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The normal quantile function (inverse CDF), ``loc + scale * ndtri(q)``.

    >>> from ftrans.scipy.stats import norm
    >>> round(float(norm.ppf(0.975)), 6)
    1.959964
    """
    q, loc, scale = promote_args("norm.ppf", q, loc, scale)
    return nan_unless(scale > 0, loc + scale * special().ndtri(q))


def isf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The inverse survival function, ``loc - scale * ndtri(q)``.

    >>> from ftrans.scipy.stats import norm
    >>> round(float(norm.isf(0.025)), 6)
    1.959964
    """
    q, loc, scale = promote_args("norm.isf", q, loc, scale)
    return nan_unless(scale > 0, loc - scale * special().ndtri(q))
