"""Rows of the primitive table for ftrans/prims/elementwise.py.

One row per primitive, then variants: a rank-0 traced operand on either side
of a binary primitive (the ``bcast``/``unbcast`` paths), integer dtypes,
``integer_pow`` exponents, ``select_n`` selectors, ``convert_element_type``
targets, and float32 rows whose impl must keep float32 (checked against the
shape rule; derivatives are checked in float64 only).
"""

import math

import numpy as np

from ftrans import lax
from ftrans.prims.elementwise import convert_element_type_p
from tests.prim_table import (Case, above_one, away_from_zero, booleans, integers,
                              normal, positive, unit)

F32, F64, I32, I64 = np.float32, np.float64, np.int32, np.int64
_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _round_away(x):
    r = np.trunc(x)
    return np.where(np.abs(x - r) >= 0.5, r + np.sign(x), r)


def _trunc_div(x, y):
    q = np.abs(x) // np.abs(y)
    return np.where((x < 0) != (y < 0), -q, q)


def three_way(rng, shape):
    """A selector among three cases."""
    return rng.integers(0, 3, shape)


def nonzero_ints(rng, shape):
    """Integer divisors."""
    return rng.choice([-3, -2, -1, 1, 2, 3], shape)


def halves(rng, shape):
    """Integers and half-integers: the ties of ``round``."""
    return rng.integers(-6, 7, shape) / 2.0


def _convert(new_dtype):
    return lambda x: lax.convert_element_type(x, new_dtype)


def _convert_same(x):
    """A float -> float conversion bound even though the dtype is unchanged
    (the wrapper would skip it): exercises the linear rules exactly in f64."""
    return convert_element_type_p.bind(x, new_dtype=np.dtype(F64))


S = (3, 4)
UNARY = [  # (name, fn, numpy reference, domain)
    ("exp", lax.exp, np.exp, normal),
    ("log", lax.log, np.log, positive),
    ("log1p", lax.log1p, np.log1p, positive),
    ("expm1", lax.expm1, np.expm1, normal),
    ("sin", lax.sin, np.sin, normal),
    ("cos", lax.cos, np.cos, normal),
    ("tan", lax.tan, np.tan, unit),
    ("asin", lax.asin, np.arcsin, unit),
    ("acos", lax.acos, np.arccos, unit),
    ("atan", lax.atan, np.arctan, normal),
    ("sinh", lax.sinh, np.sinh, normal),
    ("cosh", lax.cosh, np.cosh, normal),
    ("tanh", lax.tanh, np.tanh, normal),
    ("asinh", lax.asinh, np.arcsinh, normal),
    ("acosh", lax.acosh, np.arccosh, above_one),
    ("atanh", lax.atanh, np.arctanh, unit),
    ("sqrt", lax.sqrt, np.sqrt, positive),
    ("rsqrt", lax.rsqrt, lambda x: 1 / np.sqrt(x), positive),
    ("logistic", lax.logistic, lambda x: 1 / (1 + np.exp(-x)), normal),
    ("erf", lax.erf, _erf, normal),
    ("erfc", lax.erfc, _erfc, normal),
    ("square", lax.square, np.square, normal),
    ("abs", lax.abs, np.abs, away_from_zero),
]
PIECEWISE_CONSTANT = [  # zero derivative: order 0 here, checked in test_kinks.py
    ("sign", lax.sign, np.sign, normal),
    ("floor", lax.floor, np.floor, normal),
    ("ceil", lax.ceil, np.ceil, normal),
    ("round", lax.round, _round_away, halves),
]
COMPARISONS = [
    ("eq", lax.eq, np.equal), ("ne", lax.ne, np.not_equal),
    ("lt", lax.lt, np.less), ("le", lax.le, np.less_equal),
    ("gt", lax.gt, np.greater), ("ge", lax.ge, np.greater_equal),
]

