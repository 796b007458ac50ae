"""The uniform distribution on ``[loc, loc + scale]`` (as ``jax.scipy.stats.uniform``)."""

from __future__ import annotations

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, standardize
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the uniform density: ``-log(scale)`` on ``[loc, loc + scale]``,
    ``-inf`` outside.

    >>> from ftrans.scipy.stats import uniform
    >>> round(float(uniform.logpdf(0.5, scale=2.0)), 6), float(uniform.logpdf(3.0))
    (-0.693147, -inf)
    """
    x, loc, scale, z = standardize("uniform.logpdf", x, loc, scale)
    inside = (z >= 0) & (z <= 1)
    return nan_unless(scale > 0, jnp.where(inside, -jnp.log(scale), -jnp.inf))


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The uniform density.

    >>> from ftrans.scipy.stats import uniform
    >>> float(uniform.pdf(1.5, loc=1.0, scale=4.0))
    0.25
    """
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The uniform CDF, ``clip(z, 0, 1)``.

    >>> from ftrans.scipy.stats import uniform
    >>> float(uniform.cdf(0.25)), float(uniform.cdf(2.0))
    (0.25, 1.0)
    """
    x, loc, scale, z = standardize("uniform.cdf", x, loc, scale)
    return nan_unless(scale > 0, jnp.clip(z, 0.0, 1.0))


def logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the uniform CDF.

    >>> from ftrans.scipy.stats import uniform
    >>> round(float(uniform.logcdf(0.5)), 6)
    -0.693147
    """
    return jnp.log(cdf(x, loc, scale))


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The uniform survival function, ``clip(1 - z, 0, 1)``.

    >>> from ftrans.scipy.stats import uniform
    >>> float(uniform.sf(0.25))
    0.75
    """
    x, loc, scale, z = standardize("uniform.sf", x, loc, scale)
    return nan_unless(scale > 0, jnp.clip(1.0 - z, 0.0, 1.0))


def logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the uniform survival function.

    >>> from ftrans.scipy.stats import uniform
    >>> round(float(uniform.logsf(0.5)), 6)
    -0.693147
    """
    return jnp.log(sf(x, loc, scale))


def ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The uniform quantile function, ``loc + q * scale`` (``nan`` outside [0, 1]).

    >>> from ftrans.scipy.stats import uniform
    >>> float(uniform.ppf(0.25, loc=1.0, scale=4.0))
    2.0
    """
    q, loc, scale = promote_args("uniform.ppf", q, loc, scale)
    return nan_unless((scale > 0) & (q >= 0) & (q <= 1), loc + q * scale)


def isf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The uniform inverse survival function, ``loc + (1 - q) * scale``.

    >>> from ftrans.scipy.stats import uniform
    >>> float(uniform.isf(0.25, loc=1.0, scale=4.0))
    4.0
    """
    q, loc, scale = promote_args("uniform.isf", q, loc, scale)
    return nan_unless((scale > 0) & (q >= 0) & (q <= 1), loc + (1.0 - q) * scale)
