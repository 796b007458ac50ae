"""``ftrans.jit``: the cache (retrace exactly when the key changes), thread
safety, compositions with every transformation (each compared with the
un-jitted result), closures, pytrees, keyword and static arguments, errors,
``lower`` / ``trace``, ``eval_shape`` and ``config.explain_cache_misses``."""

import logging
import threading

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.core import all_eqns


def _counted(fn):
    """``fn`` and a list whose length counts how often it was traced."""
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        return fn(*args, **kwargs)

    wrapped.__name__ = getattr(fn, "__name__", "wrapped")
    return wrapped, calls


def _close(a, b, tol=1e-12):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def _f(x):
    return jnp.sum(jnp.sin(x) * x ** 2 + jnp.exp(-x))


# --- the cache ---------------------------------------------------------------------

def test_same_types_do_not_retrace():
    f, calls = _counted(lambda x, y: jnp.sin(x) * y)
    jf = ftrans.jit(f)
    for k in range(5):
        _close(jf(np.full(3, float(k)), 2.0), np.sin(np.full(3, float(k))) * 2.0)
    assert len(calls) == 1


@pytest.mark.parametrize("change", ["shape", "dtype", "tree", "static"])
def test_a_changed_key_retraces_exactly_once(change):
    f, calls = _counted(lambda x, n: jnp.sum(jnp.asarray(x if not isinstance(x, tuple)
                                                         else x[0]) * n))
    jf = ftrans.jit(f, static_argnums=1)
    x = np.ones(3)
    jf(x, 2)
    other = {"shape": (np.ones(4), 2), "dtype": (np.ones(3, np.float32), 2),
             "tree": ((x,), 2), "static": (x, 3)}[change]
    jf(*other)
    jf(*other)
    jf(x, 2)
    assert len(calls) == 2


def test_python_scalars_and_arrays_of_their_type_share_an_entry():
    f, calls = _counted(lambda x: x * 2.0)
    jf = ftrans.jit(f)
    jf(1.0)
    jf(np.float64(2.0))
    jf(np.asarray(3.0))
    assert len(calls) == 1


def test_cache_is_bounded_lru(monkeypatch):
    monkeypatch.setattr(ftrans.config, "jit_cache_size", 3)
    f, calls = _counted(lambda x: x + 1.0)
    jf = ftrans.jit(f)
    for n in range(1, 6):
        jf(np.ones(n))
    assert jf._cache_size() == 3 and len(calls) == 5
    jf(np.ones(5))                         # still there
    assert len(calls) == 5
    jf(np.ones(1))                         # dropped: traced again
    assert len(calls) == 6


def test_threads_with_different_shapes():
    f, calls = _counted(lambda x: jnp.sum(x * x))
    jf = ftrans.jit(f)
    errors, results = [], {}
    barrier = threading.Barrier(8)

    def work(i):
        try:
            barrier.wait()
            for _ in range(20):
                n = 1 + i % 4
                results[i] = float(jf(np.arange(float(n))))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(8):
        n = 1 + i % 4
        assert results[i] == float(np.sum(np.arange(float(n)) ** 2))
    assert len(calls) == 4                 # each shape traced once, even when raced


def test_decorator_keeps_name_and_doc():
    @ftrans.jit
    def loss(x):
        """The loss."""
        return jnp.sum(x)

    assert loss.__name__ == "loss" and loss.__doc__ == "The loss."
    assert float(loss(np.ones(3))) == 3.0


def test_decorator_with_arguments():
    @ftrans.jit(static_argnames="n")
    def power(x, n):
        return x ** n

    assert float(power(2.0, n=3)) == 8.0
    assert float(power(2.0, 3)) == 8.0       # static by position too (as JAX)


# --- compositions, each against the un-jitted result -----------------------------

def _x():
    return np.linspace(-1.0, 1.5, 4)


def test_jit_of_grad():
    _close(ftrans.jit(ftrans.grad(_f))(_x()), ftrans.grad(_f)(_x()))


def test_grad_of_jit_binds_one_call():
    jf = ftrans.jit(_f)
    _close(ftrans.grad(jf)(_x()), ftrans.grad(_f)(_x()))
    closed = ftrans.make_jaxpr(ftrans.grad(jf))(_x())
    names = [e.primitive.name for e in closed.eqns]
    assert "jit_call" in names and "sin" not in names   # derived functions stay whole


def test_value_and_grad_of_jit():
    v, g = ftrans.value_and_grad(ftrans.jit(_f))(_x())
    v0, g0 = ftrans.value_and_grad(_f)(_x())
    _close(v, v0)
    _close(g, g0)