CASES = [
    *[Case(p, fn, (S,), ref=ref, domain=dom) for p, fn, ref, dom in UNARY],
    *[Case(p, fn, (S,), ref=ref, domain=dom, order=0)
      for p, fn, ref, dom in PIECEWISE_CONSTANT],
    Case("round", lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN), (S,),
         ref=np.round, domain=halves, order=0, name="to_nearest_even"),
    # comparisons on small integers stored as floats, so that ties occur
    *[Case(p, fn, (S, S), ref=ref, domain=integers, order=0)
      for p, fn, ref in COMPARISONS],
    Case("lt", lax.lt, (S, S), ref=np.less, domain=integers, dtypes=(I64, I64),
         order=0, name="i64"),
    Case("and", lax.bitwise_and, (S, S), ref=np.logical_and, domain=booleans,
         dtypes=(bool, bool), order=0),
    Case("or", lax.bitwise_or, (S, S), ref=np.logical_or, domain=booleans,
         dtypes=(bool, bool), order=0),
    Case("not", lax.bitwise_not, (S,), ref=np.logical_not, domain=booleans,
         dtypes=(bool,), order=0),
    Case("and", lax.bitwise_and, (S, S), ref=np.bitwise_and, domain=integers,
         dtypes=(I64, I64), order=0, name="i64"),
    Case("not", lax.bitwise_not, (S,), ref=np.invert, domain=integers,
         dtypes=(I64,), order=0, name="i64"),

    # arithmetic
    Case("neg", lax.neg, (S,), ref=np.negative, linear_args=(0,)),
    Case("add", lax.add, (S, S), ref=np.add, linear_args=(0, 1)),
    Case("sub", lax.sub, (S, S), ref=np.subtract, linear_args=(0, 1)),
    Case("mul", lax.mul, (S, S), ref=np.multiply, linear_args=(0, 1)),
    Case("div", lax.div, (S, S), ref=np.divide, domain=(normal, away_from_zero),
         linear_args=(0,)),
    Case("pow", lax.pow, (S, S), ref=np.power, domain=(positive, normal)),
    Case("pow", lax.pow, (S, ()), ref=np.power, domain=(positive, normal),
         name="scalar_exponent"),
    Case("max", lax.max, (S, S), ref=np.maximum),
    Case("min", lax.min, (S, S), ref=np.minimum),
    Case("rem", lax.rem, (S, S), ref=np.fmod, domain=(normal, away_from_zero)),
    Case("atan2", lax.atan2, (S, S), ref=np.arctan2),
    Case("integer_pow", lambda x: lax.integer_pow(x, 2), (S,), ref=np.square),
    *[Case("integer_pow", lambda x, y=y: lax.integer_pow(x, y), (S,),
           ref=lambda x, y=y: np.power(x, float(y)), domain=away_from_zero,
           name=f"y{y}")
      for y in (3, -2, 0, 1)],

    # a traced rank-0 operand broadcast against a (3, 4) one, on either side
    *[Case(p, fn, shapes, ref=ref, domain=dom, linear_args=lin, name=side)
      for p, fn, ref, dom, lin in [
          ("add", lax.add, np.add, None, (0, 1)),
          ("sub", lax.sub, np.subtract, None, (0, 1)),
          ("mul", lax.mul, np.multiply, None, (0, 1)),
          ("div", lax.div, np.divide, (normal, away_from_zero), (0,)),
          ("max", lax.max, np.maximum, None, ())]
      for shapes, side in [(((), S), "scalar_lhs"), ((S, ()), "scalar_rhs")]],
    Case("mul", lax.mul, ((), ()), ref=np.multiply, linear_args=(0, 1), name="scalars"),
    Case("atan2", lax.atan2, ((), S), ref=np.arctan2, name="scalar_lhs"),
    Case("lt", lax.lt, (S, ()), ref=np.less, domain=integers, order=0,
         name="scalar_rhs"),
    Case("sin", lax.sin, ((),), ref=np.sin, name="scalar"),
    Case("exp", lax.exp, ((2, 3, 4),), ref=np.exp, name="rank3"),
    Case("add", lax.add, ((2, 3, 4), (2, 3, 4)), ref=np.add, linear_args=(0, 1),
         name="rank3"),

    # integer dtypes
    *[Case(p, fn, (S, S), ref=ref, domain=(integers, dom), dtypes=(I64, I64),
           order=0, name="i64")
      for p, fn, ref, dom in [("add", lax.add, np.add, integers),
                              ("mul", lax.mul, np.multiply, integers),
                              ("max", lax.max, np.maximum, integers),
                              ("sub", lax.sub, np.subtract, integers),
                              ("div", lax.div, _trunc_div, nonzero_ints),
                              ("rem", lax.rem, np.fmod, nonzero_ints)]],
    Case("integer_pow", lambda x: lax.integer_pow(x, 3), (S,), ref=lambda x: x ** 3,
         domain=integers, dtypes=(I64,), order=0, name="i64"),
    Case("abs", lax.abs, (S,), ref=np.abs, domain=integers, dtypes=(I64,), order=0,
         name="i64"),
    Case("neg", lax.neg, (S,), ref=np.negative, domain=integers, dtypes=(I64,),
         order=0, name="i64"),

    # select_n: boolean or integer selector, cases linear
    Case("select_n", lax.select_n, (S, S, S), ref=lambda w, a, b: np.where(w, b, a),
         domain=(booleans, normal, normal), dtypes=(bool,), linear_args=(1, 2)),
    Case("select_n", lax.select_n, ((), S, S), ref=lambda w, a, b: np.where(w, b, a),
         domain=(booleans, normal, normal), dtypes=(bool,), linear_args=(1, 2),
         name="scalar_selector"),
    Case("select_n", lax.select_n, (S, S, S, S), ref=lambda w, *c: np.choose(w, c),
         domain=(three_way, normal, normal, normal), dtypes=(I32,),
         linear_args=(1, 2, 3), name="i32_three_cases"),
    # rank-0 cases: under vmap an unbatched case must still meet a batched one
    Case("select_n", lax.select_n, ((), (), ()), ref=lambda w, a, b: np.where(w, b, a),
         domain=(booleans, normal, normal), dtypes=(bool,), linear_args=(1, 2),
         name="scalars"),
    Case("select_n", lax.select_n, ((), (), (), ()), ref=lambda w, *c: np.choose(w, c),
         domain=(three_way, normal, normal, normal), dtypes=(I32,),
         linear_args=(1, 2, 3), name="i32_scalars"),

    # convert_element_type
    Case("convert_element_type", _convert_same, (S,), ref=lambda x: x,
         linear_args=(0,)),
    Case("convert_element_type", _convert(F32), (S,), ref=lambda x: x.astype(F32),
         order=0, name="f64_to_f32"),
    Case("convert_element_type", _convert(I64), (S,), ref=lambda x: x.astype(I64),
         order=0, name="f64_to_i64"),
    Case("convert_element_type", _convert(F64), (S,), ref=lambda x: x.astype(F64),
         domain=integers, dtypes=(I64,), order=0, name="i64_to_f64"),
    Case("convert_element_type", _convert(F64), (S,), ref=lambda x: x.astype(F64),
         dtypes=(F32,), order=0, name="f32_to_f64"),
]

