"""A value that carries a derivative never leaves the trace silently (DESIGN §1).

Turning a traced value that depends differentiably on a differentiated input
into a Python or numpy number would cut its derivative and give a wrong
gradient, so every such conversion raises ``ConcretizationError``; values
whose derivative is zero by construction convert freely, as in JAX.
"""

import math
import operator

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax

# name -> (conversion of a traced scalar to a Python/numpy number, the
# operation the error message names)
CONVERSIONS = {
    "float": (float, "float(x)"),
    "int": (int, "int(x)"),
    "complex": (lambda x: abs(complex(x)), "complex(x)"),
    "item": (lambda x: x.item(), "x.item()"),
    "tolist": (lambda x: x.tolist(), "x.tolist()"),
    "np.asarray": (lambda x: np.asarray(x), "np.asarray"),
    "np.float64": (np.float64, "np.float64(x)"),
    "math.exp": (lambda x: math.log(math.exp(x)), "float(x)"),
    "operator.index": (lambda x: operator.index(x.astype(int) + 0 * x.astype(int)),
                       "index"),
    "store into numpy": (lambda x: _stored(x), "float(x)"),
}


def _raised(excinfo) -> BaseException:
    """The ConcretizationError raised, or the one numpy wrapped: storing a
    tracer into a numpy array raises numpy's ValueError from it."""
    err = excinfo.value
    return err if isinstance(err, ftrans.ConcretizationError) else err.__cause__


def _stored(x):
    y = np.zeros(3)
    y[0] = x  # numpy calls float(x)
    return y[0]


# values whose derivative is zero by construction: converting them is safe
ZERO_DERIVATIVE = {
    "stop_gradient": lax.stop_gradient,
    "floor": jnp.floor,
    "ceil": jnp.ceil,
    "round": jnp.round,
    "sign": jnp.sign,
    "comparison": lambda x: x > 1.0,
    "argmax": lambda x: jnp.argmax(jnp.stack([x, 2.0 * x])),
    "argsort": lambda x: jnp.argsort(jnp.stack([x, -x]))[0],
    "astype(int)": lambda x: x.astype(int),
}

TRANSFORMS = {
    "grad": lambda f, x: ftrans.grad(f)(x),
    "jvp": lambda f, x: ftrans.jvp(f, (x,), (1.0,))[1],
    "vjp": lambda f, x: ftrans.vjp(f, x)[1](1.0)[0],
    "jacfwd": lambda f, x: ftrans.jacfwd(f)(x),
    "jacrev": lambda f, x: ftrans.jacrev(f)(x),
    "hessian": lambda f, x: ftrans.hessian(f)(x),
    "value_and_grad": lambda f, x: ftrans.value_and_grad(f)(x)[1],
    "linearize": lambda f, x: ftrans.linearize(f, x)[1](1.0),
}

X = 2.5


def _times(convert, pre=lambda x: x):
    """``x * c`` where ``c`` is a converted number computed from ``pre(x)``."""
    return lambda x: x * jnp.asarray(convert(pre(x)), dtype=float)


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("conversion", CONVERSIONS)
def test_converting_a_value_with_a_derivative_raises(conversion, transform):
    if conversion == "operator.index":
        pytest.skip("integer values never carry a derivative; see the float case")
    convert, op = CONVERSIONS[conversion]
    with pytest.raises((ftrans.ConcretizationError, ValueError)) as e:
        TRANSFORMS[transform](_times(convert), X)
    err = _raised(e)
    assert isinstance(err, ftrans.ConcretizationError)
    msg = str(err)
    assert op in msg
    named = {"value_and_grad": "grad"}.get(transform, transform)
    assert f"`{named}`" in msg  # the transformation
    assert "f64[]" in msg  # the value's type
    assert "ftrans.numpy" in msg and "stop_gradient" in msg  # the fixes
    # the library is in a clean state afterwards
    np.testing.assert_allclose(ftrans.grad(jnp.sin)(0.0), 1.0)


def test_a_float_used_as_an_index_raises():
    with pytest.raises(ftrans.ConcretizationError, match="index"):
        ftrans.grad(lambda x: x * [1.0, 2.0, 3.0][operator.index(x)])(1.0)


# d/dx [x * c] = c, and the second derivative is 0, when c is a constant
@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("conversion", CONVERSIONS)
@pytest.mark.parametrize("cut", ZERO_DERIVATIVE)
def test_converting_a_value_without_a_derivative_works(cut, conversion, transform):
    convert, _ = CONVERSIONS[conversion]
    pre = ZERO_DERIVATIVE[cut]
    if conversion == "operator.index":
        convert = lambda v: operator.index(v.astype(int))  # noqa: E731
    c = float(convert(pre(np.float64(X))))
    got = TRANSFORMS[transform](_times(convert, pre), X)
    np.testing.assert_allclose(got, 0.0 if transform == "hessian" else c)


def test_inputs_not_differentiated_convert_freely():
    f = lambda x, y: x * float(y) + math.exp(y.item()) * x  # noqa: E731
    want = 3.0 + math.exp(3.0)
    np.testing.assert_allclose(ftrans.grad(f)(2.0, np.float64(3.0)), want)
    np.testing.assert_allclose(ftrans.jacrev(f, argnums=0)(2.0, np.float64(3.0)), want)


def test_the_issue_reproducers_raise():
    def stored(x):
        y = np.zeros(3)
        y[0] = x
        return jnp.sum(jnp.asarray(y) * x)

    for f in [lambda x: float(x) * x, lambda x: np.float64(x) * x,
              lambda x: math.exp(x) * x, lambda x: x.item() * x, stored]:
        with pytest.raises((ftrans.ConcretizationError, ValueError)) as e:
            ftrans.grad(f)(2.0)
        assert isinstance(_raised(e), ftrans.ConcretizationError)


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_branching_on_a_value_with_a_derivative_works(transform):
    # bool(x) only picks a branch: the derivative of the branch taken is exact
    def f(x):
        if x > 2.0:
            return x ** 3
        return -x
    want = {"hessian": 6 * X}.get(transform, 3 * X ** 2)
    np.testing.assert_allclose(TRANSFORMS[transform](f, X), want)


def test_while_loop_on_a_python_condition_with_a_derivative():
    def newton_sqrt(a):  # the loop's trip count comes from bool(...)
        x = a
        while jnp.abs(x * x - a) > 1e-12:
            x = 0.5 * (x + a / x)
        return x
    np.testing.assert_allclose(ftrans.grad(newton_sqrt)(4.0), 0.25, rtol=1e-9)


def test_a_derivative_carried_through_a_nested_transformation():
    # the outer grad differentiates x; the inner one must not cut it either
    def outer(x):
        return ftrans.grad(lambda y: y * float(x))(1.0)
    with pytest.raises(ftrans.ConcretizationError, match="`grad`"):
        ftrans.grad(outer)(2.0)
    # ... while the inner input itself is differentiated by the inner grad
    with pytest.raises(ftrans.ConcretizationError):
        ftrans.grad(lambda x: ftrans.grad(lambda y: y * float(y))(x))(2.0)


def test_integer_and_boolean_results_carry_no_derivative():
    def f(x):
        k = int(jnp.sum(x > 0.0))          # a count
        i = int(jnp.argmax(x))             # an index
        return x[i] * k
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(ftrans.grad(f)(x), [0.0, 0.0, 2.0])


def test_make_jaxpr_conversions_are_still_abstract_errors():
    with pytest.raises(ftrans.ConcretizationError, match="make_jaxpr"):
        ftrans.make_jaxpr(lambda x: float(lax.stop_gradient(x)))(1.0)
