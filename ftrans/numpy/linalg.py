"""``ftrans.numpy.linalg``: numpy.linalg's API (as ``jax.numpy.linalg``).

Each function converts its operands to floating point, broadcasts batch axes
as numpy does, then binds the linear-algebra primitives of
``ftrans/prims/linalg.py`` (``solve``, ``det``, ``slogdet``, ``cholesky``,
the decompositions ``eigh``, ``svd``, ``qr``, ``eig``) or composes primitives
(``norm``, ``pinv``, ``lstsq``, ``matrix_power``, ``cond``, ``multi_dot``,
``tensorsolve``, ``tensorinv``). Derivatives come
from the primitives' matrix-calculus rules: ``inv`` is ``solve(a, I)``, whose
rule gives exactly ``d(A⁻¹) = -A⁻¹ dA A⁻¹``.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from ftrans import lax
from ftrans.core import get_aval
from ftrans.custom_derivatives import custom_jvp
from ftrans.dtypes import to_inexact
from ftrans.numpy import _indexing, _linalg_ops, _sorting
from ftrans.numpy import _reductions as _r
from ftrans.numpy import _shape as _s
from ftrans.numpy import _ufuncs as _u
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike, Axis

__all__ = ["inv", "solve", "det", "slogdet", "cholesky", "norm", "vector_norm",
           "matrix_norm", "matrix_transpose", "SlogdetResult", "eigh", "eigvalsh", "eig",
           "eigvals", "svd", "svdvals", "qr", "lstsq", "pinv", "matrix_power",
           "matrix_rank", "cond", "multi_dot", "tensorsolve", "tensorinv", "EighResult",
           "EigResult", "SVDResult", "QRResult"]


class SlogdetResult(NamedTuple):
    """The result of ``slogdet``: ``sign`` and ``logabsdet``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> float(jnp.linalg.slogdet(np.diag([-2.0, 1.0])).sign)
    -1.0
    """
    sign: Array
    logabsdet: Array


# --- helpers ------------------------------------------------------------------------

def _float(x, dtype=None):
    """``x`` as a floating-point array (a tracer stays a tracer)."""
    if type(x) is not Tracer:
        x = np.asarray(x)
    dtype = to_inexact(x.dtype) if dtype is None else dtype
    if type(x) is Tracer:
        return lax.convert_element_type(x, dtype)
    return x.astype(dtype, copy=False)


def _floats(*xs):
    """Operands converted to one common floating-point dtype."""
    dtype = to_inexact(np.result_type(*[get_aval(x).dtype for x in xs]))
    return [_float(x, dtype) for x in xs]


def _square(name, a):
    shape = get_aval(a).shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError(
            f"{name}: the last two axes must form square matrices, got an array "
            f"of shape {shape}")
    return shape[-1]


def _broadcast(x, shape):
    """``x`` broadcast to ``shape`` with numpy's rules (leading axes added)."""
    xs = get_aval(x).shape
    if xs == tuple(shape):
        return x
    offset = len(shape) - len(xs)
    return lax.broadcast_in_dim(x, tuple(shape), tuple(range(offset, len(shape))))


def _scalar(x, v):
    return np.asarray(v, dtype=get_aval(x).dtype)[()]


def _swap_last(ndim):
    return tuple(range(ndim - 2)) + (ndim - 1, ndim - 2)


# --- solves, inverses, determinants ---------------------------------------------------

def solve(a: ArrayLike, b: ArrayLike) -> Array:
    """Solve ``a @ x = b``, as ``numpy.linalg.solve`` (numpy 2 semantics).

    ``a`` is (..., n, n). ``b`` is a vector only if it is 1-D (shape (n,)); it
    is otherwise a stack of (n, k) matrices. Batch axes broadcast.

    >>> import numpy as np
    >>> solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([2.0, 2.0]))
    array([1. , 0.5])
    """
    a, b = _floats(a, b)
    n = _square("solve", a)
    a_shape, b_shape = get_aval(a).shape, get_aval(b).shape
    if len(b_shape) == 1:
        if b_shape[0] != n:
            raise ValueError(f"solve: b of shape {b_shape} does not match a of "
                             f"shape {a_shape}: it needs length {n}")
        batch = a_shape[:-2]
        b = lax.broadcast_in_dim(b, batch + (n, 1), (len(batch),))
        return lax.reshape(lax.solve(a, b), batch + (n,))
    if b_shape[-2] != n:
        raise ValueError(f"solve: b of shape {b_shape} does not match a of shape "
                         f"{a_shape}: b's second-to-last axis needs size {n} "
                         "(a 1-D b is a vector, otherwise b is a stack of matrices)")
    try:
        batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise ValueError(f"solve: batch axes of a {a_shape} and b {b_shape} do not "
                         "broadcast") from None
    return lax.solve(_broadcast(a, batch + a_shape[-2:]),
                     _broadcast(b, batch + b_shape[-2:]))


