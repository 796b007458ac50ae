"""``dce_jaxpr``: dead equations and unused constants are removed; what is
live, and the jaxpr's signature, is kept."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.check import check_jaxpr
from ftrans.core import Primitive, ShapedArray
from ftrans.eval import eval_closed
from ftrans.transforms.dce import dce_jaxpr


def _prims(closed):
    return [e.primitive.name for e in closed.eqns]


def _dce(closed, used=None):
    out = dce_jaxpr(closed, used)
    check_jaxpr(out)
    return out


def test_removes_dead_equations():
    def f(x):
        jnp.sin(x)                 # dead
        y = jnp.cos(x) * 2.0       # dead chain
        jnp.tanh(y + 1.0)
        return jnp.exp(x)

    closed = ftrans.make_jaxpr(f)(np.ones(3))
    assert len(closed.eqns) == 6
    pruned = _dce(closed)
    assert _prims(pruned) == ["exp"]
    x = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(eval_closed(pruned, x)[0], np.exp(x))


def test_removes_unused_constvars_with_their_consts():
    c_dead, c_live = np.arange(3.0), np.full(3, 2.0)

    def f(x):
        jnp.sin(x * c_dead)
        return x * c_live

    closed = ftrans.make_jaxpr(f)(np.ones(3))
    assert len(closed.jaxpr.constvars) == 2
    pruned = _dce(closed)
    assert len(pruned.jaxpr.constvars) == 1 and len(pruned.consts) == 1
    assert pruned.consts[0] is c_live
    np.testing.assert_allclose(eval_closed(pruned, np.ones(3))[0], c_live)


def test_keeps_the_signature_and_live_equations():
    def f(x, unused):
        a = jnp.sin(x)
        return a * a, x

    closed = ftrans.make_jaxpr(f)(1.0, np.ones(2))
    pruned = _dce(closed)
    assert pruned.in_avals == closed.in_avals  # unused inputs stay
    assert _prims(pruned) == _prims(closed) == ["sin", "mul"]
    assert str(pruned) == str(closed)


def test_used_outputs_drops_outputs_and_their_equations():
    closed = ftrans.make_jaxpr(lambda x: (jnp.sin(x), jnp.exp(x), x * 2.0))(1.0)
    pruned = _dce(closed, [False, True, False])
    assert _prims(pruned) == ["exp"]
    assert pruned.out_avals == [ShapedArray((), np.float64)]
    np.testing.assert_allclose(eval_closed(pruned, 0.5), [np.exp(0.5)])
    assert not _dce(closed, [False, False, False]).eqns


def test_shared_subexpression_stays_while_any_user_lives():
    def f(x):
        s = jnp.sin(x)
        return s * 2.0, s + 1.0

    closed = ftrans.make_jaxpr(f)(1.0)
    assert _prims(_dce(closed, [False, True])) == ["sin", "add"]
    assert _prims(_dce(closed, [True, False])) == ["sin", "mul"]


def test_multiple_results_equation_kept_if_any_output_is_used():
    split_p = Primitive("_test_dce_split", multiple_results=True)
    try:
        split_p.def_impl(lambda x: [x[:1], x[1:]])
        split_p.def_abstract_eval(lambda x: [ShapedArray((1,), x.dtype),
                                             ShapedArray((x.shape[0] - 1,), x.dtype)])
        closed = ftrans.make_jaxpr(lambda x: split_p.bind(jnp.exp(x))[1])(np.ones(3))
        pruned = _dce(closed)
        assert _prims(pruned) == ["exp", "_test_dce_split"]
        np.testing.assert_allclose(eval_closed(pruned, np.zeros(3))[0], np.ones(2))
        closed = ftrans.make_jaxpr(lambda x: (split_p.bind(jnp.exp(x)), x)[1])(np.ones(3))
        assert not _dce(closed).eqns
    finally:
        Primitive.registry.pop("_test_dce_split", None)


def test_idempotent_and_output_literals():
    closed = ftrans.make_jaxpr(lambda x: (jnp.sin(x), 3.0))(1.0)
    once = _dce(closed, [False, True])
    assert not once.eqns and str(_dce(once)) == str(once)
    np.testing.assert_allclose(eval_closed(once, 9.0), [3.0])


@pytest.mark.parametrize("order", [1, 2])
def test_dce_after_differentiation_keeps_values(order):
    f = lambda x: jnp.sin(x) * jnp.exp(x)  # noqa: E731
    g = f
    for _ in range(order):
        g = ftrans.grad(g)
    closed = ftrans.make_jaxpr(g)(0.3)
    pruned = _dce(closed)
    assert len(pruned.eqns) <= len(closed.eqns)
    np.testing.assert_allclose(eval_closed(pruned, 0.3), eval_closed(closed, 0.3))
