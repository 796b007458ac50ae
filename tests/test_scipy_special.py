"""ftrans.scipy.special against scipy.special (values on grids with edge
cases, float64 and float32), JAX's conventions at the edges (nan / inf),
first and second derivatives (finite differences via check_grads, and closed
forms), the errors for the arguments JAX does not differentiate, vmap, jit
and the docstring examples."""

import doctest
import math

import numpy as np
import pytest
import scipy.special as sp

import ftrans
import ftrans.scipy.special as S
from ftrans.test_util import check_grads

inf, nan = np.inf, np.nan
RNG = np.random.default_rng(0)


def assert_close(got, want, rtol=1e-13, atol=0.0):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


# --- values against scipy, on grids ---------------------------------------------------

def _grid(lo, hi, n=400):
    return np.concatenate([np.linspace(lo, hi, n), RNG.uniform(lo, hi, n)])


POSITIVE = np.concatenate([_grid(1e-3, 30), np.logspace(-300, 300, 200)])
REAL = np.concatenate([_grid(-30, 30), np.array([-0.0, 0.0, 1e-300, -1e-300])])
NON_INTEGER_NEGATIVE = _grid(-20, -1e-3)
NON_INTEGER_NEGATIVE = NON_INTEGER_NEGATIVE[np.abs(np.round(NON_INTEGER_NEGATIVE)
                                                   - NON_INTEGER_NEGATIVE) > 1e-3]

UNARY = [  # (ours, scipy's, grid, rtol, atol)
    (S.gammaln, sp.gammaln, POSITIVE, 1e-13, 1e-15),
    (S.gammaln, sp.gammaln, NON_INTEGER_NEGATIVE, 1e-11, 1e-13),
    (S.digamma, sp.psi, POSITIVE, 1e-13, 1e-15),
    (S.digamma, sp.psi, NON_INTEGER_NEGATIVE, 1e-10, 1e-13),
    (S.gamma, sp.gamma, _grid(-20, 30), 1e-12, 0.0),
    (S.erf, sp.erf, REAL, 1e-14, 0.0),
    (S.erfc, sp.erfc, REAL, 1e-13, 1e-300),  # denormal tails: scipy flushes to 0
    (S.erfinv, sp.erfinv, np.concatenate([_grid(-1, 1), 1 - np.logspace(-16, -1, 50)]),
     1e-13, 0.0),
    (S.ndtr, sp.ndtr, np.concatenate([REAL, -np.linspace(30, 38, 20)]), 1e-13, 1e-300),
    (S.ndtri, sp.ndtri, np.concatenate([_grid(0, 1), np.logspace(-300, -1, 100),
                                         1 - np.logspace(-16, -1, 50)]), 1e-13, 0.0),
    (S.log_ndtr, sp.log_ndtr, np.concatenate([_grid(-60, 40), -np.logspace(1, 10, 40)]),
     1e-13, 1e-300),  # denormal -ndtr(-x) for large x, where scipy has -0
    (S.expit, sp.expit, _grid(-5, 30), 1e-13, 0.0),  # the left tail: see below
    (S.logit, sp.logit, _grid(0, 1), 1e-13, 1e-15),
    (S.i0e, sp.i0e, np.concatenate([REAL, _grid(-1e3, 1e3)]), 1e-13, 0.0),
    (S.i1e, sp.i1e, np.concatenate([REAL, _grid(-1e3, 1e3)]), 1e-13, 0.0),
    (S.entr, sp.entr, np.concatenate([_grid(-1, 10), [0.0]]), 1e-14, 0.0),
]


@pytest.mark.parametrize("i", range(len(UNARY)), ids=lambda i: UNARY[i][0].__name__)
def test_unary_against_scipy(i):
    ours, theirs, x, rtol, atol = UNARY[i]
    assert_close(ours(x), theirs(x), rtol, atol)


def test_expit_left_tail():
    # (lax.logistic was once 0.5 tanh(x/2) + 0.5: 1.6e-4 relative error at x = -30)
    x = np.linspace(-40, -5, 50)
    assert_close(S.expit(x), sp.expit(x), 1e-13)


def _shape_params(n=600):
    return np.exp(RNG.uniform(-4, 5, n))


