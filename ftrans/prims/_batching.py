"""Moving batch dimensions: the helpers that batch rules are written with.

A batched value carries its batch along one axis (``dim``) or none
(``None``: one value for the whole batch). Rules move the batch axis only
where they must, with these helpers.
"""

from __future__ import annotations

import builtins

import numpy as np

from ftrans.core import get_aval
from ftrans.prims.shape import broadcast_in_dim, reshape, slice as slice_, transpose
from ftrans.transforms._memo import memoized


def move_axis(x, src: int, dst: int):
    """``x`` with axis ``src`` moved to position ``dst`` (one ``transpose``,
    none when ``src == dst``).

    >>> import numpy as np
    >>> move_axis(np.zeros((2, 3, 4)), 0, 2).shape
    (3, 4, 2)
    """
    if src == dst:
        return x
    perm = list(range(get_aval(x).ndim))
    perm.insert(dst, perm.pop(src))
    return transpose(x, tuple(perm))


def broadcast_batch(x, axis_size: int, dim: int = 0):
    """An unbatched ``x`` repeated ``axis_size`` times along a new axis ``dim``.

    >>> import numpy as np
    >>> broadcast_batch(np.ones((2,)), 3, 1).shape
    (2, 3)
    """
    shape = list(get_aval(x).shape)
    kept = tuple(i if i < dim else i + 1 for i in range(len(shape)))
    shape.insert(dim, axis_size)
    return broadcast_in_dim(x, tuple(shape), kept)


def at_dim(x, dim: int | None, axis_size: int, to: int = 0):
    """``x`` batched along ``to``: moved there, or broadcast if unbatched.

    >>> import numpy as np
    >>> at_dim(np.ones((2, 5)), 1, 5).shape, at_dim(np.ones(2), None, 5).shape
    ((5, 2), (5, 2))
    """
    if dim is None:
        return broadcast_batch(x, axis_size, to)
    return move_axis(x, dim, to)


def slice_batch(x, dim: int, start: int, stop: int):
    """Elements ``start:stop`` of the batch of ``x`` (batched along ``dim``).

    >>> import numpy as np
    >>> slice_batch(np.arange(10.0).reshape(2, 5), 1, 1, 3)
    array([[1., 2.],
           [6., 7.]])
    """
    shape = get_aval(x).shape
    starts = tuple(start if i == dim else 0 for i in range(len(shape)))
    limits = tuple(stop if i == dim else n for i, n in enumerate(shape))
    return slice_(x, starts, limits)


def align_elementwise(args, dims, axis_size: int, keep_scalar=None):
    """The operands of an elementwise primitive, batched along one common axis:
    ``(operands, dim)``.

    The common axis is the batch axis of the first batched operand of full
    example rank (so nothing moves when the batched operands agree). Other
    batched operands are moved there; an unbatched operand is broadcast to
    the batch there, except a rank-0 one with ``keep_scalar[i]`` true (the
    default for every operand), which broadcasts itself in the primitive. A
    batched rank-0 example next to rank-n ones is stretched to the full shape.

    >>> import numpy as np
    >>> xs, d = align_elementwise([np.ones((2, 3)), np.ones(2), np.ones(())],
    ...                           [1, None, None], 3)
    >>> [x.shape for x in xs], d
    ([(2, 3), (2, 3), ()], 1)
    """
    ranks = [get_aval(x).ndim - (d is not None) for x, d in zip(args, dims)]
    rank = max(ranks)
    to = next((d for d, r in zip(dims, ranks) if d is not None and r == rank), 0)
    shape = list(_example_shape(args, dims))
    shape.insert(to, axis_size)
    out = []
    for i, (x, d, r) in enumerate(zip(args, dims, ranks)):
        if d is None and r == 0 and (keep_scalar is None or keep_scalar[i]):
            out.append(x)
        elif r == rank:
            out.append(at_dim(x, d, axis_size, to))
        else:  # a rank-0 example next to rank-n ones (batched, or not kept)
            out.append(broadcast_in_dim(x, tuple(shape), () if d is None else (to,)))
    return out, to


def fold_batch(x, dim: int | None, axis: int, axis_size: int):
    """``x`` (batched along ``dim``; ``None``: broadcast) with its batch folded
    into the example's axis ``axis``, for gathers and scatters whose indices
    differ between examples: the result has the example's shape with that
    axis ``axis_size`` times longer, example ``b``'s entries at
    ``b * n ... b * n + n - 1`` (``n`` the axis's size).

    >>> import numpy as np
    >>> fold_batch(np.arange(6.0).reshape(3, 2), 1, 0, 2)
    array([0., 2., 4., 1., 3., 5.])
    """
    x = at_dim(x, dim, axis_size, axis)
    shape = get_aval(x).shape
    return reshape(x, shape[:axis] + (shape[axis] * shape[axis + 1],) + shape[axis + 2:])


