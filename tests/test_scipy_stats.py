"""ftrans.scipy.stats against scipy.stats: values on grids that cross the
support's edges and invalid parameters (-inf / 0 / nan exactly where scipy
has them), float32 and float64; derivatives in x and the parameters at
interior points (order 2, forward and reverse; once where the special
function is only differentiable once); vmap and jit; errors; docstrings."""

import inspect

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.scipy import stats
from ftrans.test_util import check_grads

scipy_stats = pytest.importorskip("scipy.stats")

X_LINE = np.array([-8.0, -3.0, -1.2, -1.0, -0.5, 0.0, 0.3, 1.0, 2.2, 5.0, 12.0])
X_UNIT = np.array([-1.2, -1.0, -0.75, -0.5, 0.0, 0.1, 0.3, 0.5, 0.9, 1.0, 1.3, 2.3, 3.0])
K_INT = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0])
Q = np.array([-0.1, 0.0, 1e-3, 0.1, 0.3, 0.5, 0.75, 0.99, 1.0, 1.1])

LOC_SCALE = [(0.0, 1.0), (0.3, 1.7), (-1.0, 0.5), (0.0, -1.0), (0.0, 0.0)]
CONT = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
QUANT = ("ppf", "isf")

# dist -> (functions, parameter sets after x, x grid)
SPECS = {
    "norm": (CONT + QUANT, LOC_SCALE, X_LINE),
    "cauchy": (CONT + QUANT, LOC_SCALE, X_LINE),
    "logistic": (CONT + QUANT, LOC_SCALE, X_LINE),
    "laplace": (("logpdf", "pdf", "cdf", "sf") + QUANT, LOC_SCALE, X_LINE),
    "expon": (CONT + QUANT, LOC_SCALE, X_LINE),
    "uniform": (CONT + QUANT, LOC_SCALE, X_UNIT),
    "t": (("logpdf", "pdf", "cdf", "sf"),
          [(3.0, 0.0, 1.0), (1.5, 0.3, 2.0), (30.0, -1.0, 0.5), (-1.0, 0.0, 1.0),
           (3.0, 0.0, -1.0)], X_LINE),
    "gamma": (CONT, [(2.0, 0.0, 1.0), (0.5, 0.3, 2.0), (1.0, -1.0, 0.5), (7.5, 0.0, 1.0),
                     (-1.0, 0.0, 1.0), (2.0, 0.0, -1.0)], X_LINE),
    "chi2": (CONT, [(3.0, 0.0, 1.0), (1.0, 0.3, 2.0), (2.0, -1.0, 0.5), (10.0, 0.0, 1.0),
                    (-1.0, 0.0, 1.0)], X_LINE),
    "beta": (CONT, [(2.0, 3.0, 0.0, 1.0), (0.5, 0.7, 0.3, 2.0), (1.0, 1.0, -1.0, 0.5),
                    (5.0, 1.0, 0.0, 1.0), (-1.0, 2.0, 0.0, 1.0), (2.0, 2.0, 0.0, -1.0)],
             X_UNIT),
    "poisson": (("logpmf", "pmf", "cdf"), [(3.0, 0.0), (0.5, 1.0), (12.0, 0.0), (0.0, 0.0),
                                           (-1.0, 0.0)], K_INT),
    "bernoulli": (("logpmf", "pmf"), [(0.3, 0.0), (0.8, 1.0), (0.0, 0.0), (1.0, 0.0),
                                      (1.5, 0.0)], K_INT),
    "binom": (("logpmf", "pmf"), [(10.0, 0.4, 0.0), (5.0, 0.9, 2.0), (3.0, 0.0, 0.0),
                                  (3.0, 1.0, 0.0), (3.0, 1.5, 0.0), (2.5, 0.5, 0.0)], K_INT),
}

CASES = [(d, f, i) for d, (fns, params, _) in SPECS.items() for f in fns
         for i in range(len(params))]


def _grid(dist, fn):
    return Q if fn in QUANT else SPECS[dist][2]


