"""``check_grads`` itself: it must fail on wrong derivatives that are easy to
miss (a wrong imaginary part; a wrong rule used only inside a derivative,
reached only by differentiating with respect to a tangent or a cotangent) and
pass on correct functions of every argument shape it is used with."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.core import Primitive
from ftrans.prims import elementwise as ew
from ftrans.prims._families import def_linear
from ftrans.test_util import check_grads, check_jvp, check_vjp, numerical_jvp

X = np.array([0.4, 0.9, -1.3])


# --- wrong rules that check_grads must catch ---------------------------------------------

@ftrans.custom_jvp
def _rotate(x):
    return x * (1 + 0.2j)


@_rotate.defjvp
def _rotate_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _rotate(x), t * (1 + 0.3j)  # wrong imaginary part: 0.3 instead of 0.2


@pytest.mark.parametrize("order", [1, 2])
def test_fails_on_wrong_imaginary_part(order):
    # casting to float64 used to drop the imaginary part, and this passed
    with pytest.raises(AssertionError, match="J v"):
        check_grads(_rotate, (X,), order=order, modes=("fwd",))


def test_reverse_mode_fails_on_wrong_imaginary_part():
    # reverse mode from a complex output: the VJP (transposed from the wrong JVP)
    # fails the inner-product identity with the complex cotangent
    with pytest.raises(AssertionError, match="VJP"):
        check_grads(_rotate, (X,), order=1, modes=("rev",))


@ftrans.custom_vjp
def _bad_identity(g):
    return g


_bad_identity.defvjp(lambda g: (g, None), lambda _, ct: (2.0 * ct,))  # wrong: ct


@ftrans.custom_vjp
def _sin_bwd_uses_bad_identity(x):
    return jnp.sin(x)


# the bad identity is applied to the cotangent only: its wrong bwd is reached only
# when the VJP function is differentiated with respect to the cotangent
_sin_bwd_uses_bad_identity.defvjp(lambda x: (jnp.sin(x), x),
                                  lambda x, g: (_bad_identity(g) * jnp.cos(x),))


def test_nested_custom_vjp_is_right_at_first_order():
    check_grads(_sin_bwd_uses_bad_identity, (X,), order=1, modes=("rev",))


@pytest.mark.parametrize("order", [2, 3])
def test_fails_on_wrong_rule_used_only_in_backward_pass(order):
    with pytest.raises(AssertionError, match="VJP of VJP"):
        check_grads(_sin_bwd_uses_bad_identity, (X,), order=order, modes=("rev",))


@ftrans.custom_jvp
def _bad_tangent_identity(t):
    return t


@_bad_tangent_identity.defjvp
def _bad_tangent_identity_jvp(primals, tangents):
    return primals[0], 2.0 * tangents[0]  # wrong: tangents[0]


@ftrans.custom_jvp
def _sin_jvp_uses_bad_identity(x):
    return jnp.sin(x)


@_sin_jvp_uses_bad_identity.defjvp
def _sin_jvp_uses_bad_identity_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return jnp.sin(x), jnp.cos(x) * _bad_tangent_identity(t)


def test_fails_on_wrong_rule_used_only_on_the_tangent():
    check_grads(_sin_jvp_uses_bad_identity, (X,), order=1, modes=("fwd",))
    with pytest.raises(AssertionError, match="JVP of JVP"):
        check_grads(_sin_jvp_uses_bad_identity, (X,), order=2, modes=("fwd",))


@pytest.fixture
def triple_cut_transpose():
    """A linear primitive whose transpose rule has the right value but cuts the
    cotangent's derivative: only differentiating the VJP function with respect
    to its cotangent shows it (a throwaway primitive, unregistered afterwards)."""
    p = Primitive("_test_util_triple")
    p.def_impl(lambda x: 3 * x)
    p.def_abstract_eval(lambda x: x)
    def_linear(p)
    p.def_transpose(lambda ct, x: [ew.mul(ftrans.stop_gradient(ct), 3.0)])
    yield p
    Primitive.registry.pop("_test_util_triple", None)


def test_fails_on_transpose_rule_wrong_only_in_its_cotangent(triple_cut_transpose):
    f = lambda x: jnp.sin(triple_cut_transpose.bind(x))  # noqa: E731
    check_grads(f, (X,), order=1)
    with pytest.raises(AssertionError, match="of VJP"):
        check_grads(f, (X,), order=2)


@ftrans.custom_vjp
def _complex_cotangent_for_real(x):
    return jnp.sin(x)


# the real part of the cotangent is right; a real input's cotangent must be real
_complex_cotangent_for_real.defvjp(
    lambda x: (jnp.sin(x), x), lambda x, g: (g * jnp.cos(x) * (1 + 0.5j),))


def test_fails_on_complex_cotangent_of_real_input():
    # custom_vjp itself now refuses the cotangent, before check_grads compares it
    with pytest.raises(TypeError, match="complex"):
        check_grads(_complex_cotangent_for_real, (X,), order=1, modes=("rev",))


# --- correct functions pass -------------------------------------------------------------

@ftrans.custom_jvp
def _good_rotate(x):
    return x * (1 + 0.2j)


@_good_rotate.defjvp
def _good_rotate_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _good_rotate(x), t * (1 + 0.2j)


ORDINARY = {
    "sin": (jnp.sin, (X,)),
    "tanh_scalar": (jnp.tanh, (0.3,)),
    "exp_times_x": (lambda x: x * jnp.exp(x ** 2), (X,)),
    "log": (jnp.log, (np.abs(X) + 0.5,)),
    "matmul": (lambda a, b: a @ b, (np.arange(6.0).reshape(2, 3) / 5, X)),
    "sum_of_squares": (lambda x: jnp.sum(x ** 2), (X,)),
    "two_outputs": (lambda x, y: (x * y, jnp.sin(x) + y), (X, X[::-1].copy())),
    "real_to_complex": (lambda x: jnp.exp(x) * (1 + 0.2j), (X,)),
    "real_to_complex_sum": (lambda x, y: x * (2 - 1j) + y * 1j, (X, X ** 2)),
    "complex_and_real_outputs": (lambda x: (jnp.sin(x) * 1j, jnp.cos(x)), (X,)),
    "custom_jvp_complex": (lambda x: _good_rotate(x) * x, (X,)),
}


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_passes_on_correct_functions(name):
    f, args = ORDINARY[name]
    check_grads(f, args, order=2)


def test_passes_at_order_three():
    check_grads(lambda x, y: jnp.sin(x) * jnp.exp(y), (X, 0.5 * X), order=3)


def test_passes_on_pytree_arguments_and_outputs():
    params = {"w": np.array([[0.5, -0.2], [0.1, 0.3]]), "b": (np.array([0.1, -0.4]), 0.7)}

    def f(p, x):
        h = jnp.tanh(p["w"] @ x + p["b"][0]) * p["b"][1]
        return {"h": h, "s": jnp.sum(h ** 2)}

    check_grads(f, (params, np.array([1.0, -2.0])), order=2)


def test_passes_with_an_integer_argument():
    check_grads(lambda x, n: x * n + jnp.sin(x), (X, np.array([1, 2, 3])), order=2)


def test_passes_on_float32_arguments_with_looser_tolerance():
    x = X.astype(np.float32)
    check_grads(lambda x, y: jnp.sin(x) * jnp.exp(y), (x, x * 0.5), order=2)


def test_passes_on_correct_nested_custom_vjp():
    @ftrans.custom_vjp
    def ident(g):
        return g

    ident.defvjp(lambda g: (g, None), lambda _, ct: (ct,))

    @ftrans.custom_vjp
    def f(x):
        return jnp.sin(x)

    f.defvjp(lambda x: (jnp.sin(x), x), lambda x, g: (ident(g) * jnp.cos(x),))
    check_grads(f, (X,), order=2, modes=("rev",))


# --- the building blocks keep working -----------------------------------------------------

def test_numerical_jvp_keeps_the_imaginary_part():
    t = numerical_jvp(lambda x: x * (1 + 2j), (X,), (np.ones(3),))
    np.testing.assert_allclose(t, np.full(3, 1 + 2j), rtol=1e-8)


def test_check_jvp_and_check_vjp_alone():
    check_jvp(jnp.sin, (X,))
    check_vjp(jnp.sin, (X,))
    check_jvp(lambda x: x * (1 + 0.2j), (X,))
    with pytest.raises(AssertionError):
        check_jvp(_rotate, (X,))
    with pytest.raises(TypeError, match="complex"):
        check_vjp(_complex_cotangent_for_real, (X,))
