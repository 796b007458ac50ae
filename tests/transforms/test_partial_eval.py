"""``partial_eval_jaxpr``: the known/unknown split, and linearize = jvp +
partial_eval, whose unknown part is linear in the tangents."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.check import check_jaxpr
from ftrans.eval import eval_closed
from ftrans.test_util import numerical_jvp
from ftrans.transforms.dce import dce_jaxpr
from ftrans.transforms.jvp import jvp_jaxpr
from ftrans.transforms.partial_eval import partial_eval_jaxpr
from ftrans.transforms.transpose import transpose_jaxpr

NONLINEAR = {"sin", "cos", "exp", "log", "tanh", "logistic", "integer_pow", "pow",
             "sqrt", "rsqrt", "log1p", "expm1", "max", "min", "abs", "sign",
             "gt", "lt", "ge", "le", "eq", "ne", "atan2", "erf"}


def _prims(closed):
    return [e.primitive.name for e in closed.eqns]


def _split(f, args, unknowns, instantiate=False):
    closed = ftrans.make_jaxpr(f)(*args)
    known, unknown, out_unknowns, n_res = partial_eval_jaxpr(closed, unknowns, instantiate)
    check_jaxpr(known)
    check_jaxpr(unknown)
    return closed, known, unknown, out_unknowns, n_res


def _run_split(known, unknown, out_unknowns, n_res, args, unknowns):
    """Known part on the known args, unknown part on residuals + unknown args;
    outputs reassembled in order."""
    k_args = [a for a, u in zip(args, unknowns) if not u]
    u_args = [a for a, u in zip(args, unknowns) if u]
    k_outs = eval_closed(known, *k_args)
    n_known = len(k_outs) - n_res
    known_outs, res = k_outs[:n_known], k_outs[n_known:]
    unknown_outs = iter(eval_closed(unknown, *res, *u_args))
    known_outs = iter(known_outs)
    return [next(unknown_outs) if u else next(known_outs) for u in out_unknowns]


def test_known_unknown_split():
    f = lambda x, y: jnp.sin(x) * y  # noqa: E731
    closed, known, unknown, out_unk, n_res = _split(f, (1.0, 2.0), [False, True])
    assert out_unk == [True]
    assert _prims(known) == ["sin"] and _prims(unknown) == ["mul"]
    assert n_res == 1
    assert len(known.jaxpr.invars) == 1 and len(known.jaxpr.outvars) == 1  # residual
    assert len(unknown.jaxpr.invars) == 2  # residual, y
    out = _run_split(known, unknown, out_unk, n_res, (0.3, 2.0), [False, True])
    np.testing.assert_allclose(out[0], np.sin(0.3) * 2.0)


def test_known_outputs_stay_known():
    f = lambda x, y: (jnp.cos(x), x * y, jnp.exp(x))  # noqa: E731
    closed, known, unknown, out_unk, n_res = _split(f, (1.0, 2.0), [False, True])
    assert out_unk == [False, True, False]
    assert sorted(_prims(known)) == ["cos", "exp"] and _prims(unknown) == ["mul"]
    assert n_res == 1  # x itself is the residual the unknown part needs
    out = _run_split(known, unknown, out_unk, n_res, (0.3, 2.0), [False, True])
    np.testing.assert_allclose(out, [np.cos(0.3), 0.6, np.exp(0.3)])


def test_instantiate_moves_known_output_to_the_unknown_side():
    f = lambda x, y: (jnp.cos(x), x * y)  # noqa: E731
    closed, known, unknown, out_unk, n_res = _split(f, (1.0, 2.0), [False, True],
                                                    instantiate=[True, False])
    assert out_unk == [True, True]
    assert len(unknown.jaxpr.outvars) == 2 and "cos" in _prims(known)
    out = _run_split(known, unknown, out_unk, n_res, (0.3, 2.0), [False, True])
    np.testing.assert_allclose(out, [np.cos(0.3), 0.6])


@pytest.mark.parametrize("unknowns", [[False, False], [True, True]])
def test_all_known_or_all_unknown(unknowns):
    f = lambda x, y: jnp.sin(x) * y + x  # noqa: E731
    closed, known, unknown, out_unk, n_res = _split(f, (1.0, 2.0), unknowns)
    if unknowns[0]:
        assert not known.eqns and n_res == 0 and out_unk == [True]
        assert _prims(unknown) == _prims(closed)
    else:
        assert not unknown.eqns and out_unk == [False]
        assert _prims(known) == _prims(closed)
    out = _run_split(known, unknown, out_unk, n_res, (0.3, 2.0), unknowns)
    np.testing.assert_allclose(out[0], np.sin(0.3) * 2.0 + 0.3)


def test_forwarded_inputs():
    f = lambda x, y: (x, y, 1.0)  # noqa: E731
    closed, known, unknown, out_unk, n_res = _split(f, (1.0, 2.0), [False, True])
    assert out_unk == [False, True, False]
    out = _run_split(known, unknown, out_unk, n_res, (5.0, 7.0), [False, True])
    np.testing.assert_allclose(out, [5.0, 7.0, 1.0])


# --- linearize = jvp + partial_eval ----------------------------------------------------------

COMPOSITES = {
    "sin_exp": (lambda x: jnp.sin(x) * jnp.exp(x), [(3,)]),
    "tanh_chain": (lambda x: jnp.tanh(jnp.tanh(x) * 2.0 + x), [(2, 2)]),
    "two_args": (lambda x, y: jnp.log(x * x + 1.0) / (y * y + 1.0), [(3,), (3,)]),
    "pow_reduce": (lambda x: lax.reduce_sum(x ** 3 * jnp.sin(x), axes=(0,)), [(4, 2)]),
    "matvec": (lambda W, x: jnp.tanh(lax.dot(W, jnp.sin(x))), [(2, 3), (3,)]),
}


def _linearize(f, args):
    closed = ftrans.make_jaxpr(f)(*args)
    n = len(args)
    jvp_closed, _ = jvp_jaxpr(closed, [True] * n)
    n_out = len(closed.out_avals)
    known, linear, out_unk, n_res = partial_eval_jaxpr(
        jvp_closed, [False] * n + [True] * n,
        instantiate=[False] * n_out + [True] * n_out)
    return dce_jaxpr(known), dce_jaxpr(linear), out_unk, n_res, n_out


@pytest.mark.parametrize("name", COMPOSITES)
def test_linearized_part_is_linear(name, rng):
    f, shapes = COMPOSITES[name]
    args = [rng.standard_normal(s) for s in shapes]
    known, linear, out_unk, n_res, n_out = _linearize(f, args)
    check_jaxpr(known)
    check_jaxpr(linear)
    assert out_unk == [False] * n_out + [True] * n_out
    # all the non-linear work is in the known part
    assert not set(_prims(linear)) & NONLINEAR, _prims(linear)
    assert set(_prims(known)) & NONLINEAR
    k_outs = eval_closed(known, *args)
    outs, res = k_outs[:n_out], k_outs[n_out:]
    assert len(res) == n_res
    np.testing.assert_allclose(outs[0], f(*args))
    # J t against central differences
    t1 = [rng.standard_normal(s) for s in shapes]
    t2 = [rng.standard_normal(s) for s in shapes]
    lin = lambda *t: eval_closed(linear, *res, *t)[0]  # noqa: E731
    np.testing.assert_allclose(lin(*t1), numerical_jvp(f, args, t1), rtol=1e-6, atol=1e-8)
    # linear: L(2 t1 - 3 t2) = 2 L t1 - 3 L t2, and L 0 = 0
    combo = [2 * a - 3 * b for a, b in zip(t1, t2)]
    np.testing.assert_allclose(lin(*combo), 2 * lin(*t1) - 3 * lin(*t2), atol=1e-12)
    np.testing.assert_array_equal(lin(*[np.zeros(s) for s in shapes]), 0.0)
    # and transposable: <u, L t> == <L^T u, t>
    transposed = transpose_jaxpr(linear, [False] * n_res + [True] * len(args))
    check_jaxpr(transposed)
    u = rng.standard_normal(np.shape(outs[0]))
    cts = eval_closed(transposed, *res, u)
    lhs = np.vdot(u, lin(*t1))
    rhs = sum(np.vdot(c, t) for c, t in zip(cts, t1))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


def test_linearize_of_a_linear_function_needs_no_residual_work():
    f = lambda x: 3.0 * x - x  # noqa: E731
    known, linear, _, n_res, _ = _linearize(f, [np.ones(3)])
    assert n_res == 0
    assert set(_prims(linear)) <= {"mul", "sub", "neg", "add"}