def test_gammainc_and_gammaincc_against_scipy():
    a = np.concatenate([_shape_params(), [0.5, 1.0, 30.0, 1e3]])
    x = a * np.exp(RNG.uniform(-3, 3, a.size))
    assert_close(S.gammainc(a, x), sp.gammainc(a, x), 1e-12, 1e-300)
    assert_close(S.gammaincc(a, x), sp.gammaincc(a, x), 1e-12, 1e-300)
    # the upper tail keeps its relative accuracy where P rounds to 1
    assert_close(S.gammaincc(2.0, np.array([40.0, 200.0])),
                 sp.gammaincc(2.0, np.array([40.0, 200.0])), 1e-13)


def test_betainc_against_scipy():
    a, b = _shape_params(), _shape_params()
    x = RNG.uniform(0, 1, a.size)
    assert_close(S.betainc(a, b, x), sp.betainc(a, b, x), 1e-11, 1e-300)
    a, b = RNG.uniform(0.3, 20, 300), RNG.uniform(0.3, 20, 300)
    x = RNG.uniform(0, 1, 300)
    assert_close(S.betainc(a, b, x), sp.betainc(a, b, x), 1e-13, 1e-300)


def test_zeta_and_polygamma_against_scipy():
    x, q = RNG.uniform(1.01, 40, 600), np.exp(RNG.uniform(-4, 5, 600))
    assert_close(S.zeta(x, q), sp.zeta(x, q), 1e-13)
    n = RNG.integers(0, 8, 600)
    y = np.exp(RNG.uniform(-3, 4, 600))
    assert_close(S.polygamma(n, y), sp.polygamma(n, y), 1e-13)
    # negative q and integer x: the direct sum passes the poles
    assert_close(S.zeta(np.array([2.0, 3.0]), np.array([-1.5, -2.5])),
                 np.array([9.379246644989122, 0.05410203]), 1e-7)


def test_betaln_multigammaln_xlogy_xlog1py_against_scipy():
    a, b = _shape_params(300) / 10, _shape_params(300) / 10
    assert_close(S.betaln(a, b), sp.betaln(a, b), 1e-12, 1e-13)
    assert_close(S.multigammaln(np.array([3.0, 4.5, 10.0]), 3),
                 [sp.multigammaln(v, 3) for v in (3.0, 4.5, 10.0)], 1e-13)
    x, y = RNG.uniform(-2, 2, 300), RNG.uniform(0, 3, 300)
    assert_close(S.xlogy(x, y), sp.xlogy(x, y), 1e-14)
    assert_close(S.xlog1py(x, y - 0.9), sp.xlog1py(x, y - 0.9), 1e-14)


def test_near_the_zeros_of_lgamma_and_digamma():
    # scipy's gammaln itself loses relative accuracy just below 2; mpmath is exact
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    for x in (1 - 1e-7, 1 + 3e-9, 2 - 2e-4, 2 + 1e-10, 0.9, 2.4):
        assert abs(float(S.gammaln(x)) / float(mp.loggamma(x)) - 1) < 1e-14
    root = 1.4616321449683623
    for x in (root, root + 1e-9, root - 1e-6, root + 0.2):
        want = float(mp.digamma(x))
        assert abs(float(S.digamma(x)) - want) <= 1e-14 * abs(want) + 1e-30


@pytest.mark.parametrize("fn, ref, args", [
    (S.gammaln, sp.gammaln, (POSITIVE[:50],)),
    (S.digamma, sp.psi, (POSITIVE[:50],)),
    (S.erfinv, sp.erfinv, (_grid(-0.99, 0.99, 25),)),
    (S.ndtri, sp.ndtri, (_grid(0.01, 0.99, 25),)),
    (S.i0e, sp.i0e, (REAL[:50],)),
    (S.i1e, sp.i1e, (REAL[:50],)),
    (S.gammainc, sp.gammainc, (_shape_params(50), _shape_params(50))),
    (S.betainc, sp.betainc, (_shape_params(50), _shape_params(50), RNG.uniform(0, 1, 50))),
    (S.zeta, sp.zeta, (RNG.uniform(1.5, 10, 50), RNG.uniform(0.5, 5, 50))),
])
def test_float32_in_float32_out(fn, ref, args):
    args32 = tuple(a.astype(np.float32) for a in args)
    out = fn(*args32)
    assert out.dtype == np.float32
    assert_close(out, ref(*[a.astype(np.float64) for a in args32]).astype(np.float32),
                 rtol=2e-6, atol=1e-30)


# --- JAX's conventions at the edges ---------------------------------------------------
# (values from jax.scipy.special with x64 enabled)

