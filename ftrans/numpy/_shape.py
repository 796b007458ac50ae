"""Shape functions of ftrans.numpy: reshaping, transposing, joining,
splitting, tiling, flipping and the triangle/diagonal views.

Everything here lowers to the structural primitives (``reshape``,
``transpose``, ``broadcast_in_dim``, ``concatenate``, ``slice``, ``rev``,
``pad``, ``gather``), which are linear: the derivatives of these functions
come from those primitives' transpose rules.
"""

from __future__ import annotations

import builtins
import operator
from typing import Sequence

import numpy as np

from ftrans import lax
from ftrans.numpy._reductions import _normalize_axis, _reduction_axes
from ftrans.numpy._ufuncs import (_dtype, _shape, asarray, broadcast_to_shape, result_type,
                                  subtract, where)
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike, Axis, DTypeLike, Shape

__all__ = [
    "shape", "ndim", "size", "reshape", "ravel", "transpose", "permute_dims",
    "matrix_transpose", "moveaxis", "swapaxes", "expand_dims", "squeeze",
    "concatenate", "concat", "stack", "unstack", "hstack", "vstack",
    "row_stack", "dstack", "column_stack", "append", "split", "array_split",
    "hsplit", "vsplit", "dsplit", "tile", "repeat", "broadcast_to",
    "broadcast_arrays", "broadcast_shapes", "flip", "fliplr", "flipud",
    "rot90", "atleast_1d", "atleast_2d", "atleast_3d", "diagonal", "tril",
    "triu", "pad", "diff",
]


def shape(a: ArrayLike) -> tuple[int, ...]:
    """The shape of ``a``.

    >>> import ftrans.numpy as jnp
    >>> jnp.shape([[1, 2, 3]])
    (1, 3)
    """
    return tuple(_shape(a))


def ndim(a: ArrayLike) -> int:
    """The number of axes of ``a``.

    >>> import ftrans.numpy as jnp
    >>> jnp.ndim(1.0)
    0
    """
    return len(_shape(a))


def size(a: ArrayLike, axis: int | None = None) -> int:
    """The number of elements of ``a`` (along ``axis`` if given).

    >>> import ftrans.numpy as jnp
    >>> jnp.size([[1, 2, 3]]), jnp.size([[1, 2, 3]], 1)
    (3, 3)
    """
    s = _shape(a)
    if axis is not None:
        return s[_normalize_axis(axis, len(s))]
    return int(np.prod(s, dtype=np.int64))


def _resolve_shape(newshape, total: int) -> tuple:
    if isinstance(newshape, (int, np.integer)):
        newshape = (newshape,)
    newshape = [operator.index(d) for d in newshape]
    unknown = [i for i, d in enumerate(newshape) if d == -1]
    if len(unknown) > 1:
        raise ValueError("reshape: can only specify one unknown dimension (-1)")
    if unknown:
        known = int(np.prod([d for d in newshape if d != -1], dtype=np.int64))
        if known == 0 or total % known:
            raise ValueError(f"reshape: cannot reshape array of size {total} into "
                             f"shape {tuple(newshape)}")
        newshape[unknown[0]] = total // known
    if int(np.prod(newshape, dtype=np.int64)) != total or builtins.min(newshape, default=0) < 0:
        raise ValueError(f"reshape: cannot reshape array of size {total} into shape "
                         f"{tuple(newshape)}")
    return tuple(newshape)


def reshape(a: ArrayLike, shape: int | Shape | None = None, order: str = "C", *,
            newshape: int | Shape | None = None) -> Array:
    """``a`` with a new shape (one entry may be -1), as ``numpy.reshape``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.reshape(np.arange(6), (2, -1))
    array([[0, 1, 2],
           [3, 4, 5]])
    """
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is supported")
    shape = newshape if shape is None else shape
    a = asarray(a)
    return lax.reshape(a, _resolve_shape(shape, size(a)))


def ravel(a: ArrayLike, order: str = "C") -> Array:
    """``a`` flattened to one axis.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.ravel(np.ones((2, 2))).shape
    (4,)
    """
    return reshape(a, (-1,), order)


def transpose(a: ArrayLike, axes: Sequence[int] | None = None) -> Array:
    """``a`` with its axes permuted (reversed by default).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.transpose(np.ones((2, 3, 4)), (1, 0, 2)).shape
    (3, 2, 4)
    """
    a = asarray(a)
    n = ndim(a)
    if axes is None:
        axes = tuple(range(n))[::-1]
    axes = tuple(_normalize_axis(ax, n) for ax in axes)
    if sorted(axes) != list(range(n)):
        raise ValueError(f"transpose: axes {axes} don't match an array of rank {n}")
    return lax.transpose(a, axes)


