"""DESIGN §1: values computed while tracing are the forward pass; vjp and
linearize reuse them instead of running the forward computation again."""

import numpy as np

import ftrans
from ftrans.core import Primitive
from ftrans.prims._families import unary


def _counting_sin():
    calls = {"n": 0}

    def impl(x):
        calls["n"] += 1
        return np.sin(x)

    prim = unary("counting_sin_test", impl)

    @prim.def_jvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return prim.bind(x), ftrans.lax.mul(t, ftrans.lax.cos(x))

    Primitive.registry.pop(prim.name)  # a throwaway primitive, not in the table
    return prim, calls


def test_grad_runs_the_forward_computation_once():
    prim, calls = _counting_sin()
    g = ftrans.grad(lambda x: ftrans.lax.reduce_sum(prim.bind(prim.bind(x)), (0,)))
    x = np.array([0.3, 0.7])
    result = g(x)
    np.testing.assert_allclose(result, np.cos(np.sin(x)) * np.cos(x))
    assert calls["n"] == 2  # the two applications, each computed once, while tracing


def test_nested_grad_still_differentiates_the_forward_pass():
    prim, _ = _counting_sin()
    f = lambda x: prim.bind(x)  # noqa: E731
    assert np.isclose(ftrans.grad(ftrans.grad(f))(0.4), -np.sin(0.4))


def test_vjp_keeps_only_residuals_alive():
    import gc
    import weakref

    big = []

    def f(x):
        y = ftrans.numpy.sin(x)      # an intermediate that is a residual (cos x is)
        z = y * 3.0                  # an intermediate nobody needs afterwards
        big.append(z)
        return ftrans.numpy.sum(z)

    _, f_vjp = ftrans.vjp(f, np.ones(1000))
    # the tracer of z keeps its value; what matters is that vjp_fn does not
    value_ref = weakref.ref(big[0].val)
    big.clear()
    gc.collect()
    assert value_ref() is None
    np.testing.assert_allclose(f_vjp(1.0)[0], 3.0 * np.cos(np.ones(1000)))


def test_jvp_runs_the_forward_computation_once():
    prim, calls = _counting_sin()
    x = np.array([0.3, 0.7])
    y, y_dot = ftrans.jvp(lambda x: prim.bind(prim.bind(x)), (x,), (np.ones(2),))
    np.testing.assert_allclose(y, np.sin(np.sin(x)))
    np.testing.assert_allclose(y_dot, np.cos(np.sin(x)) * np.cos(x))
    assert calls["n"] == 2


def test_forward_values_are_reused_on_a_cached_derivation_too():
    prim, calls = _counting_sin()
    g = ftrans.grad(lambda x: ftrans.lax.reduce_sum(prim.bind(prim.bind(x)), (0,)))
    for x in (np.array([0.3, 0.7]), np.array([-0.2, 1.1])):  # the second call hits the cache
        calls["n"] = 0
        np.testing.assert_allclose(g(x), np.cos(np.sin(x)) * np.cos(x))
        assert calls["n"] == 2


def test_derived_jaxprs_are_ordinary_jaxprs_reading_the_known_values():
    import ftrans.numpy as jnp
    from ftrans.api import _Traced
    from ftrans.derivatives import derivatives

    def f(x):
        return jnp.sum(jnp.tanh(x * 2.0) ** 2)

    x = np.linspace(-1.0, 1.0, 5)
    traced = _Traced(f, (x,), "grad", concrete=True)
    known = derivatives(traced.closed, [True], traced.n_out).linearized.known
    eqns = traced.closed.jaxpr.eqns
    env = dict(zip(traced.closed.jaxpr.constvars, traced.closed.consts))
    env[traced.closed.jaxpr.invars[0]] = x
    for e in eqns:  # every intermediate's value, as a concrete trace knows them
        ins = [env[a] if type(a) is ftrans.core.Var else a.val for a in e.inputs]
        env[e.outputs[0]] = e.primitive.impl(*ins, **e.params)
    values = [env[eqns[i].outputs[k]] for i, k in known.known]
    args = [*traced.closed.consts, x]
    plain = ftrans.eval_jaxpr(known.plain.jaxpr, known.plain.consts, *args)
    reusing = ftrans.eval_jaxpr(known.reusing.jaxpr, known.reusing.consts, *args, *values)
    assert len(plain) == len(reusing)
    for p, r in zip(plain, reusing):
        np.testing.assert_array_equal(p, r)
    # the reusing form recomputes none of the traced equations' primitives
    assert "tanh" not in [e.primitive.name for e in known.reusing.eqns]
    assert "tanh" in [e.primitive.name for e in known.plain.eqns]


def test_grad_through_scan_runs_the_forward_scan_once():
    # a concrete trace computes values only when asked (a branch, a
    # conversion); the forward half of the linearization computes the rest,
    # so the scan's body runs once per step, not once while tracing and again
    # for the residuals
    prim, calls = _counting_sin()

    def loss(h0, xs):
        def step(h, x):
            h = prim.bind(h * 0.9 + x)
            return h, h
        return ftrans.numpy.sum(ftrans.lax.scan(step, h0, xs)[1])

    xs = np.linspace(-1.0, 1.0, 7)
    g = ftrans.grad(loss)(0.2, xs)
    assert calls["n"] == 7
    eps = 1e-6
    fd = (loss(0.2 + eps, xs) - loss(0.2 - eps, xs)) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-7)


def test_a_branch_on_a_value_computes_only_what_it_needs():
    prim, calls = _counting_sin()

    def f(x):
        y = prim.bind(x)
        if ftrans.numpy.sum(x) > 0:  # needs x only: y is not computed for it
            return y * 2.0
        return y

    assert float(ftrans.grad(f)(0.5)) == 2.0 * np.cos(0.5)
    assert calls["n"] == 1
