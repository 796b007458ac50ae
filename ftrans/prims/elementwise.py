"""Elementwise primitives: arithmetic, comparisons and logic, transcendental
functions, ``select_n`` and ``convert_element_type``.

Operands of a binary primitive have one dtype and equal shapes, except that a
rank-0 operand broadcasts (``mul b 2.0``). The families of ``_families.py``
give each primitive its shape rule, and the JVP where a family shares one:
a unary function is declared with its derivative (``x_dot * f'(x)``), a
comparison or a piecewise-constant function has a zero tangent. The
derivatives are written with primitives, so they can be differentiated
again. At kinks they follow JAX: ``abs'(0) = 1``, ties in ``max``/``min``
split the tangent evenly, ``sqrt'(0) = inf``. Under ``vmap`` every primitive
here applies to whole batches: the operands meet on one batch axis
(``def_elementwise_batch``; ``select_n`` broadcasts rank-0 cases too).
"""

from __future__ import annotations

import enum
import math

import numpy as np

from ftrans.ad_util import Zero, check_linear_in, instantiate, is_undefined, zeros
from ftrans.core import Primitive, ShapedArray, get_aval
from ftrans.prims._families import (binary, binary_tangent, check_kinds, comparison,
                                    def_elementwise_batch, def_elementwise_cost,
                                    def_identity_with, def_linear,
                                    exports, minmax, scalar, unary, unbcast)
from ftrans.typing import Array, ArrayLike, DTypeLike



def _one(x):
    return scalar(x, 1)


# --- arithmetic ---------------------------------------------------------------

neg_p = unary("neg", np.negative, kinds="iufc")
def_linear(neg_p)


def neg(x: ArrayLike) -> Array:
    """``-x``, elementwise.

    >>> neg(np.array([1.0, -2.0]))
    array([-1.,  2.])
    """
    return neg_p.bind(x)


@neg_p.def_transpose
def _neg_transpose(ct, x):
    return [neg(ct)]


add_p = binary("add", np.add)
def_identity_with(add_p, 0, (0, 1))


def add(x: ArrayLike, y: ArrayLike) -> Array:
    """``x + y``, elementwise.

    >>> add(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    array([4., 6.])
    """
    return add_p.bind(x, y)


@add_p.def_jvp
def _add_jvp(primals, tangents):
    out = add(*primals)
    return out, binary_tangent(out, *tangents, lambda t: t, lambda t: t)


@add_p.def_transpose
def _add_transpose(ct, x, y):
    return [unbcast(ct, x.aval) if is_undefined(x) else None,
            unbcast(ct, y.aval) if is_undefined(y) else None]


sub_p = binary("sub", np.subtract)
def_identity_with(sub_p, 0, (1,))


def sub(x: ArrayLike, y: ArrayLike) -> Array:
    """``x - y``, elementwise.

    >>> sub(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    array([-2., -2.])
    """
    return sub_p.bind(x, y)


@sub_p.def_jvp
def _sub_jvp(primals, tangents):
    out = sub(*primals)
    return out, binary_tangent(out, *tangents, lambda t: t, neg)


@sub_p.def_transpose
def _sub_transpose(ct, x, y):
    return [unbcast(ct, x.aval) if is_undefined(x) else None,
            unbcast(neg(ct), y.aval) if is_undefined(y) else None]


mul_p = binary("mul", np.multiply)
def_identity_with(mul_p, 1, (0, 1))


def mul(x: ArrayLike, y: ArrayLike) -> Array:
    """``x * y``, elementwise.

    >>> mul(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    array([3., 8.])
    """
    return mul_p.bind(x, y)


@mul_p.def_jvp
def _mul_jvp(primals, tangents):
    x, y = primals
    out = mul(x, y)
    return out, binary_tangent(out, *tangents, lambda t: mul(t, y), lambda t: mul(x, t))


@mul_p.def_transpose
def _mul_transpose(ct, x, y):
    check_linear_in("mul", x if is_undefined(y) else y)
    if is_undefined(x):  # d(x y)/dx applied to ct, with y a coefficient
        return [unbcast(mul(ct, y), x.aval), None]
    return [None, unbcast(mul(x, ct), y.aval)]



def _div_impl(x, y):
    if np.result_type(x).kind in "iu":  # integers round toward zero, as C and JAX
        q = np.abs(x) // np.abs(y)
        return np.where(np.logical_xor(x < 0, y < 0), -q, q)
    return np.divide(x, y)


div_p = binary("div", _div_impl)

@div_p.def_emit
def _div_emit(ctx, out_names, in_exprs):
    if ctx.in_avals[0].dtype.kind in "iu":
        return None  # rounding toward zero: the impl
    out = f", out={ctx.buffer}" if ctx.buffer else ""
    return f"{out_names[0]} = np.divide({', '.join(ctx.short_in_exprs)}{out})"


_div_emit.accepts_out = True

def_identity_with(div_p, 1, (1,))


def div(x: ArrayLike, y: ArrayLike) -> Array:
    """``x / y``, elementwise; integers round toward zero (as C and JAX).

    >>> div(np.array([1.0, 2.0]), np.array([4.0, 8.0]))
    array([0.25, 0.25])
    >>> div(np.array([7, -7]), np.array([2, 2]))
    array([ 3, -3])
    """
    return div_p.bind(x, y)


