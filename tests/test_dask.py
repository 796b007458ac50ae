"""ftrans.dask: chunked gradients, Hessian-vector products and maps over
dask.array batches, on the threaded scheduler and on a 2-worker
``distributed.LocalCluster`` (processes, loopback), checked against the
in-memory numpy result to 1e-12; lazy whole-jaxpr evaluation checked over the
whole primitive table; the graph's size and the parameters' single entry."""

import numpy as np
import pytest

dask = pytest.importorskip("dask", reason="ftrans[dask] not installed (pip install 'ftrans[dask]')")
da = pytest.importorskip("dask.array", reason="ftrans[dask] not installed")

import ftrans  # noqa: E402
import ftrans.dask as fd  # noqa: E402
import ftrans.nn as nn  # noqa: E402
import ftrans.numpy as jnp  # noqa: E402
from dask.callbacks import Callback  # noqa: E402
from dask.delayed import Delayed  # noqa: E402
from ftrans.tree_util import tree_leaves  # noqa: E402
from tests.prim_table import all_cases  # noqa: E402

TOL = dict(rtol=1e-12, atol=1e-12)


def logistic(w, X, y):
    z = X @ w
    return jnp.sum(jnp.logaddexp(0.0, z) - y * z)


def mlp(params, X, y):
    h = jnp.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return jnp.sum(nn.log_softmax(out)[jnp.arange(X.shape[0]), y] * -1.0)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="dask.distributed not installed")
    # LocalCluster starts its worker processes with multiprocessing's spawn:
    # the test module is not their __main__, so nothing here runs twice
    cl = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None)
    client = distributed.Client(cl, set_as_default=False)
    yield client
    client.close()
    cl.close()


@pytest.fixture(params=["threads", "distributed"])
def scheduler(request):
    if request.param == "threads":
        with dask.config.set(scheduler="threads"):
            yield "threads"
    else:
        client = request.getfixturevalue("cluster")
        with dask.config.set(scheduler=client):
            yield client


def _data(rows=1003, cols=5, chunk=100, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, cols))
    y = (rng.uniform(size=rows) < 0.5).astype(float)
    return X, y, da.from_array(X, chunks=(chunk, cols)), da.from_array(y, chunks=chunk)


def _mlp_params(rng, d=5, h=7, k=3):
    return {"W1": rng.standard_normal((d, h)) * 0.5, "b1": rng.standard_normal(h) * 0.1,
            "W2": rng.standard_normal((h, k)) * 0.5, "b2": rng.standard_normal(k) * 0.1}


def _close(got, want):
    for g, w in zip(tree_leaves(got), tree_leaves(want)):
        assert isinstance(g, np.ndarray) and g.shape == np.shape(w)
        np.testing.assert_allclose(g, w, **TOL)


# --- value_and_grad, grad, hvp, map -----------------------------------------------

def test_logistic_regression(scheduler):
    X, y, dX, dy = _data()
    w = np.random.default_rng(1).standard_normal(5)
    got = fd.value_and_grad(logistic, batch_argnums=(1, 2))(w, dX, dy)
    _close(got, ftrans.value_and_grad(logistic)(w, X, y))


def test_mlp_pytree_params_ragged_mean(scheduler):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((257, 5))
    labels = rng.integers(0, 3, 257)
    dX = da.from_array(X, chunks=(60, 5))          # 4 chunks of 60 and a ragged 17
    dl = da.from_array(labels, chunks=60)
    params = _mlp_params(rng)
    value, grads = fd.value_and_grad(mlp, batch_argnums=(1, 2), reduce="mean")(params, dX, dl)
    want_value, want_grads = ftrans.value_and_grad(mlp)(params, X, labels)
    assert set(grads) == set(params)
    _close((value, grads), (want_value / 257, ftrans.tree_util.tree_map(lambda g: g / 257,
                                                                        want_grads)))


def test_hvp_matches_ftrans_hessian_vector_product(scheduler):
    X, y, dX, dy = _data(rows=450, chunk=64)
    rng = np.random.default_rng(3)
    w, v = rng.standard_normal(5), rng.standard_normal(5)
    got = fd.hvp(logistic, batch_argnums=(1, 2), reduce="mean")(v, w, dX, dy)
    _, want = ftrans.jvp(ftrans.grad(logistic), (w, X, y), (v, np.zeros_like(X),
                                                            np.zeros_like(y)))
    _close(got, want / 450)
    np.testing.assert_allclose(got, ftrans.hessian(logistic)(w, X, y) @ v / 450, **TOL)


def test_hvp_pytree(scheduler):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((90, 5))
    labels = rng.integers(0, 3, 90)
    params, tangents = _mlp_params(rng), _mlp_params(rng)
    got = fd.hvp(mlp, batch_argnums=(1, 2))(tangents, params, da.from_array(X, chunks=(40, 5)),
                                            da.from_array(labels, chunks=40))
    _, want = ftrans.jvp(lambda p: ftrans.grad(mlp)(p, X, labels), (params,), (tangents,))
    _close(got, want)


