"""Derivatives at ties and on degenerate axes (issue 8 §3).

A rule that special-cases a tie (max/min of the operands, |x - y|, a constant
at 0) can be right to first order and wrong at the second. Here the points
are the ties themselves, where the function is nonetheless smooth: x == y,
|x| == |y|, x == -y, an operand 0, equal elements of a reduction, axes of
size 1, and zero-size arrays. Each point is checked at order 2 in both modes
against float64 central differences (``check_grads``), and the second
derivatives the issue names against their exact values (which JAX 0.10 gives,
except where noted). Kinks are not here: their conventions are in
``tests/test_kinks.py``.
"""

import math

import numpy as np
import pytest

import ftrans
import ftrans.nn as nn
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.test_util import check_grads


def d2(f, *args, argnums=0):
    """The second derivative of a scalar function in argument ``argnums``,
    by reverse over reverse and by forward over reverse."""
    g = ftrans.grad(f, argnums=argnums)
    rr = float(ftrans.grad(g, argnums=argnums)(*args))
    fr = float(ftrans.jacfwd(g, argnums=argnums)(*args))
    assert rr == pytest.approx(fr, rel=1e-12, abs=1e-12)
    return rr


# --- the reproducers of the issue ------------------------------------------------

@pytest.mark.parametrize("x, y", [(1.0, 1.0), (1.0, -1.0), (-2.0, 2.0), (0.3, 0.3)])
def test_hypot_second_derivative_at_equal_magnitudes(x, y):
    # was 0 (max/min of |x|, |y| have kinks there that cancel only to first order);
    # JAX 0.10 also gives 0. True: d²/dx² = y² / hypot³, d²/dxdy = -xy / hypot³
    h = math.hypot(x, y)
    assert d2(jnp.hypot, x, y) == pytest.approx(y * y / h ** 3, rel=1e-12)
    assert d2(jnp.hypot, x, y, argnums=1) == pytest.approx(x * x / h ** 3, rel=1e-12)
    mixed = ftrans.hessian(jnp.hypot, argnums=(0, 1))(x, y)[0][1]
    assert float(mixed) == pytest.approx(-x * y / h ** 3, rel=1e-12)


def test_hypot_second_derivative_at_a_zero_operand():
    # was 0 (|y|² through sign(0) = 0); true and JAX: 1 / |x|
    assert d2(jnp.hypot, 2.0, 0.0, argnums=1) == pytest.approx(0.5, rel=1e-12)
    assert d2(jnp.hypot, 0.0, -4.0) == pytest.approx(0.25, rel=1e-12)


def test_hypot_values_with_infinities_as_numpy():
    x = np.array([np.inf, np.inf, -np.inf, 3.0, 0.0])
    y = np.array([np.inf, np.nan, 2.0, 4.0, 0.0])
    np.testing.assert_array_equal(jnp.hypot(x, y), np.hypot(x, y))
    # the cone's tip: a subgradient (in the unit disc), no nan
    g = np.array(ftrans.grad(jnp.hypot, argnums=(0, 1))(0.0, 0.0))
    assert np.all(np.isfinite(g)) and np.sum(g ** 2) <= 1.0


@pytest.mark.parametrize("x", [1.0, -3.0, 0.0, 40.0])
def test_logaddexp_second_derivative_at_equal_operands(x):
    # was 0; true and JAX: 1/4 (logaddexp2: ln 2 / 4)
    assert d2(jnp.logaddexp, x, x) == pytest.approx(0.25, rel=1e-12)
    assert d2(jnp.logaddexp, x, x, argnums=1) == pytest.approx(0.25, rel=1e-12)
    assert d2(jnp.logaddexp2, x, x) == pytest.approx(0.25 * math.log(2), rel=1e-12)
    mixed = ftrans.hessian(jnp.logaddexp, argnums=(0, 1))(x, x)[0][1]
    assert float(mixed) == pytest.approx(-0.25, rel=1e-12)


def test_softplus_and_log_sigmoid_second_derivative_at_zero():
    # softplus is logaddexp(x, 0): it inherited the tie at x == 0 (was 0)
    assert d2(nn.softplus, 0.0) == pytest.approx(0.25, rel=1e-12)
    assert d2(nn.log_sigmoid, 0.0) == pytest.approx(-0.25, rel=1e-12)


