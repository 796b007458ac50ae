"""Structural primitives: broadcasting, reshaping, transposing, slicing,
concatenation, padding, gathers and scatters.

They move and copy entries without computing on them, so nearly all are
linear in their array operands: the JVP applies the primitive to the tangents
(integer index operands pass through unchanged) and the transpose sends the
cotangent back where the entries came from (the transpose of a slice is a pad,
of a gather a scatter-add). ``scatter_mul``, ``scatter_min`` and
``scatter_max`` combine entries and have JVPs of their own, written with the
linear primitives so that they can be differentiated again.

Index operands (``dynamic_slice`` starts, ``gather``/``scatter`` indices) are
integer arrays bound as positional operands; out-of-range values are clamped
(``dynamic_slice``, as JAX) or clipped (``gather``, ``scatter``), so a
primitive never reads or writes out of bounds. Negative indices are
normalized by ``ftrans.numpy`` before they reach a primitive.
"""

from __future__ import annotations

import builtins
from typing import Sequence

import numpy as np

from ftrans.ad_util import Zero, add_tangents, is_undefined, zeros
from ftrans.core import Primitive, ShapedArray, get_aval
from ftrans.prims._families import (check_indices, def_linear, def_linear_in,
                                    def_zero_jvp, exports, scatter_extremum, scatter_op,
                                    structural_cost, taken_shape, view_cost)
from ftrans.prims.elementwise import (add, convert_element_type, div, eq, mul,
                                      select_n, sub)
from ftrans.prims.elementwise import max as max_, min as min_
from ftrans.typing import Array, ArrayLike, DTypeLike, Shape



# --- helpers --------------------------------------------------------------------

def _ndim(x) -> int:
    return get_aval(x).ndim


def _normalize_axis(axis, ndim, name) -> int:
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of bounds for an array of "
                         f"rank {ndim}; use an axis in [{-ndim}, {ndim})")
    return axis % ndim


def _normalize_axes(axes, ndim, name):
    out = tuple(_normalize_axis(a, ndim, name) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: repeated axis in {tuple(axes)}")
    return out


def _is_int(aval: ShapedArray) -> bool:
    return aval.dtype.kind in "iu"


def _zero_scalar(dtype):
    return np.zeros((), dtype)


# --- broadcast_in_dim and full -------------------------------------------------------

broadcast_in_dim_p = Primitive("broadcast_in_dim")


def broadcast_in_dim(x: ArrayLike, shape: Shape, broadcast_dimensions: Sequence[int]) -> Array:
    """Broadcast ``x`` to ``shape``; operand axis i becomes output axis
    ``broadcast_dimensions[i]`` (a strictly increasing tuple). Operand axes of
    size 1 may be stretched; the other output axes are new.

    >>> broadcast_in_dim(np.array([1., 2.]), (3, 2), (1,))[2]
    array([1., 2.])
    """
    return broadcast_in_dim_p.bind(
        x, shape=tuple(int(d) for d in shape),
        broadcast_dimensions=tuple(int(d) for d in broadcast_dimensions))


@broadcast_in_dim_p.def_impl
def _broadcast_in_dim_impl(x, shape, broadcast_dimensions):
    x = x if hasattr(x, "__array_function__") else np.asarray(x)  # dask passes
    expanded = [1] * len(shape)
    for src, dst in enumerate(broadcast_dimensions):
        expanded[dst] = x.shape[src]
    return np.broadcast_to(x.reshape(expanded), shape)


@broadcast_in_dim_p.def_emit
def _broadcast_in_dim_emit(ctx, out_names, in_exprs, shape, broadcast_dimensions):
    x, x_shape = in_exprs[0], ctx.in_avals[0].shape
    expanded = [1] * len(shape)
    for src, dst in enumerate(broadcast_dimensions):
        expanded[dst] = x_shape[src]
    if tuple(expanded) != x_shape:
        x = f"np.reshape({x}, {tuple(expanded)})"
    return f"{out_names[0]} = np.broadcast_to({x}, {tuple(shape)})"


broadcast_in_dim_p.def_cost(view_cost)  # a numpy view: no flops, no new buffer


@broadcast_in_dim_p.def_abstract_eval
def _broadcast_in_dim_abstract_eval(x, shape, broadcast_dimensions):
    ok = (len(broadcast_dimensions) == x.ndim
          and all(d >= 0 for d in shape)
          and all(0 <= d < len(shape) for d in broadcast_dimensions)
          and list(broadcast_dimensions) == sorted(set(broadcast_dimensions))
          and all(x.shape[i] in (1, shape[d])
                  for i, d in enumerate(broadcast_dimensions)))
    if not ok:
        raise TypeError(
            f"broadcast_in_dim: cannot broadcast {x.str_short()} to shape {shape} "
            f"with broadcast_dimensions={broadcast_dimensions}; give one strictly "
            "increasing output axis per operand axis, where each operand axis "
            "has size 1 or the output axis's size")
    return ShapedArray(shape, x.dtype)


def_linear(broadcast_in_dim_p)


@broadcast_in_dim_p.def_transpose
def _broadcast_in_dim_transpose(ct, x, shape, broadcast_dimensions):
    from ftrans.prims.reductions import reduce_sum
    # the transpose of a broadcast sums over the new and the stretched axes
    new_axes = tuple(d for d in range(len(shape)) if d not in broadcast_dimensions)
    stretched = tuple(d for i, d in enumerate(broadcast_dimensions)
                      if x.aval.shape[i] == 1 and shape[d] != 1)
    summed = reduce_sum(ct, axes=tuple(sorted(new_axes + stretched))) \
        if new_axes or stretched else ct
    return [reshape(summed, x.aval.shape)]


@broadcast_in_dim_p.def_batch
def _broadcast_in_dim_batch(axis_size, args, dims, shape, broadcast_dimensions):
    (x,), (d,) = args, dims
    # the batch lands right after the output axis of the operand axis before it
    out_d = broadcast_dimensions[d - 1] + 1 if d else 0
    moved = tuple(b + (b >= out_d) for b in broadcast_dimensions)
    return (broadcast_in_dim(x, shape[:out_d] + (axis_size,) + shape[out_d:],
                             moved[:d] + (out_d,) + moved[d:]), out_d)


def full(shape: Shape, value: ArrayLike, dtype: DTypeLike | None = None) -> Array:
    """An array of ``shape`` filled with the scalar ``value`` (a broadcast).

    >>> full((2,), 3, np.float64)
    array([3., 3.])
    """
    if hasattr(value, "aval"):
        from ftrans.prims.elementwise import convert_element_type
        if value.ndim != 0:
            raise TypeError(f"full: the fill value must be rank 0, got "
                            f"{value.aval.str_short()}")
        value = value if dtype is None else convert_element_type(value, dtype)
    else:
        value = np.asarray(value, dtype=dtype)
    return broadcast_in_dim(value, shape, ())


# --- reshape, transpose, squeeze, expand_dims, rev --------------------------------

reshape_p = Primitive("reshape")


def reshape(x: ArrayLike, new_sizes: Shape) -> Array:
    """``x`` with the same entries in row-major order and shape ``new_sizes``.

    >>> reshape(np.arange(6.), (2, 3))[1]
    array([3., 4., 5.])
    """
    new_sizes = tuple(int(d) for d in new_sizes)
    if getattr(x, "shape", None) == new_sizes:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes)


