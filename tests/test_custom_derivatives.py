"""User-defined derivative rules (``custom_jvp``, ``custom_vjp``),
``stop_gradient`` and ``checkpoint``.

Where a rule is correct, derivatives are checked against finite differences
(``check_grads``, orders 1 and 2). Where a rule is deliberately different
from the function's true derivative, the test checks that every
transformation, nested ones included, uses the rule: the expected values are
closed forms of the rule. ``checkpoint`` is checked by reading the jaxpr of
the gradient: the backward pass recomputes the primal operations from the
checkpointed function's inputs alone.
"""

import functools

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.test_util import check_grads


def _prims(closed):
    return [e.primitive.name for e in closed.eqns]


# --- custom_jvp ---------------------------------------------------------------------

def _naive_log1pexp(x):
    return jnp.log(1.0 + jnp.exp(x))


@ftrans.custom_jvp
def log1pexp(x):
    """log(1 + e^x), computed without overflow for large x."""
    return jnp.where(x > 0, x + jnp.log1p(jnp.exp(-jnp.abs(x))), jnp.log1p(jnp.exp(x)))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return log1pexp(x), x_dot * (1.0 - 1.0 / (1.0 + jnp.exp(x)))


def test_log1pexp_custom_jvp_is_finite_where_the_naive_gradient_overflows():
    with np.errstate(over="ignore", invalid="ignore"):
        # float64 overflows exp at x = 1000 (float32 already at x = 100)
        assert not np.isfinite(ftrans.grad(_naive_log1pexp)(1000.0))
        assert not np.isfinite(ftrans.grad(_naive_log1pexp)(np.float32(100.0)))
        # a stable primal alone does not help: where() differentiates both sides
        assert not np.isfinite(ftrans.grad(log1pexp.fun)(1000.0))
        np.testing.assert_allclose(log1pexp(1000.0), 1000.0)
        np.testing.assert_allclose(ftrans.grad(log1pexp)(1000.0), 1.0)
        np.testing.assert_allclose(ftrans.grad(log1pexp)(100.0), 1.0)
        np.testing.assert_allclose(ftrans.grad(log1pexp)(np.float32(100.0)), 1.0)
        g = ftrans.grad(lambda x: jnp.sum(log1pexp(x)))(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(g, [0.0, 0.5, 1.0])


def test_log1pexp_check_grads(rng):
    x = rng.standard_normal(5) * 3
    np.testing.assert_allclose(log1pexp(x), np.logaddexp(0.0, x))
    check_grads(log1pexp, (x,), order=2)


# A rule that is deliberately not the function's derivative: sin with derivative
# 2 cos. Every transformation must report the rule's numbers.
@ftrans.custom_jvp
def sin_with_double_derivative(x):
    return jnp.sin(x)


@sin_with_double_derivative.defjvp
def _double_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return jnp.sin(x), 2.0 * jnp.cos(x) * x_dot


def test_custom_jvp_rule_is_used_by_every_transformation(rng):
    f = sin_with_double_derivative
    x = rng.standard_normal(3)
    s = 0.7
    np.testing.assert_allclose(f(x), np.sin(x))
    np.testing.assert_allclose(ftrans.grad(f)(s), 2 * np.cos(s))
    np.testing.assert_allclose(ftrans.jvp(f, (x,), (np.ones(3),))[1], 2 * np.cos(x))
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(f))(s), -2 * np.sin(s))
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(ftrans.grad(f)))(s), -2 * np.cos(s))
    np.testing.assert_allclose(ftrans.jacfwd(f)(x), np.diag(2 * np.cos(x)))
    np.testing.assert_allclose(ftrans.jacrev(f)(x), np.diag(2 * np.cos(x)))
    sum_f = lambda x: jnp.sum(f(x))  # noqa: E731
    np.testing.assert_allclose(ftrans.hessian(sum_f)(x), np.diag(-2 * np.sin(x)))
    np.testing.assert_allclose(ftrans.jacfwd(ftrans.jacrev(sum_f))(x),
                               np.diag(-2 * np.sin(x)))
    np.testing.assert_allclose(ftrans.jacrev(ftrans.jacfwd(sum_f))(x),
                               np.diag(-2 * np.sin(x)))
    _, f_jvp = ftrans.linearize(f, x)
    np.testing.assert_allclose(f_jvp(np.ones(3)), 2 * np.cos(x))


