"""Code generation (``ftrans.codegen``): every row of the primitive table, its
gradient and its vmap, compiled to Python source, give what the interpreter
(``eval_jaxpr``) gives; control flow becomes Python control flow; the source
is readable, frees dead intermediates and reuses their buffers; a saved module
runs without ftrans."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ftrans
import ftrans.lax as lax
import ftrans.numpy as jnp
from ftrans import codegen
from ftrans.codegen import Compiled, compile_jaxpr, generate
from ftrans.tree_util import tree_flatten
from tests.prim_table import all_cases

CASES = all_cases()
IDS = [c.id for c in CASES]
DIFF = [c for c in CASES if c.order >= 1]


def _same(got, want, exact=True):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-14)


def _check(closed, args):
    """The compiled jaxpr equals the interpreter, bit for bit (emit rules make
    the impls' numpy calls)."""
    want = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, *args)
    compiled = compile_jaxpr(closed)
    _same(compiled(*args), want)
    return compiled


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_row_compiles_to_the_same_values(case):
    args = case.sample(np.random.default_rng(0))
    closed = ftrans.make_jaxpr(case.fn)(*args)
    _check(closed, args)
    eager = [np.asarray(x) for x in tree_flatten(case.fn(*args))[0]]
    _same(compile_jaxpr(closed)(*args), eager)


def _scalar_of_floats(case, args):
    pos = [i for i, a in enumerate(args) if np.issubdtype(a.dtype, np.inexact)]

    def f(*floats):
        full = list(args)
        for i, x in zip(pos, floats):
            full[i] = x
        outs = [o for o in tree_flatten(case.fn(*full))[0]
                if np.issubdtype(o.dtype, np.inexact)]
        # a complex output enters through both its parts (grad needs a real loss)
        outs = [jnp.real(o * (1 - 0.5j)) if jnp.iscomplexobj(o) else o for o in outs]
        return sum(jnp.sum(o * (k + 1.0)) for k, o in enumerate(outs))

    return f, tuple(args[i] for i in pos)


@pytest.mark.parametrize("case", DIFF, ids=[c.id for c in DIFF])
def test_row_gradient_compiles(case, monkeypatch):
    monkeypatch.setattr(codegen, "REUSE_MIN_SIZE", 1)  # reuse even tiny buffers
    args = case.sample(np.random.default_rng(1))
    f, floats = _scalar_of_floats(case, args)
    grad = ftrans.grad(f, argnums=tuple(range(len(floats))))
    closed = ftrans.make_jaxpr(grad)(*floats)
    _check(closed, floats)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_row_vmap_compiles(case, monkeypatch):
    monkeypatch.setattr(codegen, "REUSE_MIN_SIZE", 1)
    rng = np.random.default_rng(2)
    examples = [case.sample(rng) for _ in range(3)]
    stacked = [np.stack([ex[i] for ex in examples]) for i in range(len(examples[0]))]
    closed = ftrans.make_jaxpr(ftrans.vmap(case.fn, axis_size=3))(*stacked)
    _check(closed, stacked)


# --- control flow ----------------------------------------------------------------

def _program(x):
    def body(c, xi):
        inner = lax.cond(xi > 0.5, lambda a: a * 2.0, lambda a: jnp.sin(a), c)
        return inner + xi, c * xi

    c, ys = lax.scan(body, x[0], x)
    n = lax.fori_loop(0, 3, lambda i, v: v * 1.5 + c, ys)   # a scan (static bounds)
    w = lax.while_loop(lambda v: v[0] < 5.0, lambda v: (v[0] + 1.0, v[1] * 0.9), (0.0, n))
    return jnp.sum(w[1]) + lax.switch(2, [jnp.cos, jnp.sin, jnp.tanh], c)


def test_control_flow_is_python_control_flow():
    x = np.linspace(0.1, 1.0, 5)
    closed = ftrans.make_jaxpr(_program)(x)
    compiled = _check(closed, (x,))
    src = compiled.source
    assert "for _i0 in range(5):" in src
    assert "while True:" in src or "while " in src
    assert "if " in src and "else:" in src
    assert "eval_closed" not in src and "_scan_impl" not in src and "_cond_impl" not in src
    np.testing.assert_allclose(compiled(x)[0], _program(x), rtol=1e-14)


def test_gradient_of_nested_control_flow(monkeypatch):
    monkeypatch.setattr(codegen, "REUSE_MIN_SIZE", 1)
    x = np.linspace(0.1, 1.0, 5)

    def f(x):
        def outer(c, xi):
            def inner(d, yi):
                return d * yi + jnp.sin(c), d
            d, _ = lax.scan(inner, xi, x)
            return c + lax.cond(d > 1.0, jnp.tanh, jnp.cos, d), d
        return jnp.sum(lax.scan(outer, 0.5, x)[1])

    closed = ftrans.make_jaxpr(ftrans.grad(f))(x)
    compiled = _check(closed, (x,))
    assert compiled.source.count("for ") >= 4  # forward and backward, nested
    np.testing.assert_allclose(compiled(x)[0], ftrans.grad(f)(x), rtol=1e-14)