@div_p.def_jvp
def _div_jvp(primals, tangents):
    x, y = primals
    out = div(x, y)
    # d(x/y) = dx / y - dy * out / y
    return out, binary_tangent(out, *tangents, lambda t: div(t, y),
                               lambda t: mul(t, neg(div(out, y))))


@div_p.def_transpose
def _div_transpose(ct, x, y):
    check_linear_in("div (in its denominator)", y)
    return [unbcast(div(ct, y), x.aval), None]


pow_p = binary("pow", np.power, kinds="fc")


def pow(x: ArrayLike, y: ArrayLike) -> Array:
    """``x ** y``, elementwise, for an array exponent ``y`` (see ``integer_pow``).

    >>> pow(np.array([4.0, 9.0]), np.array([0.5, 2.0]))
    array([ 2., 81.])
    """
    return pow_p.bind(x, y)


@pow_p.def_jvp
def _pow_jvp(primals, tangents):
    x, y = primals
    out = pow(x, y)
    zero, one = scalar(x, 0), scalar(x, 1)

    def x_part(x_dot):  # y x^(y-1), with exponent 0 where x == y == 0 so 0 0^0 gives 0
        # (only there: at x != 0 the factor x^(y-1) is what d/dy of this sees at y == 0)
        both_zero = convert_element_type(bitwise_and(eq(x, zero), eq(y, zero)), x.dtype)
        return mul(x_dot, mul(y, pow(x, add(sub(y, one), both_zero))))

    def y_part(y_dot):  # log(x) x^y, with log taken at 1 where x == 0 (as JAX)
        safe_x = add(x, convert_element_type(eq(x, zero), x.dtype))
        return mul(y_dot, mul(log(safe_x), out))

    return out, binary_tangent(out, *tangents, x_part, y_part)


integer_pow_p = Primitive("integer_pow")
def_elementwise_batch(integer_pow_p)


def integer_pow(x: ArrayLike, y: int) -> Array:
    """``x ** y``, elementwise, for a static integer ``y``.

    >>> integer_pow(np.array([2.0, 3.0]), 3)
    array([ 8., 27.])
    """
    return x if y == 1 else integer_pow_p.bind(x, y=int(y))


@integer_pow_p.def_impl
def _integer_pow_impl(x, y):
    return np.power(x, y) if y >= 0 else 1 / np.power(x, -y)


@integer_pow_p.def_emit
def _integer_pow_emit(ctx, out_names, in_exprs, y):
    (x,) = in_exprs
    if y < 0:
        return f"{out_names[0]} = 1 / np.power({x}, {-y})"
    out = f", out={ctx.buffer}" if ctx.buffer else ""
    return f"{out_names[0]} = np.power({x}, {y}{out})"


_integer_pow_emit.accepts_out = True


def_elementwise_cost(integer_pow_p)  # one flop per output entry


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
    return out, mul(x_dot, mul(scalar(x, y), integer_pow(x, y - 1)))


rem_p = binary("rem", np.fmod, kinds="iuf")  # the sign of the dividend, as C and JAX


def rem(x: ArrayLike, y: ArrayLike) -> Array:
    """The remainder of ``x / y`` with the sign of ``x``, as ``numpy.fmod``.

    >>> rem(np.array([5.0, -5.0]), np.array([3.0, 3.0]))
    array([ 2., -2.])
    """
    return rem_p.bind(x, y)


@rem_p.def_jvp
def _rem_jvp(primals, tangents):
    x, y = primals
    out = rem(x, y)
    # rem(x, y) = x - y trunc(x / y): d/dx = 1, d/dy = -trunc(x / y)
    q = div(x, y)
    return out, binary_tangent(out, *tangents, lambda t: t,
                               lambda t: mul(t, neg(mul(sign(q), floor(abs(q))))))


atan2_p = binary("atan2", np.arctan2, kinds="f")


def atan2(x: ArrayLike, y: ArrayLike) -> Array:
    """The angle of the point ``(y, x)``, elementwise, as ``numpy.arctan2(x, y)``.

    >>> atan2(np.array([1.0, -1.0]), np.array([1.0, 1.0]))
    array([ 0.78539816, -0.78539816])
    """
    return atan2_p.bind(x, y)


@atan2_p.def_jvp
def _atan2_jvp(primals, tangents):
    x, y = primals
    out = atan2(x, y)
    denom = add(mul(x, x), mul(y, y))  # d atan2(x, y) = (y dx - x dy) / (x^2 + y^2)
    return out, binary_tangent(out, *tangents, lambda t: mul(t, div(y, denom)),
                               lambda t: mul(t, neg(div(x, denom))))


# --- comparisons and logic: boolean or integer outputs, zero tangents ----------

eq_p = comparison("eq", np.equal)
ne_p = comparison("ne", np.not_equal)
lt_p = comparison("lt", np.less)
le_p = comparison("le", np.less_equal)
gt_p = comparison("gt", np.greater)
ge_p = comparison("ge", np.greater_equal)


def eq(x: ArrayLike, y: ArrayLike) -> Array:
    """``x == y``, elementwise.

    >>> eq(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    array([ True, False])
    """
    return eq_p.bind(x, y)