def test_custom_jvp_rule_is_used_inside_control_flow():
    f = sin_with_double_derivative
    scanned = lambda x: lax.scan(lambda c, _: (f(c), None), x, None, length=2)[0]  # noqa: E731
    x = 0.4
    # chain rule with the rule's derivative at each step
    want = 2 * np.cos(np.sin(x)) * 2 * np.cos(x)
    np.testing.assert_allclose(ftrans.grad(scanned)(x), want)
    np.testing.assert_allclose(ftrans.jvp(scanned, (x,), (1.0,))[1], want)
    in_cond = lambda x: lax.cond(x > 0, f, jnp.cos, x)  # noqa: E731
    np.testing.assert_allclose(ftrans.grad(in_cond)(x), 2 * np.cos(x))
    np.testing.assert_allclose(ftrans.grad(in_cond)(-x), np.sin(x))
    ckpt = ftrans.checkpoint(f)
    np.testing.assert_allclose(ftrans.grad(ckpt)(x), 2 * np.cos(x))


def test_defjvps_one_rule_per_argument(rng):
    @ftrans.custom_jvp
    def xsiny(x, y):
        return x * jnp.sin(y)

    xsiny.defjvps(lambda x_dot, out, x, y: x_dot * jnp.sin(y),
                  lambda y_dot, out, x, y: y_dot * x * jnp.cos(y))
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    np.testing.assert_allclose(xsiny(x, y), x * np.sin(y))
    check_grads(xsiny, (x, y), order=2)

    @ftrans.custom_jvp
    def only_x(x, y):
        return x * y

    only_x.defjvps(lambda x_dot, out, x, y: x_dot * y, None)  # y: zero derivative
    gx, gy = ftrans.grad(only_x, argnums=(0, 1))(2.0, 3.0)
    np.testing.assert_allclose((gx, gy), (3.0, 0.0))


def test_defjvps_out_is_the_custom_function_so_higher_orders_use_the_rule():
    # as in JAX: `out` is the decorated function's output, whose derivative is
    # the rule's. exp with a doubled derivative: f' = 2 f, so f'' = 2 f' = 4 f
    @ftrans.custom_jvp
    def double_exp(x):
        return jnp.exp(x)

    double_exp.defjvps(lambda x_dot, out, x: 2.0 * out * x_dot)
    np.testing.assert_allclose(ftrans.grad(double_exp)(0.5), 2 * np.exp(0.5))
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(double_exp))(0.5), 4 * np.exp(0.5))
    np.testing.assert_allclose(ftrans.hessian(double_exp)(0.5), 4 * np.exp(0.5))


def test_custom_jvp_nondiff_argnums(rng):
    @functools.partial(ftrans.custom_jvp, nondiff_argnums=(0,))
    def apply_power(n, x):
        return x ** n

    @apply_power.defjvp
    def _power_jvp(n, primals, tangents):
        (x,), (x_dot,) = primals, tangents
        return apply_power(n, x), n * x ** (n - 1) * x_dot

    x = rng.uniform(0.5, 2.0, 3)
    np.testing.assert_allclose(apply_power(3, x), x ** 3)
    check_grads(lambda x: apply_power(3, x), (x,), order=2)
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(lambda s: apply_power(4, s)))(1.5),
                               12 * 1.5 ** 2)

    # a function-valued nondiff argument, as in JAX's documentation
    @functools.partial(ftrans.custom_jvp, nondiff_argnums=(0,))
    def app(f, x):
        return f(x)

    @app.defjvp
    def _app_jvp(f, primals, tangents):
        (x,), (x_dot,) = primals, tangents
        return f(x), 3.0 * x_dot  # deliberately not f's derivative

    np.testing.assert_allclose(app(jnp.sin, 0.5), np.sin(0.5))
    np.testing.assert_allclose(ftrans.grad(lambda x: app(jnp.sin, x))(0.5), 3.0)
    np.testing.assert_allclose(ftrans.jacfwd(lambda x: app(jnp.sin, x))(np.ones(2)),
                               3.0 * np.eye(2))