def test_reverse_scan_and_while_with_computed_predicate():
    def f(x):
        ys = lax.scan(lambda c, xi: (c + xi, c * xi), 0.0, x, reverse=True)
        i, v = lax.while_loop(lambda s: jnp.sum(s[1] * s[1]) < 100.0,
                              lambda s: (s[0] + 1, s[1] * 2.0), (0, x))
        return ys, i, v

    x = np.linspace(0.5, 1.0, 4)
    compiled = _check(ftrans.make_jaxpr(f)(x), (x,))
    assert "range(3, -1, -1)" in compiled.source


def test_custom_calls_are_inlined():
    @ftrans.custom_jvp
    def soft(x):
        return jnp.log1p(jnp.exp(x))

    @soft.defjvp
    def soft_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return soft(x), t * ftrans.nn.sigmoid(x)

    @ftrans.custom_vjp
    def clip(x):
        return x * 1.0

    clip.defvjp(lambda x: (x, None), lambda _, g: (jnp.clip(g, -1.0, 1.0),))

    def f(x):
        return jnp.sum(ftrans.checkpoint(lambda y: jnp.sin(soft(clip(y))))(x))

    x = np.linspace(-1.0, 1.0, 5)
    for closed in (ftrans.make_jaxpr(f)(x), ftrans.make_jaxpr(ftrans.grad(f))(x)):
        src = _check(closed, (x,)).source
        assert "_impl(" not in src.replace("_div_impl", ""), src


# --- the source ------------------------------------------------------------------

def test_source_is_readable():
    def f(x, y):
        return jnp.tanh(x @ y) * 2.0 + 1.0

    closed = ftrans.make_jaxpr(f)(np.ones((2, 3)), np.ones((3, 4)))
    assert generate(closed, "layer") == textwrap.dedent("""\
        import numpy as np


        def layer(consts, *args):
            a, b = args
            c = np.matmul(a, b)
            d = np.tanh(c)
            del c
            e = np.multiply(d, 2.0)
            del d
            f = np.add(e, 1.0)
            del e
            return [f]
        """)


def test_names_follow_the_printed_jaxpr():
    x = np.ones(3)
    closed = ftrans.make_jaxpr(lambda x: jnp.exp(jnp.sin(x)) / jnp.cos(x))(x)
    printed = str(closed)
    src = generate(closed)
    for line in printed.splitlines()[1:-1]:
        name = line.split(":")[0].strip()
        assert f"    {name} = " in src


def test_many_variables_avoid_keywords_and_numpy():
    def f(x):
        for _ in range(400):
            x = jnp.sin(x)
        return x
    x = np.linspace(0, 1, 3)
    closed = ftrans.make_jaxpr(f)(x)
    compiled = _check(closed, (x,))
    for bad in (" if = ", " in = ", " np = ", " is = ", " or = ", " as = "):
        assert bad not in compiled.source


def test_dead_intermediates_are_deleted():
    def f(x):
        a = jnp.exp(x)
        b = a.reshape(64, 64)      # a view of a: a must stay alive while b is
        c = jnp.sum(b)
        return c * x

    x = np.ones(4096)
    closed = ftrans.make_jaxpr(f)(x)
    src = _check(closed, (x,)).source
    lines = [l.strip() for l in src.splitlines()]
    # each intermediate is deleted once, after its last use
    b_def = next(i for i, l in enumerate(lines) if l.startswith("b = "))
    assert any(l.startswith("del ") and "b" in l.split()[1:] for l in lines[b_def + 1:])
    dels = [n.strip(",") for l in lines if l.startswith("del ") for n in l.split()[1:]]
    assert sorted(dels) == sorted(set(dels))
    # nothing is written into a: c's reshape is a view of it
    assert "out=b" not in src and "out=c" not in src


def test_buffers_are_reused_but_never_inputs_or_constants():
    w = np.linspace(0, 1, 2000)

    def f(x):
        y = jnp.sin(x) * w            # w is a constant
        z = jnp.exp(y) + x
        return jnp.tanh(z) - y

    x = np.linspace(-1, 1, 2000)
    x_copy, w_copy = x.copy(), w.copy()
    closed = ftrans.make_jaxpr(f)(x)
    compiled = _check(closed, (x,))
    assert "out=" in compiled.source
    assert "out=a" not in compiled.source
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(closed.consts[0], w_copy)
    compiled(x)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(closed.consts[0], w_copy)


def test_impls_without_emit_rules_are_called():
    x = np.linspace(-1, 1, 5)
    closed = ftrans.make_jaxpr(lambda x: lax.erf(x) + lax.round(x))(x)
    compiled = _check(closed, (x,))
    assert "from ftrans.prims.elementwise import _erf_impl" in compiled.source


# --- saving ----------------------------------------------------------------------

