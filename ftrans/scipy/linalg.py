"""``ftrans.scipy.linalg``: scipy.linalg's triangular and factored solves,
LU, the matrix exponential and ``block_diag`` (as ``jax.scipy.linalg``).

Implemented with the primitives of ``ftrans/prims/linalg.py``
(``triangular_solve``, ``cholesky``, ``lu``, ``expm``), so every function is
differentiable and batches under ``vmap``; scipy is not imported. The
factorizations return what scipy returns, except that the unused triangle of
``cho_factor``'s factor holds zeros rather than scipy's leftover entries.
``expm`` is a primitive whose derivative is the Fréchet derivative
(``expm_frechet``), computed from the exponential of a block matrix.
"""

from __future__ import annotations

import numpy as np

from ftrans import lax
from ftrans.core import get_aval
from ftrans.numpy import _shape as _s
from ftrans.numpy import _ufuncs as _u
from ftrans.numpy.linalg import _float, _floats, _matrices, _square
from ftrans.typing import Array, ArrayLike

__all__ = ["solve_triangular", "cho_factor", "cho_solve", "lu", "lu_factor", "lu_solve",
           "expm", "expm_frechet", "block_diag"]


def _swap(x):
    nd = get_aval(x).ndim
    return lax.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _trans_flag(name, trans) -> bool:
    if trans in (0, "N"):
        return False
    if trans in (1, "T", 2, "C"):  # 'C' is 'T' for the real dtypes
        return True
    raise ValueError(f"{name}: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")


def _rhs_matrix(name, a, b):
    """``b`` as a stack of (n, k) matrices with ``a``'s batch, and whether it
    was a vector."""
    n = get_aval(a).shape[-1]
    a_shape, b_shape = get_aval(a).shape, get_aval(b).shape
    vector = len(b_shape) == len(a_shape) - 1
    if vector:
        b = lax.reshape(b, b_shape + (1,))
        b_shape = b_shape + (1,)
    if len(b_shape) < 2 or b_shape[-2] != n:
        raise ValueError(f"{name}: b of shape {get_aval(b).shape if not vector else b_shape[:-1]} "
                         f"does not match a of shape {a_shape}: it needs {n} rows")
    batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    a = lax.broadcast_in_dim(a, batch + a_shape[-2:], tuple(range(len(batch) - len(a_shape) + 2,
                                                                   len(batch) + 2))) \
        if a_shape[:-2] != batch else a
    b = lax.broadcast_in_dim(b, batch + b_shape[-2:], tuple(range(len(batch) - len(b_shape) + 2,
                                                                   len(batch) + 2))) \
        if b_shape[:-2] != batch else b
    return a, b, vector


def solve_triangular(a: ArrayLike, b: ArrayLike, trans: int | str = 0, lower: bool = False,
                     unit_diagonal: bool = False, overwrite_b: bool = False,
                     check_finite: bool = True) -> Array:
    """Solve ``op(a) x = b`` for a triangular ``a`` (only its ``lower`` or
    upper triangle is read), as ``scipy.linalg.solve_triangular``: ``op`` is
    the identity for ``trans`` 0/'N' and the transpose for 1/'T' (and 2/'C');
    ``unit_diagonal`` takes the diagonal as ones. ``b`` is (n,) or (n, k)
    (stacks: (..., n) or (..., n, k)). ``overwrite_b`` and ``check_finite``
    are accepted for compatibility.

    >>> import numpy as np
    >>> solve_triangular(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([2.0, 3.0]),
    ...                  lower=True)
    array([1., 2.])
    """
    del overwrite_b, check_finite
    a, b = _floats(a, b)
    _square("solve_triangular", a)
    transpose_a = _trans_flag("solve_triangular", trans)
    a, b2, vector = _rhs_matrix("solve_triangular", a, b)
    x = lax.triangular_solve(a, b2, left_side=True, lower=bool(lower),
                             transpose_a=transpose_a, unit_diagonal=bool(unit_diagonal))
    return lax.reshape(x, get_aval(x).shape[:-1]) if vector else x


def cho_factor(a: ArrayLike, lower: bool = False, overwrite_a: bool = False,
               check_finite: bool = True) -> tuple[Array, bool]:
    """Cholesky factorization for ``cho_solve``, as ``scipy.linalg.cho_factor``:
    ``(c, lower)`` with ``c`` the lower factor ``L`` (``a = L Lᵀ``) or the upper
    ``Lᵀ``; its other triangle holds zeros.

    >>> import numpy as np
    >>> c, lower = cho_factor(np.array([[4.0, 2.0], [2.0, 5.0]]))
    >>> c, lower
    (array([[2., 1.],
           [0., 2.]]), False)
    """
    del overwrite_a, check_finite
    a = _float(a)
    _square("cho_factor", a)
    L = lax.cholesky(a)
    return (L if lower else _swap(L)), bool(lower)


