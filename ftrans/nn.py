"""``ftrans.nn``: activation functions and softmax-style reductions (as
``jax.nn``), composed from ftrans.numpy: no new primitives.

The forms are the numerically stable ones: ``logsumexp`` and ``softmax``
subtract the maximum before exponentiating (its contribution cancels
analytically, so the derivatives stay exact), ``softplus`` is
``logaddexp(x, 0)``, and branches use ``where`` on safe arguments so the
unselected branch never produces an infinity whose zero-weighted gradient
would turn into NaN.
"""

from __future__ import annotations

import math

import numpy as np

import ftrans.numpy as jnp
from ftrans import lax
from ftrans.numpy._reductions import _reduction_axes
from ftrans.numpy._ufuncs import _dtype, _shape, promote
from ftrans.typing import Array, ArrayLike, Axis, DTypeLike

__all__ = [
    "relu", "relu6", "sigmoid", "log_sigmoid", "softplus", "soft_sign", "silu",
    "swish", "gelu", "elu", "celu", "selu", "leaky_relu", "hard_tanh", "tanh",
    "softmax", "log_softmax", "logsumexp", "one_hot", "standardize",
]


def _float(x):
    (x,) = promote("nn", x, inexact=True)
    return jnp.asarray(x)


def relu(x: ArrayLike) -> Array:
    """``max(x, 0)``; its derivative at 0 is 0, as in JAX.

    >>> import numpy as np, ftrans, ftrans.nn as nn
    >>> nn.relu(np.array([-1.0, 0.0, 2.0])), float(ftrans.grad(nn.relu)(0.0))
    (array([0., 0., 2.]), 0.0)
    """
    x = _float(x)
    return jnp.where(jnp.greater(x, 0), x, 0.0)


def relu6(x: ArrayLike) -> Array:
    """``min(max(x, 0), 6)``, with zero derivative at both kinks.

    >>> import numpy as np, ftrans.nn as nn
    >>> nn.relu6(np.array([-1.0, 3.0, 8.0]))
    array([0., 3., 6.])
    """
    x = _float(x)
    inside = jnp.logical_and(jnp.greater(x, 0), jnp.less(x, 6))
    return jnp.where(inside, x, jnp.where(jnp.greater_equal(x, 6), 6.0, 0.0))


def sigmoid(x: ArrayLike) -> Array:
    """The logistic function ``1 / (1 + exp(-x))``.

    >>> import ftrans.nn as nn
    >>> nn.sigmoid(0.0)
    array(0.5)
    """
    return lax.logistic(_float(x))


def softplus(x: ArrayLike) -> Array:
    """``log(1 + exp(x))``, computed as ``logaddexp(x, 0)`` (no overflow).

    >>> import ftrans.nn as nn
    >>> float(nn.softplus(1000.0))
    1000.0
    """
    return jnp.logaddexp(_float(x), 0.0)


def log_sigmoid(x: ArrayLike) -> Array:
    """``log(sigmoid(x)) = -softplus(-x)``.

    >>> import ftrans.nn as nn
    >>> float(nn.log_sigmoid(-1000.0))
    -1000.0
    """
    return jnp.negative(softplus(jnp.negative(_float(x))))


def soft_sign(x: ArrayLike) -> Array:
    """``x / (1 + |x|)``.

    >>> import ftrans.nn as nn
    >>> nn.soft_sign(1.0)
    array(0.5)
    """
    x = _float(x)
    return jnp.divide(x, jnp.add(jnp.abs(x), 1.0))


def silu(x: ArrayLike) -> Array:
    """``x * sigmoid(x)`` (also called swish).

    >>> import ftrans.nn as nn
    >>> nn.silu(0.0)
    array(0.)
    """
    x = _float(x)
    return jnp.multiply(x, sigmoid(x))


swish = silu


def gelu(x: ArrayLike, approximate: bool = True) -> Array:
    """The Gaussian error linear unit; the tanh approximation by default, as
    ``jax.nn.gelu``, or ``x * Phi(x)`` exactly with ``approximate=False``.

    >>> import ftrans.nn as nn
    >>> round(float(nn.gelu(1.0, approximate=False)), 6)
    0.841345
    """
    x = _float(x)
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        inner = jnp.multiply(c, jnp.add(x, jnp.multiply(0.044715, jnp.power(x, 3))))
        return jnp.multiply(jnp.multiply(0.5, x), jnp.add(1.0, jnp.tanh(inner)))
    phi = jnp.add(1.0, lax.erf(jnp.multiply(x, 1.0 / math.sqrt(2.0))))
    return jnp.multiply(jnp.multiply(0.5, x), phi)


