"""Control flow: ``cond``/``switch``, ``scan``, ``fori_loop``, ``while_loop``,
and Python loops unrolled by tracing.

Derivatives are checked against truth from outside the AD code: float64
finite differences (``check_grads``, orders 1 and 2, both modes), closed
forms, and a hand-written backpropagation through time in numpy for a tanh
RNN. The structure of reverse mode through ``scan`` (one forward scan that
stacks residuals along the scan axis, one reverse scan, nothing unrolled) is
read off the jaxprs. Every jaxpr built here is type-checked (conftest.py).
"""

import numpy as np
import pytest

import ftrans
import ftrans.core
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.core import all_eqns
from ftrans.test_util import check_grads


def _prims(closed):
    return [e.primitive.name for e in closed.eqns]


def _count_eqns(jaxpr) -> int:
    """Equations in ``jaxpr`` and, recursively, in its sub-jaxprs."""
    return sum(1 for _ in all_eqns(jaxpr))


def test_every_jaxpr_is_checked():
    # conftest installs the check, so a malformed jaxpr anywhere fails the test
    assert ftrans.check.check_jaxpr in ftrans.core.build_hooks


# --- cond / switch -------------------------------------------------------------------

def _cube(x):
    return x * x * x


def _sin_or_cube(x):
    return lax.cond(x > 0, jnp.sin, _cube, x)


@pytest.mark.parametrize("x", [0.7, -0.7, 1.9, -1.3])
def test_cond_grad_is_the_taken_branch_derivative(x):
    want = np.cos(x) if x > 0 else 3 * x ** 2
    np.testing.assert_allclose(ftrans.grad(_sin_or_cube)(x), want, rtol=1e-12)
    want2 = -np.sin(x) if x > 0 else 6 * x
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(_sin_or_cube))(x), want2,
                               rtol=1e-12)


@pytest.mark.parametrize("x", [0.7, -0.7])
def test_cond_check_grads(x):
    check_grads(_sin_or_cube, (x,), order=2)
    check_grads(lambda x: _sin_or_cube(x) * x, (np.float64(x),), order=2)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_switch_three_branches_check_grads(index, rng):
    branches = [lambda x, y: jnp.sin(x) * y,
                lambda x, y: jnp.exp(x) - y * y,
                lambda x, y: x * x * y]
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    f = lambda x, y: lax.switch(index, branches, x, y)  # noqa: E731
    np.testing.assert_allclose(f(x, y), branches[index](x, y))
    check_grads(f, (x, y), order=2)


def test_switch_with_traced_index_and_clamping(rng):
    branches = [lambda x: x * 2.0, lambda x: jnp.sin(x), lambda x: x * x]
    x = rng.standard_normal(4)
    for i, k in [(-3, 0), (0, 0), (1, 1), (2, 2), (7, 2)]:
        f = lambda x, i: lax.switch(i, branches, x)  # noqa: E731
        np.testing.assert_allclose(f(x, np.int64(i)), branches[k](x))
        # the index is a traced argument: one jaxpr serves every branch
        closed = ftrans.make_jaxpr(f)(x, np.int64(i))
        got = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x, np.int64(i))[0]
        np.testing.assert_allclose(got, branches[k](x))
        g = ftrans.grad(lambda x: jnp.sum(f(x, np.int64(i))))(x)
        want = [np.full(4, 2.0), np.cos(x), 2 * x][k]
        np.testing.assert_allclose(g, want, rtol=1e-12)


def test_cond_traces_each_branch_once():
    calls = {"true": 0, "false": 0}

    def true_fun(x):
        calls["true"] += 1
        return jnp.sin(x)

    def false_fun(x):
        calls["false"] += 1
        return jnp.cos(x)

    f = lambda x: lax.cond(x > 0, true_fun, false_fun, x) * x  # noqa: E731
    ftrans.make_jaxpr(f)(1.0)
    assert calls == {"true": 1, "false": 1}
    np.testing.assert_allclose(ftrans.grad(f)(0.5), np.sin(0.5) + 0.5 * np.cos(0.5))
    assert calls == {"true": 2, "false": 2}  # grad traces f once, so each branch once
    ftrans.grad(ftrans.grad(f))(0.5)
    assert calls == {"true": 3, "false": 3}