def test_logaddexp_values_and_gradients_at_infinities():
    x = np.array([np.inf, -np.inf, np.inf, np.nan, 1000.0, -1000.0])
    y = np.array([np.inf, -np.inf, -np.inf, 1.0, -1000.0, -1000.0])
    np.testing.assert_allclose(jnp.logaddexp(x, y), np.logaddexp(x, y), rtol=1e-15)
    gx, gy = ftrans.grad(lambda x, y: jnp.sum(jnp.logaddexp(x, y)), argnums=(0, 1))(x[1:], y[1:])
    # both -inf: the tie's 1/2 each (JAX: nan); a finite operand beside +inf: 1 and 0
    np.testing.assert_array_equal(gx[[0, 1, 3, 4]], [0.5, 1.0, 1.0, 0.5])
    np.testing.assert_array_equal(gy[[0, 1, 3, 4]], [0.5, 0.0, 0.0, 0.5])


STD_LIKE = {
    "std": lambda x: jnp.std(x),
    "std_axis1": lambda x: jnp.sum(jnp.std(x, axis=1)),
    "std_keepdims": lambda x: jnp.sum(jnp.std(x, axis=-1, keepdims=True) * 3.0),
    "std_no_axes": lambda x: jnp.sum(jnp.std(x, axis=())),
    "nanstd_axis1": lambda x: jnp.sum(jnp.nanstd(x, axis=1)),
    "var_axis1": lambda x: jnp.sum(jnp.var(x, axis=1)),
    "std_where": lambda x: jnp.sum(jnp.std(x, axis=1, where=np.ones(x.shape, bool))),
}


@pytest.mark.parametrize("name", STD_LIKE)
def test_std_over_one_element_has_zero_derivatives(name):
    # constant (0) over one element: was nan (0 * sqrt'(0)); JAX gives nan too
    f = STD_LIKE[name]
    x = np.array([[1.5], [-2.0]]) if name != "std" else np.array([1.5])
    assert f(x) == 0.0
    np.testing.assert_array_equal(ftrans.grad(f)(x), np.zeros_like(x))
    np.testing.assert_array_equal(ftrans.hessian(f)(x), np.zeros(x.shape * 2))
    _, t = ftrans.jvp(f, (x,), (np.ones_like(x),))
    assert t == 0.0


def test_std_over_one_selected_element_has_zero_derivatives():
    x = np.array([[1.0, 2.0, 3.0], [1.0, 5.0, 7.0]])
    m = np.array([[True, False, False], [True, True, False]])
    f = lambda x: jnp.sum(jnp.std(x, axis=1, where=m))  # noqa: E731
    np.testing.assert_allclose(f(x), np.std(x, axis=1, where=m).sum())
    np.testing.assert_array_equal(ftrans.grad(f)(x), [[0, 0, 0], [-0.5, 0.5, 0]])
    # the NaN entries nanstd ignores get derivative 0 (was nan), one element left: 0
    g = ftrans.grad(lambda x: jnp.sum(jnp.nanstd(x, axis=1)))(np.array([[1.0, np.nan],
                                                                         [1.0, 3.0]]))
    np.testing.assert_array_equal(g, [[0.0, 0.0], [-0.5, 0.5]])


def test_var_without_degrees_of_freedom_is_nan_as_jax():
    # ddof >= n: nan as JAX (was -0.5 for ddof=3 on two elements), and so is its
    # derivative: the statistic is undefined, never a silent number
    for x, ddof in [(np.array([1.0, 2.0]), 3), (np.array([1.0, 2.0]), 2), (np.array([2.0]), 1)]:
        assert np.isnan(jnp.var(x, ddof=ddof)) and np.isnan(jnp.std(x, ddof=ddof))
        assert np.all(np.isnan(ftrans.grad(lambda x: jnp.var(x, ddof=ddof))(x)))
        assert np.all(np.isnan(ftrans.grad(lambda x: jnp.std(x, ddof=ddof))(x)))
    assert np.all(np.isnan(jnp.nanvar(np.array([[1.0, np.nan], [1.0, 3.0]]), axis=1, ddof=2)))
    m = np.array([True, False])
    assert np.isnan(jnp.var(np.array([1.0, 2.0]), where=m, ddof=1))


def test_sinc_second_derivative_at_and_near_zero():
    # was 0 at 0 (a constant 1 there); true: -pi²/3. Near 0, sin(t)/t
    # differentiated cancels: JAX 0.10 gives 201 at 1e-9
    want = -math.pi ** 2 / 3
    for x in (0.0, 1e-9, -1e-6):
        assert d2(jnp.sinc, x) == pytest.approx(want, rel=1e-9)
    g4 = ftrans.grad(ftrans.grad(ftrans.grad(ftrans.grad(jnp.sinc))))
    assert float(g4(0.0)) == pytest.approx(math.pi ** 4 / 5, rel=1e-9)
    x = np.array([0.0, 1e-9, 0.159, 0.16, 0.3, 1.0, -2.5, 1e300, np.inf])
    np.testing.assert_allclose(jnp.sinc(x), np.sinc(x), rtol=1e-15, atol=1e-16)


