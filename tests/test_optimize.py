"""ftrans.scipy.optimize.minimize (BFGS, strong-Wolfe line search) against
scipy.optimize.minimize and closed-form minima."""

import numpy as np
import pytest

import ftrans.numpy as jnp
from ftrans.scipy import optimize
from ftrans.scipy.optimize import _line_search, minimize

scipy_optimize = pytest.importorskip("scipy.optimize")


def rosen(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_rosenbrock_matches_scipy(n):
    x0 = np.linspace(-1.2, 1.0, n)
    res = minimize(rosen, x0, method="BFGS")
    ref = scipy_optimize.minimize(scipy_optimize.rosen, x0, jac=scipy_optimize.rosen_der,
                                  method="BFGS")
    assert res.success and res.status == 0
    np.testing.assert_allclose(res.x, ref.x, atol=1e-5)
    np.testing.assert_allclose(res.fun, ref.fun, atol=1e-9)
    np.testing.assert_allclose(res.jac, scipy_optimize.rosen_der(res.x), atol=1e-12)
    assert np.linalg.norm(res.jac, np.inf) < 1e-5
    assert res.nit <= 2 * ref.nit and res.nfev == res.njev >= res.nit + 1
    assert res.hess_inv.shape == (n, n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quadratic(seed):
    rng = np.random.default_rng(seed)
    n = 6
    m = rng.normal(size=(n, n))
    a = m @ m.T + n * np.eye(n)
    b = rng.normal(size=n)
    res = minimize(lambda x, a, b: 0.5 * x @ a @ x - b @ x, np.zeros(n), args=(a, b),
                   method="BFGS", tol=1e-10)
    ref = scipy_optimize.minimize(lambda x: 0.5 * x @ a @ x - b @ x, np.zeros(n),
                                  jac=lambda x: a @ x - b, method="BFGS", tol=1e-10)
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-10)
    assert res.success
    # the BFGS inverse Hessian approaches the true inverse on a quadratic
    np.testing.assert_allclose(res.hess_inv, np.linalg.inv(a), atol=0.05)


def test_already_converged_and_float32():
    res = minimize(lambda x: jnp.sum(x ** 2), np.zeros(3))
    assert res.success and res.nit == 0 and res.nfev == 1
    res = minimize(rosen, np.array([-1.2, 1.0], np.float32), options={"gtol": 1e-3})
    assert res.x.dtype == np.float32 and res.success
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=2e-2)


def test_integer_x0_and_options():
    res = minimize(lambda x: jnp.sum((x - 3.0) ** 2), np.array([0, 0]))
    np.testing.assert_allclose(res.x, [3.0, 3.0], atol=1e-6)
    res = minimize(rosen, np.array([-1.2, 1.0]), options={"maxiter": 3})
    assert not res.success and res.status == 1 and res.nit == 3
    res = minimize(rosen, np.array([-1.2, 1.0]), options={"norm": 2, "gtol": 1e-8})
    assert res.success and np.linalg.norm(res.jac) < 1e-8


def test_unbounded_below_fails_in_the_line_search():
    res = minimize(lambda x: -jnp.sum(x), np.zeros(2))
    assert not res.success and res.status == 5 and np.all(np.isfinite(res.x))


def test_line_search_satisfies_strong_wolfe():
    import ftrans
    vg = ftrans.value_and_grad(rosen)
    for x in (np.array([-1.2, 1.0]), np.array([0.5, -0.3, 2.0])):
        f0, g0 = vg(x)
        p = -g0
        res = _line_search(vg, x, p, f0, g0, None, maxiter=20)
        assert res.ok
        dphi0 = g0 @ p
        assert res.f <= f0 + 1e-4 * res.a * dphi0
        assert abs(res.g @ p) <= 0.9 * abs(dphi0)
        np.testing.assert_allclose(res.f, rosen(x + res.a * p))


def test_results_are_a_named_tuple():
    res = minimize(lambda x: jnp.sum((x - 1.0) ** 2), np.zeros(2))
    assert isinstance(res, optimize.OptimizeResults)
    assert res._fields == ("x", "success", "status", "fun", "jac", "hess_inv", "nfev",
                           "njev", "nit")


def test_errors():
    f = lambda x: jnp.sum(x ** 2)  # noqa: E731
    with pytest.raises(ValueError, match="method 'Nelder-Mead' not recognized"):
        minimize(f, np.zeros(2), method="Nelder-Mead")
    with pytest.raises(TypeError, match="args must be a tuple"):
        minimize(f, np.zeros(2), args=[1])
    with pytest.raises(ValueError, match=r"x0 must be a 1-d array.*\(2, 2\)"):
        minimize(f, np.zeros((2, 2)))
    with pytest.raises(TypeError, match="unknown options"):
        minimize(f, np.zeros(2), options={"maxfun": 3})
    with pytest.raises(TypeError, match="x0 must be real"):
        minimize(f, np.zeros(2, complex))
    with pytest.raises(TypeError):  # grad of a non-scalar output names the shape
        minimize(lambda x: x ** 2, np.ones(2))


def test_jit_and_vmap():
    import ftrans
    x0 = np.linspace(-1.2, 1.0, 4)
    eager = minimize(rosen, x0)
    jitted = ftrans.jit(lambda x0: minimize(rosen, x0))(x0)
    np.testing.assert_allclose(jitted.x, eager.x, rtol=1e-12)
    assert int(jitted.nit) == int(eager.nit) and bool(jitted.success)
    starts = np.array([[-1.2, 1.0], [2.0, -1.0], [0.5, 0.5]])
    batched = ftrans.vmap(lambda x0: minimize(rosen, x0))(starts)
    for i, x0 in enumerate(starts):
        one = minimize(rosen, x0)
        np.testing.assert_allclose(batched.x[i], one.x, rtol=1e-12)
        assert int(batched.nit[i]) == int(one.nit) and int(batched.nfev[i]) == int(one.nfev)
    # batched over an argument of fun: least squares for several targets
    a = np.array([[2.0, 1.0], [1.0, 3.0], [0.5, -1.0]])
    bs = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]])
    fit = ftrans.vmap(lambda b: minimize(lambda x, b: jnp.sum((a @ x - b) ** 2),
                                         np.zeros(2), args=(b,), tol=1e-10).x)(bs)
    np.testing.assert_allclose(fit, np.stack([np.linalg.lstsq(a, b, rcond=None)[0]
                                              for b in bs]), atol=1e-8)


def test_every_public_name_has_an_example():
    import inspect
    for name in optimize.__all__:
        assert ">>>" in (inspect.getdoc(getattr(optimize, name)) or ""), name