def test_cond_is_one_equation_under_abstract_tracing():
    closed = ftrans.make_jaxpr(_sin_or_cube)(1.0)
    assert _prims(closed).count("cond") == 1
    (eqn,) = [e for e in closed.eqns if e.primitive.name == "cond"]
    branch_prims = [_prims(b) for b in eqn.params["branches"]]
    assert "sin" in branch_prims[1] and "mul" in branch_prims[0]
    for x in (1.5, -1.5):
        got = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, np.float64(x))[0]
        np.testing.assert_allclose(got, np.sin(x) if x > 0 else x ** 3)


def test_cond_predicate_is_true_for_any_nonzero_number_as_in_jax():
    pick = lambda p: float(lax.cond(p, lambda: 1.0, lambda: 0.0))  # noqa: E731
    assert [pick(p) for p in (True, False, -3, 0, 5, 0.5, 0.0, np.int32(2))] == \
        [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    assert ftrans.grad(lambda x: lax.cond(x, lambda: x * 2.0, lambda: x * 3.0))(0.0) == 3.0
    with pytest.raises(TypeError, match="boolean or a number"):
        lax.cond(np.complex128(1.0), lambda: 1.0, lambda: 0.0)


def test_cond_branch_types_that_differ_raise_naming_both():
    def returns_vector(x):
        return x

    def scalar_branch(x):
        return 1.0

    with pytest.raises(TypeError) as e:
        lax.cond(True, scalar_branch, returns_vector, np.ones(3))
    msg = str(e.value)
    assert "scalar_branch" in msg and "returns_vector" in msg
    assert "f64[]" in msg and "f64[3]" in msg

    def int_branch(x):
        return np.int64(1)

    with pytest.raises(TypeError, match="int_branch.*scalar_branch|scalar_branch.*int_branch"):
        lax.cond(True, int_branch, scalar_branch, 2.0)

    def pair_branch(x):
        return x, x

    with pytest.raises(TypeError, match="pair_branch"):
        ftrans.grad(lambda x: lax.cond(x > 0, pair_branch, returns_vector, x))(1.0)
    # nothing is left behind: the next call works
    np.testing.assert_allclose(ftrans.grad(_sin_or_cube)(1.0), np.cos(1.0))


def test_cond_pytree_operands_and_outputs_with_closure(rng):
    a = rng.standard_normal(3)

    def f(x, y, w):
        def yes(ops):
            u, (v,) = ops
            return {"s": jnp.sin(u) * w, "t": v * u}

        def no(ops):
            u, (v,) = ops
            return {"s": u * w * w, "t": jnp.exp(v)}

        out = lax.cond(jnp.sum(x) > 0, yes, no, (x, (y,)))
        return out["s"] + out["t"]

    for x in (np.abs(a), -np.abs(a)):
        y, w = rng.standard_normal(3), rng.standard_normal(3)
        want = (np.sin(x) * w + y * x) if x.sum() > 0 else (x * w * w + np.exp(y))
        np.testing.assert_allclose(f(x, y, w), want)
        check_grads(f, (x, y, w), order=2)


# --- scan --------------------------------------------------------------------------

def _pytree_scan(c, xs):
    def body(carry, x):
        a, b = carry
        new = (a * jnp.sin(x["u"]) + b, b * 0.9 + jnp.cos(a) * x["v"])
        return new, {"y": a * x["v"], "z": (jnp.tanh(b), a + b)}
    return lax.scan(body, c, xs)


def _ref_pytree_scan(c, xs):
    a, b = c
    ys = []
    for u, v in zip(xs["u"], xs["v"]):
        ys.append((a * v, np.tanh(b), a + b))
        a, b = a * np.sin(u) + b, b * 0.9 + np.cos(a) * v
    y, z0, z1 = (np.stack(t) for t in zip(*ys))
    return (a, b), {"y": y, "z": (z0, z1)}


def test_scan_pytree_carry_and_xs_ys(rng):
    c = (rng.standard_normal(2), rng.standard_normal(2))
    xs = {"u": rng.standard_normal((5, 2)), "v": rng.standard_normal((5, 2))}
    (a, b), ys = _pytree_scan(c, xs)
    (ra, rb), rys = _ref_pytree_scan(c, xs)
    np.testing.assert_allclose(a, ra)
    np.testing.assert_allclose(b, rb)
    np.testing.assert_allclose(ys["y"], rys["y"])
    np.testing.assert_allclose(ys["z"][0], rys["z"][0])
    np.testing.assert_allclose(ys["z"][1], rys["z"][1])
    check_grads(_pytree_scan, (c, xs), order=2)


def test_scan_reverse(rng):
    def f(c, xs):
        return lax.scan(lambda c, x: (jnp.sin(c) * x + c, c * x), c, xs, reverse=True)

    c, xs = rng.standard_normal(3), rng.standard_normal((4, 3))
    carry, ys = f(c, xs)
    want_ys = np.empty_like(xs)
    for t in reversed(range(4)):
        want_ys[t] = c * xs[t]
        c = np.sin(c) * xs[t] + c
    np.testing.assert_allclose(carry, c)
    np.testing.assert_allclose(ys, want_ys)
    check_grads(f, (rng.standard_normal(3), xs), order=2)


def test_scan_length_without_xs(rng):
    def f(c):
        return lax.scan(lambda c, _: (jnp.sin(c) * 1.3, c * c), c, None, length=4)

    c0 = rng.standard_normal(2)
    carry, ys = f(c0)
    assert ys.shape == (4, 2)
    c = c0
    for t in range(4):
        np.testing.assert_allclose(ys[t], c * c)
        c = np.sin(c) * 1.3
    np.testing.assert_allclose(carry, c)
    check_grads(f, (c0,), order=2)


def test_scan_body_returning_no_ys():
    carry, ys = lax.scan(lambda c, x: (c * x, None), 1.0, np.arange(1.0, 5.0))
    assert ys is None
    np.testing.assert_allclose(carry, 24.0)
    g = ftrans.grad(lambda c: lax.scan(lambda c, x: (c * x, None), c, np.arange(1.0, 5.0))[0])
    np.testing.assert_allclose(g(2.0), 24.0)


def test_scan_closed_over_traced_value_gets_gradient(rng):
    w = rng.standard_normal((3, 3)) * 0.5

    def f(w, c, xs):
        return lax.scan(lambda c, x: (jnp.tanh(lax.dot(w, c) + x), jnp.sin(c)), c, xs)

    check_grads(f, (w, rng.standard_normal(3), rng.standard_normal((4, 3))), order=2,
                atol=1e-4, rtol=1e-4)


def test_nested_grad_of_scalar_scan_closed_form():
    # carry -> carry * x, n times from 1.0: f(x) = x**n
    n = 6

    def f(x):
        return lax.scan(lambda c, _: (c * x, None), 1.0, None, length=n)[0]

    x = 1.3
    np.testing.assert_allclose(f(x), x ** n)
    np.testing.assert_allclose(ftrans.grad(f)(x), n * x ** (n - 1), rtol=1e-12)
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(f))(x),
                               n * (n - 1) * x ** (n - 2), rtol=1e-12)
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(ftrans.grad(f)))(x),
                               n * (n - 1) * (n - 2) * x ** (n - 3), rtol=1e-12)