def test_custom_jvp_pytree_arguments_and_outputs(rng):
    @ftrans.custom_jvp
    def polar(p):
        return {"x": p["r"] * jnp.cos(p["t"]), "y": p["r"] * jnp.sin(p["t"])}

    @polar.defjvp
    def _polar_jvp(primals, tangents):
        (p,), (dp,) = primals, tangents
        c, s = jnp.cos(p["t"]), jnp.sin(p["t"])
        out = {"x": p["r"] * c, "y": p["r"] * s}
        return out, {"x": dp["r"] * c - p["r"] * s * dp["t"],
                     "y": dp["r"] * s + p["r"] * c * dp["t"]}

    p = {"r": rng.uniform(0.5, 2, 3), "t": rng.standard_normal(3)}
    check_grads(polar, (p,), order=2)


def test_custom_jvp_errors():
    @ftrans.custom_jvp
    def no_rule(x):
        return x

    with pytest.raises(TypeError, match="no_rule.*defjvp"):
        no_rule(1.0)

    @ftrans.custom_jvp
    def bad_shape(x):
        return jnp.sin(x)

    bad_shape.defjvp(lambda p, t: (jnp.sin(p[0]), jnp.sum(t[0])))
    with pytest.raises(TypeError, match="tangent output"):
        ftrans.jvp(bad_shape, (np.ones(3),), (np.ones(3),))

    def closes_over(y):
        @ftrans.custom_jvp
        def f(x):
            return x * y
        f.defjvp(lambda p, t: (p[0] * y, t[0] * y))
        return f(2.0)

    with pytest.raises(TypeError, match="argument"):
        ftrans.grad(closes_over)(3.0)
    np.testing.assert_allclose(ftrans.grad(log1pexp)(0.0), 0.5)


# --- custom_vjp ---------------------------------------------------------------------

@ftrans.custom_vjp
def clip_gradient(x):
    return x


def _clip_fwd(x):
    return x, None


def _clip_bwd(_, g):
    return (jnp.clip(g, -1.0, 1.0),)


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def test_clip_gradient_clips_the_cotangent():
    assert float(clip_gradient(2.0)) == 2.0
    np.testing.assert_allclose(ftrans.grad(lambda x: 5.0 * clip_gradient(x))(2.0), 1.0)
    np.testing.assert_allclose(ftrans.grad(lambda x: 0.5 * clip_gradient(x))(2.0), 0.5)
    np.testing.assert_allclose(ftrans.grad(lambda x: -5.0 * clip_gradient(x))(2.0), -1.0)
    x = np.array([1.0, 2.0, 3.0])
    jac = ftrans.jacrev(lambda x: 3.0 * clip_gradient(x) * np.array([1.0, 0.1, -1.0]))(x)
    np.testing.assert_allclose(jac, np.diag([1.0, 0.3, -1.0]))


def test_custom_vjp_forward_mode_raises_like_jax():
    for transform in (lambda: ftrans.jvp(clip_gradient, (2.0,), (1.0,)),
                      lambda: ftrans.jacfwd(clip_gradient)(np.ones(2)),
                      lambda: ftrans.linearize(lambda x: clip_gradient(x) * x, 1.0)[1](1.0)):
        with pytest.raises(TypeError) as e:
            transform()
        msg = str(e.value)
        assert "custom_vjp" in msg and "forward-mode" in msg
        assert "grad" in msg and "custom_jvp" in msg
    np.testing.assert_allclose(ftrans.grad(lambda x: 0.5 * clip_gradient(x))(2.0), 0.5)


def test_forward_over_reverse_differentiates_the_bwd_rule():
    # as in JAX, jvp of the gradient works: it differentiates bwd's computation.
    # d/dx clip(3 x^2) is 6x below the clip and 0 where the cotangent is clipped
    f = lambda x: jnp.sum(clip_gradient(x) ** 3)  # noqa: E731
    x = np.array([0.3, 2.0])
    np.testing.assert_allclose(ftrans.grad(f)(x), [0.27, 1.0])
    np.testing.assert_allclose(ftrans.hessian(f)(x), np.diag([1.8, 0.0]))


