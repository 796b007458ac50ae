"""``ftrans.lax`` functions that are compositions, not primitives.

``map`` and ``associative_scan`` are built from ``scan``/``vmap`` and from
slices and concatenations, so every transformation (``grad`` of any order,
``vmap``, ``jit``) goes through them without rules of their own. The
others are the small conveniences of ``jax.lax`` (``select``, ``clamp``,
``slice_in_dim``, ``sort``, ``top_k``, ``reduce`` with a Python combiner,
...), each a few primitives.
"""

from __future__ import annotations

import builtins
import enum
from typing import Any, Callable, Sequence

import numpy as np

from ftrans.core import get_aval
from ftrans.typing import Array, ArrayLike, DTypeLike, PyTree, Shape

__all__ = ["map", "associative_scan", "select", "clamp", "broadcast", "broadcast_shapes",
           "broadcast_to_rank", "broadcasted_iota", "batch_matmul", "collapse",
           "slice_in_dim", "index_in_dim", "dynamic_slice_in_dim", "dynamic_index_in_dim",
           "dynamic_update_slice_in_dim", "dynamic_update_index_in_dim", "index_take",
           "full_like", "exp2", "is_finite", "reciprocal", "cbrt", "tile", "split",
           "sort", "sort_key_val", "top_k", "approx_max_k", "approx_min_k", "reduce",
           "reduce_and", "reduce_or", "reduce_xor", "cumlogsumexp", "optimization_barrier",
           "nextafter", "empty", "stack", "unstack", "platform_dependent", "Precision",
           "shift_left", "shift_right_arithmetic", "shift_right_logical",
           "population_count", "clz", "bitwise_xor", "erf_inv"]


def _jnp():
    import ftrans.numpy as jnp
    return jnp


def _lax():
    import ftrans.lax as lax
    return lax


def _tree():
    import ftrans.tree_util as tu
    return tu


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
    tu, lax, jnp = _tree(), _lax(), _jnp()
    leaves, tree = tu.tree_flatten(xs)
    if not leaves:
        raise ValueError("lax.map: xs has no array leaves to map over")
    lengths = {np.shape(get_aval(x).shape)[0] and get_aval(x).shape[0]
               if get_aval(x).shape else None for x in leaves}
    if None in lengths or len(lengths) != 1:
        raise ValueError("lax.map: every leaf of xs needs the same leading axis length, got "
                         f"shapes {[get_aval(x).shape for x in leaves]}")
    n = lengths.pop()
    if batch_size is None:
        return lax.scan(lambda _, x: ((), f(x)), (), xs)[1]
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"lax.map: batch_size must be a positive int, got {batch_size!r}")
    batch_size = builtins.min(int(batch_size), n)
    steps, rest = divmod(n, batch_size)
    main = tu.tree_map(lambda x: jnp.reshape(x[:steps * batch_size],
                                             (steps, batch_size) + get_aval(x).shape[1:]), xs)
    ys = lax.scan(lambda _, x: ((), vmap(f)(x)), (), main)[1]
    ys = tu.tree_map(lambda y: jnp.reshape(y, (steps * batch_size,) + get_aval(y).shape[2:]), ys)
    if rest:
        tail = vmap(f)(tu.tree_map(lambda x: x[steps * batch_size:], xs))
        ys = tu.tree_map(lambda a, b: jnp.concatenate([a, b]), ys, tail)
    return ys


def _slice_axis(x, axis: int, start, stop=None, step=None):
    idx = (builtins.slice(None),) * axis + (builtins.slice(start, stop, step),)
    return x[idx]