def test_nested_grad_of_scan_against_finite_differences():
    def f(x):
        return lax.scan(lambda c, t: (jnp.sin(c * x) + t, None), x, np.linspace(0, 1, 5))[0]

    gg = ftrans.grad(ftrans.grad(f))
    g = ftrans.grad(f)
    eps = 1e-5
    np.testing.assert_allclose(gg(0.4), (g(0.4 + eps) - g(0.4 - eps)) / (2 * eps),
                               rtol=1e-6)
    check_grads(f, (0.4,), order=2)


def test_scan_carry_type_mismatch_raises():
    with pytest.raises(TypeError, match="carry"):
        lax.scan(lambda c, x: (c * x, None), np.int64(1), np.ones(3))
    with pytest.raises(TypeError, match="carry"):
        lax.scan(lambda c, x: ((c, c), None), 1.0, np.ones(3))


def test_reverse_mode_through_scan_is_two_scans_with_stacked_residuals(rng):
    T = 7

    def f(c, xs):
        carry, ys = lax.scan(lambda c, x: (jnp.sin(c) * x, jnp.cos(c) * c), c, xs)
        return carry + lax.reduce_sum(ys, (0,))

    xs = rng.standard_normal(T)
    closed = ftrans.make_jaxpr(ftrans.grad(f))(0.3, xs)
    scans = [e for e in closed.eqns if e.primitive.name == "scan"]
    assert len(scans) == 2
    fwd, bwd = scans
    assert fwd.params["reverse"] is False and bwd.params["reverse"] is True
    assert fwd.params["length"] == bwd.params["length"] == T
    # nothing unrolled: the body's primal ops appear only inside the scans
    assert not {"sin", "cos"} & set(_prims(closed))
    # the forward scan returns per-step residuals stacked along the scan axis,
    # and the backward scan consumes them
    stacked = [v for v in fwd.outputs[1:] if v.aval.shape[:1] == (T,)]
    assert len(stacked) >= 2  # more than the ys: residuals such as cos(c)
    assert set(stacked) & set(bwd.inputs)
    np.testing.assert_allclose(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, 0.3, xs)[0],
                               ftrans.grad(f)(0.3, xs))


