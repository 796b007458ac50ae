"""Decompositions and solvers of ftrans.numpy.linalg and ftrans.scipy.linalg:
values against numpy/scipy on several shapes (batched, tall and wide),
derivatives against finite differences (order 2, forward and reverse) on
gauge-invariant functions of eigen- and singular vectors, vmap and jit, the
degenerate cases as JAX documents them, and the error messages."""

import numpy as np
import pytest
import scipy.linalg as sla

import ftrans
import ftrans.numpy as jnp
import ftrans.scipy.linalg as fsl
from ftrans import lax
from ftrans.test_util import check_grads

L = jnp.linalg


def _rng(seed=0):
    return np.random.default_rng(seed)


def _sym(rng, shape):
    """Symmetric matrices with well-separated eigenvalues."""
    n = shape[-1]
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    w = 1.5 * np.arange(n) - n / 2 + rng.uniform(0, 0.3, shape[:-1])
    s = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
    return (s + np.swapaxes(s, -1, -2)) / 2


def _spd(rng, shape):
    m = rng.standard_normal(shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def _close(got, want, tol=1e-10):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=tol, atol=tol)


def _grads(f, *args, tol=1e-5):
    check_grads(f, args, order=2, modes=("fwd", "rev"), atol=tol, rtol=tol)


SQUARE = [(3, 3), (2, 4, 4), (2, 1, 3, 3)]
RECT = [(4, 4), (5, 3), (3, 5), (2, 5, 3), (2, 3, 5), (1, 2, 3, 4)]


# --- values against numpy / scipy -----------------------------------------------------

@pytest.mark.parametrize("shape", SQUARE, ids=str)
def test_eigh_and_eigvalsh_match_numpy(shape):
    a = _sym(_rng(), shape)
    w, v = L.eigh(a)
    _close(w, np.linalg.eigvalsh(a))
    _close(np.asarray(v) @ (np.asarray(w)[..., None] * np.swapaxes(v, -1, -2)), a)
    _close(L.eigvalsh(a), np.linalg.eigvalsh(a))
    # symmetrize_input=False reads one triangle, as numpy
    junk = a + np.triu(_rng(1).standard_normal(shape), 1)
    _close(L.eigh(junk, symmetrize_input=False).eigenvalues, np.linalg.eigvalsh(junk))
    junk = a + np.tril(_rng(1).standard_normal(shape), -1)
    _close(L.eigvalsh(junk, UPLO="U", symmetrize_input=False),
           np.linalg.eigvalsh(junk, UPLO="U"))


def test_eigh_of_a_complex_hermitian_matrix():
    rng = _rng()
    m = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    h = m + m.conj().T
    w, v = L.eigh(h)
    _close(w, np.linalg.eigvalsh(h))
    assert np.asarray(w).dtype == np.float64 and np.asarray(v).dtype == np.complex128
    _close(np.asarray(v) @ np.diag(w) @ np.asarray(v).conj().T, h)


@pytest.mark.parametrize("shape", RECT, ids=str)
@pytest.mark.parametrize("full", [True, False])
def test_svd_matches_numpy(shape, full):
    a = _rng().standard_normal(shape)
    u, s, vh = L.svd(a, full_matrices=full)
    nu, ns, nvh = np.linalg.svd(a, full_matrices=full)
    assert np.shape(u) == nu.shape and np.shape(vh) == nvh.shape
    _close(s, ns)
    k = ns.shape[-1]
    u, s, vh = np.asarray(u), np.asarray(s), np.asarray(vh)
    _close((u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :], a)
    _close(L.svd(a, compute_uv=False), ns)
    _close(L.svdvals(a), ns)


def test_svd_of_complex_and_hermitian_matrices():
    rng = _rng()
    m = rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))
    _close(L.svdvals(m), np.linalg.svd(m, compute_uv=False))
    h = _sym(rng, (2, 4, 4))
    u, s, vh = L.svd(h, hermitian=True)
    nu, ns, nvh = np.linalg.svd(h, hermitian=True)
    _close(s, ns)
    _close((np.asarray(u) * np.asarray(s)[..., None, :]) @ np.asarray(vh), h)
    _close(L.svd(h, hermitian=True, compute_uv=False), ns)


@pytest.mark.parametrize("shape", RECT, ids=str)
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_matches_numpy(shape, mode):
    a = _rng().standard_normal(shape)
    got, want = L.qr(a, mode), np.linalg.qr(a, mode)
    if mode == "r":
        _close(got, want)
    else:
        _close(got.Q, want.Q)
        _close(got.R, want.R)
        _close(np.asarray(got.Q) @ np.asarray(got.R), a)


def test_qr_of_a_complex_matrix():
    rng = _rng()
    a = rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))
    q, r = L.qr(a)
    _close(np.asarray(q) @ np.asarray(r), a)
    _close(r, np.linalg.qr(a).R)