# float32 in, float32 out: the impl must not promote (the shape-rule test checks
# the dtype). Derivatives are checked in float64 only, so these rows have order 0.
# A numpy ufunc on float32 is the exact reference; other references are float64.
def _f32_ref(ref):
    return ref if isinstance(ref, np.ufunc) else None


CASES += [Case(p, fn, (S,), ref=_f32_ref(ref), domain=dom, dtypes=(F32,), order=0,
               name="f32")
          for p, fn, ref, dom in UNARY + PIECEWISE_CONSTANT]
CASES += [
    Case(p, fn, shapes, ref=ref, domain=dom, dtypes=(F32, F32), order=0, name="f32")
    for p, fn, ref, shapes, dom in [
        ("add", lax.add, np.add, (S, ()), None),
        ("div", lax.div, np.divide, (S, ()), (normal, away_from_zero)),
        ("pow", lax.pow, np.power, (S, S), (positive, normal)),
        ("max", lax.max, np.maximum, (S, S), None),
        ("rem", lax.rem, np.fmod, (S, S), (normal, away_from_zero)),
        ("atan2", lax.atan2, np.arctan2, (S, S), None)]]
CASES += [
    Case("integer_pow", lambda x: lax.integer_pow(x, -2), (S,), domain=away_from_zero,
         dtypes=(F32,), order=0, name="f32"),
    Case("select_n", lax.select_n, (S, S, S), domain=(booleans, normal, normal),
         dtypes=(bool, F32, F32), order=0, name="f32"),
]