# --- the tanh RNN: scan vs unrolled loop vs hand-written BPTT -------------------------

def _rnn_step(params, h, x, y):
    wi, wh, wo = params
    h = jnp.tanh(lax.dot(wi, x) + lax.dot(wh, h))
    z = lax.dot(wo, h)
    z = z - lax.stop_gradient(lax.reduce_max(z, (0,)))
    log_p = z - jnp.log(lax.reduce_sum(jnp.exp(z), (0,)))
    return h, -lax.reduce_sum(y * log_p, (0,))


def rnn_loss(params, xs, ys):
    """Cross-entropy summed over time of ``softmax(Wo h_t)``, with
    ``h_t = tanh(Wi x_t + Wh h_{t-1})`` and ``h_0 = 0``."""
    h0 = np.zeros(params[1].shape[0])
    _, losses = lax.scan(lambda h, xy: _rnn_step(params, h, *xy), h0, (xs, ys))
    return lax.reduce_sum(losses, (0,))


def rnn_loss_unrolled(params, xs, ys):
    h, total = np.zeros(params[1].shape[0]), 0.0
    for x, y in zip(xs, ys):
        h, loss = _rnn_step(params, h, x, y)
        total = total + loss
    return total


def _bptt_numpy(params, xs, ys):
    """Backpropagation through time, by hand: returns (loss, dWi, dWh, dWo)."""
    wi, wh, wo = params
    hs, ps = [np.zeros(wh.shape[0])], []
    for x in xs:
        hs.append(np.tanh(wi @ x + wh @ hs[-1]))
        z = wo @ hs[-1]
        e = np.exp(z - z.max())
        ps.append(e / e.sum())
    loss = -sum(np.log(p) @ y for p, y in zip(ps, ys))
    d_wi, d_wh, d_wo = np.zeros_like(wi), np.zeros_like(wh), np.zeros_like(wo)
    d_h_next = np.zeros(wh.shape[0])
    for t in reversed(range(len(xs))):
        d_z = ps[t] - ys[t]                      # softmax + cross-entropy
        d_wo += np.outer(d_z, hs[t + 1])
        d_h = wo.T @ d_z + d_h_next              # from the output and from step t+1
        d_a = d_h * (1 - hs[t + 1] ** 2)         # through tanh
        d_wi += np.outer(d_a, xs[t])
        d_wh += np.outer(d_a, hs[t])             # this step's contribution to dC/dWh
        d_h_next = wh.T @ d_a
    return loss, d_wi, d_wh, d_wo


def _rnn_problem(rng, T, D=4, H=6, V=4):
    params = (rng.standard_normal((H, D)) * 0.5, rng.standard_normal((H, H)) * 0.5,
              rng.standard_normal((V, H)) * 0.5)
    symbols = rng.integers(0, D, T)
    xs = np.eye(D)[symbols]
    ys = np.eye(V)[np.roll(symbols, 1) % V]  # predict the previous symbol
    return params, xs, ys


