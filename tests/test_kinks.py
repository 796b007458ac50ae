"""Derivatives at kinks and of piecewise-constant primitives, tested exactly
against JAX's conventions; dtype-changing conversions; and the errors the
elementwise shape rules raise.

The primitive table checks derivatives by finite differences, away from kinks.
Here the points are the kinks themselves: abs at 0, ties in max/min and in
reduce_max, sqrt at 0, pow at a zero base, integer_pow with exponent 0.
"""

import contextlib

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax


def grad_at(f, *args, argnums=0):
    return np.asarray(ftrans.grad(f, argnums=argnums)(*args))


def total(x):
    return lax.reduce_sum(x, axes=tuple(range(x.ndim)))


def assert_exact(got, want, dtype=np.float64):
    """Equal values, no tolerance, and the expected dtype."""
    got = np.asarray(got)
    assert got.dtype == dtype, f"dtype {got.dtype}, expected {np.dtype(dtype)}"
    np.testing.assert_array_equal(got, np.asarray(want))


# --- abs, sqrt ----------------------------------------------------------------

def test_abs_has_derivative_one_at_zero_as_jax():
    # as JAX (select(x >= 0, 1, -1)); with sign(0) = 0 instead, the smooth |x| * |x|
    # had second derivative 0 at 0 (true: 2)
    assert grad_at(lax.abs, 0.0) == 1.0
    assert grad_at(lax.abs, -0.0) == 1.0
    assert grad_at(lax.abs, -2.0) == -1.0
    _, t = ftrans.jvp(lax.abs, (np.array([-1.0, 0.0, 3.0]),), (np.full(3, 5.0),))
    assert_exact(t, [-5.0, 5.0, 5.0])
    assert grad_at(ftrans.grad(lax.abs), 0.0) == 0.0
    for f in (lambda x: lax.abs(x) * lax.abs(x), lambda x: jnp.abs(x) ** 2):
        assert grad_at(ftrans.grad(f), 0.0) == 2.0
        assert ftrans.hessian(f)(0.0) == 2.0


@np.errstate(divide="ignore")
def test_sqrt_derivative_at_zero_is_plus_inf():
    g = grad_at(lax.sqrt, 0.0)
    assert np.isposinf(g)
    _, t = ftrans.jvp(lax.sqrt, (np.zeros(2),), (np.ones(2),))
    assert np.all(np.isposinf(t))


# --- ties in max / min split the tangent evenly -----------------------------------

@pytest.mark.parametrize("fn", [lax.max, lax.min, jnp.maximum, jnp.minimum],
                         ids=["lax.max", "lax.min", "jnp.maximum", "jnp.minimum"])
def test_ties_in_elementwise_max_min_split_evenly(fn):
    assert grad_at(fn, 2.0, 2.0, argnums=0) == 0.5
    assert grad_at(fn, 2.0, 2.0, argnums=1) == 0.5
    gx, gy = ftrans.grad(fn, argnums=(0, 1))(-1.0, -1.0)
    assert (gx, gy) == (0.5, 0.5)


def test_max_away_from_ties_picks_the_winner():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])
    _, vjp = ftrans.vjp(lax.max, x, y)
    gx, gy = vjp(np.ones(3))
    assert_exact(gx, [0.0, 0.5, 1.0])
    assert_exact(gy, [1.0, 0.5, 0.0])
    _, t = ftrans.jvp(lax.min, (x, y), (np.full(3, 2.0), np.full(3, 4.0)))
    assert_exact(t, [2.0, 3.0, 4.0])


def test_max_with_a_rank0_operand_ties():
    # relu written with lax.max: the rank-0 zero ties with x at 0
    x = np.array([-1.0, 0.0, 2.0])
    assert_exact(ftrans.grad(lambda x: total(lax.max(x, 0.0)))(x), [0.0, 0.5, 1.0])
    # a traced rank-0 operand collects the tangent of every element it wins or ties
    g = ftrans.grad(lambda s, x: total(lax.max(s, x)))(0.0, x)
    assert g == 1.5


