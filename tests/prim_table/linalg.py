"""Rows of the primitive table for ftrans/prims/linalg.py.

The matrix primitives are sampled on well-conditioned inputs: ``identity +
small noise`` for solves and determinants, symmetric positive-definite
matrices for ``cholesky``. ``dot_general`` rows cover each shape of
contraction, including batch axes that are not leading and contracting axes
listed out of order (which exercise the transpose rules' axis bookkeeping).
"""

import numpy as np

from ftrans import lax
from tests.prim_table import Case


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
