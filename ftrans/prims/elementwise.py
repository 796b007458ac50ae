"""Elementwise primitives: arithmetic, transcendental functions, comparisons,
logic, ``select_n`` and ``convert_element_type``.

Operands of a binary primitive have one dtype and equal shapes, except that a
rank-0 operand broadcasts (``mul b 2.0``). The JVP of each primitive is written
with primitives, so it can be differentiated again. At kinks the derivatives
follow JAX: ``abs'(0) = 1``, ties in ``max``/``min`` split the tangent evenly,
``sqrt'(0) = inf``.
"""

from __future__ import annotations

import enum
import math

import numpy as np

from ftrans.ad_util import (Zero, add_tangents, check_linear_in, instantiate, is_undefined,
                            zeros)
from ftrans.core import Primitive, ShapedArray, get_aval
from ftrans.prims._families import (binary, check_kinds, def_identity_with, def_linear,
                                    def_zero_jvp, unary)
from ftrans.typing import Array, ArrayLike, DTypeLike

__all__ = [
    "neg", "add", "sub", "mul", "div", "pow", "integer_pow", "max", "min", "abs",
    "sign", "exp", "log", "log1p", "expm1", "sin", "cos", "tan", "asin", "acos",
    "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sqrt",
    "rsqrt", "logistic", "erf", "erfc", "floor", "ceil", "round", "RoundingMethod", "rem",
    "square", "eq", "ne", "lt", "le", "gt", "ge", "bitwise_and", "bitwise_or",
    "bitwise_not", "select_n", "convert_element_type",
]


# --- helpers for operands that broadcast from rank 0 -------------------------

def _bcast(t, shape):
    """Tangent ``t`` broadcast to the output ``shape`` (rank-0 operands)."""
    if type(t) is Zero:
        return Zero(t.aval.update(shape=shape))
    if t.shape == shape:
        return t
    from ftrans.prims.shape import broadcast_in_dim
    return broadcast_in_dim(t, shape=shape, broadcast_dimensions=())


def _unbcast(ct, aval: ShapedArray):
    """Cotangent ``ct`` summed down to a rank-0 operand's shape."""
    if ct.shape == aval.shape:
        return ct
    from ftrans.prims.reductions import reduce_sum
    return reduce_sum(ct, axes=tuple(range(ct.ndim)))


def _scalar(x, v):
    """The Python number ``v`` as a rank-0 literal of ``x``'s dtype."""
    return np.asarray(v, dtype=x.dtype)[()]


def _binary_tangent(out, x_dot, y_dot, fx, fy):
    """``fx(x_dot) + fy(y_dot)`` at ``out``'s shape; ``fx``/``fy`` are linear
    and are not called on a symbolic zero (so no coefficient is computed)."""
    a = x_dot if type(x_dot) is Zero else fx(x_dot)
    b = y_dot if type(y_dot) is Zero else fy(y_dot)
    return add_tangents(_bcast(a, out.shape), _bcast(b, out.shape))


# --- arithmetic ---------------------------------------------------------------

neg_p = unary("neg", np.negative, kinds="iufc")
def neg(x: ArrayLike) -> Array: return neg_p.bind(x)
def_linear(neg_p)
neg_p.def_transpose(lambda ct, x: [neg(ct)])

add_p = binary("add", np.add)
def_identity_with(add_p, 0, (0, 1))
def add(x: ArrayLike, y: ArrayLike) -> Array: return add_p.bind(x, y)


@add_p.def_jvp
def _add_jvp(primals, tangents):
    out = add(*primals)
    return out, _binary_tangent(out, *tangents, lambda t: t, lambda t: t)


@add_p.def_transpose
def _add_transpose(ct, x, y):
    return [_unbcast(ct, x.aval) if is_undefined(x) else None,
            _unbcast(ct, y.aval) if is_undefined(y) else None]


sub_p = binary("sub", np.subtract)
def_identity_with(sub_p, 0, (1,))
def sub(x: ArrayLike, y: ArrayLike) -> Array: return sub_p.bind(x, y)


@sub_p.def_jvp
def _sub_jvp(primals, tangents):
    out = sub(*primals)
    return out, _binary_tangent(out, *tangents, lambda t: t, neg)


@sub_p.def_transpose
def _sub_transpose(ct, x, y):
    return [_unbcast(ct, x.aval) if is_undefined(x) else None,
            _unbcast(neg(ct), y.aval) if is_undefined(y) else None]