@pytest.mark.parametrize("shape", SQUARE, ids=str)
def test_eig_and_eigvals_match_numpy(shape):
    a = _rng().standard_normal(shape)
    w, v = L.eig(a)
    nw, nv = np.linalg.eig(a)
    assert np.asarray(w).dtype == np.complex128
    _close(w, nw)
    _close(v, nv)
    _close(a @ np.asarray(v), np.asarray(v) * np.asarray(w)[..., None, :])
    _close(L.eigvals(a), np.linalg.eigvals(a))


@pytest.mark.parametrize("b_shape", [(6,), (6, 2)], ids=str)
@pytest.mark.parametrize("a_shape", [(6, 3), (6, 6), (3, 6)], ids=str)
def test_lstsq_matches_numpy(a_shape, b_shape):
    rng = _rng()
    a, b = rng.standard_normal(a_shape), rng.standard_normal((a_shape[0],) + b_shape[1:])
    x, resid, rank, s = L.lstsq(a, b, numpy_resid=True)
    nx, nresid, nrank, ns = np.linalg.lstsq(a, b)
    _close(x, nx)
    _close(resid, nresid)
    assert int(rank) == nrank
    _close(s, ns)
    # the JAX default: residuals always
    _, resid, _, _ = L.lstsq(a, b)
    _close(resid, np.sum((b.reshape(a_shape[0], -1) - a @ nx.reshape(a_shape[1], -1)) ** 2, 0))


def test_lstsq_rank_deficient():
    rng = _rng()
    a = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 4))
    b = rng.standard_normal(5)
    x, resid, rank, s = L.lstsq(a, b, numpy_resid=True)
    nx, nresid, nrank, _ = np.linalg.lstsq(a, b)
    _close(x, nx, 1e-8)
    assert int(rank) == nrank == 2 and np.shape(resid) == nresid.shape == (0,)


@pytest.mark.parametrize("shape", RECT, ids=str)
def test_pinv_matches_numpy(shape):
    a = _rng().standard_normal(shape)
    _close(L.pinv(a), np.linalg.pinv(a))
    h = _sym(_rng(), (3, 3))
    _close(L.pinv(h, hermitian=True), np.linalg.pinv(h, hermitian=True))
    low = np.outer(np.arange(1.0, 4), np.arange(1.0, 5))  # rank 1
    _close(L.pinv(low), np.linalg.pinv(low))


@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 5, 8])
def test_matrix_power_matches_numpy(n):
    a = np.eye(3) + 0.3 * _rng().standard_normal((2, 3, 3))
    _close(L.matrix_power(a, n), np.linalg.matrix_power(a, n))
    ints = np.array([[1, 1], [1, 0]])
    if n >= 0:
        got = L.matrix_power(ints, n)
        np.testing.assert_array_equal(got, np.linalg.matrix_power(ints, n))
        assert np.asarray(got).dtype == ints.dtype


def test_matrix_rank_matches_numpy():
    rng = _rng()
    full = rng.standard_normal((2, 4, 5))
    low = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 5))
    for a in (full, low, np.zeros((3, 3)), np.eye(4)):
        assert np.array_equal(L.matrix_rank(a), np.linalg.matrix_rank(a))
    assert int(L.matrix_rank(np.diag([1.0, 1e-3]), tol=1e-2)) == 1
    assert int(L.matrix_rank(np.diag([1.0, 1e-3]), rtol=1e-4)) == 2
    assert int(L.matrix_rank(np.array([0.0, 1.0]))) == 1
    assert int(L.matrix_rank(np.zeros(3))) == 0
    h = _sym(rng, (4, 4))
    assert int(L.matrix_rank(h, hermitian=True)) == np.linalg.matrix_rank(h, hermitian=True)


