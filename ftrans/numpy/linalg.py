"""``ftrans.numpy.linalg``: numpy.linalg's API (as ``jax.numpy.linalg``).

Each function converts its operands to floating point, broadcasts batch axes
as numpy does, then binds the linear-algebra primitives of
``ftrans/prims/linalg.py`` (``solve``, ``det``, ``slogdet``, ``cholesky``) or
composes elementwise primitives and reductions (``norm``). Derivatives come
from the primitives' matrix-calculus rules: ``inv`` is ``solve(a, I)``, whose
rule gives exactly ``d(A⁻¹) = -A⁻¹ dA A⁻¹``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ftrans import lax
from ftrans.core import get_aval
from ftrans.dtypes import to_inexact
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike, Axis

__all__ = ["inv", "solve", "det", "slogdet", "cholesky", "norm", "vector_norm",
           "matrix_norm", "matrix_transpose", "SlogdetResult"]


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
        raise NotImplementedError(
            f"norm: ord={ord!r} for matrices needs singular values, which "
            "ftrans does not provide yet; use ord='fro', 1 or inf")
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
    any p) or a matrix norm over two (``'fro'``, 1, -1, inf, -inf).

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