def cho_solve(c_and_lower: tuple[ArrayLike, bool], b: ArrayLike, overwrite_b: bool = False,
              check_finite: bool = True) -> Array:
    """Solve ``a x = b`` from ``cho_factor``'s result, as
    ``scipy.linalg.cho_solve``: two triangular solves.

    >>> import numpy as np
    >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
    >>> cho_solve(cho_factor(a), a @ np.array([1.0, -1.0]))
    array([ 1., -1.])
    """
    del overwrite_b, check_finite
    c, lower = c_and_lower
    c, b = _floats(c, b)
    _square("cho_solve", c)
    c, b2, vector = _rhs_matrix("cho_solve", c, b)
    L = c if lower else _swap(c)
    y = lax.triangular_solve(L, b2, left_side=True, lower=True)
    x = lax.triangular_solve(L, y, left_side=True, lower=True, transpose_a=True)
    return lax.reshape(x, get_aval(x).shape[:-1]) if vector else x


def _lu_factors(lu_, m, n):
    """``L`` (..., m, k) unit lower and ``U`` (..., k, n) from a packed LU."""
    k = min(m, n)
    shape = get_aval(lu_).shape
    batch = shape[:-2]
    zeros = (0,) * len(batch)
    left = lax.slice(lu_, zeros + (0, 0), batch + (m, k))
    top = lax.slice(lu_, zeros + (0, 0), batch + (k, n))
    dtype = get_aval(lu_).dtype
    L = _u.add(_u.multiply(left, np.tril(np.ones((m, k), dtype), -1)), np.eye(m, k, dtype=dtype))
    U = _u.multiply(top, np.triu(np.ones((k, n), dtype)))
    return L, U


def lu(a: ArrayLike, permute_l: bool = False, overwrite_a: bool = False,
       check_finite: bool = True) -> tuple[Array, Array] | tuple[Array, Array, Array]:
    """Pivoted LU decomposition ``a = P L U``, as ``scipy.linalg.lu``: for
    ``a`` (..., m, n) and ``k = min(m, n)``, ``P`` (..., m, m) a permutation,
    ``L`` (..., m, k) unit lower triangular, ``U`` (..., k, n) upper; with
    ``permute_l``, ``(P @ L, U)``. Differentiable in ``L`` and ``U``.

    >>> import numpy as np
    >>> p, l, u = lu(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> p
    array([[0., 1.],
           [1., 0.]])
    """
    del overwrite_a, check_finite
    a = _float(a)
    m, n = _matrices("lu", a)
    lu_, _, perm = lax.lu(a)
    L, U = _lu_factors(lu_, m, n)
    # a[perm] = L U, so a = P L U with P[perm[i], i] = 1
    dtype = get_aval(a).dtype
    p = _u.astype(_u.equal(_s.expand_dims(perm, -2), _s.expand_dims(
        np.arange(m, dtype=get_aval(perm).dtype), -1)), dtype)
    if permute_l:
        from ftrans.numpy._linalg_ops import matmul
        return matmul(p, L), U
    return p, L, U


def lu_factor(a: ArrayLike, overwrite_a: bool = False,
              check_finite: bool = True) -> tuple[Array, Array]:
    """Pivoted LU factorization for ``lu_solve``, as ``scipy.linalg.lu_factor``:
    ``(lu, piv)``, ``L`` and ``U`` packed in ``lu`` and ``piv`` the (0-based)
    row swaps: row ``i`` was swapped with row ``piv[i]``.

    >>> import numpy as np
    >>> lu_, piv = lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> piv
    array([1, 1], dtype=int32)
    """
    del overwrite_a, check_finite
    a = _float(a)
    _matrices("lu_factor", a)
    lu_, pivots, _ = lax.lu(a)
    return lu_, pivots


def _permutation_of_pivots(piv, m):
    """The row order ``perm`` (``a[perm] = L U``) from LAPACK's row swaps, as
    traced integer operations (so it works under ``jit`` and ``vmap``)."""
    from ftrans.numpy._indexing import take_along_axis
    piv = _u.asarray(piv)
    batch = get_aval(piv).shape[:-1]
    rows = np.broadcast_to(np.arange(m, dtype=get_aval(piv).dtype), batch + (m,))
    perm = rows
    for i in range(get_aval(piv).shape[-1]):
        j = lax.slice(piv, (0,) * len(batch) + (i,), batch + (i + 1,))  # (..., 1)
        at_i = lax.slice(perm, (0,) * len(batch) + (i,), batch + (i + 1,))
        at_j = take_along_axis(perm, j, axis=-1)
        perm = _u.where(_u.equal(rows, i), at_j, _u.where(_u.equal(rows, j), at_i, perm))
    return perm


