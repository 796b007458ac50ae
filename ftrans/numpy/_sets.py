"""Set operations of ftrans.numpy: ``unique`` (and ``unique_all``/``_counts``/
``_inverse``/``_values``), ``union1d``, ``intersect1d``, ``setdiff1d``,
``setxor1d``, ``isin``, and ``extract``.

Each sorts, marks the elements it keeps with a boolean mask, and gathers
them. Without ``size=`` the number of kept elements depends on the values,
so the arguments must be concrete (as in JAX); with ``size=`` the result has
that static length, padded with ``fill_value``, and everything works under
``jit`` and ``vmap``. Values are gathered, so derivatives flow to them.
"""

from __future__ import annotations

import builtins
from typing import NamedTuple

import numpy as np

from ftrans.core import get_aval
from ftrans.errors import ConcretizationError
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike

__all__ = ["unique", "unique_all", "unique_counts", "unique_inverse", "unique_values",
           "union1d", "intersect1d", "setdiff1d", "setxor1d", "isin", "extract"]


def _at(x):
    """``x.at`` for a traced or a plain numpy array (raw functions of the
    namespace may return ``numpy.ndarray``s, which have no ``.at``)."""
    from ftrans.array import leave
    from ftrans.tracing import Tracer as _T
    return (x if type(x) is _T else leave(np.asarray(x))).at


def _np():
    from ftrans.numpy import _ns as jnp
    return jnp


def _count(mask, size: int | None, name: str) -> int:
    """The static number of kept elements: ``size``, or the concrete count."""
    if size is not None:
        if not isinstance(size, (int, np.integer)) or size < 0:
            raise ValueError(f"{name}: size must be a non-negative int, got {size!r}")
        return int(size)
    if type(mask) is Tracer and mask.val is None:
        raise ConcretizationError(
            f"{name}: the number of elements of the result depends on the values of an "
            f"abstract array ({get_aval(mask).str_short()}); pass size= (and optionally "
            "fill_value=) for a result of static length under jit/vmap")
    return int(np.count_nonzero(np.asarray(mask.val if type(mask) is Tracer else mask)))


def _first_true(mask, size: int):
    """Positions of the first ``size`` True entries of the 1-D ``mask``, in order,
    and which of them are real (the rest point at 0)."""
    jnp = _np()
    n = get_aval(mask).shape[0]
    order = jnp.argsort(jnp.logical_not(mask), stable=True)
    if size > n:
        order = jnp.concatenate([order, jnp.zeros(size - n, order.dtype)])
    else:
        order = order[:size]
    valid = jnp.arange(size) < jnp.sum(mask)
    return jnp.where(valid, order, 0), valid


def _starts(s, equal_nan: bool = True):
    """Mask of the first element of each run of equal values of sorted ``s``."""
    jnp = _np()
    n = get_aval(s).shape[0]
    if n == 0:
        return jnp.zeros(0, bool)
    diff = s[1:] != s[:-1]
    if equal_nan and get_aval(s).dtype.kind in "fc":
        diff = jnp.logical_and(diff, jnp.logical_not(jnp.logical_and(jnp.isnan(s[1:]),
                                                                     jnp.isnan(s[:-1]))))
    return jnp.concatenate([jnp.ones(1, bool), diff])


def _gather(s, mask, size, fill_value, name, default_fill="first"):
    jnp = _np()
    k = _count(mask, size, name)
    if get_aval(s).shape[0] == 0:
        return jnp.full((k,), 0 if fill_value is None else fill_value, get_aval(s).dtype)
    idx, valid = _first_true(mask, k)
    vals = s[idx]
    if size is None:
        return vals
    if fill_value is None:
        fill_value = vals[0] if default_fill == "first" else 0
    return jnp.where(valid, vals, jnp.asarray(fill_value, get_aval(s).dtype))


def _sorted_flat(a):
    jnp = _np()
    x = jnp.ravel(jnp.asarray(a))
    order = jnp.argsort(x, stable=True)
    return x[order], order


