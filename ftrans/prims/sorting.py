"""Sorting: the permutation that sorts an array, and where values would go in
a sorted one.

Both primitives return integers, so their tangent is zero. Everything else
about sorting is built on them in ``ftrans.numpy``: ``sort`` gathers the
operand with ``argsort``'s permutation, so its derivative is the same
permutation of the tangent (as in JAX), and ``median``/``quantile`` gather
the sorted array at static positions and interpolate.

Under ``vmap`` ``argsort`` sorts along its axis renumbered past the batch;
``searchsorted`` over a batch of values is one search of more values, and
over a batch of sorted arrays a binary search written with gathers and
comparisons, all examples at once.
"""

from __future__ import annotations

import numpy as np

from ftrans.core import Primitive, ShapedArray, get_aval
from ftrans.prims._batching import at_dim, fold_batch, shift_axis
from ftrans.prims._families import def_zero_jvp, exports
from ftrans.prims.elementwise import (add, bitwise_and, bitwise_or, convert_element_type, eq,
                                      le, lt, min as min_, ne, select_n)
from ftrans.prims.reductions import _axis
from ftrans.prims.shape import broadcast_in_dim, full, gather
from ftrans.typing import Array, ArrayLike, DTypeLike



def _check_index_dtype(name, index_dtype, n: int) -> None:
    dtype = np.dtype(index_dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"{name}: index_dtype must be an integer dtype, got {dtype}")
    if n > np.iinfo(dtype).max:
        raise TypeError(f"{name}: index_dtype {dtype} cannot hold the index {n}; "
                        "use np.int64")


# --- argsort -------------------------------------------------------------------------

argsort_p = Primitive("argsort")


def argsort(x: ArrayLike, axis: int, descending: bool = False,
            index_dtype: DTypeLike = np.int64) -> Array:
    """The permutation that stably sorts ``x`` along ``axis``: ties keep their
    original order, ascending or (with ``descending``) descending. NaNs sort
    last ascending, first descending.

    >>> argsort(np.array([3., 1., 2., 1.]), 0), argsort(np.array([3., 1., 2., 1.]), 0, True)
    (array([1, 3, 2, 0]), array([0, 2, 1, 3]))
    """
    return argsort_p.bind(x, axis=_axis(x, axis, "argsort"), descending=bool(descending),
                          index_dtype=np.dtype(index_dtype))


@argsort_p.def_impl
def _argsort_impl(x, axis, descending, index_dtype):
    x = np.asarray(x)
    if not descending:
        return np.argsort(x, axis=axis, kind="stable").astype(index_dtype)
    # A stable ascending sort of the reversed operand lists tied entries last
    # first; reversing that order gives descending values with ties in their
    # original order, once positions in the reversed operand are mapped back.
    perm = np.flip(np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)
    return (x.shape[axis] - 1 - perm).astype(index_dtype)


@argsort_p.def_cost
def _argsort_cost(x, axis, descending, index_dtype):
    n = x.shape[axis]  # comparisons of a sort: n log2 n per sorted row
    return dict(flops=int(np.prod(x.shape, dtype=np.int64)) * max(1, int(np.ceil(np.log2(max(n, 2))))),
                transcendentals=0)


@argsort_p.def_abstract_eval
def _argsort_abstract_eval(x, axis, descending, index_dtype):
    if not 0 <= axis < x.ndim:
        raise ValueError(f"argsort: axis {axis} is out of bounds for {x.str_short()}")
    _check_index_dtype("argsort", index_dtype, max(x.shape[axis] - 1, 0))
    return ShapedArray(x.shape, index_dtype)


@argsort_p.def_batch
def _argsort_batch(axis_size, args, dims, axis, descending, index_dtype):
    (x,), (d,) = args, dims
    return argsort_p.bind(x, axis=shift_axis(axis, d), descending=descending,
                          index_dtype=index_dtype), d


def_zero_jvp(argsort_p)


# --- searchsorted ----------------------------------------------------------------------

searchsorted_p = Primitive("searchsorted")