def ne(x: ArrayLike, y: ArrayLike) -> Array:
    """``x != y``, elementwise.

    >>> ne(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    array([False,  True])
    """
    return ne_p.bind(x, y)


def lt(x: ArrayLike, y: ArrayLike) -> Array:
    """``x < y``, elementwise.

    >>> lt(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    array([False,  True])
    """
    return lt_p.bind(x, y)


def le(x: ArrayLike, y: ArrayLike) -> Array:
    """``x <= y``, elementwise.

    >>> le(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    array([ True,  True])
    """
    return le_p.bind(x, y)


def gt(x: ArrayLike, y: ArrayLike) -> Array:
    """``x > y``, elementwise.

    >>> gt(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    array([False, False])
    """
    return gt_p.bind(x, y)


def ge(x: ArrayLike, y: ArrayLike) -> Array:
    """``x >= y``, elementwise.

    >>> ge(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    array([ True, False])
    """
    return ge_p.bind(x, y)


and_p = binary("and", np.bitwise_and, kinds="biu", derivative=0)
or_p = binary("or", np.bitwise_or, kinds="biu", derivative=0)
not_p = unary("not", np.invert, kinds="biu", derivative=0)


def bitwise_and(x: ArrayLike, y: ArrayLike) -> Array:
    """``x & y``, elementwise: logical and on booleans.

    >>> bitwise_and(np.array([True, True]), np.array([True, False]))
    array([ True, False])
    """
    return and_p.bind(x, y)


def bitwise_or(x: ArrayLike, y: ArrayLike) -> Array:
    """``x | y``, elementwise: logical or on booleans.

    >>> bitwise_or(np.array([True, False]), np.array([False, False]))
    array([ True, False])
    """
    return or_p.bind(x, y)


def bitwise_not(x: ArrayLike) -> Array:
    """``~x``, elementwise: logical not on booleans.

    >>> bitwise_not(np.array([True, False]))
    array([False,  True])
    """
    return not_p.bind(x)


# --- max and min: ties split the tangent -------------------------------------------

max_p = minmax("max", np.maximum, x_wins=gt)
min_p = minmax("min", np.minimum, x_wins=lt)


def max(x: ArrayLike, y: ArrayLike) -> Array:
    """The larger of ``x`` and ``y``, elementwise; at ties each gets half the
    derivative.

    >>> max(np.array([1.0, 5.0]), np.array([3.0, 4.0]))
    array([3., 5.])
    """
    return max_p.bind(x, y)


def min(x: ArrayLike, y: ArrayLike) -> Array:
    """The smaller of ``x`` and ``y``, elementwise; at ties each gets half the
    derivative.

    >>> min(np.array([1.0, 5.0]), np.array([3.0, 4.0]))
    array([1., 4.])
    """
    return min_p.bind(x, y)


# --- unary functions: y = f(x), tangent x_dot * f'(x), f' from x and y ---------

# the derivative is 1 at 0 (as JAX: select(x >= 0, 1, -1)), not sign(0) = 0, so that
# smooth compositions such as |x| * |x| get their second derivative 2 at 0, not 0
abs_p = unary("abs", np.abs, kinds="iufc")


@abs_p.def_abstract_eval
def _abs_abstract_eval(x):
    check_kinds("abs", "iufc", x)
    return x.update(dtype=_real_dtype(x.dtype)) if x.dtype.kind == "c" else x


def abs(x: ArrayLike) -> Array:
    """``|x|``, elementwise (derivative 1 at 0, as JAX); real for a complex ``x``.

    >>> abs(np.array([-1.5, 2.0]))
    array([1.5, 2. ])
    >>> abs(np.array([3 + 4j]))
    array([5.])
    """
    return abs_p.bind(x)


@abs_p.def_jvp
def _abs_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    y = abs(x)
    if get_aval(x).dtype.kind != "c":
        return y, mul(x_dot, add(sign(x), convert_element_type(eq(x, scalar(x, 0)),
                                                                x.dtype)))
    # d|z| = Re(conj(z) dz) / |z|, and 0 at z == 0 (|z| replaced by 1 there, as JAX)
    safe = add(y, convert_element_type(eq(y, scalar(y, 0)), y.dtype))
    coef = div(conj(x), convert_element_type(safe, x.dtype))
    return y, real(mul(x_dot, coef))


exp_p = unary("exp", np.exp, derivative=lambda x, y: y)


def exp(x: ArrayLike) -> Array:
    """``e ** x``, elementwise.

    >>> exp(np.array([0.0, 1.0]))
    array([1.        , 2.71828183])
    """
    return exp_p.bind(x)


log_p = unary("log", np.log, derivative=lambda x, y: div(_one(x), x))


def log(x: ArrayLike) -> Array:
    """The natural logarithm, elementwise.

    >>> log(np.array([1.0, 2.0]))
    array([0.        , 0.69314718])
    """
    return log_p.bind(x)


log1p_p = unary("log1p", np.log1p, derivative=lambda x, y: div(_one(x), add(x, _one(x))))


def log1p(x: ArrayLike) -> Array:
    """``log(1 + x)``, elementwise, accurate near 0.

    >>> log1p(np.array([1e-10, 1.0]))
    array([1.00000000e-10, 6.93147181e-01])
    """
    return log1p_p.bind(x)