@reshape_p.def_impl
def _reshape_impl(x, new_sizes):
    return np.reshape(x, new_sizes)


@reshape_p.def_emit
def _reshape_emit(ctx, out_names, in_exprs, new_sizes):
    return f"{out_names[0]} = np.reshape({in_exprs[0]}, {tuple(new_sizes)})"


reshape_p.def_cost(view_cost)  # a numpy view: no flops, no new buffer


@reshape_p.def_abstract_eval
def _reshape_abstract_eval(x, new_sizes):
    if min(new_sizes, default=0) < 0:
        raise TypeError(f"reshape: negative size in new shape {new_sizes} for "
                        f"{x.str_short()}; ftrans.lax.reshape takes explicit sizes "
                        "(ftrans.numpy.reshape resolves -1)")
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise TypeError(f"reshape: cannot reshape {x.str_short()} ({x.size} "
                        f"elements) to shape {new_sizes} "
                        f"({int(np.prod(new_sizes, dtype=np.int64))} elements); "
                        "the number of elements must stay the same")
    return x.update(shape=new_sizes)


def_linear(reshape_p)


@reshape_p.def_transpose
def _reshape_transpose(ct, x, new_sizes):
    return [reshape(ct, x.aval.shape)]


@reshape_p.def_batch
def _reshape_batch(axis_size, args, dims, new_sizes):
    from ftrans.prims._batching import move_axis
    (x,), (d,) = args, dims
    # row-major order mixes the axes, so the batch must lead
    return reshape(move_axis(x, d, 0), (axis_size,) + new_sizes), 0


transpose_p = Primitive("transpose")


def transpose(x: ArrayLike, permutation: Sequence[int]) -> Array:
    """Permute the axes: output axis i is operand axis ``permutation[i]``.

    >>> transpose(np.zeros((2, 3, 4)), (2, 0, 1)).shape
    (4, 2, 3)
    """
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))) and len(permutation) == _ndim(x):
        return x
    return transpose_p.bind(x, permutation=permutation)


@transpose_p.def_impl
def _transpose_impl(x, permutation):
    return np.transpose(x, permutation)


@transpose_p.def_emit
def _transpose_emit(ctx, out_names, in_exprs, permutation):
    return f"{out_names[0]} = np.transpose({in_exprs[0]}, {tuple(permutation)})"


transpose_p.def_cost(view_cost)  # a numpy view: no flops, no new buffer


@transpose_p.def_abstract_eval
def _transpose_abstract_eval(x, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose: {permutation} is not a permutation of the "
                        f"axes of {x.str_short()}; give each of 0..{x.ndim - 1} "
                        "exactly once")
    return x.update(shape=[x.shape[p] for p in permutation])


def_linear(transpose_p)


@transpose_p.def_transpose
def _transpose_transpose(ct, x, permutation):
    return [transpose(ct, np.argsort(permutation))]


@transpose_p.def_batch
def _transpose_batch(axis_size, args, dims, permutation):
    (x,), (d,) = args, dims
    perm = tuple(p + (p >= d) for p in permutation)
    return transpose(x, perm[:d] + (d,) + perm[d:]), d


squeeze_p = Primitive("squeeze")


def squeeze(x: ArrayLike, dimensions: Sequence[int]) -> Array:
    """Remove the axes ``dimensions``, each of size 1.

    >>> squeeze(np.zeros((1, 3, 1)), (0, -1)).shape
    (3,)
    """
    dims = _normalize_axes(dimensions, _ndim(x), "squeeze")
    return squeeze_p.bind(x, dimensions=tuple(sorted(dims)))


@squeeze_p.def_impl
def _squeeze_impl(x, dimensions):
    return np.squeeze(x, dimensions)


@squeeze_p.def_emit
def _squeeze_emit(ctx, out_names, in_exprs, dimensions):
    return f"{out_names[0]} = np.squeeze({in_exprs[0]}, {tuple(dimensions)})"


squeeze_p.def_cost(view_cost)  # a numpy view: no flops, no new buffer


@squeeze_p.def_abstract_eval
def _squeeze_abstract_eval(x, dimensions):
    bad = [d for d in dimensions if not 0 <= d < x.ndim or x.shape[d] != 1]
    if bad:
        raise TypeError(f"squeeze: cannot squeeze axes {bad} of {x.str_short()}: "
                        "they must exist and have size 1")
    return x.update(shape=[s for i, s in enumerate(x.shape) if i not in dimensions])


def_linear(squeeze_p)


@squeeze_p.def_transpose
def _squeeze_transpose(ct, x, dimensions):
    return [reshape(ct, x.aval.shape)]


@squeeze_p.def_batch
def _squeeze_batch(axis_size, args, dims, dimensions):
    (x,), (d,) = args, dims
    return (squeeze(x, tuple(a + (a >= d) for a in dimensions)),
            d - builtins.sum(a < d for a in dimensions))


expand_dims_p = Primitive("expand_dims")


