"""The beta distribution with shapes ``a``, ``b`` on ``[loc, loc + scale]``
(as ``jax.scipy.stats.beta``)."""

from __future__ import annotations

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, promote_args, special
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def _standardize(name, x, a, b, loc, scale):
    x, a, b, loc, scale = promote_args(name, x, a, b, loc, scale)
    return a, b, scale, (x - loc) / scale


def logpdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0,
           scale: ArrayLike = 1) -> Array:
    """Log of the beta density,
    ``xlogy(a - 1, y) + xlog1py(b - 1, -y) - betaln(a, b) - log(scale)``
    (``-inf`` outside ``[0, 1]``).

    >>> from ftrans.scipy.stats import beta
    >>> round(float(beta.logpdf(0.3, 2.0, 3.0)), 6)
    0.567584
    """
    a, b, scale, y = _standardize("beta.logpdf", x, a, b, loc, scale)
    sp = special()
    inside = (y >= 0) & (y <= 1)
    y_in = jnp.where(inside, y, 0.5)
    out = (sp.xlogy(a - 1.0, y_in) + sp.xlog1py(b - 1.0, -y_in) - sp.betaln(a, b)
           - jnp.log(scale))
    return nan_unless((a > 0) & (b > 0) & (scale > 0), jnp.where(inside, out, -jnp.inf))


def pdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0,
        scale: ArrayLike = 1) -> Array:
    """The beta density.

    >>> from ftrans.scipy.stats import beta
    >>> round(float(beta.pdf(0.5, 2.0, 2.0)), 6)
    1.5
    """
    return jnp.exp(logpdf(x, a, b, loc, scale))


def cdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0,
        scale: ArrayLike = 1) -> Array:
    """The beta CDF, the regularized incomplete beta ``betainc(a, b, y)``.

    >>> from ftrans.scipy.stats import beta
    >>> round(float(beta.cdf(0.5, 2.0, 3.0)), 6)
    0.6875
    """
    a, b, scale, y = _standardize("beta.cdf", x, a, b, loc, scale)
    out = special().betainc(a, b, jnp.clip(y, 0.0, 1.0))
    return nan_unless((a > 0) & (b > 0) & (scale > 0), out)


def logcdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0,
           scale: ArrayLike = 1) -> Array:
    """Log of the beta CDF.

    >>> from ftrans.scipy.stats import beta
    >>> round(float(beta.logcdf(0.5, 2.0, 3.0)), 6)
    -0.374693
    """
    return jnp.log(cdf(x, a, b, loc, scale))


def sf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0,
       scale: ArrayLike = 1) -> Array:
    """The beta survival function, ``betainc(b, a, 1 - y)``.

    >>> from ftrans.scipy.stats import beta
    >>> round(float(beta.sf(0.5, 2.0, 3.0)), 6)
    0.3125
    """
    a, b, scale, y = _standardize("beta.sf", x, a, b, loc, scale)
    out = special().betainc(b, a, jnp.clip(1.0 - y, 0.0, 1.0))
    return nan_unless((a > 0) & (b > 0) & (scale > 0), out)


def logsf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0,
          scale: ArrayLike = 1) -> Array:
    """Log of the beta survival function.

    >>> from ftrans.scipy.stats import beta
    >>> round(float(beta.logsf(0.5, 2.0, 3.0)), 6)
    -1.163151
    """
    return jnp.log(sf(x, a, b, loc, scale))