def test_custom_vjp_pytree_residuals_and_reverse_over_reverse(rng):
    @ftrans.custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    def fwd(x, y):
        res = {"trig": (jnp.cos(x), jnp.sin(x)), "y": y}
        return jnp.sin(x) * y, res

    def bwd(res, ct):
        cos_x, sin_x = res["trig"]
        return ct * cos_x * res["y"], ct * sin_x

    f.defvjp(fwd, bwd)
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    np.testing.assert_allclose(f(x, y), np.sin(x) * y)
    check_grads(f, (x, y), order=2, modes=("rev",))
    g = ftrans.grad(lambda x, y: jnp.sum(f(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(g[0], np.cos(x) * y)
    np.testing.assert_allclose(g[1], np.sin(x))


def test_custom_vjp_rule_is_used_under_nested_grad_and_jacrev(rng):
    # bwd is deliberately 2 cos(x) ct: the second derivative is that of the rule
    @ftrans.custom_vjp
    def f(x):
        return jnp.sin(x)

    f.defvjp(lambda x: (jnp.sin(x), x), lambda x, ct: (2.0 * jnp.cos(x) * ct,))
    s = 0.6
    np.testing.assert_allclose(ftrans.grad(f)(s), 2 * np.cos(s))
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(f))(s), -2 * np.sin(s))
    x = rng.standard_normal(3)
    np.testing.assert_allclose(ftrans.jacrev(f)(x), np.diag(2 * np.cos(x)))
    np.testing.assert_allclose(ftrans.jacrev(ftrans.jacrev(lambda x: jnp.sum(f(x))))(x),
                               np.diag(-2 * np.sin(x)))
    scanned = lambda x: lax.scan(lambda c, _: (f(c), None), x, None, length=2)[0]  # noqa: E731
    np.testing.assert_allclose(ftrans.grad(scanned)(s),
                               2 * np.cos(np.sin(s)) * 2 * np.cos(s))


def test_custom_vjp_nondiff_argnums():
    @functools.partial(ftrans.custom_vjp, nondiff_argnums=(0, 1))
    def clip(lo, hi, x):
        return x

    clip.defvjp(lambda lo, hi, x: (x, None),
                lambda lo, hi, _, g: (jnp.clip(g, lo, hi),))
    np.testing.assert_allclose(ftrans.grad(lambda x: 5.0 * clip(-2.0, 3.0, x))(1.0), 3.0)
    np.testing.assert_allclose(ftrans.grad(lambda x: -5.0 * clip(-2.0, 3.0, x))(1.0), -2.0)
    # reverse over reverse: d/dx of clip(3 x^2) = 6x below the clip
    np.testing.assert_allclose(
        ftrans.grad(ftrans.grad(lambda x: clip(-2.0, 3.0, x ** 3)))(0.5), 3.0)


def test_custom_vjp_none_cotangent_and_errors():
    @ftrans.custom_vjp
    def first(x, y):
        return x * y

    first.defvjp(lambda x, y: (x * y, (x, y)), lambda res, ct: (ct * res[1], None))
    gx, gy = ftrans.grad(first, argnums=(0, 1))(2.0, 3.0)
    np.testing.assert_allclose((gx, gy), (3.0, 0.0))

    @ftrans.custom_vjp
    def wrong_count(x, y):
        return x * y

    wrong_count.defvjp(lambda x, y: (x * y, None), lambda res, ct: (ct,))
    with pytest.raises(TypeError, match="one cotangent per"):
        ftrans.grad(wrong_count)(2.0, 3.0)

    @ftrans.custom_vjp
    def no_rule(x):
        return x

    with pytest.raises(TypeError, match="defvjp"):
        no_rule(1.0)
    np.testing.assert_allclose(ftrans.grad(lambda x: 5.0 * clip_gradient(x))(2.0), 1.0)


# --- stop_gradient ------------------------------------------------------------------

def test_stop_gradient_zeroes_exactly_what_it_wraps(rng):
    for x in (3.0, -1.5):
        np.testing.assert_allclose(ftrans.grad(lambda x: x * ftrans.stop_gradient(x))(x), x)
        np.testing.assert_allclose(ftrans.grad(lambda x: ftrans.stop_gradient(x) ** 2)(x), 0.0)
        np.testing.assert_allclose(
            ftrans.grad(lambda x: jnp.sin(x) * ftrans.stop_gradient(jnp.sin(x)))(x),
            np.cos(x) * np.sin(x))
    np.testing.assert_allclose(
        ftrans.grad(ftrans.grad(lambda x: x ** 2 * ftrans.stop_gradient(x)))(2.0), 4.0)
    x = rng.standard_normal(3)
    np.testing.assert_allclose(ftrans.jvp(lax.stop_gradient, (x,), (np.ones(3),))[1], 0.0)
    np.testing.assert_allclose(ftrans.jacfwd(lambda x: x * ftrans.stop_gradient(x))(x),
                               np.diag(x))
    np.testing.assert_allclose(ftrans.jacrev(lambda x: x * ftrans.stop_gradient(x))(x),
                               np.diag(x))


def test_stop_gradient_on_a_pytree(rng):
    p = {"a": rng.standard_normal(2), "b": (rng.standard_normal(3), np.int64(4))}
    out = ftrans.stop_gradient(p)
    assert set(out) == {"a", "b"} and isinstance(out["b"], tuple)
    np.testing.assert_array_equal(out["a"], p["a"])
    np.testing.assert_array_equal(out["b"][0], p["b"][0])
    assert int(out["b"][1]) == 4

    def loss(a, b):
        stopped = ftrans.stop_gradient({"a": a, "b": b})
        return jnp.sum(a * stopped["a"]) + jnp.sum(b * b * stopped["b"])

    ga, gb = ftrans.grad(loss, argnums=(0, 1))(p["a"], p["b"][0])
    np.testing.assert_allclose(ga, p["a"])
    np.testing.assert_allclose(gb, 2 * p["b"][0] ** 2)


# --- checkpoint ---------------------------------------------------------------------

def _sin_sin(x):
    return jnp.sin(jnp.sin(x))


def _loss(f):
    return lambda x, w: jnp.sum(f(x * w) * w)


def test_checkpoint_recomputes_in_the_backward_pass_from_its_inputs_only(rng):
    x, w = rng.standard_normal(4), rng.standard_normal(4)
    plain = ftrans.make_jaxpr(ftrans.grad(_loss(_sin_sin)))(x, w)
    closed = ftrans.make_jaxpr(ftrans.grad(_loss(ftrans.checkpoint(_sin_sin))))(x, w)
    assert "remat" not in _prims(plain) and _prims(plain).count("sin") == 2
    # outside the remat equations no primal sin is computed or saved
    assert "sin" not in _prims(closed) and "cos" not in _prims(closed)
    remats = [e for e in closed.eqns if e.primitive.name == "remat"]
    bwd = remats[-1]
    bwd_prims = _prims(bwd.params["jaxpr"])
    assert bwd_prims.count("sin") >= 1 and "cos" in bwd_prims  # recomputation
    # the forward remat saves nothing beyond the function's output ...
    fwd = [e for e in remats if e is not bwd]
    for e in fwd:
        assert len(e.outputs) == 1
    # ... and the backward remat takes the checkpointed function's input (x * w)
    # and the output cotangent, nothing computed inside the checkpoint
    x_var, w_var = closed.jaxpr.invars
    (x_times_w,) = [e.outputs[0] for e in closed.eqns if e.primitive.name == "mul"
                    and set(e.inputs) == {x_var, w_var}]
    assert len(bwd.inputs) == 2 and bwd.inputs[0] is x_times_w
    for e in fwd:
        assert e.inputs == [x_times_w]
    produced_by_fwd = {v for e in fwd for v in e.outputs}
    assert bwd.inputs[1] is not x_times_w and not produced_by_fwd & set(bwd.inputs)
    np.testing.assert_allclose(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x, w)[0],
                               ftrans.grad(_loss(_sin_sin))(x, w), rtol=1e-13)


