"""Reductions: sums, maxima, minima, products, arg-reductions, cumulative
sums, products, maxima and minima.

The primitives take ``axes`` as static, normalized (non-negative, sorted)
tuples; the functional forms below normalize what they are given. Sums are
linear (their transpose is a broadcast); maxima and minima pass the tangent
of the winning entries; products differentiate through a tree of pairwise
multiplications, so zeros in the operand need no special case; cumulative
products, maxima and minima likewise differentiate through a prefix scan of
their binary operation.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ftrans.ad_util import Zero
from ftrans.core import get_aval
from ftrans.prims._families import (arg_reduction, cumulative, def_linear, exports,
                                    keep_dims, reduce_extremum, reduction)
from ftrans.prims.elementwise import add, max_p, min_p, mul, mul_p
from ftrans.prims.shape import broadcast_in_dim, pad, reshape, slice, transpose
from ftrans.typing import Array, ArrayLike, DTypeLike



def _axes(x, axes, name) -> tuple:
    """``axes`` (an int or a sequence, negative allowed) as a sorted tuple."""
    ndim = get_aval(x).ndim
    axes = (axes,) if np.ndim(axes) == 0 else tuple(axes)
    out = []
    for a in axes:
        if not -ndim <= int(a) < ndim:
            raise ValueError(f"{name}: axis {a} is out of bounds for an array of "
                             f"rank {ndim}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: repeated axis in {axes}")
    return tuple(sorted(out))


def _axis(x, axis, name) -> int:
    return _axes(x, (axis,), name)[0]


# --- reduce_sum ------------------------------------------------------------------

def _reduce_sum_impl(x, axes):
    return np.sum(x, axis=axes, dtype=x.dtype)


reduce_sum_p = reduction("reduce_sum", _reduce_sum_impl)


def _typed_reduction_emit(fn: str):
    """The emit rule of a reduction computed as ``fn(x, axis, dtype=x's)``,
    as its impl does."""
    def _typed_reduction(ctx, out_names, in_exprs, axes):
        return (f"{out_names[0]} = {fn}({in_exprs[0]}, axis={axes}, "
                f"dtype=np.{ctx.in_avals[0].dtype.name})")
    _typed_reduction.fresh = True  # a new array, never a view
    return _typed_reduction


reduce_sum_p.def_emit(_typed_reduction_emit("np.sum"))


def_linear(reduce_sum_p)


def reduce_sum(x: ArrayLike, axes: Sequence[int]) -> Array:
    """The sum over ``axes``.

    >>> reduce_sum(np.ones((2, 3)), (1,))
    array([3., 3.])
    """
    return reduce_sum_p.bind(x, axes=_axes(x, axes, "reduce_sum"))


@reduce_sum_p.def_transpose
def _reduce_sum_transpose(ct, x, axes):
    return [broadcast_in_dim(ct, x.aval.shape, keep_dims(x.aval.shape, axes))]


# --- reduce_max, reduce_min ------------------------------------------------------------

def _extremum(fn, x, axes, lowest: bool):
    """``fn`` over ``axes``; an empty reduction gives the identity (-inf / +inf)."""
    x = x if hasattr(x, "__array_function__") else np.asarray(x)  # dask passes
    if x.size or not any(x.shape[a] == 0 for a in axes):
        return fn(x, axis=axes)
    if x.dtype.kind == "f":
        ident = -np.inf if lowest else np.inf
    elif x.dtype == np.bool_:
        ident = not lowest
    else:
        info = np.iinfo(x.dtype)
        ident = info.min if lowest else info.max
    return fn(x, axis=axes, initial=ident)


def _reduce_max_impl(x, axes):
    return _extremum(np.max, x, axes, lowest=True)


def _reduce_min_impl(x, axes):
    return _extremum(np.min, x, axes, lowest=False)


reduce_max_p = reduce_extremum("reduce_max", _reduce_max_impl)
reduce_min_p = reduce_extremum("reduce_min", _reduce_min_impl)


def _extremum_emit(fn):
    def _reduce_extremum_emit(ctx, out_names, in_exprs, axes):
        shape = ctx.in_avals[0].shape
        if any(shape[a] == 0 for a in axes):
            return None  # the identity of an empty reduction: the impl
        return f"{out_names[0]} = {fn}(np.asarray({in_exprs[0]}), axis={axes})"
    return _reduce_extremum_emit


reduce_max_p.def_emit(_extremum_emit("np.max"))
reduce_min_p.def_emit(_extremum_emit("np.min"))


def reduce_max(x: ArrayLike, axes: Sequence[int]) -> Array:
    """The maximum over ``axes`` (``-inf`` over no entries).

    >>> reduce_max(np.array([[1., 5.], [7., 2.]]), (0,))
    array([7., 5.])
    """
    return reduce_max_p.bind(x, axes=_axes(x, axes, "reduce_max"))


def reduce_min(x: ArrayLike, axes: Sequence[int]) -> Array:
    """The minimum over ``axes`` (``+inf`` over no entries).

    >>> reduce_min(np.array([[1., 5.], [7., 2.]]), (1,))
    array([1., 2.])
    """
    return reduce_min_p.bind(x, axes=_axes(x, axes, "reduce_min"))


# --- reduce_prod --------------------------------------------------------------------

def _reduce_prod_impl(x, axes):
    return np.prod(x, axis=axes, dtype=x.dtype)


reduce_prod_p = reduction("reduce_prod", _reduce_prod_impl)


reduce_prod_p.def_emit(_typed_reduction_emit("np.prod"))




def reduce_prod(x: ArrayLike, axes: Sequence[int]) -> Array:
    """The product over ``axes``.

    >>> reduce_prod(np.array([[1., 2.], [3., 4.]]), (1,))
    array([ 2., 12.])
    """
    return reduce_prod_p.bind(x, axes=_axes(x, axes, "reduce_prod"))


@reduce_prod_p.def_jvp
def _reduce_prod_jvp(primals, tangents, axes):
    # The product as a tree of pairwise products (halves multiplied until one
    # is left), differentiated by the product rule at each level: exact with
    # zeros in x, O(size) work, and made of primitives, so differentiable again.
    (x,), (x_dot,) = primals, tangents
    out = reduce_prod(x, axes)
    kept = keep_dims(x.shape, axes)
    kept_shape = tuple(x.shape[i] for i in kept)
    m = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    if m == 0:
        return out, Zero(get_aval(out))
    y = reshape(transpose(x, kept + axes), kept_shape + (m,))
    y_dot = reshape(transpose(x_dot, kept + axes), kept_shape + (m,))
    r = len(kept_shape)
    while m > 1:
        if m % 2:
            cfg = [(0, 0, 0)] * r + [(0, 1, 0)]
            y = pad(y, np.ones((), y.dtype), cfg)
            y_dot = pad(y_dot, np.zeros((), y.dtype), cfg)
            m += 1
        h = m // 2
        lo, first, second = [0] * r, kept_shape + (h,), kept_shape + (m,)
        a, b = slice(y, lo + [0], first), slice(y, lo + [h], second)
        a_dot, b_dot = slice(y_dot, lo + [0], first), slice(y_dot, lo + [h], second)
        y, y_dot = mul(a, b), add(mul(a_dot, b), mul(a, b_dot))
        m = h
    return out, reshape(y_dot, kept_shape)


# --- argmax, argmin ---------------------------------------------------------------------

def _argmax_impl(x, axis, index_dtype):
    return np.argmax(x, axis=axis).astype(index_dtype)


def _argmin_impl(x, axis, index_dtype):
    return np.argmin(x, axis=axis).astype(index_dtype)


argmax_p = arg_reduction("argmax", _argmax_impl)
argmin_p = arg_reduction("argmin", _argmin_impl)


def _arg_emit(fn):
    def _arg_reduction_emit(ctx, out_names, in_exprs, axis, index_dtype):
        return (f"{out_names[0]} = {fn}({in_exprs[0]}, axis={axis})"
                f".astype(np.{np.dtype(index_dtype).name})")
    _arg_reduction_emit.fresh = True
    return _arg_reduction_emit


argmax_p.def_emit(_arg_emit("np.argmax"))
argmin_p.def_emit(_arg_emit("np.argmin"))


def argmax(x: ArrayLike, axis: int, index_dtype: DTypeLike = np.int64) -> Array:
    """The index of the first maximum along ``axis``, as numpy.

    >>> argmax(np.array([[1., 5., 5.], [7., 2., 0.]]), 1, np.int64)
    array([1, 0])
    """
    return argmax_p.bind(x, axis=_axis(x, axis, "argmax"),
                         index_dtype=np.dtype(index_dtype))


def argmin(x: ArrayLike, axis: int, index_dtype: DTypeLike = np.int64) -> Array:
    """The index of the first minimum along ``axis``, as numpy.

    >>> argmin(np.array([[1., 5., 1.], [7., 2., 0.]]), 1, np.int64)
    array([0, 2])
    """
    return argmin_p.bind(x, axis=_axis(x, axis, "argmin"),
                         index_dtype=np.dtype(index_dtype))


# --- cumulative sums, products, maxima and minima -------------------------------------

def _accumulate(accumulate, x, axis, reverse):
    """``accumulate`` (``np.cumsum``, ``np.multiply.accumulate``, ...) along
    ``axis`` in ``x``'s dtype, from the end if ``reverse``."""
    x = x if hasattr(x, "__array_function__") else np.asarray(x)  # dask passes
    if not reverse:
        return accumulate(x, axis=axis, dtype=x.dtype)
    return np.flip(accumulate(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)


def _cumsum_impl(x, axis, reverse):
    return _accumulate(np.cumsum, x, axis, reverse)


def _cumprod_impl(x, axis, reverse):
    return _accumulate(np.multiply.accumulate, x, axis, reverse)


def _cummax_impl(x, axis, reverse):
    return _accumulate(np.maximum.accumulate, x, axis, reverse)


def _cummin_impl(x, axis, reverse):
    return _accumulate(np.minimum.accumulate, x, axis, reverse)


def _one(dtype):
    return 1


def _lowest(dtype):
    if dtype.kind == "c":  # numpy orders complex numbers lexicographically
        return complex(-np.inf, -np.inf)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    if dtype.kind == "c":
        return complex(np.inf, np.inf)
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


cumsum_p = cumulative("cumsum", _cumsum_impl)
def_linear(cumsum_p)
cumprod_p = cumulative("cumprod", _cumprod_impl, combine=mul_p, identity=_one)
cummax_p = cumulative("cummax", _cummax_impl, combine=max_p, identity=_lowest,
                      allow_bool=True)
cummin_p = cumulative("cummin", _cummin_impl, combine=min_p, identity=_highest,
                      allow_bool=True)


def _cumulative_emit(accumulate):
    def _accumulate_emit(ctx, out_names, in_exprs, axis, reverse):
        x, dtype = in_exprs[0], f"np.{ctx.in_avals[0].dtype.name}"
        if not reverse:
            return f"{out_names[0]} = {accumulate}({x}, axis={axis}, dtype={dtype})"
        return (f"{out_names[0]} = np.flip({accumulate}(np.flip({x}, {axis}), "
                f"axis={axis}, dtype={dtype}), {axis})")
    _accumulate_emit.fresh = True  # a new array (a reversed view of one)
    return _accumulate_emit


cumsum_p.def_emit(_cumulative_emit("np.cumsum"))
cumprod_p.def_emit(_cumulative_emit("np.multiply.accumulate"))
cummax_p.def_emit(_cumulative_emit("np.maximum.accumulate"))
cummin_p.def_emit(_cumulative_emit("np.minimum.accumulate"))


def cumsum(x: ArrayLike, axis: int, reverse: bool = False) -> Array:
    """Running sums along ``axis``; with ``reverse``, summed from the end.

    >>> cumsum(np.array([1., 2., 3.]), 0), cumsum(np.array([1., 2., 3.]), 0, reverse=True)
    (array([1., 3., 6.]), array([6., 5., 3.]))
    """
    return cumsum_p.bind(x, axis=_axis(x, axis, "cumsum"), reverse=bool(reverse))


@cumsum_p.def_transpose
def _cumsum_transpose(ct, x, axis, reverse):
    # out_i = sum_{j <= i} x_j, so ct_x_j = sum_{i >= j} ct_i: the sum the other way
    return [cumsum(ct, axis, not reverse)]


def cumprod(x: ArrayLike, axis: int, reverse: bool = False) -> Array:
    """Running products along ``axis``; with ``reverse``, from the end.

    >>> cumprod(np.array([1., 2., 3.]), 0)
    array([1., 2., 6.])
    """
    return cumprod_p.bind(x, axis=_axis(x, axis, "cumprod"), reverse=bool(reverse))


def cummax(x: ArrayLike, axis: int, reverse: bool = False) -> Array:
    """Running maxima along ``axis``; with ``reverse``, from the end. Tied
    entries share the tangent (as ``max``).

    >>> cummax(np.array([1., 3., 2.]), 0)
    array([1., 3., 3.])
    """
    return cummax_p.bind(x, axis=_axis(x, axis, "cummax"), reverse=bool(reverse))


def cummin(x: ArrayLike, axis: int, reverse: bool = False) -> Array:
    """Running minima along ``axis``; with ``reverse``, from the end. Tied
    entries share the tangent (as ``min``).

    >>> cummin(np.array([2., 3., 1.]), 0, reverse=True)
    array([1., 1., 1.])
    """
    return cummin_p.bind(x, axis=_axis(x, axis, "cummin"), reverse=bool(reverse))


__all__ = exports(globals())  # the public functions above: ftrans.lax exports them