# --- ties: the same values in both operands (x == y, |x| == |y|, x == -y) and
# exponents 0, 1, 2, at points where the function is smooth (issue 8 §3). The
# samplers ignore rng so that two operands drawn from them tie exactly.

def tie(rng, shape):
    """The same values on every call: away from zero, both signs."""
    n = int(np.prod(shape))
    v = np.linspace(0.6, 1.8, max(n, 1))[:n] * np.where(np.arange(n) % 2, -1.0, 1.0)
    return v.reshape(shape)


def neg_tie(rng, shape):
    return -tie(rng, shape)


def small_ints(rng, shape):
    """Exponents 0, 1 and 2 as floats: where pow's rule special-cases y == 0."""
    return (np.arange(int(np.prod(shape))) % 3).astype(float).reshape(shape)


def zeros(rng, shape):
    return np.zeros(shape)


CASES += [
    Case("pow", lax.pow, (S, S), ref=np.power, domain=(positive, zeros),
         name="zero_exponent"),
    Case("pow", lax.pow, (S, S), ref=np.power, domain=(positive, small_ints),
         name="exponents_0_1_2"),
    Case("pow", lax.pow, (S, S), ref=np.power, domain=(lambda r, s: np.abs(tie(r, s)),) * 2,
         name="tie"),
    Case("atan2", lax.atan2, (S, S), ref=np.arctan2, domain=(tie, tie), name="tie"),
    Case("atan2", lax.atan2, (S, S), ref=np.arctan2, domain=(tie, neg_tie), name="neg_tie"),
    Case("atan2", lax.atan2, (S, S), ref=np.arctan2,  # y > 0: off the branch cut
         domain=(zeros, lambda r, s: np.abs(tie(r, s))), name="zero_x"),
    Case("div", lax.div, (S, S), ref=np.divide, domain=(tie, tie), name="tie"),
    Case("div", lax.div, (S, S), ref=np.divide, domain=(tie, neg_tie), name="neg_tie"),
    Case("mul", lax.mul, (S, S), ref=np.multiply, domain=(tie, tie), name="tie"),
    Case("sub", lax.sub, (S, S), ref=np.subtract, domain=(tie, tie), linear_args=(0, 1),
         name="tie"),
    Case("abs", lambda x: lax.mul(lax.abs(x), lax.abs(x)), (S,), ref=np.square,
         domain=zeros, name="squared_at_zero"),
    Case("abs", lambda x: lax.integer_pow(lax.abs(x), 2), (S,), ref=np.square,
         domain=zeros, name="integer_pow_at_zero"),
    Case("square", lax.square, (S,), ref=np.square, domain=zeros, name="at_zero"),
    Case("integer_pow", lambda x: lax.integer_pow(x, 3), (S,), ref=lambda x: x ** 3,
         domain=zeros, name="cube_at_zero"),
    Case("exp", lax.exp, ((3, 0),), ref=np.exp, name="zero_size"),
    Case("mul", lax.mul, ((0,), (0,)), ref=np.multiply, name="zero_size"),
]


