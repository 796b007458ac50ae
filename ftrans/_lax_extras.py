"""``ftrans.lax`` functions that are compositions, not primitives.

``map`` and ``associative_scan`` are built from ``scan``/``vmap`` and from
slices and concatenations, so every transformation (``grad`` of any order,
``vmap``, ``jit``) goes through them without rules of their own. The
others are the small conveniences of ``jax.lax`` (``select``, ``clamp``,
``slice_in_dim``, ``reduce`` with a Python combiner, ...), each a few
primitives. This module sits beside ``ftrans/lax.py`` and, like it, binds
primitives only: ``ftrans.numpy`` builds on ``lax``, never the reverse.
"""

from __future__ import annotations

import builtins
import enum
from typing import Any, Callable, Sequence

import numpy as np

from ftrans.core import get_aval
from ftrans.prims import elementwise as E
from ftrans.prims import shape as S
from ftrans.typing import Array, ArrayLike, DTypeLike, PyTree, Shape

__all__ = ["map", "associative_scan", "select", "clamp", "broadcast", "broadcast_shapes",
           "broadcast_to_rank", "broadcasted_iota", "batch_matmul", "collapse",
           "slice_in_dim", "index_in_dim", "dynamic_slice_in_dim", "dynamic_index_in_dim",
           "dynamic_update_slice_in_dim", "dynamic_update_index_in_dim", "full_like", "exp2",
           "is_finite", "reciprocal", "cbrt", "bitwise_xor", "tile", "split", "stack",
           "unstack", "reduce", "reduce_and", "reduce_or", "reduce_xor", "cumlogsumexp",
           "optimization_barrier", "empty", "platform_dependent", "Precision"]


def _tree():
    import ftrans.tree_util as tu
    return tu


def _operand(x, dtype=None):
    from ftrans.prims._subjaxpr import as_operand
    x = as_operand(x)
    if dtype is not None and get_aval(x).dtype != np.dtype(dtype):
        x = E.convert_element_type(x, dtype)
    return x


def _scalar(value, like):
    return np.asarray(value, get_aval(like).dtype)


def _slice_axis(x, axis: int, start=None, stop=None, step=None):
    """``x[start:stop:step]`` along ``axis``, by the ``slice`` primitive."""
    shape = get_aval(x).shape
    start, stop, step = builtins.slice(start, stop, step).indices(shape[axis])
    stop = builtins.max(start, stop)
    starts = tuple(start if d == axis else 0 for d in range(len(shape)))
    limits = tuple(stop if d == axis else n for d, n in enumerate(shape))
    strides = tuple(step if d == axis else 1 for d in range(len(shape)))
    return S.slice(x, starts, limits, strides if step != 1 else None)


def _concat(xs, axis: int):
    kept = [x for x in xs if get_aval(x).shape[axis] > 0] or list(xs[:1])
    return kept[0] if len(kept) == 1 else S.concatenate(kept, axis)


