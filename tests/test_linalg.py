"""ftrans.numpy.linalg against numpy, and its derivatives against closed forms
from matrix calculus (d det A = det A tr(A⁻¹ dA), d A⁻¹ = -A⁻¹ dA A⁻¹, ...),
plus second-order checks on every function. The primitives' own rules are
checked row by row in tests/prim_table/linalg.py."""

import numpy as np
import pytest

import ftrans
from ftrans import lax
from ftrans.numpy import linalg as jla
from ftrans.test_util import check_grads


def _total(x):
    return lax.reduce_sum(x, tuple(range(np.ndim(x) if not hasattr(x, "aval")
                                         else x.ndim)))


def _well(rng, *shape):
    n = shape[-1]
    return np.eye(n) + 0.4 * rng.standard_normal(shape) / np.sqrt(n)


def _spd(rng, *shape):
    m = rng.standard_normal(shape)
    s = m @ np.swapaxes(m, -1, -2) / shape[-1] + np.eye(shape[-1])
    return (s + np.swapaxes(s, -1, -2)) / 2


def _inv_t(a):
    return np.swapaxes(np.linalg.inv(a), -1, -2)


# --- forward values against numpy ---------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 3, 3)])
def test_inv_det_slogdet_cholesky_match_numpy(rng, shape):
    a = _well(rng, *shape)
    a[..., 0, :] *= -1  # negative determinants too
    np.testing.assert_allclose(jla.inv(a), np.linalg.inv(a), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(jla.det(a), np.linalg.det(a), rtol=1e-12)
    sign, logabsdet = jla.slogdet(a)
    want = np.linalg.slogdet(a)
    np.testing.assert_array_equal(sign, want.sign)
    np.testing.assert_allclose(logabsdet, want.logabsdet, rtol=1e-12, atol=1e-12)
    s = _spd(rng, *shape)
    np.testing.assert_allclose(jla.cholesky(s), np.linalg.cholesky(s), rtol=1e-12)
    np.testing.assert_allclose(jla.cholesky(s, upper=True),
                               np.linalg.cholesky(s, upper=True), rtol=1e-12)


@pytest.mark.parametrize("a_shape, b_shape", [
    ((3, 3), (3,)),          # vector
    ((3, 3), (3, 2)),        # matrix
    ((2, 3, 3), (3,)),       # numpy 2: 1-D b is a vector for every matrix
    ((2, 3, 3), (3, 4)),     # b broadcast over a's batch
    ((3, 3), (5, 3, 2)),     # a broadcast over b's batch
    ((2, 1, 3, 3), (4, 3, 1)),
])
def test_solve_matches_numpy_broadcasting(rng, a_shape, b_shape):
    a, b = _well(rng, *a_shape), rng.standard_normal(b_shape)
    got, want = jla.solve(a, b), np.linalg.solve(a, b)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_integer_inputs_are_promoted_to_float():
    a = np.array([[1, 2], [3, 4]])
    assert jla.det(a).dtype == np.float64
    np.testing.assert_allclose(jla.inv(a), np.linalg.inv(a))
    np.testing.assert_allclose(jla.solve(a, np.array([1, 1])),
                               np.linalg.solve(a, np.array([1.0, 1.0])))


_NORMS = [
    ((5,), None, None), ((5,), 1, None), ((5,), np.inf, None), ((5,), -np.inf, None),
    ((5,), 0, None), ((5,), 3, None), ((5,), 0.5, None),
    ((3, 4), None, None), ((3, 4), "fro", None), ((3, 4), 1, None),
    ((3, 4), np.inf, None), ((3, 4), -1, None), ((3, 4), -np.inf, None),
    ((2, 3, 4), None, None), ((2, 3, 4), None, 1), ((2, 3, 4), 1, -1),
    ((2, 3, 4), np.inf, (2, 0)), ((2, 3, 4), 1, (0, 2)), ((2, 3, 4), "fro", (1, 2)),
]


@pytest.mark.parametrize("shape, ord, axis", _NORMS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_matches_numpy(rng, shape, ord, axis, keepdims):
    x = rng.standard_normal(shape)
    got = jla.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    want = np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_vector_and_matrix_norm_match_numpy(rng):
    x = rng.standard_normal((2, 3, 4))
    for kw in [{}, {"ord": 1}, {"axis": (0, 2), "ord": np.inf}, {"axis": 1},
               {"keepdims": True}, {"axis": (2, 0), "keepdims": True, "ord": 3}]:
        np.testing.assert_allclose(jla.vector_norm(x, **kw),
                                   np.linalg.vector_norm(x, **kw), rtol=1e-12)
    for kw in [{}, {"ord": 1}, {"ord": -np.inf, "keepdims": True}]:
        np.testing.assert_allclose(jla.matrix_norm(x, **kw),
                                   np.linalg.matrix_norm(x, **kw), rtol=1e-12)


def test_matrix_transpose_and_lax_namespace(rng):
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(jla.matrix_transpose(x), np.swapaxes(x, -1, -2))
    a = np.triu(_well(rng, 3, 3))
    b = rng.standard_normal((3, 2))
    np.testing.assert_allclose(
        ftrans.lax.linalg.triangular_solve(a, b, left_side=True), np.linalg.solve(a, b),
        rtol=1e-12)


# --- gradients against closed forms -------------------------------------------

def test_grad_det_is_det_times_inverse_transpose(rng):
    a = _well(rng, 2, 4, 4)
    g = ftrans.grad(lambda a: _total(jla.det(a)))(a)
    want = np.linalg.det(a)[:, None, None] * _inv_t(a)
    np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-12)


def test_grad_logabsdet_is_inverse_transpose(rng):
    a = _well(rng, 2, 4, 4)
    a[0, 0, :] *= -1  # the sign does not matter
    g = ftrans.grad(lambda a: _total(jla.slogdet(a).logabsdet))(a)
    np.testing.assert_allclose(g, _inv_t(a), rtol=1e-10, atol=1e-12)


def test_grad_of_inverse_contracted_with_c(rng):
    a, c = _well(rng, 4, 4), rng.standard_normal((4, 4))
    g = ftrans.grad(lambda a: _total(lax.mul(jla.inv(a), c)))(a)
    a_inv_t = _inv_t(a)
    np.testing.assert_allclose(g, -(a_inv_t @ c @ a_inv_t), rtol=1e-10, atol=1e-12)


def test_jvp_of_inverse(rng):
    a, da = _well(rng, 2, 3, 3), rng.standard_normal((2, 3, 3))
    out, t = ftrans.jvp(jla.inv, (a,), (da,))
    a_inv = np.linalg.inv(a)
    np.testing.assert_allclose(out, a_inv, rtol=1e-12)
    np.testing.assert_allclose(t, -(a_inv @ da @ a_inv), rtol=1e-10, atol=1e-12)


def test_second_derivative_of_logabsdet(rng):
    # d/dA <A⁻ᵀ, .> in direction E is -(A⁻¹ E A⁻¹)ᵀ
    a, e = _well(rng, 3, 3), rng.standard_normal((3, 3))
    g = ftrans.grad(lambda a: jla.slogdet(a).logabsdet)
    _, hvp = ftrans.jvp(g, (a,), (e,))
    a_inv = np.linalg.inv(a)
    np.testing.assert_allclose(hvp, -(a_inv @ e @ a_inv).T, rtol=1e-10, atol=1e-12)


def test_grad_of_solve_in_both_arguments(rng):
    a, b, c = _well(rng, 3, 3), rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    ga, gb = ftrans.grad(lambda a, b: _total(lax.mul(jla.solve(a, b), c)),
                         argnums=(0, 1))(a, b)
    x = np.linalg.solve(a, b)
    np.testing.assert_allclose(gb, _inv_t(a) @ c, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ga, -(_inv_t(a) @ c) @ x.T, rtol=1e-10, atol=1e-12)


def test_jvp_of_cholesky_solves_the_product_rule(rng):
    # dL is lower triangular with dL Lᵀ + L dLᵀ = sym(dA)
    s, ds = _spd(rng, 2, 4, 4), rng.standard_normal((2, 4, 4))
    L, dL = ftrans.jvp(jla.cholesky, (s,), (ds,))
    np.testing.assert_array_equal(dL, np.tril(dL))
    lhs = dL @ np.swapaxes(L, -1, -2) + L @ np.swapaxes(dL, -1, -2)
    np.testing.assert_allclose(lhs, (ds + np.swapaxes(ds, -1, -2)) / 2,
                               rtol=1e-10, atol=1e-12)


def test_grad_of_norm(rng):
    x = rng.standard_normal((3, 4))
    np.testing.assert_allclose(ftrans.grad(jla.norm)(x), x / np.linalg.norm(x),
                               rtol=1e-12)
    g = ftrans.grad(lambda x: _total(jla.norm(x, ord=1, axis=1)))(x)
    np.testing.assert_array_equal(g, np.sign(x))


def test_gradients_use_the_rules_not_a_factorization(rng):
    a = _well(rng, 3, 3)
    closed = ftrans.make_jaxpr(ftrans.grad(lambda a: jla.slogdet(a).logabsdet))(a)
    names = {e.primitive.name for e in closed.eqns}
    assert "solve" in names
    assert names <= {"slogdet", "solve", "transpose", "mul", "broadcast_in_dim",
                     "reduce_sum", "reshape"}, names


# --- second order, forward and reverse ----------------------------------------

_SECOND_ORDER = [
    ("inv", lambda a, b: jla.inv(a)),
    ("solve_vector", lambda a, b: jla.solve(a, lax.reduce_sum(b, (0, 2)))),
    ("solve_matrix", jla.solve),
    ("det", lambda a, b: jla.det(a)),
    ("slogdet", lambda a, b: jla.slogdet(a)),
    ("cholesky_of_gram", lambda a, b: jla.cholesky(
        lax.add(lax.dot_general(a, a, (((2,), (2,)), ((0,), (0,)))),
                np.broadcast_to(np.eye(3), (2, 3, 3))))),
    ("norm", lambda a, b: jla.norm(b)),
    ("norm_fro_keepdims", lambda a, b: jla.norm(a, "fro", (1, 2), keepdims=True)),
    ("norm_p3", lambda a, b: jla.norm(b, ord=3, axis=1)),
]


@pytest.mark.parametrize("name, f", _SECOND_ORDER, ids=[n for n, _ in _SECOND_ORDER])
def test_check_grads_order_two_batched(rng, name, f):
    a, b = _well(rng, 2, 3, 3), rng.standard_normal((2, 3, 1))
    b = b + np.sign(b)  # away from norm's kinks at 0
    check_grads(f, (a, b), order=2)


# --- errors -------------------------------------------------------------------

def test_dot_general_errors_name_types_and_shapes():
    x, y = np.ones((3, 4)), np.ones((5, 2), dtype=np.float32)
    with pytest.raises(TypeError, match=r"f64\[3,4\] and f32\[5,2\]"):
        lax.dot_general(x, y, (((1,), (0,)), ((), ())))
    with pytest.raises(TypeError, match=r"lhs axis 1 has size 4, rhs axis 0 has "
                                        r"size 5.*f64\[3,4\] and f64\[5,2\]"):
        lax.dot_general(x, y.astype(np.float64), (((1,), (0,)), ((), ())))
    with pytest.raises(TypeError, match=r"batch axes have different sizes"):
        lax.dot_general(np.ones((2, 3)), np.ones((4, 3)), (((1,), (1,)), ((0,), (0,))))


def test_matrix_errors():
    with pytest.raises(TypeError, match=r"solve: expected .* square .* f64\[3,2\]"):
        lax.solve(np.ones((3, 2)), np.ones((3, 1)))
    with pytest.raises(TypeError, match=r"right-hand side f64\[4,1\] does not fit"):
        lax.solve(np.eye(3), np.ones((4, 1)))
    with pytest.raises(ValueError, match=r"solve: b of shape \(4,\)"):
        jla.solve(np.eye(3), np.ones(4))
    with pytest.raises(np.linalg.LinAlgError):
        jla.cholesky(-np.eye(2))