expm1_p = unary("expm1", np.expm1, derivative=lambda x, y: add(y, _one(x)))


def expm1(x: ArrayLike) -> Array:
    """``e ** x - 1``, elementwise, accurate near 0.

    >>> expm1(np.array([1e-10, 1.0]))
    array([1.00000000e-10, 1.71828183e+00])
    """
    return expm1_p.bind(x)


sin_p = unary("sin", np.sin, derivative=lambda x, y: cos(x))


def sin(x: ArrayLike) -> Array:
    """The sine, elementwise.

    >>> sin(np.array([0.0, 0.5]))
    array([0.        , 0.47942554])
    """
    return sin_p.bind(x)


cos_p = unary("cos", np.cos, derivative=lambda x, y: neg(sin(x)))


def cos(x: ArrayLike) -> Array:
    """The cosine, elementwise.

    >>> cos(np.array([0.0, 0.5]))
    array([1.        , 0.87758256])
    """
    return cos_p.bind(x)


tan_p = unary("tan", np.tan, derivative=lambda x, y: add(_one(x), mul(y, y)))


def tan(x: ArrayLike) -> Array:
    """The tangent, elementwise.

    >>> tan(np.array([0.0, 0.5]))
    array([0.        , 0.54630249])
    """
    return tan_p.bind(x)


asin_p = unary("asin", np.arcsin, derivative=lambda x, y: rsqrt(sub(_one(x), mul(x, x))))


def asin(x: ArrayLike) -> Array:
    """The inverse sine, elementwise.

    >>> asin(np.array([0.0, 0.5]))
    array([0.        , 0.52359878])
    """
    return asin_p.bind(x)


acos_p = unary("acos", np.arccos,
               derivative=lambda x, y: neg(rsqrt(sub(_one(x), mul(x, x)))))


def acos(x: ArrayLike) -> Array:
    """The inverse cosine, elementwise.

    >>> acos(np.array([0.0, 0.5]))
    array([1.57079633, 1.04719755])
    """
    return acos_p.bind(x)


atan_p = unary("atan", np.arctan,
               derivative=lambda x, y: div(_one(x), add(_one(x), mul(x, x))))


def atan(x: ArrayLike) -> Array:
    """The inverse tangent, elementwise.

    >>> atan(np.array([0.0, 0.5]))
    array([0.        , 0.46364761])
    """
    return atan_p.bind(x)


sinh_p = unary("sinh", np.sinh, derivative=lambda x, y: cosh(x))


def sinh(x: ArrayLike) -> Array:
    """The hyperbolic sine, elementwise.

    >>> sinh(np.array([0.0, 0.5]))
    array([0.        , 0.52109531])
    """
    return sinh_p.bind(x)


cosh_p = unary("cosh", np.cosh, derivative=lambda x, y: sinh(x))


def cosh(x: ArrayLike) -> Array:
    """The hyperbolic cosine, elementwise.

    >>> cosh(np.array([0.0, 0.5]))
    array([1.        , 1.12762597])
    """
    return cosh_p.bind(x)


tanh_p = unary("tanh", np.tanh, derivative=lambda x, y: sub(_one(x), mul(y, y)))


def tanh(x: ArrayLike) -> Array:
    """The hyperbolic tangent, elementwise.

    >>> tanh(np.array([0.0, 0.5]))
    array([0.        , 0.46211716])
    """
    return tanh_p.bind(x)


asinh_p = unary("asinh", np.arcsinh, derivative=lambda x, y: rsqrt(add(mul(x, x), _one(x))))


def asinh(x: ArrayLike) -> Array:
    """The inverse hyperbolic sine, elementwise.

    >>> asinh(np.array([0.0, 0.5]))
    array([0.        , 0.48121183])
    """
    return asinh_p.bind(x)


acosh_p = unary("acosh", np.arccosh,
                derivative=lambda x, y: mul(rsqrt(sub(x, _one(x))),  # principal branches
                                              rsqrt(add(x, _one(x)))))


def acosh(x: ArrayLike) -> Array:
    """The inverse hyperbolic cosine, elementwise.

    >>> acosh(np.array([1.0, 2.0]))
    array([0.       , 1.3169579])
    """
    return acosh_p.bind(x)


atanh_p = unary("atanh", np.arctanh,
                derivative=lambda x, y: div(_one(x), sub(_one(x), mul(x, x))))


def atanh(x: ArrayLike) -> Array:
    """The inverse hyperbolic tangent, elementwise.

    >>> atanh(np.array([0.0, 0.5]))
    array([0.        , 0.54930614])
    """
    return atanh_p.bind(x)


sqrt_p = unary("sqrt", np.sqrt,
               derivative=lambda x, y: div(scalar(x, 0.5), y))  # +inf at 0, as JAX


def sqrt(x: ArrayLike) -> Array:
    """The square root, elementwise (derivative +inf at 0, as JAX).

    >>> sqrt(np.array([4.0, 2.0]))
    array([2.        , 1.41421356])
    """
    return sqrt_p.bind(x)


def _rsqrt_impl(x):
    return 1 / np.sqrt(x)