def test_jit_of_vmap_and_vmap_of_jit():
    f = lambda x, y: jnp.sin(x) * y + jnp.sum(x)  # noqa: E731
    xs, ys = np.arange(6.0).reshape(2, 3), np.array([2.0, -1.0])
    want = ftrans.vmap(f)(xs, ys)
    _close(ftrans.jit(ftrans.vmap(f))(xs, ys), want)
    _close(ftrans.vmap(ftrans.jit(f))(xs, ys), want)
    _close(ftrans.vmap(ftrans.jit(f), in_axes=(1, None))(xs.T, 2.0),
           ftrans.vmap(f, in_axes=(1, None))(xs.T, 2.0))


def test_jit_of_jacfwd_and_jacrev():
    f = lambda x: jnp.sin(x) * jnp.sum(x ** 2)  # noqa: E731
    _close(ftrans.jit(ftrans.jacfwd(f))(_x()), ftrans.jacfwd(f)(_x()))
    _close(ftrans.jit(ftrans.jacrev(f))(_x()), ftrans.jacrev(f)(_x()))
    _close(ftrans.jacfwd(ftrans.jit(f))(_x()), ftrans.jacfwd(f)(_x()))


def test_hessian_of_jit():
    _close(ftrans.hessian(ftrans.jit(_f))(_x()), ftrans.hessian(_f)(_x()))
    _close(ftrans.jit(ftrans.hessian(_f))(_x()), ftrans.hessian(_f)(_x()))


def test_jvp_linearize_vjp_of_jit():
    jf, t = ftrans.jit(_f), np.ones(4)
    y, y_dot = ftrans.jvp(jf, (_x(),), (t,))
    y0, y0_dot = ftrans.jvp(_f, (_x(),), (t,))
    _close(y, y0)
    _close(y_dot, y0_dot)
    _, lin = ftrans.linearize(jf, _x())
    _close(lin(t), y0_dot)
    _, vjp_fn = ftrans.vjp(jf, _x())
    _close(vjp_fn(1.0)[0], ftrans.grad(_f)(_x()))


def test_jit_inside_scan_and_cond_bodies():
    step = ftrans.jit(lambda c, x: (jnp.sin(c) * x + c, c * x))

    def f_scan(c, xs, body):
        c, ys = lax.scan(body, c, xs)
        return jnp.sum(ys) + jnp.sum(c)

    plain = lambda c, x: (jnp.sin(c) * x + c, c * x)  # noqa: E731
    c0, xs = np.array([0.5, -0.3]), np.linspace(0.1, 1.0, 10).reshape(5, 2)
    _close(f_scan(c0, xs, step), f_scan(c0, xs, plain))
    _close(ftrans.grad(f_scan)(c0, xs, step), ftrans.grad(f_scan)(c0, xs, plain))
    _close(ftrans.jit(f_scan, static_argnums=2)(c0, xs, step), f_scan(c0, xs, plain))

    inner = ftrans.jit(lambda x: jnp.cos(x) * x)

    def f_cond(p, x, fn):
        return jnp.sum(lax.cond(p > 0, fn, lambda x: -x, x))

    x = _x()
    for p in (1.0, -1.0):
        want = f_cond(p, x, lambda x: jnp.cos(x) * x)
        _close(f_cond(p, x, inner), want)
        _close(ftrans.grad(f_cond, 1)(p, x, inner),
               ftrans.grad(f_cond, 1)(p, x, lambda x: jnp.cos(x) * x))
        _close(ftrans.jit(f_cond, static_argnums=2)(p, x, inner), want)


def test_jitted_calling_jitted():
    inner, calls = _counted(lambda x: jnp.exp(x) * 2.0)
    jinner = ftrans.jit(inner)
    outer = ftrans.jit(lambda x: jnp.sum(jinner(x) + jinner(x * 2.0)))
    want = np.sum(np.exp(_x()) * 2.0 + np.exp(_x() * 2.0) * 2.0)
    _close(outer(_x()), want)
    _close(outer(_x()), want)
    assert len(calls) == 1                 # the inner function is traced once
    _close(ftrans.grad(outer)(_x()),
           2.0 * np.exp(_x()) + 4.0 * np.exp(_x() * 2.0))
    assert any(e.primitive.name == "jit_call"
               for e in all_eqns(ftrans.make_jaxpr(outer)(_x())))


def test_jit_call_under_make_jaxpr_with_numpy_arguments():
    jf = ftrans.jit(lambda x: x * 3.0)
    closed = ftrans.make_jaxpr(lambda y: jf(np.ones(2)) + y)(np.ones(2))
    assert [e.primitive.name for e in closed.eqns][0] == "jit_call"
    _close(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, np.ones(2))[0], 4.0 * np.ones(2))