EDGES = [
    (S.digamma, ([0., -1., -0.5, inf, -inf, nan, 1e-300],),
     [nan, nan, 0.03648997397857652, inf, nan, nan, -1e300]),
    (S.gammaln, ([0., -1., -0.5, inf, -inf, nan, -2.5],),
     [inf, inf, 1.2655121234846454, inf, inf, nan, -0.05624371649767405]),
    (S.gamma, ([0., -1., -0.5, inf, -inf, nan, 200.],),
     [inf, nan, -3.5449077018110318, inf, nan, nan, inf]),
    (S.gammainc, ([0., -1., 1., 1., 1., inf, 1.], [1., 1., 0., -1., inf, 1., nan]),
     [1., nan, 0., nan, 1., nan, nan]),
    (S.gammaincc, ([0., -1., 1., 1., 1., inf, 1.], [1., 1., 0., -1., inf, 1., nan]),
     [0., nan, 1., nan, 0., nan, nan]),
    (S.betainc, ([0., -1., 1., 1., 1., 1., 0., 2., 1., inf],
                 [1., 1., 1., 1., 1., 1., 0., 0., inf, 1.],
                 [.5, .5, 0., 1., -0.1, 1.1, .5, .5, .5, .5]),
     [1., nan, 0., 1., nan, nan, nan, 0., 1., 0.]),
    (S.zeta, ([1., 0.5, 2., 2., 2., inf, 2., nan], [1., 1., 0., -1., inf, 2., nan, 1.]),
     [inf, nan, inf, inf, nan, nan, nan, nan]),
    (S.erfinv, ([-1., 1., 0., 1.1, nan],), [-inf, inf, 0., nan, nan]),
    (S.ndtri, ([0., 1., 0.5, 1.1, -0.1, nan],), [-inf, inf, 0., nan, nan, nan]),
    (S.log_ndtr, ([-inf, inf, nan, -1e10],), [-inf, 0., nan, -5e19]),
    (S.i0e, ([0., inf, -inf, nan],), [1., 0., 0., nan]),
    (S.i1e, ([0., inf, -inf, nan],), [0., 0., -0., nan]),
    (S.logit, ([0., 1., 2., -1., nan],), [-inf, inf, nan, nan, nan]),
    (S.entr, ([0., -1., inf, nan],), [0., -inf, -inf, nan]),
    (S.xlogy, ([0., 0., 0., 1.], [0., nan, -1., 0.]), [0., nan, 0., -inf]),
    (S.xlog1py, ([0., 0., 0., 1.], [-1., nan, -2., -1.]), [0., nan, 0., -inf]),
    (S.betaln, ([0.], [1.]), [inf]),
]


@pytest.mark.parametrize("i", range(len(EDGES)), ids=lambda i: EDGES[i][0].__name__)
def test_edge_values_as_jax(i):
    fn, args, want = EDGES[i]
    assert_close(fn(*[np.array(a) for a in args]), np.array(want), 1e-13)


def test_polygamma_edges_as_jax():
    got = S.polygamma(np.array([0, 1, 2, -1, 3]), np.array([1., 0., -1.5, 2., inf]))
    assert_close(got, [-0.5772156649015329, inf, -0.23620405164172825, nan, nan], 1e-13)


# --- derivatives ----------------------------------------------------------------------

