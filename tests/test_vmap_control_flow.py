"""``vmap`` of control flow: ``cond``/``switch``, ``scan``, ``while_loop`` and
``fori_loop``, with batched and unbatched predicates, carries, xs and
captured constants, batch axes anywhere, and nested with ``grad``, ``jvp``
and ``vmap``. Every result equals a Python loop over the examples, stacked
with numpy. The structure is read off the jaxprs: an unbatched predicate
keeps one ``cond`` (a batched one runs every branch and selects), a batched
``scan`` is one ``scan`` (nothing unrolled)."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.tree_util import tree_flatten, tree_map


def loop(f, *args, in_axes=0):
    """``f`` on each example (unbatched arguments passed whole), stacked."""
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    n = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    outs = [f(*[a if ax is None else np.take(a, b, axis=ax) for a, ax in zip(args, axes)])
            for b in range(n)]
    return tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *outs)


def close(got, want, tol=1e-13):
    g, w = tree_flatten(got)[0], tree_flatten(want)[0]
    assert len(g) == len(w)
    for a, b in zip(g, w):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def check(f, *args, in_axes=0):
    close(ftrans.vmap(f, in_axes=in_axes)(*args), loop(f, *args, in_axes=in_axes))


def prims(f, *args, in_axes=0):
    closed = ftrans.make_jaxpr(ftrans.vmap(f, in_axes=in_axes))(*args)
    return [e.primitive.name for e in closed.eqns]


XS = np.linspace(-1.5, 1.5, 5)
M = np.linspace(-1.0, 1.0, 20).reshape(5, 4)


# --- cond / switch -------------------------------------------------------------------

def test_unbatched_predicate_keeps_one_cond_and_batches_the_branches():
    def f(p, x):
        return lax.cond(p > 0, lambda u: jnp.sin(u) * u, lambda u: u * 3.0, x)

    for p in (1.0, -1.0):
        check(f, p, M, in_axes=(None, 0))
        check(f, p, M, in_axes=(None, 1))
    assert prims(f, 1.0, M, in_axes=(None, 1)).count("cond") == 1
    assert "select_n" not in prims(f, 1.0, M, in_axes=(None, 1))


def test_branches_that_disagree_on_batching_share_one_layout():
    # one branch returns its (batched) operand, the other a constant, and a
    # second output is batched along different axes in the two branches
    def f(p, x):
        return lax.cond(p > 0, lambda u: (u, jnp.sum(u) * jnp.ones(3)),
                        lambda u: (jnp.zeros(4), jnp.ones(3)), x)

    for p in (1.0, -1.0):
        check(f, p, M, in_axes=(None, 0))
        check(f, p, M.T.copy(), in_axes=(None, 1))


def test_batched_predicate_runs_every_branch_and_selects():
    def f(p, x):
        return lax.cond(p > 0, lambda u: (jnp.sin(u), 2.0), lambda u: (u * 3.0, -1.0), x)

    ps = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    check(f, ps, M)
    check(f, ps, M.T.copy(), in_axes=(0, 1))
    # only the predicate batched: the unbatched operand goes to every example
    check(f, ps, M[0], in_axes=(0, None))
    assert "select_n" in prims(f, ps, M)


def test_switch_with_a_batched_index_is_clamped_as_unbatched():
    branches = [lambda u, v: u + v, lambda u, v: u * v, lambda u, v: -u, lambda u, v: v]
    idx = np.array([-3, 0, 1, 2, 3, 7])
    xs = np.linspace(0.0, 1.0, 12).reshape(6, 2)
    check(lambda i, x, y: lax.switch(i, branches, x, y), idx, xs, xs[::-1].copy())
    check(lambda i, x, y: lax.switch(i, branches, x, y), idx, xs, xs[0], in_axes=(0, 0, None))


def test_an_out_of_range_index_of_the_primitive_is_clamped_as_its_impl_does():
    from ftrans.prims.control import cond_p
    branches = tuple(ftrans.make_jaxpr(b)(0.0) for b in
                     (lambda u: u + 1.0, lambda u: u * 2.0, lambda u: -u))
    f = lambda i, x: cond_p.bind(i, x, branches=branches)[0]  # noqa: E731
    check(f, np.array([-2, 0, 1, 2, 5], np.int32), XS)
    check(f, np.array([-2, 0, 1, 2, 5], np.int32), 0.5, in_axes=(0, None))


def test_per_example_gradients_through_cond_both_ways():
    def f(p, x):
        return jnp.sum(lax.cond(p > 0, lambda u: jnp.sin(u) * u, lambda u: u ** 3, x))

    ps = np.array([1.0, -1.0, -1.0, 1.0, 1.0])
    check(ftrans.grad(f, argnums=1), ps, M)
    check(ftrans.grad(f, argnums=1), 1.0, M, in_axes=(None, 0))
    # grad of a vmapped function: the sum over examples of the loop's gradients
    got = ftrans.grad(lambda x: jnp.sum(ftrans.vmap(f)(ps, x)))(M)
    close(got, loop(ftrans.grad(f, argnums=1), ps, M))


def test_nested_vmap_of_cond_with_batched_predicates():
    def f(p, x):
        return lax.cond(p > 0, jnp.sin, jnp.cos, x)

    ps = np.sign(np.linspace(-1.0, 1.0, 12).reshape(3, 4) + 0.01)
    xs = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    got = ftrans.vmap(ftrans.vmap(f))(ps, xs)
    close(got, np.where(ps > 0, np.sin(xs), np.cos(xs)))
    # the inner predicate unbatched, the outer one batched
    got = ftrans.vmap(ftrans.vmap(f, in_axes=(None, 0)), in_axes=(0, 1))(ps[:, 0], xs.T)
    close(got, np.where(ps[:, :1] > 0, np.sin(xs), np.cos(xs)))


def test_cond_with_a_batched_constant_captured_by_a_branch():
    def f(w, x):
        return lax.cond(x > 0, lambda u: u * w, lambda u: u - w, x)

    check(f, np.arange(5.0), XS)
    check(f, 2.0, XS, in_axes=(None, 0))
    check(f, np.arange(5.0), 0.5, in_axes=(0, None))


# --- scan ----------------------------------------------------------------------------

def _rnn(w, h0, xs):
    def step(h, x):
        h = jnp.tanh(w * h + x)
        return h, (h * 2.0, jnp.sum(x))
    return lax.scan(step, h0, xs)


def test_scan_with_every_combination_of_batched_inputs():
    w = np.linspace(0.5, 1.0, 5)
    h0 = np.linspace(-1.0, 1.0, 15).reshape(5, 3)
    xs = np.linspace(-1.0, 1.0, 60).reshape(5, 4, 3)
    for axes in [(0, 0, 0), (None, 0, 0), (0, None, None), (None, None, 0),
                 (None, 0, None), (0, 1, 1), (None, 1, 2)]:
        args = [a if ax in (0, None) else np.moveaxis(a, 0, ax)
                for a, ax in zip((w, h0, xs), axes)]
        args = [a[0] if ax is None else a for a, ax in zip(args, axes)]
        check(_rnn, *args, in_axes=axes)


def test_batched_scan_is_one_scan():
    names = prims(_rnn, 0.5, np.ones((5, 3)), np.ones((5, 4, 3)), in_axes=(None, 0, 0))
    assert names.count("scan") == 1


def test_scan_carry_that_stays_unbatched_and_one_reset_by_the_body():
    def f(c, xs):
        def step(carry, x):
            i, c, z = carry
            return (i + 1, c * x, jnp.zeros(())), z + c
        return lax.scan(step, (np.int64(0), c, 1.0), xs)

    check(f, XS, np.linspace(0.5, 1.5, 15).reshape(5, 3))
    check(f, 2.0, np.linspace(0.5, 1.5, 15).reshape(3, 5), in_axes=(None, 1))


def test_carry_batched_through_a_chain_found_by_the_fixed_point():
    # only w is batched; it reaches c only on the second step, through b
    def f(w, xs):
        def step(carry, x):
            a, b, c = carry
            return (b, w * x, a + c), c
        return lax.scan(step, (0.0, 0.0, 1.0), xs)

    check(f, XS, np.linspace(0.5, 1.5, 4), in_axes=(0, None))

    def g(w):
        return lax.while_loop(lambda s: s[0] < 4, lambda s: (s[0] + 1, s[2], w * 2.0, s[1]),
                              (0, 1.0, 1.0, 1.0))

    check(g, XS)


def test_scan_reverse_and_without_xs():
    f = lambda c, xs: lax.scan(lambda c, x: (jnp.sin(c) * x + c, c * x), c, xs,  # noqa: E731
                               reverse=True)
    xs = np.linspace(-1.0, 1.0, 60).reshape(5, 3, 4)
    check(f, M, xs)
    check(f, M, np.moveaxis(xs, 0, 2), in_axes=(0, 2))
    g = lambda c: lax.scan(lambda c, _: (jnp.sin(c) * 1.5, jnp.cos(c)), c, None,  # noqa: E731
                           length=3)
    check(g, M)
    check(g, M, in_axes=1)


def test_per_example_gradients_through_scan_both_ways():
    def loss(w, h0, xs):
        c, (ys, _) = _rnn(w, h0, xs)
        return jnp.sum(ys * ys) + jnp.sum(c)

    w = np.linspace(0.5, 1.0, 5)
    h0 = np.linspace(-1.0, 1.0, 15).reshape(5, 3)
    xs = np.linspace(-1.0, 1.0, 60).reshape(5, 4, 3)
    per_example = ftrans.grad(loss, argnums=(0, 1, 2))
    check(per_example, w, h0, xs)
    check(per_example, 0.7, h0, xs, in_axes=(None, 0, 0))
    # the gradient of a batched loss w.r.t. a shared weight sums the examples'
    got = ftrans.grad(lambda w: jnp.sum(ftrans.vmap(loss, in_axes=(None, 0, 0))(w, h0, xs)))(0.7)
    close(got, np.sum(loop(ftrans.grad(loss), 0.7, h0, xs, in_axes=(None, 0, 0))), 1e-12)
    # and forward mode of the batched scan
    _, t = ftrans.jvp(lambda h: ftrans.vmap(loss, in_axes=(None, 0, 0))(0.7, h, xs),
                      (h0,), (np.ones_like(h0),))
    close(t, loop(lambda h, x: ftrans.jvp(lambda h: loss(0.7, h, x), (h,),
                                          (np.ones_like(h),))[1], h0, xs))


def test_nested_vmap_of_scan():
    h0 = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    xs = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)
    f = lambda h, x: _rnn(0.9, h, x)  # noqa: E731
    got = ftrans.vmap(ftrans.vmap(f))(h0, xs)
    close(got, loop(lambda h, x: loop(f, h, x), h0, xs))
    got = ftrans.vmap(ftrans.vmap(f, in_axes=(None, 1)), in_axes=(0, None))(h0, xs[0])
    close(got, loop(lambda h: loop(lambda x: f(h, x), xs[0], in_axes=1), h0))


def test_vmap_of_hessian_through_scan():
    def f(x):
        return lax.scan(lambda c, w: (jnp.sin(c * w), None), x, np.array([0.5, 1.5, -1.0]))[0]

    check(ftrans.grad(ftrans.grad(f)), XS)


# --- while_loop and fori_loop --------------------------------------------------------

def test_while_with_a_batched_predicate_freezes_finished_examples():
    def f(x):
        return lax.while_loop(lambda c: c[0] >= 1.0, lambda c: (c[0] / 2.0, c[1] + 1, c[2]),
                              (x, 0, np.zeros(3)))

    xs = np.array([0.5, 3.0, 17.0, 1.0, 0.0])
    close(ftrans.vmap(f)(xs), loop(f, xs))
    assert "select_n" in [e.primitive.name for e in
                          ftrans.make_jaxpr(ftrans.vmap(f))(xs).eqns[-1].params[
                              "body_jaxpr"].eqns]


def test_while_with_an_unbatched_predicate_batches_the_body_only():
    def f(n, x):
        return lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, jnp.sin(c[1]) + 1.0),
                              (0, x))

    check(f, 4, M, in_axes=(None, 0))
    check(f, 4, M, in_axes=(None, 1))
    assert "select_n" not in str(ftrans.make_jaxpr(ftrans.vmap(f, in_axes=(None, 0)))(4, M))


def test_while_with_batched_constants_in_cond_and_body():
    def f(limit, step, x):
        return lax.while_loop(lambda c: c[1] < limit, lambda c: (c[0] * step, c[1] + step),
                              (x, 0.0))

    limits = np.array([0.5, 2.0, 3.5, 0.0])
    steps = np.array([1.0, 0.75, 1.25, 2.0])
    xs = np.linspace(0.5, 1.0, 8).reshape(4, 2)
    check(f, limits, steps, xs)
    check(f, limits, 1.0, xs[0], in_axes=(0, None, None))
    check(f, 3.0, steps, xs, in_axes=(None, 0, 0))


def test_forward_mode_through_a_batched_while():
    def f(x):
        return lax.while_loop(lambda c: c[0] < 3.0, lambda c: (c[0] + 1.0, c[1] * c[0]),
                              (jnp.floor(x), x))[1]

    xs = np.array([0.3, 1.5, 2.2, 3.7, -1.2])
    dfdx = lambda x: ftrans.jvp(f, (x,), (1.0,))[1]  # noqa: E731
    check(dfdx, xs)
    _, t = ftrans.jvp(ftrans.vmap(f), (xs,), (np.ones_like(xs),))
    close(t, loop(dfdx, xs))
    close(ftrans.jacfwd(ftrans.vmap(f))(xs), np.diag(loop(dfdx, xs)))


def test_chunked_vmap_of_a_while_with_a_batched_predicate():
    def f(x):
        return lax.while_loop(lambda c: c[0] >= 1.0, lambda c: (c[0] / 2.0, c[1] + 1), (x, 0))

    xs = np.array([0.5, 3.0, 17.0, 1.0, 0.0, 100.0, 2.5])
    close(ftrans.vmap(f, chunk_size=3)(xs), loop(f, xs))


def test_fori_loop_with_static_traced_and_batched_bounds():
    body = lambda i, c: c * 1.5 + i  # noqa: E731
    check(lambda x: lax.fori_loop(0, 3, body, x), M)
    check(lambda n, x: lax.fori_loop(0, n, body, x), 3, M, in_axes=(None, 0))
    ns = np.array([0, 1, 2, 3, 5])
    check(lambda n, x: lax.fori_loop(0, n, body, x), ns, M)
    check(lambda n, x: lax.fori_loop(0, n, body, x), ns, 1.0, in_axes=(0, None))
    check(lambda lo, x: lax.fori_loop(lo, 4, body, x), ns, XS)
    # per-example gradients of a fori_loop with static bounds (a scan)
    check(ftrans.grad(lambda x: lax.fori_loop(0, 3, lambda i, c: jnp.sin(c) * 2.0, x)), XS)


def test_nested_vmap_of_while_and_while_inside_scan():
    def f(x):
        return lax.while_loop(lambda c: c < 10.0, lambda c: c * 2.0 + 0.5, x)

    xs = np.linspace(0.1, 9.0, 12).reshape(3, 4)
    close(ftrans.vmap(ftrans.vmap(f))(xs), loop(lambda r: loop(f, r), xs))

    def g(x):
        return lax.scan(lambda c, y: (f(c * y), f(y)), x, np.array([1.0, 3.0, 0.5]))

    check(g, XS + 2.0)


def test_cond_and_loops_nested_under_a_batched_predicate():
    def f(p, x):
        return lax.cond(p > 0,
                        lambda u: lax.scan(lambda c, y: (c * y, c), u, np.arange(1.0, 4.0)),
                        lambda u: (lax.fori_loop(0, 2, lambda i, c: c + 1.0, u),
                                   jnp.zeros(3)),
                        x)

    check(f, np.array([1.0, -1.0, 1.0, -1.0, 1.0]), XS)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_scan_xs_batched_along_any_axis_gets_its_gradient(axis):
    xs = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)

    def loss(xs):
        return jnp.sum(lax.scan(lambda c, x: (jnp.sin(c + x), c * x), jnp.zeros_like(xs[0]),
                                xs)[1])

    check(ftrans.grad(loss), xs, in_axes=axis)
