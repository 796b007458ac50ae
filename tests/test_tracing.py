"""Tracing: make_jaxpr with pytrees and static arguments, closures over
enclosing traces, eval_jaxpr (eager and inlined), concrete versus abstract
tracers, clean state after errors, and per-thread trace state (DESIGN.md §1)."""

import collections
import sys
import threading

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.core import ShapedArray
from ftrans.tracing import Tracer, current_trace_level

F64_3 = ShapedArray((3,), np.float64)


def _prims(closed):
    return [e.primitive.name for e in closed.eqns]


# --- make_jaxpr: pytrees and static arguments --------------------------------------------

def test_make_jaxpr_flattens_pytrees_in_and_out():
    def f(params, x):
        return {"y": params["w"] * x + params["b"], "aux": (jnp.sin(x), [x])}

    params = {"w": np.ones(3), "b": np.zeros(3)}  # dict keys flatten sorted: b, w
    closed = ftrans.make_jaxpr(f)(params, np.ones(3))
    assert closed.in_avals == [F64_3] * 3
    # outputs flatten as {"aux": (sin x, [x]), "y": ...}: the third output is y
    assert len(closed.out_avals) == 3
    b, w, x = np.arange(3.0), np.full(3, 2.0), np.array([0.5, 1.0, 1.5])
    outs = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, b, w, x)
    np.testing.assert_allclose(outs[0], np.sin(x))
    np.testing.assert_allclose(outs[1], x)
    np.testing.assert_allclose(outs[2], w * x + b)


def test_make_jaxpr_namedtuple_and_nested_tuples():
    Point = collections.namedtuple("Point", "x y")

    def f(p, pair):
        (a, (b,)) = pair
        return Point(p.y * a, p.x + b)

    closed = ftrans.make_jaxpr(f)(Point(np.ones(2), np.ones(2)), (2.0, (np.ones(2),)))
    assert [a.str_short() for a in closed.in_avals] == ["f64[2]", "f64[2]", "f64[]", "f64[2]"]
    assert {"add", "mul"} <= set(_prims(closed)) <= {"add", "mul", "broadcast_in_dim"}
    out = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, np.ones(2), np.full(2, 3.0),
                            2.0, np.arange(2.0))
    np.testing.assert_allclose(out[0], [6.0, 6.0])
    np.testing.assert_allclose(out[1], [1.0, 2.0])


@pytest.mark.parametrize("static_argnums", [1, (1,), -1])
def test_make_jaxpr_static_argnums(static_argnums):
    def f(x, n):
        for _ in range(n):  # n must be a Python int
            x = jnp.sin(x)
        return x if n % 2 else -x

    closed = ftrans.make_jaxpr(f, static_argnums=static_argnums)(np.ones(3), 3)
    assert _prims(closed) == ["sin"] * 3
    assert len(closed.in_avals) == 1
    closed = ftrans.make_jaxpr(f, static_argnums=static_argnums)(np.ones(3), 2)
    assert _prims(closed) == ["sin", "sin", "neg"]


def test_make_jaxpr_several_static_argnums():
    def f(a, x, b):
        return x * a + b

    closed = ftrans.make_jaxpr(f, static_argnums=(0, 2))(2.0, np.ones(3), 1.0)
    assert closed.in_avals == [F64_3]
    assert "mul a 2.0" in str(closed) and "add b 1.0" in str(closed)


def test_make_jaxpr_of_integer_and_boolean_inputs():
    closed = ftrans.make_jaxpr(lambda i, m: (i * 2, m))(np.arange(3), np.array([True]))
    assert [a.str_short() for a in closed.in_avals] == ["i64[3]", "bool[1]"]


def test_scalars_become_literals_and_arrays_become_constvars():
    c = np.arange(3.0)
    closed = ftrans.make_jaxpr(lambda x: x * c + c * 2.0 + 1.0)(np.ones(3))
    # c is captured once, even though it is used twice; c * 2.0 ran eagerly
    assert len(closed.jaxpr.constvars) == 2
    assert any(k is c for k in closed.consts)
    assert "1.0" in str(closed)


# --- closures over the tracers of an enclosing trace -------------------------------------

def test_closure_over_outer_tracer_becomes_inner_constvar():
    inner = []

    def f(x):
        closed = ftrans.make_jaxpr(lambda y: jnp.sin(y * x))(1.0)
        inner.append(closed)
        return ftrans.eval_jaxpr(closed.jaxpr, closed.consts, 2.0)[0]

    g = ftrans.grad(f)(0.3)
    np.testing.assert_allclose(g, 2 * np.cos(0.6))  # d/dx sin(2x): x reached f's output
    (closed,) = inner
    assert len(closed.jaxpr.constvars) == 1 and len(closed.jaxpr.invars) == 1
    assert type(closed.consts[0]) is Tracer  # the outer grad's tracer for x
    assert str(closed) == ("{ lambda a:f64[] ; b:f64[]. let\n"
                           "    c:f64[] = mul b a\n"
                           "    d:f64[] = sin c\n"
                           "  in (d,) }")