def elu(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    >>> import numpy as np, ftrans.nn as nn
    >>> nn.elu(np.array([-1000.0, 2.0]))
    array([-1.,  2.])
    """
    x = _float(x)
    positive = jnp.greater(x, 0)
    safe = jnp.where(positive, 0.0, x)  # exp never sees large positive inputs
    return jnp.where(positive, x, jnp.multiply(alpha, jnp.expm1(safe)))


def celu(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``.

    >>> import ftrans.nn as nn
    >>> nn.celu(2.0)
    array(2.)
    """
    x = _float(x)
    positive = jnp.greater(x, 0)
    safe = jnp.where(positive, 0.0, x)
    return jnp.where(positive, x, jnp.multiply(alpha, jnp.expm1(jnp.divide(safe, alpha))))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: ArrayLike) -> Array:
    """The scaled exponential linear unit, ``scale * elu(x, alpha)``.

    >>> import ftrans.nn as nn
    >>> round(float(nn.selu(1.0)), 6)
    1.050701
    """
    return jnp.multiply(_SELU_SCALE, elu(x, _SELU_ALPHA))


def leaky_relu(x: ArrayLike, negative_slope: ArrayLike = 1e-2) -> Array:
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    >>> import numpy as np, ftrans.nn as nn
    >>> nn.leaky_relu(np.array([-2.0, 3.0]), 0.5)
    array([-1.,  3.])
    """
    x = _float(x)
    return jnp.where(jnp.greater_equal(x, 0), x, jnp.multiply(negative_slope, x))


def hard_tanh(x: ArrayLike) -> Array:
    """``x`` clipped to ``[-1, 1]``.

    >>> import numpy as np, ftrans.nn as nn
    >>> nn.hard_tanh(np.array([-3.0, 0.5]))
    array([-1. ,  0.5])
    """
    x = _float(x)
    return jnp.clip(x, -1.0, 1.0)


def tanh(x: ArrayLike) -> Array:
    """The hyperbolic tangent.

    >>> import ftrans.nn as nn
    >>> nn.tanh(0.0)
    array(0.)
    """
    return jnp.tanh(x)


def _shifted(x, axes):
    """``x - max(x)`` over ``axes`` (the max broadcast back), and the max with
    the same kept axes; infinite maxima are replaced by 0 so that all -inf
    rows do not produce NaN."""
    m = lax.stop_gradient(lax.reduce_max(x, axes))  # its derivative cancels exactly
    m = jnp.where(jnp.isfinite(m), m, 0.0)
    kept = tuple(i for i in range(len(_shape(x))) if i not in axes)
    m_b = lax.broadcast_in_dim(m, tuple(_shape(x)), kept)
    return jnp.subtract(x, m_b), m


def logsumexp(a: ArrayLike, axis: Axis = None, b: ArrayLike | None = None,
              keepdims: bool = False,
              return_sign: bool = False) -> Array | tuple[Array, Array]:
    """``log(sum(exp(a)))`` over ``axis``, computed stably (optionally
    ``log(sum(b * exp(a)))``).

    >>> import numpy as np, ftrans.nn as nn
    >>> round(float(nn.logsumexp(np.array([1000.0, 1000.0]))) - 1000.0, 6)
    0.693147
    """
    a = _float(a)
    shape = tuple(_shape(a))
    if b is not None:
        a, b = jnp.broadcast_arrays(a, jnp.asarray(b, _dtype(a)))
        shape = tuple(_shape(a))
    axes = _reduction_axes(axis, len(shape))
    if not axes:
        out = a if b is None else jnp.add(a, jnp.log(jnp.abs(b)))
        sign = np.ones(shape, _dtype(a)) if b is None else jnp.sign(b)
        return (out, sign) if return_sign else out
    if any(shape[i] == 0 for i in axes):
        out_shape = tuple(s for i, s in enumerate(shape) if i not in axes)
        out = np.full(out_shape, -np.inf, _dtype(a))
        if keepdims:
            out = out.reshape(tuple(1 if i in axes else s for i, s in enumerate(shape)))
        return (out, np.zeros_like(out)) if return_sign else out
    shifted, m = _shifted(a, axes)
    e = jnp.exp(shifted)
    if b is not None:
        e = jnp.multiply(e, b)
    total = lax.reduce_sum(e, axes)
    sign = None
    if b is not None:
        sign = jnp.sign(total)
        total = jnp.abs(total)
    out = jnp.add(jnp.log(total), m)
    if keepdims:
        keep = tuple(1 if i in axes else s for i, s in enumerate(shape))
        out = jnp.reshape(out, keep)
        sign = None if sign is None else jnp.reshape(sign, keep)
    if return_sign:
        return out, (np.ones(_shape(out), _dtype(out)) if sign is None else sign)
    if b is not None:
        out = jnp.where(jnp.less(sign, 0), np.nan, out)
    return out


def _shifted_exp(x, axis, where):
    """``(x - max x, exp(x - max x), axes)`` over ``axis``, entries outside
    ``where`` masked out (their exponential is 0): softmax's common part."""
    x = _float(x)
    if where is not None:
        x = jnp.where(where, x, -np.inf)
    axes = _reduction_axes(axis, len(_shape(x)))
    shifted, _ = _shifted(x, axes)
    e = jnp.exp(shifted)
    if where is not None:
        e = jnp.where(where, e, 0.0)
    return shifted, e, axes


