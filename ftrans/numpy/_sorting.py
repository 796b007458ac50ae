"""Sorting in ftrans.numpy: ``sort``, ``argsort``, ``searchsorted``, and the
order statistics built on them: ``median``, ``quantile``, ``percentile``.

Two primitives do the work, ``argsort`` and ``searchsorted`` (integer
results, zero derivative); the rest are compositions. ``sort`` gathers the
operand with the sorting permutation, so its derivative permutes the tangent
in the same way, as in JAX. ``median`` and ``quantile`` bring the reduced
axes to the front as one axis, sort along it, gather at positions computed
in numpy from the static ``q``, and interpolate as numpy does: the gradient
goes to the one or two order statistics each result is made of.
"""

from __future__ import annotations

import numpy as np

from ftrans import lax
from ftrans.dtypes import to_inexact
from ftrans.numpy._reductions import _normalize_axis, _reduction_axes, mean
from ftrans.numpy._ufuncs import (_dtype, _dtype_arg, _leaves, _shape, add, asarray,
                                  isnan, multiply, subtract, where)
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike, Axis

__all__ = ["sort", "argsort", "searchsorted", "median", "quantile", "percentile"]

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _permute(x, perm, axis: int):
    """``x`` reordered along ``axis`` by ``perm`` (a permutation along that
    axis, so in range): one gather from the flattened array."""
    shape = _shape(x)
    if len(shape) == 1:
        return lax.gather(x, perm, 0)
    size = int(np.prod(shape, dtype=np.int64))
    stride = int(np.prod(shape[axis + 1:], dtype=np.int64))
    flat = np.arange(size, dtype=np.int64).reshape(shape)
    # each entry's flat position with its coordinate along `axis` set to 0
    base = flat - (flat // stride % shape[axis]) * stride
    offsets = perm if stride == 1 else lax.mul(perm, np.int64(stride))
    return lax.gather(lax.reshape(x, (size,)), lax.add(offsets, base), 0)


def _sort_operand(name, a, axis, order):
    if order is not None:
        raise NotImplementedError(f"{name}: the `order` argument (sorting structured "
                                  "arrays by field) is not supported")
    a = asarray(a)
    if axis is None:
        return lax.reshape(a, (int(np.prod(_shape(a), dtype=np.int64)),)), 0
    return a, _normalize_axis(axis, len(_shape(a)))


def argsort(a: ArrayLike, axis: int | None = -1, kind: str | None = None,
            order: None = None, *, stable: bool = True, descending: bool = False) -> Array:
    """The indices that sort ``a`` along ``axis`` (flattened if None), as
    ``numpy.argsort``. The sort is always stable: tied entries keep their
    order, also with ``descending=True`` (as JAX). NaNs sort last (first when
    descending). The result is an integer array, so it has no derivative.

    >>> import ftrans.numpy as jnp
    >>> jnp.argsort([3.0, 1.0, 2.0]), jnp.argsort([1.0, 2.0, 1.0], descending=True)
    (array([1, 2, 0]), array([1, 0, 2]))
    """
    a, ax = _sort_operand("argsort", a, axis, order)
    return lax.argsort(a, ax, descending=descending)


def sort(a: ArrayLike, axis: int | None = -1, kind: str | None = None, order: None = None,
         *, stable: bool = True, descending: bool = False) -> Array:
    """``a`` sorted along ``axis`` (flattened if None), as ``numpy.sort``. Its
    derivative applies the sorting permutation to the tangent (as JAX), so
    the gradient of the k-th smallest entry is one at that entry.

    >>> import ftrans, ftrans.numpy as jnp
    >>> jnp.sort([[3.0, 1.0, 2.0]]), jnp.sort([3.0, 1.0, 2.0], descending=True)
    (array([[1., 2., 3.]]), array([3., 2., 1.]))
    >>> ftrans.grad(lambda x: jnp.sort(x)[-1])(jnp.array([3.0, 1.0, 2.0]))
    array([1., 0., 0.])
    """
    a, ax = _sort_operand("sort", a, axis, order)
    return _permute(a, lax.argsort(a, ax, descending=descending), ax)


def searchsorted(a: ArrayLike, v: ArrayLike, side: str = "left",
                 sorter: ArrayLike | None = None, *, method: str | None = None) -> Array:
    """The indices at which ``v`` would be inserted into the ascending 1-D ``a``
    to keep it sorted: before equal entries (``side="left"``) or after them
    (``"right"``), as ``numpy.searchsorted``. ``sorter`` (the permutation that
    sorts ``a``) reads ``a`` in that order. Integer result, no derivative.

    >>> import ftrans.numpy as jnp
    >>> jnp.searchsorted([1.0, 2.0, 2.0, 3.0], [2.0, 0.0, 9.0])
    array([1, 0, 4])
    >>> jnp.searchsorted([1.0, 2.0, 2.0, 3.0], 2.0, side="right")
    array(3)
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    dtype = np.result_type(_dtype_arg(a), _dtype_arg(v))
    a, v = asarray(a, dtype), asarray(v, dtype)
    if len(_shape(a)) != 1:
        raise ValueError(f"searchsorted: a must be 1-D, got an array of shape "
                         f"{_shape(a)}")
    if sorter is not None:
        from ftrans.numpy._indexing import take
        a = take(a, sorter)
    return lax.searchsorted(a, v, side)


# --- median, quantile, percentile --------------------------------------------------------

def _reduced_first(name, a, axis):
    """``a`` with the axes reduced over merged into one leading axis: returns
    it, the shape of the other axes, and the ``keepdims`` shape."""
    a = asarray(a)
    if np.dtype(_dtype(a)).kind == "c":
        raise TypeError(f"{name}: a must be an array of real numbers, got "
                        f"{np.dtype(_dtype(a))}")
    shape = _shape(a)
    axes = _reduction_axes(axis, len(shape))
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    rest = tuple(shape[i] for i in kept)
    n = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    if axes + kept != tuple(range(len(shape))):
        a = lax.transpose(a, axes + kept)
    if len(axes) != 1:
        a = lax.reshape(a, (n,) + rest)
    keep_shape = tuple(1 if i in axes else s for i, s in enumerate(shape))
    return a, rest, keep_shape


def _propagate_nan(out, s):
    """NaN where the slice had one (NaNs sort last, so look at the last entry)."""
    if not np.issubdtype(_dtype(s), np.inexact):
        return out
    n = _shape(s)[0]
    last = lax.reshape(lax.slice(s, (n - 1,) + (0,) * (len(_shape(s)) - 1), _shape(s)),
                       _shape(s)[1:])
    return where(isnan(last), np.asarray(np.nan, _dtype(out)), out)


def median(a: ArrayLike, axis: Axis = None, out: None = None, overwrite_input: bool = False,
           keepdims: bool = False) -> Array:
    """The median over ``axis`` (an int, a tuple, or None for all), as
    ``numpy.median``: the middle entry of the sorted values, or the mean of
    the two middle ones. Differentiable: the gradient goes to the middle
    entry, or half to each of the two.

    >>> import ftrans, ftrans.numpy as jnp
    >>> jnp.median([3.0, 1.0, 2.0]), jnp.median([[4.0, 1.0, 3.0, 2.0]], axis=1)
    (array(2.), array([2.5]))
    >>> ftrans.grad(jnp.median)(jnp.array([4.0, 1.0, 3.0, 2.0]))
    array([0. , 0. , 0.5, 0.5])
    """
    if out is not None:
        raise NotImplementedError("median: the `out` argument is not supported")
    x, rest, keep_shape = _reduced_first("median", a, axis)
    n = _shape(x)[0]
    if n == 0:
        result = np.full(rest, np.nan, np.result_type(_dtype(x), 1.0))
    else:
        s = sort(x, axis=0)
        middle = lax.slice(s, ((n - 1) // 2,) + (0,) * len(rest), (n // 2 + 1,) + rest)
        if n % 2:
            middle = asarray(lax.reshape(middle, rest), to_inexact(_dtype(middle)))
        else:
            middle = mean(middle, axis=0)
        result = _propagate_nan(middle, s)
    return lax.reshape(result, keep_shape) if keepdims else asarray(result)


def _static_q(name, q, percent: bool) -> np.ndarray:
    if type(q) is Tracer or (isinstance(q, (list, tuple)) and
                             any(type(e) is Tracer for e in _leaves(q))):
        aval = q.aval.str_short() if type(q) is Tracer else "a list of traced values"
        raise TypeError(
            f"{name}: q must be concrete (a Python number or a numpy array), got a "
            f"traced array ({aval}); the positions q selects are computed when "
            "tracing. Pass q from outside the transformed function (or mark it "
            "static with static_argnums); gradients with respect to q are not "
            "supported.")
    q = np.asarray(q)
    if q.dtype.kind not in "iuf":
        raise TypeError(f"{name}: q must be real numbers, got {q.dtype}")
    if percent:
        q = np.true_divide(q, 100)
    if not ((q >= 0) & (q <= 1)).all():
        what = "Percentiles must be in the range [0, 100]" if percent else \
            "Quantiles must be in the range [0, 1]"
        raise ValueError(f"{name}: {what}")
    return q


def _positions(q: np.ndarray, n: int, method: str):
    """numpy's positions for ``q``: indices ``lo``, ``hi`` and weights
    ``gamma`` of the two order statistics to interpolate (``gamma`` is None
    when the method picks one entry)."""
    vi = (n - 1) * q
    if method in ("lower", "higher", "nearest") or (method == "linear" and
                                                    vi.dtype.kind in "iu"):
        pick = {"lower": np.floor, "higher": np.ceil, "nearest": np.around}
        idx = pick.get(method, np.asarray)(vi).astype(np.int64)
        return idx, idx, None
    if method == "midpoint":
        vi = 0.5 * (np.floor(vi) + np.ceil(vi))
    lo = np.floor(vi)
    gamma = vi - lo
    if method == "midpoint":
        gamma = np.where(vi % 1 == 0, 0.0, 0.5).astype(vi.dtype)
    lo = lo.astype(np.int64)
    hi = lo + 1
    at_end = vi >= n - 1
    lo, hi = np.where(at_end, n - 1, lo), np.where(at_end, n - 1, hi)
    return lo, hi, gamma


def _lerp(lo, hi, gamma: np.ndarray):
    """``lo + (hi - lo) * gamma``, from the ``hi`` end where ``gamma >= 0.5``
    (numpy's formula, so results agree to the last bit)."""
    diff = subtract(hi, lo)
    near_hi = gamma >= 0.5
    from_lo = None if near_hi.all() else add(lo, multiply(diff, gamma))
    from_hi = None if not near_hi.any() else subtract(hi, multiply(diff, 1 - gamma))
    if from_lo is None or from_hi is None:
        return from_hi if from_lo is None else from_lo
    return where(near_hi, from_hi, from_lo)


def _quantile(name, a, q, axis, method, keepdims, percent):
    weak_q = type(q) in (int, float)
    q = _static_q(name, q, percent)
    if method not in _METHODS:
        raise ValueError(f"{name}: method {method!r} is not supported; use one of "
                         f"{', '.join(_METHODS)}")
    x, rest, keep_shape = _reduced_first(name, a, axis)
    n = _shape(x)[0]
    if n == 0:
        raise ValueError(f"{name}: cannot take a quantile over an empty axis")
    s = sort(x, axis=0)
    lo, hi, gamma = _positions(q, n, method)
    expand = q.shape + (1,) * len(rest)  # q's axes come first, as in numpy
    out = lax.gather(s, lo, 0)
    if gamma is not None:
        dtype = np.result_type(_dtype(s), 1.0 if weak_q else gamma.dtype)
        gamma = gamma.astype(dtype).reshape(expand)
        if gamma.any():  # as numpy: the difference in a's dtype, then promoted
            out = _lerp(out, lax.gather(s, hi, 0), gamma)
        else:
            out = asarray(out, dtype)
    out = _propagate_nan(out, s)
    return lax.reshape(out, q.shape + keep_shape) if keepdims else asarray(out)


def quantile(a: ArrayLike, q: ArrayLike, axis: Axis = None, out: None = None,
             overwrite_input: bool = False, method: str = "linear",
             keepdims: bool = False) -> Array:
    """The ``q``-th quantiles over ``axis``, as ``numpy.quantile`` with methods
    ``linear`` (the default), ``lower``, ``higher``, ``nearest`` and
    ``midpoint``. ``q`` (in [0, 1]) must be concrete; its axes come first in
    the result. Differentiable in ``a``: the gradient goes to the one or two
    sorted entries each quantile interpolates.

    >>> import ftrans.numpy as jnp
    >>> jnp.quantile([1.0, 2.0, 3.0, 4.0], 0.25)
    array(1.75)
    >>> jnp.quantile([[1.0, 4.0], [3.0, 2.0]], [0.0, 0.5], axis=1)
    array([[1. , 2. ],
           [2.5, 2.5]])
    """
    if out is not None:
        raise NotImplementedError("quantile: the `out` argument is not supported")
    return _quantile("quantile", a, q, axis, method, keepdims, percent=False)


def percentile(a: ArrayLike, q: ArrayLike, axis: Axis = None, out: None = None,
               overwrite_input: bool = False, method: str = "linear",
               keepdims: bool = False) -> Array:
    """The ``q``-th percentiles (``q`` in [0, 100], concrete) over ``axis``,
    as ``numpy.percentile``: ``quantile`` of ``q / 100``.

    >>> import ftrans.numpy as jnp
    >>> jnp.percentile([1.0, 2.0, 3.0, 4.0], [50, 100])
    array([2.5, 4. ])
    """
    if out is not None:
        raise NotImplementedError("percentile: the `out` argument is not supported")
    return _quantile("percentile", a, q, axis, method, keepdims, percent=True)