def _rsqrt_emit(ctx, out_names, in_exprs):
    return f"{out_names[0]} = 1 / np.sqrt({in_exprs[0]})"


_rsqrt_emit.accepts_out = True  # a fresh array, never a view


rsqrt_p = unary("rsqrt", _rsqrt_impl,
                derivative=lambda x, y: mul(scalar(x, -0.5), div(y, x)))
rsqrt_p.def_emit(_rsqrt_emit)


def rsqrt(x: ArrayLike) -> Array:
    """``1 / sqrt(x)``, elementwise.

    >>> rsqrt(np.array([4.0, 0.25]))
    array([0.5, 2. ])
    """
    return rsqrt_p.bind(x)


def _logistic_impl(x):
    if np.iscomplexobj(x):
        return 1 / (1 + np.exp(-x))
    e = np.exp(-np.abs(x))  # never overflows; exact in the far left tail too
    return np.where(x >= 0, 1, e) / (1 + e)


def _logistic_emit(ctx, out_names, in_exprs):
    (y,), (x,) = out_names, in_exprs
    if ctx.in_avals[0].dtype.kind == "c":
        return f"{y} = 1 / (1 + np.exp(-{x}))"
    e = ctx.fresh("e")
    return f"{e} = np.exp(-np.abs({x}))\n{y} = np.where({x} >= 0, 1, {e}) / (1 + {e})"


logistic_p = unary("logistic", _logistic_impl,
                   derivative=lambda x, y: mul(y, sub(_one(x), y)))
logistic_p.def_emit(_logistic_emit)


def logistic(x: ArrayLike) -> Array:
    """``1 / (1 + e ** -x)``, elementwise.

    >>> logistic(np.array([0.0, 2.0]))
    array([0.5       , 0.88079708])
    """
    return logistic_p.bind(x)


square_p = unary("square", np.square, kinds="iufc",
                 derivative=lambda x, y: mul(scalar(x, 2), x))


def square(x: ArrayLike) -> Array:
    """``x * x``, elementwise.

    >>> square(np.array([1.5, -2.0]))
    array([2.25, 4.  ])
    """
    return square_p.bind(x)


# --- erf and erfc --------------------------------------------------------------------
# W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
# approximations for the error function", Math. Comp. 23 (1969) 631-637; the
# coefficients of his SPECFUN routine CALERF), evaluated on whole arrays:
#   |x| <= 0.46875:    erf(x) = x R1(x^2)
#   0.46875 < y <= 4:  erfc(y) = exp(-y^2) R2(y)
#   y > 4:             erfc(y) = exp(-y^2) / y (1/sqrt(pi) - z R3(z)),  z = 1/y^2
# with exp(-y^2) = exp(-hi^2) exp(-(y - hi)(y + hi)) for hi = y rounded down to a
# multiple of 1/16, so that hi^2 is exact and erfc keeps its relative accuracy
# far in the tail. Measured against math.erf/erfc (tests/test_prim_coverage.py):
# erf within 4 ulp, erfc within 7 ulp, relative error below 1e-15 for both.
# The coefficients are 0-d arrays: numpy adds those to arrays faster than floats.

def _coefficients(*values):
    return tuple(np.array(v) for v in values)


# numerators from the highest power down; the denominators' leading coefficient is 1
_ERF_R1 = (_coefficients(1.85777706184603153e-1, 3.16112374387056560e00,
                         1.13864154151050156e02, 3.77485237685302021e02,
                         3.20937758913846947e03),
           _coefficients(2.36012909523441209e01, 2.44024637934444173e02,
                         1.28261652607737228e03, 2.84423683343917062e03))
_ERFC_R2 = (_coefficients(2.15311535474403846e-8, 5.64188496988670089e-1,
                          8.88314979438837594e00, 6.61191906371416295e01,
                          2.98635138197400131e02, 8.81952221241769090e02,
                          1.71204761263407058e03, 2.05107837782607147e03,
                          1.23033935479799725e03),
            _coefficients(1.57449261107098347e01, 1.17693950891312499e02,
                          5.37181101862009858e02, 1.62138957456669019e03,
                          3.29079923573345963e03, 4.36261909014324716e03,
                          3.43936767414372164e03, 1.23033935480374942e03))
_ERFC_R3 = (_coefficients(1.63153871373020978e-2, 3.05326634961232344e-1,
                          3.60344899949804439e-1, 1.25781726111229246e-1,
                          1.60837851487422766e-2, 6.58749161529837803e-4),
            _coefficients(2.56852019228982242e00, 1.87295284992346725e00,
                          5.27905102951428412e-1, 6.05183413124413191e-2,
                          2.33520497626869185e-3))
_ONE, _TWO, _SIXTEEN, _INV_SQRT_PI = _coefficients(1.0, 2.0, 16.0, 1 / math.sqrt(math.pi))
_ERF_SMALL, _ERFC_MID, _ERFC_UNDERFLOW = 0.46875, 4.0, 27.3  # erfc(27.3) < 2.5e-324


def _rational(t, coefficients):
    """``num(t) / den(t)`` by Horner's rule (in place: one array each)."""
    num_coefs, den_coefs = coefficients
    num = num_coefs[0] * t
    den = t + den_coefs[0]
    for a, b in zip(num_coefs[1:-1], den_coefs[1:]):
        num += a
        num *= t
        den *= t
        den += b
    num += num_coefs[-1]
    num /= den
    return num


