"""The Dirichlet distribution (as ``jax.scipy.stats.dirichlet``).

``x`` has the ``K`` categories on its first axis (``(K,)`` or ``(K, ...)``),
or ``K - 1`` of them, the last being ``1 - sum``. Points off the simplex
(an entry ``<= 0`` or a sum further than ``1e-6`` from 1) have log density
``-inf``, as in JAX (scipy raises instead).
"""

from __future__ import annotations

import ftrans.numpy as jnp
from ftrans.scipy.stats._util import nan_unless, special
from ftrans.typing import Array, ArrayLike

__all__ = ["logpdf", "pdf"]


def logpdf(x: ArrayLike, alpha: ArrayLike) -> Array:
    """Log of the Dirichlet density with concentrations ``alpha`` (shape ``(K,)``):
    ``Σ xlogy(alpha - 1, x) - Σ gammaln(alpha) + gammaln(Σ alpha)``.

    >>> import numpy as np
    >>> from ftrans.scipy.stats import dirichlet
    >>> round(float(dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), np.array([1.0, 2.0, 3.0]))), 6)
    1.504077
    """
    x, alpha = jnp.asarray(x), jnp.asarray(alpha)
    dtype = jnp.result_type(x, alpha, 1.0)
    x, alpha = x.astype(dtype), alpha.astype(dtype)
    if alpha.ndim != 1:
        raise ValueError(f"dirichlet.logpdf: alpha must be one-dimensional, got shape "
                         f"{tuple(alpha.shape)}")
    k = alpha.shape[0]
    if x.ndim == 0 or x.shape[0] not in (k, k - 1):
        raise ValueError(f"dirichlet.logpdf: x must have {k} (or {k - 1}) entries on its "
                         f"first axis to match alpha of shape {tuple(alpha.shape)}, got "
                         f"shape {tuple(x.shape)}")
    if x.shape[0] == k - 1:
        x = jnp.concatenate([x, 1.0 - jnp.sum(x, axis=0, keepdims=True)], axis=0)
    simplex = jnp.all(x > 0, axis=0) & (jnp.abs(jnp.sum(x, axis=0) - 1.0) < 1e-6)
    x_in = jnp.where(simplex, x, 1.0 / k)
    sp = special()
    a = jnp.reshape(alpha, (k,) + (1,) * (x.ndim - 1))
    norm = jnp.sum(sp.gammaln(alpha)) - sp.gammaln(jnp.sum(alpha))
    out = jnp.sum(sp.xlogy(a - 1.0, x_in), axis=0) - norm
    return nan_unless(jnp.all(alpha > 0), jnp.where(simplex, out, -jnp.inf))


def pdf(x: ArrayLike, alpha: ArrayLike) -> Array:
    """The Dirichlet density.

    >>> import numpy as np
    >>> from ftrans.scipy.stats import dirichlet
    >>> round(float(dirichlet.pdf(np.array([0.25, 0.75]), np.array([2.0, 2.0]))), 6)
    1.125
    """
    return jnp.exp(logpdf(x, alpha))
