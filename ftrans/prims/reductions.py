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
from ftrans.core import Primitive, ShapedArray, get_aval
from ftrans.prims._families import def_linear, def_zero_jvp
from ftrans.prims.elementwise import (add, convert_element_type, div, eq, max_p,
                                      min_p, mul, mul_p)
from ftrans.prims.shape import broadcast_in_dim, pad, reshape, rev, slice, transpose
from ftrans.typing import Array, ArrayLike, DTypeLike

__all__ = ["reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "argmax",
           "argmin", "cumsum", "cumprod", "cummax", "cummin"]


def _reduced_aval(name, x: ShapedArray, axes, dtype=None) -> ShapedArray:
    if any(not 0 <= a < x.ndim for a in axes) or list(axes) != sorted(set(axes)):
        raise TypeError(f"{name}: axes {axes} are invalid for {x.str_short()}; give "
                        f"distinct axes in [0, {x.ndim}), sorted")
    return ShapedArray([s for i, s in enumerate(x.shape) if i not in axes],
                       dtype or x.dtype)


def _no_bool(name, x: ShapedArray) -> None:
    if x.dtype == np.bool_:
        raise TypeError(f"{name}: operand {x.str_short()} is boolean; convert it to "
                        "an integer or float dtype first")


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


def _keep_dims(x_shape, axes):
    """Where the kept axes of a reduction go when broadcasting back."""
    return tuple(i for i in range(len(x_shape)) if i not in axes)


# --- reduce_sum ------------------------------------------------------------------

reduce_sum_p = Primitive("reduce_sum")


def reduce_sum(x: ArrayLike, axes: Sequence[int]) -> Array:
    """The sum over ``axes``.

    >>> reduce_sum(np.ones((2, 3)), (1,))
    array([3., 3.])
    """
    return reduce_sum_p.bind(x, axes=_axes(x, axes, "reduce_sum"))


reduce_sum_p.def_impl(lambda x, axes: np.sum(x, axis=axes, dtype=x.dtype))


@reduce_sum_p.def_abstract_eval
def _reduce_sum_abstract_eval(x, axes):
    _no_bool("reduce_sum", x)
    return _reduced_aval("reduce_sum", x, axes)


def_linear(reduce_sum_p)


@reduce_sum_p.def_transpose
def _reduce_sum_transpose(ct, x, axes):
    return [broadcast_in_dim(ct, x.aval.shape, _keep_dims(x.aval.shape, axes))]


# --- reduce_max, reduce_min ------------------------------------------------------------

def _extremum_impl(fn, lowest: bool):
    """``fn`` over ``axes``; an empty reduction gives the identity (-inf / +inf)."""
    def impl(x, axes):
        x = np.asarray(x)
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
    return impl


def _extremum_jvp(prim):
    """Ties share the tangent evenly, as JAX: t = sum(x_dot * mask) / count."""

    def jvp(primals, tangents, axes):
        (x,), (x_dot,) = primals, tangents
        out = prim.bind(x, axes=axes)
        keep = _keep_dims(x.shape, axes)
        mask = convert_element_type(eq(x, broadcast_in_dim(out, x.shape, keep)),
                                    new_dtype=x.dtype)
        # at least 1, so an empty reduction has tangent 0 rather than 0 / 0
        count = max_p.bind(reduce_sum(mask, axes), np.ones((), x.dtype))
        return out, div(reduce_sum(mul(x_dot, mask), axes), count)
    prim.def_jvp(jvp)


reduce_max_p = Primitive("reduce_max")


def reduce_max(x: ArrayLike, axes: Sequence[int]) -> Array:
    """The maximum over ``axes`` (``-inf`` over no entries).

    >>> reduce_max(np.array([[1., 5.], [7., 2.]]), (0,))
    array([7., 5.])
    """
    return reduce_max_p.bind(x, axes=_axes(x, axes, "reduce_max"))


reduce_max_p.def_impl(_extremum_impl(np.max, lowest=True))
reduce_max_p.def_abstract_eval(lambda x, axes: _reduced_aval("reduce_max", x, axes))
_extremum_jvp(reduce_max_p)

reduce_min_p = Primitive("reduce_min")


def reduce_min(x: ArrayLike, axes: Sequence[int]) -> Array:
    """The minimum over ``axes`` (``+inf`` over no entries).

    >>> reduce_min(np.array([[1., 5.], [7., 2.]]), (1,))
    array([1., 2.])
    """
    return reduce_min_p.bind(x, axes=_axes(x, axes, "reduce_min"))


reduce_min_p.def_impl(_extremum_impl(np.min, lowest=False))
reduce_min_p.def_abstract_eval(lambda x, axes: _reduced_aval("reduce_min", x, axes))
_extremum_jvp(reduce_min_p)


# --- reduce_prod --------------------------------------------------------------------

reduce_prod_p = Primitive("reduce_prod")


def reduce_prod(x: ArrayLike, axes: Sequence[int]) -> Array:
    """The product over ``axes``.

    >>> reduce_prod(np.array([[1., 2.], [3., 4.]]), (1,))
    array([ 2., 12.])
    """
    return reduce_prod_p.bind(x, axes=_axes(x, axes, "reduce_prod"))


reduce_prod_p.def_impl(lambda x, axes: np.prod(x, axis=axes, dtype=x.dtype))