def _erf_small(x):
    """``erf(x)`` for ``|x| <= 0.46875``."""
    return x * _rational(x * x, _ERF_R1)


def _erfc_large(y):
    """``erfc(y)`` for ``y > 0.46875`` (or nan)."""
    out = np.zeros_like(y)  # from 27.3 on, erfc(y) rounds to 0
    mid = y <= _ERFC_MID
    out[mid] = _rational(y[mid], _ERFC_R2)
    tail = ~(mid | (y >= _ERFC_UNDERFLOW))
    y_tail = y[tail]
    z = _ONE / (y_tail * y_tail)
    out[tail] = (_INV_SQRT_PI - z * _rational(z, _ERFC_R3)) / y_tail
    y = np.minimum(y, _ERFC_UNDERFLOW)  # keeps inf out of exp(-(y - hi)(y + hi))
    hi = np.trunc(y * _SIXTEEN) / _SIXTEEN
    out *= np.exp(-hi * hi)
    out *= np.exp((hi - y) * (y + hi))
    return out


def _erf_impl(x):
    dtype = np.result_type(x)  # computed in float64, returned in x's dtype
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    small = np.abs(x) <= _ERF_SMALL
    out[small] = _erf_small(x[small])
    large = ~small
    with np.errstate(under="ignore"):
        out[large] = np.copysign(_ONE - _erfc_large(np.abs(x[large])), x[large])
    return out.astype(dtype, copy=False)


def _erfc_impl(x):
    dtype = np.result_type(x)
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    small = np.abs(x) <= _ERF_SMALL
    out[small] = _ONE - _erf_small(x[small])
    large = ~small
    x_large = x[large]
    with np.errstate(under="ignore"):
        erfc_abs = _erfc_large(np.abs(x_large))
    out[large] = np.where(x_large < 0, _TWO - erfc_abs, erfc_abs)  # erfc(-y) = 2 - erfc(y)
    return out.astype(dtype, copy=False)


erf_p = unary("erf", _erf_impl, kinds="f", derivative=lambda x, y: mul(
    scalar(x, 2 / math.sqrt(math.pi)), exp(neg(mul(x, x)))))


def erf(x: ArrayLike) -> Array:
    """The error function, elementwise.

    >>> erf(np.array([0.0, 0.5]))
    array([0.        , 0.52049988])
    """
    return erf_p.bind(x)


erfc_p = unary("erfc", _erfc_impl, kinds="f", derivative=lambda x, y: mul(
    scalar(x, -2 / math.sqrt(math.pi)), exp(neg(mul(x, x)))))


def erfc(x: ArrayLike) -> Array:
    """``1 - erf(x)``, elementwise, accurate where ``erf(x)`` rounds to 1.

    >>> erfc(np.array([0.0, 10.0]))
    array([1.00000000e+00, 2.08848758e-45])
    """
    return erfc_p.bind(x)


# --- piecewise constant: zero tangents -------------------------------------------------

sign_p = unary("sign", np.sign, kinds="iufc")  # z / |z| for complex z (numpy >= 2, JAX)


def _of_real(x) -> bool:
    return x.dtype.kind != "c"


sign_p.zero_jvp = _of_real  # piecewise constant on reals: converting its value is safe

floor_p = unary("floor", np.floor, kinds="f", derivative=0)
ceil_p = unary("ceil", np.ceil, kinds="f", derivative=0)


def sign(x: ArrayLike) -> Array:
    """-1, 0 or 1, elementwise: the sign of ``x``.

    >>> sign(np.array([-1.5, 0.0, 2.0]))
    array([-1.,  0.,  1.])
    """
    return sign_p.bind(x)


@sign_p.def_jvp
def _sign_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    s = sign(x)
    if get_aval(x).dtype.kind != "c":  # piecewise constant
        return s, Zero(get_aval(s))
    # sign(z) = z / |z| is smooth away from 0: d sign = (dz - s Re(conj(s) dz)) / |z|
    # (JAX gives it a zero tangent, a wrong number; 0 at z == 0 here)
    r = abs(x)
    inv = convert_element_type(div(convert_element_type(ne(r, scalar(r, 0)), r.dtype),
                                   add(r, convert_element_type(eq(r, scalar(r, 0)),
                                                               r.dtype))), x.dtype)
    radial = mul(s, convert_element_type(real(mul(conj(s), x_dot)), x.dtype))
    return s, mul(sub(x_dot, radial), inv)


def floor(x: ArrayLike) -> Array:
    """``x`` rounded down, elementwise.

    >>> floor(np.array([-1.5, 2.5]))
    array([-2.,  2.])
    """
    return floor_p.bind(x)


def ceil(x: ArrayLike) -> Array:
    """``x`` rounded up, elementwise.

    >>> ceil(np.array([-1.5, 2.5]))
    array([-1.,  3.])
    """
    return ceil_p.bind(x)


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


round_p = unary("round", _round_impl, kinds="f", derivative=0)


