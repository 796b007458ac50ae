"""Type aliases used in the signatures of ftrans's public functions.

``Array`` is what ftrans functions return: a ``numpy.ndarray`` when they run
eagerly, a ``Tracer`` while a transformation traces them (DESIGN.md §1).
``ArrayLike`` is what they accept as an array: an ``Array``, a numpy scalar, a
Python number or a nested sequence of those. The aliases are ordinary runtime
objects, so ``typing.get_type_hints`` resolves every public signature.

>>> import numpy as np, ftrans.numpy as jnp
>>> from ftrans.typing import Array, ArrayLike
>>> def double(x: ArrayLike) -> Array:
...     return jnp.multiply(x, 2)
>>> isinstance(double([1.0, 2.0]), Array)
True
"""

from __future__ import annotations

from typing import Any, Sequence, Union

import numpy as np
import numpy.typing as npt
from typing_extensions import TypeAlias

from ftrans.tracing import Tracer

__all__ = ["Array", "ArrayLike", "DTypeLike", "Shape", "Axis", "PyTree"]

Array: TypeAlias = Union[np.ndarray, Tracer]
"""An array produced by ftrans: concrete (``numpy.ndarray``) or traced."""

ArrayLike: TypeAlias = Union[Array, np.generic, bool, int, float, complex, Sequence[Any]]
"""Anything ftrans converts to an array: arrays, scalars, nested sequences."""

DTypeLike: TypeAlias = npt.DTypeLike
"""A dtype or what ``numpy.dtype`` accepts (``np.float32``, ``"int64"``, ``float``)."""

Shape: TypeAlias = Sequence[int]
"""An array shape: a sequence of non-negative sizes."""

Axis: TypeAlias = Union[int, Sequence[int], None]
"""One axis, several axes, or ``None`` for all of them."""

PyTree: TypeAlias = Any
"""A pytree of arrays: nested tuples, lists, dicts and registered nodes."""
