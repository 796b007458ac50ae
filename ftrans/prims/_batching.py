"""Moving batch dimensions: the helpers that batch rules are written with.

A batched value carries its batch along one axis (``dim``) or none
(``None``: one value for the whole batch). Rules move the batch axis only
where they must, with these helpers.
"""

from __future__ import annotations

from ftrans.core import get_aval
from ftrans.prims.shape import broadcast_in_dim, slice as slice_, transpose


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


def elementwise_batch(prim):
    """The batch rule of an elementwise primitive (any number of operands of
    one shape, or rank 0): batched operands meet at axis 0, an unbatched one
    is broadcast to the batch unless it is rank 0 (then it broadcasts itself)."""

    def rule(axis_size, args, dims, **params):
        example_ndim = max(get_aval(x).ndim - (d is not None) for x, d in zip(args, dims))
        lined_up = []
        for x, d in zip(args, dims):
            ndim = get_aval(x).ndim - (d is not None)
            if d is None and ndim == 0:
                lined_up.append(x)
            elif ndim == example_ndim:
                lined_up.append(at_dim(x, d, axis_size))
            else:  # a rank-0 example next to rank-n ones: stretch it
                shape = (axis_size,) + _example_shape(args, dims)
                lined_up.append(broadcast_in_dim(x, shape, (0,) if d is not None else ()))
        out = prim.bind(*lined_up, **params)
        return out, ([0] * len(out) if prim.multiple_results else 0)

    return rule


def _example_shape(args, dims) -> tuple:
    for x, d in zip(args, dims):
        shape = get_aval(x).shape
        if d is not None:
            shape = shape[:d] + shape[d + 1:]
        if shape:
            return shape
    return ()
