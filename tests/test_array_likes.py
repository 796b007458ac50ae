"""Python lists and tuples holding tracers are array-likes everywhere:
``jnp.sin([x, y])``, ``jnp.linalg.norm([x, x + 2])``, ``jnp.sum((x, 2 * x))``.

One rule does it (``ftrans.numpy._ufuncs.public``): every ``ArrayLike``
argument of every exported function goes through ``asarray``. The table of
``tests/test_numpy.py`` is run again with each array argument replaced by a
nested Python list of scalar tracers, wherever the function takes a nested
list of numbers eagerly; a few idioms and sequence arguments are spelled out.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.numpy._ufuncs import _annotation_kind
from tests.test_numpy import ROWS


def _nested(t, shape):
    """The traced array ``t`` as nested lists of its scalar entries."""
    return t if not shape else [_nested(t[i], shape[1:]) for i in range(shape[0])]


def _leaves(out):
    return [np.asarray(o) for o in (out if isinstance(out, (tuple, list)) else [out])]


def _list_rows():
    rng = np.random.default_rng(0)
    rows = []
    for r in ROWS:
        args = r.sample(rng)
        if any(a.ndim == 0 or a.size == 0 for a in args):
            continue
        try:  # the rule: a nested list of numbers works eagerly, so tracers must too
            with np.errstate(all="ignore"):
                r.fn(*[a.tolist() for a in args])
                ftrans.make_jaxpr(r.fn)(*args)
        except Exception:
            continue
        if r.id.startswith("zeros_like"):
            continue  # `list + array` is numpy's operator, not an ftrans function
        rows.append(pytest.param(r, args, id=r.id))
    return rows


LIST_ROWS = _list_rows()


def test_the_table_covers_most_functions():
    assert len(LIST_ROWS) > 400


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("r,args", LIST_ROWS)
def test_nested_lists_of_tracers_are_arrays(r, args):
    closed = ftrans.make_jaxpr(
        lambda *xs: r.fn(*[_nested(x, a.shape) for x, a in zip(xs, args)]))(*args)
    got = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, *args)
    want = _leaves(r.fn(*args))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12, equal_nan=True)


GRAD_ROWS = [p for p in LIST_ROWS if p.values[0].grad][::8]


@pytest.mark.parametrize("r,args", GRAD_ROWS)
def test_gradients_through_lists_of_tracers(r, args):
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(w.shape) for w in _leaves(r.fn(*args))]

    def loss(as_lists, *xs):
        if as_lists:
            xs = [_nested(x, a.shape) for x, a in zip(xs, args)]
        outs = r.fn(*xs)
        outs = outs if isinstance(outs, (tuple, list)) else [outs]
        return sum(jnp.sum(o * w) for o, w in zip(outs, weights))

    argnums = tuple(range(len(args)))
    got = ftrans.grad(lambda *xs: loss(True, *xs), argnums=argnums)(*args)
    want = ftrans.grad(lambda *xs: loss(False, *xs), argnums=argnums)(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


# --- the idioms of the issue, under every transformation ---------------------------

IDIOMS = [
    ("sin", lambda x: jnp.sum(jnp.sin([x, 2.0 * x])),
     lambda x: np.cos(x) + 2 * np.cos(2 * x)),
    ("norm", lambda x: jnp.linalg.norm([x, x + 2.0]),
     lambda x: (2 * x + 2) / np.hypot(x, x + 2)),
    ("sum-tuple", lambda x: jnp.sum((x, 2.0 * x)), lambda x: 3.0),
    ("mean-nested", lambda x: jnp.mean([[x, 1.0], [x * x, 3.0]]), lambda x: (1 + 2 * x) / 4),
    ("exp-mixed", lambda x: jnp.sum(jnp.exp([x, np.float64(1.0), x])), lambda x: 2 * np.exp(x)),
    ("dot", lambda x: jnp.dot([x, 1.0], [2.0, x]), lambda x: 3.0),
    ("where", lambda x: jnp.sum(jnp.where([True, False], [x, x], [0.0, 5 * x])),
     lambda x: 6.0),
    ("stack-of-lists", lambda x: jnp.sum(jnp.stack([[x, 1.0], [2.0, x]]) ** 2),
     lambda x: 4 * x),
    ("concatenate-of-lists", lambda x: jnp.sum(jnp.concatenate([[x], (x, 3.0)]) ** 2),
     lambda x: 4 * x),
    ("einsum", lambda x: jnp.einsum("i,i->", [x, 2.0], [x, x]), lambda x: 2 * x + 2),
    ("det", lambda x: jnp.linalg.det([[x, 1.0], [2.0, x]]), lambda x: 2 * x),
    ("take", lambda x: jnp.take([x, 2 * x, 3 * x], 2), lambda x: 3.0),
    ("polyval", lambda x: jnp.polyval([x, 1.0, 0.0], 2.0), lambda x: 4.0),
    ("clip", lambda x: jnp.sum(jnp.clip([x, -x], -0.1, 10.0)), lambda x: 1.0),
    ("full_like", lambda x: jnp.sum(jnp.full_like([x, x], 2.0) * x), lambda x: 4.0),
    ("maximum", lambda x: jnp.sum(jnp.maximum([x, 0.0], [0.0, x * x])),
     lambda x: 1 + 2 * x),
    ("sort", lambda x: jnp.sort([3 * x, x])[1], lambda x: 3.0),
    ("asarray-dtype", lambda x: jnp.sum(jnp.asarray([x, 1], dtype=np.float32)) * 1.0,
     lambda x: 1.0),
]


@pytest.mark.parametrize("name,f,df", IDIOMS, ids=[i[0] for i in IDIOMS])
def test_idioms_under_every_transformation(name, f, df):
    x = 0.7
    want = float(np.asarray(f(np.float64(x))))  # eagerly, a list of numbers
    np.testing.assert_allclose(ftrans.grad(f)(x), df(x), rtol=1e-6)
    y, t = ftrans.jvp(f, (x,), (1.0,))
    np.testing.assert_allclose(y, want, rtol=1e-6)
    np.testing.assert_allclose(t, df(x), rtol=1e-6)
    closed = ftrans.make_jaxpr(f)(x)
    np.testing.assert_allclose(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x)[0], want,
                               rtol=1e-6)
    np.testing.assert_allclose(ftrans.hessian(f)(x), ftrans.grad(ftrans.grad(f))(x))


def test_keyword_and_varargs_array_likes():
    g = ftrans.grad(lambda x: jnp.dot(a=[x, 1.0], b=[2.0, x]) + jnp.sum(a=(x, x)))
    assert g(1.5) == pytest.approx(5.0)
    g = ftrans.grad(lambda x: jnp.sum(jnp.broadcast_arrays([x, x], [[1.0], [2.0]])[0]))
    assert g(1.5) == pytest.approx(4.0)
    g = ftrans.grad(lambda x: jnp.sum(jnp.meshgrid([x, 2 * x], [1.0, 2.0, 3.0])[0]))
    assert g(1.5) == pytest.approx(9.0)


def test_lists_of_numbers_keep_numpy_semantics():
    assert jnp.sin([1, 2]).dtype == np.float64
    assert jnp.add([1, 2], 1).dtype == np.int64
    np.testing.assert_array_equal(jnp.concatenate([[1, 2], (3,)]), [1, 2, 3])
    assert jnp.reshape(np.arange(6), (2, 3)).shape == (2, 3)  # a shape tuple is no array


def _public_functions():
    for name in dir(jnp):
        f = getattr(jnp, name)
        if inspect.isfunction(f) and f.__module__.startswith("ftrans.numpy") \
                and not name.startswith("_"):
            yield name, f
    for name in jnp.linalg.__all__:
        f = getattr(jnp.linalg, name)
        if inspect.isfunction(f):
            yield "linalg." + name, f


SHAPE_ONLY = {"broadcast_shapes", "diag_indices", "empty", "eye", "identity", "indices",
              "ones", "tri", "tril_indices", "triu_indices", "zeros",
              # window lengths, and index grids built from a shape and a callable
              "bartlett", "blackman", "hamming", "hanning", "mask_indices", "fromfunction",
              # no array argument at all: dtypes, Python objects, bytes, files, callables
              "can_cast", "isdtype", "isscalar", "iterable", "from_dlpack", "frombuffer",
              "fromfile", "fromiter", "fromstring", "load", "frompyfunc", "vectorize",
              # nested lists are block's structure: converting them to one array breaks it
              "block"}


def test_every_exported_function_goes_through_the_one_rule():
    names = []
    for name, f in _public_functions():
        names.append(name)
        assert hasattr(f, "__wrapped__"), f"jnp.{name} is not exported through public()"
        params = inspect.signature(f.__wrapped__).parameters.values()
        if name not in SHAPE_ONLY:
            assert any(_annotation_kind(p.annotation) for p in params), \
                f"jnp.{name} has no parameter annotated ArrayLike"
    assert len(names) > 230