@pytest.mark.parametrize("p", [None, 1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc"])
def test_cond_matches_numpy(p):
    a = _rng().standard_normal((2, 4, 4))
    _close(L.cond(a, p), np.linalg.cond(a, p))
    if p in (None, 2, -2):
        tall = _rng().standard_normal((5, 3))
        _close(L.cond(tall, p), np.linalg.cond(tall, p))


MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]
VECTOR_ORDS = [None, 1, -1, 2, -2, np.inf, -np.inf, 0, 3, 0.5]


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norms_match_numpy(ord):
    x = _rng().standard_normal((3, 4, 5))
    _close(L.norm(x[0], ord), np.linalg.norm(x[0], ord))
    for axis in [(1, 2), (2, 0), (-1, -3)]:
        _close(L.norm(x, ord, axis=axis), np.linalg.norm(x, ord, axis=axis))
        _close(L.norm(x, ord, axis=axis, keepdims=True),
               np.linalg.norm(x, ord, axis=axis, keepdims=True))
    if ord is not None:
        _close(L.matrix_norm(x, ord=ord), np.linalg.matrix_norm(x, ord=ord))


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
def test_vector_norms_match_numpy(ord):
    x = _rng().standard_normal((3, 4))
    _close(L.norm(x[0], ord), np.linalg.norm(x[0], ord))
    _close(L.norm(x, ord, axis=1), np.linalg.norm(x, ord, axis=1))


@pytest.mark.parametrize("shapes", [[(3, 4), (4, 2)], [(3,), (3, 4), (4, 2)],
                                    [(5, 2), (2, 6), (6, 3), (3,)],
                                    [(4,), (4, 10), (10, 1), (1, 7), (7,)]], ids=str)
def test_multi_dot_matches_numpy(shapes):
    rng = _rng()
    arrays = [rng.standard_normal(s) for s in shapes]
    _close(L.multi_dot(arrays), np.linalg.multi_dot(arrays))


def test_tensorsolve_and_tensorinv_match_numpy():
    rng = _rng()
    a = rng.standard_normal((2, 3, 6))
    b = rng.standard_normal((2, 3))
    _close(L.tensorsolve(a, b), np.linalg.tensorsolve(a, b))
    a2 = rng.standard_normal((6, 2, 3))
    _close(L.tensorsolve(a2, b, axes=(0,)), np.linalg.tensorsolve(a2, b, axes=(0,)))
    t = rng.standard_normal((4, 6, 8, 3))
    _close(L.tensorinv(t, 2), np.linalg.tensorinv(t, 2))
    t1 = rng.standard_normal((6, 2, 3))
    _close(L.tensorinv(t1, 1), np.linalg.tensorinv(t1, 1))


# --- ftrans.scipy.linalg against scipy --------------------------------------------------

@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T"])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("unit", [True, False])
def test_solve_triangular_matches_scipy(trans, lower, unit):
    rng = _rng()
    a = np.eye(4) * 3 + rng.standard_normal((4, 4))
    for b in (rng.standard_normal(4), rng.standard_normal((4, 3))):
        _close(fsl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit),
               sla.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit))
    batched = np.eye(4) * 3 + rng.standard_normal((2, 4, 4))
    bb = rng.standard_normal((2, 4, 2))
    want = np.stack([sla.solve_triangular(m, v, trans=trans, lower=lower, unit_diagonal=unit)
                     for m, v in zip(batched, bb)])
    _close(fsl.solve_triangular(batched, bb, trans=trans, lower=lower, unit_diagonal=unit), want)


@pytest.mark.parametrize("lower", [True, False])
def test_cho_factor_and_solve_match_scipy(lower):
    rng = _rng()
    a = _spd(rng, (4, 4))
    c, low = fsl.cho_factor(a, lower=lower)
    sc, slow = sla.cho_factor(a, lower=lower)
    assert low == slow == lower
    mask = np.tril(np.ones((4, 4))) if lower else np.triu(np.ones((4, 4)))
    _close(np.asarray(c) * mask, sc * mask)
    for b in (rng.standard_normal(4), rng.standard_normal((4, 2))):
        _close(fsl.cho_solve((c, low), b), sla.cho_solve((sc, slow), b))


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (1, 1)], ids=str)
def test_lu_matches_scipy(shape):
    a = _rng().standard_normal(shape)
    for got, want in zip(fsl.lu(a), sla.lu(a)):
        _close(got, want)
    for got, want in zip(fsl.lu(a, permute_l=True), sla.lu(a, permute_l=True)):
        _close(got, want)
    if shape[0] == shape[1]:
        lu_, piv = fsl.lu_factor(a)
        slu, spiv = sla.lu_factor(a)
        _close(lu_, slu)
        np.testing.assert_array_equal(piv, spiv)


def test_lu_of_a_batch_and_of_a_singular_matrix():
    a = _rng().standard_normal((2, 3, 4, 4))
    p, l, u = fsl.lu(a)
    _close(np.asarray(p) @ np.asarray(l) @ np.asarray(u), a)
    sing = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    for got, want in zip(fsl.lu(sing), sla.lu(sing)):
        _close(got, want)


@pytest.mark.parametrize("trans", [0, 1, 2])
def test_lu_solve_matches_scipy(trans):
    rng = _rng()
    a = rng.standard_normal((5, 5))
    f, sf = fsl.lu_factor(a), sla.lu_factor(a)
    for b in (rng.standard_normal(5), rng.standard_normal((5, 2))):
        _close(fsl.lu_solve(f, b, trans=trans), sla.lu_solve(sf, b, trans=trans))