GRADS = [  # (name, f, points)
    ("gammaln", S.gammaln, [0.3, 2.5, -1.5, 30.0]),
    ("gamma", S.gamma, [0.3, 2.5, -1.5]),
    ("digamma", S.digamma, [0.3, 2.5, -1.5]),
    ("polygamma2", lambda x: S.polygamma(2, x), [0.3, 2.5]),
    ("erf", S.erf, [0.3, -2.0]),
    ("erfc", S.erfc, [0.3, 2.0]),
    ("erfinv", S.erfinv, [0.3, -0.9, 0.99]),
    ("ndtr", S.ndtr, [0.3, -4.0]),
    ("ndtri", S.ndtri, [0.3, 0.01, 0.99]),
    ("log_ndtr", S.log_ndtr, [0.3, -10.0, 3.0, -25.0]),
    ("expit", S.expit, [0.3, -3.0]),
    ("logit", S.logit, [0.3, 0.8]),
    ("gammainc_x", lambda x: S.gammainc(1.7, x), [0.3, 2.5, 10.0]),
    ("gammaincc_x", lambda x: S.gammaincc(1.7, x), [0.3, 2.5, 10.0]),
    ("betainc_x", lambda x: S.betainc(1.7, 2.3, x), [0.3, 0.9]),
    ("zeta_q", lambda q: S.zeta(3.0, q), [0.3, 2.5]),
    ("i0e", S.i0e, [0.3, -2.5, 40.0]),
    ("i1e", S.i1e, [0.3, -2.5, 40.0]),
    ("xlogy", lambda x: S.xlogy(x, 2.0 + x), [0.5, 1.5]),
    ("xlog1py", lambda y: S.xlog1py(1.5, y), [0.5, 1.5]),
    ("entr", S.entr, [0.5, 1.5]),
    ("betaln", lambda a: S.betaln(a, 2.0 * a), [0.3, 4.0]),
    ("multigammaln", lambda a: S.multigammaln(a, 3), [3.3]),
    ("logsumexp", lambda a: S.logsumexp(np.array([1.0, 2.0]) * a), [0.3]),
    ("logsumexp_b", lambda a: S.logsumexp(np.array([1.0, 2.0]) * a,
                                          b=np.array([1.0, 0.5])), [0.3]),
    ("logsumexp_where", lambda a: S.logsumexp(np.array([1.0, 2.0, 3.0]) * a,
                                              where=np.array([True, False, True])), [0.3]),
    ("softmax", lambda a: S.softmax(np.array([1.0, 2.0]) * a), [0.3]),
    ("log_softmax", lambda a: S.log_softmax(np.array([1.0, 2.0]) * a), [0.3]),
]


@pytest.mark.parametrize("name, f, points", GRADS, ids=[g[0] for g in GRADS])
def test_second_derivatives_against_finite_differences(name, f, points):
    for x in points:
        check_grads(f, (np.array(x),), order=2, modes=("fwd", "rev"), rtol=1e-5, atol=1e-6)


def test_gammainc_in_a_is_differentiable_once_and_jointly_in_x():
    check_grads(lambda a: S.gammainc(a, 2.0), (np.array(1.5),), order=1)
    check_grads(lambda a: S.gammaincc(a, 7.0), (np.array(3.5),), order=1)
    # the mixed second derivative goes through d/dx of igamma_grad_a
    g = ftrans.grad(lambda a, x: S.gammainc(a, x), argnums=0)
    check_grads(lambda x: g(1.5, x), (np.array(2.0),), order=1)
    check_grads(lambda x: ftrans.lax.igamma_grad_a(np.array(1.5), x), (np.array(2.0),),
                order=2)


def test_derivatives_against_closed_forms():
    x = np.array([0.3, 1.7, 6.0])
    assert_close(ftrans.vmap(ftrans.grad(S.gammaln))(x), sp.psi(x), 1e-13)
    assert_close(ftrans.vmap(ftrans.grad(S.digamma))(x), sp.polygamma(1, x), 1e-13)
    assert_close(ftrans.vmap(ftrans.grad(ftrans.grad(S.digamma)))(x),
                 sp.polygamma(2, x), 1e-13)
    assert_close(ftrans.vmap(ftrans.grad(lambda q: S.zeta(3.0, q)))(x),
                 -3 * sp.zeta(4.0, x), 1e-13)
    u = np.array([-0.7, 0.1, 0.95])
    assert_close(ftrans.vmap(ftrans.grad(S.erfinv))(u),
                 math.sqrt(math.pi) / 2 * np.exp(sp.erfinv(u) ** 2), 1e-13)
    p = np.array([1e-10, 0.3, 0.99])
    assert_close(ftrans.vmap(ftrans.grad(S.ndtri))(p),
                 np.sqrt(2 * np.pi) * np.exp(sp.ndtri(p) ** 2 / 2), 1e-12)
    a = np.array([0.5, 1.7, 12.0])
    assert_close(ftrans.vmap(ftrans.grad(S.gammainc, argnums=1))(a, x),
                 x ** (a - 1) * np.exp(-x) / sp.gamma(a), 1e-12)
    b, xb = np.array([0.5, 2.0, 7.0]), np.array([0.2, 0.5, 0.9])
    assert_close(ftrans.vmap(ftrans.grad(S.betainc, argnums=2))(a, b, xb),
                 xb ** (a - 1) * (1 - xb) ** (b - 1) / sp.beta(a, b), 1e-12)
    z = np.array([-3.0, 0.2, 25.0])
    assert_close(ftrans.vmap(ftrans.grad(S.i0e))(z), sp.i1e(z) - np.sign(z) * sp.i0e(z),
                 1e-12)
    assert_close(ftrans.vmap(ftrans.grad(S.i1e))(z),
                 sp.i0e(z) - sp.i1e(z) * (np.sign(z) + 1 / z), 1e-12)
    assert float(ftrans.grad(S.i1e)(0.0)) == 0.5
    assert float(ftrans.grad(S.i0e)(0.0)) == 0.0