def _reshape(x, shape):
    shape = tuple(shape)
    if -1 in shape:
        known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
        size = int(np.prod(get_aval(x).shape, dtype=np.int64))
        shape = tuple(size // builtins.max(known, 1) if d == -1 else d for d in shape)
    return x if get_aval(x).shape == shape else S.reshape(x, shape)


# --- loops --------------------------------------------------------------------------

def map(f: Callable, xs: PyTree, *, batch_size: int | None = None) -> PyTree:  # noqa: A001
    """``f`` applied to each slice of ``xs`` along its leading axis, stacked
    (a ``scan``); with ``batch_size``, ``batch_size`` slices at a time under
    ``vmap`` (the remainder in one more batched call), as ``jax.lax.map``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.map(lambda x: x * 2, np.arange(5.0), batch_size=2)
    array([0., 2., 4., 6., 8.])
    """
    from ftrans.batching import vmap
    from ftrans.prims.control import scan
    tu = _tree()
    leaves = tu.tree_leaves(xs)
    if not leaves:
        raise ValueError("lax.map: xs has no array leaves to map over")
    lengths = {get_aval(x).shape[0] if get_aval(x).shape else None for x in leaves}
    if None in lengths or len(lengths) != 1:
        raise ValueError("lax.map: every leaf of xs needs the same leading axis length, got "
                         f"shapes {[get_aval(x).shape for x in leaves]}")
    n = lengths.pop()
    if batch_size is None:
        return scan(lambda _, x: ((), f(x)), (), xs)[1]
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"lax.map: batch_size must be a positive int, got {batch_size!r}")
    batch_size = builtins.min(int(batch_size), n)
    steps, rest = divmod(n, batch_size)
    main = tu.tree_map(lambda x: _reshape(_slice_axis(_operand(x), 0, 0, steps * batch_size),
                                          (steps, batch_size) + get_aval(x).shape[1:]), xs)
    ys = scan(lambda _, x: ((), vmap(f)(x)), (), main)[1]
    ys = tu.tree_map(lambda y: _reshape(y, (steps * batch_size,) + get_aval(y).shape[2:]), ys)
    if rest:
        tail = vmap(f)(tu.tree_map(lambda x: _slice_axis(_operand(x), 0, steps * batch_size),
                                   xs))
        ys = tu.tree_map(lambda a, b: _concat([_operand(a), _operand(b)], 0), ys, tail)
    return ys


def _interleave(a, b, axis: int):
    # a[0], b[0], a[1], b[1], ... along axis; len(a) is len(b) or len(b) + 1
    from ftrans.prims.shape import expand_dims, reshape
    na, nb = get_aval(a).shape[axis], get_aval(b).shape[axis]
    head = a if na == nb else _slice_axis(a, axis, 0, nb)
    pairs = _concat([expand_dims(head, (axis + 1,)), expand_dims(b, (axis + 1,))], axis + 1)
    shape = list(get_aval(a).shape)
    shape[axis] = 2 * nb
    out = reshape(pairs, tuple(shape))
    if na != nb:
        out = _concat([out, _slice_axis(a, axis, na - 1)], axis)
    return out