def softmax(x: ArrayLike, axis: Axis = -1, where: ArrayLike | None = None) -> Array:
    """``exp(x) / sum(exp(x))`` over ``axis``, computed stably.

    >>> import numpy as np, ftrans.nn as nn
    >>> nn.softmax(np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
    """
    _, e, axes = _shifted_exp(x, axis, where)
    return jnp.divide(e, jnp.sum(e, axis=axes, keepdims=True))


def log_softmax(x: ArrayLike, axis: Axis = -1, where: ArrayLike | None = None) -> Array:
    """``x - logsumexp(x)`` over ``axis``, computed stably.

    >>> import numpy as np, ftrans.nn as nn
    >>> nn.log_softmax(np.array([0.0, 0.0])).round(4)
    array([-0.6931, -0.6931])
    """
    shifted, e, axes = _shifted_exp(x, axis, where)
    out = jnp.subtract(shifted, jnp.log(jnp.sum(e, axis=axes, keepdims=True)))
    if where is not None:
        out = jnp.where(where, out, -np.inf)
    return out


def one_hot(x: ArrayLike, num_classes: int, *, dtype: DTypeLike = np.float64,
            axis: int = -1) -> Array:
    """One-hot encoding of integer ``x``: a new axis of length ``num_classes``
    (out-of-range values give all zeros).

    >>> import numpy as np, ftrans.nn as nn
    >>> nn.one_hot(np.array([0, 2]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    x = jnp.asarray(x)
    nd = len(_shape(x)) + 1
    ax = axis % nd if -nd <= axis < nd else None
    if ax is None:
        raise np.exceptions.AxisError(f"one_hot: axis {axis} is out of bounds for the "
                                      f"output of rank {nd}")
    classes = np.arange(num_classes).reshape(
        tuple(num_classes if i == ax else 1 for i in range(nd)))
    expanded = jnp.expand_dims(x, ax)
    return jnp.asarray(jnp.equal(expanded, classes), dtype)


def standardize(x: ArrayLike, axis: Axis = -1, mean: ArrayLike | None = None,
                variance: ArrayLike | None = None, epsilon: ArrayLike = 1e-5) -> Array:
    """``(x - mean) / sqrt(variance + epsilon)`` over ``axis``.

    >>> import numpy as np, ftrans.nn as nn
    >>> nn.standardize(np.array([1.0, 3.0]), epsilon=0.0)
    array([-1.,  1.])
    """
    x = _float(x)
    if mean is None:
        mean = jnp.mean(x, axis, keepdims=True)
    if variance is None:
        variance = jnp.mean(jnp.square(jnp.subtract(x, mean)), axis, keepdims=True)
    return jnp.divide(jnp.subtract(x, mean), jnp.sqrt(jnp.add(variance, epsilon)))