def test_closure_inside_make_jaxpr_inlines_into_the_outer_jaxpr():
    def f(x):
        closed = ftrans.make_jaxpr(lambda y: jnp.exp(y) * x)(1.0)
        assert closed.consts[0] is x
        return ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x + 1.0)[0]

    outer = ftrans.make_jaxpr(f)(1.0)
    assert _prims(outer) == ["add", "exp", "mul"]
    assert not outer.jaxpr.constvars


def test_nested_grad_closes_over_outer_value():
    # d/dx [x * d/dy (x*y^2) at y=3] = d/dx [6 x^2] = 12 x
    f = lambda x: x * ftrans.grad(lambda y: x * y ** 2)(3.0)  # noqa: E731
    np.testing.assert_allclose(ftrans.grad(f)(2.0), 24.0)


# --- eval_jaxpr ----------------------------------------------------------------------------

def test_eval_jaxpr_on_numpy_returns_numpy(rng):
    x = rng.standard_normal((2, 3))
    closed = ftrans.make_jaxpr(lambda x: (jnp.tanh(x) * 2.0, x + 1.0))(x)
    y = rng.standard_normal((2, 3))
    outs = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, y)
    assert all(isinstance(o, np.ndarray) for o in outs)
    np.testing.assert_allclose(outs[0], np.tanh(y) * 2)
    np.testing.assert_allclose(outs[1], y + 1)


def test_eval_jaxpr_returns_inputs_and_literals():
    closed = ftrans.make_jaxpr(lambda x: (x, 2.0))(1.0)
    outs = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, np.float64(5.0))
    assert float(outs[0]) == 5.0 and float(outs[1]) == 2.0


def test_eval_jaxpr_inside_another_trace_inlines_it():
    inner = ftrans.make_jaxpr(lambda x: jnp.sin(x) * 2.0)(np.ones(3))
    outer = ftrans.make_jaxpr(
        lambda x: ftrans.eval_jaxpr(inner.jaxpr, inner.consts, jnp.exp(x))[0])(np.ones(3))
    assert _prims(outer) == ["exp", "sin", "mul"]
    x = np.array([0.1, -0.2, 0.3])
    np.testing.assert_allclose(ftrans.eval_jaxpr(outer.jaxpr, outer.consts, x)[0],
                               2 * np.sin(np.exp(x)))
    g = ftrans.grad(lambda x: ftrans.eval_jaxpr(inner.jaxpr, inner.consts,
                                                x * np.ones(3))[0][1])(0.5)
    np.testing.assert_allclose(g, 2 * np.cos(0.5))


def test_outside_any_trace_ftrans_numpy_returns_numpy(rng):
    x = rng.standard_normal(3)
    for out in (jnp.sin(x), jnp.add(x, 1.0), jnp.multiply(2.0, 3.0), jnp.exp(0.5),
                jnp.maximum(x, 0.0), jnp.negative(x), x + jnp.sin(x)):
        assert isinstance(out, np.ndarray)
    A = rng.standard_normal((2, 3))
    for out in (jnp.sum(x), jnp.dot(A, x), jnp.matmul(A, x), jnp.mean(A, axis=0),
                jnp.reshape(A, (3, 2)), jnp.concatenate([x, x]), jnp.transpose(A),
                jnp.stack([x, x])):
        assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(jnp.dot(A, x), A @ x)
    np.testing.assert_allclose(jnp.sum(x), np.sum(x))
    assert isinstance(ftrans.grad(jnp.sin)(1.0), np.ndarray)
    y, t = ftrans.jvp(jnp.sin, (x,), (x,))
    assert isinstance(y, np.ndarray) and isinstance(t, np.ndarray)
    assert current_trace_level() == 0


# --- concrete versus abstract tracers -------------------------------------------------------

def _branchy(x):
    if x > 0:
        return x ** 3
    return jnp.sin(x)


@pytest.mark.parametrize("x, expected", [(2.0, 12.0), (-1.0, np.cos(-1.0))])
def test_python_control_flow_works_under_grad(x, expected):
    np.testing.assert_allclose(ftrans.grad(_branchy)(x), expected)
    y, t = ftrans.jvp(_branchy, (x,), (1.0,))
    np.testing.assert_allclose(t, expected)
    np.testing.assert_allclose(ftrans.jacfwd(_branchy)(x), expected)
    np.testing.assert_allclose(ftrans.jacrev(_branchy)(x), expected)
    _, f_vjp = ftrans.vjp(_branchy, x)
    np.testing.assert_allclose(f_vjp(1.0)[0], expected)


def test_python_control_flow_under_nested_grad():
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(_branchy))(2.0), 12.0)  # 6x
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(_branchy))(-1.0), -np.sin(-1.0))


def test_python_control_flow_raises_under_make_jaxpr():
    with pytest.raises(ftrans.ConcretizationError):
        ftrans.make_jaxpr(_branchy)(1.0)
    # ... and under make_jaxpr of grad: the abstract trace is outermost
    with pytest.raises(ftrans.ConcretizationError):
        ftrans.make_jaxpr(ftrans.grad(_branchy))(1.0)
    assert current_trace_level() == 0