mul_p = binary("mul", np.multiply)
def_identity_with(mul_p, 1, (0, 1))
def mul(x: ArrayLike, y: ArrayLike) -> Array: return mul_p.bind(x, y)


@mul_p.def_jvp
def _mul_jvp(primals, tangents):
    x, y = primals
    out = mul(x, y)
    return out, _binary_tangent(out, *tangents, lambda t: mul(t, y), lambda t: mul(x, t))


@mul_p.def_transpose
def _mul_transpose(ct, x, y):
    check_linear_in("mul", x if is_undefined(y) else y)
    if is_undefined(x):  # d(x y)/dx applied to ct, with y a coefficient
        return [_unbcast(mul(ct, y), x.aval), None]
    return [None, _unbcast(mul(x, ct), y.aval)]


def _div_impl(x, y):
    if np.result_type(x).kind in "iu":  # integers round toward zero, as C and JAX
        q = np.abs(x) // np.abs(y)
        return np.where(np.logical_xor(x < 0, y < 0), -q, q)
    return np.divide(x, y)


div_p = binary("div", _div_impl)
def_identity_with(div_p, 1, (1,))
def div(x: ArrayLike, y: ArrayLike) -> Array: return div_p.bind(x, y)


@div_p.def_jvp
def _div_jvp(primals, tangents):
    x, y = primals
    out = div(x, y)
    # d(x/y) = dx / y - dy * out / y
    return out, _binary_tangent(out, *tangents, lambda t: div(t, y),
                                lambda t: mul(t, neg(div(out, y))))


@div_p.def_transpose
def _div_transpose(ct, x, y):
    check_linear_in("div (in its denominator)", y)
    return [_unbcast(div(ct, y), x.aval), None]


pow_p = binary("pow", np.power, kinds="fc")
def pow(x: ArrayLike, y: ArrayLike) -> Array: return pow_p.bind(x, y)


@pow_p.def_jvp
def _pow_jvp(primals, tangents):
    x, y = primals
    out = pow(x, y)
    zero, one = _scalar(x, 0), _scalar(x, 1)

    def x_part(x_dot):  # y x^(y-1), with exponent 0 where x == y == 0 so 0 0^0 gives 0
        # (only there: at x != 0 the factor x^(y-1) is what d/dy of this sees at y == 0)
        both_zero = convert_element_type(bitwise_and(eq(x, zero), eq(y, zero)), x.dtype)
        return mul(x_dot, mul(y, pow(x, add(sub(y, one), both_zero))))

    def y_part(y_dot):  # log(x) x^y, with log taken at 1 where x == 0 (as JAX)
        safe_x = add(x, convert_element_type(eq(x, zero), x.dtype))
        return mul(y_dot, mul(log(safe_x), out))

    return out, _binary_tangent(out, *tangents, x_part, y_part)


integer_pow_p = Primitive("integer_pow")


def integer_pow(x: ArrayLike, y: int) -> Array:
    return x if y == 1 else integer_pow_p.bind(x, y=int(y))


integer_pow_p.def_impl(lambda x, y: np.power(x, y) if y >= 0 else 1 / np.power(x, -y))


@integer_pow_p.def_abstract_eval
def _integer_pow_abstract_eval(x, y):
    check_kinds("integer_pow", "iufc", x)
    if y < 0 and x.dtype.kind in "iu":
        raise TypeError(f"integer_pow: negative exponent {y} on an integer operand "
                        f"{x.str_short()}; convert it with x.astype(float)")
    return x


@integer_pow_p.def_jvp
def _integer_pow_jvp(primals, tangents, y):
    (x,), (x_dot,) = primals, tangents
    out = integer_pow(x, y)
    if y == 0:
        return out, Zero(get_aval(out))
    if y == 1:
        return out, x_dot
    return out, mul(x_dot, mul(_scalar(x, y), integer_pow(x, y - 1)))


def _minmax_jvp(prim, x_wins):
    """Weight 1 on the winner's tangent and 1/2 on each at ties, as JAX."""
    def jvp(primals, tangents):
        x, y = primals
        out = prim.bind(x, y)
        cx = add(convert_element_type(x_wins(x, y), x.dtype),
                 mul(convert_element_type(eq(x, y), x.dtype), _scalar(x, 0.5)))
        cy = sub(_scalar(x, 1), cx)
        return out, _binary_tangent(out, *tangents, lambda t: mul(t, cx),
                                    lambda t: mul(t, cy))
    prim.def_jvp(jvp)