def associative_scan(fn: Callable, elems: PyTree, reverse: bool = False,
                     axis: int = 0) -> PyTree:
    """All prefix combinations ``fn(... fn(fn(x0, x1), x2) ..., xi)`` along
    ``axis``, for an associative ``fn``, by the parallel prefix algorithm
    (combine pairs, recurse on the half, fill in the other half: O(log n)
    rounds of array-wide ``fn`` calls), as ``jax.lax.associative_scan``.
    ``elems`` is a pytree of arrays of one length along ``axis``; ``fn`` takes
    and returns such pytrees. Built from slices and concatenations, so it
    differentiates and batches.

    >>> import numpy as np, ftrans.lax as lax, ftrans.numpy as jnp
    >>> lax.associative_scan(jnp.add, np.arange(1.0, 6.0))
    array([ 1.,  3.,  6., 10., 15.])
    >>> lax.associative_scan(jnp.maximum, np.array([1.0, 3.0, 2.0]), reverse=True)
    array([3., 3., 2.])
    """
    tu = _tree()
    leaves, tree = tu.tree_flatten(elems)
    leaves = [_operand(x) for x in leaves]
    if not leaves:
        raise ValueError("associative_scan: elems has no array leaves")
    ndim = get_aval(leaves[0]).ndim
    if ndim == 0 or not -ndim <= axis < ndim:
        raise ValueError(f"associative_scan: axis {axis} is out of range for operands of "
                         f"rank {ndim}")
    axis = axis % ndim
    lengths = {get_aval(x).shape[axis] if get_aval(x).ndim > axis else None for x in leaves}
    if len(lengths) != 1 or None in lengths:
        raise ValueError("associative_scan: every leaf needs the same length along axis "
                         f"{axis}, got shapes {[get_aval(x).shape for x in leaves]}")
    if reverse:
        leaves = [S.rev(x, (axis,)) for x in leaves]

    def combine(a, b):
        out = fn(tu.tree_unflatten(tree, a), tu.tree_unflatten(tree, b))
        out_leaves, out_tree = tu.tree_flatten(out)
        if out_tree != tree:
            raise TypeError("associative_scan: fn must return the structure of its inputs "
                            f"({tree}), got {out_tree}")
        return [_operand(x) for x in out_leaves]

    def scan(xs):
        n = get_aval(xs[0]).shape[axis]
        if n < 2:
            return xs
        # combine neighbours (x0+x1, x2+x3, ...): the prefixes of those are the
        # odd prefixes; each even prefix is an odd one combined with the next x
        reduced = combine([_slice_axis(x, axis, 0, n - 1, 2) for x in xs],
                          [_slice_axis(x, axis, 1, None, 2) for x in xs])
        odd = scan(reduced)
        if n % 2 == 0:
            even = combine([_slice_axis(x, axis, 0, get_aval(x).shape[axis] - 1) for x in odd],
                           [_slice_axis(x, axis, 2, None, 2) for x in xs])
        else:
            even = combine(odd, [_slice_axis(x, axis, 2, None, 2) for x in xs])
        even = [_concat([_slice_axis(x, axis, 0, 1), e], axis) for x, e in zip(xs, even)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    out = scan(leaves)
    if reverse:
        out = [S.rev(x, (axis,)) for x in out]
    return tu.tree_unflatten(tree, out)


# --- selection and shapes -----------------------------------------------------------

def select(pred: ArrayLike, on_true: ArrayLike, on_false: ArrayLike) -> Array:
    """``on_true`` where ``pred`` else ``on_false`` (boolean ``pred``, operands of one
    shape and dtype), as ``jax.lax.select``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.select(np.array([True, False]), np.ones(2), np.zeros(2))
    array([1., 0.])
    """
    p = get_aval(pred)
    if p.dtype != np.bool_:
        raise TypeError(f"select: pred must be boolean, got {p.str_short()}")
    return E.select_n(pred, on_false, on_true)


def clamp(min: ArrayLike, x: ArrayLike, max: ArrayLike) -> Array:  # noqa: A002
    """``x`` clipped into ``[min, max]`` (argument order of ``jax.lax.clamp``).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.clamp(0.0, np.array([-1.0, 0.5, 2.0]), 1.0)
    array([0. , 0.5, 1. ])
    """
    x = _operand(x)
    dt = get_aval(x).dtype
    return E.min(E.max(x, _operand(min, dt)), _operand(max, dt))


def broadcast(operand: ArrayLike, sizes: Sequence[int]) -> Array:
    """``operand`` with leading axes of ``sizes`` added.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.broadcast(np.ones(3), (2,)).shape
    (2, 3)
    """
    operand = _operand(operand)
    shape = get_aval(operand).shape
    sizes = tuple(sizes)
    return S.broadcast_in_dim(operand, sizes + shape,
                              tuple(range(len(sizes), len(sizes) + len(shape))))


def broadcast_shapes(*shapes: Shape) -> tuple[int, ...]:
    """The broadcast of ``shapes``, as numpy's rule.

    >>> import ftrans.lax as lax
    >>> lax.broadcast_shapes((2, 1), (3,))
    (2, 3)
    """
    return tuple(np.broadcast_shapes(*shapes))


def broadcast_to_rank(x: ArrayLike, rank: int) -> Array:
    """``x`` with leading size-1 axes up to ``rank``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.broadcast_to_rank(np.ones(3), 3).shape
    (1, 1, 3)
    """
    x = _operand(x)
    nd = get_aval(x).ndim
    return x if nd >= rank else _reshape(x, (1,) * (rank - nd) + get_aval(x).shape)


def broadcasted_iota(dtype: DTypeLike, shape: Shape, dimension: int) -> Array:
    """Indices along ``dimension``, broadcast to ``shape``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.broadcasted_iota(np.int64, (2, 3), 1)
    array([[0, 1, 2],
           [0, 1, 2]])
    """
    return S.iota(dtype, tuple(shape), dimension)


def batch_matmul(lhs: ArrayLike, rhs: ArrayLike, precision: Any = None) -> Array:
    """Batched matrix product over the leading axes (``matmul`` of equal ranks).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.batch_matmul(np.ones((4, 2, 3)), np.ones((4, 3, 5))).shape
    (4, 2, 5)
    """
    a, b = get_aval(lhs), get_aval(rhs)
    if a.ndim != b.ndim or a.ndim < 2 or a.shape[:-2] != b.shape[:-2]:
        raise TypeError("batch_matmul: operands need equal ranks >= 2 and equal batch "
                        f"axes, got {a.str_short()} and {b.str_short()}")
    from ftrans.prims.linalg import dot_general
    batch = tuple(range(a.ndim - 2))
    return dot_general(lhs, rhs, (((a.ndim - 1,), (b.ndim - 2,)), (batch, batch)))


def collapse(operand: ArrayLike, start_dimension: int, stop_dimension: int | None = None
             ) -> Array:
    """Axes ``start_dimension:stop_dimension`` merged into one.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.collapse(np.ones((2, 3, 4)), 1).shape
    (2, 12)
    """
    operand = _operand(operand)
    shape = get_aval(operand).shape
    stop = len(shape) if stop_dimension is None else stop_dimension % (len(shape) + 1)
    start = start_dimension % len(shape) if shape else 0
    size = int(np.prod(shape[start:stop], dtype=np.int64))
    return _reshape(operand, shape[:start] + (size,) + shape[stop:])


def slice_in_dim(operand: ArrayLike, start_index: int | None, limit_index: int | None,
                 stride: int = 1, axis: int = 0) -> Array:
    """``operand[start:limit:stride]`` along ``axis`` (static bounds).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.slice_in_dim(np.arange(6.0), 1, 5, 2)
    array([1., 3.])
    """
    x = _operand(operand)
    return _slice_axis(x, axis % get_aval(x).ndim, start_index, limit_index, stride)


def index_in_dim(operand: ArrayLike, index: int, axis: int = 0, keepdims: bool = True
                 ) -> Array:
    """Element ``index`` along ``axis`` (static), keeping the axis by default.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.index_in_dim(np.arange(6.0).reshape(2, 3), 1, axis=1).shape
    (2, 1)
    """
    x = _operand(operand)
    axis = axis % get_aval(x).ndim
    n = get_aval(x).shape[axis]
    index = index + n if index < 0 else index
    if not 0 <= index < n:
        raise IndexError(f"index_in_dim: index {index} out of range for axis {axis} of "
                         f"size {n}")
    out = _slice_axis(x, axis, index, index + 1)
    return out if keepdims else S.squeeze(out, (axis,))


def dynamic_slice_in_dim(operand: ArrayLike, start_index: ArrayLike, slice_size: int,
                         axis: int = 0) -> Array:
    """``slice_size`` elements from a traced ``start_index`` along ``axis`` (clamped
    into range, as ``dynamic_slice``).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.dynamic_slice_in_dim(np.arange(6.0), 2, 3)
    array([2., 3., 4.])
    """
    x = _operand(operand)
    shape = get_aval(x).shape
    axis = axis % len(shape)
    starts = [np.int64(0)] * len(shape)
    starts[axis] = start_index
    sizes = list(shape)
    sizes[axis] = slice_size
    return S.dynamic_slice(x, starts, tuple(sizes))


def dynamic_index_in_dim(operand: ArrayLike, index: ArrayLike, axis: int = 0,
                         keepdims: bool = True) -> Array:
    """Element ``index`` (traced) along ``axis``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.dynamic_index_in_dim(np.arange(6.0), 4, keepdims=False)
    array(4.)
    """
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else S.squeeze(out, (axis % get_aval(out).ndim,))


def dynamic_update_slice_in_dim(operand: ArrayLike, update: ArrayLike,
                                start_index: ArrayLike, axis: int) -> Array:
    """``operand`` with ``update`` written from ``start_index`` along ``axis``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.dynamic_update_slice_in_dim(np.zeros(4), np.ones(2), 1, 0)
    array([0., 1., 1., 0.])
    """
    operand = _operand(operand)
    ndim = get_aval(operand).ndim
    starts = [np.int64(0)] * ndim
    starts[axis % ndim] = start_index
    return S.dynamic_update_slice(operand, _operand(update), starts)


def dynamic_update_index_in_dim(operand: ArrayLike, update: ArrayLike, index: ArrayLike,
                                axis: int) -> Array:
    """``operand`` with the slice ``index`` along ``axis`` replaced by ``update``
    (which may lack that axis).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.dynamic_update_index_in_dim(np.zeros((2, 2)), np.ones(2), 1, 0)
    array([[0., 0.],
           [1., 1.]])
    """
    operand = _operand(operand)
    ndim = get_aval(operand).ndim
    axis = axis % ndim
    update = _operand(update)
    if get_aval(update).ndim == ndim - 1:
        update = S.expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis)