def test_concrete_values_used_as_python_numbers_under_grad():
    # float(stop_gradient(x)) is a constant to AD: d/dx [x * c] with c = x is c
    sg = ftrans.stop_gradient
    np.testing.assert_allclose(ftrans.grad(lambda x: x * float(sg(x)))(3.0), 3.0)
    # a shape from a concrete value whose derivative is cut
    f = lambda x: jnp.sin(x) * np.ones(int(sg(x)))  # noqa: E731
    np.testing.assert_allclose(ftrans.jacfwd(f)(2.0), np.full(2, np.cos(2.0)))


def test_tracer_attributes_and_repr():
    seen = {}

    def f(x):
        seen.update(shape=x.shape, dtype=x.dtype, ndim=x.ndim, size=x.size, repr=repr(x))
        return x

    ftrans.make_jaxpr(f)(np.ones((2, 3), np.float32))
    assert seen == dict(shape=(2, 3), dtype=np.float32, ndim=2, size=6,
                        repr="Tracer<f32[2,3], abstract>")
    ftrans.jvp(f, (np.ones(2),), (np.ones(2),))
    assert seen["repr"] == "Tracer<f64[2], concrete>"


def test_trace_state_is_clean_after_an_error():
    def bad(x):
        jnp.sin(x)  # some staged work before the error
        raise RuntimeError("boom")

    for transform in (ftrans.make_jaxpr, ftrans.grad):
        with pytest.raises(RuntimeError, match="boom"):
            transform(bad)(1.0)
        assert current_trace_level() == 0
    # and the next call works, eagerly and traced
    assert isinstance(jnp.sin(1.0), np.ndarray)
    np.testing.assert_allclose(ftrans.grad(jnp.sin)(0.0), 1.0)
    assert _prims(ftrans.make_jaxpr(jnp.sin)(1.0)) == ["sin"]


# --- per-thread trace state ----------------------------------------------------------------

def test_two_threads_trace_and_differentiate_at_once():
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, to interleave the traces
    try:
        _two_threads_at_once()
    finally:
        sys.setswitchinterval(old_interval)


def _two_threads_at_once():
    n_iter = 150
    barrier = threading.Barrier(2)
    failures = []

    def f1(x):
        return jnp.sin(x) * x

    def f2(x):
        return jnp.exp(x) * x ** 2 + 1.0

    def worker(f, df, d2f, prims, xs):
        try:
            barrier.wait(timeout=30)
            for x in xs:
                g = ftrans.grad(f)(x)
                if not np.allclose(g, df(x)):
                    failures.append((f.__name__, x, g))
                h = ftrans.grad(ftrans.grad(f))(x)  # nested traces
                if not np.allclose(h, d2f(x)):
                    failures.append((f.__name__, "second derivative", x, h))
                closed = ftrans.make_jaxpr(f)(x)
                if _prims(closed) != prims:
                    failures.append((f.__name__, _prims(closed)))
                if current_trace_level() != 0:
                    failures.append((f.__name__, "trace stack not empty"))
        except Exception as e:  # pragma: no cover - reported below
            failures.append((f.__name__, repr(e)))

    xs = np.linspace(-2, 2, n_iter)
    threads = [
        threading.Thread(target=worker, args=(
            f1, lambda x: np.cos(x) * x + np.sin(x),
            lambda x: 2 * np.cos(x) - x * np.sin(x), ["sin", "mul"], xs)),
        threading.Thread(target=worker, args=(
            f2, lambda x: np.exp(x) * (x ** 2 + 2 * x),
            lambda x: np.exp(x) * (x ** 2 + 4 * x + 2),
            ["exp", "integer_pow", "mul", "add"], xs)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not failures, failures[:5]


def test_make_jaxpr_keyword_arguments_are_traced():
    closed = ftrans.make_jaxpr(lambda x, scale=1.0: jnp.sin(x) * scale)(1.0, scale=2.0)
    assert len(closed.in_avals) == 2
    assert str(closed).splitlines()[0] == "{ lambda ; a:f64[] b:f64[]. let"
    out = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, 0.5, 3.0)[0]
    np.testing.assert_allclose(out, 3 * np.sin(0.5))


def test_eval_jaxpr_checks_the_number_of_arguments():
    closed = ftrans.make_jaxpr(lambda x, y: x * y)(1.0, 2.0)
    for args in [(1.0,), (1.0, 2.0, 3.0)]:
        with pytest.raises(TypeError, match=r"2 arguments, got 0 and %d" % len(args)):
            ftrans.eval_jaxpr(closed.jaxpr, closed.consts, *args)
    with pytest.raises(TypeError, match="1 consts"):
        c = ftrans.make_jaxpr(lambda x: x * np.arange(2.0))(np.ones(2))
        ftrans.eval_jaxpr(c.jaxpr, [], np.ones(2))
