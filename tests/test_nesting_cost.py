"""Cost that grows with nesting (issue 8 §5): deriving nested control flow
calls each sub-jaxpr primitive's rules a number of times linear in the
nesting depth (counted, not timed), and nesting works to 1,000 levels."""

import collections
import sys
import threading

import numpy as np
import pytest

import ftrans
import ftrans.core
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.check import check_jaxpr
from ftrans.derivatives import cache_clear
from ftrans.prims.control import cond_p, scan_p, while_p

RULES = ("partial_eval", "transpose", "dce", "jvp")


@pytest.fixture
def counts(monkeypatch):
    """How often each rule of cond, scan and while runs."""
    seen = collections.Counter()
    for prim in (cond_p, scan_p, while_p):
        for rule in RULES:
            f = getattr(prim, rule)
            if f is None:
                continue

            def counted(*args, _f=f, _key=(prim.name, rule), **kwargs):
                seen[_key] += 1
                return _f(*args, **kwargs)

            monkeypatch.setattr(prim, rule, counted)
    return seen


def nested_cond(x, k):
    if k == 0:
        return jnp.sin(x)
    return lax.cond(jnp.sum(x) > -100.0, lambda u: nested_cond(u, k - 1) * 1.001,
                    lambda u: u, x)


def nested_cond_pair(x, k):
    """Two outputs, one unused by the enclosing level: DCE of cond runs too."""
    if k == 0:
        return jnp.sin(x), jnp.cos(x)
    return lax.cond(jnp.sum(x) > -100.0,
                    lambda u: (nested_cond_pair(u, k - 1)[0] * 1.001, jnp.exp(u)),
                    lambda u: (u, u), x)


def nested_scan(x, k):
    if k == 0:
        return jnp.sin(x)

    def body(c, xi):
        return nested_scan(c, k - 1) * 1.001 + xi, jnp.sum(c)

    c, ys = lax.scan(body, x, jnp.ones((2,) + x.shape))
    return c + jnp.sum(ys)


def nested_scan_late(x, k):
    """The carry starts known (zeros) and becomes unknown through xs, so each
    fixed point takes two rounds; the ys are unused, so DCE of scan runs."""
    if k == 0:
        return jnp.sin(x)

    def body(c, xi):
        return nested_scan_late(c + xi, k - 1) * 1.001, jnp.sum(c)

    c, _ = lax.scan(body, jnp.zeros_like(x), jnp.stack([x, x]))
    return c


def nested_while(x, k):
    if k == 0:
        return jnp.sin(x)

    def body(s):
        i, c = s
        return i + 1, nested_while(c, k - 1) * 1.001

    return lax.while_loop(lambda s: s[0] < 2, body, (0, x))[1]


def _grad_counts(counts, fn, depth):
    cache_clear()
    counts.clear()
    ftrans.grad(lambda x: jnp.sum(fn(x, depth)))(np.array([0.3, 0.7]))
    return dict(counts)


def _assert_linear(per_depth):
    """Each rule's count at depth d is at most d times its count at depth 1
    (plus one per level): linear, where it doubled per level before."""
    first = per_depth[1]
    for d, c in per_depth.items():
        for key, n in c.items():
            assert n <= d * (first.get(key, 0) + 1), (d, key, n, per_depth)


def test_cond_in_cond_rules_run_linearly_often(counts):
    per_depth = {d: _grad_counts(counts, nested_cond, d) for d in range(1, 17)}
    _assert_linear(per_depth)
    assert per_depth[16][("cond", "partial_eval")] == 16


def test_cond_dce_in_cond_runs_linearly_often(counts):
    def first(x, k):
        return nested_cond_pair(x, k)[0]

    per_depth = {d: _grad_counts(counts, first, d) for d in range(1, 13)}
    _assert_linear(per_depth)
    assert per_depth[12][("cond", "dce")] >= 12


@pytest.mark.parametrize("fn", [nested_scan, nested_scan_late])
def test_scan_in_scan_rules_run_linearly_often(counts, fn):
    per_depth = {d: _grad_counts(counts, fn, d) for d in range(1, 9)}
    _assert_linear(per_depth)


def test_while_in_while_forward_rules_run_linearly_often(counts):
    per_depth = {}
    for d in range(1, 9):
        cache_clear()
        counts.clear()
        f = lambda x: jnp.sum(nested_while(x, d))  # noqa: E731
        ftrans.jvp(f, (np.array([0.3, 0.7]),), (np.ones(2),))
        per_depth[d] = dict(counts)
    _assert_linear(per_depth)


def _numeric_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


@pytest.mark.parametrize("depth", [12, 30])
def test_nested_cond_gradients_match_finite_differences(depth):
    # beyond 8 residuals a cond packs them into one array per dtype
    x = np.array([0.3, 0.7])
    f = lambda x: jnp.sum(nested_cond(x, depth))  # noqa: E731
    np.testing.assert_allclose(ftrans.grad(f)(x), _numeric_grad(f, x), rtol=1e-6)
    # second order goes through the packing and unpacking equations
    h = ftrans.hessian(f)(x)
    num = np.stack([_numeric_grad(lambda y: ftrans.grad(f)(y)[i], x) for i in range(2)])
    np.testing.assert_allclose(h, num, rtol=1e-5, atol=1e-8)