class UniqueAllResult(NamedTuple):
    values: Array
    indices: Array
    inverse_indices: Array
    counts: Array


class UniqueCountsResult(NamedTuple):
    values: Array
    counts: Array


class UniqueInverseResult(NamedTuple):
    values: Array
    inverse_indices: Array


def _unique_rows(ar, axis, return_index, return_inverse, return_counts, size, fill_value):
    jnp = _np()
    x = jnp.moveaxis(jnp.asarray(ar), axis, 0)
    shape = get_aval(x).shape
    rows = jnp.reshape(x, (shape[0], -1))
    ncol = get_aval(rows).shape[1]
    from ftrans.numpy._more import lexsort
    order = lexsort([rows[:, j] for j in reversed(range(ncol))]) if ncol else \
        jnp.arange(shape[0])
    s = rows[order]
    n = shape[0]
    if n == 0:
        mask = jnp.zeros(0, bool)
    else:
        mask = jnp.concatenate([jnp.ones(1, bool), jnp.any(s[1:] != s[:-1], axis=1)])
    k = _count(mask, size, "unique")
    idx, valid = _first_true(mask, k)
    vals = s[idx]
    if size is not None:
        fill = vals[0] if fill_value is None else jnp.asarray(fill_value, get_aval(s).dtype)
        vals = jnp.where(valid[:, None], vals, fill)
    out_vals = jnp.moveaxis(jnp.reshape(vals, (k,) + shape[1:]), 0, axis)
    return _extras(out_vals, order, mask, idx, valid, n, k, return_index, return_inverse,
                   return_counts, None)


def _extras(vals, order, mask, idx, valid, n, k, return_index, return_inverse,
            return_counts, in_shape):
    jnp = _np()
    out = [vals]
    if return_index:
        out.append(jnp.where(valid, order[idx], order[0] if n else 0))
    if return_inverse:
        group = jnp.cumsum(mask) - 1
        inv = _at(jnp.zeros(n, np.int64))[order].set(group.astype(np.int64))
        out.append(inv if in_shape is None else jnp.reshape(inv, in_shape))
    if return_counts:
        nxt = jnp.concatenate([idx[1:], jnp.full((1,), n, idx.dtype)]) if k else idx
        last = jnp.arange(k) >= jnp.sum(mask) - 1
        nxt = jnp.where(last, n, nxt)
        out.append(jnp.where(valid, nxt - idx, 0))
    return vals if len(out) == 1 else tuple(out)


def unique(ar: ArrayLike, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None, *, equal_nan: bool = True,
           size: int | None = None, fill_value: ArrayLike | None = None,
           sorted: bool = True) -> Array | tuple[Array, ...]:  # noqa: A002
    """The sorted distinct values of ``ar`` (rows along ``axis`` if given), with
    optionally the first indices, the inverse and the counts, as
    ``jax.numpy.unique``. ``size=`` gives a static length (padded with
    ``fill_value``, default the smallest value; counts pad with 0).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.unique(np.array([3, 1, 3, 2]))
    array([1, 2, 3])
    >>> jnp.unique(np.array([3, 1, 3]), size=4, return_counts=True)
    (array([1, 3, 1, 1]), array([1, 2, 0, 0]))
    """
    jnp = _np()
    ar = jnp.asarray(ar)
    if axis is not None:
        nd = get_aval(ar).ndim
        if not -nd <= axis < nd:
            raise np.exceptions.AxisError(f"unique: axis {axis} is out of bounds for an "
                                          f"array of dimension {nd}")
        return _unique_rows(ar, axis % nd, return_index, return_inverse, return_counts, size,
                            fill_value)
    s, order = _sorted_flat(ar)
    n = get_aval(s).shape[0]
    mask = _starts(s, equal_nan)
    k = _count(mask, size, "unique")
    if n == 0:
        idx, valid = jnp.zeros(k, np.int64), jnp.zeros(k, bool)
        vals = jnp.full((k,), 0 if fill_value is None else fill_value, get_aval(s).dtype)
    else:
        idx, valid = _first_true(mask, k)
        vals = s[idx]
        if size is not None:
            fill = vals[0] if fill_value is None else jnp.asarray(fill_value, get_aval(s).dtype)
            vals = jnp.where(valid, vals, fill)
    return _extras(vals, order, mask, idx, valid, n, k, return_index, return_inverse,
                   return_counts, get_aval(ar).shape)


