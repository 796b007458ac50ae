"""Indexing and ``x.at[...]`` updates against numpy: random index expressions
(integers, slices with steps, None, Ellipsis, integer arrays, boolean masks)
traced and evaluated, traced indices, out-of-bounds behaviour, derivatives,
and the methods and operators on traced arrays."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.test_util import check_grads


def at(x):
    """``x.at`` also for numpy arrays (check_grads calls functions on them)."""
    return jnp._indexing.AtIndexer(x)


def traced(f, *args):
    """``f(*args)`` computed by tracing with make_jaxpr, then evaluating."""
    closed = ftrans.make_jaxpr(f)(*args)
    outs = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, *args)
    assert [o.shape for o in map(np.asarray, outs)] == [a.shape for a in closed.out_avals]
    return outs[0] if len(outs) == 1 else outs


# --- random index expressions --------------------------------------------------------

def _random_slice(rng, n):
    def bound():
        return None if rng.uniform() < 0.3 else int(rng.integers(-n - 2, n + 3))
    step = [None, 1, 2, -1, -2, 3][rng.integers(6)]
    return slice(bound(), bound(), step)


def _random_index(rng, shape, allow_arrays=True, allow_masks=True):
    items = []
    axis = 0
    ellipsis_used = False
    while axis < len(shape):
        n = shape[axis]
        r = rng.uniform()
        if r < 0.08:
            items.append(None)
            continue
        if r < 0.14 and not ellipsis_used:
            ellipsis_used = True
            skip = int(rng.integers(0, len(shape) - axis + 1))
            items.append(Ellipsis)
            axis += skip
            continue
        if r < 0.4:
            items.append(int(rng.integers(-n, n)))
        elif r < 0.7 or not allow_arrays:
            items.append(_random_slice(rng, n))
        elif r < 0.78 and allow_masks and axis + 1 < len(shape) and rng.uniform() < 0.5:
            items.append(rng.uniform(size=shape[axis:axis + 2]) < 0.5)
            axis += 2
            continue
        else:
            ishape = [(), (2,), (3,), (2, 1), (1, 2)][rng.integers(5)]
            arr = rng.integers(-n, n, ishape)
            items.append(arr.tolist() if rng.uniform() < 0.2 and arr.ndim else arr)
        axis += 1
    if rng.uniform() < 0.15:
        items.append(None)
    if rng.uniform() < 0.3 and len(items) > 0:
        items = items[:int(rng.integers(1, len(items) + 1))]
    return tuple(items)


@pytest.mark.parametrize("seed", range(6))
def test_random_indices_match_numpy(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 4, 5))
    for _ in range(60):
        idx = _random_index(rng, x.shape)
        try:
            want = x[idx]
        except IndexError:  # index arrays that do not broadcast: we must raise too
            with pytest.raises(IndexError):
                traced(lambda x: x[idx], x)
            continue
        got = traced(lambda x: x[idx], x)
        assert got.shape == want.shape, (idx, got.shape, want.shape)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("idx", [
    0, -1, slice(None), slice(1, None), slice(None, None, -1), slice(-1, 0, -2),
    slice(5, 1), (Ellipsis, 1), (None, 1), (1, None, Ellipsis, None), (slice(None), 2),
    ([0, 2, 2],), ([[0], [2]], [1, 3]), (slice(None), [0, 0, 1]), ([0, 1], 1),
    (1, slice(None), [0, 1]), ([0, 1], slice(None), [1, 2]), (Ellipsis, [0, -1]),
    ([0, 1], None, [1, 2]), (slice(None), [0, 1], None, [1, 2]), (np.array(1), [0, 2]),
    (slice(None), [0, 1], Ellipsis, [1, 2]), (1, Ellipsis, slice(None), [0, 1]),
    ([],), (slice(None, None, 3), Ellipsis, slice(4, 0, -1)),
], ids=repr)
def test_index_forms(idx):
    x = np.arange(60.0).reshape(3, 4, 5)
    np.testing.assert_array_equal(traced(lambda x: x[idx], x), x[idx])
    if x[idx].size:
        check_grads(lambda x: x[idx], (x,), order=2)


def test_jaxpr_structure_of_basic_and_advanced_indexing():
    x = np.zeros((4, 5))
    names = [e.primitive.name for e in ftrans.make_jaxpr(lambda x: x[1:3, ::-2])(x).eqns]
    assert names == ["slice", "rev"]
    names = [e.primitive.name for e in ftrans.make_jaxpr(lambda x: x[2])(x).eqns]
    assert names == ["slice", "reshape"]
    closed = ftrans.make_jaxpr(lambda x: x[[0, 3], [1, 2]])(x)
    assert [e.primitive.name for e in closed.eqns].count("gather") == 1


def test_boolean_masks():
    x = np.arange(12.0).reshape(3, 4)
    mask = x % 3 == 0
    np.testing.assert_array_equal(traced(lambda x: x[mask], x), x[mask])
    np.testing.assert_array_equal(traced(lambda x: x[mask[:, 0]], x), x[mask[:, 0]])
    np.testing.assert_array_equal(traced(lambda x: x[:, [True, False, True, False]], x),
                                  x[:, [True, False, True, False]])
    # a mask computed from the traced value: fine under grad (concrete) ...
    g = ftrans.grad(lambda x: jnp.sum(x[x > 4.0] ** 2))(x)
    np.testing.assert_allclose(g, np.where(x > 4.0, 2 * x, 0.0))
    # ... but a clear error under make_jaxpr, pointing to jnp.where
    with pytest.raises(ftrans.ConcretizationError, match="jnp.where"):
        ftrans.make_jaxpr(lambda x: x[x > 4.0])(x)
    with pytest.raises(IndexError, match="boolean index"):
        traced(lambda x: x[np.array([True, False])], x)


def test_traced_integer_scalars_use_dynamic_slice():
    x = np.arange(20.0).reshape(4, 5)
    f = lambda x, i, j: x[i, 1:4][j]  # noqa: E731
    closed = ftrans.make_jaxpr(f)(x, 0, 0)
    assert "dynamic_slice" in [e.primitive.name for e in closed.eqns]
    for i in range(-4, 4):
        for j in (-3, 0, 2):
            got = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x, np.int64(i), np.int64(j))
            np.testing.assert_array_equal(got[0], x[i, 1:4][j])
    # out of bounds is clamped when reading, as in JAX
    got = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x, np.int64(7), np.int64(0))[0]
    np.testing.assert_array_equal(got, x[3, 1])
    check_grads(lambda x: x[np.int64(2), :][np.int64(-1)] * x[1], (x,), order=2)
    g = ftrans.grad(lambda x, i: x[i] ** 2)(np.arange(3.0), 2)
    np.testing.assert_array_equal(g, [0.0, 0.0, 4.0])


def test_traced_integer_arrays():
    x = np.arange(20.0).reshape(4, 5)
    f = lambda x, i, j: x[i, :, None][:, j]  # noqa: E731
    i0, j0 = np.array([0, -1, 2]), np.array([[1], [0]])
    closed = ftrans.make_jaxpr(f)(x, i0, j0)
    rng = np.random.default_rng(0)
    for _ in range(5):
        i, j = rng.integers(-4, 4, 3), rng.integers(-1, 1, (2, 1))
        np.testing.assert_array_equal(
            ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x, i, j)[0], x[i, :, None][:, j])
    # two traced index arrays broadcasting together, separated by a slice
    g = lambda x, i, j: x[i, :, j]  # noqa: E731
    y = np.arange(60.0).reshape(3, 4, 5)
    i, j = np.array([[0], [2]]), np.array([1, -1, 3])
    np.testing.assert_array_equal(traced(g, y, i, j), y[i, :, j])
    # out-of-bounds traced indices are clamped
    np.testing.assert_array_equal(traced(lambda x, i: x[i], np.arange(3.0), np.array([5, -9])),
                                  [2.0, 0.0])
    check_grads(lambda y: g(y, i, j), (y,), order=2)
    with pytest.raises(IndexError, match="integer"):
        traced(lambda x: x[np.array([0.5])], x)


def test_gradient_with_repeated_indices_accumulates():
    x = np.arange(4.0)
    g = ftrans.grad(lambda x: jnp.sum(x[np.array([0, 0, 3, 0])] ** 2))(x)
    np.testing.assert_allclose(g, [0.0, 0.0, 0.0, 6.0])
    x = np.array([1.0, 2.0, 3.0])
    g = ftrans.grad(lambda x: jnp.sum(x[[2, 2, 1]] * np.array([1.0, 10.0, 100.0])))(x)
    np.testing.assert_allclose(g, [0.0, 100.0, 11.0])


def test_static_index_errors():
    x = np.zeros((3, 4))
    with pytest.raises(IndexError, match="out of bounds"):
        traced(lambda x: x[3], x)
    with pytest.raises(IndexError, match="out of bounds"):
        traced(lambda x: x[:, [0, 4]], x)
    with pytest.raises(IndexError, match="too many indices"):
        traced(lambda x: x[0, 0, 0], x)
    with pytest.raises(IndexError, match="single ellipsis"):
        traced(lambda x: x[..., ...], x)
    with pytest.raises(IndexError):
        traced(lambda x: x[0.5], x)
    with pytest.raises(IndexError, match="broadcast"):
        traced(lambda x: x[[0, 1], [0, 1, 2]], x)


def test_item_assignment_raises_pointing_to_at():
    def f(x):
        x[0] = 1.0
        return x
    with pytest.raises(TypeError, match=r"\.at\[0\]\.set"):
        ftrans.make_jaxpr(f)(np.zeros(3))


# --- .at[...] updates ----------------------------------------------------------------------

def _np_update(x, idx, v, op):
    out = x.copy()
    if op == "set":
        out[idx] = v
    elif op == "add":
        np.add.at(out, idx, v)
    elif op == "multiply":
        np.multiply.at(out, idx, v)
    elif op == "min":
        np.minimum.at(out, idx, v)
    elif op == "max":
        np.maximum.at(out, idx, v)
    return out


AT_INDICES = [0, -1, slice(1, None), (slice(None), 2), (Ellipsis, [0, 2]), ([0, 2], 1),
              (slice(None, None, -2), slice(1, 4)), ([[0], [2]], [1, 3]), (None, 1, 2),
              (np.array([True, False, True]),), (1, [0, 0, 3]), ([2, 0, 2, 2],)]


@pytest.mark.parametrize("op", ["set", "add", "multiply", "min", "max"])
@pytest.mark.parametrize("idx", AT_INDICES, ids=repr)
def test_at_updates_match_numpy(op, idx):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    shape = x[idx].shape
    v = rng.standard_normal(shape)
    want = _np_update(x, idx, v, op)
    got = traced(lambda x, v: getattr(x.at[idx], op)(v), x, v)
    np.testing.assert_allclose(got, want, rtol=1e-14)
    # broadcasting of a scalar update value
    want = _np_update(x, idx, np.broadcast_to(0.5, shape), op)
    np.testing.assert_allclose(traced(lambda x: getattr(x.at[idx], op)(0.5), x), want,
                               rtol=1e-14)


@pytest.mark.parametrize("op", ["set", "add", "multiply"])
@pytest.mark.parametrize("idx", [1, (slice(None), [0, 2]), ([0, 0, 2],), (slice(0, 3, 2), 1)],
                         ids=repr)
def test_at_updates_derivatives(op, idx):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4))
    v = rng.standard_normal(x[idx].shape)
    check_grads(lambda x, v: getattr(at(x)[idx], op)(v) ** 2, (x, v), order=2)


def test_at_add_accumulates_duplicates_and_set_keeps_last():
    x = np.zeros(4)
    got = ftrans.jvp(lambda x: x.at[[1, 1, 3, 1]].add(np.array([1.0, 2.0, 3.0, 4.0])),
                     (x,), (x,))[0]
    np.testing.assert_array_equal(got, [0.0, 7.0, 0.0, 3.0])
    got = at(x)[[1, 1, 3, 1]].add(np.array([1.0, 2.0, 3.0, 4.0]))  # eager
    np.testing.assert_array_equal(got, [0.0, 7.0, 0.0, 3.0])
    got = traced(lambda x: x.at[[1, 1, 3]].set(np.array([1.0, 2.0, 3.0])), x)
    np.testing.assert_array_equal(got, [0.0, 2.0, 0.0, 3.0])
    # only the update that lands receives a gradient
    g = ftrans.grad(lambda v: jnp.sum(at(x)[np.array([1, 1])].set(v) * 3.0))(np.ones(2))
    np.testing.assert_array_equal(g, [0.0, 3.0])


def test_at_get_divide_subtract():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    np.testing.assert_array_equal(traced(lambda x: x.at[1, ::2].get(), x), x[1, ::2])
    want = x.copy()
    want[:, 1] /= 4.0
    np.testing.assert_allclose(traced(lambda x: x.at[:, 1].divide(4.0), x), want)
    want = x.copy()
    want[0] -= 1.0
    np.testing.assert_allclose(traced(lambda x: x.at[0].subtract(1.0), x), want)
    with pytest.raises(ValueError, match="mode"):
        traced(lambda x: x.at[0].set(1.0, mode="bogus"), x)


def test_at_with_traced_indices_drops_out_of_bounds():
    f = lambda x, i, v: x.at[i].add(v)  # noqa: E731
    x, v = np.zeros(5), np.array([1.0, 2.0, 3.0])
    closed = ftrans.make_jaxpr(f)(x, np.array([0, 1, 2]), v)
    run = lambda i: ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x, np.array(i), v)[0]  # noqa: E731
    np.testing.assert_array_equal(run([0, -1, 0]), [4.0, 0.0, 0.0, 0.0, 2.0])
    np.testing.assert_array_equal(run([7, 1, -6]), [0.0, 2.0, 0.0, 0.0, 0.0])
    # a traced scalar index into a 2-D array
    g = lambda x, i: x.at[i, 1:].set(9.0)  # noqa: E731
    x2 = np.zeros((3, 3))
    closed = ftrans.make_jaxpr(g)(x2, np.int64(0))
    for i in (-3, -1, 0, 2):
        want = x2.copy()
        want[i, 1:] = 9.0
        np.testing.assert_array_equal(
            ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x2, np.int64(i))[0], want)
    np.testing.assert_array_equal(
        ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x2, np.int64(3))[0], x2)
    check_grads(lambda x, v: at(x)[np.array([0, 4, 0])].add(v) ** 2, (x + 1.0, v), order=2)


def test_at_values_are_cast_to_the_array_dtype():
    x = np.zeros(3, np.float32)
    out = traced(lambda x, v: x.at[0].set(v), x, np.float64(2.5))
    assert out.dtype == np.float32 and out[0] == 2.5
    out = traced(lambda x: x.at[1].add(3), np.zeros(3, np.int32))
    assert out.dtype == np.int32 and out.tolist() == [0, 3, 0]


def test_update_of_a_constant_with_traced_values():
    base = np.zeros((2, 3))
    g = ftrans.grad(lambda v: jnp.sum(jnp.put(base, [1, 4], v, inplace=False) ** 2))
    np.testing.assert_allclose(g(np.array([1.0, 2.0])), [2.0, 4.0])


# --- take, take_along_axis ------------------------------------------------------------------

def test_take_and_take_along_axis_with_traced_indices():
    x = np.arange(12.0).reshape(3, 4)
    i = np.array([[3, -1], [0, 2]])
    np.testing.assert_array_equal(traced(lambda x, i: jnp.take(x, i, axis=1), x, i),
                                  np.take(x, i, axis=1))
    j = np.array([[0], [2], [1]])
    np.testing.assert_array_equal(traced(lambda x, j: jnp.take_along_axis(x, j, 1), x, j),
                                  np.take_along_axis(x, j, 1))
    a = np.argmax(x, axis=0)[None]
    np.testing.assert_array_equal(
        traced(lambda x: jnp.take_along_axis(x, jnp.argmax(x, axis=0)[None], 0), x),
        np.take_along_axis(x, a, 0))
    check_grads(lambda x: jnp.take(x, i, axis=1), (x,), order=2)
    check_grads(lambda x: jnp.take_along_axis(x, j, 1), (x,), order=2)
    with pytest.raises(IndexError, match="out of bounds"):
        jnp.take(x, np.array([4]), axis=1)
    np.testing.assert_array_equal(jnp.take(x, np.array([4, -5]), axis=1, mode="clip"),
                                  np.take(x, [4, -5], axis=1, mode="clip"))
    np.testing.assert_array_equal(jnp.take(x, np.array([4, -5]), axis=1, mode="wrap"),
                                  np.take(x, [4, -5], axis=1, mode="wrap"))


def test_nonzero_family_needs_concrete_values():
    x = np.array([[0.0, 1.0], [2.0, 0.0]])
    for name in ("nonzero", "argwhere", "flatnonzero"):
        got, want = getattr(jnp, name)(x), getattr(np, name)(x)
        for g, w in zip(np.atleast_1d(got), np.atleast_1d(want)):
            np.testing.assert_array_equal(g, w)
        with pytest.raises(ftrans.ConcretizationError):
            ftrans.make_jaxpr(getattr(jnp, name))(x)
    np.testing.assert_array_equal(jnp.where(x)[1], np.where(x)[1])
    np.testing.assert_array_equal(jnp.nonzero(np.array([0, 3, 0, 4]), size=3)[0], [1, 3, 0])


def test_index_helpers():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(traced(lambda x: x[jnp.ix_([0, 2], [1, 3])], x),
                                  x[np.ix_([0, 2], [1, 3])])
    np.testing.assert_array_equal(jnp.unravel_index(np.array([5, 11]), (3, 4)),
                                  np.unravel_index([5, 11], (3, 4)))
    np.testing.assert_array_equal(jnp.ravel_multi_index((np.array([1, 2]), np.array([3, 0])),
                                                        (3, 4)),
                                  np.ravel_multi_index(([1, 2], [3, 0]), (3, 4)))
    np.testing.assert_array_equal(jnp.compress([True, False, True], x, axis=0),
                                  np.compress([True, False, True], x, axis=0))
    want = x.copy().reshape(-1)
    want[[0, 5]] = [-1.0, -2.0]
    np.testing.assert_array_equal(jnp.put(x, [0, 5], [-1.0, -2.0], inplace=False),
                                  want.reshape(3, 4))


# --- operators and methods on traced arrays ----------------------------------------------------

def test_operators_and_methods_on_tracers():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    y = rng.uniform(0.5, 2.0, (4,))
    cases = [
        (lambda x: x + y, lambda x: x + y), (lambda x: y - x, lambda x: y - x),
        (lambda x: 2.0 * x, lambda x: 2.0 * x), (lambda x: x / y, lambda x: x / y),
        (lambda x: 1.0 / (1.0 + x * x), lambda x: 1.0 / (1.0 + x * x)),
        (lambda x: x // y, lambda x: x // y), (lambda x: x % y, lambda x: x % y),
        (lambda x: abs(x) ** y, lambda x: abs(x) ** y), (lambda x: 2.0 ** x, lambda x: 2.0 ** x),
        (lambda x: -x, lambda x: -x), (lambda x: +x, lambda x: +x),
        (lambda x: abs(x), lambda x: abs(x)), (lambda x: x @ y, lambda x: x @ y),
        (lambda x: x.T @ x, lambda x: x.T @ x), (lambda x: x.mT, lambda x: x.swapaxes(-1, -2)),
        (lambda x: x < 0, lambda x: x < 0), (lambda x: x >= y, lambda x: x >= y),
        (lambda x: x == x, lambda x: x == x), (lambda x: x != 0, lambda x: x != 0),
        (lambda x: (x > 0) & (x < 1), lambda x: (x > 0) & (x < 1)),
        (lambda x: (x > 0) | (x < -1), lambda x: (x > 0) | (x < -1)),
        (lambda x: (x > 0) ^ (x < 1), lambda x: (x > 0) ^ (x < 1)),
        (lambda x: ~(x > 0), lambda x: ~(x > 0)),
        (lambda x: x.sum(), lambda x: x.sum()), (lambda x: x.sum(axis=0), lambda x: x.sum(0)),
        (lambda x: x.mean(1, keepdims=True), lambda x: x.mean(1, keepdims=True)),
        (lambda x: x.max(), lambda x: x.max()), (lambda x: x.min(axis=-1), lambda x: x.min(-1)),
        (lambda x: x.prod(0), lambda x: x.prod(0)), (lambda x: x.var(), lambda x: x.var()),
        (lambda x: x.std(1), lambda x: x.std(1)), (lambda x: x.argmax(1), lambda x: x.argmax(1)),
        (lambda x: x.argmin(), lambda x: x.argmin()),
        (lambda x: x.cumsum(1), lambda x: x.cumsum(1)),
        (lambda x: x.reshape(2, 6), lambda x: x.reshape(2, 6)),
        (lambda x: x.reshape((4, -1)), lambda x: x.reshape((4, -1))),
        (lambda x: x.ravel(), lambda x: x.ravel()), (lambda x: x.flatten(), lambda x: x.flatten()),
        (lambda x: x.transpose(), lambda x: x.transpose()),
        (lambda x: x.transpose(1, 0), lambda x: x.transpose(1, 0)),
        (lambda x: x[None].squeeze(0), lambda x: x[None].squeeze(0)),
        (lambda x: x.swapaxes(0, 1), lambda x: x.swapaxes(0, 1)),
        (lambda x: x.clip(-0.5, 0.5), lambda x: x.clip(-0.5, 0.5)),
        (lambda x: x.dot(y), lambda x: x.dot(y)), (lambda x: x.round(1), lambda x: x.round(1)),
        (lambda x: x.astype(np.float32), lambda x: x.astype(np.float32)),
        (lambda x: x.astype(int), lambda x: x.astype(int)),
        (lambda x: (x > 0).any(0), lambda x: (x > 0).any(0)),
        (lambda x: (x > -5).all(), lambda x: (x > -5).all()),
        (lambda x: x.repeat(2, 1), lambda x: x.repeat(2, 1)),
        (lambda x: x.diagonal(), lambda x: x.diagonal()),
        (lambda x: x.trace(), lambda x: x.trace()),
        (lambda x: x.conj(), lambda x: x.conj()), (lambda x: x.real, lambda x: x.real),
        (lambda x: x.ptp(0), lambda x: np.ptp(x, 0)),
        (lambda x: jnp.stack(list(x)), lambda x: np.stack(list(x))),
        (lambda x: jnp.asarray([r.sum() for r in x]), lambda x: x.sum(1)),
        (lambda x: np.float64(2.0) * x, lambda x: np.float64(2.0) * x),
        (lambda x: np.ones(4) + x, lambda x: np.ones(4) + x),
        (lambda x: np.float32(2.0) * x, lambda x: np.float32(2.0) * x),
    ]
    for fj, fn in cases:
        want = fn(x)
        got = traced(fj, x)
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_tracer_attributes_len_and_iteration():
    def f(x):
        assert x.shape == (3, 4) and x.ndim == 2 and x.size == 12 and x.dtype == np.float64
        assert len(x) == 3 and len(x.T) == 4
        rows = [r for r in x]
        assert len(rows) == 3 and rows[0].shape == (4,)
        return rows[2] * 2.0
    np.testing.assert_array_equal(traced(f, np.ones((3, 4))), 2.0 * np.ones(4))
    with pytest.raises(TypeError, match="len"):
        ftrans.make_jaxpr(lambda x: len(x))(1.0)
    with pytest.raises(TypeError, match="iteration"):
        ftrans.make_jaxpr(lambda x: list(x))(1.0)