@pytest.mark.parametrize("scale", [0.01, 0.2, 1.0, 3.0, 30.0])
def test_expm_matches_scipy(scale):
    a = scale * _rng().standard_normal((4, 4))
    _close(fsl.expm(a), sla.expm(a), 1e-11 * max(1.0, np.abs(sla.expm(a)).max()))
    e = _rng(1).standard_normal((4, 4))
    got_expm, got_l = fsl.expm_frechet(a, e)
    want_expm, want_l = sla.expm_frechet(a, e)
    tol = 1e-9 * max(1.0, np.abs(want_l).max())
    _close(got_expm, want_expm, tol)
    _close(got_l, want_l, tol)


def test_expm_of_a_batch_and_edge_cases():
    a = _rng().standard_normal((2, 3, 3))
    _close(fsl.expm(a), np.stack([sla.expm(m) for m in a]))
    _close(fsl.expm(np.zeros((3, 3))), np.eye(3))
    _close(fsl.expm(np.diag([1.0, -2.0])), np.diag(np.exp([1.0, -2.0])))
    assert np.shape(fsl.expm(np.zeros((0, 0)))) == (0, 0)


def test_block_diag_matches_scipy():
    rng = _rng()
    parts = [rng.standard_normal((2, 3)), np.array([1.0, 2.0]), np.float64(5.0),
             rng.standard_normal((1, 1))]
    _close(fsl.block_diag(*parts), sla.block_diag(*parts))
    _close(fsl.block_diag(np.eye(2)), sla.block_diag(np.eye(2)))
    assert np.asarray(fsl.block_diag(np.ones((1, 1), int), np.ones((1, 1)))).dtype == np.float64


# --- derivatives (finite differences, order 2, forward and reverse) -------------------------

def _f_eigvals(a):
    return jnp.sum(jnp.sin(L.eigvalsh(a)))


def _f_eigh_invariant(a):
    w, v = L.eigh(a)  # V diag(f(w)) Vᵀ is a matrix function: basis-invariant
    return (v * jnp.exp(0.3 * w)[..., None, :]) @ jnp.swapaxes(v, -1, -2)


def _f_eigh_squares(a):
    w, v = L.eigh(a)  # |v|² products are invariant to each column's sign
    return (v * v) @ jnp.arange(1.0, v.shape[-1] + 1)


def _f_svd_values(a):
    return L.svdvals(a) ** 2


def _f_svd_invariant(a):
    u, s, vh = L.svd(a, full_matrices=False)  # U g(S) Vᵀ, invariant to joint signs
    return (u * jnp.tanh(s)[..., None, :]) @ vh


def _f_svd_squares(a):
    u, s, vh = L.svd(a, full_matrices=False)
    return jnp.sum(u * u, axis=-1), jnp.sum(vh * vh * s[..., :, None], axis=-2)


def _f_qr(a):
    q, r = L.qr(a)
    return q, r


GRAD_CASES = [
    ("eigvalsh", _f_eigvals, [(4, 4), (2, 3, 3)], _sym),
    ("eigh_invariant", _f_eigh_invariant, [(3, 3), (2, 3, 3)], _sym),
    ("eigh_squares", _f_eigh_squares, [(4, 4)], _sym),
    ("eigh_lower_triangle", lambda a: L.eigh(a, symmetrize_input=False)[0], [(3, 3)], _sym),
    ("svdvals", _f_svd_values, [(4, 4), (5, 3), (2, 3, 5)], None),
    ("svd_invariant", _f_svd_invariant, [(3, 3), (5, 3), (3, 5), (2, 4, 3)], None),
    ("svd_squares", _f_svd_squares, [(4, 3), (3, 4)], None),
    ("qr", _f_qr, [(4, 4), (5, 3), (2, 4, 2)], None),
    ("qr_r", lambda a: L.qr(a, "r"), [(5, 3)], None),
    ("pinv", L.pinv, [(4, 4), (5, 3), (3, 5), (2, 4, 3)], None),
    ("lstsq", lambda a, b: L.lstsq(a, b)[:2], [((5, 3), (5, 2))], None),
    ("lstsq_wide", lambda a, b: L.lstsq(a, b)[0], [((3, 5), (3,))], None),
    ("matrix_power", lambda a: L.matrix_power(a, 5), [(3, 3)], None),
    ("matrix_power_negative", lambda a: L.matrix_power(a, -2), [(3, 3)], "well"),
    ("norm_2", lambda a: L.norm(a, 2), [(4, 3)], None),
    ("norm_-2", lambda a: L.norm(a, -2, axis=(0, 2)), [(3, 2, 4)], None),
    ("norm_nuc", lambda a: L.norm(a, "nuc"), [(3, 4)], None),
    ("cond", L.cond, [(2, 3, 3)], None),
    ("cond_fro", lambda a: L.cond(a, "fro"), [(3, 3)], "well"),
    ("multi_dot", lambda a, b, c: L.multi_dot([a, b, c]), [((3,), (3, 4), (4, 2))], None),
    ("tensorsolve", L.tensorsolve, [((2, 3, 6), (2, 3))], "well"),
    ("tensorinv", lambda a: L.tensorinv(a, 1), [(6, 2, 3)], "well"),
    ("solve_triangular", lambda a, b: fsl.solve_triangular(a, b, trans=1, lower=True),
     [((3, 3), (3, 2))], "well"),
    ("cho_solve", lambda a, b: fsl.cho_solve(fsl.cho_factor(a), b), [((3, 3), (3,))], "spd"),
    ("lu", lambda a: fsl.lu(a)[1:], [(4, 4), (4, 3), (3, 4), (2, 3, 3)], None),
    ("lu_solve", lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b, trans=1), [((4, 4), (4,))],
     None),
    ("expm", fsl.expm, [(3, 3), (2, 2, 2)], None),
    ("expm_large_norm", lambda a: fsl.expm(4.0 * a), [(3, 3)], None),
    ("expm_frechet", lambda a, e: fsl.expm_frechet(a, e, compute_expm=False),
     [((3, 3), (3, 3))], None),
]