def unique_values(x: ArrayLike, /, *, size: int | None = None,
                  fill_value: ArrayLike | None = None) -> Array:
    """The sorted distinct values (array API).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.unique_values(np.array([2.0, 1.0, 2.0]))
    array([1., 2.])
    """
    return unique(x, size=size, fill_value=fill_value)


def unique_counts(x: ArrayLike, /, *, size: int | None = None,
                  fill_value: ArrayLike | None = None) -> UniqueCountsResult:
    """``(values, counts)`` of the distinct values (array API).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.unique_counts(np.array([2, 1, 2])).counts
    array([1, 2])
    """
    return UniqueCountsResult(*unique(x, return_counts=True, size=size, fill_value=fill_value))


def unique_inverse(x: ArrayLike, /, *, size: int | None = None,
                   fill_value: ArrayLike | None = None) -> UniqueInverseResult:
    """``(values, inverse_indices)``: ``values[inverse_indices]`` rebuilds ``x``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.unique_inverse(np.array([2, 1, 2])).inverse_indices
    array([1, 0, 1])
    """
    return UniqueInverseResult(*unique(x, return_inverse=True, size=size,
                                       fill_value=fill_value))


def unique_all(x: ArrayLike, /, *, size: int | None = None,
               fill_value: ArrayLike | None = None) -> UniqueAllResult:
    """``(values, indices, inverse_indices, counts)`` (array API).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.unique_all(np.array([2, 1, 2])).indices
    array([1, 0])
    """
    return UniqueAllResult(*unique(x, return_index=True, return_inverse=True,
                                   return_counts=True, size=size, fill_value=fill_value))


def isin(element: ArrayLike, test_elements: ArrayLike, assume_unique: bool = False,
         invert: bool = False, *, method: str = "auto") -> Array:
    """Whether each element of ``element`` is in ``test_elements`` (a sorted
    search), as ``numpy.isin``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.isin(np.array([1, 2, 3]), np.array([3, 1]))
    array([ True, False,  True])
    """
    jnp = _np()
    e = jnp.asarray(element)
    t = jnp.sort(jnp.ravel(jnp.asarray(test_elements)))
    if get_aval(t).shape[0] == 0:
        out = jnp.zeros(get_aval(e).shape, bool)
    else:
        pos = jnp.clip(jnp.searchsorted(t, e), 0, get_aval(t).shape[0] - 1)
        out = t[pos] == e
    return jnp.logical_not(out) if invert else out


def union1d(ar1: ArrayLike, ar2: ArrayLike, *, size: int | None = None,
            fill_value: ArrayLike | None = None) -> Array:
    """The sorted distinct values of both arrays.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.union1d(np.array([3, 1]), np.array([2, 1]))
    array([1, 2, 3])
    """
    jnp = _np()
    return unique(jnp.concatenate([jnp.ravel(jnp.asarray(ar1)), jnp.ravel(jnp.asarray(ar2))]),
                  size=size, fill_value=fill_value)


def _both(ar1, ar2):
    jnp = _np()
    a, b = jnp.ravel(jnp.asarray(ar1)), jnp.ravel(jnp.asarray(ar2))
    dt = jnp.result_type(a, b)
    return a.astype(dt), b.astype(dt)