def test_saved_gradient_module_runs_without_ftrans(tmp_path):
    w = np.linspace(0.5, 1.5, 6).reshape(2, 3)

    def loss(x):
        h = jnp.tanh(x @ w)
        return jnp.sum(h * h) + jnp.sum(lax.scan(lambda c, r: (c * 0.5 + r, c), 0.0,
                                                 jnp.sum(h, axis=1))[1])

    x = np.linspace(-1, 1, 8).reshape(4, 2)
    closed = ftrans.make_jaxpr(ftrans.grad(loss))(x)
    compiled = compile_jaxpr(closed, "loss_grad")
    assert isinstance(compiled, Compiled)
    compiled.save(str(tmp_path / "saved_grad.py"))
    np.save(tmp_path / "x.npy", x)
    # ftrans may be installed (an editable install is importable from any
    # directory): block it, so that any import of it by the module fails
    script = ("import sys, numpy as np\n"
              "sys.modules['ftrans'] = None\n"
              "try:\n    import ftrans\nexcept ImportError:\n    pass\n"
              "else:\n    sys.exit('ftrans is importable')\n"
              "import saved_grad\n"
              "out = saved_grad.loss_grad(np.load('x.npy'))\n"
              "np.save('out.npy', out[0])\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), compiled(x)[0])
    np.testing.assert_allclose(compiled(x)[0], ftrans.grad(loss)(x), rtol=1e-14)


def test_save_names_the_primitive_without_an_emit_rule(tmp_path):
    closed = ftrans.make_jaxpr(lax.erf)(np.ones(3))
    with pytest.raises(NotImplementedError, match="'erf'"):
        compile_jaxpr(closed).save(str(tmp_path / "m.py"))


def test_deep_nesting_falls_back_to_the_impl_below_python_limits():
    def nest(depth):
        if depth == 0:
            return jnp.sin
        inner = nest(depth - 1)
        return lambda x: lax.scan(lambda c, xi: (inner(c) + xi, None), x, jnp.ones(1))[0]

    f = nest(40)  # CPython allows 20 nested loops
    x = np.float64(0.3)
    closed = ftrans.make_jaxpr(f)(x)
    compiled = _check(closed, (x,))
    assert "_scan_impl" in compiled.source and "for _i" in compiled.source


@pytest.mark.parametrize("seed", range(0, 60, 3))
def test_random_programs_and_their_gradients_compile(seed, monkeypatch):
    monkeypatch.setattr(codegen, "REUSE_MIN_SIZE", 1)
    from tests.test_random_programs import _random_program
    program, args = _random_program(seed, structured=seed % 2 == 1)
    argnums = tuple(range(len(args)))
    for fn in (program, ftrans.grad(lambda *a: jnp.sum(program(*a)), argnums=argnums),
               ftrans.jacfwd(program, argnums=argnums)):
        _check(ftrans.make_jaxpr(fn)(*args), args)


EMITTED = [c for c in CASES if ftrans.core.Primitive.registry[c.prim].emit is not None]


@pytest.mark.parametrize("case", EMITTED, ids=[c.id for c in EMITTED])
def test_rows_with_emit_rules_call_numpy_only(case):
    """A primitive with an emit rule runs as numpy calls in the source (integer
    division keeps its impl: it rounds toward zero)."""
    args = case.sample(np.random.default_rng(0))
    src = generate(ftrans.make_jaxpr(case.fn)(*args))
    if case.id != "div-i64":
        assert "from ftrans" not in src, src


# --- dot_general and loops: cheap numpy calls ----------------------------------

def test_products_without_a_sum_are_multiplies_and_vectors_are_not_reshaped():
    rng = np.random.default_rng(3)
    x, v, b = rng.standard_normal((4, 5)), rng.standard_normal(4), rng.standard_normal((3, 4))
    outer, batched = (((), ()), ((), ())), (((), ()), ((0,), (0,)))
    cases = [(lambda x, v: lax.dot_general(v, x, outer), (x, v), "np.multiply.outer(b, a)"),
             (lambda x, v: v @ x, (x, v), "np.matmul(b, a)"),
             (lambda b, x: lax.dot_general(b, b, batched), (b, x),
              "np.multiply(np.reshape(a, (3, 4, 1)), np.reshape(a, (3, 1, 4)))")]
    for fn, args, text in cases:
        closed = ftrans.make_jaxpr(fn)(*args)
        src = generate(closed)
        assert text in src and "np.matmul(np.reshape" not in src, src
        _check(closed, args)


def test_a_scan_transposes_its_constant_matrix_once_before_the_loop():
    rng = np.random.default_rng(4)
    W, xs = rng.standard_normal((5, 5)), rng.standard_normal((7, 5))

    def loss(W, xs):
        def step(h, x):
            h = jnp.tanh(W @ h + x)
            return h, jnp.sum(h)
        return jnp.sum(lax.scan(step, jnp.zeros(5), xs)[1])

    closed = ftrans.make_jaxpr(ftrans.grad(loss))(W, xs)
    src = generate(closed)
    loop_bodies = [line for line in src.splitlines() if line.startswith(" " * 8)]
    assert "np.transpose(" in src and not any("np.transpose(" in line for line in loop_bodies), src
    _check(closed, (W, xs))