def test_rnn_grad_equals_handwritten_bptt_and_unrolled_loop(rng):
    params, xs, ys = _rnn_problem(rng, T=9)
    want_loss, *want = _bptt_numpy(params, xs, ys)
    loss, grads = ftrans.value_and_grad(rnn_loss)(params, xs, ys)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-12)
    for g, w in zip(grads, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    unrolled = ftrans.grad(rnn_loss_unrolled)(params, xs, ys)
    for g, u in zip(grads, unrolled):
        np.testing.assert_allclose(g, u, rtol=1e-10, atol=1e-12)


def test_rnn_check_grads(rng):
    params, xs, ys = _rnn_problem(rng, T=4, D=3, H=3, V=3)
    check_grads(lambda p: rnn_loss(p, xs, ys), (params,), order=2, atol=1e-4, rtol=1e-4)


def test_rnn_grad_jaxpr_does_not_grow_with_sequence_length(rng):
    sizes = {}
    for T in (10, 1000):
        params, xs, ys = _rnn_problem(rng, T)
        closed = ftrans.make_jaxpr(ftrans.grad(rnn_loss))(params, xs, ys)
        scans = [e for e in closed.eqns if e.primitive.name == "scan"]
        assert [s.params["reverse"] for s in scans] == [False, True]
        assert "tanh" not in _prims(closed)
        sizes[T] = (len(closed.eqns), _count_eqns(closed))
    assert sizes[10] == sizes[1000]
    # and the unrolled loop's does grow
    params, xs, ys = _rnn_problem(rng, 3)
    n3 = len(ftrans.make_jaxpr(ftrans.grad(rnn_loss_unrolled))(params, xs, ys).eqns)
    params, xs, ys = _rnn_problem(rng, 6)
    n6 = len(ftrans.make_jaxpr(ftrans.grad(rnn_loss_unrolled))(params, xs, ys).eqns)
    assert n6 > n3


# --- fori_loop ------------------------------------------------------------------------

def test_fori_loop_with_concrete_bounds_lowers_to_scan():
    def f(x):
        return lax.fori_loop(0, 5, lambda i, v: v + jnp.sin(i * x), 0.0 * x)

    closed = ftrans.make_jaxpr(f)(0.3)
    assert "scan" in _prims(closed) and "while" not in _prims(closed)
    x = 0.3
    i = np.arange(5)
    np.testing.assert_allclose(f(x), np.sin(i * x).sum())
    np.testing.assert_allclose(ftrans.grad(f)(x), (i * np.cos(i * x)).sum(), rtol=1e-12)
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(f))(x),
                               (-i * i * np.sin(i * x)).sum(), rtol=1e-12)
    check_grads(f, (x,), order=2)


def test_fori_loop_pytree_state_and_empty_range(rng):
    def f(a, b, lo, hi):
        return lax.fori_loop(lo, hi, lambda i, s: (s[0] * jnp.cos(s[1]), s[1] + s[0]),
                             (a, b))

    a, b = rng.standard_normal(2), rng.standard_normal(2)
    check_grads(lambda a, b: f(a, b, 2, 6), (a, b), order=2)
    out = f(a, b, 4, 1)  # no iterations
    np.testing.assert_allclose(out[0], a)
    np.testing.assert_allclose(out[1], b)


# --- while_loop ---------------------------------------------------------------------

def _while_sin(x):
    def body(state):
        i, v = state
        return i + 1, jnp.sin(v) * 1.3 + x * 0.1
    return lax.while_loop(lambda s: s[0] < 4, body, (0, x))[1]


def test_while_loop_value_and_forward_mode(rng):
    x = rng.standard_normal(3)
    v = x
    for _ in range(4):
        v = np.sin(v) * 1.3 + x * 0.1
    np.testing.assert_allclose(_while_sin(x), v)
    check_grads(_while_sin, (x,), order=2, modes=("fwd",))
    jac = ftrans.jacfwd(_while_sin)(x)
    # linearize runs the primal loop once, and the linear part reruns it
    y, f_jvp = ftrans.linearize(_while_sin, x)
    np.testing.assert_allclose(y, v)
    np.testing.assert_allclose(f_jvp(np.eye(3)[1]), jac[:, 1])
    eps = 1e-6
    fd = np.stack([(_while_sin(x + eps * e) - _while_sin(x - eps * e)) / (2 * eps)
                   for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(jac, fd, rtol=1e-6, atol=1e-8)


def _fd_jacobian(f, x, eps=1e-6):
    return np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps)
                     for e in np.eye(x.size)], axis=-1)