def _sample(kind, rng, shape):
    if kind is None or len(shape) < 2:
        return rng.standard_normal(shape)
    if kind == "well":  # near the identity (of the matrix a tensor reshapes to)
        if shape[-1] == shape[-2]:
            eye = np.eye(shape[-1])
        else:
            n = int(np.sqrt(np.prod(shape)))
            eye = np.eye(n).reshape(shape)
        return eye + 0.3 * rng.standard_normal(shape)
    if kind == "spd":
        return _spd(rng, shape)
    return kind(rng, shape)


GRAD_PARAMS = [(name, f, v if isinstance(v[0], tuple) else (v,), kind)
               for name, f, variants, kind in GRAD_CASES for v in variants]


@pytest.mark.parametrize("name,f,shapes,kind", GRAD_PARAMS,
                         ids=[f"{c[0]}-{'x'.join(map(str, c[2][0]))}" for c in GRAD_PARAMS])
def test_derivatives_against_finite_differences(name, f, shapes, kind):
    rng = _rng(3)
    # the domain is the first argument's; the others are standard normal
    args = [_sample(kind if i == 0 else None, rng, s) for i, s in enumerate(shapes)]
    if name.startswith("expm"):
        args[0] = 0.5 * args[0]
    _grads(f, *args)


def test_eigvals_derivative():
    # first order, both modes; complex outputs (check_grads splits them)
    a = _rng().standard_normal((3, 3))
    check_grads(L.eigvals, (a,), order=1, modes=("fwd", "rev"), atol=1e-6, rtol=1e-6)
    check_grads(lambda a: jnp.abs(L.eigvals(a)), (a,), order=1, atol=1e-6, rtol=1e-6)
    # a gauge-free real function: the sum of the eigenvalues is the trace
    g = ftrans.grad(lambda a: jnp.real(jnp.sum(L.eigvals(a))))(a)
    _close(g, np.eye(3))
    # vmap of the derivative
    xs = _rng(1).standard_normal((4, 3, 3))
    f = ftrans.grad(lambda a: jnp.sum(jnp.abs(L.eigvals(a)) ** 2))
    _close(ftrans.vmap(f)(xs), np.stack([f(x) for x in xs]))


def test_eigvals_second_derivative_is_not_implemented_as_in_jax():
    # the eigenvalues' JVP is written with the eigenvectors (dw = diag(v⁻¹ dA v)),
    # whose derivative is not implemented: JAX raises here too
    a = _rng().standard_normal((3, 3))
    with pytest.raises(NotImplementedError, match="eig: the derivative of the eigenvectors"):
        ftrans.hessian(lambda a: jnp.sum(jnp.real(L.eigvals(a))))(a)


def test_eig_eigenvector_derivative_is_not_implemented():
    a = _rng().standard_normal((3, 3))
    with pytest.raises(NotImplementedError, match="eig: the derivative of the eigenvectors"):
        ftrans.jvp(lambda a: jnp.abs(L.eig(a)[1]), (a,), (a,))


# --- degenerate cases (as JAX documents and computes them) --------------------------------

def test_eigenvalue_derivatives_are_finite_at_repeated_eigenvalues():
    a = np.diag([1.0, 1.0, 3.0])
    # d/dA sum(w²) = 2 V diag(w) Vᵀ = 2A at any basis of the repeated eigenspace
    g = ftrans.grad(lambda a: jnp.sum(L.eigvalsh(a) ** 2))(a)
    _close(g, 2 * a)
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    _, dw = ftrans.jvp(L.eigvalsh, (a,), (np.diag([0.5, 0.2, 1.0]),))
    _close(np.sort(np.asarray(dw)), [0.2, 0.5, 1.0])
    # in a direction that splits the pair the derivative is one-sided; still finite
    _, dw = ftrans.jvp(L.eigvalsh, (a,), (t,))
    assert np.all(np.isfinite(np.asarray(dw)))
    # the trace (sum of eigenvalues) is exactly linear
    _close(ftrans.grad(lambda a: jnp.sum(L.eigvalsh(a)))(a), np.eye(3))