@pytest.mark.parametrize("dist,fn,i", CASES)
def test_matches_scipy_float64(dist, fn, i):
    params = SPECS[dist][1][i]
    x = _grid(dist, fn)
    out = getattr(getattr(stats, dist), fn)(x, *params)
    with np.errstate(all="ignore"):
        ref = getattr(getattr(scipy_stats, dist), fn)(x, *params)
    assert out.shape == ref.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-13, equal_nan=True,
                               err_msg=f"{dist}.{fn}{params}")


@pytest.mark.parametrize("dist,fn", [(d, f) for d, (fns, _, _) in SPECS.items()
                                     for f in fns])
def test_float32_stays_float32(dist, fn):
    params = SPECS[dist][1][0]  # edges of the support exact in float32 too
    x = _grid(dist, fn).astype(np.float32)
    out = getattr(getattr(stats, dist), fn)(x, *params)  # Python floats are weak
    assert out.dtype == np.float32, (dist, fn, out.dtype)
    out32 = getattr(getattr(stats, dist), fn)(x, *[np.float32(p) for p in params])
    assert out32.dtype == np.float32
    with np.errstate(all="ignore"):
        ref = getattr(getattr(scipy_stats, dist), fn)(
            x.astype(np.float64), *[np.float64(np.float32(p)) for p in params])
    finite = np.isfinite(ref) & (np.abs(ref) < 1e30)
    np.testing.assert_allclose(out32[finite], ref[finite], rtol=2e-4, atol=1e-6)
    np.testing.assert_array_equal(np.isnan(out32), np.isnan(ref))


def test_integer_and_broadcast_arguments():
    np.testing.assert_allclose(stats.poisson.pmf(np.arange(4), 2), scipy_stats.poisson.pmf(
        np.arange(4), 2))
    x = np.linspace(-2, 2, 5)[:, None]
    loc = np.array([0.0, 0.5, 1.0])
    out = stats.norm.logpdf(x, loc, 2.0)
    assert out.shape == (5, 3)
    np.testing.assert_allclose(out, scipy_stats.norm.logpdf(x, loc, 2.0))
    assert stats.norm.cdf(1).dtype == np.float64


# --- derivatives ---------------------------------------------------------------------------

X_IN = {"line": np.array([-1.1, 0.7, 2.4]), "pos": np.array([0.9, 1.6, 3.1]),
        "unit": np.array([0.6, 1.1, 1.7]), "q": np.array([0.1, 0.45, 0.8])}
LS = (0.3, 1.7)
# (dist, fn, x kind, params, differentiable at order 2, differentiable once)
GRADS = [
    *[(d, f, "line", LS, "all", ()) for d in ("norm", "cauchy", "logistic", "laplace")
      for f in CONT if hasattr(getattr(stats, d), f)],
    *[(d, f, "q", LS, "all", ()) for d in ("norm", "cauchy", "logistic", "laplace", "expon",
                                            "uniform") for f in QUANT],
    *[("expon", f, "pos", LS, "all", ()) for f in CONT],
    *[("uniform", f, "unit", LS, "all", ()) for f in CONT],
    ("t", "logpdf", "line", (3.5,) + LS, "all", ()),
    ("t", "pdf", "line", (3.5,) + LS, "all", ()),
    ("t", "cdf", "line", (3.5,) + LS, (0, 2, 3), ()),
    ("t", "sf", "line", (3.5,) + LS, (0, 2, 3), ()),
    ("gamma", "logpdf", "pos", (2.5,) + LS, "all", ()),
    ("gamma", "pdf", "pos", (2.5,) + LS, "all", ()),
    *[("gamma", f, "pos", (2.5,) + LS, (0, 2, 3), (1,)) for f in CONT[2:]],
    ("chi2", "logpdf", "pos", (3.0,) + LS, "all", ()),
    ("chi2", "pdf", "pos", (3.0,) + LS, "all", ()),
    *[("chi2", f, "pos", (3.0,) + LS, (0, 2, 3), (1,)) for f in CONT[2:]],
    ("beta", "logpdf", "unit", (2.5, 1.5) + LS, "all", ()),
    ("beta", "pdf", "unit", (2.5, 1.5) + LS, "all", ()),
    *[("beta", f, "unit", (2.5, 1.5) + LS, (0, 3, 4), ()) for f in CONT[2:]],
]


