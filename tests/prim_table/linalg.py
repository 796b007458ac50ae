"""Rows of the primitive table for ftrans/prims/linalg.py.

The matrix primitives are sampled on well-conditioned inputs: ``identity +
small noise`` for solves and determinants, symmetric positive-definite
matrices for ``cholesky``. ``dot_general`` rows cover each shape of
contraction, including batch axes that are not leading and contracting axes
listed out of order (which exercise the transpose rules' axis bookkeeping).
"""

import numpy as np

from ftrans import lax
from tests.prim_table import Case, normal


def well_conditioned(rng, shape):
    """Square matrices near the identity; other shapes standard normal."""
    x = rng.standard_normal(shape)
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        n = shape[-1]
        return np.eye(n) + 0.4 * x / np.sqrt(n)
    return x


def negative_det(rng, shape):
    """Well-conditioned matrices whose determinant is negative."""
    x = well_conditioned(rng, shape)
    x[..., 0, :] *= -1
    return x


def spd(rng, shape):
    """Exactly symmetric positive-definite matrices."""
    m = rng.standard_normal(shape)
    s = m @ np.swapaxes(m, -1, -2) / shape[-1] + np.eye(shape[-1])
    return (s + np.swapaxes(s, -1, -2)) / 2


def _dot(dims, ref, shapes, name, **kw):
    return Case("dot_general", lambda x, y: lax.dot_general(x, y, dims, **kw),
                shapes, ref=ref, linear_args=(0, 1), name=name)


_DOT_ROWS = [
    _dot((((1,), (0,)), ((), ())), np.matmul, ((3, 4), (4,)), "matvec"),
    _dot((((0,), (0,)), ((), ())), np.matmul, ((4,), (4, 3)), "vecmat"),
    _dot((((0,), (0,)), ((), ())), np.dot, ((4,), (4,)), "vecvec"),
    _dot((((1,), (0,)), ((), ())), np.matmul, ((3, 4), (4, 5)), "matmat"),
    _dot((((0,), (1,)), ((), ())), lambda x, y: x.T @ y.T, ((4, 3), (5, 4)),
         "transposed"),
    _dot((((), ()), ((), ())), np.multiply.outer, ((3,), (2,)), "outer"),
    _dot((((), ()), ((), ())), np.multiply.outer, ((2, 3), (2,)), "outer2d"),
    _dot((((2,), (1,)), ((0,), (0,))), np.matmul, ((2, 3, 4), (2, 4, 5)), "bmm"),
    _dot((((2,), (0,)), ((1,), (2,))),
         lambda x, y: np.einsum("ibk,kjb->bij", x, y), ((3, 2, 4), (4, 5, 2)),
         "batch_not_leading"),
    _dot((((1, 2), (1, 0)), ((), ())),
         lambda x, y: np.einsum("ijk,kjl->il", x, y), ((2, 3, 4), (4, 3, 5)),
         "two_axes"),
    _dot((((2, 1), (1, 0)), ((), ())),
         lambda x, y: np.einsum("ijk,jkl->il", x, y), ((2, 3, 4), (3, 4, 5)),
         "two_axes_unsorted"),
    _dot((((3,), (0,)), ((0, 2), (2, 1))),
         lambda x, y: np.einsum("abcd,dcae->acbe", x, y),
         ((2, 3, 4, 5), (5, 4, 2, 6)), "two_batch_axes"),
    Case("dot_general", lambda x, y: lax.dot_general(x, y, (((1,), (0,)), ((), ()))),
         ((3, 4), (4, 2)), ref=np.matmul, dtypes=(np.int64, np.int64), order=0,
         name="int"),
    Case("dot_general", lambda x, y: lax.dot_general(x, y, (((1,), (0,)), ((), ())),
                                                     preferred_element_type=np.float64),
         ((3, 4), (4, 2)), ref=lambda x, y: (x @ y).astype(np.float64),
         dtypes=(np.int32, np.int32), order=0, name="preferred"),
]