def test_ties_in_reduce_max_split_evenly():
    x = np.array([1.0, 3.0, 3.0])
    assert_exact(ftrans.grad(lambda x: lax.reduce_max(x, axes=(0,)))(x), [0.0, 0.5, 0.5])
    assert_exact(ftrans.grad(lambda x: lax.reduce_min(x, axes=(0,)))(-x), [0.0, 0.5, 0.5])
    _, t = ftrans.jvp(lambda x: lax.reduce_max(x, axes=(0,)), (x,),
                      (np.array([10.0, 2.0, 4.0]),))
    assert t == 3.0
    m = np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]])
    assert_exact(ftrans.vjp(lambda m: lax.reduce_max(m, axes=(1,)), m)[1](np.ones(2))[0],
                 [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])


# --- pow and integer_pow at a zero base or exponent ----------------------------

def test_pow_derivative_in_exponent_at_zero_base_is_zero():
    assert grad_at(lax.pow, 0.0, 2.0, argnums=1) == 0.0
    assert grad_at(lax.pow, 0.0, 0.5, argnums=1) == 0.0
    assert grad_at(lax.pow, 2.0, 3.0, argnums=1) == pytest.approx(8 * np.log(2.0))
    _, t = ftrans.jvp(lax.pow, (np.zeros(2), np.array([1.0, 3.0])),
                      (np.zeros(2), np.ones(2)))
    assert_exact(t, [0.0, 0.0])


def test_pow_derivative_in_base_at_zero():
    assert grad_at(lax.pow, 0.0, 0.0) == 0.0  # x^0 is constant: 0, not 0 * inf
    assert grad_at(lax.pow, 0.0, 1.0) == 1.0
    assert grad_at(lax.pow, 0.0, 2.0) == 0.0
    assert grad_at(lax.pow, 3.0, 0.0) == 0.0
    assert grad_at(ftrans.grad(lax.pow), 0.0, 0.0) == 0.0


@pytest.mark.parametrize("x", [0.0, -2.0, 3.0])
def test_integer_pow_with_exponent_zero_has_zero_derivative(x):
    f = lambda x: lax.integer_pow(x, 0)  # noqa: E731
    assert f(x) == 1.0
    assert grad_at(f, x) == 0.0
    assert grad_at(ftrans.grad(f), x) == 0.0
    _, t = ftrans.jvp(f, (np.full(3, x),), (np.ones(3),))
    assert_exact(t, np.zeros(3))


def test_integer_pow_low_exponents_at_zero():
    assert grad_at(lambda x: lax.integer_pow(x, 1), 0.0) == 1.0
    assert grad_at(lambda x: lax.integer_pow(x, 2), 0.0) == 0.0
    assert grad_at(ftrans.grad(lambda x: lax.integer_pow(x, 2)), 0.0) == 2.0


# --- piecewise-constant primitives have zero derivatives --------------------------

PIECEWISE_CONSTANT = {
    "sign": lax.sign, "floor": lax.floor, "ceil": lax.ceil, "round": lax.round,
    "round_even": lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN),
}
# jumps included: 0 for sign, integers for floor/ceil, halves for round
POINTS = np.array([-1.5, -1.0, -0.3, 0.0, 0.5, 2.0, 2.5])


@pytest.mark.parametrize("name", PIECEWISE_CONSTANT)
def test_piecewise_constant_derivatives_are_exactly_zero(name):
    f = PIECEWISE_CONSTANT[name]
    _, t = ftrans.jvp(f, (POINTS,), (np.ones_like(POINTS),))
    assert_exact(t, np.zeros_like(POINTS))
    _, vjp = ftrans.vjp(f, POINTS)
    assert_exact(vjp(np.ones_like(POINTS))[0], np.zeros_like(POINTS))
    for x in (0.0, 0.5, 1.0):
        assert grad_at(f, x) == 0.0
    # and through a product: d/dx (x * floor(x)) = floor(x)
    assert grad_at(lambda x: x * f(x), 2.5) == f(2.5)


