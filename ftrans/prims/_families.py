"""Factories for families of primitives, filling in the rules they share.

``unary`` and ``binary`` give elementwise shape rules; ``def_linear`` derives
the JVP of a primitive that is linear in its array inputs (apply the primitive
to the tangents) so only its transpose is written; ``def_zero_jvp`` marks a
primitive as non-differentiable (its output tangent is zero).
"""

from __future__ import annotations

from ftrans.ad_util import Zero, instantiate
from ftrans.core import Primitive, ShapedArray, get_aval

_KIND_NAMES = {"b": "boolean", "i": "integer", "u": "integer", "f": "float",
               "c": "complex"}


def check_kinds(name: str, kinds: str, *avals: ShapedArray) -> None:
    """Raise a TypeError naming ``name`` and the operand types unless every
    operand's dtype kind (numpy's ``dtype.kind``) is in ``kinds``."""
    for a in avals:
        if a.dtype.kind not in kinds:
            break
    else:
        return
    wanted = " or ".join(dict.fromkeys(_KIND_NAMES[k] for k in kinds))
    got = " and ".join(a.str_short() for a in avals)
    fix = "; convert with x.astype(float)" if "f" in kinds and "i" not in kinds else ""
    what = "the operand" if len(avals) == 1 else "operands"
    raise TypeError(f"{name}: {what} must be {wanted}, got {got}{fix}")


def unary(name: str, impl, *, float_only: bool = True,
          kinds: str | None = None) -> Primitive:
    """An elementwise one-operand primitive whose output type is its input type.

    Operands must be floats (``float_only``), or of the dtype kinds in ``kinds``.
    """
    prim = Primitive(name)
    prim.def_impl(impl)
    kinds = kinds or ("fc" if float_only else "biufc")

    @prim.def_abstract_eval
    def _abstract_eval(x: ShapedArray, **params) -> ShapedArray:
        check_kinds(name, kinds, x)
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


def binary(name: str, impl, *, out_dtype=None, kinds: str | None = None) -> Primitive:
    """An elementwise two-operand primitive on operands of one dtype (of a kind
    in ``kinds``, default any)."""
    prim = Primitive(name)
    prim.def_impl(impl)
    kinds = kinds or "biufc"

    @prim.def_abstract_eval
    def _abstract_eval(x: ShapedArray, y: ShapedArray) -> ShapedArray:
        if x.dtype != y.dtype:
            raise TypeError(f"{name}: operands must have the same dtype, got "
                            f"{x.str_short()} and {y.str_short()}; promote first "
                            "(ftrans.numpy does this for you)")
        check_kinds(name, kinds, x, y)
        return ShapedArray(binary_shape(name, x, y), out_dtype or x.dtype)

    return prim


def def_zero_jvp(prim: Primitive) -> None:
    """The primitive is piecewise constant: its tangent is zero."""
    prim.zero_jvp = True

    @prim.def_jvp
    def _zero_jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        zero = ([Zero(get_aval(o)) for o in out] if prim.multiple_results
                else Zero(get_aval(out)))
        return out, zero


def def_linear(prim: Primitive) -> None:
    """JVP of a primitive linear in all its array inputs: apply it to tangents."""

    @prim.def_jvp
    def _linear_jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        return out, prim.bind(*[instantiate(t) for t in tangents], **params)


def def_identity_with(prim: Primitive, value, positions) -> None:
    """Staging ``prim(x, c)`` with the constant ``c == value`` at one of
    ``positions`` returns ``x`` itself (``x * 1``, ``x + 0``): no equation."""
    import numpy as np

    from ftrans.tracing import Tracer

    def simplify(x, y):
        if type(x) is Tracer and type(y) is Tracer:
            return None
        for pos in positions:
            const, other = (x, y) if pos == 0 else (y, x)
            if (type(const) is not Tracer and type(other) is Tracer
                    and np.ndim(const) == 0 and np.asarray(const).dtype == other.dtype
                    and const == value):
                return other
        return None

    prim.simplify = simplify