max_p = binary("max", np.maximum)
def max(x: ArrayLike, y: ArrayLike) -> Array: return max_p.bind(x, y)
_minmax_jvp(max_p, lambda x, y: gt(x, y))

min_p = binary("min", np.minimum)
def min(x: ArrayLike, y: ArrayLike) -> Array: return min_p.bind(x, y)
_minmax_jvp(min_p, lambda x, y: lt(x, y))

rem_p = binary("rem", np.fmod)  # the sign of the dividend, as C and JAX
def rem(x: ArrayLike, y: ArrayLike) -> Array: return rem_p.bind(x, y)


@rem_p.def_jvp
def _rem_jvp(primals, tangents):
    x, y = primals
    out = rem(x, y)
    # rem(x, y) = x - y trunc(x / y): d/dx = 1, d/dy = -trunc(x / y)
    q = div(x, y)
    return out, _binary_tangent(out, *tangents, lambda t: t,
                                lambda t: mul(t, neg(mul(sign(q), floor(abs(q))))))


atan2_p = binary("atan2", np.arctan2, kinds="f")
def atan2(x: ArrayLike, y: ArrayLike) -> Array: return atan2_p.bind(x, y)


@atan2_p.def_jvp
def _atan2_jvp(primals, tangents):
    x, y = primals
    out = atan2(x, y)
    denom = add(mul(x, x), mul(y, y))  # d atan2(x, y) = (y dx - x dy) / (x^2 + y^2)
    return out, _binary_tangent(out, *tangents, lambda t: mul(t, div(y, denom)),
                                lambda t: mul(t, neg(div(x, denom))))


# --- unary functions: y = f(x), tangent x_dot * f'(x) -------------------------

def _unary_jvp(prim, derivative):
    """JVP ``x_dot * derivative(x, y)``, the derivative built from primitives."""
    def jvp(primals, tangents):
        (x,), (x_dot,) = primals, tangents
        y = prim.bind(x)
        return y, mul(x_dot, derivative(x, y))
    prim.def_jvp(jvp)


def _one(x):
    return _scalar(x, 1)


abs_p = unary("abs", np.abs, kinds="iuf")
def abs(x: ArrayLike) -> Array: return abs_p.bind(x)
# the derivative is 1 at 0 (as JAX: select(x >= 0, 1, -1)), not sign(0) = 0, so that
# smooth compositions such as |x| * |x| get their second derivative 2 at 0, not 0
_unary_jvp(abs_p, lambda x, y: add(sign(x), convert_element_type(eq(x, _scalar(x, 0)), x.dtype)))

sign_p = unary("sign", np.sign, kinds="iuf")
def sign(x: ArrayLike) -> Array: return sign_p.bind(x)
def_zero_jvp(sign_p)

exp_p = unary("exp", np.exp)
def exp(x: ArrayLike) -> Array: return exp_p.bind(x)
_unary_jvp(exp_p, lambda x, y: y)

log_p = unary("log", np.log)
def log(x: ArrayLike) -> Array: return log_p.bind(x)
_unary_jvp(log_p, lambda x, y: div(_one(x), x))

log1p_p = unary("log1p", np.log1p)
def log1p(x: ArrayLike) -> Array: return log1p_p.bind(x)
_unary_jvp(log1p_p, lambda x, y: div(_one(x), add(x, _one(x))))

expm1_p = unary("expm1", np.expm1)
def expm1(x: ArrayLike) -> Array: return expm1_p.bind(x)
_unary_jvp(expm1_p, lambda x, y: add(y, _one(x)))

sin_p = unary("sin", np.sin)
def sin(x: ArrayLike) -> Array: return sin_p.bind(x)
_unary_jvp(sin_p, lambda x, y: cos(x))

cos_p = unary("cos", np.cos)
def cos(x: ArrayLike) -> Array: return cos_p.bind(x)
_unary_jvp(cos_p, lambda x, y: neg(sin(x)))

tan_p = unary("tan", np.tan)
def tan(x: ArrayLike) -> Array: return tan_p.bind(x)
_unary_jvp(tan_p, lambda x, y: add(_one(x), mul(y, y)))

