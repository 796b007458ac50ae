"""The Laplace distribution (as ``jax.scipy.stats.laplace``): density
``exp(-|z|) / (2 scale)``."""

from __future__ import annotations

import numpy as np

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, standardize
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf", "cdf", "sf", "ppf", "isf"]

_LOG2 = float(np.log(2.0))


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the Laplace density, ``-|z| - log(2 scale)``.

    >>> from ftrans.scipy.stats import laplace
    >>> round(float(laplace.logpdf(1.0)), 6)
    -1.693147
    """
    x, loc, scale, z = standardize("laplace.logpdf", x, loc, scale)
    return nan_unless(scale > 0, -jnp.abs(z) - jnp.log(scale) - _LOG2)


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Laplace density.

    >>> from ftrans.scipy.stats import laplace
    >>> float(laplace.pdf(0.0))
    0.5
    """
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Laplace CDF: ``exp(z)/2`` below ``loc``, ``1 - exp(-z)/2`` above.

    >>> from ftrans.scipy.stats import laplace
    >>> float(laplace.cdf(0.0))
    0.5
    """
    x, loc, scale, z = standardize("laplace.cdf", x, loc, scale)
    half = 0.5 * jnp.exp(-jnp.abs(z))
    return nan_unless(scale > 0, jnp.where(z < 0, half, 1.0 - half))


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Laplace survival function, ``cdf(-z)``.

    >>> from ftrans.scipy.stats import laplace
    >>> round(float(laplace.sf(1.0)), 6)
    0.18394
    """
    x, loc, scale, z = standardize("laplace.sf", x, loc, scale)
    half = 0.5 * jnp.exp(-jnp.abs(z))
    return nan_unless(scale > 0, jnp.where(z > 0, half, 1.0 - half))


def ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Laplace quantile function.

    >>> from ftrans.scipy.stats import laplace
    >>> round(float(laplace.ppf(0.9)), 6)
    1.609438
    """
    q, loc, scale = promote_args("laplace.ppf", q, loc, scale)
    ok = (scale > 0) & (q >= 0) & (q <= 1)
    u = jnp.where(ok, q, 0.5) - 0.5
    return nan_unless(ok, loc - scale * jnp.sign(u) * jnp.log1p(-2.0 * jnp.abs(u)))


def isf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Laplace inverse survival function, ``ppf(1 - q)``.

    >>> from ftrans.scipy.stats import laplace
    >>> round(float(laplace.isf(0.1)), 6)
    1.609438
    """
    q, loc, scale = promote_args("laplace.isf", q, loc, scale)
    ok = (scale > 0) & (q >= 0) & (q <= 1)
    u = 0.5 - jnp.where(ok, q, 0.5)
    return nan_unless(ok, loc - scale * jnp.sign(u) * jnp.log1p(-2.0 * jnp.abs(u)))