def test_igamma_grad_a_against_high_precision():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    for a, x in [(0.3, 0.1), (1.5, 2.0), (4.0, 9.0), (17.2, 64.6), (50.0, 45.0)]:
        want = float(mp.diff(lambda s: mp.gammainc(s, 0, x, regularized=True), a))
        got = float(ftrans.grad(S.gammainc, argnums=0)(a, x))
        assert abs(got - want) <= 1e-11 * abs(want), (a, x, got, want)


def test_derivatives_at_x_zero_are_jaxs():
    gx, gy = ftrans.grad(S.xlogy, argnums=(0, 1))(0.0, 0.0)
    assert float(gx) == -inf and np.isnan(gy)
    gx, gy = ftrans.grad(S.xlogy, argnums=(0, 1))(0.0, 1.0)
    assert (float(gx), float(gy)) == (0.0, 0.0)
    gx, gy = ftrans.grad(S.xlog1py, argnums=(0, 1))(0.0, 1.0)
    assert (float(gx), float(gy)) == (math.log(2), 0.0)
    assert float(ftrans.grad(S.entr)(0.0)) == inf


# --- arguments JAX does not differentiate, and bad input ------------------------------

def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="betainc.*a and b"):
        ftrans.grad(lambda a: S.betainc(a, 2.0, 0.3))(1.5)
    with pytest.raises(ValueError, match="betainc.*a and b"):
        ftrans.grad(lambda b: S.betainc(1.5, b, 0.3))(1.5)
    with pytest.raises(ValueError, match="zeta.*respect to x"):
        ftrans.grad(lambda x: S.zeta(x, 2.0))(3.0)
    with pytest.raises(ValueError, match="igamma_grad_a.*respect to a"):
        ftrans.grad(ftrans.grad(lambda a: S.gammainc(a, 2.0)))(1.5)
    with pytest.raises(ValueError, match="polygamma.*integer type"):
        S.polygamma(1.0, 2.0)
    with pytest.raises(ValueError, match="polygamma.*respect to n"):
        ftrans.grad(lambda n: ftrans.lax.polygamma(n, np.array(2.0)))(1.0)
    with pytest.raises(NotImplementedError, match="Riemann"):
        S.zeta(2.0)
    with pytest.raises(ValueError, match="multigammaln: d"):
        S.multigammaln(3.0, 1.5)
    with pytest.raises(TypeError, match="gammaln: complex"):
        S.gammaln(np.array([1 + 1j]))
    with pytest.raises(TypeError, match="betainc: operands must have the same dtype"):
        ftrans.lax.betainc(np.ones(2), np.ones(2, np.float32), np.ones(2))
    with pytest.raises(TypeError, match="igamma: operands have incompatible shapes"):
        ftrans.lax.igamma(np.ones(2), np.ones(3))


# --- logsumexp, softmax ---------------------------------------------------------------

def test_logsumexp_options_against_scipy():
    a = RNG.standard_normal((3, 4))
    b = RNG.uniform(-1, 1, (3, 4))
    for axis in (None, 0, 1, (0, 1)):
        for keepdims in (False, True):
            assert_close(S.logsumexp(a, axis=axis, keepdims=keepdims),
                         sp.logsumexp(a, axis=axis, keepdims=keepdims), 1e-13)
            got = S.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)
            want = sp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)
            assert_close(got[0], want[0], 1e-12)
            assert_close(got[1], want[1])
    where = RNG.uniform(size=(3, 4)) > 0.3
    want = np.log(np.sum(np.where(where, np.exp(a), 0.0), axis=1))
    assert_close(S.logsumexp(a, axis=1, where=where), want, 1e-13)
    want = np.log(np.sum(np.where(where, np.abs(b) * np.exp(a), 0.0), axis=0))
    assert_close(S.logsumexp(a, axis=0, b=np.abs(b), where=where), want, 1e-13)


def test_softmax_defaults_to_all_axes_as_scipy():
    x = RNG.standard_normal((3, 4))
    assert_close(S.softmax(x), sp.softmax(x), 1e-14)
    assert_close(S.softmax(x, axis=1), sp.softmax(x, axis=1), 1e-14)
    assert_close(S.log_softmax(x), sp.log_softmax(x), 1e-14)
    assert_close(S.log_softmax(x, axis=0), sp.log_softmax(x, axis=0), 1e-14)