asin_p = unary("asin", np.arcsin)
def asin(x: ArrayLike) -> Array: return asin_p.bind(x)
_unary_jvp(asin_p, lambda x, y: rsqrt(sub(_one(x), mul(x, x))))

acos_p = unary("acos", np.arccos)
def acos(x: ArrayLike) -> Array: return acos_p.bind(x)
_unary_jvp(acos_p, lambda x, y: neg(rsqrt(sub(_one(x), mul(x, x)))))

atan_p = unary("atan", np.arctan)
def atan(x: ArrayLike) -> Array: return atan_p.bind(x)
_unary_jvp(atan_p, lambda x, y: div(_one(x), add(_one(x), mul(x, x))))

sinh_p = unary("sinh", np.sinh)
def sinh(x: ArrayLike) -> Array: return sinh_p.bind(x)
_unary_jvp(sinh_p, lambda x, y: cosh(x))

cosh_p = unary("cosh", np.cosh)
def cosh(x: ArrayLike) -> Array: return cosh_p.bind(x)
_unary_jvp(cosh_p, lambda x, y: sinh(x))

tanh_p = unary("tanh", np.tanh)
def tanh(x: ArrayLike) -> Array: return tanh_p.bind(x)
_unary_jvp(tanh_p, lambda x, y: sub(_one(x), mul(y, y)))

asinh_p = unary("asinh", np.arcsinh)
def asinh(x: ArrayLike) -> Array: return asinh_p.bind(x)
_unary_jvp(asinh_p, lambda x, y: rsqrt(add(mul(x, x), _one(x))))

acosh_p = unary("acosh", np.arccosh)
def acosh(x: ArrayLike) -> Array: return acosh_p.bind(x)
_unary_jvp(acosh_p, lambda x, y: rsqrt(mul(sub(x, _one(x)), add(x, _one(x)))))

atanh_p = unary("atanh", np.arctanh)
def atanh(x: ArrayLike) -> Array: return atanh_p.bind(x)
_unary_jvp(atanh_p, lambda x, y: div(_one(x), sub(_one(x), mul(x, x))))

sqrt_p = unary("sqrt", np.sqrt)
def sqrt(x: ArrayLike) -> Array: return sqrt_p.bind(x)
_unary_jvp(sqrt_p, lambda x, y: div(_scalar(x, 0.5), y))  # +inf at 0, as JAX

rsqrt_p = unary("rsqrt", lambda x: 1 / np.sqrt(x))
def rsqrt(x: ArrayLike) -> Array: return rsqrt_p.bind(x)
_unary_jvp(rsqrt_p, lambda x, y: mul(_scalar(x, -0.5), div(y, x)))

logistic_p = unary("logistic", lambda x: 0.5 * np.tanh(0.5 * x) + 0.5)
def logistic(x: ArrayLike) -> Array: return logistic_p.bind(x)
_unary_jvp(logistic_p, lambda x, y: mul(y, sub(_one(x), y)))

_erf_vec = np.vectorize(math.erf, otypes=[np.float64])
erf_p = unary("erf", lambda x: _erf_vec(x).astype(np.result_type(x)), kinds="f")
def erf(x: ArrayLike) -> Array: return erf_p.bind(x)
_unary_jvp(erf_p, lambda x, y: mul(_scalar(x, 2 / math.sqrt(math.pi)),
                                   exp(neg(mul(x, x)))))

_erfc_vec = np.vectorize(math.erfc, otypes=[np.float64])  # accurate where 1 - erf is 0
erfc_p = unary("erfc", lambda x: _erfc_vec(x).astype(np.result_type(x)), kinds="f")
def erfc(x: ArrayLike) -> Array: return erfc_p.bind(x)
_unary_jvp(erfc_p, lambda x, y: mul(_scalar(x, -2 / math.sqrt(math.pi)), exp(neg(mul(x, x)))))

square_p = unary("square", np.square, kinds="iufc")
def square(x: ArrayLike) -> Array: return square_p.bind(x)
_unary_jvp(square_p, lambda x, y: mul(_scalar(x, 2), x))

floor_p = unary("floor", np.floor, kinds="f")
def floor(x: ArrayLike) -> Array: return floor_p.bind(x)
def_zero_jvp(floor_p)