def expand_dims(x: ArrayLike, dimensions: Sequence[int]) -> Array:
    """Insert axes of size 1 at ``dimensions`` (positions in the output).

    >>> expand_dims(np.zeros(3), (0, -1)).shape
    (1, 3, 1)
    """
    dims = _normalize_axes(dimensions, _ndim(x) + len(dimensions), "expand_dims")
    return expand_dims_p.bind(x, dimensions=tuple(sorted(dims)))


@expand_dims_p.def_impl
def _expand_dims_impl(x, dimensions):
    return np.expand_dims(x, dimensions)


@expand_dims_p.def_emit
def _expand_dims_emit(ctx, out_names, in_exprs, dimensions):
    return f"{out_names[0]} = np.expand_dims({in_exprs[0]}, {tuple(dimensions)})"


expand_dims_p.def_cost(view_cost)  # a numpy view: no flops, no new buffer


@expand_dims_p.def_abstract_eval
def _expand_dims_abstract_eval(x, dimensions):
    ndim = x.ndim + len(dimensions)
    if len(set(dimensions)) != len(dimensions) or not all(0 <= d < ndim for d in dimensions):
        raise TypeError(f"expand_dims: dimensions {dimensions} are invalid for "
                        f"{x.str_short()}; give distinct axes of the result, in "
                        f"[0, {ndim})")
    shape = iter(x.shape)
    return x.update(shape=[1 if i in dimensions else next(shape) for i in range(ndim)])


def_linear(expand_dims_p)


@expand_dims_p.def_transpose
def _expand_dims_transpose(ct, x, dimensions):
    return [reshape(ct, x.aval.shape)]


@expand_dims_p.def_batch
def _expand_dims_batch(axis_size, args, dims, dimensions):
    (x,), (d,) = args, dims
    # output positions of the operand's axes; the batch goes after axis d - 1's
    kept = [i for i in range(x.ndim - 1 + len(dimensions)) if i not in dimensions]
    out_d = kept[d - 1] + 1 if d else 0
    return expand_dims(x, tuple(a + (a >= out_d) for a in dimensions)), out_d


rev_p = Primitive("rev")


def rev(x: ArrayLike, dimensions: Sequence[int]) -> Array:
    """Reverse the order of the entries along ``dimensions``.

    >>> rev(np.arange(3.), (0,))
    array([2., 1., 0.])
    """
    dims = _normalize_axes(dimensions, _ndim(x), "rev")
    return rev_p.bind(x, dimensions=tuple(sorted(dims)))


@rev_p.def_impl
def _rev_impl(x, dimensions):
    return np.flip(x, dimensions) if dimensions else x


@rev_p.def_emit
def _rev_emit(ctx, out_names, in_exprs, dimensions):
    if not dimensions:
        return f"{out_names[0]} = {in_exprs[0]}"
    return f"{out_names[0]} = np.flip({in_exprs[0]}, {tuple(dimensions)})"


rev_p.def_cost(view_cost)  # a numpy view: no flops, no new buffer


@rev_p.def_abstract_eval
def _rev_abstract_eval(x, dimensions):
    if not all(0 <= d < x.ndim for d in dimensions) or len(set(dimensions)) != len(dimensions):
        raise TypeError(f"rev: dimensions {dimensions} are invalid for "
                        f"{x.str_short()}; give distinct axes in [0, {x.ndim})")
    return x


def_linear(rev_p)


@rev_p.def_transpose
def _rev_transpose(ct, x, dimensions):
    return [rev(ct, dimensions)]


@rev_p.def_batch
def _rev_batch(axis_size, args, dims, dimensions):
    (x,), (d,) = args, dims
    return rev(x, tuple(a + (a >= d) for a in dimensions)), d


# --- concatenate ------------------------------------------------------------------

concatenate_p = Primitive("concatenate")


def concatenate(operands: Sequence[ArrayLike], dimension: int) -> Array:
    """Join arrays of one dtype along ``dimension``; their other axes must match.

    >>> concatenate([np.zeros((1, 2)), np.ones((2, 2))], 0).tolist()
    [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]
    """
    operands = list(operands)
    if not operands:
        raise ValueError("concatenate: needs at least one operand")
    dimension = _normalize_axis(dimension, _ndim(operands[0]), "concatenate")
    if len(operands) == 1:
        return operands[0]
    return concatenate_p.bind(*operands, dimension=dimension)


@concatenate_p.def_impl
def _concatenate_impl(*xs, dimension):
    return np.concatenate(xs, axis=dimension)


@concatenate_p.def_emit
def _concatenate_emit(ctx, out_names, in_exprs, dimension):
    return f"{out_names[0]} = np.concatenate(({', '.join(in_exprs)},), axis={dimension})"


_concatenate_emit.fresh = True  # a new array, never a view


concatenate_p.def_cost(structural_cost)  # data movement: bytes only


@concatenate_p.def_abstract_eval
def _concatenate_abstract_eval(*xs, dimension):
    def types():
        return ", ".join(x.str_short() for x in xs)
    first = xs[0]
    if any(x.dtype != first.dtype for x in xs):
        raise TypeError(f"concatenate: operands must have one dtype, got {types()}; "
                        "convert them first (ftrans.numpy.concatenate promotes)")
    if any(x.ndim != first.ndim for x in xs) or not 0 <= dimension < first.ndim:
        raise TypeError(f"concatenate: operands must have one rank >= 1 and "
                        f"dimension {dimension} must be one of their axes, got "
                        f"{types()}")
    def others(x): return x.shape[:dimension] + x.shape[dimension + 1:]
    if any(others(x) != others(first) for x in xs):
        raise TypeError(f"concatenate: operands must have equal sizes except along "
                        f"dimension {dimension}, got {types()}")
    size = sum(x.shape[dimension] for x in xs)
    return first.update(shape=first.shape[:dimension] + (size,)
                        + first.shape[dimension + 1:])


def_linear(concatenate_p)


@concatenate_p.def_transpose
def _concatenate_transpose(ct, *xs, dimension):
    # each operand's cotangent is its block of ct
    cts, start = [], 0
    for x in xs:
        n = get_aval(x).shape[dimension]
        if is_undefined(x):
            lo = [0] * ct.ndim
            hi = list(ct.shape)
            lo[dimension], hi[dimension] = start, start + n
            cts.append(slice(ct, lo, hi))
        else:
            cts.append(None)
        start += n
    return cts