def intersect1d(ar1: ArrayLike, ar2: ArrayLike, assume_unique: bool = False,
                return_indices: bool = False, *, size: int | None = None,
                fill_value: ArrayLike | None = None) -> Array | tuple[Array, Array, Array]:
    """The sorted distinct values in both arrays; with ``return_indices`` also
    the first index of each in ``ar1`` and in ``ar2``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.intersect1d(np.array([3, 1, 3, 2]), np.array([2, 3, 9]))
    array([2, 3])
    """
    jnp = _np()
    a, b = _both(ar1, ar2)
    s, order = _sorted_flat(a)
    mask = jnp.logical_and(_starts(s), isin(s, b))
    k = _count(mask, size, "intersect1d")
    if get_aval(s).shape[0] == 0:
        vals = jnp.full((k,), 0 if fill_value is None else fill_value, get_aval(s).dtype)
        idx, valid = jnp.zeros(k, np.int64), jnp.zeros(k, bool)
    else:
        idx, valid = _first_true(mask, k)
        vals = s[idx]
        if size is not None:
            fill = vals[0] if fill_value is None else jnp.asarray(fill_value, get_aval(s).dtype)
            vals = jnp.where(valid, vals, fill)
    if not return_indices:
        return vals
    ia = order[idx] if get_aval(s).shape[0] else idx
    sb, order_b = _sorted_flat(b)
    nb = get_aval(sb).shape[0]
    ib = order_b[jnp.clip(jnp.searchsorted(sb, vals), 0, builtins.max(nb - 1, 0))] \
        if nb else jnp.zeros(k, np.int64)
    if size is not None:
        ia, ib = jnp.where(valid, ia, ia[0] if k else 0), jnp.where(valid, ib, ib[0] if k else 0)
    return vals, ia, ib


def setdiff1d(ar1: ArrayLike, ar2: ArrayLike, assume_unique: bool = False, *,
              size: int | None = None, fill_value: ArrayLike | None = None) -> Array:
    """The sorted distinct values of ``ar1`` not in ``ar2`` (``size=`` pads with
    ``fill_value``, default 0, as JAX).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.setdiff1d(np.array([3, 1, 3, 2, 7]), np.array([2, 3]))
    array([1, 7])
    """
    jnp = _np()
    a, b = _both(ar1, ar2)
    s, _ = _sorted_flat(a)
    mask = jnp.logical_and(_starts(s), isin(s, b, invert=True))
    return _gather(s, mask, size, fill_value, "setdiff1d", default_fill="zero")


def setxor1d(ar1: ArrayLike, ar2: ArrayLike, assume_unique: bool = False, *,
             size: int | None = None, fill_value: ArrayLike | None = None) -> Array:
    """The sorted distinct values in exactly one of the arrays.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.setxor1d(np.array([3, 1, 2]), np.array([2, 3, 9]))
    array([1, 9])
    """
    jnp = _np()
    a, b = _both(ar1, ar2)
    s, _ = _sorted_flat(jnp.concatenate([a, b]))
    mask = jnp.logical_and(_starts(s), jnp.logical_xor(isin(s, a), isin(s, b)))
    return _gather(s, mask, size, fill_value, "setxor1d")


def extract(condition: ArrayLike, arr: ArrayLike, *, size: int | None = None,
            fill_value: ArrayLike = 0) -> Array:
    """The elements of ``ravel(arr)`` where ``ravel(condition)`` is true, in order
    (``size=``: a static length, padded with ``fill_value``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.extract(np.array([1, 0, 1]), np.array([4.0, 5.0, 6.0]))
    array([4., 6.])
    """
    jnp = _np()
    c = jnp.ravel(jnp.asarray(condition)).astype(bool)
    a = jnp.ravel(jnp.asarray(arr))
    if get_aval(c).shape != get_aval(a).shape:
        raise ValueError(f"extract: condition has {get_aval(c).shape[0]} elements and arr "
                         f"{get_aval(a).shape[0]}; they must match")
    k = _count(c, size, "extract")
    if get_aval(a).shape[0] == 0:
        return jnp.full((k,), fill_value, get_aval(a).dtype)
    idx, valid = _first_true(c, k)
    vals = a[idx]
    return vals if size is None else jnp.where(valid, vals,
                                               jnp.asarray(fill_value, get_aval(a).dtype))