ceil_p = unary("ceil", np.ceil, kinds="f")
def ceil(x: ArrayLike) -> Array: return ceil_p.bind(x)
def_zero_jvp(ceil_p)


class RoundingMethod(enum.IntEnum):
    """How ``round`` breaks ties at halves, as ``jax.lax.RoundingMethod``.

    >>> import numpy as np, ftrans.lax as lax
    >>> lax.round(np.array([0.5, 2.5]), lax.RoundingMethod.TO_NEAREST_EVEN)
    array([0., 2.])
    """
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def _round_impl(x, rounding_method):
    if rounding_method == RoundingMethod.TO_NEAREST_EVEN:
        return np.round(x)
    r = np.trunc(x)  # x - trunc(x) is exact, so halves are seen exactly
    return np.where(np.abs(x - r) >= 0.5, r + np.sign(x), r)


round_p = unary("round", _round_impl, kinds="f")
def_zero_jvp(round_p)


def round(x: ArrayLike, rounding_method: int = RoundingMethod.AWAY_FROM_ZERO) -> Array:
    """Round to the nearest integer; halves away from zero by default, as
    ``jax.lax.round`` (``RoundingMethod.TO_NEAREST_EVEN`` as ``numpy.round``).

    >>> import numpy as np
    >>> round(np.array([-1.5, 0.5, 2.5]))
    array([-2.,  1.,  3.])
    """
    return round_p.bind(x, rounding_method=int(RoundingMethod(rounding_method)))


# --- comparisons and logic: boolean or integer outputs, zero tangents ----------

def _comparison(name, impl):
    prim = binary(name, impl, out_dtype=np.bool_)
    def_zero_jvp(prim)
    return prim


eq_p = _comparison("eq", np.equal)
ne_p = _comparison("ne", np.not_equal)
lt_p = _comparison("lt", np.less)
le_p = _comparison("le", np.less_equal)
gt_p = _comparison("gt", np.greater)
ge_p = _comparison("ge", np.greater_equal)
def eq(x: ArrayLike, y: ArrayLike) -> Array: return eq_p.bind(x, y)
def ne(x: ArrayLike, y: ArrayLike) -> Array: return ne_p.bind(x, y)
def lt(x: ArrayLike, y: ArrayLike) -> Array: return lt_p.bind(x, y)
def le(x: ArrayLike, y: ArrayLike) -> Array: return le_p.bind(x, y)
def gt(x: ArrayLike, y: ArrayLike) -> Array: return gt_p.bind(x, y)
def ge(x: ArrayLike, y: ArrayLike) -> Array: return ge_p.bind(x, y)

and_p = binary("and", np.bitwise_and, kinds="biu")
or_p = binary("or", np.bitwise_or, kinds="biu")
def bitwise_and(x: ArrayLike, y: ArrayLike) -> Array: return and_p.bind(x, y)
def bitwise_or(x: ArrayLike, y: ArrayLike) -> Array: return or_p.bind(x, y)
def_zero_jvp(and_p)
def_zero_jvp(or_p)

not_p = unary("not", np.invert, kinds="biu")
def bitwise_not(x: ArrayLike) -> Array: return not_p.bind(x)
def_zero_jvp(not_p)


# --- select_n and convert_element_type ----------------------------------------

select_n_p = Primitive("select_n")


def select_n(which: ArrayLike, *cases: ArrayLike) -> Array:
    """``cases[which]`` elementwise; a boolean ``which`` picks ``cases[1]`` where true.

    >>> import numpy as np
    >>> select_n(np.array([True, False]), np.zeros(2), np.ones(2))
    array([1., 0.])
    """
    return select_n_p.bind(which, *cases)


@select_n_p.def_impl
def _select_n_impl(which, *cases):
    if len(cases) == 1:
        return np.asarray(cases[0])
    if len(cases) == 2:
        return np.where(which, cases[1], cases[0])
    return np.choose(np.asarray(which, dtype=np.int64), cases)