def test_grad_of_jit_closing_over_a_traced_value():
    def f(x, y):
        return ftrans.jit(lambda z: jnp.sum(jnp.sin(z) * y))(x)

    x, y = _x(), np.arange(4.0)
    _close(ftrans.grad(f, 1)(x, y), np.sin(x))
    _close(ftrans.grad(f)(x, y), np.cos(x) * y)


# --- closures, pytrees, kwargs, static arguments --------------------------------

def test_closed_over_arrays_are_baked_in_at_trace_time():
    # as JAX: closed-over values are constants of the traced version; neither
    # rebinding the global nor writing into the array is seen by a cache hit
    global _W
    _W = np.array([1.0, 2.0, 3.0])
    f, calls = _counted(lambda x: x * _W)
    jf = ftrans.jit(f)
    _close(jf(np.ones(3)), [1.0, 2.0, 3.0])
    _W[0] = 10.0
    _close(jf(np.ones(3)), [1.0, 2.0, 3.0])
    _W = np.zeros(3)
    _close(jf(np.ones(3)), [1.0, 2.0, 3.0])
    assert len(calls) == 1                  # closures are not part of the key
    _close(jf(np.ones((2, 3))), np.zeros((2, 3)))   # a new trace sees the new value


def test_pytree_arguments_and_outputs():
    def f(params, x):
        h = jnp.tanh(x @ params["w"] + params["b"])
        return {"out": h, "norms": (jnp.sum(h ** 2), jnp.sum(x))}

    params = {"w": np.arange(6.0).reshape(3, 2) / 10, "b": np.array([0.1, -0.2])}
    x = np.linspace(0, 1, 3)
    got, want = ftrans.jit(f)(params, x), f(params, x)
    assert set(got) == {"out", "norms"} and isinstance(got["norms"], tuple)
    _close(got["out"], want["out"])
    _close(got["norms"][0], want["norms"][0])
    loss = lambda p, x: f(p, x)["norms"][0]  # noqa: E731
    g, g0 = ftrans.grad(ftrans.jit(loss))(params, x), ftrans.grad(loss)(params, x)
    _close(g["w"], g0["w"])
    _close(g["b"], g0["b"])


def test_keyword_arguments_are_traced():
    f, calls = _counted(lambda x, scale=1.0: x * scale)
    jf = ftrans.jit(f)
    _close(jf(np.ones(2), scale=2.0), 2.0 * np.ones(2))
    _close(jf(np.ones(2), scale=5.0), 5.0 * np.ones(2))
    assert len(calls) == 1
    jf(np.ones(2))                            # another tree structure
    assert len(calls) == 2


def test_static_argnames_drive_python_control_flow():
    f, calls = _counted(lambda x, mode="sin": jnp.sin(x) if mode == "sin" else jnp.cos(x))
    jf = ftrans.jit(f, static_argnames="mode")
    _close(jf(_x(), mode="sin"), np.sin(_x()))
    _close(jf(_x(), mode="cos"), np.cos(_x()))
    _close(jf(_x(), mode="sin"), np.sin(_x()))
    assert len(calls) == 2


def test_static_argnums_negative_and_python_loops():
    def f(x, n):
        for _ in range(n):
            x = jnp.sin(x)
        return x

    jf = ftrans.jit(f, static_argnums=-1)
    _close(jf(_x(), 3), np.sin(np.sin(np.sin(_x()))))


def test_none_and_empty_outputs():
    jf = ftrans.jit(lambda x: (x, None, ()))
    out = jf(np.ones(2))
    assert out[1] is None and out[2] == ()


# --- errors -------------------------------------------------------------------

def test_concretization_error_names_jit_and_the_argument():
    def f(x, y):
        return x if y > 0 else -x

    with pytest.raises(ftrans.ConcretizationError) as info:
        ftrans.jit(f)(1.0, 2.0)
    msg = str(info.value)
    assert "`jit`" in msg and "argument 'y'" in msg and "argument 'x'" not in msg
    assert "static_argnums" in msg and "lax.cond" in msg
    assert float(ftrans.jit(f, static_argnums=1)(1.0, 2.0)) == 1.0


def test_concretization_error_inside_grad_of_jit():
    def f(x):
        return x * 2.0 if x > 0 else -x

    with pytest.raises(ftrans.ConcretizationError, match="`jit`"):
        ftrans.grad(ftrans.jit(f))(1.0)


