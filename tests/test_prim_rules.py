"""Every row of the primitive table through the same checks: impl against
numpy, the shape rule against the impl, tracing then evaluating, derivatives
against finite differences (orders 1 and 2, forward and reverse, with the
inner-product identity), and transpose adjointness for linear arguments.
Every jaxpr produced is type-checked (see conftest.py)."""

import numpy as np
import pytest

import ftrans
from ftrans.test_util import check_grads
from ftrans.tree_util import tree_flatten
from tests.prim_table import all_cases

CASES = all_cases()
IDS = [c.id for c in CASES]


def _flat(out):
    return [np.asarray(x) for x in tree_flatten(out)[0]]


def _float_positions(args):
    return [i for i, a in enumerate(args) if np.issubdtype(a.dtype, np.inexact)]


def _of_floats(case, args):
    """``case.fn`` as a function of its float arguments, the others fixed."""
    pos = _float_positions(args)

    def f(*floats):
        full = list(args)
        for i, x in zip(pos, floats):
            full[i] = x
        return case.fn(*full)

    return f, tuple(args[i] for i in pos)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_impl_matches_numpy(case):
    args = case.sample(np.random.default_rng(0))
    if case.ref is None:
        pytest.skip("no numpy reference for this row")
    for got, want in zip(_flat(case.fn(*args)), _flat(case.ref(*args))):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shape_rule_matches_impl_and_eval(case):
    args = case.sample(np.random.default_rng(1))
    closed = ftrans.make_jaxpr(case.fn)(*args)
    eager = _flat(case.fn(*args))
    assert [(a.shape, a.dtype) for a in closed.out_avals] == \
        [(e.shape, e.dtype) for e in eager]
    evaluated = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, *args)
    for got, want in zip(evaluated, eager):
        np.testing.assert_array_equal(np.asarray(got), want)


@pytest.mark.parametrize("case", [c for c in CASES if c.order >= 1],
                         ids=[c.id for c in CASES if c.order >= 1])
def test_derivatives(case):
    args = case.sample(np.random.default_rng(2))
    f, floats = _of_floats(case, args)
    check_grads(f, floats, order=case.order, atol=case.tol, rtol=case.tol)


@pytest.mark.parametrize("case", [c for c in CASES if c.linear_args],
                         ids=[c.id for c in CASES if c.linear_args])
def test_transpose_is_adjoint(case):
    rng = np.random.default_rng(3)
    args = case.sample(rng)
    for i in case.linear_args:
        def lin(x, i=i):
            full = list(args)
            full[i] = x
            return case.fn(*full)
        x = _random(rng, args[i].shape, args[i].dtype)
        # with the other arguments fixed, fn may be affine in x (add, select_n):
        # the offset lin(0) is not part of the linear map being transposed
        y = np.asarray(lin(x)) - np.asarray(lin(np.zeros_like(x)))
        ct = _random(rng, np.shape(y), y.dtype)
        (x_ct,) = ftrans.linear_transpose(lin, args[i])(ct)
        assert np.asarray(x_ct).dtype.kind == np.asarray(x).dtype.kind
        # JAX's pairing Re(sum(u * v)), without conjugation (a complex transpose
        # is the transpose of a real-linear map, not its adjoint)
        np.testing.assert_allclose(np.sum(ct * y).real, np.sum(x_ct * x).real,
                                   rtol=1e-10, atol=1e-10)


def _random(rng, shape, dtype):
    """Standard normal of ``shape``, with a random imaginary part if ``dtype`` is complex."""
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype) if np.dtype(dtype).kind in "fc" else x
