"""Cost analysis (ftrans.transforms.cost): FLOPs against hand counts, peak
memory against tracemalloc, the printed table, and jacfwd vs jacrev."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.core import Primitive
from ftrans.test_util import measured_peak_bytes
from ftrans.transforms.cost import analyze


def _mlp(params, x):
    w1, b1, w2, b2 = params
    h = jnp.tanh(x @ w1 + b1)
    return jnp.sum((h @ w2 + b2) ** 2)


def _mlp_args(rng, B, d, h, o):
    return ((rng.normal(size=(d, h)), rng.normal(size=h), rng.normal(size=(h, o)),
             rng.normal(size=o)), rng.normal(size=(B, d)))


def test_matmul_chain_flops_are_exact(rng):
    a, b, c = rng.normal(size=(10, 20)), rng.normal(size=(20, 30)), rng.normal(size=(30, 5))
    cost = ftrans.cost_analysis(lambda a, b, c: (a @ b) @ c, a, b, c)
    assert cost.flops == 2 * 10 * 20 * 30 + 2 * 10 * 30 * 5
    assert cost.transcendentals == 0 and cost.n_eqns == 2
    assert cost.by_primitive["dot_general"]["count"] == 2
    assert cost.bytes_read == 8 * (10 * 20 + 20 * 30 + 10 * 30 + 30 * 5)
    assert cost.bytes_written == 8 * (10 * 30 + 10 * 5)


def test_batched_dot_general_counts_batch_free_and_contracted_dims():
    x, y = np.ones((4, 3, 6)), np.ones((4, 6, 5))
    cost = ftrans.cost_analysis(lambda x, y: lax.dot_general(x, y, (((2,), (1,)), ((0,), (0,)))),
                                x, y)
    assert cost.flops == 2 * 4 * 3 * 5 * 6


def test_mlp_forward_flops_are_exact(rng):
    B, d, h, o = 8, 5, 7, 3
    params, x = _mlp_args(rng, B, d, h, o)
    cost = ftrans.cost_analysis(_mlp, params, x)
    # dot, broadcast (0), add, tanh, dot, broadcast (0), add, square, sum
    assert cost.flops == (2 * B * d * h + B * h + B * h + 2 * B * h * o + B * o + B * o + B * o)
    assert cost.transcendentals == B * h
    assert cost.by_primitive["broadcast_in_dim"]["flops"] == 0


def test_mlp_grad_flops_are_exact(rng):
    B, d, h, o = 8, 5, 7, 3
    params, x = _mlp_args(rng, B, d, h, o)
    cost = ftrans.cost_analysis(ftrans.grad(_mlp), params, x)
    # five matmuls: the two of the forward pass, dW2 = h^T g, dh = g W2^T, dW1 = x^T gh
    dots = 2 * B * d * h + 2 * B * h * o + 2 * h * B * o + 2 * B * o * h + 2 * d * B * h
    assert cost.by_primitive["dot_general"]["flops"] == dots
    # elementwise on [B, h]: add, tanh, y*y, 1 - y*y, dh * (1 - y*y), sum over B (db1);
    # on [B, o]: add, square, 2 * n, sum (the loss), 1 * 2n, sum over B (db2)
    assert cost.flops == dots + 6 * B * h + 6 * B * o
    assert cost.transcendentals == B * h


def test_rnn_scan_counts_its_body_times_the_length(rng):
    T, H = 6, 4
    w, xs = rng.normal(size=(H, H)), rng.normal(size=(T, H))

    def rnn(w, xs):
        def step(c, x):
            c = jnp.tanh(w @ c + x)
            return c, c
        return lax.scan(step, jnp.zeros(H), xs)[1]

    cost = ftrans.cost_analysis(rnn, w, xs)
    assert cost.flops == T * (2 * H * H + H + H)
    assert cost.transcendentals == T * H
    assert cost.by_primitive["dot_general"]["count"] == T  # executions
    assert cost.n_eqns == 2 + 3  # broadcast, scan, and the body's three
    assert not cost.trip_count_unknown


def test_transcendentals_are_counted_apart():
    x = np.ones((3, 4))
    f = lambda x: jnp.exp(x) + jnp.sin(x) * jnp.sqrt(x) + jnp.log(x) / x  # noqa: E731
    cost = ftrans.cost_analysis(f, x)
    assert cost.transcendentals == 4 * 12
    assert cost.flops == 8 * 12  # four transcendentals, add, mul, div, add


def test_cond_counts_its_costliest_branch_and_while_one_flagged_iteration():
    x = np.ones(3)
    cond = ftrans.cost_analysis(
        lambda x: lax.cond(x.sum() > 0, lambda x: jnp.exp(x) * 2.0, lambda x: x, x), x)
    assert cond.transcendentals == 3
    assert cond.by_primitive["exp"]["flops"] == 3 and "cond" in cond.by_primitive
    loop = ftrans.cost_analysis(
        lambda x: lax.while_loop(lambda c: c[0] < 10, lambda c: (c[0] + 1, jnp.sin(c[1])),
                                 (0, x)), x)
    assert loop.trip_count_unknown and loop.transcendentals == 3
    assert "trip count unknown" in str(loop)


def test_vmap_multiplies_the_cost_by_the_batch(rng):
    w = rng.normal(size=(5, 4))
    f = lambda x: jnp.tanh(w @ x)  # noqa: E731
    one = ftrans.cost_analysis(f, np.ones(4))
    batched = ftrans.cost_analysis(ftrans.vmap(f), np.ones((10, 4)))
    assert batched.flops == 10 * one.flops
    assert batched.transcendentals == 10 * one.transcendentals


def test_lowered_cost_analysis_is_that_of_the_optimized_jaxpr(rng):
    a, b = rng.normal(size=(6, 7)), rng.normal(size=(7, 2))
    lowered = ftrans.jit(lambda a, b: jnp.exp(a @ b)).lower(a, b)
    cost = lowered.cost_analysis()
    assert cost.flops == 2 * 6 * 7 * 2 + 12 and cost.transcendentals == 12
    assert repr(cost) == repr(analyze(lowered.jaxpr))


def test_the_table_lists_the_primitives(rng):
    params, x = _mlp_args(rng, 8, 5, 7, 3)
    text = str(ftrans.cost_analysis(ftrans.grad(_mlp), params, x))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["primitive", "count", "flops"]
    for name in ("dot_general", "tanh", "add", "mul", "reduce_sum", "total"):
        assert any(line.split()[0] == name for line in lines[2:]), name
    assert "peak live memory" in lines[-1]
    # the costliest primitive comes first
    assert lines[2].split()[0] == "dot_general"


def _rnn_loss(wh, xs):
    def step(h, x):
        h = jnp.tanh(wh @ h + x)
        return h, jnp.sum(h)
    return jnp.sum(lax.scan(step, jnp.zeros(xs.shape[1]), xs)[1])


def _peak_workloads(rng):
    """name -> (function, args): each computes intermediates of about 1 MB or more."""
    params, x = _mlp_args(rng, 256, 256, 512, 128)
    a, b = rng.normal(size=(2000, 50)) / 7, rng.normal(size=(50, 20)) / 4.5
    tall = lambda v: jnp.tanh(a @ jnp.tanh(b @ v))  # noqa: E731
    h = rng.normal(size=(60, 300)) / 17
    return {
        "mlp forward": (_mlp, (params, x)),
        "mlp grad": (ftrans.grad(_mlp), (params, x)),
        "rnn scan grad": (ftrans.grad(_rnn_loss),
                          (rng.normal(size=(256, 256)) / 16, rng.normal(size=(100, 256)))),
        "jacfwd tall": (ftrans.jacfwd(tall), (rng.normal(size=20),)),
        "hessian": (ftrans.hessian(lambda v: jnp.sum(jnp.tanh(h @ v))), (rng.normal(size=300),)),
    }


@pytest.mark.parametrize("name", ["mlp forward", "mlp grad", "rnn scan grad", "jacfwd tall",
                                  "hessian"])
def test_peak_bytes_match_tracemalloc_within_25_percent(rng, name):
    f, args = _peak_workloads(rng)[name]
    closed = ftrans.make_jaxpr(f)(*args)
    predicted = analyze(closed).peak_bytes
    assert predicted > 500_000
    measured = measured_peak_bytes(closed, *ftrans.tree_util.tree_leaves(args))
    assert abs(measured - predicted) <= 0.25 * predicted, (measured, predicted)


def test_a_scan_body_frees_its_values_every_iteration(rng):
    """The backward scan of an RNN builds a 512 kB outer product per step:
    it must be freed at once (it once lived until the garbage collector ran,
    held by a frame that referenced itself), so the peak stays near one."""
    closed = ftrans.make_jaxpr(ftrans.grad(_rnn_loss))(np.ones((256, 256)), np.ones((100, 256)))
    measured = measured_peak_bytes(closed, *[np.ones((256, 256)) / 300,
                                                           np.ones((100, 256))])
    assert measured < 5 * 256 * 256 * 8


def test_jacfwd_is_cheaper_for_tall_and_jacrev_for_wide(rng):
    a = rng.normal(size=(200, 3))
    tall, wide = (lambda x: jnp.tanh(a @ x)), (lambda x: jnp.tanh(a.T @ x))
    fwd = ftrans.cost_analysis(ftrans.jacfwd(tall), np.ones(3))
    rev = ftrans.cost_analysis(ftrans.jacrev(tall), np.ones(3))
    assert fwd.flops < rev.flops and fwd.peak_bytes < rev.peak_bytes
    fwd = ftrans.cost_analysis(ftrans.jacfwd(wide), np.ones(200))
    rev = ftrans.cost_analysis(ftrans.jacrev(wide), np.ones(200))
    assert rev.flops < fwd.flops and rev.peak_bytes < fwd.peak_bytes


def test_every_library_primitive_has_a_cost_rule():
    missing = [name for name, p in Primitive.registry.items() if p.in_library and p.cost is None]
    assert not missing