def test_packed_residuals_of_mixed_types_and_branches():
    # one branch with many residuals of several shapes and dtypes, one with
    # a few, one with none
    def many(u):
        y = u
        for k in range(6):
            y = jnp.sin(y) * jnp.cos(y[::-1]) + jnp.float32(k) * 0.0
        i = jnp.argmax(u).astype(np.int32)
        return jnp.tanh(y) * jnp.sum(jnp.exp(u[i]) * u)

    def few(u):
        return jnp.exp(u) * u

    def f(x):
        out = lax.switch(jnp.sum(x) > 0, [few, many, lambda u: u * 2.0], x)
        return jnp.sum(out ** 2)

    for x in [np.array([0.3, -0.7, 0.2]), np.array([-0.3, -0.7, 0.2])]:
        np.testing.assert_allclose(ftrans.grad(f)(x), _numeric_grad(f, x), rtol=1e-6)
        h = ftrans.hessian(f)(x)
        num = np.stack([_numeric_grad(lambda y: ftrans.grad(f)(y)[i], x) for i in range(3)])
        np.testing.assert_allclose(h, num, rtol=1e-5, atol=1e-7)


# --- 1,000 levels ------------------------------------------------------------------

@pytest.fixture
def no_checks(monkeypatch):
    # checking every jaxpr as it is built re-checks all the levels below it:
    # quadratic in the depth. The results are checked once instead.
    monkeypatch.setattr(ftrans.core, "build_hooks", [])


def test_grad_jvp_vjp_make_jaxpr_through_1000_nested_conds(no_checks):
    limit = sys.getrecursionlimit()
    x = np.array([0.3, 0.7])
    f = lambda x: jnp.sum(nested_cond(x, 1000))  # noqa: E731
    want = np.sum(np.sin(x)) * 1.001 ** 1000
    np.testing.assert_allclose(f(x), want)  # eager: 1,000 nested conds, no grad
    closed = ftrans.make_jaxpr(f)(x)
    check_jaxpr(closed)
    assert str(closed).count("cond[") == 1000
    np.testing.assert_allclose(ftrans.grad(f)(x), np.cos(x) * 1.001 ** 1000)
    y, y_dot = ftrans.jvp(f, (x,), (np.ones(2),))
    np.testing.assert_allclose(y_dot, np.sum(np.cos(x)) * 1.001 ** 1000)
    _, f_vjp = ftrans.vjp(f, x)
    np.testing.assert_allclose(f_vjp(1.0)[0], np.cos(x) * 1.001 ** 1000)
    assert sys.getrecursionlimit() == limit


def test_1000_nested_scans(no_checks):
    def nest(x, k):
        if k == 0:
            return jnp.sin(x)
        return lax.scan(lambda c, _: (nest(c, k - 1) * 1.001, None), x, None, length=1)[0]

    x = np.array([0.3, 0.7])
    f = lambda x: jnp.sum(nest(x, 1000))  # noqa: E731
    np.testing.assert_allclose(ftrans.jvp(f, (x,), (np.ones(2),))[1],
                               np.sum(np.cos(x)) * 1.001 ** 1000)
    # reverse mode stacks each level's residuals along its scan axis: numpy's
    # 64 dimensions bound the depth
    g = lambda x: jnp.sum(nest(x, 60))  # noqa: E731
    np.testing.assert_allclose(ftrans.grad(g)(x), np.cos(x) * 1.001 ** 60)


def test_1000_nested_transformations(no_checks):
    jvp_chain = vjp_chain = lambda x: 3.0 * x  # noqa: E731
    for _ in range(1000):
        jvp_chain = (lambda g: lambda x: ftrans.jvp(g, (x,), (x,))[1])(jvp_chain)
        vjp_chain = (lambda g: lambda x: ftrans.vjp(g, x)[1](x)[0])(vjp_chain)
    assert float(jvp_chain(0.5)) == 1.5
    assert float(vjp_chain(0.5)) == 1.5
    assert len(ftrans.make_jaxpr(jvp_chain)(0.5).eqns) <= 2


def test_deep_nesting_in_threads_restores_the_limit(no_checks):
    limit = sys.getrecursionlimit()
    results, errors = [], []

    def work():
        try:
            results.append(float(jnp.sum(ftrans.grad(
                lambda x: jnp.sum(nested_cond(x, 400)))(np.array([0.3, 0.7])))))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 2 and results[0] == results[1]
    assert sys.getrecursionlimit() == limit


def test_too_deep_raises_recursion_error_not_a_crash(no_checks):
    limit = sys.getrecursionlimit()
    with pytest.raises(RecursionError):
        ftrans.make_jaxpr(lambda x: nested_cond(x, 4000))(np.ones(2))
    assert sys.getrecursionlimit() == limit
    # and the next call works as if nothing happened
    assert ftrans.make_jaxpr(lambda x: nested_cond(x, 3))(np.ones(2)) is not None
