"""``ftrans.Array``: the numpy arrays ftrans returns, with JAX's ``x.at``,
traced indexing and ``block_until_ready``, and numpy's behaviour otherwise."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.errors import traced_index_hint


def _is_array(x) -> bool:
    return type(x) is ftrans.Array and isinstance(x, np.ndarray)


# --- what leaves ftrans is an ftrans.Array -----------------------------------------

def test_eager_results_are_arrays():
    x = np.array([0.5, -1.0, 2.0])
    for out in (jnp.sin(x), jnp.zeros(3), jnp.ones((2, 2)), jnp.arange(3.0),
                jnp.asarray([1, 2]), jnp.array(x), jnp.full((2,), 7.0), jnp.eye(2),
                jnp.sum(x), jnp.linalg.norm(x), jnp.take(x, [0, 2]), lax.sin(x),
                ftrans.nn.relu(x), jnp.zeros(3).at[0].set(1.0), jnp.asarray(x).at[1].get(),
                *jnp.split(x, 3), *jnp.linalg.slogdet(np.eye(2)), *jnp.divmod(x, 2.0)):
        assert _is_array(out), type(out)
    np.testing.assert_array_equal(jnp.zeros(3).at[0].set(1.0), [1.0, 0.0, 0.0])
    assert type(jnp.linalg.slogdet(np.eye(2))).__name__ == "SlogdetResult"


def test_transformation_outputs_are_arrays():
    f = lambda x: jnp.sum(jnp.sin(x) ** 2)  # noqa: E731
    x = np.array([0.3, -0.7])
    value, g = ftrans.value_and_grad(f)(x)
    y, t = ftrans.jvp(jnp.sin, (x,), (np.ones(2),))
    out, f_vjp = ftrans.vjp(jnp.sin, x)
    _, f_jvp = ftrans.linearize(jnp.sin, x)
    for a in (ftrans.grad(f)(x), value, g, y, t, out, f_vjp(np.ones(2))[0], f_jvp(x),
              ftrans.jacfwd(jnp.sin)(x), ftrans.jacrev(jnp.sin)(x), ftrans.hessian(f)(x),
              ftrans.grad(lambda x: x * 2.0)(1.0)):
        assert _is_array(a), type(a)
    np.testing.assert_allclose(g, 2 * np.sin(x) * np.cos(x))


# --- numpy semantics are kept ------------------------------------------------------

def test_an_array_behaves_as_an_ndarray():
    a = jnp.arange(4.0)
    assert repr(a) == "array([0., 1., 2., 3.])" and str(a) == "[0. 1. 2. 3.]"
    assert repr((jnp.ones(1), jnp.sum(a))) == "(array([1.]), array(6.))"
    # full reductions and element reads are numpy scalars (hashable), as on an ndarray
    for s in (a.sum(), np.sum(a), a.max(), a[1], np.dot(a, a)):
        assert type(s) is np.float64
    assert {a.sum(): 1}[6.0] == 1
    # arithmetic, numpy functions and views give Arrays with .at, as in JAX
    for b in (a + 1, 2.0 * a, np.sin(a), np.sum(a.reshape(2, 2), axis=0), a[1:], a.T,
              a.reshape(2, 2), a.copy(), np.ones(4) + a):
        assert _is_array(b), type(b)
    np.testing.assert_array_equal((a * 2).at[0].set(9.0), [9.0, 2.0, 4.0, 6.0])
    # numpy's exact type is one call away, and nothing else differs
    assert type(np.asarray(a)) is np.ndarray and type(a.view(np.ndarray)) is np.ndarray
    b = pickle.loads(pickle.dumps(a))
    assert _is_array(b) and b.tolist() == [0.0, 1.0, 2.0, 3.0]
    c = jnp.zeros(3)
    c[1] = 5.0  # an Array outside a trace is an ordinary mutable numpy array
    assert c.tolist() == [0.0, 5.0, 0.0]
    assert a.block_until_ready() is a


def test_the_value_inside_a_trace_stays_a_plain_ndarray():
    A = jnp.arange(3.0)
    seen = []

    def f(x):
        y = x * A + A[1:].sum() + jnp.asarray(A).at[0].get()
        seen.append(type(y.val))
        return jnp.sum(y)

    assert ftrans.grad(f)(np.ones(3)).tolist() == [0.0, 1.0, 2.0]
    assert seen == [np.ndarray]
    closed = ftrans.make_jaxpr(lambda x: x * A + A[x.astype(int)[0]])(np.ones(3))
    assert all(type(c) is np.ndarray for c in closed.consts)


# --- .at on arrays that ftrans made, eagerly and under every transformation ---------

def _set_first(v):
    return jnp.sum(jnp.zeros(3).at[0].set(v) * np.array([2.0, 1.0, 1.0])) + v * v


@pytest.mark.parametrize("transform", ["grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian",
                                       "make_jaxpr", "scan", "fori_loop", "cond"])
def test_at_set_works_under_every_transformation(transform):
    v = 1.5  # f(v) = 2 v + v^2, f'(v) = 2 + 2 v = 5, f'' = 2
    assert _set_first(v) == 2 * v + v * v
    if transform == "grad":
        assert ftrans.grad(_set_first)(v) == 5.0
    elif transform == "jvp":
        assert ftrans.jvp(_set_first, (v,), (1.0,)) == (5.25, 5.0)
    elif transform == "vjp":
        assert ftrans.vjp(_set_first, v)[1](1.0)[0] == 5.0
    elif transform in ("jacfwd", "jacrev"):
        assert getattr(ftrans, transform)(_set_first)(v) == 5.0
    elif transform == "hessian":
        assert ftrans.hessian(_set_first)(v) == 2.0
    elif transform == "make_jaxpr":
        closed = ftrans.make_jaxpr(_set_first)(v)
        assert ftrans.eval_jaxpr(closed.jaxpr, closed.consts, v)[0] == 5.25
    elif transform == "scan":
        out = lax.scan(lambda c, v: (c + _set_first(v), None), 0.0, np.array([1.0, 2.0]))[0]
        assert out == 3.0 + 8.0
        g = ftrans.grad(lambda w: lax.scan(lambda c, v: (c + _set_first(v * w), None), 0.0,
                                           np.array([1.0, 2.0]))[0])(1.0)
        assert g == pytest.approx(4.0 * 1 + 6.0 * 2)
    elif transform == "fori_loop":
        assert lax.fori_loop(0, 2, lambda i, c: c + _set_first(c), 1.0) == 4.0 + 24.0
    elif transform == "cond":
        assert lax.cond(True, _set_first, lambda v: v, v) == 5.25
        assert ftrans.grad(lambda v: lax.cond(v > 0, _set_first, lambda v: v, v))(v) == 5.0


# --- indexing an Array with a traced index -----------------------------------------

def test_a_loop_body_indexes_a_captured_array_with_its_counter():
    table = jnp.arange(5.0)
    assert lax.fori_loop(0, 5, lambda i, s: s + table[i], 0.0) == 10.0
    squares = lax.scan(lambda c, i: (c, table[i] ** 2), 0.0, np.arange(5))[1]
    np.testing.assert_array_equal(squares, [0.0, 1.0, 4.0, 9.0, 16.0])
    # under grad, with respect to a value combined with the table
    g = ftrans.grad(lambda w: lax.fori_loop(0, 5, lambda i, s: s + w * table[i] ** 2, 0.0))
    assert g(2.0) == 30.0
    # the loop counter is abstract while the body is traced
    closed = ftrans.make_jaxpr(lambda n: lax.fori_loop(0, n, lambda i, s: s + table[i], 0.0))
    assert ftrans.eval_jaxpr(closed(3).jaxpr, closed(3).consts, 4)[0] == 6.0


def test_traced_indices_of_every_form():
    A = jnp.arange(12.0).reshape(3, 4)

    def reads(i):
        return [A[i], A[i, 1], A[1, i], A[(i, i)], A[[i, 0]], A[:, i], A[i, 1:3]]

    closed = ftrans.make_jaxpr(reads)(np.int64(2))
    got = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, np.int64(2))
    want = [np.asarray(A)[k] for k in (2, (2, 1), (1, 2), (2, 2), [2, 0], (slice(None), 2),
                                       (2, slice(1, 3)))]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    # concrete indices stay on numpy's path and give Arrays (views) or numpy scalars
    assert _is_array(A[1]) and type(A[1, 2]) is np.float64 and _is_array(A[[0, 2]])
    with pytest.raises(IndexError):
        A[3]


def test_indexing_a_plain_numpy_array_with_an_abstract_tracer_is_a_clear_error():
    with pytest.raises(ftrans.ConcretizationError):
        ftrans.make_jaxpr(lambda i: np.arange(3.0)[i])(np.int64(1))
    assert "jnp.asarray(a)[i]" in traced_index_hint() and "jnp.take" in traced_index_hint()
    # the same read written with ftrans works
    closed = ftrans.make_jaxpr(lambda i: jnp.asarray(np.arange(3.0))[i])(np.int64(1))
    assert ftrans.eval_jaxpr(closed.jaxpr, closed.consts, np.int64(2))[0] == 2.0


def test_the_error_for_a_plain_numpy_array_says_what_to_write():
    with pytest.raises(ftrans.ConcretizationError, match=r"jnp\.asarray\(a\)\[i\]"):
        ftrans.make_jaxpr(lambda i: np.arange(3.0)[i])(np.int64(1))
