"""``ftrans.jacobian(mode="auto")``: the plan picks forward mode for tall
Jacobians and reverse mode for wide ones from the analysed cost of the
jaxprs, chunks to fit a memory limit, and gives exactly the values of
``jacfwd``/``jacrev``."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.tree_util import tree_flatten


def _mlp(n, m, rng, hidden=32):
    A = rng.standard_normal((hidden, n)) / np.sqrt(n)
    B = rng.standard_normal((m, hidden)) / np.sqrt(hidden)
    return lambda x: jnp.tanh(B @ jnp.sin(A @ x))


def _same(a, b):
    fa, ta = tree_flatten(a)
    fb, tb = tree_flatten(b)
    assert ta == tb
    for x, y in zip(fa, fb):
        assert x.shape == y.shape and x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("n, m, expected", [(20, 2000, "fwd"), (2000, 20, "rev")])
def test_auto_picks_the_cheaper_mode(n, m, expected, rng):
    f, x = _mlp(n, m, rng), rng.standard_normal(n)
    jac = ftrans.jacobian(f)
    plan = jac.plan(x)
    assert plan.mode == expected and plan.chunk_size is None and plan.fits
    assert (plan.forward.width, plan.reverse.width) == (n, m)
    cheaper, dearer = (plan.forward, plan.reverse) if expected == "fwd" else \
        (plan.reverse, plan.forward)
    assert cheaper.flops * 5 < dearer.flops
    assert cheaper.peak_bytes < dearer.peak_bytes
    _same(jac(x), (ftrans.jacfwd if expected == "fwd" else ftrans.jacrev)(f)(x))


def test_square_prints_both_costs(rng):
    f, x = _mlp(500, 500, rng), rng.standard_normal(500)
    jac = ftrans.jacobian(f)
    plan = jac.plan(x)
    text = str(plan)
    print(text)
    assert plan.mode in ("fwd", "rev")
    assert "fwd: 500 JVP columns" in text and "rev: 500 VJP rows" in text
    assert text.count("flops") == 2 and text.count("peak") == 2
    assert plan.forward.flops > 0 and plan.reverse.flops > 0
    _same(jac(x), (ftrans.jacfwd if plan.mode == "fwd" else ftrans.jacrev)(f)(x))


@pytest.mark.parametrize("mode, reference", [("fwd", ftrans.jacfwd), ("rev", ftrans.jacrev)])
def test_explicit_modes_are_jacfwd_and_jacrev(mode, reference, rng):
    f, x = _mlp(7, 5, rng), rng.standard_normal(7)
    _same(ftrans.jacobian(f, mode=mode)(x), reference(f)(x))
    assert ftrans.jacobian(f, mode=mode).plan(x).mode == mode
    _same(ftrans.jacobian(f, mode=mode, chunk_size=2)(x), reference(f, chunk_size=2)(x))


def _deep(n, m, rng, depth=6, hidden=256):
    """Wide, with many big residuals: reverse mode at full width holds
    ``m x hidden`` cotangents per layer."""
    W = [rng.standard_normal((hidden, n)) / np.sqrt(n)] + \
        [rng.standard_normal((hidden, hidden)) / np.sqrt(hidden) for _ in range(depth)]
    B = rng.standard_normal((m, hidden)) / np.sqrt(hidden)

    def f(x):
        h = x
        for w in W:
            h = jnp.tanh(w @ h)
        return B @ h
    return f


def test_memory_limit_chunks_or_switches(rng):
    f, x = _deep(300, 200, rng), rng.standard_normal(300)
    free = ftrans.jacobian(f).plan(x)
    chosen = free.chosen
    assert chosen.chunk_size == chosen.width
    # between the residuals and the unchunked peak: only a chunked pass fits
    limit = (chosen.residual_bytes + chosen.peak_bytes) // 2
    plan = ftrans.jacobian(f, memory_limit=limit).plan(x)
    print(free, plan, sep="\n")
    assert plan.fits and plan.chosen.peak_bytes <= limit
    assert plan.mode != free.mode or plan.chunk_size < chosen.width
    # the largest such chunk: one more vector per chunk would not fit
    if plan.chunk_size is not None:
        one_more = ftrans.jacobian(f, mode=plan.mode, chunk_size=plan.chunk_size + 1,
                                   memory_limit=None)
        assert one_more.plan(x).chosen.peak_bytes > limit
    reference = ftrans.jacfwd if plan.mode == "fwd" else ftrans.jacrev
    J = ftrans.jacobian(f, memory_limit=limit)(x)
    _same(J, reference(f, chunk_size=plan.chunk_size)(x))
    np.testing.assert_allclose(J, ftrans.jacrev(f)(x), rtol=1e-12, atol=1e-12)


def test_reverse_residuals_over_the_limit(rng):
    # wide, so reverse mode is cheaper; but the limit leaves no room for a
    # reverse pass of full width
    f, x = _deep(2000, 20, rng, depth=3, hidden=64), rng.standard_normal(2000)
    free = ftrans.jacobian(f).plan(x)
    assert free.mode == "rev"
    limit = free.reverse.peak_bytes - 1
    plan = ftrans.jacobian(f, memory_limit=limit).plan(x)
    assert plan.fits and plan.chosen.peak_bytes <= limit
    assert plan.mode == "fwd" or plan.chunk_size < 20
    assert "memory limit" in str(plan)
    np.testing.assert_allclose(ftrans.jacobian(f, memory_limit=limit)(x), ftrans.jacrev(f)(x),
                               rtol=1e-12, atol=1e-12)


def test_no_chunking_fits_is_reported_and_still_correct(rng):
    f, x = _mlp(6, 4, rng), rng.standard_normal(6)
    plan = ftrans.jacobian(f, memory_limit=1).plan(x)
    assert not plan.fits and plan.chunk_size == 1
    assert "no chunking fits" in str(plan)
    np.testing.assert_allclose(ftrans.jacobian(f, memory_limit=1)(x), ftrans.jacfwd(f)(x),
                               rtol=1e-12)


def test_pytrees_in_and_out(rng):
    def f(p, scale):
        y = jnp.sin(p["w"]) @ p["b"] * scale
        return {"y": y, "z": (jnp.sum(p["b"] ** 2), jnp.exp(p["w"][0]))}

    p = {"w": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
    for argnums in (0, (0, 1)):
        jac = ftrans.jacobian(f, argnums=argnums)
        plan = jac.plan(p, 2.0)
        assert plan.forward.width == 16 + (argnums != 0)
        assert plan.reverse.width == 3 + 1 + 4
        reference = ftrans.jacfwd if plan.mode == "fwd" else ftrans.jacrev
        _same(jac(p, 2.0), reference(f, argnums=argnums)(p, 2.0))
        _same(ftrans.jacobian(f, argnums, mode="fwd")(p, 2.0), ftrans.jacfwd(f, argnums)(p, 2.0))
        _same(ftrans.jacobian(f, argnums, mode="rev")(p, 2.0), ftrans.jacrev(f, argnums)(p, 2.0))


def test_has_aux(rng):
    def f(x):
        return jnp.tanh(x) * 2.0, {"norm": jnp.sum(x ** 2)}

    x = rng.standard_normal(5)
    J, aux = ftrans.jacobian(f, has_aux=True)(x)
    J_rev, aux_rev = ftrans.jacrev(f, has_aux=True)(x)
    np.testing.assert_allclose(J, J_rev, rtol=1e-14)
    _same(aux, aux_rev)


def test_bad_mode():
    with pytest.raises(ValueError, match="mode must be one of"):
        ftrans.jacobian(jnp.sin, mode="forward")


# --- hessian: the same analysis for its inner and outer modes -----------------------

def test_hessian_of_a_scalar_function_goes_forward_over_reverse(rng):
    a = rng.standard_normal((30, 40)) / 6
    f = lambda x: jnp.sum(jnp.tanh(a @ x))  # noqa: E731
    x = rng.standard_normal(40)
    outer, inner = ftrans.hessian(f).plan(x)
    assert inner.mode == "rev"  # one row (the gradient) against 40 columns
    assert inner.reverse.flops < inner.forward.flops
    H = ftrans.hessian(f)(x)
    t = np.tanh(a @ x)
    closed_form = a.T @ np.diag(-2 * t * (1 - t ** 2)) @ a
    np.testing.assert_allclose(H, closed_form, rtol=1e-12, atol=1e-14)
    for mode in [("fwd", "rev"), ("rev", "rev"), ("fwd", "fwd"), ("rev", "fwd")]:
        np.testing.assert_allclose(ftrans.hessian(f, mode=mode)(x), H, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ftrans.jacfwd(ftrans.jacrev(f))(x), H, rtol=1e-12, atol=1e-14)


def test_hessian_of_a_tall_function_goes_forward_inside(rng):
    a = rng.standard_normal((400, 3))
    f = lambda x: jnp.sin(a @ x)  # noqa: E731  R^3 -> R^400: a 400 x 3 x 3 Hessian
    x = rng.standard_normal(3)
    outer, inner = ftrans.hessian(f).plan(x)
    assert inner.mode == "fwd" and outer.mode == "fwd"
    H = ftrans.hessian(f)(x)
    closed_form = -np.sin(a @ x)[:, None, None] * a[:, :, None] * a[:, None, :]
    np.testing.assert_allclose(H, closed_form, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ftrans.hessian(f, mode=("fwd", "rev"))(x), H, rtol=1e-12,
                               atol=1e-13)