def searchsorted(sorted_arr: ArrayLike, values: ArrayLike, side: str = "left",
                 index_dtype: DTypeLike = np.int64) -> Array:
    """For each of ``values``, the index in the ascending 1-D ``sorted_arr``
    where it would be inserted to keep it sorted: before equal entries
    (``side="left"``) or after them (``"right"``), as ``np.searchsorted``.

    >>> searchsorted(np.array([1., 2., 2., 3.]), np.array([2., 0., 9.]))
    array([1, 0, 4])
    >>> searchsorted(np.array([1., 2., 2., 3.]), np.array(2.), side="right")
    array(3)
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    return searchsorted_p.bind(sorted_arr, values, side=side,
                               index_dtype=np.dtype(index_dtype))


@searchsorted_p.def_impl
def _searchsorted_impl(sorted_arr, values, side, index_dtype):
    return np.asarray(np.searchsorted(sorted_arr, values, side=side)).astype(index_dtype)


@searchsorted_p.def_cost
def _searchsorted_cost(sorted_arr, values, side, index_dtype):
    n = sorted_arr.shape[0]  # a binary search per value
    return dict(flops=int(np.prod(values.shape, dtype=np.int64)) * max(1, int(np.ceil(np.log2(max(n, 2))))),
                transcendentals=0)


@searchsorted_p.def_abstract_eval
def _searchsorted_abstract_eval(sorted_arr, values, side, index_dtype):
    if sorted_arr.ndim != 1:
        raise TypeError(f"searchsorted: the sorted array must be 1-D, got "
                        f"{sorted_arr.str_short()}")
    if sorted_arr.dtype != values.dtype:
        raise TypeError(f"searchsorted: operands must have the same dtype, got "
                        f"{sorted_arr.str_short()} and {values.str_short()}; promote "
                        "first (ftrans.numpy does this for you)")
    _check_index_dtype("searchsorted", index_dtype, sorted_arr.shape[0])
    return ShapedArray(values.shape, index_dtype)


@searchsorted_p.def_batch
def _searchsorted_batch(axis_size, args, dims, side, index_dtype):
    (sorted_arr, values), (d_sorted, d_values) = args, dims
    if d_sorted is None:  # one sorted array for all: the values' batch is an index axis
        return searchsorted_p.bind(sorted_arr, values, side=side,
                                   index_dtype=index_dtype), d_values
    kind = get_aval(sorted_arr).dtype.kind
    if kind == "c":
        raise NotImplementedError(
            "vmap of searchsorted over a batch of sorted complex arrays is not "
            "implemented (numpy's order of complex NaNs is not a comparison "
            "primitive); map over the values only, or loop over the sorted arrays")
    # A binary search of each example's array, all examples at once: the answer
    # is the length of the prefix whose entries go before the value, found bit
    # by bit from the highest, each step reading the example's entry from the
    # batch of arrays folded into one axis.
    n = get_aval(sorted_arr).shape[1 - d_sorted]
    flat = fold_batch(sorted_arr, d_sorted, 0, axis_size)
    values = at_dim(values, d_values, axis_size)
    shape = get_aval(values).shape
    # "before" in numpy's order, where NaN sorts after every number
    v_nan = ne(values, values) if kind == "f" else None
    if side == "left":  # entry < value
        def before(e):
            return lt(e, values) if v_nan is None else bitwise_or(
                lt(e, values), bitwise_and(v_nan, eq(e, e)))
    else:  # entry <= value
        def before(e):
            return le(e, values) if v_nan is None else bitwise_or(le(e, values), v_nan)
    offsets = broadcast_in_dim(np.arange(axis_size, dtype=np.int64) * n, shape, (0,))
    count, n_1 = full(shape, 0, np.int64), np.int64(n - 1)
    for k in reversed(range(n.bit_length())):
        last = add(count, np.int64(2 ** k - 1))  # the last entry of the longer prefix
        entry = gather(flat, add(offsets, min_(last, n_1)), 0)
        count = select_n(bitwise_and(le(last, n_1), before(entry)), count,
                         add(last, np.int64(1)))
    return convert_element_type(count, index_dtype), 0


def_zero_jvp(searchsorted_p)


__all__ = exports(globals())  # the public functions above: ftrans.lax exports them
