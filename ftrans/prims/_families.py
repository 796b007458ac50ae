"""Factories for families of primitives, filling in the rules they share.

``unary`` and ``binary`` give elementwise shape rules; ``def_linear`` derives
the JVP of a primitive that is linear in its array inputs (apply the primitive
to the tangents) so only its transpose is written; ``def_zero_jvp`` marks a
primitive as non-differentiable (its output tangent is zero).
"""

from __future__ import annotations

import numpy as np

from ftrans.ad_util import Zero, instantiate
from ftrans.core import Primitive, ShapedArray


def unary(name: str, impl, *, float_only: bool = True) -> Primitive:
    """An elementwise one-operand primitive whose output type is its input type."""
    prim = Primitive(name)
    prim.def_impl(impl)

    @prim.def_abstract_eval
    def _abstract_eval(x: ShapedArray) -> ShapedArray:
        if float_only and not np.issubdtype(x.dtype, np.inexact):
            raise TypeError(f"{name}: operand must be a float array, got "
                            f"{x.str_short()}; convert it with x.astype(float)")
        return x

    return prim


def binary_shape(name: str, x: ShapedArray, y: ShapedArray) -> tuple:
    """Elementwise operands have equal shapes; a rank-0 operand broadcasts."""
    if x.shape == y.shape or y.shape == ():
        return x.shape
    if x.shape == ():
        return y.shape
    raise TypeError(f"{name}: operands have incompatible shapes {x.str_short()} "
                    f"and {y.str_short()}; elementwise primitives need equal "
                    "shapes (ftrans.numpy broadcasts for you, or use "
                    "ftrans.numpy.broadcast_to)")


def binary(name: str, impl, *, out_dtype=None, kinds=None) -> Primitive:
    """An elementwise two-operand primitive on operands of one dtype."""
    prim = Primitive(name)
    prim.def_impl(impl)

    @prim.def_abstract_eval
    def _abstract_eval(x: ShapedArray, y: ShapedArray) -> ShapedArray:
        if x.dtype != y.dtype:
            raise TypeError(f"{name}: operands must have the same dtype, got "
                            f"{x.str_short()} and {y.str_short()}; promote first "
                            "(ftrans.numpy does this for you)")
        if kinds is not None and x.dtype.kind not in kinds:
            raise TypeError(f"{name}: unsupported dtype {x.str_short()}")
        return ShapedArray(binary_shape(name, x, y), out_dtype or x.dtype)

    return prim


def def_zero_jvp(prim: Primitive) -> None:
    """The primitive is piecewise constant: its tangent is zero."""

    @prim.def_jvp
    def _zero_jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        zero = ([Zero(o.aval) for o in out] if prim.multiple_results
                else Zero(out.aval))
        return out, zero


def def_linear(prim: Primitive) -> None:
    """JVP of a primitive linear in all its array inputs: apply it to tangents."""

    @prim.def_jvp
    def _linear_jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        return out, prim.bind(*[instantiate(t) for t in tangents], **params)