def lu_solve(lu_and_piv: tuple[ArrayLike, ArrayLike], b: ArrayLike, trans: int = 0,
             overwrite_b: bool = False, check_finite: bool = True) -> Array:
    """Solve ``op(a) x = b`` from ``lu_factor``'s result, as
    ``scipy.linalg.lu_solve`` (``trans`` 0: ``a``, 1 or 2: ``aᵀ``); the
    pivots are integers (not differentiable).

    >>> import numpy as np
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> lu_solve(lu_factor(a), a @ np.array([1.0, 2.0]))
    array([1., 2.])
    """
    del overwrite_b, check_finite
    lu_, piv = lu_and_piv
    lu_, b = _floats(lu_, b)
    n = _square("lu_solve", lu_)
    transpose_a = _trans_flag("lu_solve", trans)
    lu_, b2, vector = _rhs_matrix("lu_solve", lu_, b)
    perm = _permutation_of_pivots(piv, n)
    perm = _s.broadcast_to(perm, get_aval(lu_).shape[:-2] + (n,))
    # P with P a = a[perm]
    onehot = _u.astype(_u.equal(_s.expand_dims(perm, -1), np.arange(n, dtype=get_aval(
        perm).dtype)), get_aval(lu_).dtype)
    L, U = _lu_factors(lu_, n, n)
    from ftrans.numpy._linalg_ops import matmul
    if not transpose_a:  # P a = L U: x = U⁻¹ L⁻¹ P b
        y = lax.triangular_solve(L, matmul(onehot, b2), left_side=True, lower=True,
                                 unit_diagonal=True)
        x = lax.triangular_solve(U, y, left_side=True, lower=False)
    else:  # aᵀ = Uᵀ Lᵀ P: x = Pᵀ L⁻ᵀ U⁻ᵀ b
        y = lax.triangular_solve(U, b2, left_side=True, lower=False, transpose_a=True)
        z = lax.triangular_solve(L, y, left_side=True, lower=True, transpose_a=True,
                                 unit_diagonal=True)
        x = matmul(_swap(onehot), z)
    return lax.reshape(x, get_aval(x).shape[:-1]) if vector else x


def expm(A: ArrayLike, *, upper_triangular: bool = False, max_squarings: int = 16) -> Array:
    """Matrix exponential of a square matrix or stack, as
    ``scipy.linalg.expm``: scaling and squaring with Padé approximants
    (Higham 2005). Differentiable to any order (its derivative is
    ``expm_frechet``). ``upper_triangular`` and ``max_squarings`` are
    accepted for JAX compatibility.

    >>> import numpy as np
    >>> expm(np.array([[0.0, 1.0], [0.0, 0.0]]))
    array([[1., 1.],
           [0., 1.]])
    """
    del upper_triangular, max_squarings
    A = _float(A)
    _square("expm", A)
    return lax.expm(A)


def expm_frechet(A: ArrayLike, E: ArrayLike, method: str | None = None,
                 compute_expm: bool = True, check_finite: bool = True
                 ) -> Array | tuple[Array, Array]:
    """Fréchet derivative of ``expm`` at ``A`` in direction ``E``, as
    ``scipy.linalg.expm_frechet``: ``(expm(A), L(A, E))``, or ``L(A, E)``
    alone when not ``compute_expm``.

    >>> import numpy as np
    >>> expm_frechet(np.zeros((2, 2)), np.eye(2), compute_expm=False)
    array([[1., 0.],
           [0., 1.]])
    """
    del method, check_finite
    A, E = _floats(A, E)
    _square("expm_frechet", A)
    if get_aval(E).shape != get_aval(A).shape:
        raise ValueError(f"expm_frechet: E of shape {get_aval(E).shape} must have A's "
                         f"shape {get_aval(A).shape}")
    L = lax.expm_frechet(A, E)
    return (lax.expm(A), L) if compute_expm else L


def block_diag(*arrs: ArrayLike) -> Array:
    """The block-diagonal matrix of the arguments (each 0-, 1- or 2-D; a
    1-D one is a row), as ``scipy.linalg.block_diag``.

    >>> import numpy as np
    >>> block_diag(np.array([[1.0, 2.0]]), np.array(3.0))
    array([[1., 2., 0.],
           [0., 0., 3.]])
    """
    if not arrs:
        return np.zeros((1, 0))
    mats = []
    for i, a in enumerate(arrs):
        a = _u.asarray(a)
        nd = get_aval(a).ndim
        if nd > 2:
            raise ValueError(f"block_diag: argument {i} has shape {get_aval(a).shape}; "
                             "arguments must have at most 2 dimensions")
        mats.append(lax.reshape(a, (1,) * (2 - nd) + get_aval(a).shape))
    dtype = np.result_type(*[get_aval(m).dtype for m in mats])
    mats = [_u.astype(m, dtype) for m in mats]
    rows = sum(get_aval(m).shape[0] for m in mats)
    cols = sum(get_aval(m).shape[1] for m in mats)
    r = c = 0
    out = None
    for m in mats:
        h, w = get_aval(m).shape
        placed = lax.pad(m, np.zeros((), dtype), ((r, rows - r - h, 0), (c, cols - c - w, 0)))
        out = placed if out is None else _u.add(out, placed)
        r, c = r + h, c + w
    return out


def _export_public():
    from ftrans.numpy._ufuncs import public
    for name in __all__:
        globals()[name] = public(globals()[name])


_export_public()