def _interleave(a, b, axis: int):
    # a[0], b[0], a[1], b[1], ... along axis; len(a) is len(b) or len(b) + 1
    jnp = _jnp()
    na, nb = get_aval(a).shape[axis], get_aval(b).shape[axis]
    head = a if na == nb else _slice_axis(a, axis, 0, nb)
    pairs = jnp.stack([head, b], axis=axis + 1)
    shape = list(get_aval(a).shape)
    shape[axis] = 2 * nb
    out = jnp.reshape(pairs, tuple(shape))
    if na != nb:
        out = jnp.concatenate([out, _slice_axis(a, axis, na - 1)], axis=axis)
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
    tu, jnp = _tree(), _jnp()
    leaves, tree = tu.tree_flatten(elems)
    leaves = [jnp.asarray(x) for x in leaves]
    if not leaves:
        raise ValueError("associative_scan: elems has no array leaves")
    ndim = get_aval(leaves[0]).ndim
    if not -ndim <= axis < ndim if ndim else True:
        raise ValueError(f"associative_scan: axis {axis} is out of range for operands of "
                         f"rank {ndim}")
    axis = axis % ndim
    lengths = {get_aval(x).shape[axis] if get_aval(x).ndim > axis else None for x in leaves}
    if len(lengths) != 1 or None in lengths:
        raise ValueError("associative_scan: every leaf needs the same length along axis "
                         f"{axis}, got shapes {[get_aval(x).shape for x in leaves]}")
    if reverse:
        leaves = [jnp.flip(x, axis) for x in leaves]

    def combine(a, b):
        out = fn(tu.tree_unflatten(tree, a), tu.tree_unflatten(tree, b))
        out_leaves, out_tree = tu.tree_flatten(out)
        if out_tree != tree:
            raise TypeError("associative_scan: fn must return the structure of its inputs "
                            f"({tree}), got {out_tree}")
        return [jnp.asarray(x) for x in out_leaves]

    def scan(xs):
        n = get_aval(xs[0]).shape[axis]
        if n < 2:
            return xs
        # combine neighbours (x0+x1, x2+x3, ...), then the prefixes of those are
        # the odd prefixes; each even prefix is an odd one combined with the next
        reduced = combine([_slice_axis(x, axis, 0, n - 1, 2) for x in xs],
                          [_slice_axis(x, axis, 1, None, 2) for x in xs])
        odd = scan(reduced)
        if n % 2 == 0:
            even = combine([_slice_axis(x, axis, 0, -1) for x in odd],
                           [_slice_axis(x, axis, 2, None, 2) for x in xs])
        else:
            even = combine(odd, [_slice_axis(x, axis, 2, None, 2) for x in xs])
        even = [jnp.concatenate([_slice_axis(x, axis, 0, 1), e], axis=axis)
                for x, e in zip(xs, even)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    out = scan(leaves)
    if reverse:
        out = [jnp.flip(x, axis) for x in out]
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
    return _lax().select_n(pred, on_false, on_true)


def clamp(min: ArrayLike, x: ArrayLike, max: ArrayLike) -> Array:  # noqa: A002
    """``x`` clipped into ``[min, max]`` (argument order of ``jax.lax.clamp``).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.clamp(0.0, np.array([-1.0, 0.5, 2.0]), 1.0)
    array([0. , 0.5, 1. ])
    """
    jnp = _jnp()
    return jnp.minimum(jnp.maximum(x, min), max)


def broadcast(operand: ArrayLike, sizes: Sequence[int]) -> Array:
    """``operand`` with leading axes of ``sizes`` added.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.broadcast(np.ones(3), (2,)).shape
    (2, 3)
    """
    jnp = _jnp()
    operand = jnp.asarray(operand)
    return jnp.broadcast_to(operand, tuple(sizes) + get_aval(operand).shape)


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
    jnp = _jnp()
    x = jnp.asarray(x)
    nd = get_aval(x).ndim
    return x if nd >= rank else jnp.reshape(x, (1,) * (rank - nd) + get_aval(x).shape)


def broadcasted_iota(dtype: DTypeLike, shape: Shape, dimension: int) -> Array:
    """Indices along ``dimension``, broadcast to ``shape``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.broadcasted_iota(np.int64, (2, 3), 1)
    array([[0, 1, 2],
           [0, 1, 2]])
    """
    return _lax().iota(dtype, tuple(shape), dimension)


def batch_matmul(lhs: ArrayLike, rhs: ArrayLike, precision: Any = None) -> Array:
    """Batched matrix product over the leading axes (``matmul`` of equal ranks).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.batch_matmul(np.ones((4, 2, 3)), np.ones((4, 3, 5))).shape
    (4, 2, 5)
    """
    jnp = _jnp()
    a, b = get_aval(lhs), get_aval(rhs)
    if a.ndim != b.ndim or a.ndim < 2 or a.shape[:-2] != b.shape[:-2]:
        raise TypeError("batch_matmul: operands need equal ranks >= 2 and equal batch "
                        f"axes, got {a.str_short()} and {b.str_short()}")
    return jnp.matmul(lhs, rhs)


def collapse(operand: ArrayLike, start_dimension: int, stop_dimension: int | None = None
             ) -> Array:
    """Axes ``start_dimension:stop_dimension`` merged into one.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.collapse(np.ones((2, 3, 4)), 1).shape
    (2, 12)
    """
    jnp = _jnp()
    shape = get_aval(operand).shape
    stop = len(shape) if stop_dimension is None else stop_dimension % (len(shape) + 1)
    start = start_dimension % len(shape) if shape else 0
    size = int(np.prod(shape[start:stop], dtype=np.int64))
    return jnp.reshape(operand, shape[:start] + (size,) + shape[stop:])


def slice_in_dim(operand: ArrayLike, start_index: int | None, limit_index: int | None,
                 stride: int = 1, axis: int = 0) -> Array:
    """``operand[start:limit:stride]`` along ``axis`` (static bounds).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.slice_in_dim(np.arange(6.0), 1, 5, 2)
    array([1., 3.])
    """
    x = _jnp().asarray(operand)
    return _slice_axis(x, axis % get_aval(x).ndim, start_index, limit_index, stride)


def index_in_dim(operand: ArrayLike, index: int, axis: int = 0, keepdims: bool = True
                 ) -> Array:
    """Element ``index`` along ``axis`` (static), keeping the axis by default.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.index_in_dim(np.arange(6.0).reshape(2, 3), 1, axis=1).shape
    (2, 1)
    """
    x = _jnp().asarray(operand)
    axis = axis % get_aval(x).ndim
    n = get_aval(x).shape[axis]
    index = index + n if index < 0 else index
    if not 0 <= index < n:
        raise IndexError(f"index_in_dim: index {index} out of range for axis {axis} of "
                         f"size {n}")
    out = _slice_axis(x, axis, index, index + 1)
    return out if keepdims else _jnp().squeeze(out, axis)


def dynamic_slice_in_dim(operand: ArrayLike, start_index: ArrayLike, slice_size: int,
                         axis: int = 0) -> Array:
    """``slice_size`` elements from a traced ``start_index`` along ``axis`` (clamped
    into range, as ``dynamic_slice``).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.dynamic_slice_in_dim(np.arange(6.0), 2, 3)
    array([2., 3., 4.])
    """
    x = _jnp().asarray(operand)
    shape = get_aval(x).shape
    axis = axis % len(shape)
    starts = [0] * len(shape)
    starts[axis] = start_index
    sizes = list(shape)
    sizes[axis] = slice_size
    return _lax().dynamic_slice(x, starts, tuple(sizes))


def dynamic_index_in_dim(operand: ArrayLike, index: ArrayLike, axis: int = 0,
                         keepdims: bool = True) -> Array:
    """Element ``index`` (traced) along ``axis``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.dynamic_index_in_dim(np.arange(6.0), 4, keepdims=False)
    array(4.)
    """
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else _jnp().squeeze(out, axis % get_aval(out).ndim)


def dynamic_update_slice_in_dim(operand: ArrayLike, update: ArrayLike,
                                start_index: ArrayLike, axis: int) -> Array:
    """``operand`` with ``update`` written from ``start_index`` along ``axis``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.dynamic_update_slice_in_dim(np.zeros(4), np.ones(2), 1, 0)
    array([0., 1., 1., 0.])
    """
    ndim = get_aval(operand).ndim
    starts = [0] * ndim
    starts[axis % ndim] = start_index
    return _lax().dynamic_update_slice(operand, update, starts)


def dynamic_update_index_in_dim(operand: ArrayLike, update: ArrayLike, index: ArrayLike,
                                axis: int) -> Array:
    """``operand`` with the slice ``index`` along ``axis`` replaced by ``update``
    (which may lack that axis).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.dynamic_update_index_in_dim(np.zeros((2, 2)), np.ones(2), 1, 0)
    array([[0., 0.],
           [1., 1.]])
    """
    jnp = _jnp()
    ndim = get_aval(operand).ndim
    axis = axis % ndim
    update = jnp.asarray(update)
    if get_aval(update).ndim == ndim - 1:
        update = jnp.expand_dims(update, axis)
    return dynamic_update_slice_in_dim(operand, update, index, axis)


def index_take(src: ArrayLike, idxs: Sequence[ArrayLike], axes: Sequence[int]) -> Array:
    """``src`` indexed by the arrays ``idxs`` along ``axes`` (one result row per index).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.index_take(np.arange(6.0).reshape(2, 3), [np.array([1, 0])], [0]).shape
    (2, 3)
    """
    x = _jnp().asarray(src)
    ndim = get_aval(x).ndim
    idx: list = [builtins.slice(None)] * ndim
    axes = [a % ndim for a in axes]
    if list(axes) != sorted(axes) or len(idxs) != len(axes):
        raise ValueError("index_take: give one index array per axis, axes in increasing "
                         "order")
    for i, a in zip(idxs, axes):
        idx[a] = i
    out = x[tuple(idx)]
    return out


def full_like(x: ArrayLike, fill_value: ArrayLike, dtype: DTypeLike | None = None,
              shape: Shape | None = None) -> Array:
    """An array like ``x`` (shape and dtype unless given) filled with ``fill_value``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.full_like(np.ones(2, np.int64), 7)
    array([7, 7])
    """
    a = get_aval(x)
    return _jnp().full(a.shape if shape is None else shape, fill_value,
                       a.dtype if dtype is None else dtype)


def exp2(x: ArrayLike) -> Array:
    """``2 ** x``, elementwise.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.exp2(np.array([0.0, 3.0]))
    array([1., 8.])
    """
    return _jnp().exp2(x)


def is_finite(x: ArrayLike) -> Array:
    """Whether each element is finite.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.is_finite(np.array([1.0, np.inf]))
    array([ True, False])
    """
    return _jnp().isfinite(x)


def reciprocal(x: ArrayLike) -> Array:
    """``1 / x``, elementwise.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.reciprocal(np.array([2.0, 4.0]))
    array([0.5 , 0.25])
    """
    return _jnp().reciprocal(x)


def cbrt(x: ArrayLike) -> Array:
    """The real cube root, elementwise.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.cbrt(np.array([-8.0, 27.0]))
    array([-2.,  3.])
    """
    return _jnp().cbrt(x)


def bitwise_xor(x: ArrayLike, y: ArrayLike) -> Array:
    """``x ^ y`` on integers or booleans.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.bitwise_xor(np.array([5]), np.array([3]))
    array([6])
    """
    return _jnp().bitwise_xor(x, y)


def _erf_inv_value(x):
    # Giles' rational start (single precision), then Newton steps on erf(y) = x
    jnp, lax = _jnp(), _lax()
    w = -jnp.log((1 - x) * (1 + x))
    wa = w - 2.5
    pa = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
              -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
        pa = c + pa * wa
    wb = jnp.sqrt(jnp.maximum(w, 5.0)) - 3
    pb = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
              -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
        pb = c + pb * wb
    y = jnp.where(w < 5, pa, pb) * x
    for _ in range(3):
        step = (lax.erf(y) - x) / (2 / np.sqrt(np.pi) * jnp.exp(-y * y))
        y = jnp.where(jnp.isfinite(step), y - step, y)
    return y


def _erf_inv():
    from ftrans.custom_derivatives import custom_jvp
    jnp = _jnp()

    @custom_jvp
    def erf_inv_(x):
        return _erf_inv_value(x)

    @erf_inv_.defjvp
    def _jvp(primals, tangents):
        (x,), (x_dot,) = primals, tangents
        y = erf_inv_(x)
        # d/dx erfinv(x) = sqrt(pi)/2 exp(erfinv(x)^2)
        return y, x_dot * (np.sqrt(np.pi) / 2) * jnp.exp(y * y)

    return erf_inv_


_ERF_INV = []


def erf_inv(x: ArrayLike) -> Array:
    """The inverse of ``erf`` on [-1, 1] (a rational start refined by Newton
    steps; its derivative is ``sqrt(pi)/2 exp(erf_inv(x)^2)``).

    >>> import numpy as np, ftrans.lax as lax
    >>> np.round(lax.erf_inv(np.array([0.0, 0.5])), 6)
    array([0.      , 0.476936])
    """
    jnp = _jnp()
    x = jnp.asarray(x)
    if get_aval(x).dtype.kind != "f":
        raise TypeError(f"erf_inv: the operand must be float, got {get_aval(x).str_short()}")
    if not _ERF_INV:
        _ERF_INV.append(_erf_inv())
    return _ERF_INV[0](x)


def tile(operand: ArrayLike, multiples: Sequence[int]) -> Array:
    """``operand`` repeated ``multiples[i]`` times along axis i.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.tile(np.array([1.0, 2.0]), (2,))
    array([1., 2., 1., 2.])
    """
    return _jnp().tile(operand, tuple(multiples))


def split(operand: ArrayLike, sizes: Sequence[int], axis: int = 0) -> list[Array]:
    """``operand`` cut along ``axis`` into pieces of ``sizes`` (which sum to its length).

    >>> import numpy as np, ftrans.lax as lax
    >>> [p.shape for p in lax.split(np.ones(5), (2, 3))]
    [(2,), (3,)]
    """
    x = _jnp().asarray(operand)
    axis = axis % get_aval(x).ndim
    n = get_aval(x).shape[axis]
    if builtins.sum(sizes) != n or builtins.any(s < 0 for s in sizes):
        raise ValueError(f"split: sizes {tuple(sizes)} must be >= 0 and sum to the axis "
                         f"length {n}")
    out, start = [], 0
    for s in sizes:
        out.append(_slice_axis(x, axis, start, start + s))
        start += s
    return out


def stack(operands: Sequence[ArrayLike], axis: int = 0) -> Array:
    """``operands`` (of one shape) stacked along a new ``axis``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.stack([np.ones(2), np.zeros(2)]).shape
    (2, 2)
    """
    return _jnp().stack(operands, axis)


def unstack(operand: ArrayLike, axis: int = 0) -> list[Array]:
    """The slices of ``operand`` along ``axis``.

    >>> import numpy as np, ftrans.lax as lax
    >>> len(lax.unstack(np.ones((3, 2))))
    3
    """
    return list(_jnp().unstack(operand, axis=axis))


# --- sorting ------------------------------------------------------------------------

def sort(operand: ArrayLike | Sequence[ArrayLike], dimension: int = -1, is_stable: bool = True,
         num_keys: int = 1) -> Array | tuple[Array, ...]:
    """Sort along ``dimension``; a sequence of operands is sorted together by the
    first ``num_keys`` of them (lexicographically), as ``jax.lax.sort``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.sort(np.array([3.0, 1.0, 2.0]))
    array([1., 2., 3.])
    >>> lax.sort((np.array([2, 1, 2]), np.array([0.0, 1.0, 2.0])), num_keys=1)[1]
    array([1., 0., 2.])
    """
    jnp = _jnp()
    single = not isinstance(operand, (tuple, list))
    ops = [jnp.asarray(operand)] if single else [jnp.asarray(o) for o in operand]
    if not 1 <= num_keys <= len(ops):
        raise ValueError(f"sort: num_keys must be in [1, {len(ops)}], got {num_keys}")
    ndim = get_aval(ops[0]).ndim
    if builtins.any(get_aval(o).shape != get_aval(ops[0]).shape for o in ops):
        raise ValueError("sort: operands must have one shape, got "
                         f"{[get_aval(o).shape for o in ops]}")
    if ndim == 0:
        return ops[0] if single else tuple(ops)
    dimension = dimension % ndim
    # lexicographic: stable argsorts from the last key to the first
    order = None
    for key in reversed(ops[:num_keys]):
        k = key if order is None else jnp.take_along_axis(key, order, axis=dimension)
        o = jnp.argsort(k, axis=dimension, stable=True)
        order = o if order is None else jnp.take_along_axis(order, o, axis=dimension)
    out = [jnp.take_along_axis(o, order, axis=dimension) for o in ops]
    return out[0] if single else tuple(out)


def sort_key_val(keys: ArrayLike, values: ArrayLike, dimension: int = -1,
                 is_stable: bool = True) -> tuple[Array, Array]:
    """``keys`` sorted along ``dimension``, and ``values`` in the same order.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.sort_key_val(np.array([2.0, 1.0]), np.array([10, 20]))
    (array([1., 2.]), array([20, 10]))
    """
    return sort((keys, values), dimension, is_stable, 1)


def top_k(operand: ArrayLike, k: int) -> tuple[Array, Array]:
    """The ``k`` largest entries along the last axis, largest first, and their
    indices (ties: the lower index first), as ``jax.lax.top_k``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.top_k(np.array([1.0, 4.0, 2.0, 3.0]), 2)
    (array([4., 3.]), array([1, 3]))
    """
    jnp = _jnp()
    x = jnp.asarray(operand)
    shape = get_aval(x).shape
    if not shape:
        raise TypeError("top_k: the operand needs at least one axis")
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= shape[-1]:
        raise ValueError(f"top_k: k must be an int in [0, {shape[-1]}], got {k!r}")
    idx = jnp.argsort(x, axis=-1, stable=True, descending=True)[..., :k]
    return jnp.take_along_axis(x, idx, axis=-1), idx


def approx_max_k(operand: ArrayLike, k: int, reduction_dimension: int = -1,
                 recall_target: float = 0.95, reduction_input_size_override: int = -1,
                 aggregate_to_topk: bool = True) -> tuple[Array, Array]:
    """The exact ``k`` largest along ``reduction_dimension`` (ftrans computes
    ``approx_max_k`` exactly).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.approx_max_k(np.array([1.0, 4.0, 2.0]), 1)
    (array([4.]), array([1]))
    """
    jnp = _jnp()
    x = jnp.moveaxis(jnp.asarray(operand), reduction_dimension, -1)
    v, i = top_k(x, k)
    return (jnp.moveaxis(v, -1, reduction_dimension), jnp.moveaxis(i, -1, reduction_dimension))


def approx_min_k(operand: ArrayLike, k: int, reduction_dimension: int = -1,
                 recall_target: float = 0.95, reduction_input_size_override: int = -1,
                 aggregate_to_topk: bool = True) -> tuple[Array, Array]:
    """The exact ``k`` smallest along ``reduction_dimension``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.approx_min_k(np.array([1.0, 4.0, 2.0]), 2)
    (array([1., 2.]), array([0, 2]))
    """
    jnp = _jnp()
    x = jnp.moveaxis(jnp.asarray(operand), reduction_dimension, -1)
    idx = jnp.argsort(x, axis=-1, stable=True)[..., :k]
    v = jnp.take_along_axis(x, idx, axis=-1)
    return (jnp.moveaxis(v, -1, reduction_dimension),
            jnp.moveaxis(idx, -1, reduction_dimension))


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
    tu, jnp = _tree(), _jnp()
    leaves, tree = tu.tree_flatten(operands)
    inits, init_tree = tu.tree_flatten(init_values)
    if len(inits) != len(leaves):
        raise ValueError("reduce: init_values must have one leaf per operand")
    leaves = [jnp.asarray(x) for x in leaves]
    ndim = get_aval(leaves[0]).ndim
    dims = sorted({d % ndim for d in dimensions}) if ndim else []

    def comb(a, b):
        out = computation(tu.tree_unflatten(tree, a), tu.tree_unflatten(tree, b))
        return [jnp.asarray(x) for x in tu.tree_leaves(out)]

    xs, rest = _reduce_pairs(leaves, dims, comb)
    if xs is None:
        return tu.tree_unflatten(tree, [jnp.broadcast_to(jnp.asarray(i, get_aval(x).dtype), rest)
                                        for i, x in zip(inits, leaves)])
    init = [jnp.broadcast_to(jnp.asarray(i, get_aval(x).dtype), rest)
            for i, x in zip(inits, xs)]
    return tu.tree_unflatten(tree, comb(init, xs))


def _reduce_pairs(leaves, dims, comb):
    """The leaves reduced over ``dims`` by ``comb`` in pairs, no initial value:
    ``(reduced leaves or None if the reduced size is 0, kept shape)``."""
    jnp = _jnp()
    ndim = get_aval(leaves[0]).ndim
    keep = [d for d in range(ndim) if d not in dims]
    # move the reduced axes to the front, merged into one
    xs = [jnp.transpose(x, list(dims) + keep) for x in leaves]
    rest = tuple(get_aval(leaves[0]).shape[d] for d in keep)
    xs = [jnp.reshape(x, (-1,) + rest) for x in xs]
    n = get_aval(xs[0]).shape[0]
    if n == 0:
        return None, rest
    while n > 1:
        half = n // 2
        pair = comb([x[:half] for x in xs], [x[half:2 * half] for x in xs])
        xs = [jnp.concatenate([p, x[2 * half:]]) if n % 2 else p for p, x in zip(pair, xs)]
        n = half + n % 2
    return [x[0] for x in xs], rest


def reduce_and(operand: ArrayLike, axes: Sequence[int]) -> Array:
    """Logical/bitwise AND over ``axes`` (booleans: ``all``).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.reduce_and(np.array([[True, False], [True, True]]), (1,))
    array([False,  True])
    """
    jnp = _jnp()
    x = jnp.asarray(operand)
    if get_aval(x).dtype == np.bool_:
        return jnp.all(x, axis=tuple(axes))
    return reduce(x, np.array(-1, get_aval(x).dtype), jnp.bitwise_and, axes)


def reduce_or(operand: ArrayLike, axes: Sequence[int]) -> Array:
    """Logical/bitwise OR over ``axes`` (booleans: ``any``).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.reduce_or(np.array([[True, False], [False, False]]), (1,))
    array([ True, False])
    """
    jnp = _jnp()
    x = jnp.asarray(operand)
    if get_aval(x).dtype == np.bool_:
        return jnp.any(x, axis=tuple(axes))
    return reduce(x, np.array(0, get_aval(x).dtype), jnp.bitwise_or, axes)


def reduce_xor(operand: ArrayLike, axes: Sequence[int]) -> Array:
    """Logical/bitwise XOR over ``axes``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.reduce_xor(np.array([[True, True], [True, False]]), (1,))
    array([False,  True])
    """
    jnp = _jnp()
    x = jnp.asarray(operand)
    return reduce(x, np.array(0, get_aval(x).dtype), jnp.bitwise_xor, axes)


def cumlogsumexp(operand: ArrayLike, axis: int = 0, reverse: bool = False) -> Array:
    """Running ``log(sum(exp(x)))`` along ``axis`` (stable: by ``logaddexp`` in an
    associative scan).

    >>> import numpy as np, ftrans.lax as lax
    >>> np.round(lax.cumlogsumexp(np.log(np.array([1.0, 2.0, 3.0]))), 6)
    array([0.      , 1.098612, 1.791759])
    """
    return associative_scan(_jnp().logaddexp, operand, reverse=reverse, axis=axis)


def optimization_barrier(operand: PyTree) -> PyTree:
    """The identity (ftrans has no compiler that would reorder across it).

    >>> import ftrans.lax as lax
    >>> lax.optimization_barrier(1.0)
    1.0
    """
    return operand


def nextafter(x1: ArrayLike, x2: ArrayLike) -> Array:
    """The next float after ``x1`` towards ``x2``.

    >>> import numpy as np, ftrans.lax as lax
    >>> bool(lax.nextafter(np.array(1.0), np.array(2.0)) > 1.0)
    True
    """
    return _jnp().nextafter(x1, x2)


def empty(dtype: DTypeLike) -> Array:
    """A scalar of ``dtype`` (zero; ``jax.lax.empty``'s contents are unspecified).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.empty(np.float32).dtype
    dtype('float32')
    """
    return _jnp().zeros((), dtype)


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


# --- integer bit operations (no derivatives) ---------------------------------------------

def _int_operands(name, x, y=None):
    jnp = _jnp()
    x = jnp.asarray(x)
    if get_aval(x).dtype.kind not in "iu":
        raise TypeError(f"{name}: operands must be integers, got {get_aval(x).str_short()}")
    if y is None:
        return x
    y = jnp.asarray(y, get_aval(x).dtype)
    return x, y


def shift_left(x: ArrayLike, y: ArrayLike) -> Array:
    """``x << y`` (0 where ``y`` is at least the bit width).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.shift_left(np.array([1, 3]), np.array([2, 1]))
    array([4, 6])
    """
    from ftrans.numpy._more import left_shift
    return left_shift(*_int_operands("shift_left", x, y))


def shift_right_arithmetic(x: ArrayLike, y: ArrayLike) -> Array:
    """``x >> y`` keeping the sign (floor division by ``2**y``).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.shift_right_arithmetic(np.array([-8, 8]), np.array([1, 2]))
    array([-4,  2])
    """
    from ftrans.numpy._more import right_shift
    return right_shift(*_int_operands("shift_right_arithmetic", x, y))


def shift_right_logical(x: ArrayLike, y: ArrayLike) -> Array:
    """``x >> y`` on the bits as unsigned (zeros shifted in).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.shift_right_logical(np.array([-1], np.int8), np.array([4], np.int8))
    array([15], dtype=int8)
    """
    from ftrans.numpy._more import _logical_right_shift
    return _logical_right_shift(*_int_operands("shift_right_logical", x, y))


def population_count(x: ArrayLike) -> Array:
    """The number of set bits of each integer (of its two's complement).

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.population_count(np.array([7, 8]))
    array([3, 1])
    """
    from ftrans.numpy._more import bitwise_count
    jnp = _jnp()
    x = _int_operands("population_count", x)
    return jnp.asarray(bitwise_count(x), get_aval(x).dtype)


def clz(x: ArrayLike) -> Array:
    """The number of leading zero bits of each integer.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.clz(np.array([1, 0], np.int32))
    array([31, 32], dtype=int32)
    """
    from ftrans.numpy._more import _bit_length
    jnp = _jnp()
    x = _int_operands("clz", x)
    bits = get_aval(x).dtype.itemsize * 8
    return jnp.asarray(bits - _bit_length(x), get_aval(x).dtype)