def test_eigenvector_derivatives_are_not_finite_at_repeated_eigenvalues():
    # JAX: the eigenvector JVP divides by w_j - w_i = 0 (nan/inf); so do we
    a = np.diag([1.0, 1.0, 3.0])
    with np.errstate(all="ignore"):
        _, dv = ftrans.jvp(lambda a: L.eigh(a)[1], (a,), (np.ones((3, 3)),))
        jac = ftrans.jacfwd(lambda a: L.eigh(a)[1])(a)
    assert not np.all(np.isfinite(np.asarray(dv)))
    assert not np.all(np.isfinite(np.asarray(jac)))
    # the entries that involve only the simple eigenvalue are finite
    assert np.all(np.isfinite(np.asarray(dv)[:2, 2]))


def test_singular_value_derivatives_at_repeated_singular_values():
    eye = np.eye(3)
    _close(ftrans.grad(lambda a: jnp.sum(L.svdvals(a)))(eye), eye)
    with np.errstate(all="ignore"):
        jac = ftrans.jacfwd(lambda a: L.svd(a)[0])(eye)
    assert not np.all(np.isfinite(np.asarray(jac)))


def test_basis_invariant_function_at_distinct_eigenvalues_matches_the_matrix_function():
    # V diag(exp w) Vᵀ = expm(A) for symmetric A: the derivatives agree
    a = _sym(_rng(5), (3, 3))
    t = _sym(_rng(6), (3, 3))
    _, d1 = ftrans.jvp(lambda a: _f_eigh_invariant(a / 0.3), (a,), (t,))
    _, d2 = ftrans.jvp(fsl.expm, (a,), (t,))
    _close(d1, d2, 1e-9)


# --- vmap and jit ---------------------------------------------------------------------------

TRANSFORM_CASES = [
    ("eigh", lambda a: L.eigh(a), (3, 3), _sym),
    ("eigvalsh", L.eigvalsh, (3, 3), _sym),
    ("svd", lambda a: L.svd(a, full_matrices=False), (4, 3), None),
    ("svd_full", lambda a: L.svd(a), (3, 4), None),
    ("svdvals", L.svdvals, (3, 4), None),
    ("qr", lambda a: L.qr(a), (4, 3), None),
    ("eig", lambda a: L.eig(a), (3, 3), None),
    ("eigvals", L.eigvals, (3, 3), None),
    ("lstsq", lambda a: L.lstsq(a, np.arange(4.0)), (4, 3), None),
    ("pinv", L.pinv, (4, 3), None),
    ("matrix_power", lambda a: L.matrix_power(a, 3), (3, 3), None),
    ("matrix_rank", L.matrix_rank, (3, 4), None),
    ("cond", L.cond, (3, 3), None),
    ("norm_nuc", lambda a: L.norm(a, "nuc"), (3, 4), None),
    ("norm_2", lambda a: L.norm(a, 2), (3, 4), None),
    ("multi_dot", lambda a: L.multi_dot([a, a.T, a]), (3, 4), None),
    ("tensorsolve", lambda a: L.tensorsolve(a, np.ones((2, 2))), (2, 2, 4), "well"),
    ("tensorinv", lambda a: L.tensorinv(a, 1), (4, 2, 2), "well"),
    ("solve_triangular", lambda a: fsl.solve_triangular(a, np.ones(3), lower=True), (3, 3),
     "well"),
    ("cho_solve", lambda a: fsl.cho_solve(fsl.cho_factor(a, lower=True), np.ones(3)), (3, 3),
     "spd"),
    ("lu", lambda a: fsl.lu(a), (4, 3), None),
    ("lu_factor", lambda a: fsl.lu_factor(a), (3, 3), None),
    ("lu_solve", lambda a: fsl.lu_solve(fsl.lu_factor(a), np.ones(3)), (3, 3), None),
    ("expm", fsl.expm, (3, 3), None),
    ("expm_frechet", lambda a: fsl.expm_frechet(a, a.T, compute_expm=False), (3, 3), None),
    ("block_diag", lambda a: fsl.block_diag(a, a[0]), (2, 3), None),
]


def _tree_close(got, want, tol=1e-12):
    g, w = ftrans.tree_util.tree_leaves(got), ftrans.tree_util.tree_leaves(want)
    assert len(g) == len(w)
    for x, y in zip(g, w):
        assert np.shape(x) == np.shape(y) and np.asarray(x).dtype == np.asarray(y).dtype
        _close(x, y, tol)


@pytest.mark.parametrize("name,f,shape,kind", TRANSFORM_CASES,
                         ids=[c[0] for c in TRANSFORM_CASES])