@concatenate_p.def_batch
def _concatenate_batch(axis_size, args, dims, dimension):
    from ftrans.prims._batching import at_dim
    # join along the first batched operand's batch axis; the others move there
    d = next(d for d in dims if d is not None)
    xs = [at_dim(x, xd, axis_size, d) for x, xd in zip(args, dims)]
    return concatenate(xs, dimension + (dimension >= d)), d


# --- pad ----------------------------------------------------------------------------

pad_p = Primitive("pad")


def pad(x: ArrayLike, padding_value: ArrayLike,
        padding_config: Sequence[tuple[int, int, int]]) -> Array:
    """Pad ``x`` with the scalar ``padding_value``: ``padding_config`` holds one
    ``(lo, hi, interior)`` per axis; ``interior`` entries go between adjacent
    elements, and a negative ``lo``/``hi`` removes entries from that end.

    >>> pad(np.array([1., 2., 3.]), 0., [(1, -1, 1)])
    array([0., 1., 0., 2., 0.])
    """
    if isinstance(padding_value, (bool, int, float, complex)):
        padding_value = np.asarray(padding_value, dtype=get_aval(x).dtype)
    config = tuple((int(lo), int(hi), int(interior))
                   for lo, hi, interior in padding_config)
    x_aval, v_aval = get_aval(x), get_aval(padding_value)
    if (all(c == (0, 0, 0) for c in config) and len(config) == x_aval.ndim
            and v_aval == ShapedArray((), x_aval.dtype)):
        return x
    return pad_p.bind(x, padding_value, padding_config=config)


def _padded_size(n, lo, hi, interior):
    return lo + hi + n + builtins.max(n - 1, 0) * interior


@pad_p.def_impl
def _pad_impl(x, padding_value, padding_config):
    x = np.asarray(x)
    # grow by the positive padding, place x, then crop the negative padding
    grown = [_padded_size(n, builtins.max(lo, 0), builtins.max(hi, 0), interior)
             for n, (lo, hi, interior) in zip(x.shape, padding_config)]
    out = np.full(grown, padding_value, dtype=x.dtype)
    place = []
    for n, (lo, hi, interior) in zip(x.shape, padding_config):
        first = builtins.max(lo, 0)
        end = first + (n - 1) * (interior + 1) + 1 if n else first
        place.append(builtins.slice(first, end, interior + 1))
    out[tuple(place)] = x
    crop = tuple(builtins.slice(builtins.max(-lo, 0), g - builtins.max(-hi, 0))
                 for g, (lo, hi, _) in zip(grown, padding_config))
    return out[crop]


pad_p.def_cost(structural_cost)  # data movement: bytes only


@pad_p.def_abstract_eval
def _pad_abstract_eval(x, padding_value, padding_config):
    if padding_value.shape != () or padding_value.dtype != x.dtype:
        raise TypeError(f"pad: padding_value must be a rank-0 array of the "
                        f"operand's dtype, got {padding_value.str_short()} for "
                        f"operand {x.str_short()}")
    if len(padding_config) != x.ndim:
        raise TypeError(f"pad: padding_config {padding_config} has "
                        f"{len(padding_config)} entries for {x.str_short()}; give "
                        "one (lo, hi, interior) per axis")
    if any(interior < 0 for _, _, interior in padding_config):
        raise ValueError(f"pad: interior padding must be >= 0, got {padding_config}")
    shape = [_padded_size(n, *cfg) for n, cfg in zip(x.shape, padding_config)]
    if any(s < 0 for s in shape):
        raise ValueError(f"pad: padding_config {padding_config} removes more than "
                         f"all the entries of {x.str_short()} (result sizes {shape})")
    return x.update(shape=shape)


def_linear_in(pad_p, (0, 1))


@pad_p.def_transpose
def _pad_transpose(ct, x, padding_value, padding_config):
    from ftrans.prims.reductions import reduce_sum
    # undo lo/hi (cropped entries come back as zeros), then step over interior
    unpadded = pad(ct, _zero_scalar(ct.dtype),
                   [(-lo, -hi, 0) for lo, hi, _ in padding_config])
    ct_x = slice(unpadded, [0] * ct.ndim, unpadded.shape,
                 [interior + 1 for _, _, interior in padding_config])
    ct_value = None
    if is_undefined(padding_value):
        # every output entry not taken from x is the padding value
        every = tuple(range(ct.ndim))
        ct_value = sub(reduce_sum(ct, every), reduce_sum(ct_x, every))
    return [ct_x if is_undefined(x) else None, ct_value]


@pad_p.def_batch
def _pad_batch(axis_size, args, dims, padding_config):
    from ftrans.prims._batching import at_dim
    (x, value), (xd, vd) = args, dims
    if vd is None:
        config = padding_config[:xd] + ((0, 0, 0),) + padding_config[xd:]
        return pad(x, value, config), xd
    # a padding value per example: pad with zeros, then select each example's
    # value wherever no entry of x landed (a constant mask, computed once)
    x_aval = get_aval(x)
    example = x_aval.shape if xd is None else x_aval.shape[:xd] + x_aval.shape[xd + 1:]
    config = padding_config if xd is None else (
        padding_config[:xd] + ((0, 0, 0),) + padding_config[xd:])
    padded = pad(x, _zero_scalar(x_aval.dtype), config)
    d = 0 if xd is None else xd
    padded = at_dim(padded, xd, axis_size, d)
    out_shape = get_aval(padded).shape
    from_x = _pad_impl(np.ones(example, np.bool_), np.False_, padding_config)
    from_x = broadcast_in_dim(from_x, out_shape,
                              tuple(i for i in range(len(out_shape)) if i != d))
    return select_n(from_x, broadcast_in_dim(value, out_shape, (d,)), padded), d


# --- slice ----------------------------------------------------------------------------

slice_p = Primitive("slice")