@reduce_prod_p.def_abstract_eval
def _reduce_prod_abstract_eval(x, axes):
    _no_bool("reduce_prod", x)
    return _reduced_aval("reduce_prod", x, axes)


@reduce_prod_p.def_jvp
def _reduce_prod_jvp(primals, tangents, axes):
    # The product as a tree of pairwise products (halves multiplied until one
    # is left), differentiated by the product rule at each level: exact with
    # zeros in x, O(size) work, and made of primitives, so differentiable again.
    (x,), (x_dot,) = primals, tangents
    out = reduce_prod(x, axes)
    kept = _keep_dims(x.shape, axes)
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

def _arg_prim(name, fn):
    prim = Primitive(name)
    prim.def_impl(lambda x, axis, index_dtype: fn(x, axis=axis).astype(index_dtype))

    @prim.def_abstract_eval
    def _abstract_eval(x, axis, index_dtype):
        if not 0 <= axis < x.ndim:
            raise ValueError(f"{name}: axis {axis} is out of bounds for {x.str_short()}")
        if x.shape[axis] == 0:
            raise ValueError(f"{name}: axis {axis} of {x.str_short()} is empty; "
                             "there is no entry to point to")
        if np.dtype(index_dtype).kind not in "iu":
            raise TypeError(f"{name}: index_dtype must be an integer dtype, got "
                            f"{np.dtype(index_dtype)}")
        return ShapedArray(x.shape[:axis] + x.shape[axis + 1:], index_dtype)

    def_zero_jvp(prim)
    return prim


argmax_p = _arg_prim("argmax", np.argmax)
argmin_p = _arg_prim("argmin", np.argmin)


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


# --- cumsum ----------------------------------------------------------------------------

cumsum_p = Primitive("cumsum")


def cumsum(x: ArrayLike, axis: int, reverse: bool = False) -> Array:
    """Running sums along ``axis``; with ``reverse``, summed from the end.

    >>> cumsum(np.array([1., 2., 3.]), 0), cumsum(np.array([1., 2., 3.]), 0, reverse=True)
    (array([1., 3., 6.]), array([6., 5., 3.]))
    """
    return cumsum_p.bind(x, axis=_axis(x, axis, "cumsum"), reverse=bool(reverse))


@cumsum_p.def_impl
def _cumsum_impl(x, axis, reverse):
    x = np.asarray(x)
    if not reverse:
        return np.cumsum(x, axis=axis, dtype=x.dtype)
    return np.flip(np.cumsum(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)


@cumsum_p.def_abstract_eval
def _cumsum_abstract_eval(x, axis, reverse):
    _no_bool("cumsum", x)
    if not 0 <= axis < x.ndim:
        raise ValueError(f"cumsum: axis {axis} is out of bounds for {x.str_short()}")
    return x


def_linear(cumsum_p)
# out_i = sum_{j <= i} x_j, so ct_x_j = sum_{i >= j} ct_i: the sum the other way
cumsum_p.def_transpose(lambda ct, x, axis, reverse: [cumsum(ct, axis, not reverse)])


# --- cumprod, cummax, cummin --------------------------------------------------------

def _scan_jvp(prim, binary_p, fill):
    """JVP through a Hillis-Steele prefix scan: at level l each entry combines
    with the one 2**l before it (``fill`` before the start), by ``binary_p``
    and its own JVP rule. Each level joins disjoint windows, so the result is
    exact (zeros in a product included) and differentiable again."""

    def jvp(primals, tangents, axis, reverse):
        (x,), (x_dot,) = primals, tangents
        out = prim.bind(x, axis=axis, reverse=reverse)
        y, t = (rev(x, (axis,)), rev(x_dot, (axis,))) if reverse else (x, x_dot)
        n, shift = y.shape[axis], 1
        while shift < n:
            cfg = [(0, 0, 0)] * y.ndim
            cfg[axis] = (shift, -shift, 0)  # shift right by `shift` along axis
            y_before = pad(y, np.asarray(fill(y.dtype), y.dtype), cfg)
            t_before = pad(t, np.zeros((), y.dtype), cfg)
            y, t = binary_p.rule("jvp")((y, y_before), (t, t_before))
            shift *= 2
        return out, rev(t, (axis,)) if reverse else t

    prim.def_jvp(jvp)


def _cumulative(name, accumulate, binary_p, fill, no_bool):
    prim = Primitive(name)

    @prim.def_impl
    def _impl(x, axis, reverse):
        x = np.asarray(x)
        if not reverse:
            return accumulate(x, axis=axis, dtype=x.dtype)
        return np.flip(accumulate(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)

    @prim.def_abstract_eval
    def _abstract_eval(x, axis, reverse):
        if no_bool:
            _no_bool(name, x)
        if not 0 <= axis < x.ndim:
            raise ValueError(f"{name}: axis {axis} is out of bounds for {x.str_short()}")
        return x

    _scan_jvp(prim, binary_p, fill)
    return prim


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


cumprod_p = _cumulative("cumprod", np.multiply.accumulate, mul_p, lambda d: 1, True)
cummax_p = _cumulative("cummax", np.maximum.accumulate, max_p, _lowest, False)
cummin_p = _cumulative("cummin", np.minimum.accumulate, min_p, _highest, False)


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
