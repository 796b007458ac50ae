"""ftrans.numpy.fft against numpy.fft, and its derivatives.

Every function is compared with numpy for many ``n``/``s``/``axes``/``norm``
combinations, on real and complex, float64 and float32 inputs; derivatives
against finite differences (``check_grads``, order 2, both modes) and closed
forms (Parseval); the ``fft`` primitive's transpose rules directly, by the
bilinear identity and against values printed by ``jax.vjp``; ``vmap`` and
``jit`` of every function; and the errors numpy raises for bad input."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.ad_util import UndefinedPrimal
from ftrans.core import ShapedArray
from ftrans.prims.fft import fft_p
from ftrans.test_util import check_grads

NORMS = [None, "backward", "ortho", "forward"]
RNG = np.random.default_rng(0)


def _real(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def _complex(*shape, dtype=np.complex128):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def _close(got, want, tol=1e-12):
    got = np.asarray(got)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype,
                                                                 want.shape, want.dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1.0, np.abs(want).max()))


ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
REAL_IN = {"rfft", "ihfft", "rfft2", "rfftn"}


@pytest.mark.parametrize("name", ONE_D)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 1, 4, 5, 9, 16])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_one_dimensional_matches_numpy(name, norm, n, axis):
    x = _real(6, 7, 3) if name in REAL_IN else _complex(6, 7, 3)
    want = getattr(np.fft, name)(x, n=n, axis=axis, norm=norm)
    _close(getattr(jnp.fft, name)(x, n=n, axis=axis, norm=norm), want)


@pytest.mark.parametrize("name", ["fft", "ifft", "irfft", "hfft"])
def test_complex_transforms_of_real_and_integer_input(name):
    for x in (_real(8), np.arange(8), np.arange(8) % 2 == 0):
        _close(getattr(jnp.fft, name)(x), getattr(np.fft, name)(x))


ND = ["fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn"]
S_AXES = [(None, None), ((4, 6), None), (None, (0, 2)), ((3, 5), (2, 0)), ((5,), (1,)),
          ((2, 3, 4), (0, 1, 2)), (None, (-1, 0, 1)), ((4, -1), (1, 2)), (None, (1, 1))]


@pytest.mark.parametrize("name", ND)
@pytest.mark.parametrize("s,axes", S_AXES)
@pytest.mark.parametrize("norm", NORMS)
def test_n_dimensional_matches_numpy(name, s, axes, norm):
    x = _real(4, 5, 6) if name in REAL_IN else _complex(4, 5, 6)
    if name.endswith("2") and (axes is None or len(axes) != 2):
        axes = (-2, -1) if s is None or len(s) == 2 else None
        if axes is None:
            pytest.skip("the 2-D functions need two axes")
    kw = dict(s=s, norm=norm) if axes is None else dict(s=s, axes=axes, norm=norm)
    _close(getattr(jnp.fft, name)(x, **kw), getattr(np.fft, name)(x, **kw))


@pytest.mark.parametrize("name", ONE_D + ND)
def test_float32_stays_single_precision(name):
    x = _real(4, 6, dtype=np.float32) if name in REAL_IN else _complex(4, 6, dtype=np.complex64)
    got, want = getattr(jnp.fft, name)(x), getattr(np.fft, name)(x)
    assert np.asarray(got).dtype == want.dtype
    _close(got, want, tol=1e-5)
    if name not in REAL_IN and "irfft" not in name and name != "hfft":
        # (numpy returns float16 from irfft of float16: not followed)
        h = getattr(jnp.fft, name)(x.real.astype(np.float16))
        assert np.asarray(h).dtype == getattr(np.fft, name)(x.real.astype(np.float16)).dtype


def test_frequencies_and_shifts_match_numpy():
    for n in (1, 4, 7):
        for d in (1.0, 0.25):
            _close(jnp.fft.fftfreq(n, d), np.fft.fftfreq(n, d))
            _close(jnp.fft.rfftfreq(n, d), np.fft.rfftfreq(n, d))
    x = _real(4, 5)
    for axes in (None, 0, 1, (0, 1), (-1,)):
        _close(jnp.fft.fftshift(x, axes), np.fft.fftshift(x, axes))
        _close(jnp.fft.ifftshift(x, axes), np.fft.ifftshift(x, axes))
    d = ftrans.grad(lambda d: jnp.sum(jnp.fft.fftfreq(5, d)[1:3]))(0.5)
    np.testing.assert_allclose(d, -(1 + 2) / (5 * 0.25))


def test_empty_axes_return_the_input():
    x = _real(3)
    np.testing.assert_array_equal(jnp.fft.fftn(x, axes=()), np.fft.fftn(x, axes=()))


# --- errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m: m.fft(np.ones(4), n=0),
    lambda m: m.irfft(np.ones(1)),
    lambda m: m.fft(np.ones(4), norm="bad"),
    lambda m: m.fftn(np.ones((2, 3)), s=(2,), axes=(0, 1)),
    lambda m: m.rfft2(np.ones((2, 3)), s=(2, 0)),
])
def test_bad_n_s_norm_raise_value_error_like_numpy(call):
    with pytest.raises(ValueError):
        call(np.fft)
    with pytest.raises(ValueError, match="(Invalid|Shape and axes)"):
        call(jnp.fft)


@pytest.mark.parametrize("call", [
    lambda m: m.fft(np.ones(4), axis=2),
    lambda m: m.fft(np.ones(())),
    lambda m: m.fftn(np.ones((2, 3)), axes=(0, 3)),
    lambda m: m.fftshift(np.ones(3), axes=1),
])
def test_bad_axes_raise_index_error_like_numpy(call):
    with pytest.raises(IndexError):
        call(np.fft)
    with pytest.raises(IndexError, match="numpy.fft"):
        call(jnp.fft)


def test_type_errors():
    with pytest.raises(TypeError):
        np.fft.rfft(np.ones(4) + 1j)
    with pytest.raises(TypeError, match="rfft: the input must be real"):
        jnp.fft.rfft(np.ones(4) + 1j)
    with pytest.raises(TypeError, match="integer"):
        jnp.fft.fft(np.ones(4), n=2.0)
    with pytest.raises(TypeError, match="complex64 or complex128"):
        lax.fft(np.ones(4), "fft", (4,))
    with pytest.raises(ValueError, match="fft_type"):
        lax.fft(np.ones(4), "dct", (4,))
    with pytest.raises(ValueError, match=r"half spectrum"):
        lax.fft(np.ones(4, complex), "irfft", (4,))
    with pytest.raises(ValueError, match="trailing axes"):
        lax.fft(np.ones((4, 3)), "rfft", (4,))


# --- the primitive's transpose rules --------------------------------------------------

LENGTHS = [(1,), (2,), (5,), (6,), (3, 4), (4, 5), (2, 3, 5), (2, 4, 6)]


@pytest.mark.parametrize("lengths", LENGTHS, ids=str)
@pytest.mark.parametrize("fft_type", ["fft", "ifft", "rfft", "irfft"])
def test_transpose_rule_satisfies_the_bilinear_identity(fft_type, lengths):
    # <ct, A x> = <Aᵀ ct, x> with <a, b> = sum(a * b) (no conjugation); for
    # the real transforms (R-linear maps between reals and complexes) its real part
    half = lengths[:-1] + (lengths[-1] // 2 + 1,)
    x = {"rfft": _real(2, *lengths), "irfft": _complex(2, *half)}.get(fft_type)
    x = _complex(2, *lengths) if x is None else x
    y = lax.fft(x, fft_type, lengths)
    ct = _complex(*y.shape) if y.dtype.kind == "c" else _real(*y.shape)
    (x_ct,) = fft_p.transpose(ct, UndefinedPrimal(ShapedArray(x.shape, x.dtype)),
                              fft_type=fft_type, fft_lengths=lengths)
    x_ct = np.asarray(x_ct)
    assert x_ct.shape == x.shape and x_ct.dtype == x.dtype
    lhs, rhs = np.sum(ct * y), np.sum(x_ct * x)
    if fft_type in ("rfft", "irfft"):
        lhs, rhs = lhs.real, rhs.real
    np.testing.assert_allclose(rhs, lhs, rtol=1e-11)
    # and through ftrans.linear_transpose of the functional form
    (lt,) = ftrans.linear_transpose(lambda v: lax.fft(v, fft_type, lengths), x)(ct)
    np.testing.assert_allclose(np.asarray(lt), x_ct, rtol=1e-12, atol=1e-12)


JAX_RFFT = [2.5, -0.4092712219346883, 3.561384254524995, 0.48370071734974207,
            -1.135813749940049]


def test_transposes_match_jax_vjp():
    # JAX_ENABLE_X64=1: x = [1, 2, 0.5, -1, 3], ct = [1+2j, -0.5+1j, 2-1j]
    #   jax.vjp(jnp.fft.rfft, x)[1](ct)[0] -> [2.5, -0.40927122, 3.56138425,
    #                                          0.48370072, -1.13581375]
    # y = [1+1j, 2-1j, -0.5+0.5j], ct2 = [1, -2, 0.5, 3]
    #   jax.vjp(lambda y: jnp.fft.irfft(y, n=4), y)[1](ct2)[0]
    #     -> [0.625-0j, 0.25-2.5j, 0.125-0j]
    x, ct = np.array([1, 2, 0.5, -1, 3]), np.array([1 + 2j, -0.5 + 1j, 2 - 1j])
    _, pull = ftrans.vjp(jnp.fft.rfft, x)
    np.testing.assert_allclose(pull(ct)[0], JAX_RFFT, rtol=1e-7)
    (got,) = fft_p.transpose(ct, UndefinedPrimal(ShapedArray((5,), np.float64)),
                             fft_type="rfft", fft_lengths=(5,))
    np.testing.assert_allclose(got, JAX_RFFT,
                               rtol=1e-7)
    y, ct2 = np.array([1 + 1j, 2 - 1j, -0.5 + 0.5j]), np.array([1, -2, 0.5, 3.0])
    (got,) = fft_p.transpose(ct2, UndefinedPrimal(ShapedArray((3,), np.complex128)),
                             fft_type="irfft", fft_lengths=(4,))
    np.testing.assert_allclose(got, [0.625, 0.25 - 2.5j, 0.125], rtol=1e-12)


# --- derivatives ------------------------------------------------------------------------

@pytest.mark.parametrize("name,kw", [("fft", {}), ("ifft", dict(n=7, norm="ortho")),
                                     ("rfft", dict(n=6)), ("irfft", dict(n=7)),
                                     ("hfft", dict(norm="forward")), ("ihfft", {}),
                                     ("fft2", {}), ("rfftn", dict(s=(3, 4))),
                                     ("irfftn", dict(s=(3, 5), norm="ortho")),
                                     ("ifftn", dict(axes=(0,)))])
def test_derivatives_against_finite_differences(name, kw):
    x = _real(3, 5) if name in REAL_IN else _complex(3, 5)
    check_grads(lambda v: getattr(jnp.fft, name)(v, **kw), (x,), order=2)


def test_jvp_of_real_input_is_the_transform_of_the_tangent():
    x, t = _real(8), _real(8)
    y, y_dot = ftrans.jvp(lambda v: jnp.fft.rfft(v, norm="ortho"), (x,), (t,))
    _close(y, np.fft.rfft(x, norm="ortho"))
    _close(y_dot, np.fft.rfft(t, norm="ortho"))


@pytest.mark.parametrize("n", [7, 8])
def test_parseval_gradient(n):
    # sum |fft(x)|^2 = n sum x^2, so the gradient is 2 n x; with the half
    # spectrum, weight 2 the columns that stand for a conjugate pair
    x = _real(n)
    g = ftrans.grad(lambda v: jnp.sum(jnp.abs(jnp.fft.fft(v)) ** 2))(x)
    np.testing.assert_allclose(g, 2 * n * x, rtol=1e-10)
    m = np.full(n // 2 + 1, 2.0)
    m[0] = 1.0
    if n % 2 == 0:
        m[-1] = 1.0
    g = ftrans.grad(lambda v: jnp.sum(m * jnp.abs(jnp.fft.rfft(v)) ** 2))(x)
    np.testing.assert_allclose(g, 2 * n * x, rtol=1e-10)
    g = ftrans.grad(lambda v: jnp.sum(m * jnp.abs(jnp.fft.rfft(v, norm="ortho")) ** 2))(x)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-10)  # ortho: unitary


def test_gradient_through_a_filter():
    # f(x) = w . irfft(rfft(x) h) is linear in x: grad = rfftᵀ(h irfftᵀ(w)), the
    # circular correlation of w with the filter's impulse response
    n = 9
    x, w = _real(n), _real(n)
    h = np.exp(-0.3 * np.arange(n // 2 + 1))
    f = lambda v: jnp.sum(w * jnp.fft.irfft(jnp.fft.rfft(v) * h, n=n))  # noqa: E731
    impulse = np.fft.irfft(h, n=n)
    want = np.array([np.sum(w * np.roll(impulse, j)) for j in range(n)])
    np.testing.assert_allclose(ftrans.grad(f)(x), want, rtol=1e-10)
    check_grads(lambda v: jnp.fft.irfft(jnp.fft.rfft(v) * h, n=n), (x,), order=2)


def test_spectral_derivative_residual():
    # u' computed spectrally is exact for a trigonometric polynomial; the
    # residual r(a) = u_a' - cos(x) vanishes at a = 1, with gradient 2 r . d r/da
    n = 16
    xs = 2 * np.pi * np.arange(n) / n
    k = np.fft.rfftfreq(n, 1 / n)

    def deriv(u):
        return jnp.fft.irfft(1j * k * jnp.fft.rfft(u), n=n)

    np.testing.assert_allclose(deriv(np.sin(xs)), np.cos(xs), atol=1e-12)
    loss = lambda a: jnp.sum((deriv(a * jnp.sin(xs)) - jnp.cos(xs)) ** 2)  # noqa: E731
    np.testing.assert_allclose(ftrans.grad(loss)(1.0), 0.0, atol=1e-10)
    np.testing.assert_allclose(ftrans.grad(loss)(2.0), 2 * np.sum(np.cos(xs) ** 2),
                               rtol=1e-10)
    check_grads(loss, (1.3,), order=2)


def test_hessian_of_a_spectral_energy():
    n = 6
    k = np.fft.rfftfreq(n, 1 / n)
    energy = lambda u: jnp.sum(k ** 2 * jnp.abs(jnp.fft.rfft(u)) ** 2)  # noqa: E731
    x = _real(n)
    H = ftrans.hessian(energy)(x)
    # energy is the quadratic form u^T A u: A's columns from the basis
    A = np.array([[energy(e1 + e2) - energy(e1) - energy(e2) for e2 in np.eye(n)]
                  for e1 in np.eye(n)]) / 2
    np.testing.assert_allclose(H, 2 * A, rtol=1e-9, atol=1e-9)


# --- vmap and jit ------------------------------------------------------------------------

CALLS = [("fft", {}), ("ifft", dict(n=5)), ("rfft", dict(norm="ortho")), ("irfft", dict(n=6)),
         ("hfft", {}), ("ihfft", {}), ("fft2", {}), ("ifft2", dict(s=(3, 2))),
         ("rfft2", {}), ("irfft2", {}), ("fftn", {}), ("ifftn", dict(axes=(0,))),
         ("rfftn", dict(s=(2, 4))), ("irfftn", dict(norm="forward")), ("fftshift", {}),
         ("ifftshift", dict(axes=0))]


@pytest.mark.parametrize("name,kw", CALLS)
def test_vmap_and_jit(name, kw):
    f = lambda v: getattr(jnp.fft, name)(v, **kw)  # noqa: E731
    xs = _real(3, 4, 5) if name in REAL_IN else _complex(3, 4, 5)
    loop = np.stack([getattr(np.fft, name)(x, **kw) for x in xs])
    _close(ftrans.vmap(f)(xs), loop)
    _close(ftrans.vmap(f, in_axes=2, out_axes=1)(np.moveaxis(xs, 0, 2)), np.moveaxis(loop, 0, 1))
    _close(ftrans.jit(f)(xs[0]), loop[0])
    _close(ftrans.jit(ftrans.vmap(f))(xs), loop)


def test_jit_emits_numpy_fft():
    f = ftrans.jit(lambda v: jnp.fft.rfft(v))
    src = f.lower(_real(8)).as_text()
    assert "np.fft.rfftn" in src
    _close(f(np.arange(8.0)), np.fft.rfft(np.arange(8.0)))


def test_cost_counts_five_n_log_n():
    cost = ftrans.cost_analysis(lambda v: lax.fft(v, "fft", (8,)), _complex(3, 8))
    assert cost.flops == 3 * 5 * 8 * 3