@select_n_p.def_abstract_eval
def _select_n_abstract_eval(which, *cases):
    types = ", ".join(a.str_short() for a in (which, *cases))
    if not cases:
        raise TypeError(f"select_n: needs at least one case, got only the "
                        f"selector {types}")
    if which.dtype.kind not in "biu":
        raise TypeError(f"select_n: the selector must be boolean or integer, got "
                        f"select_n({types})")
    if which.dtype == np.bool_ and len(cases) > 2:
        raise TypeError(f"select_n: a boolean selector picks from at most two "
                        f"cases, got select_n({types}); use an integer selector")
    if any(c != cases[0] for c in cases):
        raise TypeError(f"select_n: cases must have one type, got select_n({types})")
    if which.shape not in ((), cases[0].shape):
        raise TypeError(f"select_n: selector {which.str_short()} must be rank 0 or "
                        f"have the cases' shape, got select_n({types})")
    return cases[0]


@select_n_p.def_jvp
def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = select_n(which, *cases)
    if all(type(t) is Zero for t in tangents[1:]):
        return out, Zero(get_aval(out))
    return out, select_n(which, *[instantiate(t) for t in tangents[1:]])


@select_n_p.def_transpose
def _select_n_transpose(ct, which, *cases):
    # the cotangent flows to the case that was selected, zero to the others
    zero = zeros(get_aval(ct))
    return [None] + [
        select_n(which, *[ct if j == i else zero for j in range(len(cases))])
        if is_undefined(c) else None
        for i, c in enumerate(cases)]


convert_element_type_p = Primitive("convert_element_type")


def convert_element_type(x: ArrayLike, new_dtype: DTypeLike) -> Array:
    """``x`` converted to ``new_dtype`` (no equation if it already has it).

    >>> import numpy as np
    >>> convert_element_type(np.array([1.7, -1.7]), np.int64)
    array([ 1, -1])
    """
    new_dtype = np.dtype(new_dtype)
    if getattr(x, "dtype", None) == new_dtype:
        return x
    return convert_element_type_p.bind(x, new_dtype=new_dtype)


convert_element_type_p.def_impl(lambda x, new_dtype: np.asarray(x).astype(new_dtype))
convert_element_type_p.def_abstract_eval(lambda x, new_dtype: x.update(dtype=new_dtype))


def _float_to_float(x_dtype, new_dtype) -> bool:
    return np.dtype(x_dtype).kind in "fc" and np.dtype(new_dtype).kind in "fc"


@convert_element_type_p.def_jvp
def _convert_element_type_jvp(primals, tangents, new_dtype):
    (x,), (x_dot,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype)
    if not _float_to_float(get_aval(x).dtype, new_dtype):
        return out, Zero(get_aval(out))
    return out, convert_element_type_p.bind(x_dot, new_dtype=new_dtype)


@convert_element_type_p.def_transpose
def _convert_element_type_transpose(ct, x, new_dtype):
    return [convert_element_type_p.bind(ct, new_dtype=x.aval.dtype)]


# --- docstrings of the functional forms: a summary and an example whose
# expected output is numpy's result for the same arguments ----------------------

