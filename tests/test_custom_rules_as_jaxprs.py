"""Custom rules traced into jaxprs (issue 9, part 4).

A custom_jvp / custom_vjp equation carries its rule as a rule object whose
jaxprs the passes read; the user's Python runs only when the rule is traced.
Traced on concrete values, the rule's structure (the branch its Python ``if``
took) is part of the derivation cache's key. These tests show: programs with
custom rules are cached and the cache hits; a rule's branch is right on both
sides in consecutive calls (nested rules at second order too); closed-over
arrays come from the current call; the passes never call user code; ``defjvps``
computes nothing for an argument without a tangent."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import derivatives as d
from ftrans import lax
from ftrans.prims.special import JvpRule, VjpRule
from ftrans.test_util import check_grads


@pytest.fixture(autouse=True)
def _empty_cache():
    d.cache_clear()
    yield
    d.cache_clear()


@pytest.fixture
def derivations(monkeypatch):
    """The number of derivations built (a cache hit builds none)."""
    built = []
    init = d.Derivatives.__init__

    def counting(self, *args):
        built.append(1)
        init(self, *args)

    monkeypatch.setattr(d.Derivatives, "__init__", counting)
    return built


@ftrans.custom_jvp
def log1pexp(x):
    return jnp.log1p(jnp.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return log1pexp(x), x_dot * (1.0 - 1.0 / (1.0 + jnp.exp(x)))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@ftrans.custom_vjp
def clip_gradient(x):
    return x


clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (jnp.clip(g, -1.0, 1.0),))


# --- what the params hold ---------------------------------------------------------------

def test_params_hold_jaxprs_and_rule_objects_not_callables():
    closed = ftrans.make_jaxpr(lambda x: log1pexp(x) + clip_gradient(x))(1.0)
    jvp_eqn, vjp_eqn = [e for e in closed.eqns if e.primitive.name.startswith("custom")]
    assert isinstance(jvp_eqn.params["jvp_rule"], JvpRule)
    assert isinstance(vjp_eqn.params["vjp_rule"], VjpRule)
    for eqn in (jvp_eqn, vjp_eqn):
        assert not any(callable(v) for v in eqn.params.values())
    # on first use the rule is traced into a jaxpr of (primals, tangents)
    rule = jvp_eqn.params["jvp_rule"]
    jaxpr, mask, out_nz = rule.jvp_jaxpr([True])
    assert mask == (True,) and out_nz == (True,)
    assert [a.str_short() for a in jaxpr.in_avals] == ["f64[]", "f64[]"]
    assert rule.jvp_jaxpr([True])[0] is jaxpr  # traced once, kept
    fwd, n_consts = vjp_eqn.params["vjp_rule"].fwd_jaxpr()
    bwd, ct_nz = vjp_eqn.params["vjp_rule"].bwd_jaxpr()
    assert n_consts == 0 and ct_nz == (True,) and len(bwd.out_avals) == 1
    assert "JvpRule(log1pexp)" in str(closed)


def test_the_passes_never_call_the_users_rules():
    calls = {"jvp": 0, "fwd": 0, "bwd": 0}

    @ftrans.custom_jvp
    def f(x):
        return jnp.sin(x)

    @f.defjvp
    def _(primals, tangents):
        calls["jvp"] += 1
        return f(primals[0]), 2.0 * tangents[0]

    @ftrans.custom_vjp
    def g(x):
        return jnp.sin(x)

    def fwd(x):
        calls["fwd"] += 1
        return g(x), x

    def bwd(x, ct):
        calls["bwd"] += 1
        return (3.0 * ct,)

    g.defvjp(fwd, bwd)
    f(0.5), g(0.5)
    assert calls == {"jvp": 0, "fwd": 0, "bwd": 0}  # a plain call traces no rule
    np.testing.assert_allclose(ftrans.grad(lambda x: f(x) + g(x))(0.5), 5.0)
    assert calls == {"jvp": 1, "fwd": 1, "bwd": 1}  # traced once, with the values
    _, f_vjp = ftrans.vjp(lambda x: f(x) * g(x), 0.5)
    for ct in (1.0, 2.0, 3.0):
        f_vjp(ct)
    assert calls == {"jvp": 2, "fwd": 2, "bwd": 2}


# --- the derivation cache --------------------------------------------------------------

def test_grad_of_custom_rules_is_cached_and_hits(derivations):
    g = ftrans.grad(lambda x: jnp.sum(log1pexp(x) * clip_gradient(x)))
    for x in (np.array([0.3, -2.0]), np.array([5.0, 1.0]), np.array([-1.0, 0.1])):
        # the cotangent reaching clip_gradient is log1pexp(x), clipped by its bwd
        want = _sigmoid(x) * x + np.clip(np.log1p(np.exp(x)), -1.0, 1.0)
        np.testing.assert_allclose(g(x), want, rtol=1e-13)
    assert len(derivations) == 1 and len(d._cache) == 1


def test_higher_order_through_a_rule_that_calls_its_function_is_cached(derivations):
    gg = ftrans.grad(ftrans.grad(log1pexp))
    for x in (0.3, -2.0, 5.0):
        s = _sigmoid(x)
        np.testing.assert_allclose(gg(x), s * (1 - s), rtol=1e-12)
    assert len(derivations) == 2  # the inner and the outer derivation, once each


def test_defjvps_and_nondiff_argnums_are_cached(derivations):
    @ftrans.custom_jvp
    def xsiny(x, y):
        return x * jnp.sin(y)

    xsiny.defjvps(lambda x_dot, out, x, y: x_dot * jnp.sin(y),
                  lambda y_dot, out, x, y: y_dot * x * jnp.cos(y))
    g = ftrans.grad(xsiny, argnums=(0, 1))
    for x, y in ((1.0, 2.0), (-0.5, 0.3)):
        np.testing.assert_allclose(g(x, y), (np.sin(y), x * np.cos(y)), rtol=1e-14)
    assert len(derivations) == 1


def test_a_rule_closing_over_a_changing_array_reads_the_current_one(derivations):
    @ftrans.custom_jvp
    def scale(x):
        return x * 1.0

    scale.defjvp(lambda p, t: (scale(p[0]), t[0] * weights))
    for weights in (np.array([1.0, 2.0]), np.array([5.0, -1.0])):
        np.testing.assert_allclose(ftrans.grad(lambda x: jnp.sum(scale(x)))(np.ones(2)),
                                   weights)
    assert len(derivations) == 1  # the array is an operand, not part of the key


def test_a_rule_traced_abstractly_is_not_cached_but_right():
    scanned = lambda x: lax.scan(lambda c, _: (log1pexp(c), None), x, None, length=2)[0]  # noqa: E731
    for x in (0.3, -1.0):
        y = np.log1p(np.exp(x))
        np.testing.assert_allclose(ftrans.grad(scanned)(x), _sigmoid(y) * _sigmoid(x))
    assert len(d._cache) == 0


# --- value-dependent branches in rules --------------------------------------------------

@ftrans.custom_jvp
def slope_by_sign(x):
    return x


@slope_by_sign.defjvp
def _slope_by_sign_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return slope_by_sign(x), (2.0 if x > 0 else 3.0) * x_dot


@ftrans.custom_vjp
def vjp_slope_by_sign(x):
    return jnp.sin(x)


vjp_slope_by_sign.defvjp(lambda x: (vjp_slope_by_sign(x), x),
                         lambda x, ct: ((2.0 if x > 0 else 3.0) * ct,))


XS = (1.0, -1.0, 2.0, -0.5, 0.7)


def test_a_jvp_rule_branching_on_its_input_is_right_on_both_sides_in_turn():
    for x in XS:
        want = 2.0 if x > 0 else 3.0
        assert ftrans.grad(slope_by_sign)(x) == want
        assert ftrans.jvp(slope_by_sign, (x,), (1.0,))[1] == want
        assert ftrans.jacrev(slope_by_sign)(x) == want
    assert len(d._cache) == 2  # one derivation per branch


def test_a_bwd_branching_on_a_residual_is_right_on_both_sides_in_turn():
    for x in XS:
        assert ftrans.grad(vjp_slope_by_sign)(x) == (2.0 if x > 0 else 3.0)
    assert len(d._cache) == 2


def test_a_nested_rule_branching_on_its_input_is_right_at_second_order():
    # d/dx of f's tangent rule g(x) uses g's rule, whose branch depends on x: at
    # second order the derivation of f's rule is reused, g's rule must not be
    @ftrans.custom_jvp
    def f(x):
        return x * x / 2.0

    f.defjvp(lambda p, t: (f(p[0]), slope_by_sign(p[0]) * t[0]))
    for x in XS:
        want = 2.0 if x > 0 else 3.0
        assert ftrans.grad(ftrans.grad(f))(x) == want
        assert ftrans.hessian(f)(x) == want

    @ftrans.custom_vjp
    def h(x):
        return x * x / 2.0

    h.defvjp(lambda x: (h(x), x), lambda x, ct: (vjp_slope_by_sign(x) * ct,))
    for x in XS:
        np.testing.assert_allclose(ftrans.grad(ftrans.grad(h))(x),
                                   (2.0 if x > 0 else 3.0) * 1.0)


# --- defjvps: symbolic zeros -------------------------------------------------------------

def _prims(closed):
    return [e.primitive.name for e in closed.eqns]


def test_defjvps_computes_nothing_for_an_argument_without_a_tangent():
    @ftrans.custom_jvp
    def xsiny(x, y):
        return x * jnp.sin(y)

    xsiny.defjvps(lambda x_dot, out, x, y: x_dot * jnp.sin(y),
                  lambda y_dot, out, x, y: y_dot * x * jnp.cos(y))
    # w.r.t. x only: y's rule (the only one with cos) is never traced
    closed = ftrans.make_jaxpr(ftrans.grad(xsiny))(1.0, 2.0)
    assert "cos" not in str(closed)
    np.testing.assert_allclose(ftrans.grad(xsiny)(1.0, 2.0), np.sin(2.0))
    np.testing.assert_allclose(ftrans.grad(xsiny, argnums=1)(1.0, 2.0), np.cos(2.0))


def test_defjvps_without_a_contribution_gives_a_symbolic_zero():
    @ftrans.custom_jvp
    def no_slope(x, y):
        return x * y

    no_slope.defjvps(None, lambda y_dot, out, x, y: y_dot * x)
    rule = ftrans.make_jaxpr(no_slope)(1.0, 2.0).eqns[0].params["jvp_rule"]
    jaxpr, mask, out_nz = rule.jvp_jaxpr([True, False])  # only x has a tangent
    # no tangent output, and nothing but the primal output (the function itself)
    assert out_nz == (False,) and len(jaxpr.out_avals) == 1
    assert _prims(jaxpr) == ["custom_jvp_call"]
    np.testing.assert_allclose(ftrans.grad(no_slope, argnums=(0, 1))(2.0, 3.0), (0.0, 2.0))
    np.testing.assert_allclose(ftrans.jvp(lambda x: no_slope(x, 3.0), (2.0,), (1.0,))[1], 0.0)


# --- rules and the arguments' derivatives ------------------------------------------------

def test_a_rule_closing_over_a_differentiated_value_is_a_clear_error():
    def loss(w):
        @ftrans.custom_jvp
        def f(x):
            return jnp.sin(x)

        f.defjvp(lambda p, t: (f(p[0]), t[0] * w))
        return f(w)

    with pytest.raises(TypeError, match="closes over a value that is being differentiated"):
        ftrans.grad(loss)(1.0)

    def loss_vjp(w):
        @ftrans.custom_vjp
        def f(x):
            return jnp.sin(x)

        f.defvjp(lambda x: (f(x), None), lambda _, ct: (ct * w,))
        return f(w)

    with pytest.raises(TypeError, match="closes over a value that is being differentiated"):
        ftrans.grad(loss_vjp)(1.0)
    np.testing.assert_allclose(ftrans.grad(log1pexp)(0.0), 0.5)  # clean state


def test_a_rule_returning_no_pair_is_a_clear_error():
    @ftrans.custom_jvp
    def f(x):
        return x

    f.defjvp(lambda p, t: p[0])
    with pytest.raises(TypeError, match="custom_jvp rule of f must return a pair"):
        ftrans.grad(f)(1.0)


def test_reverse_mode_through_a_custom_function_applied_to_tangents():
    # the rule applies a custom function to the tangent: reverse mode transposes
    # that function's body (its rule gives derivatives, not adjoints)
    @ftrans.custom_jvp
    def ident(t):
        return t

    ident.defjvp(lambda p, t: (p[0], t[0]))

    @ftrans.custom_jvp
    def f(x):
        return jnp.sin(x)

    f.defjvp(lambda p, t: (jnp.sin(p[0]), jnp.cos(p[0]) * ident(t[0])))
    x = np.array([0.4, 0.9, -1.3])
    check_grads(f, (x,), order=2)
    np.testing.assert_allclose(ftrans.grad(lambda x: jnp.sum(f(x)))(x), np.cos(x))


# --- under vmap ---------------------------------------------------------------------------

def test_vmap_keeps_a_custom_function_custom_with_its_rule_batched():
    from ftrans.prims.special import BatchedJvpRule, BatchedVjpRule
    calls = {"jvp": 0, "fwd": 0, "bwd": 0}

    @ftrans.custom_jvp
    def f(x):
        return jnp.sin(x)

    @f.defjvp
    def _(primals, tangents):
        calls["jvp"] += 1
        return f(primals[0]), 2.0 * tangents[0]

    @ftrans.custom_vjp
    def g(x):
        return jnp.sin(x)

    def fwd(x):
        calls["fwd"] += 1
        return g(x), x

    def bwd(x, ct):
        calls["bwd"] += 1
        return (3.0 * ct,)

    g.defvjp(fwd, bwd)
    xs = np.linspace(0.0, 1.0, 4)
    closed = ftrans.make_jaxpr(ftrans.vmap(lambda x: f(x) + g(x)))(xs)
    jvp_eqn, vjp_eqn = [e for e in closed.eqns if e.primitive.name.startswith("custom")]
    assert isinstance(jvp_eqn.params["jvp_rule"], BatchedJvpRule)
    assert isinstance(vjp_eqn.params["vjp_rule"], BatchedVjpRule)
    for eqn in (jvp_eqn, vjp_eqn):
        assert [a.str_short() for a in eqn.params["call_jaxpr"].in_avals] == ["f64[4]"]
        assert [a.str_short() for a in eqn.params["call_jaxpr"].out_avals] == ["f64[4]"]
    assert "vmap(JvpRule(f), axis_size=4)" in str(closed)
    # the batched rule's jaxprs: the user's, batched
    jaxpr, mask, out_nz = jvp_eqn.params["jvp_rule"].jvp_jaxpr([True])
    assert [a.str_short() for a in jaxpr.in_avals] == ["f64[4]", "f64[4]"]
    fwd_jaxpr, _ = vjp_eqn.params["vjp_rule"].fwd_jaxpr()
    bwd_jaxpr, ct_nz = vjp_eqn.params["vjp_rule"].bwd_jaxpr()
    assert [a.str_short() for a in bwd_jaxpr.out_avals] == ["f64[4]"] and ct_nz == (True,)
    assert calls == {"jvp": 1, "fwd": 1, "bwd": 1}  # traced once each, on example types
    calls.update(jvp=0, fwd=0, bwd=0)
    ftrans.vmap(lambda x: f(x) + g(x))(xs)
    assert calls == {"jvp": 0, "fwd": 0, "bwd": 0}  # vmap alone traces no rule
    np.testing.assert_allclose(
        ftrans.grad(lambda xs: jnp.sum(ftrans.vmap(lambda x: f(x) + g(x))(xs)))(xs),
        np.full(4, 5.0))
    assert calls == {"jvp": 1, "fwd": 1, "bwd": 1}  # once for the whole batch


def test_a_linearized_custom_vjp_function_batches_and_transposes():
    # vmap of the linear map of a custom_vjp function batches custom_lin; its
    # transpose runs the batched bwd, summing the cotangent of the shared input
    @ftrans.custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    f.defvjp(lambda x, y: (f(x, y), (jnp.cos(x), jnp.sin(x), y)),
             lambda res, ct: (3.0 * res[0] * res[2] * ct, res[1] * ct))
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    _, f_jvp = ftrans.linearize(f, x, y)
    t_xs, t_y, ct = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((4, 3))
    batched = ftrans.vmap(f_jvp, in_axes=(0, None))
    closed = ftrans.make_jaxpr(batched)(t_xs, t_y)
    assert "custom_lin" in [e.primitive.name for e in closed.eqns]
    ct_xs, ct_y = ftrans.linear_transpose(batched, t_xs, t_y)(ct)
    np.testing.assert_allclose(ct_xs, 3.0 * np.cos(x) * y * ct, rtol=1e-13)
    np.testing.assert_allclose(ct_y, np.sum(np.sin(x) * ct, axis=0), rtol=1e-13)


def test_vmap_of_a_custom_function_calling_another_in_its_body():
    @ftrans.custom_jvp
    def outer(x):
        return 2.0 * log1pexp(x)

    @outer.defjvp
    def _outer_jvp(primals, tangents):
        (x,), (x_dot,) = primals, tangents
        # the rule calls the inner custom function too
        return outer(x), 2.0 * ftrans.grad(log1pexp)(x) * x_dot

    xs = np.array([-1000.0, -1.0, 0.0, 2.0, 1000.0])
    want = 2.0 * _sigmoid(xs)
    np.testing.assert_allclose(ftrans.vmap(ftrans.grad(outer))(xs), want, rtol=1e-13)
    np.testing.assert_allclose(
        ftrans.grad(lambda xs: jnp.sum(ftrans.vmap(outer)(xs)))(xs), want, rtol=1e-13)
    # second order through both rules: d/dx 2 sigmoid(x) (where exp does not overflow)
    xs = xs[1:-1]
    s = _sigmoid(xs)
    np.testing.assert_allclose(
        ftrans.grad(lambda xs: jnp.sum(ftrans.vmap(ftrans.grad(outer))(xs)))(xs),
        2.0 * s * (1.0 - s), rtol=1e-12)
    np.testing.assert_allclose(ftrans.vmap(ftrans.grad(ftrans.grad(outer)))(xs),
                               2.0 * s * (1.0 - s), rtol=1e-12)


def test_under_vmap_a_rule_branches_on_unmapped_arguments_right_in_turn():
    # the rule is traced on the values of the unmapped arguments (the same for
    # every example) and is abstract in the mapped ones; the branch it takes is
    # part of the derivation cache's key
    @ftrans.custom_jvp
    def f(x, y):
        return x * y

    @f.defjvp
    def _f_jvp(primals, tangents):
        (x, y), (x_dot, y_dot) = primals, tangents
        if y > 0:
            return f(x, y), y * x_dot + x * y_dot
        return f(x, y), -x_dot

    @ftrans.custom_vjp
    def g(x, y):
        return x * y

    g.defvjp(lambda x, y: (g(x, y), (y if y > 0 else -1.0, x)),
             lambda res, ct: (res[0] * ct, res[1] * ct))
    xs = np.array([1.0, 2.0, 3.0])
    for h, gy_below in ((f, 0.0), (g, np.sum(xs))):
        per_example = ftrans.vmap(ftrans.grad(h), in_axes=(0, None))
        batched = ftrans.grad(lambda xs, y: jnp.sum(ftrans.vmap(h, in_axes=(0, None))(xs, y)),
                              argnums=(0, 1))
        for y in (2.0, -2.0, 2.0, -2.0):
            np.testing.assert_allclose(per_example(xs, y), np.full(3, y if y > 0 else -1.0))
            gx, gy = batched(xs, y)
            np.testing.assert_allclose(gx, np.full(3, y if y > 0 else -1.0))
            np.testing.assert_allclose(gy, np.sum(xs) if y > 0 else gy_below)
        # a branch on the mapped argument names vmap
        with pytest.raises(ftrans.ConcretizationError, match="`vmap`"):
            ftrans.grad(lambda ys: jnp.sum(ftrans.vmap(h, in_axes=(None, 0))(1.0, ys)))(xs)