def full_like(x: ArrayLike, fill_value: ArrayLike, dtype: DTypeLike | None = None,
              shape: Shape | None = None) -> Array:
    """An array like ``x`` (shape and dtype unless given) filled with ``fill_value``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.full_like(np.ones(2, np.int64), 7)
    array([7, 7])
    """
    a = get_aval(x)
    return S.full(a.shape if shape is None else tuple(shape), fill_value,
                  a.dtype if dtype is None else dtype)


def exp2(x: ArrayLike) -> Array:
    """``2 ** x``, elementwise.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.exp2(np.array([0.0, 3.0]))
    array([1., 8.])
    """
    x = _operand(x)
    return E.pow(_scalar(2.0, x), x)


def is_finite(x: ArrayLike) -> Array:
    """Whether each element is finite.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.is_finite(np.array([1.0, np.inf]))
    array([ True, False])
    """
    x = _operand(x)
    # x - x is 0 exactly where x is finite (nan for inf and nan)
    return E.eq(E.sub(x, x), _scalar(0, x))


def reciprocal(x: ArrayLike) -> Array:
    """``1 / x``, elementwise.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.reciprocal(np.array([2.0, 4.0]))
    array([0.5 , 0.25])
    """
    x = _operand(x)
    return E.div(_scalar(1, x), x)


