"""The primitive table drives batching: every row under ``vmap`` equals a
Python loop over the examples, stacked with numpy, for each operand batched
along axis 0, along a middle and the last axis, and with each operand
unbatched in turn; and the batched JVP and VJP of each differentiable row
equal the loop of JVPs and VJPs. Float64, to 1e-13."""

import numpy as np
import pytest

import ftrans
from ftrans.tree_util import tree_flatten, tree_map
from tests.prim_table import all_cases

B = 3  # batch size
CASES = all_cases()
IDS = [c.id for c in CASES]


def _examples(case, seed):
    rng = np.random.default_rng(seed)
    return [case.sample(rng) for _ in range(B)]


def _stack(examples, dims):
    """Operand ``i`` of every example, stacked along ``dims[i]`` (or the
    first example's, unbatched, where ``dims[i]`` is None)."""
    out = []
    for i, d in enumerate(dims):
        column = [ex[i] for ex in examples]
        out.append(column[0] if d is None else np.stack(column, axis=d))
    return out


def _loop(fn, examples, dims):
    """``fn`` on each example (unbatched operands from the first), stacked."""
    outs = []
    for ex in examples:
        args = [ex[i] if d is not None else examples[0][i] for i, d in enumerate(dims)]
        outs.append(fn(*args))
    return tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *outs)


def _close(got, want):
    g, w = tree_flatten(got)[0], tree_flatten(want)[0]
    assert len(g) == len(w)
    for a, b in zip(g, w):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
        if a.dtype.kind in "fc":
            scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13 * scale)
        else:
            np.testing.assert_array_equal(a, b)


def _dim_variants(case):
    """(label, dims) per batching layout to check."""
    ndims = [len(s) for s in case.arg_shapes]
    n = len(ndims)
    variants = [("axis0", [0] * n),
                ("last", list(ndims)),
                ("middle", [k // 2 if k >= 2 else 0 for k in ndims])]
    if n > 1:
        for i in range(n):
            dims = [0] * n
            dims[i] = None
            variants.append((f"unbatched{i}", dims))
    seen, out = set(), []
    for label, dims in variants:
        if tuple(dims) not in seen:
            seen.add(tuple(dims))
            out.append((label, dims))
    return out


PARAMS = [(c, label, dims) for c in CASES for label, dims in _dim_variants(c)]


@pytest.mark.parametrize("case,label,dims", PARAMS,
                         ids=[f"{c.id}-{label}" for c, label, _ in PARAMS])
def test_vmap_matches_the_loop(case, label, dims):
    examples = _examples(case, 10)
    size = None if dims else B  # a row without operands (iota): its output is broadcast
    got = ftrans.vmap(case.fn, in_axes=tuple(dims), axis_size=size)(*_stack(examples, dims))
    _close(got, _loop(case.fn, examples, dims))


def _float_positions(args):
    return [i for i, a in enumerate(args) if np.issubdtype(a.dtype, np.inexact)]


DIFF = [c for c in CASES if c.order >= 1]


def _normal_like(rng, x):
    """A standard normal tangent or cotangent for ``x``: complex if ``x`` is."""
    if np.iscomplexobj(x):
        return rng.standard_normal(np.shape(x)) + 1j * rng.standard_normal(np.shape(x))
    return rng.standard_normal(np.shape(x))


@pytest.mark.parametrize("case", DIFF, ids=[c.id for c in DIFF])
def test_vmap_of_jvp_and_vjp_matches_the_loop(case):
    examples = _examples(case, 11)
    pos = _float_positions(examples[0])
    fixed = examples[0]

    def of_floats(*floats):
        full = list(fixed)
        for i, x in zip(pos, floats):
            full[i] = x
        return case.fn(*full)

    rng = np.random.default_rng(12)
    primals = [[ex[i] for i in pos] for ex in examples]
    tangents = [[_normal_like(rng, p) for p in ps] for ps in primals]
    outs0 = of_floats(*primals[0])
    cts = [tree_map(lambda o: _normal_like(rng, o), outs0) for _ in range(B)]

    def jvp_one(ps, ts):
        return ftrans.jvp(of_floats, tuple(ps), tuple(ts))[1]

    def vjp_one(ps, ct):
        return ftrans.vjp(of_floats, *ps)[1](ct)

    stack = lambda *xs: np.stack(xs)  # noqa: E731
    ps_b = tree_map(stack, *primals)
    _close(ftrans.vmap(jvp_one)(ps_b, tree_map(stack, *tangents)),
           tree_map(stack, *[jvp_one(p, t) for p, t in zip(primals, tangents)]))
    _close(ftrans.vmap(vjp_one)(ps_b, tree_map(stack, *cts)),
           tree_map(stack, *[vjp_one(p, c) for p, c in zip(primals, cts)]))
