"""The chi-squared distribution with ``df`` degrees of freedom (as
``jax.scipy.stats.chi2``): the gamma distribution with shape ``df/2`` and
scale ``2 scale``."""

from __future__ import annotations

import numpy as np

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, special
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

_LOG2 = float(np.log(2.0))


def _standardize(name, x, df, loc, scale):
    x, df, loc, scale = promote_args(name, x, df, loc, scale)
    return df, scale, (x - loc) / scale


def logpdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the chi-squared density,
    ``xlogy(df/2 - 1, y) - y/2 - gammaln(df/2) - (df/2) log 2 - log(scale)``.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.logpdf(2.0, 3.0)), 6)
    -1.572365
    """
    df, scale, y = _standardize("chi2.logpdf", x, df, loc, scale)
    sp = special()
    inside = y >= 0
    y_in = jnp.where(inside, y, 1.0)
    k = 0.5 * df
    out = sp.xlogy(k - 1.0, y_in) - 0.5 * y_in - sp.gammaln(k) - k * _LOG2 - jnp.log(scale)
    return nan_unless((df > 0) & (scale > 0), jnp.where(inside, out, -jnp.inf))


def pdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The chi-squared density.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.pdf(2.0, 2.0)), 6)
    0.18394
    """
    return jnp.exp(logpdf(x, df, loc, scale))


def cdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The chi-squared CDF, ``gammainc(df/2, y/2)``.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.cdf(2.0, 2.0)), 6)
    0.632121
    """
    df, scale, y = _standardize("chi2.cdf", x, df, loc, scale)
    out = special().gammainc(0.5 * df, 0.5 * jnp.maximum(y, 0.0))
    return nan_unless((df > 0) & (scale > 0), out)


def logcdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the chi-squared CDF.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.logcdf(2.0, 2.0)), 6)
    -0.458675
    """
    return jnp.log(cdf(x, df, loc, scale))


def sf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The chi-squared survival function, ``gammaincc(df/2, y/2)``.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.sf(2.0, 2.0)), 6)
    0.367879
    """
    df, scale, y = _standardize("chi2.sf", x, df, loc, scale)
    out = special().gammaincc(0.5 * df, 0.5 * jnp.maximum(y, 0.0))
    return nan_unless((df > 0) & (scale > 0), out)


def logsf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the chi-squared survival function.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.logsf(2.0, 2.0)), 6)
    -1.0
    """
    return jnp.log(sf(x, df, loc, scale))