def slice(x: ArrayLike, start_indices: Sequence[int], limit_indices: Sequence[int],
          strides: Sequence[int] | None = None) -> Array:
    """``x[start:limit:stride]`` along every axis, with static bounds.

    >>> slice(np.arange(10.), (1,), (8,), (3,))
    array([1., 4., 7.])
    """
    shape = get_aval(x).shape
    start = tuple(int(s) for s in start_indices)
    limit = tuple(int(s) for s in limit_indices)
    strides = None if strides is None else tuple(int(s) for s in strides)
    if strides is not None and all(s == 1 for s in strides) and len(strides) == len(shape):
        strides = None
    if strides is None and start == (0,) * len(shape) and limit == shape:
        return x
    return slice_p.bind(x, start_indices=start, limit_indices=limit, strides=strides)


@slice_p.def_impl
def _slice_impl(x, start_indices, limit_indices, strides):
    strides = strides or (1,) * len(start_indices)
    x = x if hasattr(x, "__array_function__") else np.asarray(x)  # dask passes
    return x[tuple(builtins.slice(*b) for b in
                               zip(start_indices, limit_indices, strides))]


@slice_p.def_emit
def _slice_emit(ctx, out_names, in_exprs, start_indices, limit_indices, strides):
    strides = strides or (1,) * len(start_indices)
    if not start_indices:
        return f"{out_names[0]} = np.asarray({in_exprs[0]})[()]"
    parts = []
    for start, limit, step in zip(start_indices, limit_indices, strides):
        text = f"{start}:{limit}" + (f":{step}" if step != 1 else "")
        parts.append(text)
    return f"{out_names[0]} = {in_exprs[0]}[{', '.join(parts)}]"


slice_p.def_cost(view_cost)  # a numpy view: no flops, no new buffer


@slice_p.def_abstract_eval
def _slice_abstract_eval(x, start_indices, limit_indices, strides):
    strides_ = strides or (1,) * x.ndim
    if not len(start_indices) == len(limit_indices) == len(strides_) == x.ndim:
        raise TypeError(f"slice: start_indices {start_indices}, limit_indices "
                        f"{limit_indices} and strides {strides} need one entry per "
                        f"axis of {x.str_short()}")
    if not all(0 <= s <= lim <= n for s, lim, n in zip(start_indices, limit_indices, x.shape)):
        raise TypeError(f"slice: start_indices {start_indices} and limit_indices "
                        f"{limit_indices} are out of bounds for {x.str_short()}; "
                        "need 0 <= start <= limit <= size on every axis")
    if any(s < 1 for s in strides_):
        raise ValueError(f"slice: strides must be >= 1, got {strides}")
    return x.update(shape=[-(-(lim - s) // st) for s, lim, st in
                           zip(start_indices, limit_indices, strides_)])


def_linear(slice_p)


@slice_p.def_transpose
def _slice_transpose(ct, x, start_indices, limit_indices, strides):
    # put ct back in place: zeros before, after, and between strided entries
    config = []
    for n, s, m, st in zip(x.aval.shape, start_indices, ct.shape,
                           strides or (1,) * len(start_indices)):
        end = s + (m - 1) * st + 1 if m else s
        config.append((s, n - end, st - 1))
    return [pad(ct, _zero_scalar(ct.dtype), config)]


@slice_p.def_batch
def _slice_batch(axis_size, args, dims, start_indices, limit_indices, strides):
    (x,), (d,) = args, dims
    return slice(x, start_indices[:d] + (0,) + start_indices[d:],
                 limit_indices[:d] + (axis_size,) + limit_indices[d:],
                 None if strides is None else strides[:d] + (1,) + strides[d:]), d


# --- dynamic_slice, dynamic_update_slice ----------------------------------------------

def _check_starts(name, x: ShapedArray, starts) -> None:
    if len(starts) != x.ndim:
        raise TypeError(f"{name}: got {len(starts)} start indices for "
                        f"{x.str_short()}; give one per axis")
    bad = [s.str_short() for s in starts if s.shape != () or not _is_int(s)]
    if bad:
        raise TypeError(f"{name}: start indices must be rank-0 integers, got "
                        f"{', '.join(bad)}")


def _clamped_starts(starts, shape, sizes):
    """As JAX: each start is moved so the window lies inside the array."""
    return [builtins.min(builtins.max(int(s), 0), n - k)
            for s, n, k in zip(starts, shape, sizes)]


def _window_positions(axis_size, shape, starts, start_dims, sizes, per_example):
    """The batch rules' form of a window at batched starts: int64 positions,
    of shape ``(axis_size,) + sizes``, of each example's window (starts
    clamped as the impls clamp them) in the row-major flattening of an array
    of ``shape``, or of the whole batch of them (batch first) if
    ``per_example``."""
    strides = [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape))]
    corner = np.zeros((), np.int64)  # the flat position of each window's first entry
    for s, sd, n, k, st in zip(starts, start_dims, shape, sizes, strides):
        s = convert_element_type(s, np.int64)
        s = min_(max_(s, np.zeros((), np.int64)), np.asarray(n - k, np.int64))
        corner = add(corner, mul(s, np.asarray(st, np.int64)))  # (axis_size,) or ()
    if per_example:
        size = int(np.prod(shape, dtype=np.int64))
        corner = add(corner, np.arange(axis_size, dtype=np.int64) * size)
    # offsets of the window's entries from its first one: the same for all
    offsets = np.zeros(sizes, np.int64)
    for i, (k, st) in enumerate(zip(sizes, strides)):
        offsets = offsets + (np.arange(k, dtype=np.int64) * st).reshape(
            [-1 if j == i else 1 for j in range(len(sizes))])
    out_shape = (axis_size,) + tuple(sizes)
    return add(broadcast_in_dim(corner, out_shape, (0,) if get_aval(corner).ndim else ()),
               broadcast_in_dim(offsets, out_shape, tuple(range(1, len(out_shape)))))


dynamic_slice_p = Primitive("dynamic_slice")


def dynamic_slice(x: ArrayLike, start_indices: Sequence[ArrayLike],
                  slice_sizes: Shape) -> Array:
    """The window of static size ``slice_sizes`` at traced ``start_indices``
    (clamped so the window stays in bounds).

    >>> dynamic_slice(np.arange(5.), [4], (2,))
    array([3., 4.])
    """
    return dynamic_slice_p.bind(x, *start_indices,
                                slice_sizes=tuple(int(s) for s in slice_sizes))


