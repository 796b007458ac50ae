"""The jax.numpy / jax.lax names added in issue 14 part 5: values against
numpy (or a direct loop), derivatives by check_grads (order 2, both modes)
where the function is differentiable, vmap/jit where meaningful, errors."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.errors import ConcretizationError
from ftrans.test_util import check_grads


def close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# --- index tricks ----------------------------------------------------------------------

@pytest.mark.parametrize("key", [
    (slice(1, 3), 5, np.array([7, 8])),
    (slice(0, 1, 5j),),
    ("0,2", np.array([1, 2]), np.array([3, 4])),
    ("0,2,0", np.array([1, 2]), np.array([3, 4])),
    ("1,2,0", np.array([1, 2]), np.array([3, 4])),
    ("r", np.array([1, 2, 3])),
    ("c", np.array([1, 2, 3])),
    ("-1", np.ones((2, 2)), np.zeros((2, 1))),
    (np.ones((2, 2)), np.zeros((1, 2))),
    (slice(0, 10, 3), slice(-2, 0)),
])
def test_r_matches_numpy(key):
    out = jnp.r_[key]
    ref = np.r_[key]
    assert out.shape == ref.shape and out.dtype == ref.dtype
    close(out, ref)


@pytest.mark.parametrize("key", [
    (np.array([1, 2]), np.array([3, 4])),
    (np.ones((2, 3)), np.zeros(2)),
    (np.arange(3.0), slice(0, 3)),
])
def test_c_matches_numpy(key):
    close(jnp.c_[key], np.c_[key])
    assert jnp.c_[key].shape == np.c_[key].shape


def test_index_tricks_differentiate_and_grids():
    f = lambda x: jnp.sum(jnp.r_[x, 2.0 * x, 0:2] ** 2)  # noqa: E731
    check_grads(f, (np.array([0.5, -1.0]),), order=2)
    close(ftrans.jit(lambda x: jnp.c_[x, x * 2])(np.arange(2.0)), np.c_[np.arange(2.0),
                                                                          2 * np.arange(2.0)])
    close(jnp.mgrid[0:2, 0:3], np.mgrid[0:2, 0:3])
    close(jnp.mgrid[0:1:3j], np.mgrid[0:1:3j])
    for a, b in zip(jnp.ogrid[0:2, 0:3], np.ogrid[0:2, 0:3]):
        close(a, b)
    assert jnp.s_[1:2] == np.s_[1:2] and jnp.index_exp[1] == np.index_exp[1]
    with pytest.raises(ValueError, match="directive"):
        jnp.r_["x,y", np.ones(2)]
    with pytest.raises(ValueError, match="first"):
        jnp.r_[np.ones(2), "0"]


# --- einsum sublists and vectorize --------------------------------------------------------

def test_einsum_sublist_form(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    close(jnp.einsum(a, [0, 1], b, [1, 2], [0, 2]), np.einsum(a, [0, 1], b, [1, 2], [0, 2]))
    close(jnp.einsum(a, [0, 1], b, [1, 2]), np.einsum(a, [0, 1], b, [1, 2]))
    c = rng.standard_normal((5, 2, 3))
    close(jnp.einsum(c, [Ellipsis, 0, 1], b, [1, 2], [Ellipsis, 0, 2]),
          np.einsum(c, [Ellipsis, 0, 1], b, [1, 2], [Ellipsis, 0, 2]))
    close(jnp.einsum(np.eye(3) * 2, [7, 7]), 6.0)
    check_grads(lambda x, y: jnp.einsum(x, [0, 1], y, [1, 2], [0, 2]), (a, b), order=2)
    with pytest.raises(TypeError, match="sublist"):
        jnp.einsum(a, "ij")
    with pytest.raises(ValueError, match="non-negative"):
        jnp.einsum(a, [-1, 0])


def test_vectorize_signature_and_broadcast(rng):
    mv = jnp.vectorize(lambda m, v: m @ v, signature="(n,m),(m)->(n)")
    A, v = rng.standard_normal((4, 2, 3)), rng.standard_normal(3)
    close(mv(A, v), A @ v)
    f = jnp.vectorize(lambda x, y: jnp.sin(x) * y)
    x, y = rng.standard_normal(3), rng.standard_normal((2, 1))
    close(f(x, y), np.sin(x) * y)
    check_grads(lambda x: jnp.sum(f(x, y)), (x,), order=2)
    # excluded positional and keyword arguments pass through unmapped
    g = jnp.vectorize(lambda x, p, scale=1.0: (x ** p) * scale, excluded={1, "scale"})
    close(g(np.arange(3.0), 2, scale=3.0), 3 * np.arange(3.0) ** 2)
    two = jnp.vectorize(lambda x: (jnp.sum(x), x * 2), signature="(n)->(),(n)")
    s, d = two(np.ones((3, 4)))
    assert s.shape == (3,) and d.shape == (3, 4)
    close(ftrans.jit(mv)(A, v), A @ v)
    with pytest.raises(ValueError, match="inconsistent"):
        mv(np.ones((2, 3)), np.ones(4))
    with pytest.raises(ValueError, match="signature"):
        jnp.vectorize(lambda x: x, signature="(n->m)")
    with pytest.raises(ValueError, match="core dims"):
        jnp.vectorize(lambda x: x, signature="(n)->()")(np.ones(3))


# --- lax extras -------------------------------------------------------------------------------

def test_lax_map_batch_size():
    xs = np.arange(7.0)
    for bs in (None, 1, 2, 3, 7, 10):
        close(lax.map(lambda x: x ** 2, xs, batch_size=bs), xs ** 2)
    tree = lax.map(lambda t: {"a": t[0] + t[1]}, (xs, xs), batch_size=3)
    close(tree["a"], 2 * xs)
    check_grads(lambda x: jnp.sum(lax.map(jnp.sin, x, batch_size=2)), (xs,), order=2)
    close(ftrans.vmap(lambda x: lax.map(jnp.cos, x))(np.ones((2, 3))), np.cos(np.ones((2, 3))))
    with pytest.raises(ValueError, match="batch_size"):
        lax.map(jnp.sin, xs, batch_size=0)


@pytest.mark.parametrize("n", [1, 2, 5, 8, 9])
@pytest.mark.parametrize("reverse", [False, True])
def test_associative_scan(n, reverse, rng):
    x = rng.standard_normal(n)
    ref = np.cumsum(x[::-1])[::-1] if reverse else np.cumsum(x)
    close(lax.associative_scan(jnp.add, x, reverse=reverse), ref)
    close(lax.associative_scan(jnp.maximum, x, reverse=reverse),
          (np.maximum.accumulate(x[::-1])[::-1] if reverse else np.maximum.accumulate(x)))
    check_grads(lambda x: lax.associative_scan(jnp.multiply, x, reverse=reverse),
                (x,), order=2)


def test_associative_scan_axis_pytree_and_noncommutative(rng):
    x = rng.standard_normal((3, 6))
    close(lax.associative_scan(jnp.add, x, axis=1), np.cumsum(x, 1))
    close(lax.associative_scan(jnp.add, x, axis=-1, reverse=True), np.cumsum(x[:, ::-1], 1)[:, ::-1])
    # affine maps compose associatively but not commutatively: (a, b) = x -> a x + b
    a, b = rng.standard_normal(7), rng.standard_normal(7)

    def compose(f, g):  # first f then g
        return (g[0] * f[0], g[0] * f[1] + g[1])

    A, B = lax.associative_scan(compose, (a, b))
    ra, rb = [a[0]], [b[0]]
    for i in range(1, 7):
        ra.append(a[i] * ra[-1])
        rb.append(a[i] * rb[-1] + b[i])
    close(A, ra), close(B, rb)
    close(ftrans.jit(lambda x: lax.associative_scan(jnp.add, x))(x[0]), np.cumsum(x[0]))
    close(ftrans.vmap(lambda r: lax.associative_scan(jnp.add, r))(x), np.cumsum(x, 1))
    with pytest.raises(ValueError, match="same length"):
        lax.associative_scan(jnp.add, (np.ones(2), np.ones(3)))


def test_select_clamp_and_small_lax_names(rng):
    p = np.array([True, False, True])
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    close(lax.select(p, x, y), np.where(p, x, y))
    check_grads(lambda x, y: lax.select(p, x, y), (x, y), order=2)
    with pytest.raises(TypeError, match="boolean"):
        lax.select(np.ones(3), x, y)
    close(lax.clamp(-0.5, x, 0.5), np.clip(x, -0.5, 0.5))
    assert lax.broadcast(np.ones(3), (2, 4)).shape == (2, 4, 3)
    assert lax.broadcast_shapes((2, 1), (1, 3)) == (2, 3)
    close(lax.broadcasted_iota(np.int64, (2, 3), 0), np.indices((2, 3))[0])
    close(lax.collapse(np.ones((2, 3, 4)), 0, 2), np.ones((6, 4)))
    z = np.arange(12.0).reshape(3, 4)
    close(lax.slice_in_dim(z, 1, 3, axis=1), z[:, 1:3])
    close(lax.index_in_dim(z, 2, keepdims=False), z[2])
    close(lax.dynamic_slice_in_dim(z, 1, 2, axis=1), z[:, 1:3])
    close(lax.dynamic_index_in_dim(z, 1, 1, keepdims=False), z[:, 1])
    close(lax.dynamic_update_index_in_dim(z, np.zeros(4), 0, 0), np.r_[[np.zeros(4)], z[1:]])
    close(lax.full_like(z, 2.0), np.full_like(z, 2.0))
    pieces = lax.split(z, (1, 3), axis=1)
    close(pieces[1], z[:, 1:])
    with pytest.raises(ValueError, match="sum to"):
        lax.split(z, (1, 1), axis=1)
    close(lax.tile(z, (2, 1)), np.tile(z, (2, 1)))
    close(lax.stack([z, z], 1), np.stack([z, z], 1)), close(lax.unstack(z, 1)[2], z[:, 2])
    close(lax.exp2(x), 2 ** x), close(lax.reciprocal(x), 1 / x), close(lax.cbrt(x), np.cbrt(x))
    close(lax.is_finite(np.array([1.0, np.inf, np.nan])), [True, False, False])
    close(lax.bitwise_xor(np.array([5, -3]), np.array([3, 7])), np.array([5, -3]) ^ np.array([3, 7]))
    close(lax.batch_matmul(np.ones((2, 3, 4)), np.ones((2, 4, 5))), np.ones((2, 3, 5)) * 4)
    close(lax.reduce(z, 0.0, jnp.add, (0,)), z.sum(0))
    close(lax.reduce((z, z), (0.0, 1.0), lambda a, b: (a[0] + b[0], a[1] * b[1]), (1,))[1],
          z.prod(1))
    check_grads(lambda z: lax.reduce(z, -np.inf, jnp.maximum, (1,)), (rng.standard_normal((3, 5)),),
                order=2)
    close(lax.reduce_and(np.array([[True, False]]), (1,)), [False])
    close(lax.reduce_or(np.array([[3, 4]]), (1,)), [7])
    close(lax.reduce_xor(np.array([[3, 5]]), (1,)), [6])
    close(lax.cumlogsumexp(x), np.logaddexp.accumulate(x))
    check_grads(lambda x: lax.cumlogsumexp(x), (x,), order=2)
    assert lax.optimization_barrier(3.0) == 3.0
    assert lax.platform_dependent(1.0, cpu=lambda x: x + 1) == 2.0


def test_scan_unroll_accepted():
    f = lambda c, x: (c + x, c * x)  # noqa: E731
    ref = lax.scan(f, 0.0, np.arange(5.0))
    for unroll in (1, 2, 5, True, False):
        out = lax.scan(f, 0.0, np.arange(5.0), unroll=unroll)
        close(out[0], ref[0]), close(out[1], ref[1])
    with pytest.raises(ValueError, match="unroll"):
        lax.scan(f, 0.0, np.arange(5.0), unroll=0)


# --- floating point and integers ------------------------------------------------------------

FLOATS = np.array([0.0, -0.0, 1.0, -3.0, 0.75, 1e-310, 5e-324, 1e300, 1.7976931348623157e308,
                   np.inf, -np.inf, np.nan, 2.0 ** -1022, 1 - 2 ** -53, 3.3])


def test_frexp_ldexp_modf_spacing_nextafter():
    m, e = jnp.frexp(FLOATS)
    rm, re_ = np.frexp(FLOATS)
    close(m, rm, 0), close(e, re_, 0)
    assert e.dtype == re_.dtype
    close(jnp.ldexp(rm, re_), FLOATS, 0)
    close(jnp.ldexp(np.array([1.0, 3.0]), np.array([-1074, 1023])), np.ldexp([1.0, 3.0], [-1074, 1023]))
    fr, wh = jnp.modf(FLOATS)
    rf, rw = np.modf(FLOATS)
    close(fr, rf, 0), close(wh, rw, 0)
    finite = FLOATS[np.isfinite(FLOATS)]
    close(jnp.spacing(finite), np.spacing(finite), 0)
    targets = [np.inf, -np.inf, 0.0, 1.0]
    for t in targets:
        close(jnp.nextafter(FLOATS, t), np.nextafter(FLOATS, t), 0)
    f32 = np.array([1.0, -2.5, 1e-40], np.float32)
    close(jnp.nextafter(f32, np.float32(0)), np.nextafter(f32, np.float32(0)), 0)
    close(jnp.spacing(f32), np.spacing(f32), 0)
    x = np.array([0.3, -1.7, 5.4])
    check_grads(lambda x: jnp.frexp(x)[0], (x,), order=2)
    check_grads(lambda x: jnp.ldexp(x, np.array([2, -1, 3])), (x,), order=2)
    check_grads(lambda x: jnp.modf(x)[0], (x,), order=2)
    with pytest.raises(TypeError, match="integer"):
        jnp.ldexp(1.0, 2.0)


def test_gcd_lcm_shifts_bits(rng):
    a, b = rng.integers(-50, 50, 20), rng.integers(-50, 50, 20)
    close(jnp.gcd(a, b), np.gcd(a, b)), close(jnp.lcm(a, b), np.lcm(a, b))
    close(ftrans.jit(jnp.gcd)(a, b), np.gcd(a, b))
    close(ftrans.vmap(jnp.gcd)(a, b), np.gcd(a, b))
    with pytest.raises(TypeError, match="integers"):
        jnp.gcd(1.0, 2.0)
    for dt in (np.int8, np.int32, np.uint8, np.int64):
        x = rng.integers(-100 if np.dtype(dt).kind == "i" else 0, 100, 12).astype(dt)
        s = rng.integers(0, 8, 12).astype(dt)
        close(jnp.left_shift(x, s), np.left_shift(x, s), 0)
        close(jnp.right_shift(x, s), np.right_shift(x, s), 0)
        close(jnp.bitwise_count(x), np.bitwise_count(x), 0)
    assert jnp.bitwise_left_shift is jnp.left_shift
    bits = rng.integers(0, 2, (3, 11))
    for order in ("big", "little"):
        close(jnp.packbits(bits, axis=1, bitorder=order), np.packbits(bits, axis=1, bitorder=order))
        close(jnp.packbits(bits, bitorder=order), np.packbits(bits, bitorder=order))
        p = np.packbits(bits, axis=1)
        close(jnp.unpackbits(p, axis=1, bitorder=order), np.unpackbits(p, axis=1, bitorder=order))
        close(jnp.unpackbits(p, axis=1, count=11), np.unpackbits(p, axis=1, count=11))
        close(jnp.unpackbits(p, axis=1, count=-2), np.unpackbits(p, axis=1, count=-2))


def test_i0_and_windows():
    x = np.array([-45.0, -31.0, -3.0, 0.0, 0.5, 10.0, 29.9, 30.1, 100.0])
    close(jnp.i0(x), np.i0(x), 1e-12)
    check_grads(jnp.i0, (np.array([0.3, -2.0, 35.0]),), order=2, rtol=1e-5)
    for M in (0, 1, 2, 5, 8):
        close(jnp.hanning(M), np.hanning(M)), close(jnp.hamming(M), np.hamming(M))
        close(jnp.blackman(M), np.blackman(M)), close(jnp.bartlett(M), np.bartlett(M))
        close(jnp.kaiser(M, 6.0), np.kaiser(M, 6.0), 1e-12)
    check_grads(lambda b: jnp.kaiser(6, b), (np.array(4.0),), order=2)


# --- nan reductions and statistics --------------------------------------------------------------

def test_nan_functions(rng):
    x = rng.standard_normal((4, 5))
    x[0, 1] = x[2, 2] = x[3, 0] = np.nan
    for axis in (None, 0, 1):
        close(jnp.nanargmax(x, axis), np.nanargmax(x, axis))
        close(jnp.nanargmin(x, axis), np.nanargmin(x, axis))
        close(jnp.nanmedian(x, axis), np.nanmedian(x, axis))
        close(jnp.nanquantile(x, 0.3, axis), np.nanquantile(x, 0.3, axis))
        close(jnp.nanpercentile(x, [10, 90], axis), np.nanpercentile(x, [10, 90], axis))
    close(jnp.nancumsum(x, 1), np.nancumsum(x, 1)), close(jnp.nancumprod(x, 0), np.nancumprod(x, 0))
    close(jnp.nancumsum(x), np.nancumsum(x))
    for method in ("lower", "higher", "nearest", "midpoint"):
        close(jnp.nanquantile(x, 0.4, 1, method=method), np.nanquantile(x, 0.4, 1, method=method))
    close(jnp.nanquantile(x, 0.5, axis=(0, 1), keepdims=True),
          np.nanquantile(x, 0.5, axis=(0, 1), keepdims=True))
    close(jnp.nanargmax(np.array([np.nan, np.nan])), -1)
    close(jnp.nanmedian(np.array([np.nan, np.nan])), np.nan)
    y = rng.standard_normal(7)
    check_grads(lambda y: jnp.nanquantile(y, 0.35), (y,), order=2)
    check_grads(lambda y: jnp.nancumsum(jnp.where(y > 0.5, np.nan, y)), (y,), order=2)
    close(ftrans.jit(lambda x: jnp.nanmedian(x, 1))(x), np.nanmedian(x, 1))
    close(jnp.cumulative_prod(y, include_initial=True), np.r_[1.0, np.cumprod(y)])


def test_cov_corrcoef_histogram_bincount_digitize(rng):
    m = rng.standard_normal((3, 6))
    close(jnp.cov(m), np.cov(m)), close(jnp.cov(m, rowvar=False), np.cov(m, rowvar=False))
    close(jnp.cov(m[0], m[1]), np.cov(m[0], m[1])), close(jnp.cov(m, bias=True), np.cov(m, bias=True))
    fw, aw = rng.integers(1, 4, 6), rng.uniform(0.5, 2, 6)
    close(jnp.cov(m, fweights=fw, aweights=aw), np.cov(m, fweights=fw, aweights=aw))
    close(jnp.cov(m, ddof=0), np.cov(m, ddof=0))
    close(jnp.cov(m[0]), np.cov(m[0]))
    close(jnp.corrcoef(m), np.corrcoef(m)), close(jnp.corrcoef(m[0], m[1]), np.corrcoef(m[0], m[1]))
    check_grads(lambda m: jnp.corrcoef(m), (m,), order=2)
    a = rng.standard_normal(50)
    for bins in (3, 10, np.array([-1.0, 0.0, 0.5, 2.0])):
        h, e = jnp.histogram(a, bins)
        rh, re_ = np.histogram(a, bins)
        close(h, rh), close(e, re_)
    h, e = jnp.histogram(a, 5, range=(-1, 1), weights=np.abs(a), density=True)
    rh, re_ = np.histogram(a, 5, range=(-1, 1), weights=np.abs(a), density=True)
    close(h, rh), close(e, re_)
    close(jnp.histogram_bin_edges(a, 4), np.histogram_bin_edges(a, 4))
    pts = rng.standard_normal((30, 2))
    H, xe, ye = jnp.histogram2d(pts[:, 0], pts[:, 1], bins=(3, 4))
    rH, rxe, rye = np.histogram2d(pts[:, 0], pts[:, 1], bins=(3, 4))
    close(H, rH), close(xe, rxe), close(ye, rye)
    Hd, ed = jnp.histogramdd(pts, bins=3, density=True)
    rHd, red = np.histogramdd(pts, bins=3, density=True)
    close(Hd, rHd), close(ed[1], red[1])
    check_grads(lambda w: jnp.histogram(a, 4, weights=w)[0], (np.abs(a),), order=2)
    k = rng.integers(0, 6, 20)
    close(jnp.bincount(k), np.bincount(k)), close(jnp.bincount(k, minlength=9), np.bincount(k, minlength=9))
    w = rng.standard_normal(20)
    close(jnp.bincount(k, w), np.bincount(k, w))
    close(ftrans.jit(lambda k: jnp.bincount(k, length=4))(k), np.bincount(k)[:4])
    with pytest.raises(ConcretizationError, match="length"):
        ftrans.jit(jnp.bincount)(k)
    bins = np.array([0.0, 1.0, 2.5, 4.0])
    xs = np.array([-1.0, 0.0, 1.0, 2.0, 4.0, 5.0])
    for right in (False, True):
        close(jnp.digitize(xs, bins, right), np.digitize(xs, bins, right))
        close(jnp.digitize(xs, bins[::-1], right), np.digitize(xs, bins[::-1], right))


# --- calculus and polynomials --------------------------------------------------------------------

def test_interp_gradient_trapezoid_unwrap(rng):
    xp = np.sort(rng.uniform(0, 5, 8))
    fp = rng.standard_normal(8)
    x = rng.uniform(-1, 6, 20)
    close(jnp.interp(x, xp, fp), np.interp(x, xp, fp))
    close(jnp.interp(x, xp, fp, left=-9.0, right=9.0), np.interp(x, xp, fp, left=-9.0, right=9.0))
    close(jnp.interp(x, xp, fp, period=2.0), np.interp(x, xp, fp, period=2.0))
    check_grads(lambda x, fp: jnp.interp(x, xp, fp), (np.array([0.7, 2.2]), fp), order=2)
    y = rng.standard_normal((5, 6))
    close(jnp.gradient(y[0]), np.gradient(y[0]))
    for a, b in zip(jnp.gradient(y, 0.5, 2.0), np.gradient(y, 0.5, 2.0)):
        close(a, b)
    xc = np.cumsum(rng.uniform(0.5, 1.5, 6))
    close(jnp.gradient(y, xc, axis=1), np.gradient(y, xc, axis=1))
    check_grads(lambda y: jnp.gradient(y, xc, axis=1), (y,), order=2)
    close(jnp.trapezoid(y), np.trapezoid(y)), close(jnp.trapezoid(y, xc), np.trapezoid(y, xc))
    close(jnp.trapezoid(y, dx=0.1, axis=0), np.trapezoid(y, dx=0.1, axis=0))
    p = np.cumsum(rng.uniform(-4, 4, 12))
    close(jnp.unwrap(p), np.unwrap(p)), close(jnp.unwrap(p, period=5.0), np.unwrap(p, period=5.0))
    close(jnp.ediff1d(p, to_end=[1.0], to_begin=[0.0, 2.0]), np.ediff1d(p, to_end=[1.0], to_begin=[0.0, 2.0]))
    close(jnp.vander(xc, 4), np.vander(xc, 4)), close(jnp.vander(xc, increasing=True), np.vander(xc, increasing=True))


def test_polynomials(rng):
    a, b = rng.standard_normal(4), rng.standard_normal(2)
    close(jnp.polyadd(a, b), np.polyadd(a, b)), close(jnp.polysub(b, a), np.polysub(b, a))
    close(jnp.polymul(a, b), np.polymul(a, b))
    q, r = jnp.polydiv(a, b)
    rq, rr = np.polydiv(a, b)
    close(q, rq), close(r[-len(rr):], rr)
    close(jnp.polyder(a, 2), np.polyder(a, 2)), close(jnp.polyder(a, 5), np.polyder(a, 5))
    close(jnp.polyint(a, 2, k=[1.0, 2.0]), np.polyint(a, 2, k=[1.0, 2.0]))
    x = np.linspace(0, 1, 10)
    y = 3 * x ** 2 - x + 0.5 + 0.01 * rng.standard_normal(10)
    close(jnp.polyfit(x, y, 2), np.polyfit(x, y, 2), 1e-8)
    close(jnp.polyfit(x, np.stack([y, 2 * y], 1), 1), np.polyfit(x, np.stack([y, 2 * y], 1), 1), 1e-8)
    close(jnp.polyfit(x, y, 2, w=np.linspace(1, 2, 10)), np.polyfit(x, y, 2, w=np.linspace(1, 2, 10)), 1e-8)
    rts = jnp.roots(np.array([0.0, 1.0, -6.0, 11.0, -6.0, 0.0]))
    close(np.sort(np.real(rts)), np.sort(np.real(np.roots([0.0, 1.0, -6.0, 11.0, -6.0, 0.0]))), 1e-8)
    close(jnp.poly(np.array([1.0, 2.0, 3.0])), np.poly([1.0, 2.0, 3.0]))
    close(jnp.poly(np.array([[1.0, 2.0], [3.0, 4.0]])), np.poly(np.array([[1.0, 2.0], [3.0, 4.0]])))
    check_grads(lambda a, b: jnp.polymul(a, b), (a, b), order=2)
    check_grads(lambda a, b: jnp.polydiv(a, b)[0], (a, b + np.array([2.0, 0.0])), order=2)
    check_grads(lambda y: jnp.polyfit(x, y, 2), (y,), order=2)
    check_grads(lambda z: jnp.poly(z), (np.array([0.5, -1.0, 2.0]),), order=2)


# --- sorting, sets -------------------------------------------------------------------------------

def test_lexsort_partition_sort_complex(rng):
    k1, k2 = rng.integers(0, 3, 10), rng.standard_normal(10)
    close(jnp.lexsort((k2, k1)), np.lexsort((k2, k1)))
    close(jnp.lexsort(np.stack([k2, k1])), np.lexsort(np.stack([k2, k1])))
    x = rng.standard_normal((3, 7))
    for kth in (0, 3, 6, -1):
        p = jnp.partition(x, kth, axis=1)
        ref = np.sort(x, 1)
        close(p[:, kth], ref[:, kth])
        assert np.all(p[:, :kth % 7 + 1] <= p[:, kth:kth % 7 + 1]) and \
            np.all(p[:, kth % 7:] >= p[:, kth:kth % 7 + 1])
        ip = jnp.argpartition(x, kth, axis=1)
        close(np.take_along_axis(x, np.asarray(ip), 1), p)
    close(jnp.partition(np.array([5.0, 1.0, 4.0, 2.0, 3.0]), 2), [1.0, 2.0, 3.0, 5.0, 4.0])
    check_grads(lambda x: jnp.partition(x, 2, axis=1), (x,), order=2)
    close(jnp.sort_complex(np.array([3.0, 1.0, 2.0])), np.sort_complex(np.array([3.0, 1.0, 2.0])))


def test_unique_and_set_operations(rng):
    a = rng.integers(0, 6, 15)
    b = rng.integers(3, 9, 10)
    for kw in ({}, dict(return_index=True), dict(return_inverse=True), dict(return_counts=True),
               dict(return_index=True, return_inverse=True, return_counts=True)):
        out, ref = jnp.unique(a, **kw), np.unique(a, **kw)
        for o, r in zip(out if isinstance(out, tuple) else (out,),
                        ref if isinstance(ref, tuple) else (ref,)):
            close(o, r)
    rows = np.array([[1, 2], [1, 2], [0, 5], [1, 0]])
    for o, r in zip(jnp.unique(rows, axis=0, return_counts=True, return_index=True),
                    np.unique(rows, axis=0, return_counts=True, return_index=True)):
        close(o, r)
    close(jnp.unique(rows, axis=1), np.unique(rows, axis=1))
    f = np.array([1.0, np.nan, 2.0, np.nan, 1.0])
    close(jnp.unique(f), np.unique(f))
    # size= pads: values with the smallest value, counts with 0 (as JAX)
    v, c = jnp.unique(np.array([3, 1, 3, 2]), size=5, return_counts=True)
    close(v, [1, 2, 3, 1, 1]), close(c, [1, 1, 2, 0, 0])
    v = jnp.unique(np.array([3, 1, 3, 2]), size=2)
    close(v, [1, 2])
    close(ftrans.jit(lambda a: jnp.unique(a, size=8, fill_value=-1))(a),
          np.r_[np.unique(a), [-1] * (8 - len(np.unique(a)))])
    with pytest.raises(ConcretizationError, match="size="):
        ftrans.jit(jnp.unique)(a)
    r = jnp.unique_all(a)
    ra = np.unique_all(a)
    for o, rr in zip(r, ra):
        close(o, rr)
    close(jnp.unique_counts(a).counts, np.unique_counts(a).counts)
    close(jnp.unique_inverse(a).inverse_indices, np.unique_inverse(a).inverse_indices)
    close(jnp.unique_values(a), np.sort(np.unique_values(a)))  # numpy 2.4: unsorted
    close(jnp.union1d(a, b), np.union1d(a, b))
    close(jnp.intersect1d(a, b), np.intersect1d(a, b))
    for o, rr in zip(jnp.intersect1d(a, b, return_indices=True),
                     np.intersect1d(a, b, return_indices=True)):
        close(o, rr)
    close(jnp.setdiff1d(a, b), np.setdiff1d(a, b)), close(jnp.setxor1d(a, b), np.setxor1d(a, b))
    af, bf = np.array([3.0, 1, 3, 2, 7]), np.array([2.0, 3, 9])
    close(jnp.setdiff1d(af, bf, size=4), [1.0, 7.0, 0.0, 0.0])
    close(jnp.intersect1d(af, bf, size=4), [2.0, 3.0, 2.0, 2.0])
    close(jnp.union1d(af, bf, size=8), [1, 2, 3, 7, 9, 1, 1, 1])
    close(jnp.setxor1d(af, bf, size=6), [1, 7, 9, 1, 1, 1])
    close(jnp.isin(a, b), np.isin(a, b)), close(jnp.isin(a, b, invert=True), np.isin(a, b, invert=True))
    close(jnp.isin(a.reshape(3, 5), b), np.isin(a.reshape(3, 5), b))
    close(jnp.extract(a > 2, a), np.extract(a > 2, a))
    close(jnp.extract(np.array([1, 0, 1]), np.array([4, 5, 6]), size=3), [4, 6, 0])
    # values are gathered: derivatives flow to them
    x = rng.standard_normal(6)
    check_grads(lambda x: jnp.unique(x, size=6) * 2.0, (x,), order=2)
    close(ftrans.vmap(lambda r: jnp.unique(r, size=4))(np.array([[2, 1, 2, 0], [5, 5, 5, 5]])),
          [[0, 1, 2, 0], [5, 5, 5, 5]])


# --- array editing ---------------------------------------------------------------------------------

def test_delete_insert_place_put_fill(rng):
    x = np.arange(12.0).reshape(3, 4)
    close(jnp.delete(x, [0, 2], axis=1), np.delete(x, [0, 2], axis=1))
    close(jnp.delete(x, slice(0, 2)), np.delete(x, slice(0, 2)))
    close(jnp.delete(x, 1, axis=0), np.delete(x, 1, axis=0))
    close(jnp.insert(x, 1, 9.0, axis=1), np.insert(x, 1, 9.0, axis=1))
    close(jnp.insert(x, [1, 3], [7.0, 8.0], axis=1), np.insert(x, [1, 3], [7.0, 8.0], axis=1))
    close(jnp.insert(np.arange(5), 2, np.array([9, 9])), np.insert(np.arange(5), 2, [9, 9]))
    close(jnp.insert(x, 2, np.array([1.0, 2.0, 3.0, 4.0]), axis=0),
          np.insert(x, 2, [1.0, 2.0, 3.0, 4.0], axis=0))
    close(jnp.insert(np.arange(4.0), [0, 4], 1.0), np.insert(np.arange(4.0), [0, 4], 1.0))
    mask = x % 3 == 0
    ref = x.copy()
    np.place(ref, mask, [10.0, 20.0])
    close(jnp.place(x, mask, np.array([10.0, 20.0])), ref)
    idx = np.array([[1], [0], [3]])
    ref = x.copy()
    np.put_along_axis(ref, idx, -1.0, axis=1)
    close(jnp.put_along_axis(x, idx, -1.0, axis=1), ref)
    for shape, wrap in (((3, 3), False), ((5, 2), True), ((5, 2), False), ((2, 2, 2), False)):
        a = np.zeros(shape)
        ref = a.copy()
        np.fill_diagonal(ref, [1.0, 2.0], wrap=wrap)
        close(jnp.fill_diagonal(a, np.array([1.0, 2.0]), wrap=wrap), ref)
    with pytest.raises(ValueError, match="inplace"):
        jnp.fill_diagonal(np.zeros((2, 2)), 1.0, inplace=True)
    check_grads(lambda x, v: jnp.insert(x, [1], v), (np.arange(3.0), np.array([2.0])), order=2)
    check_grads(lambda x: jnp.delete(x, [1]), (np.arange(3.0),), order=2)
    with pytest.raises(ConcretizationError):
        ftrans.jit(lambda x, i: jnp.delete(x, i))(np.arange(3.0), np.array([1]))


def test_resize_block_choose_piecewise_apply(rng):
    a = np.arange(5.0)
    for shape in ((2, 3), 7, (2,), (0,)):
        close(jnp.resize(a, shape), np.resize(a, shape))
    A, B = np.eye(2), np.zeros((2, 1))
    blocks = [[A, B], [np.ones((1, 2)), np.ones((1, 1))]]
    close(jnp.block(blocks), np.block(blocks))
    close(jnp.block([1.0, np.array([2.0, 3.0])]), np.block([1.0, np.array([2.0, 3.0])]))
    with pytest.raises(ValueError, match="depths"):
        jnp.block([[A], A])
    ch = [np.arange(3), np.arange(3) * 10, np.arange(3) * 100]
    for mode in ("clip", "wrap"):
        close(jnp.choose(np.array([0, 4, -1]), ch, mode=mode), np.choose(np.array([0, 4, -1]), ch, mode=mode))
    close(jnp.choose(np.array([2, 1, 0]), ch), np.choose(np.array([2, 1, 0]), ch))
    with pytest.raises(ValueError, match="out of range"):
        jnp.choose(np.array([3, 0, 0]), ch)
    x = np.linspace(-2, 2, 9)
    conds = [x < -1, x > 1]
    funcs = [lambda x: x ** 2, lambda x: -x, lambda x: 0.5 * x]
    close(jnp.piecewise(x, conds, funcs), np.piecewise(x, conds, funcs))
    close(jnp.piecewise(x, [x < 0], [-1.0, 1.0]), np.piecewise(x, [x < 0], [-1.0, 1.0]))
    check_grads(lambda x: jnp.piecewise(x, [x < 0], [jnp.sin, jnp.cos]), (np.array([-0.5, 0.7]),), order=2)
    y = rng.standard_normal((3, 4, 5))
    for axis in (0, 1, 2):
        close(jnp.apply_along_axis(jnp.sort, axis, y), np.apply_along_axis(np.sort, axis, y))
        close(jnp.apply_along_axis(lambda v: jnp.sum(v ** 2), axis, y),
              np.apply_along_axis(lambda v: np.sum(v ** 2), axis, y))
    close(jnp.apply_along_axis(lambda v: jnp.outer(v, v), 1, y[:, :, 0]),
          np.apply_along_axis(lambda v: np.outer(v, v), 1, y[:, :, 0]))
    close(jnp.apply_over_axes(jnp.sum, y, [0, 2]), np.apply_over_axes(np.sum, y, [0, 2]))
    check_grads(lambda y: jnp.apply_along_axis(lambda v: jnp.sum(jnp.sin(v)), 1, y), (y,), order=2)
    assert jnp.rollaxis(y, 2, 1).shape == np.rollaxis(y, 2, 1).shape
    close(jnp.trim_zeros(np.array([0.0, 0, 1, 2, 0])), np.trim_zeros(np.array([0.0, 0, 1, 2, 0])))
    close(jnp.trim_zeros(np.array([0.0, 1, 0]), "f"), np.trim_zeros(np.array([0.0, 1, 0]), "f"))


def test_small_numpy_names(rng):
    assert bool(jnp.array_equiv(np.array([1, 2]), np.array([[1, 2], [1, 2]])))
    assert not bool(jnp.array_equiv(np.array([1, 2]), np.array([1, 2, 3])))
    m, v = rng.standard_normal((4, 2, 3)), rng.standard_normal(3)
    close(jnp.matvec(m, v), m @ v)
    close(jnp.vecmat(rng.standard_normal(2) * 0 + 1, m), np.ones(2) @ m)
    for got, ref in ((jnp.diag_indices_from(np.ones((3, 3))), np.diag_indices_from(np.ones((3, 3)))),
                     (jnp.tril_indices_from(np.ones((3, 4)), 1), np.tril_indices_from(np.ones((3, 4)), 1)),
                     (jnp.triu_indices_from(np.ones((3, 4)), -1), np.triu_indices_from(np.ones((3, 4)), -1)),
                     (jnp.mask_indices(3, jnp.triu, 1), np.mask_indices(3, np.triu, 1))):
        for g, r in zip(got, ref):
            close(g, r)
    close(jnp.fromfunction(lambda i, j: i * 10 + j, (2, 3)), np.fromfunction(lambda i, j: i * 10 + j, (2, 3)))
    assert jnp.can_cast(np.int8, np.int16) and not jnp.can_cast(np.float64, np.float32)
    assert jnp.isdtype(np.complex64, "complex floating") and not jnp.isdtype(np.int8, "bool")
    with pytest.raises(ValueError, match="kind"):
        jnp.isdtype(np.int8, "nonsense")
    assert jnp.isscalar(3) and not jnp.isscalar([3]) and jnp.iterable(np.ones(2))
    assert jnp.double is np.float64 and jnp.csingle is np.complex64 and jnp.int_ is np.int64
    assert jnp.array_str(np.array([1.5])) == np.array_str(np.array([1.5]))
    assert jnp.einsum_path("ij,jk,kl", np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5)))[0] == \
        np.einsum_path("ij,jk,kl", np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5)), optimize="greedy")[0]
    u = jnp.frompyfunc(lambda a, b: a * b + 0.0 * a, 2, 1, identity=1.0)
    close(u.reduce(np.arange(1.0, 5.0)), 24.0)
    close(u.accumulate(np.arange(1.0, 5.0)), np.cumprod(np.arange(1.0, 5.0)))
    close(u.outer(np.arange(2.0), np.arange(3.0)), np.outer(np.arange(2.0), np.arange(3.0)))
    close(u.at(np.ones(3), np.array([0, 2]), 5.0), [5.0, 1.0, 5.0])
    mx = jnp.ufunc(jnp.maximum, 2, 1)
    close(mx.reduce(np.array([[1.0, 5.0], [3.0, 2.0]]), axis=1), [5.0, 3.0])


def test_block_until_ready_and_config():
    tree = {"a": np.ones(2), "b": [np.zeros(1)]}
    assert ftrans.block_until_ready(tree) is tree
    assert ftrans.ShapeDtypeStruct((2,), np.float32).shape == (2,)
    ftrans.config.update("jax_log_compiles", False)
    with pytest.raises(AttributeError, match="no option"):
        ftrans.config.update("jax_no_such_option", True)