def test_map(scheduler):
    X, _, dX, _ = _data(rows=205, chunk=50)
    w = np.random.default_rng(5).standard_normal(5)

    def predict(w, X):
        z = X @ w
        return {"p": nn.sigmoid(z), "z2": jnp.stack([z, z * z], axis=1)}

    got = fd.map(predict)(w, dX)
    want = predict(w, X)
    _close(got, want)
    lazy = fd.map(predict, compute=False)(w, dX)
    assert isinstance(lazy["p"], da.Array) and lazy["z2"].chunks[0] == dX.chunks[0]
    np.testing.assert_allclose(lazy["z2"].compute(), want["z2"], **TOL)


def test_grad_tuple_argnums_and_lazy(scheduler):
    X, y, dX, dy = _data(rows=300, chunk=70)
    w, b = np.random.default_rng(6).standard_normal(5), np.array(0.3)

    def loss(w, b, X, y):
        return logistic(w, X, y) + jnp.sum((X @ w + b) ** 2) * 0.01

    got = fd.grad(loss, argnums=(0, 1), batch_argnums=(2, 3))(w, b, dX, dy)
    want = ftrans.grad(loss, argnums=(0, 1))(w, b, X, y)
    _close(got, want)
    lazy = fd.value_and_grad(loss, argnums=(0, 1), batch_argnums=(2, 3),
                             compute=False)(w, b, dX, dy)
    assert isinstance(lazy, Delayed)
    _close(dask.compute(lazy)[0], ftrans.value_and_grad(loss, argnums=(0, 1))(w, b, X, y))


def test_traced_once_per_chunk_shape():
    X, y, dX, dy = _data(rows=1003, chunk=100)   # 10 chunks of 100, one of 3
    traces = []

    def counted(w, X, y):
        traces.append(X.shape)
        return logistic(w, X, y)

    vg = fd.value_and_grad(counted, batch_argnums=(1, 2))
    w = np.zeros(5)
    with dask.config.set(scheduler="threads"):
        vg(w, dX, dy)
        vg(w + 1.0, dX, dy)
    assert sorted(traces) == [(3, 5), (100, 5)]


_GENERATED = []


def _make_block(i, rows):
    _GENERATED.append(i)
    rng = np.random.default_rng(i)
    X = rng.standard_normal((rows, 3))
    return X, (X[:, 0] > 0).astype(float)


def test_a_shared_generator_runs_once_per_chunk():
    """X and y made by one task per chunk: that task is not copied into each."""
    blocks = [dask.delayed(_make_block, pure=True)(i, 50) for i in range(4)]
    X = da.concatenate([da.from_delayed(b[0], (50, 3), float) for b in blocks])
    y = da.concatenate([da.from_delayed(b[1], (50,), float) for b in blocks])
    _GENERATED.clear()
    with dask.config.set(scheduler="threads"):
        got = fd.grad(logistic, batch_argnums=(1, 2))(np.ones(3), X, y)
    assert sorted(_GENERATED) == [0, 1, 2, 3]
    Xm = np.concatenate([_make_block(i, 50)[0] for i in range(4)])
    ym = np.concatenate([_make_block(i, 50)[1] for i in range(4)])
    _close(got, ftrans.grad(logistic)(np.ones(3), Xm, ym))


# --- the graph --------------------------------------------------------------------

def _lazy_graph(n_chunks, params):
    X = da.ones((10 * n_chunks, 4), chunks=(10, 4))
    lazy = fd.value_and_grad(lambda p, X: jnp.sum(X @ p[:4]) + jnp.sum(p ** 2),
                             compute=False)(params, X)
    return dict(lazy.__dask_graph__())


def test_graph_has_linear_size_and_params_once():
    params = np.linspace(0.0, 1.0, 20_000)
    with dask.config.set(scheduler="threads"):
        sizes = [len(_lazy_graph(n, params)) for n in (10, 20, 40)]
        graph = _lazy_graph(40, params)
    # one data, one kernel task per chunk, a reduction tree and a few more
    for n, size in zip((10, 20, 40), sizes):
        assert 2 * n < size <= 2 * n + n // 4 + 8, sizes
    assert sizes[2] - sizes[1] >= sizes[1] - sizes[0] > 0
    keys = [k for k in graph if str(k[0] if isinstance(k, tuple) else k).startswith("ftrans-params")]
    assert len(keys) == 1
    import cloudpickle
    payload = len(cloudpickle.dumps(graph, protocol=5))
    assert params.nbytes < payload < 1.5 * params.nbytes  # the params are in it once


def test_params_scattered_once_to_the_cluster(cluster):
    X, y, dX, dy = _data(rows=400, chunk=50)
    w = np.random.default_rng(7).standard_normal(5)
    with dask.config.set(scheduler=cluster):
        lazy = fd.value_and_grad(logistic, batch_argnums=(1, 2), compute=False)(w, dX, dy)
        graph = dict(lazy.__dask_graph__())
        assert not any(str(k).startswith("ftrans-params") for k in graph)  # a future instead
        _close(lazy.compute(), ftrans.value_and_grad(logistic)(w, X, y))


