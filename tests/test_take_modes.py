"""Out-of-bounds indexing modes of ``x.at[idx].get``, ``jnp.take`` and
``jnp.take_along_axis`` (``"fill"``, ``"drop"``, ``"clip"``,
``"promise_in_bounds"``) and of ``x.at[idx].set/add/...``, with ``fill_value``.

The expected values are JAX's (jax 0.4, x64), computed once; where ftrans
differs on purpose (no mode: a concrete out-of-bounds index raises
``IndexError`` instead of JAX's silent clamping or filling) the test says so.
Each mode is checked eagerly, with traced indices (``make_jaxpr`` then
``eval_jaxpr``: abstract values) and under ``grad``, and its derivatives to
order 2 in both modes against finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.test_util import check_grads

X = np.arange(5.0) * 10
XI = np.arange(5) * 10
IDX = np.array([-6, -5, -1, 0, 4, 5, 7])
NAN, IMIN = np.nan, np.iinfo(np.int64).min

# JAX: x.at[IDX].get(mode=...), jnp.take(x, IDX, mode=...),
# jnp.take_along_axis(x, IDX, axis=0, mode=...)
GOT_BY_JAX = {
    ("get", "fill"): [NAN, 0, 40, 0, 40, NAN, NAN],
    ("get", "drop"): [NAN, 0, 40, 0, 40, NAN, NAN],
    ("get", "clip"): [0, 0, 40, 0, 40, 40, 40],
    ("get", "promise_in_bounds"): [0, 0, 40, 0, 40, 40, 40],
    ("take", "fill"): [NAN, 0, 40, 0, 40, NAN, NAN],
    ("take", "clip"): [0, 0, 0, 0, 40, 40, 40],  # numpy's clip: -1 reads entry 0
    ("take_along_axis", "fill"): [NAN, 0, 40, 0, 40, NAN, NAN],
    ("take_along_axis", "drop"): [NAN, 0, 40, 0, 40, NAN, NAN],
    ("take_along_axis", "clip"): [0, 0, 40, 0, 40, 40, 40],
}
# modes JAX rejects for take, accepted here as for x.at[idx].get
GOT_BY_JAX[("take", "drop")] = GOT_BY_JAX[("take", "fill")]
GOT_BY_JAX[("take", "promise_in_bounds")] = GOT_BY_JAX[("get", "promise_in_bounds")]
# JAX leaves negative indices unwrapped here (a legacy it documents as not to be
# relied on); ftrans counts them from the end, as in every other mode
GOT_BY_JAX[("take_along_axis", "promise_in_bounds")] = [0, 0, 40, 0, 40, 40, 40]

READERS = {
    "get": lambda x, i, **kw: jnp.asarray(x).at[i].get(**kw),
    "take": lambda x, i, **kw: jnp.take(x, i, **kw),
    "take_along_axis": lambda x, i, **kw: jnp.take_along_axis(x, i, axis=0, **kw),
}
CASES = sorted(GOT_BY_JAX)


def _int_expected(values):
    return np.array([IMIN if np.isnan(v) else int(v) for v in values])


@pytest.mark.parametrize("reader,mode", CASES)
def test_reads_match_jax_eagerly(reader, mode):
    read = READERS[reader]
    want = np.array(GOT_BY_JAX[reader, mode], float)
    got = read(X, IDX, mode=mode)
    assert isinstance(got, ftrans.Array) and got.dtype == np.float64
    np.testing.assert_array_equal(got, want)
    got = read(XI, IDX, mode=mode)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, _int_expected(want))


@pytest.mark.parametrize("reader,mode", CASES)
def test_reads_with_traced_indices_match_jax(reader, mode):
    read = READERS[reader]
    want = np.array(GOT_BY_JAX[reader, mode], float)
    closed = ftrans.make_jaxpr(lambda x, i: read(x, i, mode=mode))(X, IDX)
    np.testing.assert_array_equal(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, X, IDX)[0],
                                  want)
    closed = ftrans.make_jaxpr(lambda i: read(XI, i, mode=mode))(IDX)
    np.testing.assert_array_equal(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, IDX)[0],
                                  _int_expected(want))
    # a traced scalar index too (take_along_axis wants an index of the array's rank)
    for k, i in enumerate(IDX if reader != "take_along_axis" else []):
        closed = ftrans.make_jaxpr(lambda i: read(X, i, mode=mode))(i)
        np.testing.assert_array_equal(
            ftrans.eval_jaxpr(closed.jaxpr, closed.consts, i)[0], want[k])


def test_fill_value_defaults_by_dtype_as_jax():
    one_past = np.array([3])
    for dtype, want in [(np.float32, np.nan), (np.float64, np.nan),
                        (np.complex128, complex(np.nan, 0)), (np.int8, -128),
                        (np.int32, np.iinfo(np.int32).min), (np.int64, IMIN),
                        (np.uint8, 255), (np.uint32, np.iinfo(np.uint32).max)]:
        got = jnp.arange(3, dtype=dtype).at[one_past].get(mode="fill")
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.array([want], dtype))
    got = jnp.asarray([True, False]).at[one_past].get(mode="fill")
    assert got.dtype == np.bool_ and got.tolist() == [True]


def test_fill_value_is_cast_to_the_array_dtype_and_ignored_without_fill():
    for reader in READERS.values():
        np.testing.assert_array_equal(reader(X, IDX, mode="fill", fill_value=7),
                                      [7, 0, 40, 0, 40, 7, 7])
        got = reader(XI, IDX, mode="fill", fill_value=7.5)  # JAX: cast to int
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, [7, 0, 40, 0, 40, 7, 7])
        np.testing.assert_array_equal(reader(XI, IDX, mode="fill", fill_value=np.nan),
                                      [IMIN, 0, 40, 0, 40, IMIN, IMIN])
    np.testing.assert_array_equal(jnp.asarray(X).at[IDX].get(mode="clip", fill_value=7),
                                  GOT_BY_JAX["get", "clip"])
    np.testing.assert_array_equal(jnp.asarray(X).at[IDX % 5].get(fill_value=7),
                                  X[IDX % 5])
    with pytest.raises(ValueError, match="scalar"):
        jnp.asarray(X).at[IDX].get(mode="fill", fill_value=np.ones(7))


def test_multidimensional_reads_match_jax():
    A = jnp.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(A.at[np.array([0, 2]), np.array([1, 3])].get(mode="fill"),
                                  [1.0, NAN])
    np.testing.assert_array_equal(A.at[np.array([0, 2]), :].get(mode="fill"),
                                  [[0, 1, 2], [NAN, NAN, NAN]])
    np.testing.assert_array_equal(A.at[5].get(mode="fill"), [NAN, NAN, NAN])
    np.testing.assert_array_equal(A.at[1, 5].get(mode="fill"), NAN)
    np.testing.assert_array_equal(A.at[1, 5].get(mode="clip"), 5.0)
    assert jnp.asarray(X).at[9].get(mode="clip") == 40.0
    assert jnp.asarray(X).at[-9].get(mode="clip") == 0.0
    np.testing.assert_array_equal(jnp.asarray(X).at[1:3].get(mode="fill"), [10.0, 20.0])
    np.testing.assert_array_equal(jnp.take(A, np.array([0, 3]), axis=1, mode="fill"),
                                  [[0, NAN], [3, NAN]])
    np.testing.assert_array_equal(jnp.take(A, np.array([[0, 7]]), mode="fill"), [[0, NAN]])
    B = np.array([[0, 3], [-1, -4]])
    np.testing.assert_array_equal(jnp.take_along_axis(A, B, axis=1, mode="fill"),
                                  [[0, NAN], [5, NAN]])
    np.testing.assert_array_equal(jnp.take_along_axis(A, B, axis=1, mode="clip"),
                                  [[0, 2], [5, 3]])
    # the same with traced indices
    f = ftrans.make_jaxpr(lambda i, j: A.at[i, j].get(mode="fill"))
    closed = f(np.array([0, 2]), np.array([1, 3]))
    np.testing.assert_array_equal(
        ftrans.eval_jaxpr(closed.jaxpr, closed.consts, np.array([0, 2]), np.array([1, 3]))[0],
        [1.0, NAN])
    closed = ftrans.make_jaxpr(lambda b: jnp.take_along_axis(A, b, axis=1, mode="fill"))(B)
    np.testing.assert_array_equal(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, B)[0],
                                  [[0, NAN], [5, NAN]])


# --- derivatives ---------------------------------------------------------------------

W = np.arange(7.0)


def test_gradients_through_filled_and_clipped_entries_match_jax():
    for reader in ("get", "take", "take_along_axis"):
        read = READERS[reader]
        g = ftrans.grad(lambda x: jnp.sum(read(x, IDX, mode="fill", fill_value=3.0) * W))(X)
        np.testing.assert_array_equal(g, [4.0, 0, 0, 0, 6.0])  # JAX: filled entries get 0
    g = ftrans.grad(lambda x: jnp.sum(jnp.asarray(x).at[IDX].get(mode="clip") * W))(X)
    np.testing.assert_array_equal(g, [4.0, 0, 0, 0, 17.0])  # JAX: to the clipped entry
    g = ftrans.grad(lambda x: jnp.sum(jnp.take(x, IDX, mode="clip") * W))(X)
    np.testing.assert_array_equal(g, [0 + 1 + 2 + 3, 0, 0, 0, 4 + 5 + 6])


def test_gradient_with_respect_to_a_traced_fill_value():
    # JAX wants a static fill_value; ftrans also differentiates through it
    g = ftrans.grad(lambda f: jnp.sum(jnp.asarray(X).at[IDX].get(mode="fill", fill_value=f)
                                      * W))(1.0)
    assert g == pytest.approx(0 + 5 + 6)


@pytest.mark.parametrize("reader,mode", CASES)
def test_derivatives_to_order_two_in_both_modes(reader, mode):
    read = READERS[reader]
    x = np.random.default_rng(0).uniform(0.5, 1.5, 5)

    def f(x):
        return jnp.sin(read(x, IDX, mode=mode, fill_value=0.5) * x[1]) * W

    check_grads(f, (x,), order=2, modes=("fwd", "rev"))
    # against central differences, by hand
    v = np.random.default_rng(1).standard_normal(5)
    eps = 1e-6
    fd = (np.sum(f(x + eps * v)) - np.sum(f(x - eps * v))) / (2 * eps)
    assert np.dot(ftrans.grad(lambda x: jnp.sum(f(x)))(x), v) == pytest.approx(fd, rel=1e-6)


def test_derivatives_with_traced_indices_inside_a_scan():
    x = np.random.default_rng(0).uniform(0.5, 1.5, 5)

    def f(x):
        def body(carry, i):
            return carry + jnp.asarray(x).at[i].get(mode="fill", fill_value=2.0) ** 2, None
        return ftrans.lax.scan(body, 0.0, IDX)[0]

    check_grads(f, (x,), order=2, modes=("fwd", "rev"))
    assert f(x) == pytest.approx(2 * x[0] ** 2 + 2 * x[4] ** 2 + 3 * 2.0 ** 2)


# --- updates -------------------------------------------------------------------------

V = np.arange(1.0, 8.0)
# JAX: jnp.zeros(5).at[IDX].set(V, mode=...) and .add(V, mode=...)
UPDATED_BY_JAX = {
    ("set", "clip"): [4, 0, 0, 0, 7], ("add", "clip"): [7, 0, 0, 0, 21],
    ("set", "fill"): [4, 0, 0, 0, 5], ("add", "fill"): [6, 0, 0, 0, 8],
    ("set", "drop"): [4, 0, 0, 0, 5], ("add", "drop"): [6, 0, 0, 0, 8],
    ("set", "promise_in_bounds"): [4, 0, 0, 0, 5], ("add", "promise_in_bounds"): [6, 0, 0, 0, 8],
}


@pytest.mark.parametrize("op,mode", sorted(UPDATED_BY_JAX))
def test_updates_match_jax(op, mode):
    want = UPDATED_BY_JAX[op, mode]
    got = getattr(jnp.zeros(5).at[IDX], op)(V, mode=mode)
    np.testing.assert_array_equal(got, want)
    closed = ftrans.make_jaxpr(lambda i, v: getattr(jnp.zeros(5).at[i], op)(v, mode=mode))(
        IDX, V)
    np.testing.assert_array_equal(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, IDX, V)[0],
                                  want)
    # derivatives w.r.t. the array and the values
    check_grads(lambda x, v: getattr(jnp.asarray(x).at[IDX], op)(jnp.sin(v), mode=mode) ** 2,
                (np.linspace(0.5, 1.0, 5), V / 7), order=2, modes=("fwd", "rev"))


def test_multiply_min_max_take_modes_too():  # JAX's values
    ones = jnp.ones(5)
    np.testing.assert_array_equal(ones.at[IDX].multiply(2.0, mode="drop"), [4, 1, 1, 1, 4])
    np.testing.assert_array_equal(ones.at[IDX].multiply(2.0, mode="clip"), [8, 1, 1, 1, 16])
    np.testing.assert_array_equal(ones.at[IDX].min(V - 3, mode="drop"), [-1, 1, 1, 1, 0])
    np.testing.assert_array_equal(ones.at[IDX].max(V, mode="clip"), [4, 1, 1, 1, 7])


# --- without a mode: a clear error, not a silent clamp ------------------------------

def test_without_a_mode_concrete_out_of_bounds_indices_raise():
    x = jnp.asarray(X)
    with pytest.raises(IndexError, match="out of bounds"):
        x.at[IDX].get()
    with pytest.raises(IndexError, match="out of bounds"):
        x.at[9].get()
    with pytest.raises(IndexError, match="out of bounds"):
        jnp.take(X, IDX)
    with pytest.raises(IndexError, match="out of bounds"):
        jnp.take_along_axis(X, IDX, axis=0)
    with pytest.raises(IndexError, match="out of bounds"):
        x.at[IDX].set(V)
    with pytest.raises(IndexError, match="out of bounds"):
        ftrans.grad(lambda x: jnp.sum(jnp.take(x, IDX)))(X)
    # in bounds, the same as numpy
    np.testing.assert_array_equal(x.at[IDX % 5].get(), X[IDX % 5])
    np.testing.assert_array_equal(jnp.take(X, IDX % 5), X[IDX % 5])


def test_unknown_modes_are_rejected():
    with pytest.raises(ValueError, match="mode"):
        jnp.asarray(X).at[0].get(mode="wrap")
    with pytest.raises(ValueError, match="mode"):
        jnp.take(X, 0, mode="bogus")
    with pytest.raises(ValueError, match="mode"):
        jnp.take_along_axis(X, IDX, axis=0, mode="bogus")
