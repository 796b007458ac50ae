"""The multivariate normal distribution (as ``jax.scipy.stats.multivariate_normal``).

The log density goes through the Cholesky factor ``L`` of ``cov``:
``-|L⁻¹(x - mean)|²/2 - n log(2π)/2 - Σ log diag(L)``. ``x``, ``mean`` and
``cov`` broadcast over leading (batch) axes; a scalar ``cov`` means
``cov * I``; a rank-0 ``mean`` is the univariate normal with variance ``cov``.
"""

from __future__ import annotations

import numpy as np

import ftrans.numpy as jnp
from ftrans import lax
from ftrans.scipy.stats._util import promote_args
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf"]

_LOG_2PI = float(np.log(2 * np.pi))


def logpdf(x: ArrayLike, mean: ArrayLike, cov: ArrayLike, allow_singular: None = None) -> Array:
    """Log of the multivariate normal density of ``x`` (shape ``(..., n)``).

    >>> import numpy as np
    >>> from ftrans.scipy.stats import multivariate_normal
    >>> cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> round(float(multivariate_normal.logpdf(np.array([0.5, -0.2]), np.zeros(2), cov)), 6)
    -2.240542
    """
    if allow_singular is not None:
        raise NotImplementedError("multivariate_normal.logpdf: allow_singular is not "
                                  "implemented (cov must be positive definite)")
    x, mean, cov = (jnp.asarray(a) for a in (x, mean, cov))
    dtype = jnp.result_type(x, mean, cov, 1.0)
    x, mean, cov = (a.astype(dtype) if a.dtype != dtype else a for a in (x, mean, cov))
    if mean.ndim == 0:
        x, mean, cov = promote_args("multivariate_normal.logpdf", x, mean, cov)
        return -0.5 * jnp.square(x - mean) / cov - 0.5 * (_LOG_2PI + jnp.log(cov))
    n = mean.shape[-1]
    if x.ndim == 0 or x.shape[-1] != n:
        raise ValueError(f"multivariate_normal.logpdf: x must have shape (..., {n}) to "
                         f"match mean of shape {tuple(mean.shape)}, got {tuple(x.shape)}")
    y = x - mean
    if cov.ndim == 0:
        return (-0.5 * jnp.sum(y * y, axis=-1) / cov - 0.5 * n * (_LOG_2PI + jnp.log(cov)))
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise ValueError(f"multivariate_normal.logpdf: cov must have shape (..., {n}, {n}) "
                         f"to match mean of shape {tuple(mean.shape)}, got "
                         f"{tuple(cov.shape)}")
    chol = jnp.linalg.cholesky(cov)
    batch = np.broadcast_shapes(y.shape[:-1], cov.shape[:-2])
    if cov.ndim == 2:
        # one solve for every row: w Lᵀ = y, so |w|² = yᵀ cov⁻¹ y
        rows = jnp.reshape(jnp.broadcast_to(y, batch + (n,)), (-1, n))
        w = lax.linalg.triangular_solve(chol, rows, left_side=False, lower=True,
                                        transpose_a=True)
        w = jnp.reshape(w, batch + (n,))
    else:
        chol = jnp.broadcast_to(chol, batch + (n, n))
        rows = jnp.broadcast_to(y, batch + (n,))[..., None, :]
        w = lax.linalg.triangular_solve(chol, rows, left_side=False, lower=True,
                                        transpose_a=True)[..., 0, :]
    log_det_half = jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * jnp.sum(w * w, axis=-1) - 0.5 * n * _LOG_2PI - log_det_half


def pdf(x: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> Array:
    """The multivariate normal density.

    >>> import numpy as np
    >>> from ftrans.scipy.stats import multivariate_normal
    >>> round(float(multivariate_normal.pdf(np.zeros(2), np.zeros(2), np.eye(2))), 6)
    0.159155
    """
    return jnp.exp(logpdf(x, mean, cov))