# --- vmap and jit ---------------------------------------------------------------------

BATCHED = [  # (name, f, args): every function, batched over axis 0 of each argument
    ("gammaln", S.gammaln, (np.array([0.5, 3.0]),)),
    ("gamma", S.gamma, (np.array([0.5, -1.5]),)),
    ("digamma", S.digamma, (np.array([0.5, 3.0]),)),
    ("polygamma", lambda x: S.polygamma(2, x), (np.array([0.5, 3.0]),)),
    ("erf", S.erf, (np.array([0.5, -3.0]),)),
    ("erfc", S.erfc, (np.array([0.5, 3.0]),)),
    ("erfinv", S.erfinv, (np.array([0.5, -0.9]),)),
    ("ndtr", S.ndtr, (np.array([0.5, -3.0]),)),
    ("ndtri", S.ndtri, (np.array([0.5, 0.01]),)),
    ("log_ndtr", S.log_ndtr, (np.array([0.5, -30.0]),)),
    ("expit", S.expit, (np.array([0.5, -3.0]),)),
    ("logit", S.logit, (np.array([0.5, 0.1]),)),
    ("i0e", S.i0e, (np.array([0.5, -40.0]),)),
    ("i1e", S.i1e, (np.array([0.5, -40.0]),)),
    ("entr", S.entr, (np.array([0.5, 0.0]),)),
    ("xlogy", S.xlogy, (np.array([0.0, 2.0]), np.array([0.5, 3.0]))),
    ("xlog1py", S.xlog1py, (np.array([0.0, 2.0]), np.array([0.5, 3.0]))),
    ("betaln", S.betaln, (np.array([0.5, 2.0]), np.array([1.5, 3.0]))),
    ("multigammaln", lambda a: S.multigammaln(a, 2), (np.array([1.5, 3.0]),)),
    ("zeta", S.zeta, (np.array([2.0, 3.0]), np.array([0.5, 3.0]))),
    ("gammainc", S.gammainc, (np.array([0.5, 2.0]), np.array([0.5, 3.0]))),
    ("gammaincc", S.gammaincc, (np.array([0.5, 2.0]), np.array([0.5, 3.0]))),
    ("betainc", S.betainc, (np.array([0.5, 2.0]), np.array([1.5, 3.0]),
                            np.array([0.2, 0.7]))),
    ("logsumexp", lambda a: S.logsumexp(a), (np.array([[0.5, 2.0], [1.0, -1.0]]),)),
    ("softmax", lambda a: S.softmax(a), (np.array([[0.5, 2.0], [1.0, -1.0]]),)),
    ("log_softmax", lambda a: S.log_softmax(a), (np.array([[0.5, 2.0], [1.0, -1.0]]),)),
]


@pytest.mark.parametrize("name, f, args", BATCHED, ids=[b[0] for b in BATCHED])
def test_vmap_and_jit(name, f, args):
    loop = np.stack([np.asarray(f(*[a[i] for a in args])) for i in range(2)])
    assert_close(ftrans.vmap(f)(*args), loop, 1e-15)
    assert_close(ftrans.jit(f)(*args), f(*args), 1e-15)
    assert_close(ftrans.jit(ftrans.vmap(f))(*args), loop, 1e-15)


def test_vmap_of_derivatives():
    x = np.array([0.3, 1.7, 6.0])
    g = ftrans.vmap(ftrans.grad(lambda a, x: S.gammainc(a, x), argnums=(0, 1)))
    da, dx = g(np.array([0.5, 2.0, 3.0]), x)
    for i, a in enumerate([0.5, 2.0, 3.0]):
        da_i, dx_i = ftrans.grad(lambda a, x: S.gammainc(a, x), argnums=(0, 1))(a, x[i])
        assert_close(da[i], da_i, 1e-15)
        assert_close(dx[i], dx_i, 1e-15)
    h = ftrans.jit(ftrans.vmap(ftrans.grad(ftrans.grad(S.gammaln))))
    assert_close(h(x), sp.polygamma(1, x), 1e-13)


# --- docstring examples ---------------------------------------------------------------

def test_every_function_has_a_runnable_example():
    for name in S.__all__:
        assert ">>>" in (getattr(S, name).__doc__ or ""), name
    failures, _ = doctest.testmod(S, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
