"""Symbolic zeros and undefined primals, shared by the rules and the AD passes.

A ``Zero(aval)`` tangent or cotangent is never materialized unless a consumer
needs an array; ``UndefinedPrimal(aval)`` marks the linear inputs of an
equation being transposed.

``zeros`` and ``add_tangents`` bind ``broadcast_in_dim`` and ``add``, which
``prims/`` declares, a layer above this one and above the AD passes that call
these helpers (docs/architecture.md, "Layers"). So they are not imported but
found by name in ``Primitive.registry``, which every primitive joins when it
is declared, as the passes find rules on ``eqn.primitive``.
"""

from __future__ import annotations

import numpy as np

from ftrans.core import Primitive, ShapedArray


class Zero:
    """A symbolic zero of type ``aval``."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self):
        return f"Zero({self.aval.str_short()})"


class UndefinedPrimal:
    """A linear input of an equation under transposition."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self):
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined(x) -> bool:
    return type(x) is UndefinedPrimal


def check_linear_in(name: str, *nonlinear_operands) -> None:
    """Transposing ``name`` needs these operands to be coefficients; if one
    depends on the linear inputs, the function being transposed is not linear."""
    if any(is_undefined(x) for x in nonlinear_operands):
        raise TypeError(
            f"transpose: {name} is applied to values that depend on the linear inputs "
            "in a non-linear way (e.g. x * x), so the function is not linear in them. "
            "linear_transpose needs a function that is linear in its arguments.")


def zeros(aval: ShapedArray):
    """A materialized zero array of type ``aval`` (staged as a broadcast):
    ``prims.shape.full(aval.shape, 0, aval.dtype)``."""
    return Primitive.registry["broadcast_in_dim"].bind(
        np.asarray(0, dtype=aval.dtype), shape=tuple(int(d) for d in aval.shape),
        broadcast_dimensions=())


def instantiate(t):
    """``t`` as an array: symbolic zeros become real zeros."""
    return zeros(t.aval) if type(t) is Zero else t


def add_tangents(a, b):
    """``a + b`` where either may be a symbolic ``Zero``."""
    if type(a) is Zero:
        return b
    if type(b) is Zero:
        return a
    return Primitive.registry["add"].bind(a, b)  # prims.elementwise.add(a, b)


def is_differentiable(aval: ShapedArray) -> bool:
    return aval.dtype.kind in "fc"