def inv(a: ArrayLike) -> Array:
    """Inverse of each matrix of a batch (..., n, n), as ``numpy.linalg.inv``.

    Computed as ``solve(a, I)``; a singular matrix raises ``LinAlgError``.

    >>> import numpy as np
    >>> inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    a = _float(a)
    n = _square("inv", a)
    aval = get_aval(a)
    return lax.solve(a, np.broadcast_to(np.eye(n, dtype=aval.dtype), aval.shape))


def det(a: ArrayLike) -> Array:
    """Determinant of each matrix of a batch (..., n, n), as ``numpy.linalg.det``.

    >>> import numpy as np
    >>> round(float(det(np.array([[1.0, 2.0], [3.0, 4.0]]))), 9)
    -2.0
    """
    a = _float(a)
    _square("det", a)
    return lax.det(a)


def slogdet(a: ArrayLike) -> SlogdetResult:
    """Sign and natural log of the absolute determinant, as
    ``numpy.linalg.slogdet``; stable where ``det`` would overflow.

    >>> import numpy as np
    >>> sign, logabsdet = slogdet(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> float(sign), round(float(logabsdet), 6)
    (-1.0, 0.693147)
    """
    a = _float(a)
    _square("slogdet", a)
    return SlogdetResult(*lax.slogdet(a))


def cholesky(a: ArrayLike, upper: bool = False) -> Array:
    """Cholesky factor of a symmetric positive-definite matrix (or batch), as
    ``numpy.linalg.cholesky``: lower ``L`` with ``a = L Lᵀ``, or the upper
    factor ``Lᵀ`` when ``upper``. The input is symmetrized first.

    >>> import numpy as np
    >>> cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
    array([[2., 0.],
           [1., 2.]])
    """
    a = _float(a)
    _square("cholesky", a)
    L = lax.cholesky(a)
    return matrix_transpose(L) if upper else L


def matrix_transpose(x: ArrayLike) -> Array:
    """Swap the last two axes, as ``numpy.linalg.matrix_transpose``.

    >>> import numpy as np
    >>> matrix_transpose(np.zeros((4, 2, 3))).shape
    (4, 3, 2)
    """
    ndim = get_aval(x).ndim
    if ndim < 2:
        raise ValueError(f"matrix_transpose: needs at least 2 axes, got an array of "
                         f"shape {get_aval(x).shape}")
    return lax.transpose(x, _swap_last(ndim))


# --- norms ------------------------------------------------------------------------------

def _sum_squares(x, axes):
    total = lax.reduce_sum(lax.mul(x, x), axes)
    if any(get_aval(x).shape[a] == 0 for a in axes):
        # a sum of no squares is the constant 0: its root has derivative 0, not
        # 0 * sqrt'(0) = nan
        return lax.stop_gradient(total)
    return total


def _vector_norm(x, ord, axis: int):
    axes = (axis,)
    if ord is None or ord == 2:
        return lax.sqrt(_sum_squares(x, axes))
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    if ord == np.inf:
        return lax.reduce_max(lax.abs(x), axes)
    if ord == -np.inf:
        return lax.reduce_min(lax.abs(x), axes)
    if ord == 0:
        nonzero = lax.ne(x, _scalar(x, 0))
        return lax.reduce_sum(lax.convert_element_type(nonzero, get_aval(x).dtype), axes)
    if ord == 1:
        return lax.reduce_sum(lax.abs(x), axes)
    p = _scalar(x, ord)
    total = lax.reduce_sum(lax.pow(lax.abs(x), p), axes)
    if get_aval(x).shape[axis] == 0:
        total = lax.stop_gradient(total)  # the constant 0 (see _sum_squares)
    return lax.pow(total, _scalar(x, 1.0 / ord))


def _matrix_norm(x, ord, row: int, col: int):
    if ord is None or ord == "fro":
        return lax.sqrt(_sum_squares(x, (row, col)))
    if ord in (1, -1, np.inf, -np.inf):
        # 1: largest column sum of |x|; inf: largest row sum
        summed, kept = (row, col) if ord in (1, -1) else (col, row)
        sums = lax.reduce_sum(lax.abs(x), (summed,))
        kept = kept - 1 if kept > summed else kept
        extreme = lax.reduce_max if ord > 0 else lax.reduce_min
        return extreme(sums, (kept,))
    if ord in (2, -2, "nuc"):
        # through the singular values: the matrix axes moved last
        nd = get_aval(x).ndim
        rest = tuple(i for i in range(nd) if i not in (row, col))
        s = svd(lax.transpose(x, rest + (row, col)), compute_uv=False)
        last = (nd - 2,)
        if ord == "nuc":
            return lax.reduce_sum(s, last)
        return (lax.reduce_max if ord == 2 else lax.reduce_min)(s, last)
    raise ValueError(f"norm: invalid norm order {ord!r} for matrices")


def _normalize_axis(axis, ndim):
    axis = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axis:
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(
                f"norm: axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"norm: duplicate axes in {axis}")
    return tuple(out)


def _keep(result, shape, axes):
    return lax.reshape(result, [1 if i in axes else s for i, s in enumerate(shape)])


def norm(x: ArrayLike, ord: int | float | str | None = None, axis: Axis = None,
         keepdims: bool = False) -> Array:
    """Vector or matrix norm, as ``numpy.linalg.norm``.

    With ``axis=None`` and ``ord=None`` the 2-norm of the flattened array;
    otherwise a vector norm over one axis (``ord`` None/2, 1, inf, -inf, 0 or
    any p) or a matrix norm over two (``'fro'``, ``'nuc'``, 1, -1, 2, -2, inf,
    -inf; ``'nuc'``, 2 and -2 through the singular values).

    >>> import numpy as np
    >>> float(norm(np.array([3.0, 4.0])))
    5.0
    >>> norm(np.array([[1.0, -2.0], [3.0, 4.0]]), ord=1, axis=(0, 1)).item()
    6.0
    """
    x = _float(x)
    shape = get_aval(x).shape
    ndim = len(shape)
    if axis is None:
        if ord is None:
            result = lax.sqrt(_sum_squares(x, tuple(range(ndim))))
            return _keep(result, shape, range(ndim)) if keepdims else result
        if ndim not in (1, 2):
            raise ValueError(f"norm: with an ord and no axis, x must be 1-D or "
                             f"2-D, got shape {shape}")
        axis = tuple(range(ndim))
    axes = _normalize_axis(axis, ndim)
    if len(axes) == 1:
        result = _vector_norm(x, ord, axes[0])
    elif len(axes) == 2:
        result = _matrix_norm(x, ord, *axes)
    else:
        raise ValueError(f"norm: axis must name one or two axes, got {axis}")
    return _keep(result, shape, axes) if keepdims else result


def vector_norm(x: ArrayLike, axis: Axis = None, keepdims: bool = False,
                ord: int | float = 2) -> Array:
    """Vector norm over ``axis`` (all axes, flattened, when None), as
    ``numpy.linalg.vector_norm``.

    >>> import numpy as np
    >>> float(vector_norm(np.ones((2, 2)), ord=1))
    4.0
    """
    x = _float(x)
    shape = get_aval(x).shape
    if axis is None:
        result = _vector_norm(lax.reshape(x, (int(np.prod(shape)),)), ord, 0)
        return _keep(result, shape, range(len(shape))) if keepdims else result
    axes = _normalize_axis(axis, len(shape))
    if len(axes) == 1:
        result = _vector_norm(x, ord, axes[0])
    else:  # several axes: move them last and flatten them into one
        rest = tuple(i for i in range(len(shape)) if i not in axes)
        moved = lax.transpose(x, rest + axes)
        flat = lax.reshape(moved, [shape[i] for i in rest]
                           + [int(np.prod([shape[i] for i in axes]))])
        result = _vector_norm(flat, ord, len(rest))
    return _keep(result, shape, axes) if keepdims else result


def matrix_norm(x: ArrayLike, keepdims: bool = False, ord: int | float | str = "fro") -> Array:
    """Matrix norm over the last two axes, as ``numpy.linalg.matrix_norm``.

    >>> import numpy as np
    >>> float(matrix_norm(np.array([[3.0, 0.0], [0.0, 4.0]])))
    5.0
    """
    x = _float(x)
    ndim = get_aval(x).ndim
    if ndim < 2:
        raise ValueError(f"matrix_norm: needs at least 2 axes, got shape "
                         f"{get_aval(x).shape}")
    return norm(x, ord=ord, axis=(ndim - 2, ndim - 1), keepdims=keepdims)


# --- decompositions ---------------------------------------------------------------------
#
# Thin layers over the primitives eigh, svd, qr, eig and lu
# (ftrans/prims/linalg.py), whose rules give the derivatives; the rest are
# compositions (pinv and lstsq through the SVD, matrix_power by repeated
# squaring), differentiated through those rules. matrix_rank has an integer
# result: it is not differentiable (its derivative is zero by construction).

class EighResult(NamedTuple):
    """The result of ``eigh``: ``eigenvalues`` (ascending) and ``eigenvectors``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.linalg.eigh(np.diag([2.0, 1.0])).eigenvalues
    array([1., 2.])
    """
    eigenvalues: Array
    eigenvectors: Array


class EigResult(NamedTuple):
    """The result of ``eig``: complex ``eigenvalues`` and ``eigenvectors``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.linalg.eig(np.diag([2.0, 1.0])).eigenvalues
    array([2.+0.j, 1.+0.j])
    """
    eigenvalues: Array
    eigenvectors: Array


class SVDResult(NamedTuple):
    """The result of ``svd``: ``U``, ``S`` (descending) and ``Vh``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.linalg.svd(np.diag([1.0, -3.0])).S
    array([3., 1.])
    """
    U: Array
    S: Array
    Vh: Array


class QRResult(NamedTuple):
    """The result of ``qr``: ``Q`` and ``R``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.linalg.qr(np.eye(2)).R.shape
    (2, 2)
    """
    Q: Array
    R: Array


def _matrices(name, a):
    shape = get_aval(a).shape
    if len(shape) < 2:
        raise np.linalg.LinAlgError(
            f"{name}: expected a matrix or a stack of matrices (at least 2 axes), got "
            f"an array of shape {shape}")
    return shape[-2:]


def _uplo(name, UPLO):
    if UPLO not in (None, "L", "U"):
        raise ValueError(f"{name}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO != "U"


def eigh(a: ArrayLike, UPLO: str | None = None, symmetrize_input: bool = True) -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of a symmetric (Hermitian)
    matrix or stack, as ``jax.numpy.linalg.eigh``.

    As in JAX the input is symmetrized, ``(a + aᵀ) / 2``; with
    ``symmetrize_input=False`` only the ``UPLO`` triangle is read, as numpy
    does. Eigenvectors are defined up to sign, and where eigenvalues repeat up
    to a rotation of their eigenspace: their derivative there is not finite
    (as in JAX), while the eigenvalues' derivative is (use ``eigvalsh`` for
    functions of the eigenvalues). Basis-invariant functions of the
    eigenvectors (``v @ diag(f(w)) @ v.T``) have correct derivatives where the
    eigenvalues are distinct, non-finite ones where they repeat (as in JAX).

    >>> import numpy as np
    >>> w, v = eigh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> w
    array([1., 3.])
    """
    a = _float(a)
    _square("eigh", a)
    v, w = lax.eigh(a, lower=_uplo("eigh", UPLO), symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a: ArrayLike, UPLO: str | None = "L", *, symmetrize_input: bool = True) -> Array:
    """Eigenvalues (ascending) of a symmetric (Hermitian) matrix or stack, as
    ``jax.numpy.linalg.eigvalsh``; differentiable also where they repeat.

    >>> import numpy as np
    >>> eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    array([1., 3.])
    """
    return eigh(a, UPLO, symmetrize_input).eigenvalues


def eig(a: ArrayLike) -> EigResult:
    """Complex eigenvalues and unit-norm eigenvectors (columns) of a square
    matrix or stack, as ``numpy.linalg.eig``. As in JAX only the eigenvalues
    are differentiable, to first order (use ``eigvals``).

    >>> import numpy as np
    >>> w, v = eig(np.array([[0.0, -1.0], [1.0, 0.0]]))
    >>> np.sort_complex(np.asarray(w))
    array([0.-1.j, 0.+1.j])
    """
    a = _float(a)
    _square("eig", a)
    w, v = lax.eig(a)
    return EigResult(w, v)


def eigvals(a: ArrayLike) -> Array:
    """Complex eigenvalues of a square matrix or stack, as
    ``numpy.linalg.eigvals``; differentiable once (``dw = diag(v⁻¹ dA v)``;
    as in JAX, a second derivative raises ``NotImplementedError``).

    >>> import numpy as np
    >>> eigvals(np.diag([2.0, 1.0]))
    array([2.+0.j, 1.+0.j])
    """
    a = _float(a)
    _square("eigvals", a)
    (w,) = lax.eig(a, compute_eigenvectors=False)
    return w


def svd(a: ArrayLike, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> SVDResult | Array:
    """Singular value decomposition ``a = U @ diag(S) @ Vh`` of a matrix or
    stack (..., m, n), as ``numpy.linalg.svd``; ``S`` descending, or ``S``
    alone when not ``compute_uv``. With ``hermitian`` it comes from ``eigh``.

    ``S`` is differentiable where it is positive, also where values repeat;
    ``U`` and ``Vh`` are defined up to a joint sign of
    their columns/rows and their derivative is not finite where singular
    values repeat (as in JAX), and, with ``full_matrices``, not implemented
    for a non-square ``a`` (use ``full_matrices=False``).

    >>> import numpy as np
    >>> svd(np.array([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False)
    array([4., 3.])
    """
    a = _float(a)
    _matrices("svd", a)
    if hermitian:
        _square("svd", a)
        w, v = eigh(a)
        s = _u.abs(w)
        order = _s.flip(_sorting.argsort(s, axis=-1), axis=-1)
        s = _indexing.take_along_axis(s, order, axis=-1)
        if not compute_uv:
            return s
        sign = _indexing.take_along_axis(_u.sign(w), order, axis=-1)
        u = _indexing.take_along_axis(v, _s.expand_dims(order, -2), axis=-1)
        vh = matrix_transpose(_u.multiply(u, _s.expand_dims(sign, -2)))
        return SVDResult(u, s, _u.conj(vh) if get_aval(a).dtype.kind == "c" else vh)
    if not compute_uv:
        return lax.svd(a, compute_uv=False)
    return SVDResult(*lax.svd(a, full_matrices=full_matrices))


def svdvals(x: ArrayLike, /) -> Array:
    """Singular values (descending) of a matrix or stack, as
    ``numpy.linalg.svdvals``.

    >>> import numpy as np
    >>> svdvals(np.array([[0.0, 2.0], [1.0, 0.0]]))
    array([2., 1.])
    """
    return svd(x, compute_uv=False)


def qr(a: ArrayLike, mode: str = "reduced") -> QRResult | Array:
    """QR decomposition of a matrix or stack (..., m, n), as
    ``numpy.linalg.qr``: ``mode`` ``"reduced"`` (Q (..., m, k), R (..., k,
    n), ``k = min(m, n)``), ``"complete"`` (Q (..., m, m)), or ``"r"`` (R
    alone, reduced). ``"raw"`` (Householder reflectors) is not supported.

    Differentiable for ``m >= n`` with the reduced factors (as in JAX).

    >>> import numpy as np
    >>> q, r = qr(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    >>> q.shape, r.shape
    ((3, 2), (2, 2))
    """
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"qr: unrecognized mode {mode!r}; use 'reduced', 'complete' "
                         "or 'r'")
    if mode == "raw":
        raise NotImplementedError("qr: mode='raw' (LAPACK's Householder reflectors) is "
                                  "not supported; use mode='reduced' or 'complete'")
    a = _float(a)
    _matrices("qr", a)
    q, r = lax.qr(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def _svd_solve_parts(a, rtol):
    """``(u, s, vh, 1/s)`` of ``a`` with the singular values at or below
    ``rtol * max(s)`` cut off (their reciprocal is 0)."""
    u, s, vh = svd(a, full_matrices=False)
    k = get_aval(s).shape[-1]
    if k == 0:
        return u, s, vh, s
    cutoff = _u.multiply(_r.max(s, axis=-1, keepdims=True), rtol)
    keep = _u.greater(s, cutoff)
    safe = _u.where(keep, s, _scalar(s, 1.0))
    return u, s, vh, _u.where(keep, _u.divide(_scalar(s, 1.0), safe), _scalar(s, 0.0))


def pinv(a: ArrayLike, rtol: ArrayLike | None = None, hermitian: bool = False, *,
         rcond: ArrayLike | None = None) -> Array:
    """Moore-Penrose pseudo-inverse of a matrix or stack, as
    ``jax.numpy.linalg.pinv``: through the SVD, singular values at or below
    ``rtol * max(s)`` (default ``10 * max(m, n) * eps``; ``rcond`` is an alias)
    taken as zero.

    As in JAX its derivative is not the SVD's (not finite where singular
    values repeat, as for an orthogonal matrix) but Golub and Pereyra's
    formula for a matrix of locally constant rank:
    ``dA⁺ = -A⁺ dA A⁺ + A⁺ A⁺ᵀ dAᵀ (I - A A⁺) + (I - A⁺ A) dAᵀ A⁺ᵀ A⁺``.

    >>> import numpy as np
    >>> pinv(np.array([[2.0, 0.0], [0.0, 0.5]]))
    array([[0.5, 0. ],
           [0. , 2. ]])
    """
    a = _float(a)
    m, n = _matrices("pinv", a)
    if rcond is not None:
        rtol = rcond
    if rtol is None:
        rtol = 10 * max(m, n) * np.finfo(get_aval(a).dtype).eps
    if type(rtol) is not Tracer:
        rtol = float(rtol) if np.ndim(rtol) == 0 else np.asarray(rtol)
    return _pinv(a, rtol, bool(hermitian))


def _pinv_of(a, rtol, hermitian):
    if hermitian:
        _square("pinv", a)
        u, s, vh = svd(a, hermitian=True)
        k = get_aval(s).shape[-1]
        cutoff = _u.multiply(_r.max(s, axis=-1, keepdims=True), rtol) if k else s
        keep = _u.greater(s, cutoff)
        s_inv = _u.where(keep, _u.divide(_scalar(s, 1.0), _u.where(keep, s, _scalar(s, 1.0))),
                         _scalar(s, 0.0))
    else:
        u, s, vh, s_inv = _svd_solve_parts(a, rtol)
    # A⁺ = V diag(1/s) Uᴴ
    vs = _u.multiply(_u.conj(matrix_transpose(vh)), _s.expand_dims(s_inv, -2))
    return _linalg_ops.matmul(vs, _u.conj(matrix_transpose(u)))


_pinv = custom_jvp(_pinv_of, nondiff_argnums=(1, 2))


@_pinv.defjvp
def _pinv_jvp(rtol, hermitian, primals, tangents):
    (a,), (a_dot,) = primals, tangents
    p = _pinv(a, rtol, hermitian)
    mm = _linalg_ops.matmul
    h = lambda x: _u.conj(matrix_transpose(x))  # noqa: E731
    m, n = get_aval(a).shape[-2:]
    dtype = get_aval(a).dtype
    p_dot = _u.negative(mm(mm(p, a_dot), p))
    p_dot = _u.add(p_dot, mm(mm(mm(p, h(p)), h(a_dot)),
                             _u.subtract(np.eye(m, dtype=dtype), mm(a, p))))
    p_dot = _u.add(p_dot, mm(mm(_u.subtract(np.eye(n, dtype=dtype), mm(p, a)), h(a_dot)),
                             mm(h(p), p)))
    return p, p_dot


def lstsq(a: ArrayLike, b: ArrayLike, rcond: float | None = None, *,
          numpy_resid: bool = False) -> tuple[Array, Array, Array, Array]:
    """Least-squares solution of ``a @ x = b``, as ``jax.numpy.linalg.lstsq``:
    ``(x, residuals, rank, s)``, through the SVD of ``a`` (m, n), with
    singular values at or below ``rcond * max(s)`` (default
    ``eps * max(m, n)``) taken as zero. ``b`` is (m,) or (m, k).

    ``residuals`` are the squared residual norms per column, always (JAX);
    with ``numpy_resid`` numpy's rule: empty unless ``rank == n < m`` (this
    needs a concrete ``a``). ``rank`` is an integer, not differentiable.

    >>> import numpy as np
    >>> x, res, rank, s = lstsq(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
    ...                         np.array([1.0, 1.0, 3.0]))
    >>> np.round(np.asarray(x), 6), int(rank)
    (array([1.333333, 1.333333]), 2)
    """
    a, b = _floats(a, b)
    a_shape, b_shape = get_aval(a).shape, get_aval(b).shape
    if len(a_shape) != 2 or len(b_shape) not in (1, 2) or b_shape[0] != a_shape[0]:
        raise np.linalg.LinAlgError(
            f"lstsq: a must be a matrix (m, n) and b of shape (m,) or (m, k), got a of "
            f"shape {a_shape} and b of shape {b_shape}")
    m, n = a_shape
    vector = len(b_shape) == 1
    if vector:
        b = lax.reshape(b, (m, 1))
    if rcond is None:
        rcond = np.finfo(get_aval(a).dtype).eps * max(m, n)
    u, s, vh, s_inv = _svd_solve_parts(a, rcond)
    rank = _r.sum(_u.greater(s_inv, _scalar(s_inv, 0.0)), dtype=np.int64) if \
        get_aval(s).shape[-1] else np.int64(0)
    x = _linalg_ops.matmul(matrix_transpose(vh), _u.multiply(
        _s.expand_dims(s_inv, -1), _linalg_ops.matmul(matrix_transpose(u), b)))
    r = _u.subtract(b, _linalg_ops.matmul(a, x))
    resid = _r.sum(_u.multiply(r, r), axis=0)
    # numpy's rule needs a concrete rank: int() raises ConcretizationError under jit
    if numpy_resid and not (int(rank) == n and m > n):
        resid = np.zeros((0,), get_aval(a).dtype)
    if vector:
        x = lax.reshape(x, (n,))
    return x, resid, rank, s


def matrix_power(a: ArrayLike, n: int) -> Array:
    """``a`` to the integer power ``n`` for a square matrix or stack, as
    ``numpy.linalg.matrix_power``: by repeated squaring (about ``2 log2 n``
    products); ``n = 0`` gives the identity and ``n < 0`` powers of the inverse.

    >>> import numpy as np
    >>> matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
    array([[1., 3.],
           [0., 1.]])
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}")
    a = _u.asarray(a)
    size = _square("matrix_power", a)
    n = int(n)
    if n == 0:
        aval = get_aval(a)
        return _s.broadcast_to(np.eye(size, dtype=aval.dtype), aval.shape)
    if n < 0:
        a, n = inv(a), -n
    result, power = None, a
    while True:
        if n & 1:
            result = power if result is None else _linalg_ops.matmul(result, power)
        n >>= 1
        if not n:
            return result
        power = _linalg_ops.matmul(power, power)


def matrix_rank(M: ArrayLike, rtol: ArrayLike | None = None, *, hermitian: bool = False,
                tol: ArrayLike | None = None) -> Array:
    """Number of singular values above the tolerance, as
    ``jax.numpy.linalg.matrix_rank``: ``tol`` is absolute; otherwise
    ``rtol * max(s)`` with ``rtol`` by default ``max(m, n) * eps``. A 0- or
    1-D ``M`` has rank 1 unless it is all zeros. An integer: not differentiable.

    >>> import numpy as np
    >>> int(matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]])))
    1
    """
    M = _float(M)
    shape = get_aval(M).shape
    if len(shape) < 2:
        return _u.astype(_r.any(_u.not_equal(M, _scalar(M, 0.0))), np.int64)
    s = svd(M, compute_uv=False, hermitian=hermitian)
    if tol is None:
        if rtol is None:
            rtol = max(shape[-2:]) * np.finfo(get_aval(M).dtype).eps
        tol = _u.multiply(_r.max(s, axis=-1, keepdims=True), rtol) if \
            get_aval(s).shape[-1] else s
    else:
        tol = _s.expand_dims(_u.asarray(tol), -1) if np.ndim(tol) else tol
    return _r.sum(_u.greater(s, tol), axis=-1, dtype=np.int64)


def cond(x: ArrayLike, p: int | float | str | None = None) -> Array:
    """Condition number of a matrix or stack, as ``numpy.linalg.cond``: for
    ``p`` None, 2 or -2 the ratio of the largest to the smallest singular
    value (its inverse for -2); for ``'fro'``, ``'nuc'``, 1, -1, inf, -inf
    ``norm(x, p) * norm(inv(x), p)`` (square ``x``; a singular one raises
    ``LinAlgError``).

    >>> import numpy as np
    >>> float(cond(np.diag([1.0, 4.0])))
    4.0
    """
    x = _float(x)
    _matrices("cond", x)
    if p is None or p == 2 or p == -2:
        s = svdvals(x)
        big, small = _s_take(s, 0), _s_take(s, -1)
        return _u.divide(small, big) if p == -2 else _u.divide(big, small)
    _square("cond", x)
    nd = get_aval(x).ndim
    axes = (nd - 2, nd - 1)
    return _u.multiply(norm(x, p, axis=axes), norm(inv(x), p, axis=axes))


def _s_take(s, i):
    """``s[..., i]``."""
    k = get_aval(s).shape[-1]
    return _indexing.take(s, i % k if k else i, axis=-1)


def multi_dot(arrays: Sequence[ArrayLike], *, precision: str | None = None) -> Array:
    """The product of two or more matrices in the cheapest association order,
    as ``numpy.linalg.multi_dot``; the first may be a 1-D row vector and the
    last a 1-D column vector. (``precision`` is accepted for JAX
    compatibility.)

    >>> import numpy as np
    >>> multi_dot([np.ones(3), np.ones((3, 4)), np.ones((4, 2))])
    array([12., 12.])
    """
    del precision
    arrays = [_u.asarray(a) for a in arrays]
    if len(arrays) < 2:
        raise ValueError(f"multi_dot: needs at least two arrays, got {len(arrays)}")
    first_1d, last_1d = get_aval(arrays[0]).ndim == 1, get_aval(arrays[-1]).ndim == 1
    if first_1d:
        arrays[0] = _s.expand_dims(arrays[0], 0)
    if last_1d:
        arrays[-1] = _s.expand_dims(arrays[-1], -1)
    for i, a in enumerate(arrays):
        if get_aval(a).ndim != 2:
            raise ValueError(f"multi_dot: array {i} has shape {get_aval(a).shape}; all "
                             "must be 2-D (the first and last may be 1-D)")
    dims = [get_aval(a).shape[0] for a in arrays] + [get_aval(arrays[-1]).shape[1]]
    count = len(arrays)
    # cost[i][j]: fewest scalar products for arrays i..j; split[i][j]: where
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def product(i, j):
        if i == j:
            return arrays[i]
        k = split[i][j]
        return _linalg_ops.matmul(product(i, k), product(k + 1, j))

    out = product(0, count - 1)
    if first_1d and last_1d:
        return lax.reshape(out, ())
    if first_1d:
        return lax.reshape(out, get_aval(out).shape[1:])
    if last_1d:
        return lax.reshape(out, get_aval(out).shape[:1])
    return out


def tensorsolve(a: ArrayLike, b: ArrayLike, axes: tuple[int, ...] | None = None) -> Array:
    """Solve the tensor equation ``tensordot(a, x, x.ndim) = b`` for ``x``, as
    ``numpy.linalg.tensorsolve``: ``a`` reshaped to a square matrix, then
    ``solve``.

    >>> import numpy as np
    >>> tensorsolve(np.eye(4).reshape(2, 2, 4), np.ones((2, 2))).shape
    (4,)
    """
    a, b = _floats(a, b)
    a_nd = get_aval(a).ndim
    if axes is not None:
        order = [i for i in range(a_nd) if i not in [ax % a_nd for ax in axes]]
        a = lax.transpose(a, tuple(order + [ax % a_nd for ax in axes]))
    a_shape, b_shape = get_aval(a).shape, get_aval(b).shape
    x_shape = a_shape[len(b_shape):]
    rows, cols = int(np.prod(b_shape)), int(np.prod(x_shape))
    if a_shape[:len(b_shape)] != b_shape or rows != cols:
        raise np.linalg.LinAlgError(
            f"tensorsolve: a of shape {a_shape} and b of shape {b_shape} do not make a "
            "square system: a's leading axes must be b's shape and the rest of the "
            "same total size")
    x = solve(lax.reshape(a, (rows, cols)), lax.reshape(b, (rows,)))
    return lax.reshape(x, x_shape)


def tensorinv(a: ArrayLike, ind: int = 2) -> Array:
    """The inverse of ``a`` with respect to ``tensordot(·, ·, ind)``, as
    ``numpy.linalg.tensorinv``: the first ``ind`` axes against the rest,
    reshaped to a square matrix and inverted.

    >>> import numpy as np
    >>> tensorinv(np.eye(4).reshape(4, 2, 2), ind=1).shape
    (2, 2, 4)
    """
    a = _float(a)
    shape = get_aval(a).shape
    if not isinstance(ind, (int, np.integer)) or ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind!r}")
    rows, cols = int(np.prod(shape[:ind])), int(np.prod(shape[ind:]))
    if rows != cols:
        raise np.linalg.LinAlgError(
            f"tensorinv: a of shape {shape} with ind={ind} is not square: the first "
            f"{ind} axes hold {rows} elements, the rest {cols}")
    return lax.reshape(inv(lax.reshape(a, (rows, cols))), shape[ind:] + shape[:ind])
