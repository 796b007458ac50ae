"""``ftrans.Array``: the arrays ftrans returns, a thin ``numpy.ndarray`` subclass.

Values that leave ftrans (eager ``ftrans.numpy`` and ``ftrans.lax`` results,
the outputs of transformations) are numpy arrays, so every numpy function,
library and ``isinstance(x, np.ndarray)`` check takes them as before. The
subclass adds what JAX code expects of an array: ``x.at[idx].set(v)``,
``x[i]`` with a traced index (a ``scan`` or ``fori_loop`` body indexing a
captured array with its loop counter), and ``block_until_ready()``.

Nothing else changes: arithmetic, numpy functions and views of an ``Array``
give ``Array``s where they give arrays on an ``ndarray`` (so
``(jnp.arange(3.0) * 2).at[0].set(v)`` works as in JAX), numpy scalars where
they give scalars (a full reduction is an ``np.float64``, not a 0-d array),
and the repr is numpy's. The cost is numpy's subclass machinery, about a
microsecond per numpy operation on an ``Array`` (nothing on large arrays);
ftrans itself computes on plain ndarrays: ``bind`` and the ``ftrans.numpy``
boundary unwrap ``Array`` arguments, tracers hold plain ndarrays as values,
and only values leaving ftrans are wrapped (``leave``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Array"]


class Array(np.ndarray):
    """A ``numpy.ndarray`` made by ftrans, with JAX's ``.at`` and traced indexing.

    ``x.at`` and ``x[i]`` (whose index may hold a tracer) are ``ftrans.numpy``
    functions, which ``ftrans/numpy/_methods.py`` attaches here as it attaches
    the operators of tracers: this module, which ``bind`` imports, is below
    ``ftrans.numpy`` (docs/architecture.md, "Layers").

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> x = jnp.zeros(3)
    >>> isinstance(x, np.ndarray), type(x).__name__
    (True, 'Array')
    >>> x.at[1].set(5.0)
    array([0., 5., 0.])
    >>> ftrans.lax.fori_loop(0, 3, lambda i, s: s + jnp.arange(3.0)[i], 0.0)
    array(3.)
    """

    __slots__ = ()
    __module__ = "ftrans"  # ftrans.Array, as jax.Array

    def block_until_ready(self) -> "Array":
        """``self``: numpy computes eagerly, so there is nothing to wait for.

        >>> import ftrans.numpy as jnp
        >>> jnp.ones(2).block_until_ready()
        array([1., 1.])
        """
        return self

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        # numpy results of an Array are Arrays, and scalars where an ndarray
        # gives scalars (a full reduction is np.float64, not a 0-d Array)
        if return_scalar:
            return arr[()]
        return arr if type(arr) is Array else arr.view(Array)

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))


def leave(x):
    """``x`` as it leaves ftrans: an ``Array`` view of a numpy array or
    number (tracers and other objects are returned as they are)."""
    t = type(x)
    if t is np.ndarray:
        return x.view(Array)
    if t is Array:
        return x
    if isinstance(x, (np.ndarray, np.generic, bool, int, float, complex)):
        return np.asarray(x).view(Array)
    return x
