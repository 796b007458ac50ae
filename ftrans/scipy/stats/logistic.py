"""The logistic distribution (as ``jax.scipy.stats.logistic``): CDF
``expit(z)``, density ``expit(z) expit(-z) / scale``."""

from __future__ import annotations

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, standardize
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def _softplus(x):
    return jnp.logaddexp(x, 0.0)


def _expit(x):
    # 1 / (1 + exp(-x)) without overflow: exp of a non-positive number only
    e = jnp.exp(-jnp.abs(x))
    return jnp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the logistic density, ``-|z| - 2 log1p(exp(-|z|)) - log(scale)``.

    >>> from ftrans.scipy.stats import logistic
    >>> round(float(logistic.logpdf(0.0)), 6)
    -1.386294
    """
    x, loc, scale, z = standardize("logistic.logpdf", x, loc, scale)
    a = jnp.abs(z)
    return nan_unless(scale > 0, -a - 2.0 * jnp.log1p(jnp.exp(-a)) - jnp.log(scale))


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The logistic density.

    >>> from ftrans.scipy.stats import logistic
    >>> float(logistic.pdf(0.0))
    0.25
    """
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The logistic CDF, ``expit(z)``.

    >>> from ftrans.scipy.stats import logistic
    >>> round(float(logistic.cdf(1.0)), 6)
    0.731059
    """
    x, loc, scale, z = standardize("logistic.cdf", x, loc, scale)
    return nan_unless(scale > 0, _expit(z))


def logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the logistic CDF, ``-softplus(-z)``.

    >>> from ftrans.scipy.stats import logistic
    >>> round(float(logistic.logcdf(-50.0)), 6)
    -50.0
    """
    x, loc, scale, z = standardize("logistic.logcdf", x, loc, scale)
    return nan_unless(scale > 0, -_softplus(-z))


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The logistic survival function, ``expit(-z)``.

    >>> from ftrans.scipy.stats import logistic
    >>> round(float(logistic.sf(1.0)), 6)
    0.268941
    """
    x, loc, scale, z = standardize("logistic.sf", x, loc, scale)
    return nan_unless(scale > 0, _expit(-z))


def logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the logistic survival function, ``-softplus(z)``.

    >>> from ftrans.scipy.stats import logistic
    >>> round(float(logistic.logsf(50.0)), 6)
    -50.0
    """
    x, loc, scale, z = standardize("logistic.logsf", x, loc, scale)
    return nan_unless(scale > 0, -_softplus(z))


def _logit(q):
    return jnp.log(q) - jnp.log1p(-q)


def ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The logistic quantile function, ``loc + scale * logit(q)``.

    >>> from ftrans.scipy.stats import logistic
    >>> round(float(logistic.ppf(0.75)), 6)
    1.098612
    """
    q, loc, scale = promote_args("logistic.ppf", q, loc, scale)
    ok = (scale > 0) & (q >= 0) & (q <= 1)
    return nan_unless(ok, loc + scale * _logit(jnp.where(ok, q, 0.5)))


def isf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The logistic inverse survival function, ``loc - scale * logit(q)``.

    >>> from ftrans.scipy.stats import logistic
    >>> round(float(logistic.isf(0.25)), 6)
    1.098612
    """
    q, loc, scale = promote_args("logistic.isf", q, loc, scale)
    ok = (scale > 0) & (q >= 0) & (q <= 1)
    return nan_unless(ok, loc - scale * _logit(jnp.where(ok, q, 0.5)))