def test_pow_mixed_derivative_at_exponent_zero():
    # d²(x^y)/dxdy = x^(y-1) (1 + y log x): 1/x at y == 0 (was 1); JAX: 1/x
    hess = ftrans.hessian(lax.pow, argnums=(0, 1))(2.0, 0.0)
    assert float(hess[0][1]) == pytest.approx(0.5, rel=1e-12)
    assert float(hess[1][0]) == pytest.approx(0.5, rel=1e-12)
    assert ftrans.grad(lax.pow)(0.0, 0.0) == 0.0  # still 0 at 0^0, not 0 * inf


def test_norm_of_no_elements_has_zero_derivative():
    # the constant 0: was nan (0 * sqrt'(0)); JAX gives nan
    cases = [(jnp.linalg.norm, (0,)), (jnp.linalg.norm, (3, 0)),
             (lambda x: jnp.linalg.norm(x, 3), (0,)),
             (lambda x: jnp.linalg.norm(x, 3, axis=1), (2, 0)),
             (lambda x: jnp.linalg.norm(x, axis=-1), (3, 0)),
             (lambda x: jnp.linalg.norm(x, "fro"), (3, 0)),
             (lambda x: jnp.linalg.vector_norm(x), (3, 0))]
    for f, shape in cases:
        x = np.zeros(shape)
        _, t = ftrans.jvp(f, (x,), (np.ones(shape),))
        assert np.shape(t) == np.shape(f(x)) and np.all(np.asarray(t) == 0)


# --- the class: smooth functions at tie points, order 2, both modes ----------------

