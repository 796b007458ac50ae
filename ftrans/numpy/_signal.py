"""Discrete convolution and correlation (``jnp.convolve``, ``jnp.correlate``).

No primitive of their own: the inputs are padded, the sliding windows of the
padded signal are gathered into one patch array (one ``gather`` per axis) and
contracted with the kernel by one ``dot_general``. Both are differentiable in
either argument through those primitives' rules, batch under ``vmap`` and
compile under ``jit``. ``_sliding_dot`` is N-d and is shared with
``ftrans.scipy.signal``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ftrans.numpy import _indexing, _linalg_ops, _shape, _ufuncs
from ftrans.typing import Array, ArrayLike, DTypeLike

__all__ = ["convolve", "correlate"]

_MODES = ("full", "same", "valid")


_PATCH_LIMIT = 1 << 22  # elements of the patch array before switching to shifted slices


def _sliding_dot(x, w, pads):
    """``out[i] = sum_k xp[i + k] * w[k]`` over every axis, where ``xp`` is
    ``x`` zero-padded by ``pads`` (one ``(lo, hi)`` per axis).

    Small problems gather all windows at once (memory ``out.size * w.size``,
    three equations); large ones add one shifted slice per kernel entry
    (memory ``out.size``, ``O(w.size)`` equations)."""
    if any(lo or hi for lo, hi in pads):
        x = _shape.pad(x, pads)
    nd = len(pads)
    out_shape = tuple(n - m + 1 for n, m in zip(x.shape, w.shape))
    if int(np.prod(out_shape)) * int(np.prod(w.shape)) > _PATCH_LIMIT:
        return _shifted_sum(x, w, out_shape)
    for d in reversed(range(nd)):  # last axis first: earlier axes keep their positions
        m = w.shape[d]
        n_out = x.shape[d] - m + 1
        idx = np.arange(n_out)[:, None] + np.arange(m)[None, :]
        x = _indexing.take(x, idx, axis=d)  # axis d -> (n_out, m)
    return _linalg_ops.tensordot(x, w, axes=(tuple(range(1, 2 * nd, 2)), tuple(range(nd))))


def _shifted_sum(x, w, out_shape):
    total = None
    for k in np.ndindex(*w.shape):
        window = x[tuple(slice(kd, kd + od) for kd, od in zip(k, out_shape))]
        term = window * w[k]
        total = term if total is None else total + term
    return total


def _conv_pads(n_shape, m_shape, mode):
    """Padding of the signal for a correlation with a flipped kernel that gives
    the ``mode`` part of the full convolution (``same``: centred like numpy's)."""
    pads = []
    for n, m in zip(n_shape, m_shape):
        if mode == "full":
            pads.append((m - 1, m - 1))
        elif mode == "same":
            start = (m - 1) // 2
            pads.append((m - 1 - start, start))
        else:
            pads.append((0, 0))
    return pads


def _check_mode(name, mode):
    if mode not in _MODES:
        raise ValueError(f"{name}: mode must be one of {_MODES}, got {mode!r}")


def _convolve_nd(name, in1, in2, mode):
    """The N-d convolution of ``in1`` and ``in2`` (equal ranks, no swapping)."""
    _check_mode(name, mode)
    in1, in2 = _promote_keep(name, in1, in2)
    if in1.ndim != in2.ndim:
        raise ValueError(f"{name}: in1 and in2 must have the same number of dimensions, "
                         f"got shapes {tuple(in1.shape)} and {tuple(in2.shape)}")
    if 0 in in1.shape or 0 in in2.shape:
        raise ValueError(f"{name}: inputs must not be empty, got shapes "
                         f"{tuple(in1.shape)} and {tuple(in2.shape)}")
    if mode == "valid" and any(n < m for n, m in zip(in1.shape, in2.shape)):
        raise ValueError(f"{name}: in 'valid' mode in1 must be at least as large as in2 "
                         f"in every dimension, got shapes {tuple(in1.shape)} and "
                         f"{tuple(in2.shape)}")
    flipped = _shape.flip(in2) if in2.ndim else in2
    if in1.ndim == 0:
        return _ufuncs.multiply(in1, in2)
    return _sliding_dot(in1, flipped, _conv_pads(in1.shape, in2.shape, mode))


def _promote_keep(name, a, b):
    # promote to one dtype, keeping each operand's own shape
    dtype = _ufuncs.result_type(a, b)
    return _ufuncs.asarray(a, dtype=dtype), _ufuncs.asarray(b, dtype=dtype)


def _check_1d(name, a, v):
    a, v = _promote_keep(name, a, v)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"{name}: a and v must be 1-d, got shapes {tuple(a.shape)} "
                         f"and {tuple(v.shape)}")
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError(f"{name}: a and v must not be empty, got shapes "
                         f"{tuple(a.shape)} and {tuple(v.shape)}")
    return a, v


def convolve(a: ArrayLike, v: ArrayLike, mode: str = "full", *, precision: Any = None,
             preferred_element_type: DTypeLike | None = None) -> Array:
    """The discrete linear convolution of two 1-d arrays (as ``numpy.convolve``).

    ``mode`` is ``"full"`` (length ``N + M - 1``), ``"same"`` (length
    ``max(N, M)``, centred) or ``"valid"`` (length ``max(N, M) - min(N, M) + 1``).
    Differentiable in both arguments. ``precision`` is accepted for JAX
    compatibility (numpy computes at the operands' precision);
    ``preferred_element_type`` is the result's dtype.

    >>> import ftrans.numpy as jnp
    >>> jnp.convolve(jnp.array([1.0, 2.0, 3.0]), jnp.array([0.0, 1.0, 0.5]))
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> jnp.convolve(jnp.array([1.0, 2.0, 3.0]), jnp.array([0.0, 1.0, 0.5]), mode="same")
    array([1. , 2.5, 4. ])
    """
    _check_mode("convolve", mode)
    a, v = _check_1d("convolve", a, v)
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    return _as_type(_convolve_nd("convolve", a, v, mode), preferred_element_type)


def correlate(a: ArrayLike, v: ArrayLike, mode: str = "valid", *, precision: Any = None,
              preferred_element_type: DTypeLike | None = None) -> Array:
    """The cross-correlation of two 1-d arrays (as ``numpy.correlate``):
    ``c[k] = sum_n a[n + k] * conj(v[n])``, default mode ``"valid"``.

    >>> import ftrans.numpy as jnp
    >>> jnp.correlate(jnp.array([1.0, 2.0, 3.0]), jnp.array([0.0, 1.0, 0.5]), mode="full")
    array([0.5, 2. , 3.5, 3. , 0. ])
    """
    _check_mode("correlate", mode)
    a, v = _check_1d("correlate", a, v)
    swapped = v.shape[0] > a.shape[0]
    if swapped:
        a, v = v, a
    out = _convolve_nd("correlate", a, _shape.flip(_ufuncs.conj(v)), mode)
    if swapped:  # numpy: correlate(v, a) reversed and conjugated
        out = _shape.flip(_ufuncs.conj(out))
    return _as_type(out, preferred_element_type)


def _as_type(x, dtype):
    return x if dtype is None else _ufuncs.astype(x, dtype)