def _only(fn, args, which):
    """``fn`` as a function of the arguments at positions ``which``."""
    def f(*diff):
        full = list(args)
        for i, a in zip(which, diff):
            full[i] = a
        return fn(*full)
    return f, [args[i] for i in which]


@pytest.mark.parametrize("dist,fn,kind,params,twice,once", GRADS,
                         ids=[f"{g[0]}.{g[1]}" for g in GRADS])
def test_grads(dist, fn, kind, params, twice, once):
    f = getattr(getattr(stats, dist), fn)
    args = (X_IN[kind],) + tuple(np.float64(p) for p in params)
    twice = tuple(range(len(args))) if twice == "all" else twice
    g, at = _only(f, args, twice)
    check_grads(g, at, order=2)
    for i in once:
        g, at = _only(f, args, (i,))
        check_grads(g, at, order=1)


@pytest.mark.parametrize("dist,fn,params", [
    ("poisson", "logpmf", (3.5, 0.0)), ("poisson", "pmf", (3.5, 0.0)),
    ("poisson", "cdf", (3.5, 0.0)), ("bernoulli", "logpmf", (0.3, 0.0)),
    ("bernoulli", "pmf", (0.3, 0.0)), ("binom", "logpmf", (10.0, 0.35, 0.0)),
    ("binom", "pmf", (10.0, 0.35, 0.0))])
def test_discrete_grads_in_the_parameter(dist, fn, params):
    f = getattr(getattr(stats, dist), fn)
    k = np.array([0.0, 1.0, 3.0]) if dist != "bernoulli" else np.array([0.0, 1.0, 1.0])
    which = 1 if dist != "binom" else 2
    g, at = _only(f, (k,) + tuple(np.float64(p) for p in params), (which,))
    check_grads(g, at, order=2)


def test_bernoulli_cdf_grad():
    check_grads(lambda p: stats.bernoulli.cdf(np.array([-1.0, 0.0, 0.5, 2.0]), p),
                (np.float64(0.3),), order=2)


@pytest.mark.parametrize("dist,fn,x,params", [
    ("gamma", "pdf", X_LINE, (2.5, 0.3, 1.7)),
    ("chi2", "pdf", X_LINE, (3.0, 0.3, 1.7)),
    ("beta", "pdf", X_UNIT, (2.5, 1.5, 0.3, 1.7)),
    ("expon", "pdf", X_LINE, (0.3, 1.7)),
    ("uniform", "pdf", X_UNIT, (0.3, 1.7)),
    ("poisson", "pmf", K_INT, (3.5, 0.0)),
    ("binom", "pmf", K_INT, (10.0, 0.35, 0.0)),
])
def test_points_outside_the_support_do_not_poison_parameter_grads(dist, fn, x, params):
    f = getattr(getattr(stats, dist), fn)
    logf = getattr(getattr(stats, dist), "logpmf" if fn == "pmf" else "logpdf")
    # at the support's edge (x == loc) the density is 0 and d log p/da = -inf:
    # nan there is right (and JAX's); the points beyond the edge must not add any
    x = x[(x != 0.3) & (x != 2.0)]
    inside = np.isfinite(logf(x, *params))
    assert not inside.all()
    for i in range(1, len(params) + 1):
        args = (x,) + tuple(np.float64(p) for p in params)
        g_all = ftrans.grad(lambda *a: jnp.sum(_only(f, args, (i,))[0](*a)))(args[i])
        args_in = (x[inside],) + args[1:]
        g_in = ftrans.grad(lambda *a: jnp.sum(_only(f, args_in, (i,))[0](*a)))(args[i])
        assert np.isfinite(g_all), (dist, i)
        np.testing.assert_allclose(g_all, g_in, rtol=1e-12, atol=1e-15)


def test_poisson_entropy(rng):
    mu = np.array([0.1, 1.0, 5.0, 10.0, 42.0, 99.0, 100.0, 250.0])
    np.testing.assert_allclose(stats.poisson.entropy(mu), scipy_stats.poisson.entropy(mu),
                               rtol=1e-8)
    # far out scipy's own sum drifts (6.0216 at 1e4); a direct float64 sum does not
    k = np.arange(30000.0)
    logp = scipy_stats.poisson.logpmf(k, 1e4)
    np.testing.assert_allclose(stats.poisson.entropy(1e4), -np.sum(np.exp(logp) * logp),
                               rtol=1e-10)
    assert np.isnan(stats.poisson.entropy(-1.0)) and np.isnan(stats.poisson.entropy(0.0))
    check_grads(stats.poisson.entropy, (np.array([0.7, 4.0, 150.0]),), order=2)