def _tri(shapes, name, ref=None, **params):
    return Case("triangular_solve",
                lambda a, b: lax.triangular_solve(a, b, **params), shapes, ref=ref,
                domain=well_conditioned, linear_args=(1,), name=name)


def _tri_ref(a, b, left_side=False, lower=False, transpose_a=False,
             unit_diagonal=False):
    a = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        a = a - a * np.eye(a.shape[-1]) + np.eye(a.shape[-1])
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if left_side:
        return np.linalg.inv(a) @ b
    return b @ np.linalg.inv(a)


_TRI_ROWS = [
    _tri(((4, 4), (4, 2)), "left_lower", left_side=True, lower=True,
         ref=lambda a, b: _tri_ref(a, b, left_side=True, lower=True)),
    _tri(((4, 4), (4, 3)), "left_upper_transposed", left_side=True, transpose_a=True),
    _tri(((3, 3), (2, 3)), "right_lower", lower=True,
         ref=lambda a, b: _tri_ref(a, b, lower=True)),
    _tri(((3, 3), (2, 3)), "right_upper_unit", unit_diagonal=True,
         ref=lambda a, b: _tri_ref(a, b, unit_diagonal=True)),
    _tri(((3, 3), (2, 3)), "right_lower_transposed_unit", lower=True,
         transpose_a=True, unit_diagonal=True),
    _tri(((2, 3, 3), (2, 3, 2)), "batched_left_lower_transposed", left_side=True,
         lower=True, transpose_a=True),
    # under vmap with the matrix unbatched, the batch is folded into the rows of
    # the right-hand side, behind its own batch axes
    _tri(((2, 3, 3), (2, 4, 3)), "batched_right_upper",
         ref=lambda a, b: _tri_ref(a, b)),
]

CASES = _DOT_ROWS + _TRI_ROWS + [
    Case("cholesky", lax.cholesky, ((4, 4),), ref=np.linalg.cholesky, domain=spd),
    Case("cholesky", lax.cholesky, ((2, 3, 3),), ref=np.linalg.cholesky, domain=spd,
         name="batched"),
    Case("cholesky", lambda m: lax.cholesky(
        lax.add(lax.dot_general(m, m, (((1,), (1,)), ((), ()))), 3.0 * np.eye(3))),
        ((3, 3),), name="of_gram"),
    Case("solve", lax.solve, ((3, 3), (3, 2)), ref=np.linalg.solve,
         domain=well_conditioned, linear_args=(1,)),
    Case("solve", lax.solve, ((2, 4, 4), (2, 4, 1)), ref=np.linalg.solve,
         domain=well_conditioned, linear_args=(1,), name="batched"),
    Case("det", lax.det, ((3, 3),), ref=np.linalg.det, domain=well_conditioned),
    Case("det", lax.det, ((2, 3, 3),), ref=np.linalg.det, domain=negative_det,
         name="batched"),
    Case("det", lax.det, ((1, 1),), ref=np.linalg.det, domain=well_conditioned,
         name="1x1"),
    Case("slogdet", lax.slogdet, ((3, 3),), ref=lambda a: tuple(np.linalg.slogdet(a)),
         domain=well_conditioned),
    Case("slogdet", lax.slogdet, ((2, 3, 3),),
         ref=lambda a: tuple(np.linalg.slogdet(a)), domain=negative_det,
         name="batched_negative"),
]


# --- decompositions ---------------------------------------------------------------
#
# Eigenvectors and singular vectors are unique only up to sign, so the rows
# of eigh and svd return sign-invariant forms of them (their squares),
# beside the eigen- and singular values; random matrices have well-separated
# spectra. qr and lu factors are unique (numpy's sign convention, a fixed
# pivot order near the sample), so their rows return them directly.

def separated_symmetric(rng, shape):
    """Symmetric matrices with eigenvalues at least 0.5 apart."""
    n = shape[-1]
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    w = np.arange(n) + rng.uniform(0.0, 0.3, shape[:-1])
    s = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
    return (s + np.swapaxes(s, -1, -2)) / 2