_DOCS = {
    "neg": ("-x", (np.array([1.0, -2.0]),), np.negative),
    "add": ("x + y", (np.array([1.0, 2.0]), np.array([3.0, 4.0])), np.add),
    "sub": ("x - y", (np.array([1.0, 2.0]), np.array([3.0, 4.0])), np.subtract),
    "mul": ("x * y", (np.array([1.0, 2.0]), np.array([3.0, 4.0])), np.multiply),
    "div": ("x / y (integers round toward zero)", (np.array([1.0, 2.0]), np.array([4.0, 8.0])),
            np.divide),
    "pow": ("x ** y for arrays y", (np.array([4.0, 9.0]), np.array([0.5, 2.0])), np.power),
    "integer_pow": ("x ** y for a static int y", (np.array([2.0, 3.0]), 3), np.power),
    "max": ("the larger of x and y (ties split the derivative)",
            (np.array([1.0, 5.0]), np.array([3.0, 4.0])), np.maximum),
    "min": ("the smaller of x and y (ties split the derivative)",
            (np.array([1.0, 5.0]), np.array([3.0, 4.0])), np.minimum),
    "abs": ("|x| (derivative 1 at 0, as JAX)", (np.array([-1.5, 2.0]),), np.abs),
    "sign": ("-1, 0 or 1", (np.array([-1.5, 0.0, 2.0]),), np.sign),
    "exp": ("e ** x", (np.array([0.0, 1.0]),), np.exp),
    "log": ("natural logarithm", (np.array([1.0, 2.0]),), np.log),
    "log1p": ("log(1 + x), accurate near 0", (np.array([1e-10, 1.0]),), np.log1p),
    "expm1": ("e ** x - 1, accurate near 0", (np.array([1e-10, 1.0]),), np.expm1),
    "sin": ("sine", (np.array([0.0, 0.5]),), np.sin),
    "cos": ("cosine", (np.array([0.0, 0.5]),), np.cos),
    "tan": ("tangent", (np.array([0.0, 0.5]),), np.tan),
    "asin": ("inverse sine", (np.array([0.0, 0.5]),), np.arcsin),
    "acos": ("inverse cosine", (np.array([0.0, 0.5]),), np.arccos),
    "atan": ("inverse tangent", (np.array([0.0, 0.5]),), np.arctan),
    "atan2": ("the angle of the point (y, x), as numpy.arctan2(x, y)",
              (np.array([1.0, -1.0]), np.array([1.0, 1.0])), np.arctan2),
    "sinh": ("hyperbolic sine", (np.array([0.0, 0.5]),), np.sinh),
    "cosh": ("hyperbolic cosine", (np.array([0.0, 0.5]),), np.cosh),
    "tanh": ("hyperbolic tangent", (np.array([0.0, 0.5]),), np.tanh),
    "asinh": ("inverse hyperbolic sine", (np.array([0.0, 0.5]),), np.arcsinh),
    "acosh": ("inverse hyperbolic cosine", (np.array([1.0, 2.0]),), np.arccosh),
    "atanh": ("inverse hyperbolic tangent", (np.array([0.0, 0.5]),), np.arctanh),
    "sqrt": ("square root (derivative +inf at 0)", (np.array([4.0, 2.0]),), np.sqrt),
    "rsqrt": ("1 / sqrt(x)", (np.array([4.0, 0.25]),), lambda x: 1 / np.sqrt(x)),
    "logistic": ("1 / (1 + e ** -x)", (np.array([0.0, 2.0]),), lambda x: 1 / (1 + np.exp(-x))),
    "erf": ("the error function", (np.array([0.0, 0.5]),), np.vectorize(math.erf)),
    "erfc": ("1 - erf(x), accurate for large x", (np.array([0.0, 10.0]),),
             np.vectorize(math.erfc)),
    "floor": ("round down", (np.array([-1.5, 2.5]),), np.floor),
    "ceil": ("round up", (np.array([-1.5, 2.5]),), np.ceil),
    "round": ("round to nearest, halves away from zero", (np.array([0.5, 1.5, -2.5]),),
              lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5)),
    "rem": ("remainder with the sign of x, as numpy.fmod",
            (np.array([5.0, -5.0]), np.array([3.0, 3.0])), np.fmod),
    "square": ("x * x", (np.array([1.5, -2.0]),), np.square),
    "eq": ("x == y", (np.array([1.0, 2.0]), np.array([1.0, 3.0])), np.equal),
    "ne": ("x != y", (np.array([1.0, 2.0]), np.array([1.0, 3.0])), np.not_equal),
    "lt": ("x < y", (np.array([1.0, 2.0]), np.array([1.0, 3.0])), np.less),
    "le": ("x <= y", (np.array([1.0, 2.0]), np.array([1.0, 3.0])), np.less_equal),
    "gt": ("x > y", (np.array([1.0, 2.0]), np.array([1.0, 3.0])), np.greater),
    "ge": ("x >= y", (np.array([1.0, 2.0]), np.array([1.0, 3.0])), np.greater_equal),
    "bitwise_and": ("x & y (logical and on booleans)",
                    (np.array([True, True]), np.array([True, False])), np.bitwise_and),
    "bitwise_or": ("x | y (logical or on booleans)",
                   (np.array([True, False]), np.array([False, False])), np.bitwise_or),
    "bitwise_not": ("~x (logical not on booleans)", (np.array([True, False]),), np.invert),
}


def _example_args(args) -> str:
    return ", ".join(f"np.{a!r}" if isinstance(a, np.ndarray) else repr(a) for a in args)


for _name, (_summary, _args, _reference) in _DOCS.items():
    globals()[_name].__doc__ = (
        f"Elementwise {_summary}: the ``{_name}`` primitive.\n\n"
        f"    >>> import numpy as np, ftrans.lax as lax\n"
        f"    >>> lax.{_name}({_example_args(_args)})\n"
        f"    {np.asarray(_reference(*_args))!r}\n")