def test_jacfwd_of_while_nested_in_scan_and_cond(rng):
    # linearize splits a while loop: the primal loop runs in the known part,
    # the whole JVP loop in the linear part
    def inner(v, a):
        return lax.while_loop(lambda s: s[0] < 3,
                              lambda s: (s[0] + 1, jnp.sin(s[1]) * a), (0, v))[1]

    def in_scan(x):
        return lax.scan(lambda c, t: (inner(c, t), c * t), x, np.array([1.1, 0.9, 1.2]))[0]

    def in_cond(x):
        return lax.cond(x[0] > 0, lambda x: inner(x, 1.3), lambda x: x * 2.0, x)

    x = rng.uniform(0.2, 0.8, 2)
    for f in (in_scan, in_cond):
        np.testing.assert_allclose(ftrans.jacfwd(f)(x), _fd_jacobian(f, x),
                                   rtol=1e-7, atol=1e-9)
    # the loop condition reads a float carry that has a tangent
    doubling = lambda x: lax.while_loop(lambda s: s < 10.0, lambda s: s * 2.0, x)  # noqa: E731
    np.testing.assert_allclose(ftrans.jacfwd(doubling)(1.5), 8.0)
    # a closed-over traced value as a loop constant
    power = lambda a: lax.while_loop(lambda s: s[0] < 4,  # noqa: E731
                                     lambda s: (s[0] + 1, s[1] * a), (0, 1.0))[1]
    np.testing.assert_allclose(ftrans.linearize(power, 1.5)[1](1.0), 4 * 1.5 ** 3)


def test_while_loop_data_dependent_trip_count_forward_mode():
    # Newton's iteration for sqrt(a), stopping when converged
    def newton_sqrt(a):
        def body(s):
            x, _ = s
            return x - (x * x - a) / (2 * x), x
        return lax.while_loop(lambda s: jnp.abs(s[0] - s[1]) > 1e-12, body, (a, a + 1.0))[0]

    np.testing.assert_allclose(newton_sqrt(2.0), np.sqrt(2.0))
    _, t = ftrans.jvp(newton_sqrt, (2.0,), (1.0,))
    np.testing.assert_allclose(t, 0.5 / np.sqrt(2.0), rtol=1e-8)


def test_while_loop_reverse_mode_raises_a_clear_error():
    for f in (_while_sin,
              lambda x: lax.fori_loop(0, np.asarray(3), lambda i, v: jnp.sin(v), x)):
        with pytest.raises(ValueError) as e:
            ftrans.grad(f)(0.5)
        msg = str(e.value)
        assert "while_loop" in msg and "Reverse-mode" in msg
        assert "number of iterations" in msg           # why
        assert "scan" in msg and "fori_loop" in msg    # what to use instead
    with pytest.raises(ValueError, match="while_loop"):
        ftrans.jacrev(_while_sin)(np.ones(2))
    np.testing.assert_allclose(ftrans.grad(_sin_or_cube)(1.0), np.cos(1.0))


def test_fori_loop_with_traced_bounds_is_a_while_loop():
    f = lambda x, n: lax.fori_loop(0, n, lambda i, v: v * x, 1.0)  # noqa: E731
    closed = ftrans.make_jaxpr(f)(2.0, np.int64(3))
    assert "while" in _prims(closed)
    np.testing.assert_allclose(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, 2.0,
                                                 np.int64(5))[0], 32.0)
    _, t = ftrans.jvp(lambda x: f(x, np.asarray(4)), (1.5,), (1.0,))
    np.testing.assert_allclose(t, 4 * 1.5 ** 3)


# --- Python loops under grad ---------------------------------------------------------

def test_python_for_loop_over_concrete_range_unrolls():
    def f(x):
        for k in range(4):
            x = jnp.sin(x) * (k + 1.0)
        return x

    def f_np(x):
        for k in range(4):
            x = np.sin(x) * (k + 1.0)
        return x

    x, eps = 0.4, 1e-6
    np.testing.assert_allclose(ftrans.grad(f)(x), (f_np(x + eps) - f_np(x - eps)) / (2 * eps),
                               rtol=1e-7)
    closed = ftrans.make_jaxpr(ftrans.grad(f))(x)
    assert _prims(closed).count("sin") == 4 and "scan" not in _prims(closed)
    check_grads(f, (x,), order=2)


def test_python_loop_with_value_dependent_exit_under_grad():
    def f(x):
        steps = 0
        while x < 10.0:       # concrete under grad: Python control flow works
            x = x * 2.0
            steps += 1
        return x

    np.testing.assert_allclose(ftrans.grad(f)(1.5), 8.0)   # 1.5 -> 12 in 3 doublings
    np.testing.assert_allclose(ftrans.grad(f)(3.0), 4.0)   # 3 -> 12 in 2 doublings