# --- eval_jaxpr ---------------------------------------------------------------------

class _CountComputes(Callback):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _start(self, dsk):
        self.n += 1


def test_eval_jaxpr_is_lazy_and_exact(scheduler):
    X, y, dX, dy = _data(rows=300, chunk=70)
    w = np.random.default_rng(8).standard_normal(5)
    closed = ftrans.make_jaxpr(ftrans.value_and_grad(logistic))(w, X, y)
    counter = _CountComputes()
    with counter:
        value, g = fd.eval_jaxpr(closed, w, dX, dy)
    assert counter.n == 0 and isinstance(value, da.Array) and isinstance(g, da.Array)
    want = ftrans.value_and_grad(logistic)(w, X, y)
    _close([np.asarray(r) for r in dask.compute(value, g)], want)


CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_eval_jaxpr_over_the_primitive_table(case):
    """Every row either evaluates lazily (no compute while building, equal to
    numpy after) or raises NotImplementedError naming its primitive."""
    args = case.sample(np.random.default_rng(0))
    closed = ftrans.make_jaxpr(case.fn)(*args)
    dargs = [da.from_array(a, chunks=tuple(max(1, (s + 1) // 2) for s in a.shape))
             for a in args]
    counter = _CountComputes()
    try:
        with counter, dask.config.set(scheduler="sync"):
            outs = fd.eval_jaxpr(closed, *dargs)
    except NotImplementedError as e:
        names = {e.primitive.name for e in closed.jaxpr.eqns}
        assert "ftrans.dask.eval_jaxpr" in str(e)
        assert any(f"primitive '{p}'" in str(e) for p in names | set(fd.UNSUPPORTED))
        return
    assert counter.n == 0, "an impl computed its dask input"
    assert all(isinstance(o, da.Array) for o in outs) or not args
    want = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, *args)
    got = dask.compute(*outs, scheduler="sync")
    for g, w in zip(got, want):
        assert np.shape(g) == np.shape(w) and np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), equal_nan=True, **TOL)


def test_eval_jaxpr_unsupported_primitive_is_named():
    closed = ftrans.make_jaxpr(lambda x: jnp.argsort(x))(np.zeros(6))
    with pytest.raises(NotImplementedError, match="primitive 'argsort'.*no argsort"):
        fd.eval_jaxpr(closed, da.zeros(6, chunks=3))
    closed = ftrans.make_jaxpr(lambda x: jnp.cumprod(x))(np.zeros(6))
    with pytest.raises(NotImplementedError, match="'cumprod'.*accumulate"):
        fd.eval_jaxpr(closed, da.zeros(6, chunks=3))


# --- errors ---------------------------------------------------------------------------

def test_error_mismatched_chunks():
    X, y, _, _ = _data(rows=100, chunk=10)
    with pytest.raises(ValueError, match=r"X \(argument 1\) and y \(argument 2\) have "
                                         r"different chunks.*rechunk"):
        fd.value_and_grad(logistic, batch_argnums=(1, 2))(
            np.zeros(5), da.from_array(X, chunks=(10, 5)), da.from_array(y, chunks=20))


def test_error_mismatched_lengths():
    X, y, _, _ = _data(rows=100, chunk=10)
    with pytest.raises(ValueError, match=r"different lengths \(100 and 90 rows\)"):
        fd.grad(logistic, batch_argnums=(1, 2))(
            np.zeros(5), da.from_array(X, chunks=(10, 5)), da.from_array(y[:90], chunks=10))


def test_error_non_dask_batch_argument():
    X, y, dX, _ = _data(rows=100, chunk=10)
    with pytest.raises(TypeError, match=r"batch argument y \(argument 2\) of logistic must "
                                        r"be a dask.array.*numpy.ndarray of shape \(100,\)"):
        fd.value_and_grad(logistic, batch_argnums=(1, 2))(np.zeros(5), dX, y)


def test_error_non_scalar_loss():
    _, _, dX, _ = _data(rows=100, chunk=30)

    def per_row(w, X):
        return X @ w

    with pytest.raises(TypeError, match=r"the loss .*per_row must return a scalar.*chunk "
                                        r"of 30 rows it returned shape \(30,\)"):
        fd.value_and_grad(per_row)(np.zeros(5), dX)


def test_error_other_misuse():
    _, _, dX, _ = _data(rows=100, chunk=30)
    f = lambda w, X: jnp.sum(X @ w)  # noqa: E731
    with pytest.raises(ValueError, match="chunked along axis 1.*rechunk"):
        fd.grad(f)(np.zeros(5), dX.rechunk((30, 2)))
    with pytest.raises(ValueError, match="overlap"):
        fd.grad(f, argnums=1)(np.zeros(5), dX)
    with pytest.raises(TypeError, match="holds a dask.array but is not in batch_argnums"):
        fd.grad(f)(da.zeros(5, chunks=5), dX)
    with pytest.raises(ValueError, match="reduce must be 'sum' or 'mean'"):
        fd.grad(f, reduce="max")