def test_unhashable_static_argument():
    jf = ftrans.jit(lambda x, shape: jnp.reshape(x, shape), static_argnums=1)
    with pytest.raises(TypeError, match=r"static argument 1 .*unhashable.*list"):
        jf(np.ones(4), [2, 2])
    _close(jf(np.ones(4), (2, 2)), np.ones((2, 2)))
    jg = ftrans.jit(lambda x, shape: jnp.reshape(x, shape), static_argnames="shape")
    with pytest.raises(TypeError, match=r"static argument 'shape'.*unhashable"):
        jg(np.ones(4), shape=[2, 2])


def test_wrong_argument_count():
    jf = ftrans.jit(lambda x, y: x + y)
    with pytest.raises(TypeError, match=r"jit\(<lambda>\).*missing.*'y'"):
        jf(1.0)
    with pytest.raises(TypeError, match=r"jit\(<lambda>\).*too many"):
        jf(1.0, 2.0, 3.0)


def test_static_argnums_out_of_range():
    with pytest.raises(ValueError, match="static_argnums"):
        ftrans.jit(lambda x: x, static_argnums=3)


def test_non_array_argument_says_to_make_it_static():
    with pytest.raises(TypeError, match="static"):
        ftrans.jit(lambda x, s: x)(1.0, "text")


def test_a_failed_trace_leaves_the_cache_usable():
    f = ftrans.jit(lambda x: x if x > 0 else -x)
    for _ in range(2):
        with pytest.raises(ftrans.ConcretizationError):
            f(1.0)
    assert f._cache_size() == 0


# --- lower, trace, eval_shape, config --------------------------------------------

def test_lower_and_trace():
    def affine(x):
        return jnp.sin(x) * 2.0 + 1.0

    jf = ftrans.jit(affine)
    lowered = jf.lower(np.ones(3))
    text = lowered.as_text()
    assert isinstance(text, str) and "affine" in text
    assert isinstance(lowered.jaxpr, ftrans.ClosedJaxpr)
    compiled = lowered.compile()
    _close(compiled(np.full(3, 0.5)), np.sin(0.5) * 2.0 + 1.0)
    with pytest.raises(TypeError, match="lowered for"):
        compiled(np.ones(4))
    traced = jf.trace(np.ones(3)).jaxpr
    assert [e.primitive.name for e in traced.eqns][0] == "sin"
    assert traced.out_avals == [ftrans.ShapedArray((3,), np.float64)]


def test_eval_shape():
    def f(x, y):
        return {"s": jnp.sum(x, 0), "p": x @ y}

    out = ftrans.eval_shape(f, ftrans.ShapeDtypeStruct((3, 4), np.float32),
                            np.ones((4, 2), np.float32))
    assert out["s"].shape == (4,) and out["s"].dtype == np.float32
    assert out["p"] == ftrans.ShapeDtypeStruct((3, 2), np.float32)
    out = ftrans.eval_shape(lambda x: x * 2, ftrans.ShapedArray((2,), np.int64))
    assert out.shape == (2,) and out.dtype == np.int64
    with pytest.raises(ftrans.ConcretizationError, match="eval_shape"):
        ftrans.eval_shape(lambda x: 1.0 if x > 0 else 0.0, 1.0)


def test_eval_shape_computes_nothing():
    f, calls = _counted(lambda x: jnp.exp(x))
    ftrans.eval_shape(f, ftrans.ShapeDtypeStruct((10 ** 9,), np.float64))  # 8 GB if run
    assert len(calls) == 1


def test_explain_cache_misses(caplog, monkeypatch):
    monkeypatch.setattr(ftrans.config, "explain_cache_misses", True)
    jf = ftrans.jit(lambda x, n: x * n, static_argnums=1)
    with caplog.at_level(logging.WARNING, logger="ftrans.jit"):
        jf(np.ones(3), 2)
        jf(np.ones(3), 2)
        jf(np.ones(4), 2)
        jf(np.ones(4, np.float32), 2)
        jf(np.ones(4, np.float32), 5)
    msgs = [r.getMessage() for r in caplog.records if r.name == "ftrans.jit"]
    assert len(msgs) == 4, msgs
    assert "first time" in msgs[0]
    assert "argument 'x' changed from f64[3] to f64[4]" in msgs[1]
    assert "argument 'x' changed from f64[4] to f32[4]" in msgs[2]
    assert "static argument 'n' changed from 2 to 5" in msgs[3]