def test_checkpoint_gradients_equal_the_plain_ones(rng):
    x, w = rng.standard_normal(4), rng.standard_normal(4)
    ck = ftrans.checkpoint(_sin_sin)
    for argnums in (0, 1):
        np.testing.assert_allclose(ftrans.grad(_loss(ck), argnums)(x, w),
                                   ftrans.grad(_loss(_sin_sin), argnums)(x, w), rtol=1e-13)
    check_grads(_loss(ck), (x, w), order=2)
    np.testing.assert_allclose(ftrans.hessian(lambda x: _loss(ck)(x, w))(x),
                               ftrans.hessian(lambda x: _loss(_sin_sin)(x, w))(x), rtol=1e-12)
    assert ftrans.remat is ftrans.checkpoint


def test_checkpoint_pytrees_static_args_and_scan_body(rng):
    def block(p, x, n):
        for _ in range(n):
            x = jnp.tanh(p["w"] * x + p["b"])
        return {"out": x, "aux": jnp.sin(x)}

    ck = ftrans.checkpoint(block, static_argnums=(2,))
    p = {"w": rng.standard_normal(3), "b": rng.standard_normal(3)}
    x = rng.standard_normal(3)

    def loss(f, p, x):
        out = f(p, x, 3)
        return jnp.sum(out["out"] * out["aux"])

    g_ck = ftrans.grad(lambda p: loss(ck, p, x))(p)
    g = ftrans.grad(lambda p: loss(block, p, x))(p)
    for k in p:
        np.testing.assert_allclose(g_ck[k], g[k], rtol=1e-13)
    check_grads(lambda p, x: loss(ck, p, x), (p, x), order=2)

    def rnn(p, xs, f):
        body = lambda h, x: (f(p, h + x, 1)["out"], None)  # noqa: E731
        return jnp.sum(lax.scan(body, np.zeros(3), xs)[0])

    xs = rng.standard_normal((5, 3))
    g_ck = ftrans.grad(rnn)(p, xs, ck)
    g = ftrans.grad(rnn)(p, xs, block)
    for k in p:
        np.testing.assert_allclose(g_ck[k], g[k], rtol=1e-12)