def cbrt(x: ArrayLike) -> Array:
    """The real cube root, elementwise.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.cbrt(np.array([-8.0, 27.0]))
    array([-2.,  3.])
    """
    x = _operand(x)
    return E.mul(E.sign(x), E.pow(E.abs(x), _scalar(1 / 3, x)))


def bitwise_xor(x: ArrayLike, y: ArrayLike) -> Array:
    """``x ^ y`` on integers or booleans.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.bitwise_xor(np.array([5]), np.array([3]))
    array([6])
    """
    x, y = _operand(x), _operand(y)
    return E.bitwise_and(E.bitwise_or(x, y), E.bitwise_not(E.bitwise_and(x, y)))


def tile(operand: ArrayLike, multiples: Sequence[int]) -> Array:
    """``operand`` repeated ``multiples[i]`` times along axis i.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.tile(np.array([1.0, 2.0]), (2,))
    array([1., 2., 1., 2.])
    """
    x = _operand(operand)
    shape = get_aval(x).shape
    reps = tuple(multiples)
    if len(reps) != len(shape):
        raise ValueError(f"tile: give one multiple per axis of {get_aval(x).str_short()}, "
                         f"got {reps}")
    # (r0, s0, r1, s1, ...) by broadcasting, then merged pairwise
    inter = tuple(v for pair in zip(reps, shape) for v in pair)
    b = S.broadcast_in_dim(x, inter, tuple(range(1, 2 * len(shape), 2)))
    return _reshape(b, tuple(r * n for r, n in zip(reps, shape)))