def test_log_compiles_and_config_update(caplog):
    ftrans.config.update("log_compiles", True)
    try:
        with caplog.at_level(logging.WARNING, logger="ftrans.jit"):
            ftrans.jit(lambda x: x + 1.0)(np.ones(2))
    finally:
        ftrans.config.update("jax_log_compiles", False)
    assert any("traced and compiled for (f64[2])" in r.getMessage() for r in caplog.records)
    assert ftrans.config.log_compiles is False
    with pytest.raises(AttributeError, match="no option"):
        ftrans.config.update("no_such_option", 1)


# --- the jit_call rules, at the jaxpr level ------------------------------------------

def test_dce_prunes_the_calls_outputs_and_inputs():
    from ftrans.transforms.dce import dce_jaxpr
    jf = ftrans.jit(lambda x, y: (jnp.sin(x) * 2.0, y * 3.0))
    closed = dce_jaxpr(ftrans.make_jaxpr(lambda x, y: jf(x, y)[0])(np.ones(2), np.ones(2)))
    (eqn,) = closed.eqns
    assert eqn.primitive.name == "jit_call" and len(eqn.inputs) == 1
    assert [e.primitive.name for e in eqn.params["jaxpr"].eqns] == ["sin", "mul"]


def test_partial_eval_splits_into_a_known_and_an_unknown_call():
    from ftrans.transforms.partial_eval import partial_eval_jaxpr
    jf = ftrans.jit(lambda x, y: jnp.sin(x) * y)
    closed = ftrans.make_jaxpr(jf)(np.ones(2), np.ones(2))
    known, unknown, out_unknown, n_res = partial_eval_jaxpr(closed, [False, True])
    assert out_unknown == [True] and n_res == 1
    (k,), (u,) = known.eqns, unknown.eqns
    assert k.primitive.name == u.primitive.name == "jit_call"
    assert [e.primitive.name for e in k.params["jaxpr"].eqns] == ["sin"]
    assert [e.primitive.name for e in u.params["jaxpr"].eqns] == ["mul"]


def test_a_residual_that_is_an_input_is_forwarded():
    from ftrans.transforms.partial_eval import partial_eval_jaxpr
    jf = ftrans.jit(lambda x, y: x * y)
    closed = ftrans.make_jaxpr(jf)(np.ones(2), np.ones(2))
    known, unknown, _, n_res = partial_eval_jaxpr(closed, [False, True])
    assert not known.eqns and n_res == 1     # x goes to the unknown call as is


def test_compositions_generate_inlined_code_that_runs_without_ftrans(tmp_path):
    import subprocess
    import sys
    inner = ftrans.jit(lambda x: jnp.exp(x) * 2.0)
    g = ftrans.jit(ftrans.grad(lambda x: jnp.sum(inner(x) * x)))
    x = np.linspace(0.0, 1.0, 3)
    text = g.lower(x).as_text()
    assert "jit_call" not in text and "np.exp" in text   # the call is inlined
    g.lower(x).compile().save(str(tmp_path / "saved_grad.py"))
    script = ("import sys; sys.modules['ftrans'] = None\n"
              "import numpy as np, saved_grad\n"
              "print(repr(saved_grad.lambda_(np.linspace(0.0, 1.0, 3))[0].tolist()))")
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, check=True, env={"PYTHONPATH": str(tmp_path)})
    np.testing.assert_array_equal(eval(out.stdout), np.asarray(g(x)))


# --- random programs (the generator of tests/test_random_programs.py) ------------

def _program_seeds():
    from tests.test_random_programs import (DEFAULT_SEEDS, DEFAULT_STRUCTURED_SEEDS, SEEDS,
                                            STRUCTURED_SEEDS, _seeds)
    return ([pytest.param(*p.values, False, marks=p.marks, id=f"plain-{p.values[0]}")
             if hasattr(p, "values") else pytest.param(p, False, id=f"plain-{p}")
             for p in _seeds(SEEDS, DEFAULT_SEEDS)]
            + [pytest.param(*p.values, True, marks=p.marks, id=f"structured-{p.values[0]}")
               if hasattr(p, "values") else pytest.param(p, True, id=f"structured-{p}")
               for p in _seeds(STRUCTURED_SEEDS, DEFAULT_STRUCTURED_SEEDS)])


@pytest.mark.parametrize("seed,structured", _program_seeds())
def test_random_programs_jit_equals_eager(seed, structured):
    from tests.test_random_programs import _random_program
    program, args = _random_program(seed, structured)
    _close(ftrans.jit(program)(*args), program(*args), 1e-13)
    argnums = tuple(range(len(args)))
    want = ftrans.grad(program, argnums)(*args)
    for got in (ftrans.jit(ftrans.grad(program, argnums))(*args),
                ftrans.grad(ftrans.jit(program), argnums)(*args)):
        for g, w in zip(got, want):
            _close(g, w, 1e-13)