@dynamic_slice_p.def_impl
def _dynamic_slice_impl(x, *starts, slice_sizes):
    x = x if hasattr(x, "__array_function__") else np.asarray(x)  # dask passes
    begin = _clamped_starts(starts, x.shape, slice_sizes)
    return x[tuple(builtins.slice(b, b + k) for b, k in zip(begin, slice_sizes))]


dynamic_slice_p.def_cost(structural_cost)  # data movement: bytes only


@dynamic_slice_p.def_abstract_eval
def _dynamic_slice_abstract_eval(x, *starts, slice_sizes):
    _check_starts("dynamic_slice", x, starts)
    if len(slice_sizes) != x.ndim or not all(
            0 <= k <= n for k, n in zip(slice_sizes, x.shape)):
        raise TypeError(f"dynamic_slice: slice_sizes {slice_sizes} do not fit in "
                        f"{x.str_short()}; give one size in [0, size] per axis")
    return x.update(shape=slice_sizes)


def_linear_in(dynamic_slice_p, (0,))


@dynamic_slice_p.def_transpose
def _dynamic_slice_transpose(ct, x, *starts, slice_sizes):
    return [dynamic_update_slice(zeros(x.aval), ct, starts)] + [None] * len(starts)


@dynamic_slice_p.def_batch
def _dynamic_slice_batch(axis_size, args, dims, slice_sizes):
    from ftrans.prims._batching import move_axis
    (x, *starts), (xd, *start_dims) = args, dims
    if all(sd is None for sd in start_dims):
        starts.insert(xd, np.zeros((), np.int64))
        return dynamic_slice(x, starts, slice_sizes[:xd] + (axis_size,)
                             + slice_sizes[xd:]), xd
    # windows at different places: gather their entries from the flattened x
    shape = get_aval(x).shape
    if xd is not None:
        x = move_axis(x, xd, 0)
        shape = shape[:xd] + shape[xd + 1:]
    where = _window_positions(axis_size, shape, starts, start_dims, slice_sizes,
                              per_example=xd is not None)
    flat = reshape(x, (int(np.prod(get_aval(x).shape, dtype=np.int64)),))
    return gather(flat, where, 0), 0


dynamic_update_slice_p = Primitive("dynamic_update_slice")


def dynamic_update_slice(x: ArrayLike, update: ArrayLike,
                         start_indices: Sequence[ArrayLike]) -> Array:
    """``x`` with the window at traced ``start_indices`` replaced by ``update``
    (starts clamped so the window stays in bounds).

    >>> dynamic_update_slice(np.zeros(4), np.ones(2), [1])
    array([0., 1., 1., 0.])
    """
    return dynamic_update_slice_p.bind(x, update, *start_indices)


@dynamic_update_slice_p.def_impl
def _dynamic_update_slice_impl(x, update, *starts):
    out = np.array(x, copy=True)
    update = np.asarray(update)
    begin = _clamped_starts(starts, out.shape, update.shape)
    out[tuple(builtins.slice(b, b + k) for b, k in zip(begin, update.shape))] = update
    return out


dynamic_update_slice_p.def_cost(structural_cost)  # data movement: bytes only


@dynamic_update_slice_p.def_abstract_eval
def _dynamic_update_slice_abstract_eval(x, update, *starts):
    _check_starts("dynamic_update_slice", x, starts)
    if update.dtype != x.dtype or update.ndim != x.ndim or not all(
            k <= n for k, n in zip(update.shape, x.shape)):
        raise TypeError(f"dynamic_update_slice: update {update.str_short()} must "
                        f"have the dtype and rank of {x.str_short()} and fit in it")
    return x


def_linear_in(dynamic_update_slice_p, (0, 1))


@dynamic_update_slice_p.def_transpose
def _dynamic_update_slice_transpose(ct, x, update, *starts):
    u_aval = get_aval(update)
    ct_x = (dynamic_update_slice(ct, zeros(u_aval), starts)
            if is_undefined(x) else None)
    ct_update = (dynamic_slice(ct, starts, u_aval.shape)
                 if is_undefined(update) else None)
    return [ct_x, ct_update] + [None] * len(starts)


@dynamic_update_slice_p.def_batch
def _dynamic_update_slice_batch(axis_size, args, dims):
    from ftrans.prims._batching import at_dim
    (x, update, *starts), (xd, ud, *start_dims) = args, dims
    if all(sd is None for sd in start_dims):
        d = ud if xd is None else xd
        starts.insert(d, np.zeros((), np.int64))
        return dynamic_update_slice(at_dim(x, xd, axis_size, d),
                                    at_dim(update, ud, axis_size, d), starts), d
    # windows at different places: scatter into the flattened batch (a window
    # never repeats a position, so the order of the writes does not matter)
    shape = get_aval(x).shape if xd is None else (
        get_aval(x).shape[:xd] + get_aval(x).shape[xd + 1:])
    u_shape = get_aval(update).shape if ud is None else (
        get_aval(update).shape[:ud] + get_aval(update).shape[ud + 1:])
    where = _window_positions(axis_size, shape, starts, start_dims, u_shape,
                              per_example=True)
    size = axis_size * int(np.prod(shape, dtype=np.int64))
    flat = reshape(at_dim(x, xd, axis_size, 0), (size,))
    out = scatter(flat, where, at_dim(update, ud, axis_size, 0), 0)
    return reshape(out, (axis_size,) + shape), 0


# --- gather ---------------------------------------------------------------------------

gather_p = Primitive("gather")


def gather(x: ArrayLike, indices: ArrayLike, axis: int) -> Array:
    """``np.take(x, indices, axis)``: the result has shape
    ``x.shape[:axis] + indices.shape + x.shape[axis+1:]``.

    ``indices`` should lie in ``[0, x.shape[axis])``; others are clipped into
    it (a negative index reads entry 0: ``ftrans.numpy`` normalizes negative
    indices before they reach this primitive).

    >>> gather(np.array([10., 20., 30.]), np.array([[2, 0]]), 0)
    array([[30., 10.]])
    """
    axis = _normalize_axis(axis, _ndim(x), "gather")
    return gather_p.bind(x, indices, axis=axis)


@gather_p.def_impl
def _gather_impl(x, indices, axis):
    return np.take(x, indices, axis=axis, mode="clip")