# --- complex: the complex-number primitives, and every primitive numpy defines on
# complex operands, with complex128 samples (real and imaginary parts drawn from
# the domain independently: "positive" keeps log and sqrt off their branch cut).
# Derivatives are checked against complex finite differences; linear rows check
# the transpose under JAX's pairing Re(sum(u * v)).
C64, C128 = np.complex64, np.complex128
_MASK = np.random.default_rng(7).integers(0, 2, S).astype(bool)
CASES += [
    Case("real", lax.real, (S,), ref=np.real, dtypes=(C128,), linear_args=(0,)),
    Case("imag", lax.imag, (S,), ref=np.imag, dtypes=(C128,), linear_args=(0,)),
    Case("conj", lax.conj, (S,), ref=np.conj, dtypes=(C128,), linear_args=(0,)),
    Case("conj", lax.conj, (S,), ref=lambda x: x.astype(C128), linear_args=(0,),
         name="of_float"),
    Case("complex", lax.complex, (S, S), ref=lambda x, y: x + 1j * y, linear_args=(0, 1)),
    Case("complex", lax.complex, (S, ()), ref=lambda x, y: x + 1j * y, linear_args=(0, 1),
         name="scalar_rhs"),
    Case("real", lax.real, (S,), ref=np.real, dtypes=(C64,), order=0, name="c64"),
    Case("conj", lax.conj, (S,), ref=np.conj, dtypes=(C64,), order=0, name="c64"),
    Case("complex", lax.complex, (S, S), ref=lambda x, y: x + 1j * y, dtypes=(F32, F32),
         order=0, name="f32"),
]
COMPLEX_UNARY = [  # (name, fn, numpy reference, domain of both parts)
    *[(p, fn, ref, dom) for p, fn, ref, dom in UNARY
      if p not in ("erf", "erfc", "abs")],
    ("abs", lax.abs, np.abs, normal),
    ("sign", lax.sign, np.sign, normal),
    ("integer_pow", lambda x: lax.integer_pow(x, 3), lambda x: x ** 3, normal),
    ("integer_pow", lambda x: lax.integer_pow(x, -2), lambda x: x ** -2.0, away_from_zero),
    ("neg", lax.neg, np.negative, normal),
]
CASES += [Case(p, fn, (S,), ref=ref, domain=dom, dtypes=(C128,), name="complex",
               linear_args=(0,) if p == "neg" else ())
          for p, fn, ref, dom in COMPLEX_UNARY]
CASES += [Case(p, fn, shapes, ref=ref, domain=dom, dtypes=(C128, C128), name="complex",
               linear_args=lin)
          for p, fn, ref, shapes, dom, lin in [
              ("add", lax.add, np.add, (S, S), None, (0, 1)),
              ("sub", lax.sub, np.subtract, (S, ()), None, (0, 1)),
              ("mul", lax.mul, np.multiply, (S, S), None, (0, 1)),
              ("mul", lax.mul, np.multiply, ((), S), None, (0, 1)),
              ("div", lax.div, np.divide, (S, S), (normal, away_from_zero), (0,)),
              ("pow", lax.pow, np.power, (S, S), (positive, normal), ()),
              ("select_n", lambda x, y: lax.select_n(_MASK, x, y),
               lambda x, y: np.where(_MASK, y, x), (S, S), None, (0, 1)),
          ]]
CASES += [
    Case("convert_element_type", _convert(C128), (S,), ref=lambda x: x.astype(C128),
         linear_args=(0,), name="f64_to_c128"),
    Case("convert_element_type", _convert(F64), (S,), ref=np.real, dtypes=(C128,),
         linear_args=(0,), name="c128_to_f64"),
    Case("convert_element_type", _convert(C64), (S,), ref=lambda x: x.astype(C64),
         dtypes=(C128,), order=0, name="c128_to_c64"),
    Case("eq", lax.eq, (S, S), ref=np.equal, dtypes=(C128, C128), order=0, name="complex"),
]
