"""``ravel_pytree``: a pytree of arrays as one flat vector, as ``jax.flatten_util``.

Optimizers and solvers written for vectors (``scipy.optimize``-style code, a
Newton step with a Hessian matrix) get a pytree's leaves raveled and
concatenated into one 1-d array, and a function ``unravel`` back. Both are
built from ``ftrans.numpy`` operations, so they trace: ``grad`` of a function
of ``unravel(flat)`` is a flat gradient.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ftrans.tree_util import tree_flatten, tree_unflatten
from ftrans.typing import Array, PyTree

__all__ = ["ravel_pytree"]


def ravel_pytree(pytree: PyTree) -> tuple[Array, Callable[[Any], PyTree]]:
    """``(flat, unravel)``: the leaves of ``pytree`` raveled and concatenated
    (in flatten order) into one 1-d array, and the function mapping such an
    array back to a pytree of the original structure, shapes and dtypes.

    The leaves' dtypes are promoted to one dtype (``ftrans.numpy.result_type``);
    ``unravel`` converts each piece back to its leaf's dtype. A tree without
    leaves gives a float64 array of shape ``(0,)``. Both ``ravel_pytree`` and
    ``unravel`` are differentiable.

    >>> import numpy as np, ftrans
    >>> flat, unravel = ravel_pytree({'w': np.ones((2, 2)), 'b': np.arange(2.0)})
    >>> flat
    array([0., 1., 1., 1., 1., 1.])
    >>> unravel(flat * 2)['b']
    array([0., 2.])
    >>> ftrans.grad(lambda v: (unravel(v)['w'] ** 2).sum())(flat)
    array([0., 0., 2., 2., 2., 2.])
    """
    import ftrans.numpy as jnp
    from ftrans.core import get_aval
    from ftrans.prims._subjaxpr import as_operand

    leaves, treedef = tree_flatten(pytree)
    leaves = [as_operand(x) for x in leaves]
    avals = [get_aval(x) for x in leaves]
    shapes = [a.shape for a in avals]
    dtypes = [a.dtype for a in avals]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    total = sum(sizes)
    dtype = jnp.result_type(*leaves) if leaves else np.dtype(np.float64)
    if leaves:
        flat = jnp.concatenate([jnp.ravel(x).astype(dtype) for x in leaves])
    else:
        flat = np.zeros((0,), dtype)

    def unravel(arr: Any) -> PyTree:
        arr = as_operand(arr)
        aval = get_aval(arr)
        if aval.shape != (total,):
            raise ValueError(
                f"unravel (from ravel_pytree): expected an array of shape ({total},), "
                f"got {aval.str_short()}")
        if aval.dtype != dtype:
            raise TypeError(
                f"unravel (from ravel_pytree): expected an array of dtype {dtype}, got "
                f"{aval.str_short()}; convert it with .astype({dtype.name})")
        pieces, start = [], 0
        for shape, size, dt in zip(shapes, sizes, dtypes):
            piece = jnp.reshape(arr[start:start + size], shape)
            pieces.append(piece if dt == dtype else piece.astype(dt))
            start += size
        return tree_unflatten(treedef, pieces)

    return flat, unravel