def test_vmap_and_jit(name, f, shape, kind):
    rng = _rng(7)
    xs = np.stack([_sample(kind, rng, shape) for _ in range(3)])
    loop = [f(x) for x in xs]
    want = ftrans.tree_util.tree_map(lambda *ys: np.stack([np.asarray(y) for y in ys]), *loop)
    _tree_close(ftrans.vmap(f)(xs), want)
    _tree_close(ftrans.jit(f)(xs[0]), loop[0])
    _tree_close(ftrans.jit(ftrans.vmap(f))(xs), want)


def test_vmap_of_grad_through_eigh_and_svd():
    rng = _rng(8)
    xs = np.stack([_sym(rng, (3, 3)) for _ in range(4)])

    def f(a):
        return jnp.sum(_f_eigh_invariant(a) ** 2) + jnp.sum(L.svdvals(a) ** 3)

    want = np.stack([ftrans.grad(f)(x) for x in xs])
    _close(ftrans.vmap(ftrans.grad(f))(xs), want)
    _close(ftrans.jit(ftrans.vmap(ftrans.grad(f)))(xs), want)


def test_cost_analysis_counts_the_decompositions():
    a = np.ones((2, 8, 8))
    for f in (L.eigvalsh, L.svdvals, lambda a: L.qr(a), lambda a: fsl.lu(a), fsl.expm,
              L.eigvals):
        assert ftrans.cost_analysis(f, a).flops >= 2 * 8 ** 3


# --- errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("name,f", [("eigh", L.eigh), ("eigvalsh", L.eigvalsh),
                                    ("eig", L.eig), ("eigvals", L.eigvals),
                                    ("matrix_power", lambda a: L.matrix_power(a, 2)),
                                    ("expm", fsl.expm), ("cho_factor", fsl.cho_factor),
                                    ("lu_factor", lambda a: fsl.lu_solve((a, [0, 1, 2]),
                                                                         np.ones(3)))])
def test_non_square_input_names_the_function_and_shape(name, f):
    with pytest.raises(np.linalg.LinAlgError, match=r"\(2, 3\)"):
        f(np.ones((2, 3)))


@pytest.mark.parametrize("name,f", [("svd", L.svd), ("qr", L.qr), ("pinv", L.pinv),
                                    ("cond", L.cond), ("lu", fsl.lu)])
def test_vector_input_names_the_function_and_shape(name, f):
    with pytest.raises(np.linalg.LinAlgError, match=rf"{name}: .*\(3,\)"):
        f(np.ones(3))


def test_primitive_shape_rules_name_the_primitive():
    for f, name in ((lax.eigh, "eigh"), (lax.eig, "eig"), (lax.expm, "expm")):
        with pytest.raises(TypeError, match=rf"{name}: .*f64\[2,3\]"):
            ftrans.make_jaxpr(f)(np.ones((2, 3)))
    for f, name in ((lax.svd, "svd"), (lax.qr, "qr"), (lax.lu, "lu")):
        with pytest.raises(TypeError, match=rf"{name}: .*f64\[3\]"):
            ftrans.make_jaxpr(f)(np.ones(3))
        with pytest.raises(TypeError, match=rf"{name}: .*i64\[3,3\]"):
            ftrans.make_jaxpr(f)(np.ones((3, 3), np.int64))
    with pytest.raises(TypeError, match=r"expm_frechet: .*f64\[3,3\].*f64\[2,2\]"):
        ftrans.make_jaxpr(lax.expm_frechet)(np.ones((3, 3)), np.ones((2, 2)))


def test_unimplemented_derivatives_say_what_to_do():
    x = _rng().standard_normal((4, 2))
    with pytest.raises(NotImplementedError, match=r"svd: .*full_matrices=False"):
        ftrans.jvp(lambda a: L.svd(a)[0], (x,), (x,))
    with pytest.raises(NotImplementedError, match=r"qr: .*f64\[2,4\]"):
        ftrans.jvp(lambda a: L.qr(a)[0], (x.T,), (x.T,))
    with pytest.raises(NotImplementedError, match=r"qr: .*full_matrices=True"):
        ftrans.jvp(lambda a: L.qr(a, "complete")[0], (x,), (x,))
    # (as in JAX, even if only the singular values are used: use svdvals)
    ftrans.grad(lambda a: jnp.sum(L.svdvals(a)))(x)