@gather_p.def_emit
def _gather_emit(ctx, out_names, in_exprs, axis):
    x, indices = in_exprs
    return f'{out_names[0]} = np.take({x}, {indices}, axis={axis}, mode="clip")'


_gather_emit.fresh = True  # np.take copies


@gather_p.def_cost
def _gather_cost(x, indices, axis):
    # one read per gathered entry, as a scatter of updates of this shape
    return dict(flops=int(np.prod(taken_shape(x, indices, axis), dtype=np.int64)),
                transcendentals=0)


@gather_p.def_abstract_eval
def _gather_abstract_eval(x, indices, axis):
    check_indices("gather", x, indices, axis)
    return x.update(shape=taken_shape(x, indices, axis))


def_linear_in(gather_p, (0,))


@gather_p.def_transpose
def _gather_transpose(ct, x, indices, axis):
    # each gathered entry sends its cotangent back to where it was read
    return [scatter_add(zeros(x.aval), indices, ct, axis), None]


@gather_p.def_batch
def _gather_batch(axis_size, args, dims, axis):
    from ftrans.prims._batching import fold_batch, fold_indices
    (x, indices), (xd, idd) = args, dims
    if idd is None:
        ax = axis + (xd <= axis)
        return gather(x, indices, ax), (xd if xd < ax else xd - 1 + _ndim(indices))
    if xd is None:  # every example reads the same x
        return gather(x, indices, axis), axis + idd
    # example b reads block b of the axis with the batch folded into it
    n = get_aval(x).shape[axis + (xd <= axis)]
    return gather(fold_batch(x, xd, axis, axis_size),
                  fold_indices(indices, idd, n, axis_size), axis), axis


# --- scatters ---------------------------------------------------------------------------

def _scatter_ufunc(ufunc, x, indices, updates, axis):
    """``out = x.copy(); ufunc.at(out, [..., indices, ...], updates)``."""
    out = np.array(x, copy=True)
    idx = np.clip(indices, 0, builtins.max(out.shape[axis] - 1, 0))
    ufunc.at(out, (builtins.slice(None),) * axis + (idx,), updates)
    return out


def _scatter_add_impl(x, indices, updates, axis):
    return _scatter_ufunc(np.add, x, indices, updates, axis)


scatter_add_p = scatter_op("scatter_add", _scatter_add_impl)


def scatter_add(x: ArrayLike, indices: ArrayLike, updates: ArrayLike, axis: int) -> Array:
    """``x`` with ``updates`` added at ``indices`` along ``axis``; repeated
    indices accumulate (``np.add.at``). ``updates`` has shape
    ``x.shape[:axis] + indices.shape + x.shape[axis+1:]``.

    >>> scatter_add(np.zeros(3), np.array([0, 2, 0]), np.array([1., 2., 3.]), 0)
    array([4., 0., 2.])
    """
    axis = _normalize_axis(axis, _ndim(x), "scatter_add")
    return scatter_add_p.bind(x, indices, updates, axis=axis)


def_linear_in(scatter_add_p, (0, 2))


@scatter_add_p.def_transpose
def _scatter_add_transpose(ct, x, indices, updates, axis):
    return [ct if is_undefined(x) else None, None,
            gather(ct, indices, axis) if is_undefined(updates) else None]


def _scatter_set_impl(x, indices, updates, axis):
    """``out[..., indices, ...] = updates`` where, of repeated indices, the
    last update wins (made explicit: numpy does not promise an order)."""
    out = np.array(x, copy=True)
    flat = np.clip(np.ravel(indices), 0, builtins.max(out.shape[axis] - 1, 0))
    _, first_from_end = np.unique(flat[::-1], return_index=True)
    last = flat.size - 1 - first_from_end
    updates = np.reshape(updates, out.shape[:axis] + (flat.size,) + out.shape[axis + 1:])
    out[(builtins.slice(None),) * axis + (flat[last],)] = np.take(updates, last, axis=axis)
    return out


scatter_p = scatter_op("scatter", _scatter_set_impl)


def scatter(x: ArrayLike, indices: ArrayLike, updates: ArrayLike, axis: int) -> Array:
    """``x`` with the entries at ``indices`` along ``axis`` set to ``updates``
    (numpy assignment; of repeated indices the last update wins).

    The transpose is exact also with repeated indices: only the update that
    wins receives the cotangent of its entry, the others receive zero.

    >>> scatter(np.zeros(3), np.array([0, 2, 0]), np.array([1., 2., 3.]), 0)
    array([3., 0., 2.])
    """
    axis = _normalize_axis(axis, _ndim(x), "scatter")
    return scatter_p.bind(x, indices, updates, axis=axis)


def_linear_in(scatter_p, (0, 2))


def _winning_updates(indices, n):
    """A boolean array of ``indices``'s shape: True where an index is the last
    occurrence of its value, i.e. where ``scatter``'s update is the one kept."""
    idx_shape = get_aval(indices).shape
    k = int(np.prod(idx_shape, dtype=np.int64))
    flat = reshape(indices, (k,))
    ids = iota(np.int64, (k,), 0)
    owner = scatter(full((n,), -1, np.int64), flat, ids, 0)
    return reshape(eq(gather(owner, flat, 0), ids), idx_shape)


@scatter_p.def_transpose
def _scatter_transpose(ct, x, indices, updates, axis):
    u_aval = get_aval(updates)
    # overwritten entries of x get no cotangent; each kept update gets its entry's
    ct_x = scatter(ct, indices, zeros(u_aval), axis) if is_undefined(x) else None
    ct_updates = None
    if is_undefined(updates):
        won = _winning_updates(indices, ct.shape[axis])
        idx_ndim = get_aval(indices).ndim
        won = broadcast_in_dim(won, u_aval.shape, tuple(range(axis, axis + idx_ndim)))
        ct_updates = select_n(won, zeros(u_aval), gather(ct, indices, axis))
    return [ct_x, None, ct_updates]


def _scatter_mul_impl(x, indices, updates, axis):
    return _scatter_ufunc(np.multiply, x, indices, updates, axis)


scatter_mul_p = scatter_op("scatter_mul", _scatter_mul_impl)