A2 = np.array([0.7, -1.3])
TIES = {  # name: (function, arguments at a tie)
    "logaddexp_eq": (jnp.logaddexp, (A2, A2)),
    "logaddexp_scalar": (lambda x: jnp.logaddexp(x, 0.0), (np.array([0.0, 0.0]),)),
    "logaddexp_far": (jnp.logaddexp, (np.array([30.0, -30.0]), np.array([-30.0, 30.0]))),
    "logaddexp2_eq": (jnp.logaddexp2, (A2, A2)),
    "hypot_eq": (jnp.hypot, (A2, A2)),
    "hypot_neg": (jnp.hypot, (A2, -A2)),
    "hypot_y_zero": (jnp.hypot, (A2, np.zeros(2))),
    "hypot_x_zero": (jnp.hypot, (np.zeros(2), A2)),
    "hypot_same": (lambda x: jnp.hypot(x, x), (A2,)),
    "arctan2_eq": (jnp.arctan2, (A2, A2)),
    "arctan2_neg": (jnp.arctan2, (A2, -A2)),
    "power_eq": (jnp.power, (np.abs(A2), np.abs(A2))),
    "power_exp_zero": (jnp.power, (np.abs(A2), np.zeros(2))),
    "divide_eq": (jnp.divide, (A2, A2)),
    "abs_squared": (lambda x: jnp.abs(x) ** 2, (np.zeros(2),)),
    "abs_times_abs": (lambda x: jnp.abs(x) * jnp.abs(x), (np.zeros(2),)),
    "sinc_zero": (jnp.sinc, (np.array([0.0, 1e-8, 0.5]),)),
    "softplus_zero": (nn.softplus, (np.zeros(2),)),
    "log_sigmoid_zero": (nn.log_sigmoid, (np.zeros(2),)),
    "logsumexp_equal": (nn.logsumexp, (np.ones(3),)),
    "logsumexp_size1": (lambda x: nn.logsumexp(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "softmax_equal": (nn.softmax, (np.ones(3),)),
    "log_softmax_equal": (nn.log_softmax, (np.ones(3),)),
    "softmax_size1": (lambda x: nn.softmax(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "standardize_size1": (lambda x: nn.standardize(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "prod_one_zero": (jnp.prod, (np.array([0.0, 2.0, 3.0]),)),
    "prod_two_zeros": (jnp.prod, (np.array([0.0, 0.0, 3.0]),)),
    "prod_all_zeros": (jnp.prod, (np.zeros(3),)),
    "prod_equal": (jnp.prod, (np.full(3, 2.0),)),
    "prod_axis_zeros": (lambda x: jnp.prod(x, axis=0),
                        (np.array([[0.0, 1.0], [0.0, 0.0], [2.0, 3.0]]),)),
    "prod_size1": (lambda x: jnp.prod(x, axis=1), (np.array([[0.0], [2.0]]),)),
    "nanprod_zeros": (jnp.nanprod, (np.array([0.0, 0.0, 3.0]),)),
    "cumprod_zeros": (jnp.cumprod, (np.array([1.0, 0.0, 0.0, 2.0]),)),
    "var_equal": (jnp.var, (np.ones(3),)),
    "var_ddof1_equal": (lambda x: jnp.var(x, ddof=1), (np.ones(3),)),
    "var_size1": (lambda x: jnp.var(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "std_size1": (lambda x: jnp.std(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "std_single": (jnp.std, (np.array([1.5]),)),
    "nanstd_size1": (lambda x: jnp.nanstd(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "mean_size1": (lambda x: jnp.mean(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "max_size1": (lambda x: jnp.max(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "min_size1": (lambda x: jnp.min(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "ptp_size1": (lambda x: jnp.ptp(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "sort_size1": (lambda x: jnp.sort(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "sorted_sum_of_squares": (lambda x: jnp.sum(jnp.sort(x) ** 2), (np.array([1.0, 1.0, 0.5]),)),
    "median_size1": (lambda x: jnp.median(x, axis=1), (np.array([[1.0], [2.0]]),)),
    "quantile_single": (lambda x: jnp.quantile(x, 0.3), (np.array([1.5]),)),
    "quantile_size1": (lambda x: jnp.quantile(x, 0.3, axis=1), (np.array([[1.0], [2.0]]),)),
    "percentile_single": (lambda x: jnp.percentile(x, 70.0), (np.array([1.5]),)),
    "norm_equal": (jnp.linalg.norm, (np.ones(3),)),
    "norm_with_zeros": (jnp.linalg.norm, (np.array([0.0, 0.0, 2.0]),)),
    "norm_size1": (lambda x: jnp.linalg.norm(x, axis=1), (np.array([[1.0], [-2.0]]),)),
    "norm_ord3_equal": (lambda x: jnp.linalg.norm(x, ord=3), (np.array([1.0, 1.0, -1.0]),)),
    "norm_fro_zeros": (lambda x: jnp.linalg.norm(x, "fro"),
                       (np.array([[0.0, 1.0], [0.0, 0.0]]),)),
    "det_equal_eigenvalues": (jnp.linalg.det, (2 * np.eye(2),)),
    "slogdet_equal_eigenvalues": (lambda x: jnp.linalg.slogdet(x)[1], (2 * np.eye(2),)),
    "inv_equal_eigenvalues": (jnp.linalg.inv, (2 * np.eye(2),)),
    "cross_parallel": (jnp.cross, (np.array([1.0, 2.0, 3.0]),) * 2),
}


@pytest.mark.parametrize("name", TIES)
def test_smooth_at_ties_order_2(name):
    f, args = TIES[name]
    check_grads(f, args, order=2, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)


# second derivatives at tie points, computed with JAX 0.10.2 (x64): ftrans must
# agree (the cases where ftrans and JAX differ are in the reproducers above)
JAX_HESSIANS = {
    "logaddexp_eq": (lambda x: jnp.sum(jnp.logaddexp(x[:2], x[2:])),
                     np.array([0.7, -1.3, 0.7, -1.3]),
                     0.25 * np.array([[1, 0, -1, 0], [0, 1, 0, -1], [-1, 0, 1, 0],
                                      [0, -1, 0, 1]])),
    "sinc_zero": (lambda x: jnp.sum(jnp.sinc(x)), np.array([0.0]),
                  np.array([[-3.289868133696453]])),
    "pow_exp_zero": (lambda x: lax.pow(x[0], x[1]), np.array([2.0, 0.0]),
                     np.array([[0.0, 0.5], [0.5, math.log(2) ** 2]])),
    "abs_squared": (lambda x: jnp.sum(jnp.abs(x) ** 2), np.zeros(2), 2 * np.eye(2)),
    "hypot_y_zero": (lambda x: jnp.hypot(x[0], x[1]), np.array([2.0, 0.0]),
                     np.array([[0.0, 0.0], [0.0, 0.5]])),
    "prod_two_zeros": (jnp.prod, np.array([0.0, 0.0, 3.0]),
                       np.array([[0.0, 3.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 0.0]])),
}


@pytest.mark.parametrize("name", JAX_HESSIANS)
def test_hessians_at_ties_match_jax(name):
    f, x, want = JAX_HESSIANS[name]
    for hess in (ftrans.hessian, lambda f: ftrans.jacrev(ftrans.jacrev(f)),
                 lambda f: ftrans.jacfwd(ftrans.jacfwd(f))):
        np.testing.assert_allclose(hess(f)(x), want, rtol=1e-12, atol=1e-12)


# --- zero-size arrays -----------------------------------------------------------

ZERO_SIZE = {
    "sum_sin": lambda x: jnp.sum(jnp.sin(x)),
    "sum_squares": lambda x: jnp.sum(x ** 2),
    "prod": jnp.prod,
    "prod_last": lambda x: jnp.sum(jnp.prod(x, axis=-1)),
    "max_initial": lambda x: jnp.max(x, initial=0.0),
    "logsumexp": nn.logsumexp,
    "softmax": lambda x: jnp.sum(nn.softmax(x, axis=-1)),
    "norm": jnp.linalg.norm,
    "norm_p": lambda x: jnp.linalg.norm(jnp.reshape(x, (-1,)), 3),
    "sort": lambda x: jnp.sum(jnp.sort(x, axis=-1) ** 2),
    "cumprod": lambda x: jnp.sum(jnp.cumprod(x, axis=-1)),
    "hypot": lambda x: jnp.sum(jnp.hypot(x, x)),
    "logaddexp": lambda x: jnp.sum(jnp.logaddexp(x, 1.0)),
    "sinc": lambda x: jnp.sum(jnp.sinc(x)),
    "concatenate": lambda x: jnp.sum(jnp.concatenate([x, x], axis=-1) ** 2),
    "strided_index": lambda x: jnp.sum(x[..., ::2] ** 3),
    "elementwise": lambda x: jnp.sin(x) * 2.0,
}


@pytest.mark.parametrize("shape", [(0,), (3, 0)], ids=["0", "3x0"])
@pytest.mark.parametrize("name", ZERO_SIZE)
def test_zero_size_derivatives_are_empty_or_zero(name, shape):
    f = ZERO_SIZE[name]
    x = np.zeros(shape)
    out_shape = np.shape(f(x))
    results = {
        "jvp": (ftrans.jvp(f, (x,), (np.ones(shape),))[1], out_shape),
        "vjp": (ftrans.vjp(f, x)[1](np.ones(out_shape))[0], shape),
        "jacfwd": (ftrans.jacfwd(f)(x), out_shape + shape),
        "jacrev": (ftrans.jacrev(f)(x), out_shape + shape),
        "hessian": (ftrans.hessian(f)(x), out_shape + shape + shape),
    }
    if out_shape == ():
        results["grad"] = (ftrans.grad(f)(x), shape)
    for what, (got, want_shape) in results.items():
        got = np.asarray(got)
        assert got.shape == want_shape, what
        assert got.dtype == np.float64, what
        assert not np.any(got), what  # all zero (and no nan)
    if np.all(np.isfinite(f(x))):  # logsumexp of nothing is -inf: no differences
        check_grads(f, (x,), order=2)


def test_geomspace_differentiates_its_traced_ends():
    # start * (stop/start)**t: d/dstart = (1 - t) r**t, d/dstop = t r**(t - 1)
    t = np.linspace(0.0, 1.0, 4)
    a, b = 2.0, 5.0
    ga = ftrans.grad(lambda s: jnp.sum(jnp.geomspace(s, b, 4) ** 2))(a)
    gb = ftrans.grad(lambda e: jnp.sum(jnp.geomspace(a, e, 4) ** 2))(b)
    out = a * (b / a) ** t
    np.testing.assert_allclose(ga, np.sum(2 * out * (1 - t) * (b / a) ** t), rtol=1e-12)
    np.testing.assert_allclose(gb, np.sum(2 * out * t * (b / a) ** (t - 1)), rtol=1e-12)
    np.testing.assert_allclose(
        ftrans.jvp(lambda s: jnp.geomspace(s, b, 4), (a,), (0.0,))[0], np.geomspace(a, b, 4),
        rtol=1e-15)


def test_geomspace_with_known_ends_of_opposite_signs_is_an_error():
    with pytest.raises(ValueError, match="opposite signs"):
        ftrans.grad(lambda s: jnp.sum(jnp.geomspace(s, 3.0, 4)))(-2.0)


def test_arange_with_a_differentiated_bound_is_an_error():
    with pytest.raises(ftrans.ConcretizationError, match="jnp.arange"):
        ftrans.grad(lambda s: jnp.sum(jnp.arange(s, 5.0)))(1.0)