# --- under vmap -----------------------------------------------------------------------
# vmap keeps a custom function custom: its body and its rule are batched, so every
# nesting of vmap with grad/jacfwd/jacrev uses the user's rule. Each batched result
# equals the Python loop over the examples, stacked.

def _loop(f, *args, in_axes=0):
    """``f`` on each example (arguments with in_axes None shared), stacked."""
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    size = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    outs = [f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, axes)])
            for i in range(size)]
    return ftrans.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]),
                                     *outs)


def _same(got, want):
    got, want = ftrans.tree_util.tree_flatten(got)[0], ftrans.tree_util.tree_flatten(want)[0]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-13)


def test_vmap_of_a_custom_jvp_function_uses_the_rule_in_every_nesting(rng):
    f = sin_with_double_derivative  # derivative 2 cos: the rule's numbers, not sin's
    xs = rng.standard_normal(5)
    _same(ftrans.vmap(f)(xs), np.sin(xs))
    _same(ftrans.vmap(ftrans.grad(f))(xs), 2 * np.cos(xs))
    _same(ftrans.grad(lambda xs: jnp.sum(ftrans.vmap(f)(xs)))(xs), 2 * np.cos(xs))
    _same(ftrans.jacfwd(ftrans.vmap(f))(xs), np.diag(2 * np.cos(xs)))
    _same(ftrans.jacrev(ftrans.vmap(f))(xs), np.diag(2 * np.cos(xs)))
    _same(ftrans.vmap(ftrans.grad(ftrans.grad(f)))(xs), -2 * np.sin(xs))
    _same(ftrans.grad(lambda xs: jnp.sum(ftrans.vmap(ftrans.grad(f))(xs)))(xs),
          -2 * np.sin(xs))
    # a batch along a middle axis, and vmap of vmap
    m = rng.standard_normal((3, 4, 2))
    _same(ftrans.vmap(ftrans.vmap(ftrans.grad(lambda x: jnp.sum(f(x)))), in_axes=1)(m),
          np.moveaxis(2 * np.cos(m), 1, 0))
    _same(ftrans.grad(lambda m: jnp.sum(ftrans.vmap(ftrans.vmap(f), in_axes=1)(m)))(m),
          2 * np.cos(m))
    # log1pexp: the rule keeps the batched gradient finite where exp overflows
    big = np.array([-1000.0, 0.0, 1000.0])
    _same(ftrans.vmap(ftrans.grad(log1pexp))(big), np.array([0.0, 0.5, 1.0]))
    _same(ftrans.grad(lambda x: jnp.sum(ftrans.vmap(log1pexp)(x)))(big),
          np.array([0.0, 0.5, 1.0]))


