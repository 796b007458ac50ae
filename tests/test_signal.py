"""jnp.convolve/correlate and ftrans.scipy.signal against numpy and scipy:
values on a grid of shapes and modes (real, complex, integer, float32),
derivatives in both arguments (order 2, both modes), vmap, jit and errors."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.scipy import signal
from ftrans.test_util import check_grads

scipy_signal = pytest.importorskip("scipy.signal")

MODES = ["full", "same", "valid"]
LENGTHS = [(5, 3), (5, 4), (3, 5), (4, 4), (1, 3), (6, 1), (7, 2)]


def _rand(rng, shape, kind="real"):
    x = rng.normal(size=shape)
    if kind == "complex":
        x = x + 1j * rng.normal(size=shape)
    elif kind == "int":
        x = rng.integers(-5, 5, size=shape)
    elif kind == "float32":
        x = x.astype(np.float32)
    return x


@pytest.mark.parametrize("kind", ["real", "complex", "int", "float32"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n,m", LENGTHS)
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_numpy_1d_matches_numpy(rng, name, n, m, mode, kind):
    a, v = _rand(rng, n, kind), _rand(rng, m, kind)
    out = getattr(jnp, name)(a, v, mode=mode)
    ref = getattr(np, name)(a, v, mode=mode)
    assert out.shape == ref.shape and out.dtype == ref.dtype
    tol = 1e-5 if kind == "float32" else 1e-12
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


def test_numpy_defaults_follow_numpy():
    a, v = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, -1.0])
    np.testing.assert_allclose(jnp.convolve(a, v), np.convolve(a, v))      # full
    np.testing.assert_allclose(jnp.correlate(a, v), np.correlate(a, v))    # valid


SHAPES = [((5,), (3,)), ((3,), (5,)), ((4, 5), (2, 3)), ((2, 3), (4, 5)), ((4, 3), (2, 3)),
          ((3, 4, 5), (2, 2, 3)), ((4, 4), (4, 4)), ((5, 6), (3, 2)), ((2, 2), (3, 1)),
          ((1, 1), (2, 3))]


@pytest.mark.parametrize("kind", ["real", "complex"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("s1,s2", SHAPES)
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_scipy_nd_matches_scipy(rng, name, s1, s2, mode, kind):
    a, b = _rand(rng, s1, kind), _rand(rng, s2, kind)
    try:
        ref = getattr(scipy_signal, name)(a, b, mode=mode, method="direct")
    except ValueError:
        with pytest.raises(ValueError, match="valid"):
            getattr(signal, name)(a, b, mode=mode)
        return
    out = getattr(signal, name)(a, b, mode=mode)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    if len(s1) == 2:
        ref2 = getattr(scipy_signal, name + "2d")(a, b, mode=mode)
        np.testing.assert_allclose(getattr(signal, name + "2d")(a, b, mode=mode), ref2,
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_numpy_grads(rng, name, mode):
    a, v = rng.normal(size=6), rng.normal(size=3)
    check_grads(lambda a, v: getattr(jnp, name)(a, v, mode=mode), (a, v), order=2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["convolve", "correlate", "convolve2d", "correlate2d"])
def test_scipy_grads(rng, name, mode):
    a, b = rng.normal(size=(4, 5)), rng.normal(size=(2, 3))
    check_grads(lambda a, b: getattr(signal, name)(a, b, mode=mode), (a, b), order=2)


def test_complex_grads(rng):
    a = rng.normal(size=5) + 1j * rng.normal(size=5)
    v = rng.normal(size=3) + 1j * rng.normal(size=3)
    check_grads(lambda a, v: jnp.correlate(a, v, mode="same"), (a, v), order=1)


def test_vmap_and_jit(rng):
    a, v = rng.normal(size=(4, 7)), rng.normal(size=3)
    out = ftrans.vmap(lambda a: jnp.convolve(a, v, mode="same"))(a)
    np.testing.assert_allclose(out, np.stack([np.convolve(r, v, mode="same") for r in a]))
    vs = rng.normal(size=(4, 3))
    out = ftrans.vmap(jnp.correlate, in_axes=(0, 0))(a, vs)
    np.testing.assert_allclose(out, np.stack([np.correlate(r, w) for r, w in zip(a, vs)]))
    img, k = rng.normal(size=(6, 5)), rng.normal(size=(3, 3))
    f = ftrans.jit(lambda x, k: signal.convolve2d(x, k, mode="same"))
    np.testing.assert_allclose(f(img, k), scipy_signal.convolve2d(img, k, mode="same"))
    g = ftrans.jit(ftrans.grad(lambda x: jnp.sum(signal.correlate(x, k, mode="valid") ** 2)))
    ref = ftrans.grad(lambda x: jnp.sum(signal.correlate(x, k, mode="valid") ** 2))(img)
    np.testing.assert_allclose(g(img), ref)


def test_gradient_is_the_adjoint_correlation(rng):
    # d/da sum(u * convolve(a, v, 'full')) = correlate(u, v, 'valid')
    a, v, u = rng.normal(size=6), rng.normal(size=3), rng.normal(size=8)
    g = ftrans.grad(lambda a: jnp.sum(u * jnp.convolve(a, v)))(a)
    np.testing.assert_allclose(g, np.correlate(u, v, mode="valid"))


def test_errors():
    with pytest.raises(ValueError, match="convolve: mode must be one of"):
        jnp.convolve(np.ones(3), np.ones(2), mode="circular")
    with pytest.raises(ValueError, match=r"correlate: a and v must be 1-d.*\(2, 2\)"):
        jnp.correlate(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="must not be empty"):
        jnp.convolve(np.ones(0), np.ones(2))
    with pytest.raises(ValueError, match="same dimensionality"):
        signal.convolve(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="every dimension"):
        signal.correlate(np.ones((2, 4)), np.ones((3, 2)), mode="valid")
    with pytest.raises(ValueError, match="method"):
        signal.convolve(np.ones(3), np.ones(2), method="winograd")
    with pytest.raises(NotImplementedError, match="boundary='fill'"):
        signal.convolve2d(np.ones((3, 3)), np.ones((2, 2)), boundary="wrap")
    with pytest.raises(ValueError, match="in1 must be 2-d"):
        signal.correlate2d(np.ones(3), np.ones((2, 2)))


def test_every_function_has_an_example():
    import inspect
    for f in [jnp.convolve, jnp.correlate] + [getattr(signal, n) for n in signal.__all__]:
        assert ">>>" in (inspect.getdoc(f) or ""), f.__name__


@pytest.mark.parametrize("mode", MODES)
def test_large_problems_use_shifted_slices(rng, monkeypatch, mode):
    import ftrans.numpy._signal as impl
    monkeypatch.setattr(impl, "_PATCH_LIMIT", 0)  # every problem counts as large
    for s1, s2 in [((7,), (3,)), ((4, 5), (2, 3)), ((3, 4, 5), (2, 2, 3))]:
        x = rng.normal(size=s1) + 1j * rng.normal(size=s1)
        k = rng.normal(size=s2)
        np.testing.assert_allclose(signal.convolve(x, k, mode), scipy_signal.convolve(x, k, mode))
        np.testing.assert_allclose(signal.correlate(x, k, mode),
                                   scipy_signal.correlate(x, k, mode))
    a, v = rng.normal(size=6), rng.normal(size=3)
    np.testing.assert_allclose(jnp.correlate(a, v, mode), np.correlate(a, v, mode))
    check_grads(lambda a, v: jnp.convolve(a, v, mode), (a, v), order=2)
    out = ftrans.vmap(lambda a: jnp.convolve(a, v, mode))(rng.normal(size=(3, 6)))
    assert out.shape[0] == 3


def test_long_signals_match_numpy(rng):
    a, v = rng.normal(size=3000), rng.normal(size=1500)  # above the patch limit
    np.testing.assert_allclose(jnp.convolve(a, v, "same"), np.convolve(a, v, "same"),
                               atol=1e-10)


def test_preferred_element_type():
    out = jnp.convolve(np.arange(3), np.arange(2), preferred_element_type=np.float32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.convolve(np.arange(3), np.arange(2)))