def test_bad_arguments():
    with pytest.raises(NotImplementedError, match="mode='raw'"):
        L.qr(np.eye(2), "raw")
    with pytest.raises(ValueError, match="qr: unrecognized mode 'full'"):
        L.qr(np.eye(2), "full")
    with pytest.raises(ValueError, match="UPLO"):
        L.eigh(np.eye(2), UPLO="X")
    with pytest.raises(TypeError, match="matrix_power: the exponent must be an integer"):
        L.matrix_power(np.eye(2), 1.5)
    with pytest.raises(ValueError, match="multi_dot: needs at least two"):
        L.multi_dot([np.eye(2)])
    with pytest.raises(ValueError, match=r"multi_dot: array 1 has shape \(2, 2, 2\)"):
        L.multi_dot([np.eye(2), np.ones((2, 2, 2)), np.eye(2)])
    with pytest.raises(np.linalg.LinAlgError, match=r"tensorinv: a of shape \(2, 3\)"):
        L.tensorinv(np.ones((2, 3)), 1)
    with pytest.raises(np.linalg.LinAlgError, match="tensorsolve"):
        L.tensorsolve(np.ones((2, 3)), np.ones(2))
    with pytest.raises(np.linalg.LinAlgError, match=r"lstsq: .*\(2, 3, 3\)"):
        L.lstsq(np.ones((2, 3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="solve_triangular: trans"):
        fsl.solve_triangular(np.eye(2), np.ones(2), trans=3)
    with pytest.raises(ValueError, match=r"solve_triangular: b .* needs 2 rows"):
        fsl.solve_triangular(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match=r"block_diag: argument 0 has shape \(1, 1, 1\)"):
        fsl.block_diag(np.ones((1, 1, 1)))


def test_matrix_rank_is_an_integer_with_no_derivative():
    a = _rng().standard_normal((3, 3))
    r = L.matrix_rank(a)
    assert np.asarray(r).dtype.kind == "i"
    with pytest.raises(TypeError):
        ftrans.grad(L.matrix_rank)(a)


def test_lstsq_numpy_resid_needs_a_concrete_input():
    with pytest.raises(ftrans.ConcretizationError):
        ftrans.jit(lambda a: L.lstsq(a, np.ones(3), numpy_resid=True))(np.eye(3))


def test_pinv_derivative_is_finite_at_repeated_singular_values():
    # Golub-Pereyra (as JAX's custom JVP), not the SVD's rule: at an orthogonal
    # matrix (all singular values 1) pinv = inv, and so are the derivatives
    q, _ = np.linalg.qr(_rng(9).standard_normal((3, 3)))
    g = ftrans.grad(lambda a: jnp.sum(L.pinv(a) ** 2))(q)
    _close(g, ftrans.grad(lambda a: jnp.sum(L.inv(a) ** 2))(q))
    _grads(L.pinv, q)
    tall, _ = np.linalg.qr(_rng(9).standard_normal((4, 2)))
    _grads(L.pinv, tall)


def _complex(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _hermitian(rng, shape):
    m = _complex(rng, shape)
    return m + np.conj(np.swapaxes(m, -1, -2))


def _f_eigh_invariant_complex(a):
    w, v = L.eigh(a)  # V diag(f(w)) Vᴴ: invariant to each eigenvector's phase
    return (v * jnp.exp(0.3 * w)[..., None, :]) @ jnp.conj(jnp.swapaxes(v, -1, -2))


def _f_svd_invariant_complex(a):
    u, s, vh = L.svd(a, full_matrices=False)
    return (u * jnp.tanh(s)[..., None, :]) @ vh, jnp.abs(u) ** 2


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)], ids=str)
def test_complex_eigh_derivatives(shape):
    h = _hermitian(_rng(10), shape)
    _grads(L.eigvalsh, h)
    _grads(_f_eigh_invariant_complex, h)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4)], ids=str)
def test_complex_svd_derivatives(shape):
    x = _complex(_rng(11), shape)
    _grads(L.svdvals, x)
    _grads(_f_svd_invariant_complex, x)


def test_complex_pinv_matches_numpy_and_differentiates():
    x = _complex(_rng(12), (4, 3))
    _close(L.pinv(x), np.linalg.pinv(x))
    _grads(L.pinv, x)


def test_complex_qr_and_lu_derivatives_say_they_are_not_implemented():
    x = _complex(_rng(13), (3, 3))
    for f in (lambda a: L.qr(a)[0], lambda a: fsl.lu(a)[1]):
        with pytest.raises(NotImplementedError, match="complex"):
            ftrans.jvp(f, (x,), (x,))


def test_basis_invariant_function_at_repeated_eigenvalues_is_not_finite_as_in_jax():
    # JAX gives nan here too: the eigenvector JVP divides by zero before the
    # invariant combination could cancel it; eigvalsh is the way
    a = np.diag([1.0, 1.0, 3.0])
    with np.errstate(all="ignore"):
        g = ftrans.grad(lambda a: jnp.trace(_f_eigh_invariant(a)))(a)
    assert not np.all(np.isfinite(np.asarray(g)))
    g = ftrans.grad(lambda a: jnp.sum(jnp.exp(0.3 * L.eigvalsh(a))))(a)
    _close(g, np.diag(0.3 * np.exp(0.3 * np.diag(a))))