def round(x: ArrayLike, rounding_method: int = RoundingMethod.AWAY_FROM_ZERO) -> Array:
    """Round to the nearest integer; halves away from zero by default, as
    ``jax.lax.round`` (``RoundingMethod.TO_NEAREST_EVEN`` as ``numpy.round``).

    >>> round(np.array([-1.5, 0.5, 2.5]))
    array([-2.,  1.,  3.])
    """
    return round_p.bind(x, rounding_method=int(RoundingMethod(rounding_method)))


# --- complex numbers: real, imag, conj, complex --------------------------------
# Linear over the reals, so their JVPs apply them to the tangents. Their
# transposes are JAX's, for the pairing <u, v> = Re(sum(u * v)) (no
# conjugation) under which the transpose of multiplication by c is
# multiplication by c: real^T(t) = t + 0i, imag^T(t) = -i t, conj^T(t) =
# conj(t), complex^T(t) = (Re t, -Im t).

_REAL = {np.dtype(np.complex64): np.dtype(np.float32),
         np.dtype(np.complex128): np.dtype(np.float64)}


def _real_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    return _REAL.get(dtype, np.dtype(np.float64)) if dtype.kind == "c" else dtype


def _complex_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    return np.dtype(np.complex64) if dtype == np.float32 else np.dtype(np.complex128)


def _real_impl(x):
    return np.array(np.real(x))  # a copy: np.real is a view of the operand


def _imag_impl(x):
    return np.array(np.imag(x))


def _complex_impl(x, y):
    out = np.empty(np.broadcast_shapes(np.shape(x), np.shape(y)),
                   _complex_dtype(np.result_type(x)))
    out.real, out.imag = x, y
    return out


def _conj_impl(x, input_dtype):
    return np.conj(x).astype(_complex_dtype(input_dtype) if np.dtype(input_dtype).kind
                             != "c" else input_dtype, copy=False)


def _part_emit(fn):
    def _emit(ctx, out_names, in_exprs):
        return f"{out_names[0]} = np.array(np.{fn}({in_exprs[0]}))"
    _emit.accepts_out = True  # a fresh array, never a view
    return _emit


real_p = Primitive("real")
real_p.def_impl(_real_impl)
real_p.def_emit(_part_emit("real"))
imag_p = Primitive("imag")
imag_p.def_impl(_imag_impl)
imag_p.def_emit(_part_emit("imag"))
for _p in (real_p, imag_p):
    def_linear(_p)
    def_elementwise_batch(_p)
    def_elementwise_cost(_p)


def _part_abstract_eval(name):
    def _abstract_eval(x):
        check_kinds(name, "c", x)
        return x.update(dtype=_real_dtype(x.dtype))
    return _abstract_eval


real_p.def_abstract_eval(_part_abstract_eval("real"))
imag_p.def_abstract_eval(_part_abstract_eval("imag"))


def real(x: ArrayLike) -> Array:
    """The real part of a complex ``x``, elementwise (a float array).

    >>> real(np.array([1 + 2j, -3j]))
    array([ 1., -0.])
    """
    return real_p.bind(x)


def imag(x: ArrayLike) -> Array:
    """The imaginary part of a complex ``x``, elementwise (a float array).

    >>> imag(np.array([1 + 2j, -3j]))
    array([ 2., -3.])
    """
    return imag_p.bind(x)


@real_p.def_transpose
def _real_transpose(ct, x):
    return [complex(ct, scalar(ct, 0))]  # a rank-0 literal broadcasts: no equation


@imag_p.def_transpose
def _imag_transpose(ct, x):
    return [complex(scalar(ct, 0), neg(ct))]


complex_p = binary("complex", _complex_impl, kinds="f")
def_linear(complex_p)


@complex_p.def_abstract_eval
def _complex_abstract_eval(x, y):
    if x.dtype != y.dtype:
        raise TypeError(f"complex: operands must have the same dtype, got "
                        f"{x.str_short()} and {y.str_short()}")
    check_kinds("complex", "f", x, y)
    from ftrans.prims._families import binary_shape
    return ShapedArray(binary_shape("complex", x, y), _complex_dtype(x.dtype))


def complex(x: ArrayLike, y: ArrayLike) -> Array:
    """``x + i y`` from float arrays ``x`` and ``y`` of one dtype, elementwise.

    >>> complex(np.array([1.0, 2.0]), np.array([0.5, -1.0]))
    array([1.+0.5j, 2.-1.j ])
    """
    return complex_p.bind(x, y)


@complex_p.def_transpose
def _complex_transpose(ct, x, y):
    return [unbcast(real(ct), x.aval) if is_undefined(x) else None,
            unbcast(neg(imag(ct)), y.aval) if is_undefined(y) else None]


conj_p = Primitive("conj")
conj_p.def_impl(_conj_impl)
def_linear(conj_p)
def_elementwise_batch(conj_p)
def_elementwise_cost(conj_p)


@conj_p.def_abstract_eval
def _conj_abstract_eval(x, input_dtype):
    check_kinds("conj", "fc", x)
    return x if x.dtype.kind == "c" else x.update(dtype=_complex_dtype(x.dtype))


@conj_p.def_emit
def _conj_emit(ctx, out_names, in_exprs, input_dtype):
    if np.dtype(input_dtype).kind != "c":  # a float: the same values, as complex
        dtype = _complex_dtype(input_dtype).name
        return f"{out_names[0]} = np.array({in_exprs[0]}, dtype=np.{dtype})"
    out = f", out={ctx.buffer}" if ctx.buffer else ""
    return f"{out_names[0]} = np.conj({in_exprs[0]}{out})"


