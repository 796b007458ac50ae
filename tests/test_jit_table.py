"""The primitive table under ``jit``: every row, its gradient and its
batched form, jitted (traced, optimized, generated as numpy source), equal
the eager results (to 1e-14; bit-for-bit in most rows)."""

import numpy as np
import pytest

import ftrans
from ftrans.tree_util import tree_flatten
from tests.prim_table import all_cases

CASES = all_cases()
DIFF = [c for c in CASES if c.order >= 1]


def _close(got, want):
    g, w = tree_flatten(got)[0], tree_flatten(want)[0]
    assert len(g) == len(w)
    for a, b in zip(g, w):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype
        if a.dtype.kind in "fc":
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-14)
        else:
            np.testing.assert_array_equal(a, b)


def _of_floats(case, args):
    pos = [i for i, a in enumerate(args) if np.issubdtype(a.dtype, np.inexact)]

    def f(*floats):
        full = list(args)
        for i, x in zip(pos, floats):
            full[i] = x
        return ftrans.numpy.sum(tree_flatten(case.fn(*full))[0][0])

    return f, tuple(args[i] for i in pos)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_jit_of_each_row_equals_eager(case):
    args = case.sample(np.random.default_rng(20))
    _close(ftrans.jit(case.fn)(*args), case.fn(*args))


@pytest.mark.parametrize("case", DIFF, ids=[c.id for c in DIFF])
def test_jit_of_grad_of_each_row_equals_grad(case):
    args = case.sample(np.random.default_rng(21))
    f, floats = _of_floats(case, args)
    if not floats or not np.issubdtype(np.asarray(f(*floats)).dtype, np.floating):
        pytest.skip("no float input or output to differentiate")
    argnums = tuple(range(len(floats)))
    _close(ftrans.jit(ftrans.grad(f, argnums))(*floats), ftrans.grad(f, argnums)(*floats))


@pytest.mark.parametrize("case", [c for c in CASES if c.arg_shapes],
                         ids=[c.id for c in CASES if c.arg_shapes])
def test_jit_of_vmap_of_each_row_equals_vmap(case):
    rng = np.random.default_rng(22)
    examples = [case.sample(rng) for _ in range(3)]
    stacked = [np.stack([ex[i] for ex in examples]) for i in range(len(examples[0]))]
    _close(ftrans.jit(ftrans.vmap(case.fn))(*stacked), ftrans.vmap(case.fn)(*stacked))
