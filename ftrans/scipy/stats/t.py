"""Student's t distribution (as ``jax.scipy.stats.t``, plus scipy's ``cdf``
and ``sf`` through the regularized incomplete beta function)."""

from __future__ import annotations

import numpy as np

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, special
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf", "cdf", "sf"]

_LOG_PI = float(np.log(np.pi))


def _standardize(name, x, df, loc, scale):
    x, df, loc, scale = promote_args(name, x, df, loc, scale)
    return df, scale, (x - loc) / scale


def logpdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the t density with ``df`` degrees of freedom:
    ``lgamma((df+1)/2) - lgamma(df/2) - log(π df)/2 - log(scale)
    - (df+1)/2 log1p(z²/df)``.

    >>> from ftrans.scipy.stats import t
    >>> round(float(t.logpdf(0.5, 3.0)), 6)
    -1.160974
    """
    df, scale, z = _standardize("t.logpdf", x, df, loc, scale)
    sp = special()
    half = 0.5 * (df + 1.0)
    out = (sp.gammaln(half) - sp.gammaln(0.5 * df) - 0.5 * (jnp.log(df) + _LOG_PI)
           - jnp.log(scale) - half * jnp.log1p(z * z / df))
    return nan_unless((df > 0) & (scale > 0), out)


def pdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The t density.

    >>> from ftrans.scipy.stats import t
    >>> round(float(t.pdf(0.0, 1.0)), 6)
    0.31831
    """
    return jnp.exp(logpdf(x, df, loc, scale))


def _tail(df, z):
    # P(T > |z|) = I_{df/(df+z²)}(df/2, 1/2) / 2
    return 0.5 * special().betainc(0.5 * df, 0.5, df / (df + z * z))


def cdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The t CDF, from the regularized incomplete beta function.

    >>> from ftrans.scipy.stats import t
    >>> round(float(t.cdf(1.0, 1.0)), 6)
    0.75
    """
    df, scale, z = _standardize("t.cdf", x, df, loc, scale)
    tail = _tail(df, z)
    return nan_unless((df > 0) & (scale > 0), jnp.where(z > 0, 1.0 - tail, tail))


def sf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The t survival function, ``cdf(-z)``.

    >>> from ftrans.scipy.stats import t
    >>> round(float(t.sf(1.0, 1.0)), 6)
    0.25
    """
    df, scale, z = _standardize("t.sf", x, df, loc, scale)
    tail = _tail(df, z)
    return nan_unless((df > 0) & (scale > 0), jnp.where(z > 0, tail, 1.0 - tail))