def fold_indices(indices, dim: int, n: int, axis_size: int):
    """Per-example ``indices`` (batched along ``dim``) into an axis of size
    ``n``, as indices into the axis of ``fold_batch``, batched along axis 0:
    clipped into ``[0, n)`` first, as gathers and scatters clip, then example
    ``b``'s shifted by ``b * n``.

    >>> import numpy as np
    >>> fold_indices(np.array([[0, 5], [-1, 1]]), 0, 3, 2)
    array([[0, 2],
           [3, 4]])
    """
    from ftrans.prims.elementwise import add, convert_element_type, max, min
    idx = move_axis(indices, dim, 0)
    aval = get_aval(idx)
    dtype = aval.dtype
    if axis_size * n - 1 > np.iinfo(dtype).max:
        dtype = np.dtype(np.int64)
        idx = convert_element_type(idx, dtype)
    idx = min(max(idx, np.zeros((), dtype)), np.asarray(builtins.max(n - 1, 0), dtype))
    shifts = np.arange(axis_size, dtype=dtype) * np.asarray(n, dtype)
    return add(idx, broadcast_in_dim(shifts, aval.shape, (0,)))


def elementwise_batch(prim):
    """The batch rule of an elementwise primitive (any number of operands of
    one shape, or rank 0): the operands are aligned by ``align_elementwise``
    (an unbatched rank-0 operand is left as it is), and the output is
    batched along their common axis."""

    def rule(axis_size, args, dims, **params):
        lined_up, to = align_elementwise(args, dims, axis_size)
        out = prim.bind(*lined_up, **params)
        return out, ([to] * len(out) if prim.multiple_results else to)

    return rule


def shift_axis(axis: int, dim: int) -> int:
    """Axis ``axis`` of an example, numbered in the batch (batched along ``dim``).

    >>> shift_axis(0, 0), shift_axis(2, 1), shift_axis(0, 1)
    (1, 3, 0)
    """
    return axis + (axis >= dim)


def _example_shape(args, dims) -> tuple:
    for x, d in zip(args, dims):
        shape = get_aval(x).shape
        if d is not None:
            shape = shape[:d] + shape[d + 1:]
        if shape:
            return shape
    return ()


@memoized  # branches and loop bodies ask for the same layout more than once
def batched_to(closed, in_dims, axis_size: int, want=None):
    """``closed`` batched along ``in_dims``, its outputs batched along
    ``want`` (default: all at axis 0; moved or broadcast there): the layout a sub-jaxpr must have when
    its outputs must agree with another's (cond's branches), its own inputs (a
    loop's carry) or a fixed convention (a custom rule's, at axis 0).

    >>> import numpy as np, ftrans
    >>> closed = ftrans.make_jaxpr(lambda x, y: (x, y))(np.ones(2), 1.0)
    >>> [a.str_short() for a in batched_to(closed, (0, None), 3, (0, 0)).out_avals]
    ['f64[3,2]', 'f64[3]']
    """
    from ftrans.transforms.vmap import vmap_jaxpr
    batched, dims = vmap_jaxpr(closed, in_dims, axis_size)
    return move_outputs(batched, dims, [0] * len(dims) if want is None else want, axis_size)


def move_outputs(closed, out_dims, want, axis_size: int):
    """The batched jaxpr ``closed`` (output ``i`` batched along
    ``out_dims[i]``) with output ``i`` batched along ``want[i]`` instead: moved
    there, or broadcast if unbatched. ``closed`` itself when they agree. The
    sub-jaxprs of one equation (cond's branches, a loop's body and its carry)
    must agree on their layout; this forces it.

    >>> import numpy as np, ftrans
    >>> closed = ftrans.make_jaxpr(lambda x, y: (x, y))(np.ones((3, 2)), 1.0)
    >>> [a.str_short() for a in move_outputs(closed, [0, None], [1, 0], 3).out_avals]
    ['f64[2,3]', 'f64[3]']
    """
    from ftrans.eval import eval_closed
    from ftrans.tracing import trace_to_jaxpr
    out_dims, want = list(out_dims), list(want)
    if out_dims == want:
        return closed
    if any(w is None and d is not None for d, w in zip(out_dims, want)):
        raise ValueError(f"move_outputs: cannot unbatch a batched output ({out_dims} "
                         f"-> {want})")

    def moved(*args):
        outs = eval_closed(closed, *args)
        return [x if d == w else at_dim(x, d, axis_size, w)
                for x, d, w in zip(outs, out_dims, want)]

    return trace_to_jaxpr(moved, closed.in_avals, transform="vmap")[0]