def permute_dims(a: ArrayLike, /, axes: Sequence[int]) -> Array:
    """The array-API spelling of ``transpose(a, axes)``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.permute_dims(np.ones((2, 3)), (1, 0)).shape
    (3, 2)
    """
    return transpose(a, axes)


def matrix_transpose(x: ArrayLike, /) -> Array:
    """Swap the last two axes.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.matrix_transpose(np.ones((5, 2, 3))).shape
    (5, 3, 2)
    """
    if ndim(x) < 2:
        raise ValueError("matrix_transpose: needs an array of rank >= 2")
    return swapaxes(x, -1, -2)


def moveaxis(a: ArrayLike, source: int | Sequence[int],
             destination: int | Sequence[int]) -> Array:
    """Move axes ``source`` to positions ``destination``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.moveaxis(np.ones((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    a = asarray(a)
    n = ndim(a)
    src = [source] if isinstance(source, (int, np.integer)) else list(source)
    dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same length")
    src = [_normalize_axis(s, n, "source") for s in src]
    dst = [_normalize_axis(d, n, "destination") for d in dst]
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return lax.transpose(a, order)


def swapaxes(a: ArrayLike, axis1: int, axis2: int) -> Array:
    """Exchange two axes.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.swapaxes(np.ones((2, 3, 4)), 0, 2).shape
    (4, 3, 2)
    """
    a = asarray(a)
    n = ndim(a)
    perm = list(range(n))
    i, j = _normalize_axis(axis1, n), _normalize_axis(axis2, n)
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(a, perm)


def expand_dims(a: ArrayLike, axis: int | Sequence[int]) -> Array:
    """Insert size-1 axes at positions ``axis`` (int or tuple).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.expand_dims(np.ones((2, 3)), (0, -1)).shape
    (1, 2, 3, 1)
    """
    a = asarray(a)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out_ndim = ndim(a) + len(axes)
    axes = _reduction_axes(axes, out_ndim)
    shape_iter = iter(_shape(a))
    new_shape = tuple(1 if i in axes else next(shape_iter) for i in range(out_ndim))
    return lax.reshape(a, new_shape)


def squeeze(a: ArrayLike, axis: Axis = None) -> Array:
    """Remove size-1 axes (all of them, or those in ``axis``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.squeeze(np.ones((1, 3, 1))).shape, jnp.squeeze(np.ones((1, 3, 1)), 0).shape
    ((3,), (3, 1))
    """
    a = asarray(a)
    s = _shape(a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(s) if d == 1)
    else:
        axes = _reduction_axes(axis, len(s))
        bad = [i for i in axes if s[i] != 1]
        if bad:
            raise ValueError(f"squeeze: cannot select an axis to squeeze out which has "
                             f"size not equal to one (axis {bad[0]} of shape {s})")
    if not axes:
        return a
    return lax.reshape(a, tuple(d for i, d in enumerate(s) if i not in axes))


# --- joining ----------------------------------------------------------------------------

def _common_dtype(arrays, dtype=None):
    dt = np.dtype(dtype) if dtype is not None else result_type(
        *[a.dtype if type(a) is Tracer else np.asarray(a).dtype for a in arrays])
    return [asarray(a, dt) if type(a) is Tracer else np.asarray(a, dt) for a in arrays]


def concatenate(arrays: Sequence[ArrayLike], axis: int | None = 0,
                dtype: DTypeLike | None = None) -> Array:
    """Join arrays along an existing axis (flattened first when ``axis=None``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.concatenate([np.zeros((2, 1)), np.ones((2, 2))], axis=1).shape
    (2, 3)
    """
    arrays = [asarray(a) for a in arrays]
    if not arrays:
        raise ValueError("concatenate: need at least one array to concatenate")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    arrays = _common_dtype(arrays, dtype)
    n = ndim(arrays[0])
    if n == 0:
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
    ax = _normalize_axis(axis, n)
    for a in arrays:
        s, s0 = _shape(a), _shape(arrays[0])
        if len(s) != n or any(x != y for i, (x, y) in enumerate(zip(s, s0)) if i != ax):
            raise ValueError(f"concatenate: all input array dimensions except for the "
                             f"concatenation axis must match exactly, got shapes {s0} "
                             f"and {s} along axis {ax}")
    if len(arrays) == 1:
        return arrays[0]
    return lax.concatenate(arrays, ax)


concat = concatenate


def stack(arrays: Sequence[ArrayLike], axis: int = 0, dtype: DTypeLike | None = None) -> Array:
    """Join arrays of one shape along a new axis.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.stack([np.zeros(3), np.ones(3)], axis=-1).shape
    (3, 2)
    """
    arrays = [asarray(a) for a in arrays]
    if not arrays:
        raise ValueError("stack: need at least one array to stack")
    shapes = {tuple(_shape(a)) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"stack: all input arrays must have the same shape, got "
                         f"{sorted(shapes)}")
    ax = _normalize_axis(axis, ndim(arrays[0]) + 1)
    return concatenate([expand_dims(a, ax) for a in arrays], ax, dtype)


def unstack(x: ArrayLike, /, *, axis: int = 0) -> tuple[Array, ...]:
    """Split ``x`` into the tuple of its slices along ``axis``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> [a.shape for a in jnp.unstack(np.ones((2, 3)), axis=1)]
    [(2,), (2,), (2,)]
    """
    x = asarray(x)
    ax = _normalize_axis(axis, ndim(x))
    return tuple(squeeze(p, ax) for p in array_split(x, _shape(x)[ax], ax))


def atleast_1d(*arys: ArrayLike) -> Array | list[Array]:
    """Views with at least one axis.

    >>> import ftrans.numpy as jnp
    >>> jnp.atleast_1d(1.0).shape
    (1,)
    """
    out = [reshape(a, (1,)) if ndim(a) == 0 else asarray(a) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys: ArrayLike) -> Array | list[Array]:
    """Views with at least two axes (a 1-D array becomes a row).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.atleast_2d(np.ones(3)).shape
    (1, 3)
    """
    out = []
    for a in arys:
        a = asarray(a)
        out.append(reshape(a, (1,) * (2 - ndim(a)) + tuple(_shape(a)))
                   if ndim(a) < 2 else a)
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys: ArrayLike) -> Array | list[Array]:
    """Views with at least three axes: ``(n,) -> (1, n, 1)``, ``(m, n) -> (m, n, 1)``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.atleast_3d(np.ones((2, 3))).shape
    (2, 3, 1)
    """
    out = []
    for a in arys:
        a = asarray(a)
        s = tuple(_shape(a))
        new = {0: (1, 1, 1), 1: (1, *s, 1), 2: (*s, 1)}.get(len(s), s)
        out.append(reshape(a, new))
    return out[0] if len(out) == 1 else out


def hstack(tup: Sequence[ArrayLike], dtype: DTypeLike | None = None) -> Array:
    """Stack along the second axis (the first for 1-D arrays).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.hstack([np.ones(2), np.zeros(3)]).shape
    (5,)
    """
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, 0 if arrs and ndim(arrs[0]) == 1 else 1, dtype)


def vstack(tup: Sequence[ArrayLike], dtype: DTypeLike | None = None) -> Array:
    """Stack along the first axis, 1-D arrays as rows.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.vstack([np.ones(3), np.zeros(3)]).shape
    (2, 3)
    """
    return concatenate([atleast_2d(a) for a in tup], 0, dtype)


row_stack = vstack


def dstack(tup: Sequence[ArrayLike], dtype: DTypeLike | None = None) -> Array:
    """Stack along the third axis.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.dstack([np.ones((2, 3)), np.zeros((2, 3))]).shape
    (2, 3, 2)
    """
    return concatenate([atleast_3d(a) for a in tup], 2, dtype)


def column_stack(tup: Sequence[ArrayLike]) -> Array:
    """Stack 1-D arrays as columns of a 2-D array.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.column_stack([np.ones(3), np.zeros(3)]).shape
    (3, 2)
    """
    arrs = []
    for a in tup:
        a = asarray(a)
        arrs.append(reshape(a, (-1, 1)) if ndim(a) < 2 else a)
    return concatenate(arrs, 1)


def append(arr: ArrayLike, values: ArrayLike, axis: int | None = None) -> Array:
    """``arr`` with ``values`` appended (both flattened when ``axis=None``).

    >>> import ftrans.numpy as jnp
    >>> jnp.append([1.0, 2.0], 3.0)
    array([1., 2., 3.])
    """
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis)


# --- splitting --------------------------------------------------------------------------

def _slice_axis(x, ax: int, start: int, stop: int, step: int = 1):
    s = _shape(x)
    starts = [0] * len(s)
    limits = list(s)
    strides = [1] * len(s)
    starts[ax], limits[ax], strides[ax] = start, stop, step
    if start == 0 and stop == s[ax] and step == 1:
        return x
    return lax.slice(x, tuple(starts), tuple(limits),
                     tuple(strides) if step != 1 else None)


def array_split(ary: ArrayLike, indices_or_sections: int | Sequence[int],
                axis: int = 0) -> list[Array]:
    """Split into pieces; an integer count may leave pieces of unequal size.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> [p.shape for p in jnp.array_split(np.ones(5), 3)]
    [(2,), (2,), (1,)]
    """
    ary = asarray(ary)
    ax = _normalize_axis(axis, ndim(ary))
    n = _shape(ary)[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError("array_split: number of sections must be larger than 0")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        idx = [builtins.min(builtins.max(int(i) + (n if int(i) < 0 else 0), 0), n)
               for i in indices_or_sections]
        bounds = [0, *idx, n]
    pieces = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        hi = builtins.max(lo, hi)
        pieces.append(_slice_axis(ary, ax, lo, hi))
    return pieces


def split(ary: ArrayLike, indices_or_sections: int | Sequence[int],
          axis: int = 0) -> list[Array]:
    """Split into equal pieces (or at the given indices), as ``numpy.split``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> [p.shape for p in jnp.split(np.ones((4, 2)), [1, 3])]
    [(1, 2), (2, 2), (1, 2)]
    """
    ary = asarray(ary)
    if isinstance(indices_or_sections, (int, np.integer)):
        n = _shape(ary)[_normalize_axis(axis, ndim(ary))]
        if n % int(indices_or_sections):
            raise ValueError(f"split: array of length {n} does not split into "
                             f"{indices_or_sections} equal sections; use array_split")
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[Array]:
    """``split`` along the second axis (the first for 1-D arrays).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> len(jnp.hsplit(np.ones((2, 4)), 2))
    2
    """
    return split(ary, indices_or_sections, 1 if ndim(ary) > 1 else 0)


def vsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[Array]:
    """``split`` along the first axis (arrays of rank >= 2).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> len(jnp.vsplit(np.ones((4, 2)), 2))
    2
    """
    if ndim(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[Array]:
    """``split`` along the third axis (arrays of rank >= 3).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> len(jnp.dsplit(np.ones((1, 1, 4)), 4))
    4
    """
    if ndim(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


# --- tiling, repeating, broadcasting ----------------------------------------------------

def tile(A: ArrayLike, reps: int | Sequence[int]) -> Array:
    """Repeat the whole array ``reps`` times along each axis.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.tile(np.array([1, 2]), (2, 2))
    array([[1, 2, 1, 2],
           [1, 2, 1, 2]])
    """
    A = asarray(A)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    d = builtins.max(len(reps), ndim(A))
    reps = (1,) * (d - len(reps)) + tuple(int(r) for r in reps)
    s = (1,) * (d - ndim(A)) + tuple(_shape(A))
    A = lax.reshape(A, s)
    # (r0, s0, r1, s1, ...) by broadcasting, then merge each pair
    wide = tuple(v for pair in zip(reps, s) for v in pair)
    out = lax.broadcast_in_dim(A, wide, tuple(range(1, 2 * d, 2)))
    return lax.reshape(out, tuple(r * n for r, n in zip(reps, s)))


def repeat(a: ArrayLike, repeats: ArrayLike, axis: int | None = None, *,
           total_repeat_length: int | None = None) -> Array:
    """Repeat each element ``repeats`` times (flattened when ``axis=None``).

    >>> import ftrans.numpy as jnp
    >>> jnp.repeat([1, 2], 2), jnp.repeat([1, 2], [1, 3])
    (array([1, 1, 2, 2]), array([1, 2, 2, 2]))
    """
    a = asarray(a)
    if axis is None:
        a, axis = ravel(a), 0
    ax = _normalize_axis(axis, ndim(a))
    s = tuple(_shape(a))
    if type(repeats) is Tracer:
        repeats = repeats.concrete_value("jnp.repeat with traced `repeats`")
    reps = np.asarray(repeats)
    if reps.ndim == 0:
        r = int(reps)
        wide = s[:ax + 1] + (r,) + s[ax + 1:]
        dims = tuple(i for i in range(len(s) + 1) if i != ax + 1)
        out = lax.broadcast_in_dim(a, wide, dims)
        return lax.reshape(out, s[:ax] + (s[ax] * r,) + s[ax + 1:])
    if reps.shape != (s[ax],):
        raise ValueError(f"repeat: repeats of shape {reps.shape} do not match axis "
                         f"{ax} of length {s[ax]}")
    # each output position reads an entry numpy's repeat of the positions names
    # (in bounds: jnp.take would only check them)
    return lax.gather(a, np.asarray(np.repeat(np.arange(s[ax]), reps), np.int64), ax)


def broadcast_to(array: ArrayLike, shape: int | Shape) -> Array:
    """Broadcast ``array`` to ``shape`` by numpy's rules.

    >>> import ftrans.numpy as jnp
    >>> jnp.broadcast_to([1.0, 2.0], (2, 2))
    array([[1., 2.],
           [1., 2.]])
    """
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return broadcast_to_shape(asarray(array), shape)


def broadcast_shapes(*shapes: Shape) -> tuple[int, ...]:
    """The shape arrays of ``shapes`` broadcast to.

    >>> import ftrans.numpy as jnp
    >>> jnp.broadcast_shapes((3, 1), (4,))
    (3, 4)
    """
    return np.broadcast_shapes(*shapes)


def broadcast_arrays(*args: ArrayLike) -> list[Array]:
    """All arguments broadcast to their common shape.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> [a.shape for a in jnp.broadcast_arrays(np.ones(3), np.ones((2, 1)))]
    [(2, 3), (2, 3)]
    """
    args = [asarray(a) for a in args]
    s = np.broadcast_shapes(*[_shape(a) for a in args])
    return [broadcast_to_shape(a, s) for a in args]


# --- flipping (roll, a gather when its shift is traced, is in _indexing) ------------

def flip(m: ArrayLike, axis: Axis = None) -> Array:
    """Reverse the order of elements along ``axis`` (all axes by default).

    >>> import ftrans.numpy as jnp
    >>> jnp.flip([1, 2, 3])
    array([3, 2, 1])
    """
    m = asarray(m)
    axes = _reduction_axes(axis, ndim(m))
    return lax.rev(m, axes) if axes else m


def fliplr(m: ArrayLike) -> Array:
    """Reverse the second axis.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.fliplr(np.array([[1, 2]]))
    array([[2, 1]])
    """
    if ndim(m) < 2:
        raise ValueError("fliplr: input must be >= 2-d")
    return flip(m, 1)


def flipud(m: ArrayLike) -> Array:
    """Reverse the first axis.

    >>> import ftrans.numpy as jnp
    >>> jnp.flipud([1, 2])
    array([2, 1])
    """
    if ndim(m) < 1:
        raise ValueError("flipud: input must be >= 1-d")
    return flip(m, 0)


def rot90(m: ArrayLike, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Array:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.rot90(np.array([[1, 2], [3, 4]]))
    array([[2, 4],
           [1, 3]])
    """
    m = asarray(m)
    a0, a1 = (_normalize_axis(ax, ndim(m)) for ax in axes)
    if a0 == a1:
        raise ValueError("rot90: axes must be different")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(m, (a0, a1))
    perm = list(range(ndim(m)))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return lax.transpose(flip(m, a1), perm)
    return flip(lax.transpose(m, perm), a1)


# --- diagonals and triangles ------------------------------------------------------------

def diagonal(a: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Array:
    """The ``offset`` diagonal of the ``axis1``/``axis2`` planes, as a new last axis.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.diagonal(np.arange(9).reshape(3, 3), 1)
    array([1, 5])
    """
    a = asarray(a)
    nd = ndim(a)
    i, j = _normalize_axis(axis1, nd), _normalize_axis(axis2, nd)
    if i == j:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    rest = [d for d in range(nd) if d not in (i, j)]
    x = lax.transpose(a, (*rest, i, j))
    batch = tuple(_shape(x)[:-2])
    n, m = _shape(x)[-2:]
    # in the row-major flattening of an n x m plane, element (r, r + offset)
    # sits at r * (m + 1) + offset: one strided slice picks the diagonal
    if offset >= 0:
        k, start = builtins.max(0, builtins.min(n, m - offset)), offset
    else:
        k, start = builtins.max(0, builtins.min(n + offset, m)), -offset * m
    flat = lax.reshape(x, batch + (n * m,))
    if k == 0:
        return _slice_axis(flat, len(batch), 0, 0)
    limit = start + (k - 1) * (m + 1) + 1
    return _slice_axis(flat, len(batch), start, limit, m + 1)


def _triangle(name, m, k, lower):
    m = asarray(m)
    if ndim(m) == 0:
        raise ValueError(f"{name}: input must be at least 1-d")
    if ndim(m) == 1:
        n = _shape(m)[0]
        m = broadcast_to_shape(m, (n, n))
    n, cols = _shape(m)[-2:]
    mask = np.tri(n, cols, k, dtype=bool)
    if not lower:
        mask = ~np.tri(n, cols, k - 1, dtype=bool)
    return where(mask, m, np.zeros((), _dtype(m)))


def tril(m: ArrayLike, k: int = 0) -> Array:
    """The lower triangle (on and below diagonal ``k``) of the last two axes.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.tril(np.ones((2, 2)))
    array([[1., 0.],
           [1., 1.]])
    """
    return _triangle("tril", m, k, True)


def triu(m: ArrayLike, k: int = 0) -> Array:
    """The upper triangle (on and above diagonal ``k``) of the last two axes.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.triu(np.ones((2, 2)))
    array([[1., 1.],
           [0., 1.]])
    """
    return _triangle("triu", m, k, False)


# --- padding and differences ------------------------------------------------------------

def _pad_widths(pad_width, nd: int) -> list:
    pw = np.asarray(pad_width, dtype=np.int64)
    if pw.ndim == 0:
        pw = np.broadcast_to(pw, (nd, 2))
    elif pw.shape == (1,) or pw.shape == (2,) or pw.shape == (1, 2):
        pw = np.broadcast_to(pw.reshape(-1)[-2:] if pw.size == 2 else pw, (nd, 2))
    elif pw.shape != (nd, 2):
        raise ValueError(f"pad: pad_width of shape {pw.shape} does not fit an array of "
                         f"rank {nd}")
    if (pw < 0).any():
        raise ValueError("pad: index can't contain negative values")
    return [(int(lo), int(hi)) for lo, hi in pw]


def pad(array: ArrayLike, pad_width: int | Sequence[int] | Sequence[Sequence[int]],
        mode: str = "constant", constant_values: ArrayLike = 0) -> Array:
    """Pad ``array``; modes ``constant``, ``edge``, ``wrap``, ``reflect`` and
    ``symmetric`` as in ``numpy.pad``.

    >>> import ftrans.numpy as jnp
    >>> jnp.pad([1.0, 2.0], (1, 2)), jnp.pad([1.0, 2.0], 1, mode="edge")
    (array([0., 1., 2., 0., 0.]), array([1., 1., 2., 2.]))
    """
    array = asarray(array)
    nd = ndim(array)
    widths = _pad_widths(pad_width, nd)
    if mode == "constant":
        if np.ndim(constant_values) != 0 or type(constant_values) is Tracer \
                and constant_values.ndim:
            raise NotImplementedError("pad: only a scalar constant_values is supported")
        value = asarray(constant_values, _dtype(array))
        return lax.pad(array, value, tuple((lo, hi, 0) for lo, hi in widths))
    if mode not in ("edge", "wrap", "reflect", "symmetric"):
        raise NotImplementedError(f"pad: mode {mode!r} is not supported")
    for ax, (lo, hi) in enumerate(widths):
        if lo or hi:
            # numpy's own pad of the positions says where each output comes from
            # (in bounds: jnp.take would only check them)
            src = np.pad(np.arange(_shape(array)[ax]), (lo, hi), mode=mode)
            array = lax.gather(array, np.asarray(src, np.int64), ax)
    return array


def diff(a: ArrayLike, n: int = 1, axis: int = -1, prepend: ArrayLike | None = None,
         append: ArrayLike | None = None) -> Array:
    """The ``n``-th discrete difference along ``axis``.

    >>> import ftrans.numpy as jnp
    >>> jnp.diff([1.0, 4.0, 9.0]), jnp.diff([1.0, 4.0, 9.0], n=2)
    (array([3., 5.]), array([2.]))
    """
    a = asarray(a)
    ax = _normalize_axis(axis, ndim(a))
    def edge(extra):
        extra = asarray(extra)
        if ndim(extra) == 0:
            s = list(_shape(a))
            s[ax] = 1
            extra = broadcast_to_shape(extra, s)
        return extra

    parts = ([edge(prepend)] if prepend is not None else []) + [a] + \
        ([edge(append)] if append is not None else [])
    if len(parts) > 1:
        a = concatenate(parts, ax)
    for _ in range(n):
        length = _shape(a)[ax]
        a = subtract(_slice_axis(a, ax, 1, length), _slice_axis(a, ax, 0, length - 1))
    return a