@pytest.mark.parametrize("cmp", [lax.eq, lax.ne, lax.lt, lax.le, lax.gt, lax.ge],
                         ids=["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_have_zero_derivatives(cmp):
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    out, t = ftrans.jvp(cmp, (x, y), (np.ones(3), np.ones(3)))
    assert out.dtype == np.bool_ and t.dtype == ftrans.dtypes.float0
    # a comparison used as a float mask contributes nothing to the gradient
    def f(x, y):
        return total(lax.convert_element_type(cmp(x, y), np.float64) * x)

    gx, gy = ftrans.grad(f, argnums=(0, 1))(x, y)
    assert_exact(gx, cmp(x, y).astype(np.float64))
    assert_exact(gy, np.zeros(3))


def test_select_n_gradient_goes_to_the_selected_case():
    which = np.array([True, False, True])
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    ga, gb = ftrans.vjp(lambda a, b: lax.select_n(which, a, b), a, b)[1](np.ones(3))
    assert_exact(ga, [0.0, 1.0, 0.0])
    assert_exact(gb, [1.0, 0.0, 1.0])


# --- conversions between dtypes --------------------------------------------------

def test_convert_f64_to_f32_derivatives_are_casts():
    x, v = np.array([0.1, -2.3, 7.7]), np.array([1.0 / 3, 2.0, -0.7])
    f = lambda x: lax.convert_element_type(x, np.float32)  # noqa: E731
    y, t = ftrans.jvp(f, (x,), (v,))
    assert y.dtype == t.dtype == np.float32
    assert_exact(t, v.astype(np.float32), dtype=np.float32)
    ct = np.array([0.25, 1.0 / 3, -5.0], dtype=np.float32)
    (g,) = ftrans.vjp(f, x)[1](ct)
    assert_exact(g, ct.astype(np.float64))
    (g,) = ftrans.linear_transpose(f, x)(ct)
    assert_exact(g, ct.astype(np.float64))


def test_convert_to_integer_has_zero_derivative():
    f = lambda x: lax.convert_element_type(x, np.int64)  # noqa: E731
    y, t = ftrans.jvp(f, (np.array([1.7, -1.7]),), (np.ones(2),))
    assert_exact(y, [1, -1], dtype=np.int64)
    assert t.dtype == ftrans.dtypes.float0
    g = ftrans.grad(lambda x: total(lax.convert_element_type(f(x), np.float64) * x))(
        np.array([1.7, -1.7]))
    assert_exact(g, [1.0, -1.0])


def test_float32_stays_float32_in_derivatives():
    x = np.array([0.5, 1.5], dtype=np.float32)
    for f in (lax.sin, lax.rsqrt, lax.logistic, lax.erf, lambda x: lax.integer_pow(x, -2),
              lambda x: lax.pow(x, x), lambda x: lax.max(x, lax.sqrt(x))):
        y, t = ftrans.jvp(f, (x,), (np.ones(2, np.float32),))
        (g,) = ftrans.vjp(f, x)[1](np.ones(2, np.float32))
        assert y.dtype == t.dtype == g.dtype == np.float32


def test_round_breaks_ties_as_jax():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994])
    assert_exact(lax.round(x), [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 0.0])
    assert_exact(lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN),
                 [-2.0, -2.0, -0.0, 0.0, 2.0, 2.0, 0.0])


def test_integer_division_rounds_toward_zero():
    x, y = np.array([7, -7, 7, -7, 6]), np.array([2, 2, -2, -2, 3])
    assert_exact(lax.div(x, y), [3, -3, -3, 3, 2], dtype=np.int64)
    assert_exact(lax.rem(x, y), [1, -1, 1, -1, 0], dtype=np.int64)