# --- multivariate normal and Dirichlet ---------------------------------------------------------

def _spd(rng, n, batch=()):
    a = rng.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def test_multivariate_normal_matches_scipy(rng):
    cov, mean = _spd(rng, 3), rng.normal(size=3)
    x = rng.normal(size=(5, 3))
    mvn, ref = stats.multivariate_normal, scipy_stats.multivariate_normal
    np.testing.assert_allclose(mvn.logpdf(x, mean, cov), ref.logpdf(x, mean, cov), rtol=1e-12)
    np.testing.assert_allclose(mvn.pdf(x[0], mean, cov), ref.pdf(x[0], mean, cov), rtol=1e-12)
    assert mvn.logpdf(x[0], mean, cov).shape == ()
    np.testing.assert_allclose(mvn.logpdf(x, mean, 2.5), ref.logpdf(x, mean, 2.5), rtol=1e-12)
    np.testing.assert_allclose(mvn.logpdf(0.7, 0.2, 1.5), ref.logpdf(0.7, 0.2, 1.5), rtol=1e-12)
    covs = _spd(rng, 3, (4,))  # batched covariances
    out = mvn.logpdf(x[:4], mean, covs)
    np.testing.assert_allclose(out, [ref.logpdf(x[i], mean, covs[i]) for i in range(4)],
                               rtol=1e-12)
    out32 = mvn.logpdf(x.astype(np.float32), mean.astype(np.float32), cov.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, ref.logpdf(x, mean, cov), rtol=1e-4)


def test_multivariate_normal_grads_vmap_jit(rng):
    cov, mean = _spd(rng, 3), rng.normal(size=3)
    x = rng.normal(size=(2, 3))
    check_grads(stats.multivariate_normal.logpdf, (x, mean, cov), order=2)
    check_grads(lambda x, s: stats.multivariate_normal.logpdf(x, mean, s), (x, 1.3), order=2)
    covs = _spd(rng, 3, (4,))
    f = ftrans.vmap(stats.multivariate_normal.logpdf, in_axes=(None, None, 0))
    np.testing.assert_allclose(f(x[0], mean, covs),
                               stats.multivariate_normal.logpdf(x[0], mean, covs), rtol=1e-12)
    g = ftrans.jit(stats.multivariate_normal.logpdf)
    np.testing.assert_allclose(g(x, mean, cov), stats.multivariate_normal.logpdf(x, mean, cov))