def split(operand: ArrayLike, sizes: Sequence[int], axis: int = 0) -> list[Array]:
    """``operand`` cut along ``axis`` into pieces of ``sizes`` (which sum to its length).

    >>> import numpy as np, ftrans.lax as lax
    >>> [p.shape for p in lax.split(np.ones(5), (2, 3))]
    [(2,), (3,)]
    """
    x = _operand(operand)
    axis = axis % get_aval(x).ndim
    n = get_aval(x).shape[axis]
    if builtins.sum(sizes) != n or builtins.any(s < 0 for s in sizes):
        raise ValueError(f"split: sizes {tuple(sizes)} must be >= 0 and sum to the axis "
                         f"length {n}")
    out, start = [], 0
    for size in sizes:
        out.append(_slice_axis(x, axis, start, start + size))
        start += size
    return out


def stack(operands: Sequence[ArrayLike], axis: int = 0) -> Array:
    """``operands`` (of one shape) stacked along a new ``axis``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.stack([np.ones(2), np.zeros(2)]).shape
    (2, 2)
    """
    ops = [_operand(o) for o in operands]
    if not ops:
        raise ValueError("stack: need at least one operand")
    if builtins.any(get_aval(o).shape != get_aval(ops[0]).shape for o in ops):
        raise ValueError(f"stack: operands need one shape, got {[get_aval(o).shape for o in ops]}")
    axis = axis % (get_aval(ops[0]).ndim + 1)
    return _concat([S.expand_dims(o, (axis,)) for o in ops], axis)


def unstack(operand: ArrayLike, axis: int = 0) -> list[Array]:
    """The slices of ``operand`` along ``axis``.

    >>> import numpy as np, ftrans.lax as lax
    >>> len(lax.unstack(np.ones((3, 2))))
    3
    """
    x = _operand(operand)
    axis = axis % get_aval(x).ndim
    return [S.squeeze(_slice_axis(x, axis, i, i + 1), (axis,))
            for i in range(get_aval(x).shape[axis])]


# --- reductions ---------------------------------------------------------------------

def reduce(operands: PyTree, init_values: PyTree, computation: Callable,
           dimensions: Sequence[int]) -> PyTree:
    """Reduce ``operands`` over ``dimensions`` with ``computation`` (associative and
    commutative, as XLA assumes) starting from ``init_values``: pairwise, in
    O(log n) rounds of array-wide calls, so any ``computation`` written with
    ftrans operations differentiates. Pytrees of operands reduce together.

    >>> import numpy as np, ftrans.lax as lax, ftrans.numpy as jnp
    >>> lax.reduce(np.arange(6.0).reshape(2, 3), 0.0, jnp.add, (1,))
    array([ 3., 12.])
    """
    tu = _tree()
    leaves, tree = tu.tree_flatten(operands)
    inits = tu.tree_leaves(init_values)
    if len(inits) != len(leaves):
        raise ValueError("reduce: init_values must have one leaf per operand")
    leaves = [_operand(x) for x in leaves]
    ndim = get_aval(leaves[0]).ndim
    dims = sorted({d % ndim for d in dimensions}) if ndim else []

    def comb(a, b):
        out = computation(tu.tree_unflatten(tree, a), tu.tree_unflatten(tree, b))
        return [_operand(x) for x in tu.tree_leaves(out)]

    xs, rest = _reduce_pairs(leaves, dims, comb)
    init = [S.full(rest, i, get_aval(x).dtype) for i, x in zip(inits, leaves)]
    if xs is None:
        return tu.tree_unflatten(tree, init)
    return tu.tree_unflatten(tree, comb(init, xs))


def _reduce_pairs(leaves, dims, comb):
    """The leaves reduced over ``dims`` by ``comb`` in pairs, no initial value:
    ``(reduced leaves or None if the reduced size is 0, kept shape)``."""
    ndim = get_aval(leaves[0]).ndim
    keep = [d for d in range(ndim) if d not in dims]
    # the reduced axes moved to the front and merged into one
    xs = [S.transpose(x, tuple(dims) + tuple(keep)) if list(dims) + keep != list(range(ndim))
          else x for x in leaves]
    rest = tuple(get_aval(leaves[0]).shape[d] for d in keep)
    xs = [_reshape(x, (-1,) + rest) for x in xs]
    n = get_aval(xs[0]).shape[0]
    if n == 0:
        return None, rest
    while n > 1:
        half = n // 2
        pair = comb([_slice_axis(x, 0, 0, half) for x in xs],
                    [_slice_axis(x, 0, half, 2 * half) for x in xs])
        xs = [_concat([p, _slice_axis(x, 0, 2 * half)], 0) if n % 2 else p
              for p, x in zip(pair, xs)]
        n = half + n % 2
    return [S.squeeze(x, (0,)) for x in xs], rest