# --- errors: the shape rules name the primitive and the operand types --------------

BINARY = ["add", "sub", "mul", "div", "pow", "max", "min", "rem", "atan2",
          "eq", "ne", "lt", "le", "gt", "ge"]
FLOAT_UNARY = ["exp", "log", "log1p", "expm1", "sin", "cos", "tan", "asin", "acos",
               "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sqrt",
               "rsqrt", "logistic", "erf", "floor", "ceil", "round"]


@contextlib.contextmanager
def raises_naming(*words):
    """Expect a TypeError whose message contains each of ``words``."""
    with pytest.raises(TypeError) as info:
        yield
    for w in words:
        assert w in str(info.value), f"{w!r} not in the message {str(info.value)!r}"


@pytest.mark.parametrize("name", BINARY)
def test_binary_shape_mismatch_names_primitive_and_types(name):
    fn = getattr(lax, name)
    with raises_naming(f"{name}:", "f64[3]", "f64[4]"):
        fn(np.ones(3), np.ones(4))
    # at trace time too, on abstract values
    with raises_naming(f"{name}:", "f64[2,3]", "f64[3,2]"):
        ftrans.make_jaxpr(fn)(np.ones((2, 3)), np.ones((3, 2)))


@pytest.mark.parametrize("name", BINARY + ["and", "or"])
def test_binary_dtype_mismatch_names_primitive_and_types(name):
    if name in ("and", "or"):
        fn, x, y, types = getattr(lax, f"bitwise_{name}"), np.ones(3, np.int64), \
            np.ones(3, np.int32), ("i64[3]", "i32[3]")
    else:
        fn, x, y, types = getattr(lax, name), np.ones(3), np.ones(3, np.float32), \
            ("f64[3]", "f32[3]")
    with raises_naming(f"{name}:", *types, "same dtype"):
        fn(x, y)


@pytest.mark.parametrize("name", FLOAT_UNARY)
def test_float_unary_on_integers_names_primitive_and_type(name):
    with raises_naming(f"{name}:", "i64[3]", "float"):
        ftrans.make_jaxpr(getattr(lax, name))(np.arange(3))


def test_kind_errors_name_primitive_and_types():
    with raises_naming("pow:", "i64[3]", "float"):
        lax.pow(np.arange(3), np.arange(3))
    with raises_naming("atan2:", "i64[2]"):
        lax.atan2(np.arange(2), np.arange(2))
    with raises_naming("and:", "f64[2]", "boolean or integer"):
        lax.bitwise_and(np.ones(2), np.ones(2))
    with raises_naming("not:", "f64[2]"):
        lax.bitwise_not(np.ones(2))
    with raises_naming("neg:", "bool[2]"):
        lax.neg(np.ones(2, bool))
    with raises_naming("integer_pow:", "negative exponent", "i64[3]"):
        lax.integer_pow(np.arange(3), -1)


def test_select_n_errors_name_the_operand_types():
    b, f = np.ones(3, bool), np.ones(3)
    with raises_naming("select_n", "bool[3]", "f64[3]", "f32[3]"):
        lax.select_n(b, f, f.astype(np.float32))
    with raises_naming("select_n", "at most two", "bool[3]"):
        lax.select_n(b, f, f, f)
    with raises_naming("select_n", "f64[3]", "boolean or integer"):
        lax.select_n(f, f, f)
    with raises_naming("select_n", "bool[2]", "f64[3]"):
        lax.select_n(np.ones(2, bool), f, f)
    with raises_naming("select_n", "at least one case"):
        lax.select_n(b)


def test_error_leaves_no_state_behind():
    with pytest.raises(TypeError):
        ftrans.grad(lambda x: total(lax.add(x, np.ones(4))))(np.ones(3))
    assert grad_at(lambda x: total(lax.mul(x, x)), 3.0) == 6.0
