"""The Cauchy distribution (as ``jax.scipy.stats.cauchy``): density
``1 / (π scale (1 + z²))``."""

from __future__ import annotations

import numpy as np

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, standardize
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]

_LOG_PI = float(np.log(np.pi))


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the Cauchy density, ``-log(π) - log(scale) - log1p(z²)``.

    >>> from ftrans.scipy.stats import cauchy
    >>> round(float(cauchy.logpdf(0.0)), 6)
    -1.14473
    """
    x, loc, scale, z = standardize("cauchy.logpdf", x, loc, scale)
    return nan_unless(scale > 0, -_LOG_PI - jnp.log(scale) - jnp.log1p(z * z))


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Cauchy density.

    >>> from ftrans.scipy.stats import cauchy
    >>> round(float(cauchy.pdf(1.0)), 6)
    0.159155
    """
    return jnp.exp(logpdf(x, loc, scale))


def _cdf(z):
    # 1/2 + atan(z)/π, written through atan2 so both tails keep their precision
    return jnp.arctan2(1.0, -z) / np.pi


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Cauchy CDF, ``1/2 + arctan(z)/π``.

    >>> from ftrans.scipy.stats import cauchy
    >>> float(cauchy.cdf(1.0))
    0.75
    """
    x, loc, scale, z = standardize("cauchy.cdf", x, loc, scale)
    return nan_unless(scale > 0, _cdf(z))


def logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the Cauchy CDF.

    >>> from ftrans.scipy.stats import cauchy
    >>> round(float(cauchy.logcdf(0.0)), 6)
    -0.693147
    """
    x, loc, scale, z = standardize("cauchy.logcdf", x, loc, scale)
    return nan_unless(scale > 0, jnp.log(_cdf(z)))


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Cauchy survival function, ``cdf(-z)``.

    >>> from ftrans.scipy.stats import cauchy
    >>> float(cauchy.sf(1.0))
    0.25
    """
    x, loc, scale, z = standardize("cauchy.sf", x, loc, scale)
    return nan_unless(scale > 0, _cdf(-z))


def logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the Cauchy survival function.

    >>> from ftrans.scipy.stats import cauchy
    >>> round(float(cauchy.logsf(1.0)), 6)
    -1.386294
    """
    x, loc, scale, z = standardize("cauchy.logsf", x, loc, scale)
    return nan_unless(scale > 0, jnp.log(_cdf(-z)))


def ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Cauchy quantile function, ``loc + scale * tan(π (q - 1/2))``.

    >>> from ftrans.scipy.stats import cauchy
    >>> round(float(cauchy.ppf(0.75)), 6)
    1.0
    """
    q, loc, scale = promote_args("cauchy.ppf", q, loc, scale)
    ok = (scale > 0) & (q >= 0) & (q <= 1)
    qs = jnp.where(ok, q, 0.5)
    z = jnp.where(qs == 0, -jnp.inf, jnp.where(qs == 1, jnp.inf, jnp.tan(np.pi * (qs - 0.5))))
    return nan_unless(ok, loc + scale * z)


def isf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Cauchy inverse survival function, ``loc + scale * tan(π (1/2 - q))``.

    >>> from ftrans.scipy.stats import cauchy
    >>> round(float(cauchy.isf(0.25)), 6)
    1.0
    """
    q, loc, scale = promote_args("cauchy.isf", q, loc, scale)
    ok = (scale > 0) & (q >= 0) & (q <= 1)
    qs = jnp.where(ok, q, 0.5)
    z = jnp.where(qs == 0, jnp.inf, jnp.where(qs == 1, -jnp.inf, jnp.tan(np.pi * (0.5 - qs))))
    return nan_unless(ok, loc + scale * z)