def scatter_mul(x: ArrayLike, indices: ArrayLike, updates: ArrayLike, axis: int) -> Array:
    """``x`` with its entries at ``indices`` along ``axis`` multiplied by
    ``updates``; repeated indices multiply in turn (``np.multiply.at``).

    The first derivative is exact everywhere. Higher derivatives are exact
    unless an update is exactly zero and shares its entry with other updates
    (there they miss the terms through that zero).

    >>> scatter_mul(np.ones(3), np.array([0, 2, 0]), np.array([2., 3., 4.]), 0)
    array([8., 1., 3.])
    """
    axis = _normalize_axis(axis, _ndim(x), "scatter_mul")
    return scatter_mul_p.bind(x, indices, updates, axis=axis)


@scatter_mul_p.def_jvp
def _scatter_mul_jvp(primals, tangents, axis):
    (x, indices, u), (x_dot, _, u_dot) = primals, tangents
    out = scatter_mul(x, indices, u, axis)
    x_aval, u_aval = get_aval(x), get_aval(u)
    ones = full(x_aval.shape, 1, x_aval.dtype)
    # out = x * P with P the product of the updates at each entry
    t_x = (Zero(x_aval) if type(x_dot) is Zero
           else mul(x_dot, scatter_mul(ones, indices, u, axis)))
    if type(u_dot) is Zero:
        return out, t_x
    # dP/du_j is the product of the other updates at u_j's entry: from the
    # product q of the nonzero updates and the number z of zero updates there,
    # it is q / u_j if z == 0, q if u_j is the only zero, and 0 otherwise.
    u_zero = eq(u, _zero_scalar(u_aval.dtype))
    safe_u = select_n(u_zero, u, full(u_aval.shape, 1, u_aval.dtype))
    q = gather(scatter_mul(ones, indices, safe_u, axis), indices, axis)
    u_zeros = select_n(u_zero, zeros(u_aval), full(u_aval.shape, 1, u_aval.dtype))
    z = gather(scatter_add(zeros(x_aval), indices, u_zeros, axis), indices, axis)
    nothing = zeros(u_aval)
    others = select_n(u_zero,
                      select_n(eq(z, _zero_scalar(u_aval.dtype)), nothing, div(q, safe_u)),
                      select_n(eq(z, np.ones((), u_aval.dtype)), nothing, q))
    d_p = scatter_add(zeros(x_aval), indices, mul(u_dot, others), axis)
    return out, add_tangents(t_x, mul(x, d_p))


def _scatter_min_impl(x, indices, updates, axis):
    return _scatter_ufunc(np.minimum, x, indices, updates, axis)


def _scatter_max_impl(x, indices, updates, axis):
    return _scatter_ufunc(np.maximum, x, indices, updates, axis)


scatter_min_p = scatter_extremum("scatter_min", _scatter_min_impl)
scatter_max_p = scatter_extremum("scatter_max", _scatter_max_impl)


def scatter_min(x: ArrayLike, indices: ArrayLike, updates: ArrayLike, axis: int) -> Array:
    """``x`` with its entries at ``indices`` along ``axis`` replaced by their
    minimum with ``updates`` (``np.minimum.at``). Ties in the derivative go to
    ``x``, then to the last tied update.

    >>> scatter_min(np.zeros(3), np.array([0, 2, 0]), np.array([-1., 2., -3.]), 0)
    array([-3.,  0.,  0.])
    """
    axis = _normalize_axis(axis, _ndim(x), "scatter_min")
    return scatter_min_p.bind(x, indices, updates, axis=axis)


def scatter_max(x: ArrayLike, indices: ArrayLike, updates: ArrayLike, axis: int) -> Array:
    """``x`` with its entries at ``indices`` along ``axis`` replaced by their
    maximum with ``updates`` (``np.maximum.at``). Ties in the derivative go to
    ``x``, then to the last tied update.

    >>> scatter_max(np.zeros(3), np.array([0, 2, 0]), np.array([-1., 2., 3.]), 0)
    array([3., 0., 2.])
    """
    axis = _normalize_axis(axis, _ndim(x), "scatter_max")
    return scatter_max_p.bind(x, indices, updates, axis=axis)


# --- iota ----------------------------------------------------------------------------

iota_p = Primitive("iota")


def iota(dtype: DTypeLike, shape: int | Shape, dimension: int) -> Array:
    """An array of ``shape`` whose entries count 0, 1, ... along ``dimension``.

    >>> iota(np.int64, (2, 3), 1)
    array([[0, 1, 2],
           [0, 1, 2]])
    """
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)
    dimension = _normalize_axis(dimension, len(shape), "iota")
    return iota_p.bind(dtype=np.dtype(dtype), shape=shape, dimension=dimension)


@iota_p.def_impl
def _iota_impl(dtype, shape, dimension):
    counts = np.arange(shape[dimension], dtype=dtype)
    return np.broadcast_to(counts.reshape([-1 if i == dimension else 1
                                           for i in range(len(shape))]), shape)


@iota_p.def_emit
def _iota_emit(ctx, out_names, in_exprs, dtype, shape, dimension):
    counts = f"np.arange({shape[dimension]}, dtype=np.{np.dtype(dtype).name})"
    if len(shape) == 1:  # the reshape and broadcast would change nothing
        return f"{out_names[0]} = {counts}"
    expanded = [-1 if i == dimension else 1 for i in range(len(shape))]
    return f"{out_names[0]} = np.broadcast_to({counts}.reshape({expanded}), {tuple(shape)})"


iota_p.def_cost(structural_cost)  # data movement: bytes only


@iota_p.def_abstract_eval
def _iota_abstract_eval(dtype, shape, dimension):
    if any(d < 0 for d in shape) or not 0 <= dimension < len(shape):
        raise TypeError(f"iota: invalid shape {shape} or dimension {dimension}")
    return ShapedArray(shape, dtype)


@iota_p.def_batch
def _iota_batch(axis_size, args, dims, **params):
    # vmap calls a rule only when an operand is batched, and iota has none
    raise AssertionError("internal error: vmap called the batch rule of iota, "
                         "which has no operands and so is never batched")


def_zero_jvp(iota_p)


__all__ = exports(globals())  # the public functions above: ftrans.lax exports them
