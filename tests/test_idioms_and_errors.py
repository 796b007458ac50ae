"""JAX idioms that must work, and inputs that must be refused clearly (issue 8):
custom rules with Python control flow on concrete values, ``None`` as a
differentiated argument, and complex values."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp


# --- custom_jvp / custom_vjp with Python control flow (JAX's tutorial) -------------

@ftrans.custom_jvp
def branchy(x):
    if x > 0:
        return jnp.sin(x)
    return jnp.cos(x)


@branchy.defjvp
def _branchy_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    ans = branchy(x)
    if x > 0:
        return ans, 2.0 * x_dot
    return ans, 3.0 * x_dot


@ftrans.custom_vjp
def branchy_vjp(x):
    if x > 0:
        return jnp.sin(x)
    return jnp.cos(x)


def _fwd(x):
    return branchy_vjp(x), (x,)


def _bwd(res, ct):
    (x,) = res
    return (2.0 * ct if x > 0 else 3.0 * ct,)


branchy_vjp.defvjp(_fwd, _bwd)


def test_custom_jvp_with_python_if_on_a_plain_call():
    np.testing.assert_allclose(branchy(1.0), np.sin(1.0))
    np.testing.assert_allclose(branchy(-1.0), np.cos(-1.0))


@pytest.mark.parametrize("x, slope", [(1.0, 2.0), (-1.0, 3.0)])
def test_custom_jvp_rule_with_python_if_under_every_transformation(x, slope):
    np.testing.assert_allclose(ftrans.grad(branchy)(x), slope)
    np.testing.assert_allclose(ftrans.jvp(branchy, (x,), (1.0,))[1], slope)
    np.testing.assert_allclose(ftrans.vjp(branchy, x)[1](1.0)[0], slope)
    np.testing.assert_allclose(ftrans.jacfwd(branchy)(x), slope)
    np.testing.assert_allclose(ftrans.jacrev(branchy)(x), slope)
    np.testing.assert_allclose(ftrans.hessian(branchy)(x), 0.0)  # the rule is linear
    np.testing.assert_allclose(ftrans.grad(lambda y: branchy(2.0 * y))(x), slope * 2)


@pytest.mark.parametrize("x, slope", [(1.0, 2.0), (-1.0, 3.0)])
def test_custom_vjp_with_python_if_in_fun_and_bwd(x, slope):
    np.testing.assert_allclose(branchy_vjp(x), np.sin(x) if x > 0 else np.cos(x))
    np.testing.assert_allclose(ftrans.grad(branchy_vjp)(x), slope)
    np.testing.assert_allclose(ftrans.jacrev(branchy_vjp)(x), slope)
    np.testing.assert_allclose(ftrans.grad(lambda y: 3.0 * branchy_vjp(y))(x), 3 * slope)


def test_custom_rules_with_python_if_stay_abstract_errors_under_make_jaxpr():
    with pytest.raises(ftrans.ConcretizationError, match="custom_jvp"):
        ftrans.make_jaxpr(branchy)(1.0)
    np.testing.assert_allclose(ftrans.grad(branchy)(1.0), 2.0)  # clean state


def test_custom_jvp_without_control_flow_is_still_traced_once():
    calls = []

    @ftrans.custom_jvp
    def f(x):
        calls.append(1)
        return jnp.exp(x)

    f.defjvp(lambda p, t: (f(p[0]), f(p[0]) * t[0]))
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(f))(0.5), np.exp(0.5))
    assert ftrans.make_jaxpr(f)(1.0).eqns[0].primitive.name == "custom_jvp_call"


# --- None as a differentiated argument ---------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda f: ftrans.grad(f)(None),
    lambda f: ftrans.value_and_grad(f)(None),
    lambda f: ftrans.jacfwd(f)(None),
    lambda f: ftrans.jacrev(f)(None),
    lambda f: ftrans.hessian(f)(None),
    lambda f: ftrans.jvp(f, (None,), (None,)),
    lambda f: ftrans.vjp(f, None),
    lambda f: ftrans.linearize(f, None),
])
def test_none_as_the_differentiated_argument_names_it(call):
    def loss(params):
        return params * 2.0
    with pytest.raises(TypeError) as e:
        call(loss)
    msg = str(e.value)
    assert "loss" in msg and "argument 0 ('params')" in msg and "None" in msg
    assert "unsupported operand" not in msg


def test_none_elsewhere_in_a_pytree_is_an_empty_subtree():
    g = ftrans.grad(lambda p: p[0] ** 2)((3.0, None))
    np.testing.assert_allclose(g[0], 6.0)
    assert g[1] is None
    # not differentiated: None is just passed through
    np.testing.assert_allclose(ftrans.grad(lambda x, o: x * 2.0)(1.0, None), 2.0)


# --- complex values ------------------------------------------------------------------------

def test_grad_of_a_complex_output_is_a_type_error_as_in_jax():
    with pytest.raises(TypeError, match=r"grad requires real-valued outputs .*complex128"
                                        r".*pass holomorphic=True"):
        ftrans.grad(lambda x: x * (1 + 0.2j))(1.0)


def test_reverse_mode_from_a_complex_output():
    # vjp works (a complex cotangent); jacrev needs holomorphic=True, as in JAX
    _, f_vjp = ftrans.vjp(lambda x: x * (1 + 0.2j), 1.0)
    np.testing.assert_allclose(f_vjp(1.0 + 2.0j)[0], 0.6)  # Re((1 + 2j)(1 + 0.2j))
    with pytest.raises(TypeError, match=r"jacrev requires real-valued outputs .*complex128"):
        ftrans.jacrev(lambda x: x * (1 + 0.2j))(1.0)


@pytest.mark.parametrize("call, want", [
    (lambda f: ftrans.grad(lambda z: jnp.abs(f(z)))(1j), -2j),
    (lambda f: ftrans.jvp(f, (1j,), (1.0 + 0j,))[1], 2j),
    (lambda f: ftrans.vjp(f, 1j)[1](1.0 + 0j)[0], 2j),
    (lambda f: ftrans.linearize(f, 1j)[1](1.0 + 0j), 2j),
    (lambda f: ftrans.jacfwd(f, holomorphic=True)(np.array([1j])), [[2j]]),
    (lambda f: ftrans.jacrev(f, holomorphic=True)(np.array([1j])), [[2j]]),
    (lambda f: ftrans.hessian(f, holomorphic=True)(np.array([1j])), [[[2]]]),
])
def test_complex_inputs_are_differentiated_as_in_jax(call, want):
    np.testing.assert_allclose(call(lambda z: z * z), want)


@pytest.mark.parametrize("call, match", [
    (lambda f: ftrans.jacfwd(f)(np.array([1j])), "jacfwd requires real-valued inputs"),
    (lambda f: ftrans.jacrev(f)(np.array([1j])), "jacrev requires real-valued outputs"),
    (lambda f: ftrans.hessian(f)(np.array([1j])), "requires real-valued"),
    (lambda f: ftrans.grad(f, holomorphic=True)(1.0),
     "holomorphic=True requires inputs with complex dtype, but got float64"),
])
def test_complex_misuse_raises_jax_errors(call, match):
    with pytest.raises(TypeError, match=match):
        call(lambda z: z * z)


def test_complex_argument_named_by_argnums():
    # a complex argument the output does not depend on: a zero complex gradient
    g = ftrans.grad(lambda x, z: x * 2.0, argnums=1)(1.0, 1j)
    assert g.dtype == np.complex128 and g == 0
    # a complex argument that is not differentiated is fine
    np.testing.assert_allclose(ftrans.grad(lambda x, z: x * 2.0)(1.0, 1j), 2.0)


def test_forward_mode_through_complex_intermediates_is_exact():
    # real input, complex output: J v is well defined and exact
    _, t = ftrans.jvp(lambda x: jnp.exp(1j * x), (1.0,), (1.0,))
    np.testing.assert_allclose(t, 1j * np.exp(1j))


def test_custom_vjp_bwd_returning_a_complex_cotangent_for_a_real_input_is_an_error():
    @ftrans.custom_vjp
    def f(x):
        return x * 2.0

    f.defvjp(lambda x: (x * 2.0, None), lambda _, ct: (ct * (2.0 + 1.0j),))
    with pytest.raises(TypeError, match="complex"):
        ftrans.grad(f)(1.0)