def test_vmap_of_a_custom_jvp_function_with_an_unbatched_argument(rng):
    @ftrans.custom_jvp
    def f(x, y):
        return jnp.sin(x) * y

    @f.defjvp
    def _f_jvp(primals, tangents):
        (x, y), (x_dot, y_dot) = primals, tangents
        # deliberately 3 times the true derivative in x
        return f(x, y), 3.0 * jnp.cos(x) * y * x_dot + jnp.sin(x) * y_dot

    xs, y = rng.standard_normal((4, 3)), rng.standard_normal(3)
    grad_both = ftrans.grad(lambda x, y: jnp.sum(f(x, y)), argnums=(0, 1))
    _same(ftrans.vmap(grad_both, in_axes=(0, None))(xs, y),
          _loop(grad_both, xs, y, in_axes=(0, None)))
    # the shared y's gradient is the sum over the batch
    gx, gy = ftrans.grad(lambda xs, y: jnp.sum(ftrans.vmap(f, in_axes=(0, None))(xs, y)),
                         argnums=(0, 1))(xs, y)
    _same(gx, 3.0 * np.cos(xs) * y)
    _same(gy, np.sum(np.sin(xs), axis=0))
    # batched along the last axis, with y batched too
    ys = rng.standard_normal((3, 4))
    _same(ftrans.vmap(grad_both, in_axes=(1, 1))(xs.T, ys),
          _loop(grad_both, xs.T, ys, in_axes=(1, 1)))
    _same(ftrans.jacrev(lambda y: ftrans.vmap(f, in_axes=(0, None))(xs, y))(y),
          _loop(ftrans.jacrev(f, argnums=1), xs, y, in_axes=(0, None)))


def test_vmap_of_a_custom_vjp_function_uses_fwd_and_bwd(rng):
    @ftrans.custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (jnp.cos(x), jnp.sin(x), y)

    def f_bwd(res, ct):
        cos_x, sin_x, y = res
        return 3.0 * cos_x * y * ct, sin_x * ct  # 3 times the true derivative in x

    f.defvjp(f_fwd, f_bwd)
    xs, ys, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    loss = lambda x, y: jnp.sum(f(x, y))  # noqa: E731
    grads = ftrans.grad(loss, argnums=(0, 1))
    _same(ftrans.vmap(f)(xs, ys), np.sin(xs) * ys)
    _same(ftrans.vmap(grads)(xs, ys), (3 * np.cos(xs) * ys, np.sin(xs)))
    _same(ftrans.grad(lambda xs, ys: jnp.sum(ftrans.vmap(f)(xs, ys)), argnums=(0, 1))(xs, ys),
          (3 * np.cos(xs) * ys, np.sin(xs)))
    # an unbatched argument: its cotangent is summed over the batch
    _same(ftrans.vmap(grads, in_axes=(0, None))(xs, y), _loop(grads, xs, y, in_axes=(0, None)))
    _same(ftrans.grad(lambda xs, y: jnp.sum(ftrans.vmap(f, in_axes=(0, None))(xs, y)),
                      argnums=(0, 1))(xs, y),
          (3 * np.cos(xs) * y, np.sum(np.sin(xs), axis=0)))
    _same(ftrans.jacrev(lambda xs: ftrans.vmap(f, in_axes=(0, None))(xs, y))(xs),
          np.einsum("bi,bc,ij->bicj", 3 * np.cos(xs) * y, np.eye(4), np.eye(3)))
    _same(ftrans.vmap(ftrans.jacrev(f))(xs, ys), _loop(ftrans.jacrev(f), xs, ys))
    # vmap of vmap, batched along other axes, then reverse mode
    m, n = rng.standard_normal((2, 3, 5)), rng.standard_normal((5, 3))
    g2 = ftrans.grad(lambda m: jnp.sum(ftrans.vmap(ftrans.vmap(f, in_axes=(0, None)),
                                                   in_axes=(2, 0))(m, n)))(m)
    _same(g2, 3 * np.cos(m) * n.T[None])
    # a batch of cotangents through one vjp: jacrev's rows
    _, f_vjp = ftrans.vjp(f, xs[0], ys[0])
    _same(ftrans.vmap(f_vjp)(np.eye(3)), _loop(f_vjp, np.eye(3)))
    # clip_gradient clips each example's cotangent
    _same(ftrans.vmap(ftrans.grad(lambda x, s: s * clip_gradient(x)))(
        np.ones(3), np.array([-5.0, 0.5, 5.0])), np.array([-1.0, 0.5, 1.0]))


