"""Checkpoint policies: what a checkpointed function saves for its backward pass.

For each policy, the residuals of the linearization (the values the forward
pass hands to the linear part) are read from the derived jaxprs and compared
with what the policy says; gradients must equal the un-checkpointed ones; and
peak memory must drop when a deep chain saves nothing but block inputs.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.ad_checkpoint import (checkpoint, checkpoint_name, checkpoint_policies,
                                  print_saved_residuals, saved_residuals)
from ftrans.api import _diff_mask
from ftrans.derivatives import derivatives
from ftrans.test_util import check_grads, measured_peak_bytes

P = checkpoint_policies


def _mlp(w1, w2, x):
    h = checkpoint_name(jnp.sin(w1 @ x), "h")
    z = checkpoint_name(jnp.sin(w2 @ h), "z")
    return jnp.sum(z * z)


@pytest.fixture
def mlp_args(rng):
    return rng.standard_normal((5, 4)), rng.standard_normal((3, 5)), rng.standard_normal(4)


def _residuals(f, *args):
    """The residuals of ``f``'s linearization as ``ftrans.linearize`` derives it:
    a Counter of their (shape, producing primitive or 'input')."""
    closed = ftrans.make_jaxpr(f)(*args)
    lin = derivatives(closed, _diff_mask(list(args)), len(closed.out_avals)).linearized
    found = saved_residuals(f, *args)
    # the derivation used by linearize/grad agrees on how many there are
    assert lin.n_res == len(found), (lin.n_res, found)
    return Counter((a.shape, s.split(" from")[0] if s.startswith("output") else
                    ("input" if s.startswith("from the argument") else s)) for a, s in found)


INPUTS = Counter({((5, 4), "input"): 1, ((3, 5), "input"): 1, ((4,), "input"): 1})


def _grads(f, args):
    return ftrans.grad(f, argnums=(0, 1, 2))(*args)


def _same_grads(f, g, args):
    for a, b in zip(_grads(f, args), _grads(g, args)):
        np.testing.assert_array_equal(a, b)


def test_nothing_saveable_saves_only_the_inputs(mlp_args):
    for policy in (None, P.nothing_saveable):
        f = checkpoint(_mlp, policy=policy)
        assert _residuals(f, *mlp_args) == INPUTS
        _same_grads(f, _mlp, mlp_args)


def test_everything_saveable_saves_what_the_plain_function_saves(mlp_args):
    f = checkpoint(_mlp, policy=P.everything_saveable)
    plain = _residuals(_mlp, *mlp_args)
    assert _residuals(f, *mlp_args) == plain
    assert sum(plain.values()) > 3  # more than the inputs: cos values and names
    _same_grads(f, _mlp, mlp_args)


def test_dots_saveable_saves_only_dot_general_outputs(mlp_args):
    for policy in (P.dots_saveable, P.checkpoint_dots, P.dots_with_no_batch_dims_saveable):
        f = checkpoint(_mlp, policy=policy)
        assert _residuals(f, *mlp_args) == INPUTS + Counter(
            {((5,), "output of dot_general"): 1, ((3,), "output of dot_general"): 1})
        _same_grads(f, _mlp, mlp_args)


def test_dots_with_no_batch_dims_skips_batched_dots(rng):
    w, x = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4))

    def f(w, x):
        return jnp.sum(jnp.sin(jnp.einsum("bij,bj->bi", w, x)))

    res_batch = _residuals(checkpoint(f, policy=P.dots_with_no_batch_dims_saveable), w, x)
    res_dots = _residuals(checkpoint(f, policy=P.dots_saveable), w, x)
    assert not any("dot_general" in str(k) for k in res_batch)
    assert sum(v for k, v in res_dots.items() if "dot_general" in str(k)) == 1


def test_name_policies_save_only_or_all_but_the_named_values(mlp_args):
    cases = [
        (P.save_only_these_names("h"), {((5,), "named 'h'"): 1}),
        (P.save_only_these_names("h", "z"), {((5,), "named 'h'"): 1, ((3,), "named 'z'"): 1}),
        (P.save_only_these_names("nope"), {}),
        (P.save_any_names_but_these("h"), {((3,), "named 'z'"): 1}),
        (P.save_any_names_but_these(), {((5,), "named 'h'"): 1, ((3,), "named 'z'"): 1}),
        (P.save_from_both_policies(P.dots_saveable, P.save_only_these_names("z")),
         {((5,), "output of dot_general"): 1, ((3,), "output of dot_general"): 1,
          ((3,), "named 'z'"): 1}),
    ]
    for policy, extra in cases:
        f = checkpoint(_mlp, policy=policy)
        assert _residuals(f, *mlp_args) == INPUTS + Counter(extra), policy
        _same_grads(f, _mlp, mlp_args)


def test_save_anything_except_these_names(mlp_args):
    f = checkpoint(_mlp, policy=P.save_anything_except_these_names("h"))
    res = _residuals(f, *mlp_args)
    assert ((5,), "named 'h'") not in res and ((3,), "named 'z'") in res
    _same_grads(f, _mlp, mlp_args)


def test_a_user_policy_is_called_with_primitive_avals_and_params(mlp_args):
    seen = []

    def policy(prim, *avals, **params):
        seen.append((prim.name, tuple(a.shape for a in avals), sorted(params)))
        return prim.name == "sin"

    f = checkpoint(_mlp, policy=policy)
    assert _residuals(f, *mlp_args) == INPUTS + Counter({((5,), "output of sin"): 1,
                                                         ((3,), "output of sin"): 1})
    assert ("dot_general", ((5, 4), (4,)), ["dimension_numbers", "preferred_element_type"]) \
        in seen
    _same_grads(f, _mlp, mlp_args)


def test_policies_under_higher_order_vmap_and_jit(mlp_args, rng):
    for policy in (P.nothing_saveable, P.dots_saveable, P.save_only_these_names("h"),
                   P.everything_saveable):
        f = checkpoint(_mlp, policy=policy)
        check_grads(f, mlp_args, order=2, modes=("fwd", "rev"))
        xs = rng.standard_normal((3, 4))
        w1, w2, _ = mlp_args
        np.testing.assert_allclose(
            ftrans.vmap(ftrans.grad(f, argnums=2), in_axes=(None, None, 0))(w1, w2, xs),
            ftrans.vmap(ftrans.grad(_mlp, argnums=2), in_axes=(None, None, 0))(w1, w2, xs),
            rtol=1e-13)
        np.testing.assert_allclose(ftrans.jit(ftrans.grad(f))(*mlp_args),
                                   ftrans.grad(_mlp)(*mlp_args), rtol=1e-13)


def test_checkpoint_name_is_the_identity_for_derivatives(rng):
    x = rng.standard_normal(3)
    f = lambda x: jnp.sum(jnp.sin(checkpoint_name(x * x, "sq")))  # noqa: E731
    g = lambda x: jnp.sum(jnp.sin(x * x))  # noqa: E731
    np.testing.assert_array_equal(ftrans.grad(f)(x), ftrans.grad(g)(x))
    # the tangent is not named: no name equation in the linear part
    closed = ftrans.make_jaxpr(f)(x)
    lin = derivatives(closed, [True], 1).linearized
    assert "name" not in [e.primitive.name for e in lin.linear.jaxpr.eqns]
    assert checkpoint_name({"a": 1.0}, "a") == {"a": 1.0}
    with pytest.raises(TypeError, match="name must be a str"):
        checkpoint_name(x, 3)


def _chain(depth, policy):
    block = checkpoint(lambda x: jnp.sin(jnp.sin(jnp.sin(x) * 1.5) + x), policy=policy)

    def f(x):
        for _ in range(depth):
            x = block(x)
        return jnp.sum(x)

    return f


def _plain_chain(depth):
    def f(x):
        for _ in range(depth):
            x = jnp.sin(jnp.sin(jnp.sin(x) * 1.5) + x)
        return jnp.sum(x)

    return f


def test_nothing_saveable_lowers_peak_memory_on_a_deep_chain(rng):
    x = rng.standard_normal(20_000)  # 160 kB per value
    everything, nothing = _chain(12, P.everything_saveable), _chain(12, P.nothing_saveable)
    np.testing.assert_array_equal(ftrans.grad(everything)(x), ftrans.grad(nothing)(x))
    closed_e = ftrans.make_jaxpr(ftrans.grad(everything))(x)
    closed_n = ftrans.make_jaxpr(ftrans.grad(nothing))(x)
    peak_e = ftrans.cost_analysis(ftrans.grad(everything), x).peak_bytes
    peak_n = ftrans.cost_analysis(ftrans.grad(nothing), x).peak_bytes
    assert peak_n < 0.5 * peak_e, (peak_n, peak_e)
    plain = ftrans.cost_analysis(ftrans.grad(_plain_chain(12)), x).peak_bytes
    assert peak_e <= 1.25 * plain, (peak_e, plain)  # saving everything: as no checkpoint
    measured_e, measured_n = measured_peak_bytes(closed_e, x), measured_peak_bytes(closed_n, x)
    assert measured_n < 0.5 * measured_e, (measured_n, measured_e)


def test_static_argnums(rng):
    def block(x, n, scale):
        for _ in range(n):
            x = jnp.sin(x) * scale
        return x

    x = rng.standard_normal(3)
    for static in (1, (1,), (1, -1)):
        ck = checkpoint(block, static_argnums=static, policy=P.dots_saveable)
        np.testing.assert_allclose(ftrans.grad(lambda x: jnp.sum(ck(x, 3, 2.0)))(x),
                                   ftrans.grad(lambda x: jnp.sum(block(x, 3, 2.0)))(x),
                                   rtol=1e-14)
    ck = checkpoint(block, static_argnums=(1,))
    closed = ftrans.make_jaxpr(lambda x: ck(x, 4, 2.0))(x)
    (remat,) = closed.jaxpr.eqns
    assert [e.primitive.name for e in remat.params["jaxpr"].jaxpr.eqns].count("sin") == 4


def test_prevent_cse(rng):
    x = rng.standard_normal(3)

    def two_calls(prevent_cse):
        g = checkpoint(jnp.sin, prevent_cse=prevent_cse)
        return lambda x: g(x) + g(x)

    from ftrans.transforms.cse import cse_jaxpr
    for prevent, count in ((True, 2), (False, 1)):
        closed = cse_jaxpr(ftrans.make_jaxpr(two_calls(prevent))(x))
        assert [e.primitive.name for e in closed.jaxpr.eqns].count("remat") == count
        np.testing.assert_allclose(ftrans.grad(lambda x: jnp.sum(two_calls(prevent)(x)))(x),
                                   2 * np.cos(x), rtol=1e-14)
    assert ftrans.remat is ftrans.checkpoint and ftrans.ad_checkpoint.remat is checkpoint


def test_policy_keys_the_derivation_cache(rng):
    """Two calls with the same named policy share one derivation; another
    policy is another derivation (never a wrong hit)."""
    x = rng.standard_normal(3)
    f1 = checkpoint(lambda x: jnp.sum(jnp.sin(jnp.sin(x))), policy=P.save_only_these_names("a"))
    f2 = checkpoint(lambda x: jnp.sum(jnp.sin(jnp.sin(x))), policy=P.save_only_these_names("a"))
    assert P.save_only_these_names("a") == P.save_only_these_names("a")
    assert P.save_only_these_names("a") != P.save_only_these_names("b")
    np.testing.assert_allclose(ftrans.grad(f1)(x), ftrans.grad(f2)(x))
    assert ftrans.make_jaxpr(f1)(x).jaxpr.eqns[0].params["policy"] == \
        ftrans.make_jaxpr(f2)(x).jaxpr.eqns[0].params["policy"]


def test_print_saved_residuals(mlp_args, capsys):
    print_saved_residuals(checkpoint(_mlp, policy=P.save_only_these_names("h")), *mlp_args)
    assert capsys.readouterr().out.splitlines() == [
        "f64[5,4] from the argument w1", "f64[3,5] from the argument w2",
        "f64[4] from the argument x", "f64[5] named 'h'"]
    print_saved_residuals(lambda p: jnp.sin(p["a"][0]).sum(), {"a": [np.ones(2)]})
    assert capsys.readouterr().out.splitlines() == ["f64[2] output of cos"]
    print_saved_residuals(lambda x: jnp.sin(x) * x, 1.0)
    assert sorted(capsys.readouterr().out.splitlines()) == [
        "f64[] from the argument x", "f64[] output of cos", "f64[] output of sin"]


def test_bad_policies_and_offloading():
    with pytest.raises(TypeError, match="policy must be a callable"):
        checkpoint(jnp.sin, policy="dots")
    with pytest.raises(NotImplementedError, match="host memory"):
        P.save_and_offload_only_these_names(names_which_can_be_saved=["a"],
                                            names_which_can_be_offloaded=[],
                                            offload_src="device", offload_dst="pinned_host")
    with pytest.raises(TypeError, match="names must be str"):
        P.save_only_these_names(1)
    with pytest.raises(TypeError, match="positional"):
        checkpoint(jnp.sin, True)  # prevent_cse is keyword-only, as in JAX


def test_nested_checkpoints_and_control_flow_inside(rng):
    """Policies on nested checkpoints and on a body holding a scan: residuals
    are traced back to the outer arguments, gradients stay exact."""
    from ftrans import lax
    w, x = rng.standard_normal((4, 4)), rng.standard_normal(4)

    def inner(w, h):
        return jnp.sin(checkpoint_name(w @ h, "pre"))

    def f(w, x):
        h = checkpoint(inner, policy=P.nothing_saveable)(w, x)
        h = checkpoint(inner, policy=P.save_only_these_names("pre"))(w, h)
        h, _ = lax.scan(lambda c, _: (jnp.tanh(w @ c), None), h, None, length=3)
        return jnp.sum(h ** 2)

    def plain(w, x):
        h = inner(w, inner(w, x))
        for _ in range(3):
            h = jnp.tanh(w @ h)
        return jnp.sum(h ** 2)

    for policy in (None, P.everything_saveable, P.dots_saveable,
                   P.save_only_these_names("pre")):
        g = checkpoint(f, policy=policy)
        for a, b in zip(ftrans.grad(g, argnums=(0, 1))(w, x),
                        ftrans.grad(plain, argnums=(0, 1))(w, x)):
            np.testing.assert_allclose(a, b, rtol=1e-12)
        check_grads(g, (w, x), order=2, modes=("rev",))
    sources = [s for _, s in saved_residuals(checkpoint(f), w, x)]
    assert sorted(sources) == ["from the argument w", "from the argument x"]