def _eigh_invariants(a, **params):
    v, w = lax.eigh(a, **params)
    return w, lax.mul(v, v)


def _eigh_invariants_ref(a, lower=True, symmetrize_input=True):
    if symmetrize_input:
        a = (a + np.swapaxes(a, -1, -2)) / 2
    w, v = np.linalg.eigh(a, UPLO="L" if lower else "U")
    return w, v * v


def _svd_invariants(x):
    u, s, vh = lax.svd(x, full_matrices=False)
    return s, lax.mul(u, u), lax.mul(vh, vh)


def _svd_invariants_ref(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return s, u * u, vh * vh


def _lu_ref(x):
    import scipy.linalg
    if x.ndim == 2:
        return scipy.linalg.lu_factor(x)[0]
    return np.stack([scipy.linalg.lu_factor(m)[0] for m in x])


def _expm_ref(x):
    import scipy.linalg
    return scipy.linalg.expm(x)


def _expm_frechet_ref(a, e):
    import scipy.linalg
    return scipy.linalg.expm_frechet(a, e, compute_expm=False)


def scaled(factor):
    def sample(rng, shape):
        return factor * rng.standard_normal(shape)
    sample.__name__ = f"normal_times_{factor}"
    return sample


_DECOMP_ROWS = [
    Case("eigh", _eigh_invariants, ((4, 4),), ref=_eigh_invariants_ref,
         domain=separated_symmetric),
    Case("eigh", _eigh_invariants, ((2, 3, 3),), ref=_eigh_invariants_ref,
         domain=separated_symmetric, name="batched"),
    Case("eigh", lambda a: _eigh_invariants(a, symmetrize_input=False), ((3, 3),),
         ref=lambda a: _eigh_invariants_ref(a, symmetrize_input=False),
         domain=separated_symmetric, name="lower_triangle"),
    Case("eigh", lambda a: _eigh_invariants(a, lower=False, symmetrize_input=False),
         ((3, 3),), ref=lambda a: _eigh_invariants_ref(a, lower=False,
                                                        symmetrize_input=False),
         domain=separated_symmetric, name="upper_triangle"),
    Case("svd", lambda x: lax.svd(x, compute_uv=False), ((5, 3),),
         ref=lambda x: np.linalg.svd(x, compute_uv=False), name="values_tall"),
    Case("svd", lambda x: lax.svd(x, compute_uv=False), ((2, 3, 4),),
         ref=lambda x: np.linalg.svd(x, compute_uv=False), name="values_wide_batched"),
    Case("svd", _svd_invariants, ((3, 3),), ref=_svd_invariants_ref, name="square"),
    Case("svd", _svd_invariants, ((5, 3),), ref=_svd_invariants_ref, name="tall"),
    Case("svd", _svd_invariants, ((2, 3, 5),), ref=_svd_invariants_ref,
         name="wide_batched"),
    Case("svd", lambda x: lax.svd(x, full_matrices=True), ((4, 2),),
         ref=lambda x: tuple(np.linalg.svd(x)), order=0, name="full_tall"),
    Case("qr", lambda x: lax.qr(x), ((4, 4),),
         ref=lambda x: tuple(np.linalg.qr(x)), name="square"),
    Case("qr", lambda x: lax.qr(x, full_matrices=False), ((5, 3),),
         ref=lambda x: tuple(np.linalg.qr(x)), name="tall_reduced"),
    Case("qr", lambda x: lax.qr(x, full_matrices=False), ((2, 4, 2),),
         ref=lambda x: tuple(np.linalg.qr(x)), name="batched_tall_reduced"),
    Case("qr", lambda x: lax.qr(x), ((4, 2),),
         ref=lambda x: tuple(np.linalg.qr(x, mode="complete")), order=0,
         name="complete_tall"),
    Case("qr", lambda x: lax.qr(x), ((2, 4),),
         ref=lambda x: tuple(np.linalg.qr(x)), order=0, name="wide"),
    # eig's results are complex. As in JAX only the eigenvalues have a
    # derivative, and only a first one: it is written with the eigenvectors,
    # whose derivative is not implemented
    Case("eig", lambda x: lax.eig(x), ((4, 4),), ref=lambda x: tuple(np.linalg.eig(x)),
         order=0),
    Case("eig", lambda x: lax.eig(x, compute_eigenvectors=False), ((2, 3, 3),),
         ref=lambda x: (np.linalg.eigvals(x),), order=1, name="values_batched"),
    Case("lu", lambda x: lax.lu(x)[0], ((4, 4),), ref=_lu_ref),
    Case("lu", lambda x: lax.lu(x)[0], ((2, 3, 3),), ref=_lu_ref, name="batched"),
    Case("lu", lambda x: lax.lu(x)[0], ((5, 3),), name="tall"),
    Case("lu", lambda x: lax.lu(x)[0], ((3, 5),), name="wide"),
    Case("lu", lax.lu, ((4, 3),), order=0, name="all_results"),
    Case("expm", lax.expm, ((3, 3),), ref=_expm_ref, domain=scaled(0.3)),
    Case("expm", lax.expm, ((2, 3, 3),), ref=_expm_ref, domain=scaled(3.0),
         name="batched_squaring"),
    Case("expm_frechet", lax.expm_frechet, ((3, 3), (3, 3)), ref=_expm_frechet_ref,
         linear_args=(1,), domain=(scaled(0.5), normal)),
]

def hermitian_separated(rng, shape):
    """Complex Hermitian matrices with well-separated eigenvalues."""
    n = shape[-1]
    m = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    q, _ = np.linalg.qr(m)
    w = np.arange(n) + rng.uniform(0.0, 0.3, shape[:-1])
    h = (q * w[..., None, :]) @ np.conj(np.swapaxes(q, -1, -2))
    return (h + np.conj(np.swapaxes(h, -1, -2))) / 2


def complex_normal(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _abs2(x):
    return lax.real(lax.mul(x, lax.conj(x)))


def _eigh_phase_invariants(a):
    v, w = lax.eigh(a)
    return w, _abs2(v)


def _svd_phase_invariants(x):
    u, s, vh = lax.svd(x, full_matrices=False)
    return s, _abs2(u), _abs2(vh)


_DECOMP_ROWS += [
    # complex input: eigenvectors and singular vectors are unique up to a phase,
    # so the rows return their squared moduli
    Case("eigh", _eigh_phase_invariants, ((3, 3),), domain=hermitian_separated,
         dtypes=(np.complex128,), ref=lambda a: (np.linalg.eigvalsh(a),
                                                np.abs(np.linalg.eigh(a)[1]) ** 2),
         name="complex"),
    Case("svd", _svd_phase_invariants, ((4, 3),), domain=complex_normal,
         dtypes=(np.complex128,), name="complex_tall"),
]

CASES = CASES + _DECOMP_ROWS

# complex operands (real and imaginary parts sampled independently): the
# transposes are JAX's (no conjugation), checked under Re(sum(u * v))
_C = np.complex128
CASES += [
    Case("dot_general", lambda x, y: lax.dot_general(x, y, (((1,), (0,)), ((), ()))),
         ((3, 4), (4, 2)), ref=np.matmul, linear_args=(0, 1), dtypes=(_C, _C),
         name="complex"),
    Case("dot_general", lambda x, y: lax.dot_general(x, y, (((2,), (1,)), ((0,), (0,)))),
         ((2, 3, 4), (2, 4, 5)), ref=np.matmul, linear_args=(0, 1), dtypes=(_C, _C),
         name="complex_batched"),
    Case("solve", lax.solve, ((3, 3), (3, 2)), ref=np.linalg.solve,
         domain=well_conditioned, linear_args=(1,), dtypes=(_C, _C), name="complex"),
    Case("det", lax.det, ((3, 3),), ref=np.linalg.det, domain=well_conditioned,
         dtypes=(_C,), name="complex"),
    Case("det", lax.det, ((2, 3, 3),), ref=np.linalg.det, domain=well_conditioned,
         dtypes=(_C,), name="complex_batched"),
]