def test_vmap_of_custom_functions_with_nondiff_argnums(rng):
    @functools.partial(ftrans.custom_jvp, nondiff_argnums=(0,))
    def power(n, x):
        return x ** n

    @power.defjvp
    def _power_jvp(n, primals, tangents):
        (x,), (x_dot,) = primals, tangents
        if n > 2:  # a Python branch on a nondiff argument is fine under vmap
            return power(n, x), 10.0 * n * x ** (n - 1) * x_dot
        return power(n, x), n * x ** (n - 1) * x_dot

    @functools.partial(ftrans.custom_vjp, nondiff_argnums=(0, 1))
    def clip(lo, hi, x):
        return x

    clip.defvjp(lambda lo, hi, x: (x, None), lambda lo, hi, _, g: (jnp.clip(g, lo, hi),))

    xs = rng.uniform(0.5, 2.0, 4)
    for n, scale in ((3, 10.0), (2, 1.0)):
        want = scale * n * xs ** (n - 1)
        _same(ftrans.vmap(ftrans.grad(power, argnums=1), in_axes=(None, 0))(n, xs), want)
        _same(ftrans.vmap(lambda x: ftrans.grad(lambda x: power(n, x))(x))(xs), want)
        _same(ftrans.grad(lambda xs: jnp.sum(ftrans.vmap(power, in_axes=(None, 0))(n, xs)))(xs),
              want)
    # batched n: vmap of grad (the rule's branch must not depend on n then)
    ns = np.array([1.0, 2.0, 3.0, 4.0])
    _same(ftrans.vmap(ftrans.grad(lambda n, x: 5.0 * clip(-2.0, 3.0, n * x), argnums=1))(
        ns, xs), 3.0 * ns)
    scales = np.array([-5.0, 1.0, 2.5, 5.0])
    _same(ftrans.grad(lambda xs: jnp.sum(scales * ftrans.vmap(clip, in_axes=(None, None, 0))(
        -2.0, 3.0, xs)))(xs), np.clip(scales, -2.0, 3.0))
    _same(ftrans.vmap(ftrans.grad(lambda x, s: s * clip(-2.0, 3.0, x)))(xs, scales),
          np.clip(scales, -2.0, 3.0))


def test_a_rule_branching_on_a_batched_value_raises_naming_vmap():
    @ftrans.custom_jvp
    def f(x):
        return jnp.abs(x)

    @f.defjvp
    def _f_jvp(primals, tangents):
        (x,), (x_dot,) = primals, tangents
        return f(x), (x_dot if x > 0 else -x_dot)  # needs x's value

    @ftrans.custom_vjp
    def g(x):
        return jnp.abs(x)

    def g_fwd(x):
        return g(x), (1.0 if x > 0 else -1.0)  # needs x's value

    g.defvjp(g_fwd, lambda sign, ct: (sign * ct,))
    xs = np.array([-1.0, 2.0])
    for h in (f, g):
        np.testing.assert_allclose(ftrans.grad(h)(-1.0), -1.0)  # concrete: fine
        np.testing.assert_allclose(ftrans.vmap(h)(xs), [1.0, 2.0])  # not differentiated
        for batched in (ftrans.vmap(ftrans.grad(h)),
                        ftrans.grad(lambda xs: jnp.sum(ftrans.vmap(h)(xs)))):
            with pytest.raises(ftrans.ConcretizationError, match="`vmap`") as e:
                batched(xs)
            assert "lax.cond" in str(e.value)


def test_vmap_of_checkpoint_stays_a_checkpoint(rng):
    ck = ftrans.checkpoint(_sin_sin)
    xs, w = rng.standard_normal((4, 3)), rng.standard_normal(3)
    batched = ftrans.vmap(ck)
    _same(batched(xs), np.sin(np.sin(xs)))
    closed = ftrans.make_jaxpr(batched)(xs)
    assert _prims(closed) == ["remat"]
    loss = lambda xs, w: jnp.sum(ftrans.vmap(ck, in_axes=(0,))(xs * w) * w)  # noqa: E731
    g = ftrans.grad(loss, argnums=(0, 1))(xs, w)
    _same(g, ftrans.grad(lambda xs, w: jnp.sum(_sin_sin(xs * w) * w), argnums=(0, 1))(xs, w))
    # the gradient still recomputes sin inside the remat, and saves no cos
    grad_prims = _prims(ftrans.make_jaxpr(ftrans.grad(loss))(xs, w))
    assert "sin" not in grad_prims and "cos" not in grad_prims and "remat" in grad_prims
    per_example = ftrans.vmap(ftrans.grad(_loss(ck)), in_axes=(0, None))
    _same(per_example(xs, w), _loop(ftrans.grad(_loss(ck)), xs, w, in_axes=(0, None)))
