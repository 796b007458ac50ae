"""``jvp_jaxpr``: the forward-mode pass at the jaxpr level, with symbolic
zeros that never reach an equation. Truth: float64 central differences."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.check import check_jaxpr
from ftrans.core import ShapedArray
from ftrans.eval import eval_closed
from ftrans.test_util import numerical_jvp
from ftrans.transforms.jvp import jvp_jaxpr


def _prims(closed):
    return [e.primitive.name for e in closed.eqns]


def _uses_of(closed, var):
    return [e for e in closed.eqns if any(v is var for v in e.inputs)]


def _zero_literals(closed):
    return [v for e in closed.eqns for v in e.inputs
            if type(v).__name__ == "Literal" and np.all(np.asarray(v.val) == 0)]


def f_ab(a, b):
    return a * b + jnp.sin(a)


def test_zero_tangent_never_reaches_an_equation():
    closed = ftrans.make_jaxpr(f_ab)(1.0, 2.0)
    jvp_closed, out_nz = jvp_jaxpr(closed, [True, False])
    check_jaxpr(jvp_closed)
    assert out_nz == [True]
    # (a, b, a_dot) -> (out, out_dot): b has no tangent input at all
    a, b, a_dot = jvp_closed.jaxpr.invars
    assert len(jvp_closed.jaxpr.outvars) == 2
    assert not _zero_literals(jvp_closed)
    assert "broadcast_in_dim" not in _prims(jvp_closed)  # no materialized zeros
    # the tangent of a*b is a_dot*b only, the tangent of sin a is a_dot*cos a
    assert sorted(_prims(jvp_closed)) == sorted(["mul", "sin", "add", "mul", "cos",
                                                 "mul", "add"])
    assert len(_uses_of(jvp_closed, a_dot)) == 2  # a_dot * b and a_dot * cos a
    out, out_dot = eval_closed(jvp_closed, 0.7, 2.0, 1.5)
    np.testing.assert_allclose(out, 0.7 * 2.0 + np.sin(0.7))
    np.testing.assert_allclose(out_dot, 1.5 * (2.0 + np.cos(0.7)))


def test_only_the_second_tangent_nonzero():
    closed = ftrans.make_jaxpr(f_ab)(1.0, 2.0)
    jvp_closed, out_nz = jvp_jaxpr(closed, [False, True])
    assert out_nz == [True]
    # d/db (a b + sin a) = a: no cos is needed
    assert "cos" not in _prims(jvp_closed)
    assert not _zero_literals(jvp_closed)
    out, out_dot = eval_closed(jvp_closed, 0.7, 2.0, 3.0)
    np.testing.assert_allclose(out_dot, 0.7 * 3.0)


def test_all_zero_tangents():
    closed = ftrans.make_jaxpr(lambda x: (jnp.sin(x), x * 2.0))(np.ones(3))
    jvp_closed, out_nz = jvp_jaxpr(closed, [False], instantiate_zeros=False)
    assert out_nz == [False, False]
    assert len(jvp_closed.jaxpr.outvars) == 2 and len(jvp_closed.jaxpr.invars) == 1
    assert _prims(jvp_closed) == _prims(closed)  # only the primal computation
    # instantiated: the zeros are built once, as outputs
    jvp_closed, out_nz = jvp_jaxpr(closed, [False], instantiate_zeros=True)
    assert out_nz == [True, True]
    outs = eval_closed(jvp_closed, np.arange(3.0))
    np.testing.assert_array_equal(outs[2], np.zeros(3))
    np.testing.assert_array_equal(outs[3], np.zeros(3))
    assert outs[2].shape == (3,) and outs[2].dtype == np.float64


def test_partially_zero_outputs():
    closed = ftrans.make_jaxpr(lambda x, y: (jnp.sin(x), jnp.exp(y), x * y))(1.0, 2.0)
    jvp_closed, out_nz = jvp_jaxpr(closed, [True, False], instantiate_zeros=False)
    assert out_nz == [True, False, True]
    assert "exp" in _prims(jvp_closed) and _prims(jvp_closed).count("exp") == 1
    outs = eval_closed(jvp_closed, 0.5, 2.0, 1.0)
    assert len(outs) == 5
    np.testing.assert_allclose(outs[3], np.cos(0.5))
    np.testing.assert_allclose(outs[4], 2.0)
    jvp_closed, out_nz = jvp_jaxpr(closed, [True, False], instantiate_zeros=[False, True, False])
    assert out_nz == [True, True, True]


def test_integer_values_have_no_tangents():
    def f(x, n):
        return x * n.astype(np.float64), n * 2

    closed = ftrans.make_jaxpr(f)(np.ones(3), np.arange(3))
    jvp_closed, out_nz = jvp_jaxpr(closed, [True, False])
    assert out_nz == [True, False]  # never instantiated for integers
    outs = eval_closed(jvp_closed, np.ones(3), np.arange(3), np.full(3, 2.0))
    np.testing.assert_allclose(outs[2], 2.0 * np.arange(3))
    assert len(outs) == 3


def test_constvars_have_no_tangents():
    c = np.array([1.0, -2.0, 3.0])
    closed = ftrans.make_jaxpr(lambda x: jnp.sin(x * c))(np.ones(3))
    jvp_closed, _ = jvp_jaxpr(closed, [True])
    x, t = np.array([0.1, 0.2, 0.3]), np.array([1.0, 0.5, -1.0])
    _, y_dot = eval_closed(jvp_closed, x, t)
    np.testing.assert_allclose(y_dot, np.cos(x * c) * c * t)


def test_symbolic_zeros_through_the_public_jvp():
    # y is closed over: it has no tangent, so no equation multiplies by 0
    def g(x, y):
        return ftrans.jvp(lambda a: a * y + jnp.sin(a), (x,), (1.0,))

    closed = ftrans.make_jaxpr(g)(1.0, 2.0)
    assert "0.0" not in str(closed)
    out, out_dot = eval_closed(closed, 0.3, 2.0)
    np.testing.assert_allclose(out_dot, 2.0 + np.cos(0.3))
    # an explicit zero tangent is a value, not a symbolic zero: still correct
    closed = ftrans.make_jaxpr(
        lambda x, y: ftrans.jvp(f_ab, (x, y), (1.0, 0.0)))(1.0, 2.0)
    check_jaxpr(closed)
    out, out_dot = eval_closed(closed, 0.3, 2.0)
    np.testing.assert_allclose(out, 0.3 * 2.0 + np.sin(0.3))
    np.testing.assert_allclose(out_dot, 2.0 + np.cos(0.3))


FUNCTIONS = {
    "sin_mul": (lambda x, y: jnp.sin(x) * y, [(3,), (3,)]),
    "exp_log": (lambda x, y: jnp.log(jnp.exp(x) + y * y), [(2, 2), (2, 2)]),
    "tanh_div": (lambda x, y: jnp.tanh(x) / (1.0 + y * y), [(4,), (4,)]),
    "pow_sub": (lambda x, y: (x ** 3 - y) * x, [(), ()]),
    "broadcast": (lambda x, y: x * y + 2.0, [(2, 3), (3,)]),
    "reduce": (lambda x, y: lax.reduce_sum(jnp.sin(x) * y, axes=(0,)), [(3, 2), (3, 2)]),
    "fan_out": (lambda x, y: x * x * x + x * y, [(3,), (3,)]),
}


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("nonzeros", [(True, True), (True, False), (False, True)])
def test_jvp_jaxpr_matches_central_differences(name, nonzeros, rng):
    f, shapes = FUNCTIONS[name]
    args = [rng.standard_normal(s) for s in shapes]
    tangents = [rng.standard_normal(s) if nz else np.zeros(s)
                for s, nz in zip(shapes, nonzeros)]
    closed = ftrans.make_jaxpr(f)(*args)
    jvp_closed, out_nz = jvp_jaxpr(closed, list(nonzeros))
    check_jaxpr(jvp_closed)
    assert not _zero_literals(jvp_closed) or name == "broadcast"
    outs = eval_closed(jvp_closed, *args, *[t for t, nz in zip(tangents, nonzeros) if nz])
    np.testing.assert_allclose(outs[0], f(*args), rtol=1e-12)
    np.testing.assert_allclose(outs[1], numerical_jvp(f, args, tangents), rtol=1e-6,
                               atol=1e-8)


def test_jvp_of_jvp_jaxpr_is_second_order():
    closed = ftrans.make_jaxpr(jnp.sin)(1.0)
    first, _ = jvp_jaxpr(closed, [True])            # (x, t) -> (sin x, cos x t)
    second, _ = jvp_jaxpr(first, [True, False])     # differentiate again in x
    check_jaxpr(second)
    outs = eval_closed(second, 0.4, 1.0, 1.0)       # x, t, x_dot
    np.testing.assert_allclose(outs[:3], [np.sin(0.4), np.cos(0.4), np.cos(0.4)])
    np.testing.assert_allclose(outs[3], -np.sin(0.4))  # d/dx (cos x * t)


def test_jvp_jaxpr_output_avals():
    closed = ftrans.make_jaxpr(lambda x, y: (x * y, y))(
        np.ones((2, 3), np.float32), np.ones((2, 3), np.float32))
    jvp_closed, _ = jvp_jaxpr(closed, [True, True])
    f32 = ShapedArray((2, 3), np.float32)
    assert jvp_closed.in_avals == [f32] * 4
    assert jvp_closed.out_avals == [f32] * 4