def reduce_and(operand: ArrayLike, axes: Sequence[int]) -> Array:
    """Logical/bitwise AND over ``axes`` (booleans: ``all``).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.reduce_and(np.array([[True, False], [True, True]]), (1,))
    array([False,  True])
    """
    x = _operand(operand)
    return reduce(x, np.array(True if get_aval(x).dtype == np.bool_ else -1,
                              get_aval(x).dtype), E.bitwise_and, axes)


def reduce_or(operand: ArrayLike, axes: Sequence[int]) -> Array:
    """Logical/bitwise OR over ``axes`` (booleans: ``any``).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.reduce_or(np.array([[True, False], [False, False]]), (1,))
    array([ True, False])
    """
    x = _operand(operand)
    return reduce(x, np.array(0, get_aval(x).dtype), E.bitwise_or, axes)


def reduce_xor(operand: ArrayLike, axes: Sequence[int]) -> Array:
    """Logical/bitwise XOR over ``axes``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.reduce_xor(np.array([[True, True], [True, False]]), (1,))
    array([False,  True])
    """
    x = _operand(operand)
    return reduce(x, np.array(0, get_aval(x).dtype), bitwise_xor, axes)


def cumlogsumexp(operand: ArrayLike, axis: int = 0, reverse: bool = False) -> Array:
    """Running ``log(sum(exp(x)))`` along ``axis`` (stable: by ``logaddexp`` in an
    associative scan).

    >>> import numpy as np, ftrans.lax as lax
    >>> np.round(lax.cumlogsumexp(np.log(np.array([1.0, 2.0, 3.0]))), 6)
    array([0.      , 1.098612, 1.791759])
    """
    return associative_scan(_logaddexp, operand, reverse=reverse, axis=axis)


def _logaddexp(a, b):
    # max + log1p(exp(-|a - b|)); a - b is nan only where both are the same
    # infinity, and then the difference counts as 0
    m = E.max(a, b)
    d = E.sub(a, b)
    d = E.select_n(E.eq(d, d), S.full(get_aval(d).shape, 0, get_aval(d).dtype), d)
    return E.add(m, E.log1p(E.exp(E.neg(E.abs(d)))))


def optimization_barrier(operand: PyTree) -> PyTree:
    """The identity (ftrans has no compiler that would reorder across it).

    >>> import ftrans.lax as lax
    >>> lax.optimization_barrier(1.0)
    1.0
    """
    return operand


def empty(dtype: DTypeLike) -> Array:
    """A scalar of ``dtype`` (zero; ``jax.lax.empty``'s contents are unspecified).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.empty(np.float32).dtype
    dtype('float32')
    """
    return S.full((), 0, dtype)


def platform_dependent(*args: Any, default: Callable | None = None, **per_platform: Callable
                       ) -> Any:
    """Call the ``cpu`` branch (ftrans runs on the CPU), or ``default``.

    >>> import ftrans.lax as lax
    >>> lax.platform_dependent(2.0, cpu=lambda x: x + 1, default=lambda x: x)
    3.0
    """
    fn = per_platform.get("cpu", default)
    if fn is None:
        raise ValueError("platform_dependent: give a 'cpu' branch or a default")
    return fn(*args)


class Precision(enum.Enum):
    """``jax.lax.Precision``: accepted where ``precision=`` is; numpy computes
    at the dtype's full precision whatever is asked.

    >>> import ftrans.lax as lax
    >>> lax.Precision.HIGHEST.name
    'HIGHEST'
    """
    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2


