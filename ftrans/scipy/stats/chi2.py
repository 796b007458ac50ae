"""The chi-squared distribution with ``df`` degrees of freedom (as
``jax.scipy.stats.chi2``): the gamma distribution with shape ``df/2`` and
scale ``2 scale``, so each function here is ``ftrans.scipy.stats.gamma``'s."""

from __future__ import annotations

from ftrans.scipy.stats import gamma
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def _as_gamma(fn, x, df, loc, scale):
    return fn(x, 0.5 * df, loc, 2.0 * scale)


def logpdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the chi-squared density.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.logpdf(2.0, 3.0)), 6)
    -1.572365
    """
    return _as_gamma(gamma.logpdf, x, df, loc, scale)


def pdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The chi-squared density.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.pdf(2.0, 2.0)), 6)
    0.18394
    """
    return _as_gamma(gamma.pdf, x, df, loc, scale)


def cdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The chi-squared CDF, ``gammainc(df/2, y/2)``.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.cdf(2.0, 2.0)), 6)
    0.632121
    """
    return _as_gamma(gamma.cdf, x, df, loc, scale)


def logcdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the chi-squared CDF.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.logcdf(2.0, 2.0)), 6)
    -0.458675
    """
    return _as_gamma(gamma.logcdf, x, df, loc, scale)


def sf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The chi-squared survival function, ``gammaincc(df/2, y/2)``.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.sf(2.0, 2.0)), 6)
    0.367879
    """
    return _as_gamma(gamma.sf, x, df, loc, scale)


def logsf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the chi-squared survival function.

    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.logsf(2.0, 2.0)), 6)
    -1.0
    """
    return _as_gamma(gamma.logsf, x, df, loc, scale)