def test_multivariate_normal_errors():
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 3\)"):
        stats.multivariate_normal.logpdf(np.zeros(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match=r"cov must have shape \(\.\.\., 3, 3\)"):
        stats.multivariate_normal.logpdf(np.zeros(3), np.zeros(3), np.eye(2))
    with pytest.raises(NotImplementedError, match="allow_singular"):
        stats.multivariate_normal.logpdf(np.zeros(3), np.zeros(3), np.eye(3),
                                         allow_singular=True)


def test_dirichlet(rng):
    alpha = np.array([0.7, 2.0, 3.5])
    x = rng.dirichlet(alpha, size=4).T  # (K, N)
    ref = scipy_stats.dirichlet.logpdf(x, alpha)
    np.testing.assert_allclose(stats.dirichlet.logpdf(x, alpha), ref, rtol=1e-12)
    np.testing.assert_allclose(stats.dirichlet.logpdf(x[:-1], alpha), ref, rtol=1e-10)
    np.testing.assert_allclose(stats.dirichlet.pdf(x[:, 0], alpha),
                               scipy_stats.dirichlet.pdf(x[:, 0], alpha), rtol=1e-12)
    # columns: a negative entry, a sum of 0.8, a zero entry
    off = np.array([[0.6, -0.1, 0.5], [0.2, 0.3, 0.3], [0.0, 0.5, 0.5]]).T
    assert np.all(stats.dirichlet.logpdf(off, alpha) == -np.inf)
    assert np.all(stats.dirichlet.pdf(off, alpha) == 0.0)
    assert np.isnan(stats.dirichlet.logpdf(x[:, 0], np.array([1.0, -1.0, 2.0])))
    check_grads(stats.dirichlet.logpdf, (x[:-1, :2], alpha), order=2)
    out32 = stats.dirichlet.logpdf(x.astype(np.float32), alpha.astype(np.float32))
    assert out32.dtype == np.float32
    with pytest.raises(ValueError, match="alpha must be one-dimensional"):
        stats.dirichlet.logpdf(x, np.ones((3, 1)))
    with pytest.raises(ValueError, match="x must have 3 \\(or 2\\) entries"):
        stats.dirichlet.logpdf(np.ones(5) / 5, alpha)


# --- transformations -------------------------------------------------------------------------

VMAP_CASES = [(d, f) for d, (fns, _, _) in SPECS.items() for f in fns]


@pytest.mark.parametrize("dist,fn", VMAP_CASES)
def test_vmap_and_jit(dist, fn):
    f = getattr(getattr(stats, dist), fn)
    params = tuple(np.float64(p) for p in SPECS[dist][1][1])
    x = np.stack([_grid(dist, fn), _grid(dist, fn)[::-1]])
    expected = f(x, *params)
    batched = ftrans.vmap(lambda x: f(x, *params))(x)
    np.testing.assert_allclose(batched, expected, equal_nan=True)
    # batched over a parameter too (the last: scale or loc)
    ps = np.array([params[-1], params[-1] * 0.5 + 0.25])
    over_p = ftrans.vmap(lambda p: f(x[0], *params[:-1], p))(ps)
    ref = np.stack([f(x[0], *params[:-1], p) for p in ps])
    np.testing.assert_allclose(over_p, ref, equal_nan=True)
    np.testing.assert_allclose(ftrans.jit(f)(x, *params), expected, equal_nan=True)


def test_jit_of_grad_of_a_log_likelihood(rng):
    data = rng.normal(1.5, 2.0, size=50)

    def nll(theta):
        return -jnp.sum(stats.norm.logpdf(data, theta[0], jnp.exp(theta[1])))

    g = ftrans.jit(ftrans.grad(nll))(np.array([0.0, 0.0]))
    np.testing.assert_allclose(g, ftrans.grad(nll)(np.array([0.0, 0.0])))
    # the MLE zeroes the gradient
    mle = np.array([data.mean(), np.log(data.std())])
    np.testing.assert_allclose(ftrans.grad(nll)(mle), 0.0, atol=1e-10)


# --- docstrings ----------------------------------------------------------------------------------

def test_every_function_has_an_example():
    for name in stats.__all__:
        module = getattr(stats, name)
        for fname in module.__all__:
            doc = inspect.getdoc(getattr(module, fname)) or ""
            assert ">>>" in doc, f"stats.{name}.{fname} has no example"


def test_jax_names_are_all_there():
    # the functions jax.scipy.stats has for each of these distributions
    jax_has = {
        "norm": "cdf isf logcdf logpdf logsf pdf ppf sf", "multivariate_normal": "logpdf pdf",
        "t": "logpdf pdf", "gamma": "cdf logcdf logpdf logsf pdf sf",
        "beta": "cdf logcdf logpdf logsf pdf sf", "dirichlet": "logpdf pdf",
        "poisson": "cdf entropy logpmf pmf", "bernoulli": "cdf logpmf pmf ppf",
        "binom": "logpmf pmf", "expon": "cdf logcdf logpdf logsf pdf ppf sf",
        "laplace": "cdf logpdf pdf", "logistic": "cdf isf logpdf pdf ppf sf",
        "cauchy": "cdf isf logcdf logpdf logsf pdf ppf sf", "uniform": "cdf logpdf pdf ppf",
        "chi2": "cdf logcdf logpdf logsf pdf sf"}
    for dist, names in jax_has.items():
        for name in names.split():
            assert callable(getattr(getattr(stats, dist), name)), f"{dist}.{name}"