_conj_emit.accepts_out = True


def conj(x: ArrayLike) -> Array:
    """The complex conjugate, elementwise; complex for a float ``x``, as ``jax.lax.conj``.

    >>> conj(np.array([1 + 2j, -3j]))
    array([ 1.-2.j, -0.+3.j])
    """
    dtype = x.dtype if hasattr(x, "dtype") else np.result_type(x)
    return conj_p.bind(x, input_dtype=np.dtype(dtype))


@conj_p.def_transpose
def _conj_transpose(ct, x, input_dtype):
    if np.dtype(input_dtype).kind == "c":
        return [conj(ct)]
    return [real(ct)]  # from a float input: the transpose of x -> x + 0i


# --- select_n and convert_element_type ----------------------------------------

select_n_p = Primitive("select_n")


def select_n(which: ArrayLike, *cases: ArrayLike) -> Array:
    """``cases[which]`` elementwise; a boolean ``which`` picks ``cases[1]`` where true.

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


@select_n_p.def_emit
def _select_n_emit(ctx, out_names, in_exprs):
    which, *cases = in_exprs
    if len(cases) == 1:  # a copy where the impl aliases: the same values
        return f"{out_names[0]} = np.array({cases[0]})"
    if len(cases) == 2:
        return f"{out_names[0]} = np.where({which}, {cases[1]}, {cases[0]})"
    return (f"{out_names[0]} = np.choose(np.asarray({which}, dtype=np.int64), "
            f"({', '.join(cases)},))")


_select_n_emit.accepts_out = True  # a fresh array, never a view


def_elementwise_cost(select_n_p)  # one flop per output entry


@select_n_p.def_abstract_eval
def _select_n_abstract_eval(which, *cases):
    if (cases and which.dtype.kind in "biu" and which.shape in ((), cases[0].shape)
            and (which.dtype != np.bool_ or len(cases) <= 2)
            and all(c == cases[0] for c in cases)):
        return cases[0]  # the common case, checked without building a message
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


@select_n_p.def_batch
def _select_n_batch(axis_size, args, dims):
    # the cases must share one type, so an unbatched rank-0 case is broadcast
    # like the others; only a rank-0 unbatched selector may stay as it is
    from ftrans.prims._batching import align_elementwise
    keep = [True] + [False] * (len(args) - 1)
    lined_up, to = align_elementwise(args, dims, axis_size, keep_scalar=keep)
    return select_n(*lined_up), to


@select_n_p.def_transpose
def _select_n_transpose(ct, which, *cases):
    # the cotangent flows to the case that was selected, zero to the others
    zero = zeros(get_aval(ct))
    return [None] + [
        select_n(which, *[ct if j == i else zero for j in range(len(cases))])
        if is_undefined(c) else None
        for i, c in enumerate(cases)]


convert_element_type_p = Primitive("convert_element_type")
def_elementwise_batch(convert_element_type_p)


def convert_element_type(x: ArrayLike, new_dtype: DTypeLike) -> Array:
    """``x`` converted to ``new_dtype`` (no equation if it already has it).

    >>> convert_element_type(np.array([1.7, -1.7]), np.int64)
    array([ 1, -1])
    """
    new_dtype = np.dtype(new_dtype)
    if getattr(x, "dtype", None) == new_dtype:
        return x
    return convert_element_type_p.bind(x, new_dtype=new_dtype)


@convert_element_type_p.def_impl
def _convert_element_type_impl(x, new_dtype):
    x = x if hasattr(x, "__array_function__") else np.asarray(x)  # dask passes
    if x.dtype.kind == "c" and np.dtype(new_dtype).kind != "c":
        x = x.real  # complex to real keeps the real part (numpy warns, JAX refuses floats)
    return x.astype(new_dtype)


@convert_element_type_p.def_emit
def _convert_element_type_emit(ctx, out_names, in_exprs, new_dtype):
    x = in_exprs[0] if ctx.in_avals[0].ndim else f"np.asarray({in_exprs[0]})"
    if ctx.in_avals[0].dtype.kind == "c" and np.dtype(new_dtype).kind != "c":
        x = f"np.real({x})"
    return f"{out_names[0]} = {x}.astype(np.{np.dtype(new_dtype).name})"


_convert_element_type_emit.accepts_out = True  # astype copies


@convert_element_type_p.def_cost
def _convert_element_type_cost(x, new_dtype):
    return dict(flops=0, transcendentals=0)  # a copy: bytes only


@convert_element_type_p.def_abstract_eval
def _convert_element_type_abstract_eval(x, new_dtype):
    return x.update(dtype=new_dtype)


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
    # real -> complex: the cotangent's real part (the transpose of x -> x + 0i);
    # complex -> real (the real part): ct -> ct + 0i, which the impl gives too
    if get_aval(ct).dtype.kind == "c" and x.aval.dtype.kind != "c":
        ct = real(ct)
    return [convert_element_type(ct, x.aval.dtype)]


__all__ = exports(globals())  # the public functions above: ftrans.lax exports them
