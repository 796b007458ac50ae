"""Linear-algebra primitives: ``dot_general``, ``cholesky``, ``triangular_solve``,
``solve``, ``det`` and ``slogdet``; the decompositions ``eigh``, ``svd``,
``qr``, ``eig`` and ``lu``; ``expm`` and its Fréchet derivative ``expm_frechet``.

``dot_general`` is the one contraction primitive (``matmul``, ``dot``,
``tensordot`` and ``einsum``-like products are built on it); it is bilinear,
so it has a transpose rule for each operand. The matrix primitives act on the
last two axes and accept any leading batch axes, as numpy.linalg does. Their
derivatives come from matrix-calculus identities -- for example
``d(A⁻¹ B) = A⁻¹ (dB - dA A⁻¹ B)`` -- never from differentiating through a
factorization, and every rule is written with primitives, so it can be
differentiated again. ``solve`` and ``triangular_solve`` are linear in their
right-hand side and transpose to a solve with the transposed matrix.

Under ``vmap``, ``dot_general`` takes the batch axis as one more batch
dimension when both operands are batched, and as a free dimension of the
batched operand otherwise. The matrix primitives leave a batch axis among the
leading axes where it is; a solve with one unbatched matrix folds the batch
into the right-hand side's columns (rows), so the matrix is factored once.
"""

from __future__ import annotations

import functools
import math
from typing import Sequence

import numpy as np
from typing_extensions import TypeAlias

from ftrans.ad_util import Zero, add_tangents, check_linear_in, is_undefined
from ftrans.core import Primitive, ShapedArray, get_aval
from ftrans.prims._batching import at_dim, broadcast_batch, move_axis, shift_axis
from ftrans.prims._families import exports
from ftrans.prims.elementwise import add, convert_element_type, div, eq, mul, neg, sub
from ftrans.prims.reductions import reduce_sum
from ftrans.prims.shape import broadcast_in_dim, concatenate, reshape, transpose
from ftrans.prims.shape import slice as slice_
from ftrans.typing import Array, ArrayLike, DTypeLike

DotDimensionNumbers: TypeAlias = tuple[tuple[Sequence[int], Sequence[int]],
                                       tuple[Sequence[int], Sequence[int]]]



def _batch(x) -> int:
    """The number of matrices in a stack of shape ``(..., n, k)``."""
    return int(np.prod(x.shape[:-2], dtype=np.int64))


# --- dot_general -----------------------------------------------------------------

dot_general_p = Primitive("dot_general")


def dot_general(x: ArrayLike, y: ArrayLike, dimension_numbers: DotDimensionNumbers,
                preferred_element_type: DTypeLike | None = None) -> Array:
    """A general tensor contraction, as ``jax.lax.dot_general``.

    ``dimension_numbers = ((lhs_contracting, rhs_contracting), (lhs_batch,
    rhs_batch))``. The output's axes are the batch axes, then the free axes of
    ``x``, then the free axes of ``y``, each in their operand's order.

    >>> import numpy as np
    >>> x, y = np.ones((2, 3, 4)), np.ones((2, 4, 5))
    >>> dot_general(x, y, (((2,), (1,)), ((0,), (0,)))).shape  # batched matmul
    (2, 3, 5)
    """
    (lc, rc), (lb, rb) = dimension_numbers
    nx, ny = get_aval(x).ndim, get_aval(y).ndim
    dims = ((_axes(lc, nx), _axes(rc, ny)), (_axes(lb, nx), _axes(rb, ny)))
    pref = None if preferred_element_type is None else np.dtype(preferred_element_type)
    return dot_general_p.bind(x, y, dimension_numbers=dims,
                              preferred_element_type=pref)


def dot(x: ArrayLike, y: ArrayLike, preferred_element_type: DTypeLike | None = None) -> Array:
    """Vector/matrix product contracting the last axis of ``x`` with the first
    axis of ``y``, as ``jax.lax.dot``.

    >>> import numpy as np
    >>> dot(np.ones((2, 3)), np.ones(3))
    array([3., 3.])
    """
    nx = get_aval(x).ndim
    return dot_general(x, y, (((nx - 1,), (0,)), ((), ())), preferred_element_type)


def _axes(dims, ndim):
    """Axis numbers as a tuple of ints; negative ones count from the end."""
    return tuple(int(d) + ndim if int(d) < 0 else int(d) for d in dims)


def _free(ndim, contracting, batch):
    return tuple(d for d in range(ndim) if d not in contracting and d not in batch)


@functools.lru_cache(maxsize=1024)
def _dot_plan(x_shape, y_shape, dimension_numbers):
    """How the impl lays the operands out for one ``np.matmul``: permutations
    to (batch, free, contract) and (batch, contract, free), and the 3-D (or
    2-D without batch axes) shapes. Cached: the same contraction recurs."""
    (lc, rc), (lb, rb) = dimension_numbers
    lf, rf = _free(len(x_shape), lc, lb), _free(len(y_shape), rc, rb)
    x_perm, y_perm = lb + lf + lc, rb + rc + rf
    batch = tuple(x_shape[d] for d in lb)
    size = lambda shape, dims: math.prod(shape[d] for d in dims)  # noqa: E731
    m, k, n = size(x_shape, lf), size(x_shape, lc), size(y_shape, rf)
    b = (math.prod(batch),) if batch else ()
    out_shape = batch + tuple(x_shape[d] for d in lf) + tuple(y_shape[d] for d in rf)
    identity = lambda p: p == tuple(range(len(p)))  # noqa: E731
    return (None if identity(x_perm) else x_perm, b + (m, k),
            None if identity(y_perm) else y_perm, b + (k, n), out_shape)


@dot_general_p.def_impl
def _dot_general_impl(x, y, dimension_numbers, preferred_element_type):
    # arrays pass as they are (numpy's, or dask's: ftrans.dask.eval_jaxpr)
    x = x if hasattr(x, "__array_function__") else np.asarray(x)
    y = y if hasattr(y, "__array_function__") else np.asarray(y)
    x_perm, x_shape, y_perm, y_shape, out_shape = _dot_plan(x.shape, y.shape,
                                                            dimension_numbers)
    if preferred_element_type is not None and preferred_element_type != x.dtype:
        x = x.astype(preferred_element_type)
        y = y.astype(preferred_element_type)
    if x_perm is not None:
        x = x.transpose(x_perm)
    if y_perm is not None:
        y = y.transpose(y_perm)
    return np.matmul(x.reshape(x_shape), y.reshape(y_shape)).reshape(out_shape)


@dot_general_p.def_emit
def _dot_general_emit(ctx, out_names, in_exprs, dimension_numbers, preferred_element_type):
    # the impl's numpy calls, planned here once: one np.matmul, or a
    # broadcasting np.multiply when nothing is contracted (the same products,
    # without a sum). np.dot would be cheaper, but differs from np.matmul in
    # the last bit for operands BLAS cannot take (np.dot copies them)
    (x, y), (x_aval, y_aval) = in_exprs, ctx.in_avals
    x_perm, x_shape, y_perm, y_shape, out_shape = _dot_plan(x_aval.shape, y_aval.shape,
                                                            dimension_numbers)
    (lc, _), (lb, rb) = dimension_numbers
    convert = preferred_element_type is not None and preferred_element_type != x_aval.dtype

    def operand(expr, aval, perm, shape):
        if convert:
            expr = f"np.asarray({expr}).astype(np.{np.dtype(preferred_element_type).name})"
        now = aval.shape
        if perm is not None:  # of a loop's constant: once, before the loop
            expr, now = (ctx.hoist(f"np.transpose({expr}, {perm})", [expr]),
                         tuple(now[p] for p in perm))
        if tuple(shape) != now:
            expr = f"np.reshape({expr}, {tuple(shape)})"
        return expr

    if not lc and out_shape:
        # an outer product: x as (batch, x free, 1...), y as (batch, 1..., y free)
        batch, n_b = tuple(out_shape[:len(lb)]), len(lb)
        x_free = tuple(x_aval.shape[d] for d in (x_perm or range(x_aval.ndim)))[n_b:]
        y_free = tuple(y_aval.shape[d] for d in (y_perm or range(y_aval.ndim)))[n_b:]
        xs = batch + x_free + (1,) * len(y_free)
        ys = (batch + (1,) * len(x_free) if rb else ()) + y_free
        if not lb:  # the cheapest form: no reshapes
            return (f"{out_names[0]} = np.multiply.outer({operand(x, x_aval, x_perm, x_free)}, "
                    f"{operand(y, y_aval, y_perm, y_free)})")
        return (f"{out_names[0]} = np.multiply({operand(x, x_aval, x_perm, xs)}, "
                f"{operand(y, y_aval, y_perm, ys)})")
    # a vector operand needs no reshape (np.matmul treats it as one
    # row/column, with the same loops); one of two keeps it, for an array result
    x_vec = x_aval.ndim == 1 and x_perm is None and not lb
    y_vec = y_aval.ndim == 1 and y_perm is None and not lb and not x_vec
    xe = operand(x, x_aval, x_perm, x_shape[1:] if x_vec else x_shape)
    ye = operand(y, y_aval, y_perm, y_shape[:1] if y_vec else y_shape)
    call = f"np.matmul({xe}, {ye})"
    got = (() if x_vec else tuple(x_shape[:-1])) + (() if y_vec else tuple(y_shape[-1:]))
    if tuple(out_shape) != got:
        call = f"np.reshape({call}, {tuple(out_shape)})"
    return f"{out_names[0]} = {call}"


_dot_general_emit.fresh = True  # a new array, never a view


@dot_general_p.def_cost
def _dot_general_cost(x, y, dimension_numbers, preferred_element_type):
    # a multiply and an add per (batch, free, free, contracted) index
    (lc, rc), (lb, rb) = dimension_numbers
    y_free = [d for i, d in enumerate(y.shape) if i not in rc and i not in rb]
    return dict(flops=2 * int(np.prod(x.shape, dtype=np.int64))
                * int(np.prod(y_free, dtype=np.int64)), transcendentals=0)


@dot_general_p.def_abstract_eval
def _dot_general_abstract_eval(x, y, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers

    def fail(why):
        raise TypeError(f"dot_general: {why}; operands are {x.str_short()} and "
                        f"{y.str_short()} with dimension_numbers="
                        f"{dimension_numbers} (((lhs_contracting, "
                        "rhs_contracting), (lhs_batch, rhs_batch)))")

    if x.dtype != y.dtype:
        raise TypeError(f"dot_general: operands must have the same dtype, got "
                        f"{x.str_short()} and {y.str_short()}; convert one with "
                        "lax.convert_element_type (ftrans.numpy promotes for you)")
    for side, aval, c, b in (("lhs", x, lc, lb), ("rhs", y, rc, rb)):
        if any(not 0 <= d < aval.ndim for d in c + b):
            fail(f"an {side} axis is out of range for rank {aval.ndim}")
        if len(set(c + b)) != len(c + b):
            fail(f"an {side} axis is repeated or both contracting and batch")
    if len(lc) != len(rc) or len(lb) != len(rb):
        fail("lhs and rhs need as many contracting axes, and as many batch axes")
    for kind, ls, rs in (("contracting", lc, rc), ("batch", lb, rb)):
        for i, j in zip(ls, rs):
            if x.shape[i] != y.shape[j]:
                fail(f"{kind} axes have different sizes: lhs axis {i} has size "
                     f"{x.shape[i]}, rhs axis {j} has size {y.shape[j]}")
    shape = ([x.shape[d] for d in lb] + [x.shape[d] for d in _free(x.ndim, lc, lb)]
             + [y.shape[d] for d in _free(y.ndim, rc, rb)])
    return ShapedArray(shape, preferred_element_type or x.dtype)


@dot_general_p.def_jvp
def _dot_general_jvp(primals, tangents, **params):
    (x, y), (x_dot, y_dot) = primals, tangents
    out = dot_general_p.bind(x, y, **params)
    zero = Zero(get_aval(out))
    # bilinear: d(x . y) = x_dot . y + x . y_dot
    a = zero if type(x_dot) is Zero else dot_general_p.bind(x_dot, y, **params)
    b = zero if type(y_dot) is Zero else dot_general_p.bind(x, y_dot, **params)
    return out, add_tangents(a, b)


@dot_general_p.def_transpose
def _dot_general_transpose(ct, x, y, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    check_linear_in("dot_general", x if is_undefined(y) else y)
    operand = x if is_undefined(x) else y
    if ct.dtype != operand.aval.dtype:
        ct = convert_element_type(ct, operand.aval.dtype)
    nb = len(lb)
    nx, ny = get_aval(x).ndim, get_aval(y).ndim
    lf, rf = _free(nx, lc, lb), _free(ny, rc, rb)
    ct_batch = tuple(range(nb))
    ct_lf = tuple(range(nb, nb + len(lf)))
    ct_rf = tuple(range(nb + len(lf), nb + len(lf) + len(rf)))
    if is_undefined(x):
        # ct . y over y's free axes: axes (batch, x free, y contracting in y's
        # order); label each by the x axis it becomes, then put them in place.
        r = dot_general(ct, y, ((ct_rf, rf), (ct_batch, rb)))
        labels = lb + lf + tuple(lc[rc.index(d)] for d in sorted(rc))
        return [transpose(r, np.argsort(labels)), None]
    # x . ct over x's free axes: axes (batch, x contracting in x's order, y free)
    r = dot_general(x, ct, ((lf, ct_lf), (lb, ct_batch)))
    labels = rb + tuple(rc[lc.index(d)] for d in sorted(lc)) + rf
    return [None, transpose(r, np.argsort(labels))]


@dot_general_p.def_batch
def _dot_general_batch(axis_size, args, dims, dimension_numbers, preferred_element_type):
    (x, y), (xd, yd) = args, dims
    (lc, rc), (lb, rb) = dimension_numbers
    shift = lambda axes, d: tuple(a if d is None else shift_axis(a, d) for a in axes)  # noqa: E731
    lc, lb, rc, rb = shift(lc, xd), shift(lb, xd), shift(rc, yd), shift(rb, yd)
    if xd is not None and yd is not None:
        # both batched: one more batch axis, which dot_general puts first
        dnums = ((lc, rc), ((xd,) + lb, (yd,) + rb))
        out_dim = 0
    elif xd is not None:
        # a free axis of x: after the batch axes, among x's free axes in order
        dnums = ((lc, rc), (lb, rb))
        out_dim = len(lb) + _free(get_aval(x).ndim, lc, lb).index(xd)
    else:
        # a free axis of y: after the batch axes and all of x's free axes
        dnums = ((lc, rc), (lb, rb))
        n_x_free = len(_free(get_aval(x).ndim, lc, lb))
        out_dim = len(lb) + n_x_free + _free(get_aval(y).ndim, rc, rb).index(yd)
    return dot_general_p.bind(x, y, dimension_numbers=dnums,
                              preferred_element_type=preferred_element_type), out_dim


# --- helpers for the matrix primitives -----------------------------------------

def _check_matrices(name, a: ShapedArray, complex_ok: bool = False) -> int:
    """``a`` is a batch of square real-float (or, if ``complex_ok``, complex)
    matrices; returns their size."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise TypeError(f"{name}: expected a (batch of) square matrices of shape "
                        f"(..., n, n), got {a.str_short()}")
    if a.dtype.kind != "f" and not (complex_ok and a.dtype.kind == "c"):
        raise TypeError(f"{name}: expected a real floating-point matrix, got "
                        f"{a.str_short()}; convert it with x.astype(float)")
    return a.shape[-1]


def _check_rhs(name, a: ShapedArray, b: ShapedArray, rows_axis: int):
    if b.dtype != a.dtype:
        raise TypeError(f"{name}: operands must have the same dtype, got "
                        f"{a.str_short()} and {b.str_short()}")
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2] \
            or b.shape[rows_axis] != a.shape[-1]:
        where = "second-to-last" if rows_axis == -2 else "last"
        raise TypeError(f"{name}: right-hand side {b.str_short()} does not fit the "
                        f"matrix {a.str_short()}: it needs the same batch axes and "
                        f"{a.shape[-1]} as its {where} axis (ftrans.numpy.linalg "
                        "broadcasts batch axes for you)")


def _mT(x):
    """Swap the last two axes."""
    nd = get_aval(x).ndim
    return transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _matmul(a, b):
    """Batched matrix product of (..., n, m) and (..., m, k) with equal batches."""
    nd = get_aval(a).ndim
    batch = tuple(range(nd - 2))
    return dot_general(a, b, (((nd - 1,), (nd - 2,)), (batch, batch)))


def _constant(matrix, aval: ShapedArray):
    """A numpy (n, n) constant broadcast to ``aval`` (batch axes in front)."""
    c = np.asarray(matrix, dtype=aval.dtype)
    if aval.ndim == 2:
        return c
    return np.broadcast_to(c, aval.shape)


def _trace(x):
    """Trace of each matrix of a batch: linear, as a masked sum."""
    aval = get_aval(x)
    eye = _constant(np.eye(aval.shape[-1]), aval)
    return reduce_sum(mul(x, eye), axes=(aval.ndim - 2, aval.ndim - 1))


def _half(x):
    return np.asarray(0.5, dtype=get_aval(x).dtype)[()]


# The matrix primitives take any leading batch axes, so a batch axis among
# them stays where it is; only one among the last two (matrix) axes moves, to
# the front.

def _as_leading(x, d):
    """``(x, d)`` with the batch axis ``d`` of ``x`` a leading (non-matrix) axis."""
    if d < get_aval(x).ndim - 2:
        return x, d
    return move_axis(x, d, 0), 0


def _single_matrix_batch(prim):
    """The batch rule of a primitive of one batch of matrices whose outputs keep
    its leading axes (cholesky, det, slogdet)."""
    def rule(axis_size, args, dims, **params):
        x, d = _as_leading(args[0], dims[0])
        out = prim.bind(x, **params)
        return out, ([d] * len(out) if prim.multiple_results else d)
    return rule


def _common_leading(a, ad, b, bd, axis_size):
    """``a`` and ``b`` (a matrix and a right-hand side, at least one batched)
    batched along one common leading axis: ``(a, b, dim)``."""
    if ad is not None:
        a, ad = _as_leading(a, ad)
    if bd is not None:
        b, bd = _as_leading(b, bd)
    if ad is None:
        return broadcast_batch(a, axis_size, bd), b, bd
    if bd is None:
        return a, broadcast_batch(b, axis_size, ad), ad
    if ad != bd:
        a, b, ad = move_axis(a, ad, 0), move_axis(b, bd, 0), 0
    return a, b, ad


def _fold_batch(solve_fn, b, bd, axis_size, columns: bool):
    """Solve with one (unbatched) matrix for a batch of right-hand sides ``b``
    in one call: the batch is folded into the right-hand side's columns
    (``columns``: ``b`` is (..., n, k), each column solved alone) or rows.
    Returns ``(x, out_dim)``, ``x`` batched along ``out_dim``."""
    nd = get_aval(b).ndim
    to = nd - 1 if columns else nd - 3
    b = move_axis(b, bd, to)
    shape = get_aval(b).shape
    if columns:  # (..., n, k, B) -> (..., n, k*B)
        folded = shape[:-3] + (shape[-3], shape[-2] * axis_size)
    else:  # (..., B, n, m) -> (..., B*n, m)
        folded = shape[:-3] + (axis_size * shape[-2], shape[-1])
    x = solve_fn(reshape(b, folded))
    return reshape(x, shape), to


# --- cholesky --------------------------------------------------------------------

cholesky_p = Primitive("cholesky")


def cholesky(x: ArrayLike, *, symmetrize_input: bool = True) -> Array:
    """Lower Cholesky factor ``L`` of a symmetric positive-definite ``x``
    (``x = L Lᵀ``), batched over leading axes, as ``jax.lax.linalg.cholesky``.

    The input is always symmetrized as ``(x + xᵀ) / 2`` (the derivative is
    that of the symmetrized input); ``symmetrize_input`` is accepted for JAX
    compatibility. A matrix that is not positive definite raises numpy's
    ``LinAlgError``.

    >>> import numpy as np
    >>> cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
    array([[2., 0.],
           [1., 2.]])
    """
    del symmetrize_input
    return cholesky_p.bind(x)


@cholesky_p.def_impl
def _cholesky_impl(x):
    return np.linalg.cholesky((x + np.swapaxes(x, -1, -2)) / 2)


@cholesky_p.def_cost
def _cholesky_cost(x):
    n = x.shape[-1]
    return dict(flops=_batch(x) * n ** 3 // 3, transcendentals=_batch(x) * n)  # n square roots


@cholesky_p.def_abstract_eval
def _cholesky_abstract_eval(x):
    _check_matrices("cholesky", x)
    return x


@cholesky_p.def_jvp
def _cholesky_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    L = cholesky(x)
    # A = L Lᵀ gives L⁻¹ dA L⁻ᵀ = L⁻¹dL + (L⁻¹dL)ᵀ with L⁻¹dL lower triangular,
    # so dL = L Φ(L⁻¹ dA L⁻ᵀ), Φ = lower triangle with the diagonal halved.
    sym = mul(add(x_dot, _mT(x_dot)), _half(x))
    tmp = triangular_solve(L, sym, left_side=True, lower=True)
    inner = triangular_solve(L, tmp, left_side=False, lower=True, transpose_a=True)
    n = get_aval(x).shape[-1]
    phi = _constant(np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n), get_aval(x))
    return L, _matmul(L, mul(inner, phi))


cholesky_p.def_batch(_single_matrix_batch(cholesky_p))


# --- triangular_solve ------------------------------------------------------------

triangular_solve_p = Primitive("triangular_solve")


def triangular_solve(a: ArrayLike, b: ArrayLike, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, conjugate_a: bool = False,
                     unit_diagonal: bool = False) -> Array:
    """Solve ``op(a) x = b`` (``left_side=True``) or ``x op(a) = b`` for a
    triangular ``a``, as ``jax.lax.linalg.triangular_solve``.

    Only the ``lower`` (or upper) triangle of ``a`` is read; ``op(a)`` is
    ``aᵀ`` when ``transpose_a``; ``unit_diagonal`` takes the diagonal as ones.
    ``a`` is (..., m, m); ``b`` is (..., m, n) on the left or (..., n, m) on
    the right, with the same batch axes. ``conjugate_a`` is a no-op on the
    real dtypes supported.

    >>> import numpy as np
    >>> a = np.array([[2.0, 0.0], [1.0, 1.0]])
    >>> triangular_solve(a, np.array([[2.0], [3.0]]), left_side=True, lower=True)
    array([[1.],
           [2.]])
    """
    return triangular_solve_p.bind(
        a, b, left_side=bool(left_side), lower=bool(lower),
        transpose_a=bool(transpose_a), conjugate_a=bool(conjugate_a),
        unit_diagonal=bool(unit_diagonal))


def _triangle_mask(n, lower, unit_diagonal):
    """Ones on the entries of ``a`` that the solve reads."""
    mask = np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n)))
    return mask - np.eye(n) if unit_diagonal else mask


@triangular_solve_p.def_impl
def _triangular_solve_impl(a, b, left_side, lower, transpose_a, conjugate_a,
                           unit_diagonal):
    n = a.shape[-1]
    a = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        a = a + (np.eye(n, dtype=a.dtype) - a * np.eye(n, dtype=a.dtype))
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if left_side:
        return np.linalg.solve(a, b)
    # x op(a) = b  <=>  op(a)ᵀ xᵀ = bᵀ
    return np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2),
                                       np.swapaxes(b, -1, -2)), -1, -2)


@triangular_solve_p.def_cost
def _triangular_solve_cost(a, b, left_side, **params):
    n = a.shape[-1]
    rhs = b.shape[-1] if left_side else b.shape[-2]
    return dict(flops=_batch(b) * n * n * rhs, transcendentals=0)


@triangular_solve_p.def_abstract_eval
def _triangular_solve_abstract_eval(a, b, left_side, **params):
    _check_matrices("triangular_solve", a)
    _check_rhs("triangular_solve", a, b, -2 if left_side else -1)
    return b


@triangular_solve_p.def_jvp
def _triangular_solve_jvp(primals, tangents, **params):
    (a, b), (a_dot, b_dot) = primals, tangents
    x = triangular_solve_p.bind(a, b, **params)
    rhs = b_dot
    if type(a_dot) is not Zero:
        # op(a) x = b  =>  op(a) dx = db - op(da) x   (x op(a) = b: db - x op(da)),
        # with da restricted to the entries the solve reads.
        aval = get_aval(a)
        mask = _triangle_mask(aval.shape[-1], params["lower"], params["unit_diagonal"])
        da = mul(a_dot, _constant(mask, aval))
        if params["transpose_a"]:
            da = _mT(da)
        prod = _matmul(da, x) if params["left_side"] else _matmul(x, da)
        rhs = neg(prod) if type(b_dot) is Zero else sub(b_dot, prod)
    return x, triangular_solve_p.bind(a, rhs, **params)


@triangular_solve_p.def_transpose
def _triangular_solve_transpose(ct, a, b, transpose_a, **params):
    check_linear_in("triangular_solve (in its matrix)", a)
    # x = op(a)⁻¹ b (or b op(a)⁻¹): the adjoint applies op(a)⁻ᵀ on the same side
    return [None, triangular_solve_p.bind(a, ct, transpose_a=not transpose_a,
                                          **params)]


@triangular_solve_p.def_batch
def _triangular_solve_batch(axis_size, args, dims, **params):
    (a, b), (ad, bd) = args, dims
    if ad is None:  # one matrix: the batch becomes more columns (rows on the right)
        return _fold_batch(lambda rhs: triangular_solve_p.bind(a, rhs, **params), b, bd,
                           axis_size, columns=params["left_side"])
    a, b, d = _common_leading(a, ad, b, bd, axis_size)
    return triangular_solve_p.bind(a, b, **params), d


# --- solve -------------------------------------------------------------------------

solve_p = Primitive("solve")


def solve(a: ArrayLike, b: ArrayLike) -> Array:
    """Solve ``a x = b`` for square ``a`` (..., n, n) and ``b`` (..., n, k)
    with the same batch axes. ``ftrans.numpy.linalg.solve`` broadcasts.

    >>> import numpy as np
    >>> solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([[2.0], [2.0]]))
    array([[1. ],
           [0.5]])
    """
    return solve_p.bind(a, b)


solve_p.def_impl(np.linalg.solve)


@solve_p.def_cost
def _solve_cost(a, b):
    n = a.shape[-1]
    rhs = int(np.prod(b.shape[a.ndim - 1:], dtype=np.int64)) if b.ndim >= a.ndim else 1
    return dict(flops=_batch(a) * (2 * n ** 3 // 3 + 2 * n * n * rhs), transcendentals=0)


@solve_p.def_abstract_eval
def _solve_abstract_eval(a, b):
    _check_matrices("solve", a, complex_ok=True)  # its rules hold for complex too
    _check_rhs("solve", a, b, -2)
    return b


@solve_p.def_jvp
def _solve_jvp(primals, tangents):
    (a, b), (a_dot, b_dot) = primals, tangents
    x = solve(a, b)
    # a x = b  =>  a dx = db - da x
    rhs = b_dot
    if type(a_dot) is not Zero:
        prod = _matmul(a_dot, x)
        rhs = neg(prod) if type(b_dot) is Zero else sub(b_dot, prod)
    return x, solve(a, rhs)


@solve_p.def_transpose
def _solve_transpose(ct, a, b):
    check_linear_in("solve (in its matrix)", a)
    return [None, solve(_mT(a), ct)]  # (a⁻¹)ᵀ = (aᵀ)⁻¹


@solve_p.def_batch
def _solve_batch(axis_size, args, dims):
    (a, b), (ad, bd) = args, dims
    if ad is None:  # one matrix, factored once: the batch becomes more columns
        return _fold_batch(lambda rhs: solve(a, rhs), b, bd, axis_size, columns=True)
    a, b, d = _common_leading(a, ad, b, bd, axis_size)
    return solve(a, b), d


# --- det and slogdet -----------------------------------------------------------------

det_p = Primitive("det")


def det(a: ArrayLike) -> Array:
    """Determinant of each matrix of a batch (..., n, n).

    >>> import numpy as np
    >>> round(float(det(np.array([[2.0, 1.0], [1.0, 3.0]]))), 9)
    5.0
    """
    return det_p.bind(a)


@det_p.def_impl
def _det_impl(a):
    return np.asarray(np.linalg.det(a))


@det_p.def_cost
def _det_cost(a):
    n = a.shape[-1]  # an LU factorization
    return dict(flops=_batch(a) * 2 * n ** 3 // 3, transcendentals=0)


@det_p.def_abstract_eval
def _det_abstract_eval(a):
    _check_matrices("det", a, complex_ok=True)
    return ShapedArray(a.shape[:-2], a.dtype)


@det_p.def_jvp
def _det_jvp(primals, tangents):
    (a,), (a_dot,) = primals, tangents
    y = det(a)
    # Jacobi's formula: d det(A) = det(A) tr(A⁻¹ dA)
    return y, mul(y, _trace(solve(a, a_dot)))


det_p.def_batch(_single_matrix_batch(det_p))


slogdet_p = Primitive("slogdet", multiple_results=True)


def slogdet(a: ArrayLike) -> tuple[Array, Array]:
    """``(sign, log|det a|)`` of each matrix of a batch (..., n, n).

    >>> import numpy as np
    >>> sign, logabsdet = slogdet(np.array([[0.0, 2.0], [1.0, 0.0]]))
    >>> float(sign), round(float(logabsdet), 6)
    (-1.0, 0.693147)
    """
    sign, logabsdet = slogdet_p.bind(a)
    return sign, logabsdet


@slogdet_p.def_impl
def _slogdet_impl(a):
    return [np.asarray(r) for r in np.linalg.slogdet(a)]


@slogdet_p.def_cost
def _slogdet_cost(a):
    n = a.shape[-1]  # an LU factorization
    return dict(flops=_batch(a) * 2 * n ** 3 // 3, transcendentals=_batch(a) * n)


@slogdet_p.def_abstract_eval
def _slogdet_abstract_eval(a):
    _check_matrices("slogdet", a)
    out = ShapedArray(a.shape[:-2], a.dtype)
    return [out, out]


@slogdet_p.def_jvp
def _slogdet_jvp(primals, tangents):
    (a,), (a_dot,) = primals, tangents
    sign, logabsdet = slogdet_p.bind(a)
    # d log|det A| = tr(A⁻¹ dA); the sign is locally constant
    return [sign, logabsdet], [Zero(get_aval(sign)), _trace(solve(a, a_dot))]


slogdet_p.def_batch(_single_matrix_batch(slogdet_p))


# --- helpers for the decompositions ------------------------------------------------

def _check_decomposable(name, a: ShapedArray, square: bool = True, complex_ok: bool = True):
    """``a`` is a batch of (square, if ``square``) float or complex matrices."""
    if a.ndim < 2 or (square and a.shape[-1] != a.shape[-2]):
        want = "square matrices of shape (..., n, n)" if square else \
            "matrices of shape (..., m, n)"
        raise TypeError(f"{name}: expected a (batch of) {want}, got {a.str_short()}")
    kinds = "fc" if complex_ok else "f"
    if a.dtype.kind not in kinds:
        raise TypeError(f"{name}: expected a floating-point matrix, got "
                        f"{a.str_short()}; convert it with x.astype(float)")


def _real_only(name, x):
    if get_aval(x).dtype.kind == "c":
        raise NotImplementedError(
            f"{name}: derivatives for complex input {get_aval(x).str_short()} are not "
            "implemented (they need complex support in the core); differentiate "
            "with respect to a real input")


def _H(x):
    """The conjugate transpose of a batch of matrices (the transpose if real)."""
    if get_aval(x).dtype.kind == "c":
        from ftrans.prims.elementwise import conj
        return conj(_mT(x))
    return _mT(x)


def _like(r, x):
    """The real ``r`` in ``x``'s dtype (complex when ``x`` is)."""
    dtype = get_aval(x).dtype
    return r if get_aval(r).dtype == dtype else convert_element_type(r, dtype)


def _real_part(x):
    if get_aval(x).dtype.kind == "c":
        from ftrans.prims.elementwise import real
        return real(x)
    return x


def _diag(x):
    """The diagonals ``x[..., i, i]`` of a batch of square matrices: linear."""
    aval = get_aval(x)
    return reduce_sum(mul(x, _constant(np.eye(aval.shape[-1]), aval)), axes=(aval.ndim - 1,))


def _row(w, shape):
    """``w[..., None, :]`` broadcast to ``shape`` (..., k, n): entry (i, j) is w_j."""
    nd = len(shape)
    return broadcast_in_dim(w, shape, tuple(range(nd - 2)) + (nd - 1,))


def _col(w, shape):
    """``w[..., :, None]`` broadcast to ``shape`` (..., n, k): entry (i, j) is w_i."""
    nd = len(shape)
    return broadcast_in_dim(w, shape, tuple(range(nd - 2)) + (nd - 2,))


def _masked(x, mask):
    """``x`` times a constant (m, n) mask (batch axes in front): ``tril`` etc."""
    return mul(x, _constant(mask, get_aval(x)))


def _inverse_gaps(w):
    """``F[i, j] = 1 / (w_j - w_i)`` off the diagonal, 0 on it (as JAX: an inf
    where two eigenvalues coincide)."""
    aval = get_aval(w)
    n = aval.shape[-1]
    shape = aval.shape + (n,)
    eye = _constant(np.eye(n), ShapedArray(shape, aval.dtype))
    gaps = add(eye, sub(_row(w, shape), _col(w, shape)))
    return sub(div(_constant(np.ones((n, n)), ShapedArray(shape, aval.dtype)), gaps), eye)


def _slice_last2(x, rows, cols):
    """``x[..., r0:r1, c0:c1]``."""
    shape = get_aval(x).shape
    return slice_(x, (0,) * (len(shape) - 2) + (rows[0], cols[0]),
                  shape[:-2] + (rows[1], cols[1]))


def _block(a, b, c, d):
    """The block matrix ``[[a, b], [c, d]]`` of batches of matrices."""
    nd = get_aval(a).ndim
    top = concatenate([a, b], nd - 1)
    bottom = concatenate([c, d], nd - 1)
    return concatenate([top, bottom], nd - 2)


# --- eigh ---------------------------------------------------------------------------

eigh_p = Primitive("eigh", multiple_results=True)


def eigh(x: ArrayLike, *, lower: bool = True, symmetrize_input: bool = True) -> tuple[Array, Array]:
    """Eigendecomposition of a symmetric (Hermitian) matrix, as
    ``jax.lax.linalg.eigh``: ``(v, w)`` with ``x = v diag(w) vᵀ``, the
    eigenvalues ``w`` in ascending order, batched over leading axes.

    With ``symmetrize_input`` the input is taken as ``(x + xᵀ) / 2``, and so
    is its tangent; otherwise only its ``lower`` (or upper) triangle is read.

    Derivatives (real or complex input): ``dw = diag(vᴴ dA v)`` and
    ``dv = v (F ∘ (vᴴ dA v))`` with ``F_ij = 1 / (w_j - w_i)`` off the
    diagonal. Where two eigenvalues coincide the eigenvectors are not unique
    and, as in JAX, their derivative is not finite (the rule divides by zero);
    the eigenvalues' derivative stays finite and correct there. A function of
    the eigenvectors that is invariant to the basis of each eigenspace
    (``v diag(f(w)) vᵀ``) has the correct derivative where the eigenvalues are
    distinct, and, as in JAX, a non-finite one where they repeat.

    >>> import numpy as np
    >>> v, w = eigh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> w
    array([1., 3.])
    """
    v, w = eigh_p.bind(x, lower=bool(lower), symmetrize_input=bool(symmetrize_input))
    return v, w


def _hermitian_part(x, lower, symmetrize_input, swap, conj):
    """The Hermitian matrix that ``eigh`` decomposes, from the input ``x``."""
    if symmetrize_input:
        return (x + conj(swap(x))) / 2
    n = x.shape[-1]
    tri = np.tril(x) if lower else np.triu(x)
    return tri + conj(swap(tri - tri * np.eye(n, dtype=x.dtype)))


@eigh_p.def_impl
def _eigh_impl(x, lower, symmetrize_input):
    x = np.asarray(x)
    h = _hermitian_part(x, lower, symmetrize_input, lambda t: np.swapaxes(t, -1, -2), np.conj)
    w, v = np.linalg.eigh(h)
    return [v, w.astype(np.finfo(x.dtype).dtype)]


@eigh_p.def_abstract_eval
def _eigh_abstract_eval(x, lower, symmetrize_input):
    _check_decomposable("eigh", x)
    real = np.dtype(np.finfo(x.dtype).dtype)
    return [x, ShapedArray(x.shape[:-1], real)]


@eigh_p.def_cost
def _eigh_cost(x, **params):
    n = x.shape[-1]  # tridiagonal reduction and QR iteration with vectors
    return dict(flops=_batch(x) * 9 * n ** 3, transcendentals=_batch(x) * n)


@eigh_p.def_jvp
def _eigh_jvp(primals, tangents, lower, symmetrize_input):
    (x,), (x_dot,) = primals, tangents
    v, w = eigh_p.bind(x, lower=lower, symmetrize_input=symmetrize_input)
    if symmetrize_input:
        da = mul(add(x_dot, _H(x_dot)), _half(x))
    else:  # the triangle read, reflected
        n = get_aval(x).shape[-1]
        tri = _masked(x_dot, np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n))))
        da = add(tri, _H(_masked(tri, 1 - np.eye(n))))
    vt_da_v = _matmul(_H(v), _matmul(da, v))
    # dA = V (dΛ + Vᴴ dV Λ - Λ Vᴴ dV) Vᴴ with Vᴴ dV anti-Hermitian
    f = _like(_inverse_gaps(w), x)
    return [v, w], [_matmul(v, mul(f, vt_da_v)), _real_part(_diag(vt_da_v))]


eigh_p.def_batch(_single_matrix_batch(eigh_p))


# --- svd ----------------------------------------------------------------------------

svd_p = Primitive("svd", multiple_results=True)


def svd(x: ArrayLike, *, full_matrices: bool = True,
        compute_uv: bool = True) -> Array | tuple[Array, Array, Array]:
    """Singular value decomposition, as ``jax.lax.linalg.svd``: ``(u, s, vh)``
    with ``x = u diag(s) vh`` and ``s`` descending, or ``s`` alone when not
    ``compute_uv``. ``x`` is (..., m, n); with ``k = min(m, n)``, ``u`` is
    (..., m, m) and ``vh`` (..., n, n) if ``full_matrices``, else (..., m, k)
    and (..., k, n).

    Derivatives (real or complex input), the standard result: with ``dP = uᴴ dA v``,
    ``ds = diag(dP)``; ``du`` and ``dv`` use ``F_ij = 1 / (s_j² - s_i²)`` and
    the projections onto the complement of the singular subspaces. They are
    not finite for ``u`` and ``vh`` where two singular values coincide (or,
    for a non-square matrix, where one is zero), as in JAX; the singular
    values' own derivative stays finite. As in JAX, the derivative of ``u``/``vh`` with
    ``full_matrices`` of a non-square matrix is not implemented (the extra
    columns are not unique).

    >>> import numpy as np
    >>> svd(np.array([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False)
    array([4., 3.])
    """
    out = svd_p.bind(x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    return tuple(out) if compute_uv else out[0]


@svd_p.def_impl
def _svd_impl(x, full_matrices, compute_uv):
    x = np.asarray(x)
    real = np.finfo(x.dtype).dtype
    if not compute_uv:
        return [np.linalg.svd(x, compute_uv=False).astype(real)]
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    return [u, s.astype(real), vh]


@svd_p.def_abstract_eval
def _svd_abstract_eval(x, full_matrices, compute_uv):
    _check_decomposable("svd", x, square=False)
    m, n = x.shape[-2:]
    k = min(m, n)
    batch = x.shape[:-2]
    s = ShapedArray(batch + (k,), np.finfo(x.dtype).dtype)
    if not compute_uv:
        return [s]
    ucols, vrows = (m, n) if full_matrices else (k, k)
    return [ShapedArray(batch + (m, ucols), x.dtype), s,
            ShapedArray(batch + (vrows, n), x.dtype)]


@svd_p.def_cost
def _svd_cost(x, full_matrices, compute_uv):
    m, n = x.shape[-2:]
    k, big = min(m, n), max(m, n)
    # Golub-Van Loan: bidiagonalization, then QR iteration (with vectors)
    flops = 4 * big * k * k - 4 * k ** 3 // 3 if not compute_uv else \
        4 * big * big * k + 8 * big * k * k + 9 * k ** 3
    return dict(flops=_batch(x) * flops, transcendentals=_batch(x) * k)


@svd_p.def_jvp
def _svd_jvp(primals, tangents, full_matrices, compute_uv):
    (x,), (x_dot,) = primals, tangents
    m, n = get_aval(x).shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError(
            f"svd: the derivative of u and vh with full_matrices=True is not "
            f"implemented for a non-square matrix {get_aval(x).str_short()} (their "
            "extra columns are not unique); use full_matrices=False")
    u, s, vh = svd_p.bind(x, full_matrices=False, compute_uv=True)
    v = _H(vh)
    dp = _matmul(_H(u), _matmul(x_dot, v))  # (..., k, k)
    ds = _real_part(_diag(dp))
    if not compute_uv:
        return [s], [ds]
    kshape = get_aval(dp).shape
    rs = ShapedArray(kshape, get_aval(s).dtype)
    s_row, s_col = _row(s, kshape), _col(s, kshape)
    k = kshape[-1]
    eye = _constant(np.eye(k), rs)
    # F_ij = 1 / (s_j² - s_i²) off the diagonal
    gaps = add(eye, mul(add(s_row, s_col), sub(s_row, s_col)))
    f = _like(sub(div(_constant(np.ones((k, k)), rs), gaps), eye), x)
    dp_s = mul(dp, _like(s_row, x))        # dP diag(s)
    s_dp = mul(_like(s_col, x), dp)        # diag(s) dP
    inner_u = mul(f, add(dp_s, _H(dp_s)))
    if get_aval(x).dtype.kind == "c":
        # the imaginary part of diag(dP), split between du and dv, here all in du
        zero = eq(s, _constant(np.zeros(()), get_aval(s)))
        one = _constant(np.ones(()), get_aval(s))
        s_inv = sub(div(one, add(s, convert_element_type(zero, get_aval(s).dtype))),
                    convert_element_type(zero, get_aval(s).dtype))
        half_diag = mul(_like(mul(eye, _row(s_inv, kshape)), x), _half(x))
        inner_u = add(inner_u, mul(sub(dp, _H(dp)), half_diag))
    du = _matmul(u, inner_u)
    dv = _matmul(v, mul(f, add(s_dp, _H(s_dp))))
    if m > n:  # the part of dA v outside the span of u
        da_v = _matmul(x_dot, v)
        rest = sub(da_v, _matmul(u, _matmul(_H(u), da_v)))
        du = add(du, div(rest, _like(_row(s, get_aval(rest).shape), x)))
    if n > m:  # the part of dAᴴ u outside the span of v
        da_u = _matmul(_H(x_dot), u)
        rest = sub(da_u, _matmul(v, _matmul(vh, da_u)))
        dv = add(dv, div(rest, _like(_row(s, get_aval(rest).shape), x)))
    return [u, s, vh], [du, ds, _H(dv)]


svd_p.def_batch(_single_matrix_batch(svd_p))


# --- qr -----------------------------------------------------------------------------

qr_p = Primitive("qr", multiple_results=True)


def qr(x: ArrayLike, *, full_matrices: bool = True) -> tuple[Array, Array]:
    """QR decomposition ``x = q r``, as ``jax.lax.linalg.qr``: for ``x``
    (..., m, n) and ``k = min(m, n)``, ``q`` is (..., m, m) and ``r``
    (..., m, n) if ``full_matrices``, else (..., m, k) and (..., k, n).

    The derivative (real input) is implemented, as in JAX, for ``m >= n``
    and the reduced factors (``full_matrices=False``, or a square ``x``):
    with ``C = qᵀ dA r⁻¹`` and ``Ω = tril(C, -1) - tril(C, -1)ᵀ``,
    ``dq = q (Ω - C) + dA r⁻¹`` and ``dr = (C - Ω) r``. It is not finite
    where ``r`` is singular (``x`` of lower rank).

    >>> import numpy as np
    >>> q, r = qr(np.array([[3.0], [4.0]]), full_matrices=False)
    >>> np.round(np.abs(r), 12)
    array([[5.]])
    """
    q, r = qr_p.bind(x, full_matrices=bool(full_matrices))
    return q, r


@qr_p.def_impl
def _qr_impl(x, full_matrices):
    q, r = np.linalg.qr(np.asarray(x), mode="complete" if full_matrices else "reduced")
    return [q, r]


@qr_p.def_abstract_eval
def _qr_abstract_eval(x, full_matrices):
    _check_decomposable("qr", x, square=False)
    m, n = x.shape[-2:]
    k = m if full_matrices else min(m, n)
    return [ShapedArray(x.shape[:-2] + (m, k), x.dtype),
            ShapedArray(x.shape[:-2] + (k, n), x.dtype)]


@qr_p.def_cost
def _qr_cost(x, full_matrices):
    m, n = x.shape[-2:]
    k = min(m, n)  # Householder: 2mn² - 2n³/3 for r, as much again to form q
    return dict(flops=_batch(x) * 2 * (2 * m * n * k - 2 * k ** 3 // 3), transcendentals=0)


@qr_p.def_jvp
def _qr_jvp(primals, tangents, full_matrices):
    (x,), (x_dot,) = primals, tangents
    _real_only("qr", x)
    m, n = get_aval(x).shape[-2:]
    if m < n or (full_matrices and m != n):
        raise NotImplementedError(
            f"qr: the derivative is implemented for m >= n and the reduced factors, "
            f"got {get_aval(x).str_short()} with full_matrices={full_matrices}; use "
            "full_matrices=False (for m < n, differentiate the qr of x's transpose)")
    q, r = qr_p.bind(x, full_matrices=full_matrices)
    da_rinv = triangular_solve(r, x_dot, left_side=False, lower=False)  # dA r⁻¹
    c = _matmul(_mT(q), da_rinv)
    low = _masked(c, np.tril(np.ones((n, n)), -1))
    omega = sub(low, _mT(low))  # qᵀ dq: antisymmetric; dr r⁻¹: upper triangular
    dq = add(_matmul(q, sub(omega, c)), da_rinv)
    dr = _matmul(sub(c, omega), r)
    return [q, r], [dq, dr]


qr_p.def_batch(_single_matrix_batch(qr_p))


# --- eig ----------------------------------------------------------------------------

eig_p = Primitive("eig", multiple_results=True)


def eig(x: ArrayLike, *, compute_eigenvectors: bool = True) -> list[Array]:
    """Eigendecomposition of a general square matrix, as ``numpy.linalg.eig``:
    ``[w, v]`` with complex eigenvalues ``w`` (..., n) and unit-norm
    eigenvectors ``v`` (..., n, n) in its columns, ``x v = v diag(w)``; or
    ``[w]`` when not ``compute_eigenvectors``.

    As in JAX, only the eigenvalues are differentiable, once:
    ``dw = diag(v⁻¹ dA v)``. The eigenvectors' derivative is not implemented
    (their normalization and phase are arbitrary) and raises
    ``NotImplementedError``, and so does a second derivative of the
    eigenvalues, whose JVP is written with the eigenvectors.

    >>> import numpy as np
    >>> w, = eig(np.array([[0.0, -1.0], [1.0, 0.0]]), compute_eigenvectors=False)
    >>> np.sort_complex(w)
    array([0.-1.j, 0.+1.j])
    """
    return eig_p.bind(x, compute_eigenvectors=bool(compute_eigenvectors))


def _complex_of(dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)


@eig_p.def_impl
def _eig_impl(x, compute_eigenvectors):
    x = np.asarray(x)
    c = _complex_of(x.dtype)
    if not compute_eigenvectors:
        return [np.linalg.eigvals(x).astype(c)]
    w, v = np.linalg.eig(x)
    return [w.astype(c), v.astype(c)]


@eig_p.def_abstract_eval
def _eig_abstract_eval(x, compute_eigenvectors):
    _check_decomposable("eig", x)
    c = _complex_of(x.dtype)
    w = ShapedArray(x.shape[:-1], c)
    return [w, ShapedArray(x.shape, c)] if compute_eigenvectors else [w]


@eig_p.def_cost
def _eig_cost(x, compute_eigenvectors):
    n = x.shape[-1]  # Hessenberg reduction and the QR algorithm
    return dict(flops=_batch(x) * (25 if compute_eigenvectors else 10) * n ** 3,
                transcendentals=_batch(x) * n)


@eig_p.def_jvp
def _eig_jvp(primals, tangents, compute_eigenvectors):
    (x,), (x_dot,) = primals, tangents
    if compute_eigenvectors:
        raise NotImplementedError(
            "eig: the derivative of the eigenvectors is not implemented (as in JAX), "
            "only of the eigenvalues: use ftrans.numpy.linalg.eigvals")
    w, v = eig_p.bind(x, compute_eigenvectors=True)
    da = convert_element_type(x_dot, get_aval(v).dtype)
    return [w], [_diag(solve(v, _matmul(da, v)))]  # first-order perturbation theory


eig_p.def_batch(_single_matrix_batch(eig_p))


# --- lu -----------------------------------------------------------------------------

lu_p = Primitive("lu", multiple_results=True)


def lu(x: ArrayLike) -> tuple[Array, Array, Array]:
    """LU decomposition with partial (row) pivoting, as ``jax.lax.linalg.lu``:
    ``(lu, pivots, permutation)``. For ``x`` (..., m, n) and ``k = min(m, n)``,
    ``lu`` (..., m, n) holds the unit-lower ``L`` (below its diagonal) and the
    upper ``U``; ``pivots`` (..., k) are LAPACK's row swaps (0-based); and
    ``permutation`` (..., m) is the row order with ``x[permutation] = L U``.

    The derivative of ``lu`` (pivots and permutation are integers, locally
    constant): with ``X = L⁻¹ P dA U⁻¹``, ``dL = L tril(X, -1)`` and
    ``dU = triu(X) U``. It is not finite for a singular ``U``.

    >>> import numpy as np
    >>> lu_, pivots, perm = lu(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> perm
    array([1, 0], dtype=int32)
    """
    out, pivots, perm = lu_p.bind(x)
    return out, pivots, perm


def _lu_impl(x):
    x = np.asarray(x)
    *batch, m, n = x.shape
    k = min(m, n)
    a = x.reshape((-1, m, n)).copy()
    count = a.shape[0]
    perm = np.tile(np.arange(m, dtype=np.int32), (count, 1))
    pivots = np.zeros((count, k), np.int32)
    rows = np.arange(count)
    for j in range(k):
        p = j + np.argmax(np.abs(a[:, j:, j]), axis=1)  # the first largest, as LAPACK
        pivots[:, j] = p
        a[rows, j], a[rows, p] = a[rows, p], a[rows, j].copy()
        perm[rows, j], perm[rows, p] = perm[rows, p], perm[rows, j].copy()
        d = a[:, j, j]
        a[:, j + 1:, j] /= np.where(d == 0, 1, d)[:, None]  # a zero pivot: a zero column
        a[:, j + 1:, j + 1:] -= a[:, j + 1:, j:j + 1] * a[:, j:j + 1, j + 1:]
    return [a.reshape(x.shape), pivots.reshape(tuple(batch) + (k,)),
            perm.reshape(tuple(batch) + (m,))]


lu_p.def_impl(_lu_impl)


@lu_p.def_abstract_eval
def _lu_abstract_eval(x):
    _check_decomposable("lu", x, square=False)
    m, n = x.shape[-2:]
    batch = x.shape[:-2]
    return [x, ShapedArray(batch + (min(m, n),), np.int32), ShapedArray(batch + (m,), np.int32)]


@lu_p.def_cost
def _lu_cost(x):
    m, n = x.shape[-2:]
    k = min(m, n)
    return dict(flops=_batch(x) * (2 * m * n * k - (m + n) * k * k + 2 * k ** 3 // 3),
                transcendentals=0)


def _permutation_matrix(perm, dtype):
    """``P`` with ``P[i, perm[i]] = 1``, so that ``P a = a[perm]``."""
    aval = get_aval(perm)
    m = aval.shape[-1]
    shape = aval.shape + (m,)
    cols = np.broadcast_to(np.arange(m, dtype=aval.dtype), shape)
    return convert_element_type(eq(_col(perm, shape), cols), dtype)


@lu_p.def_jvp
def _lu_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    _real_only("lu", x)
    out, pivots, perm = lu_p.bind(x)
    aval = get_aval(x)
    m, n = aval.shape[-2:]
    k = min(m, n)
    lower = add(_masked(_slice_last2(out, (0, m), (0, k)), np.tril(np.ones((m, k)), -1)),
                _constant(np.eye(m, k), ShapedArray(aval.shape[:-2] + (m, k), aval.dtype)))
    upper = _masked(_slice_last2(out, (0, k), (0, n)), np.triu(np.ones((k, n))))
    batch = aval.shape[:-2]
    if m > k:  # square L: identity in the extra columns
        lower = concatenate([lower, _constant(np.eye(m, m - k, -k), ShapedArray(
            batch + (m, m - k), aval.dtype))], aval.ndim - 1)
    if n > k:  # square U: identity in the extra rows
        upper = concatenate([upper, _constant(np.eye(n - k, n, k), ShapedArray(
            batch + (n - k, n), aval.dtype))], aval.ndim - 2)
    pa = _matmul(_permutation_matrix(perm, aval.dtype), x_dot)
    # P A = L U  =>  L⁻¹ P dA U⁻¹ = L⁻¹ dL + dU U⁻¹: strictly lower + upper
    la = triangular_solve(lower, pa, left_side=True, lower=True, unit_diagonal=True)
    lau = triangular_solve(upper, la, left_side=False, lower=False)
    l_dot = _matmul(lower, _masked(lau, np.tril(np.ones((m, n)), -1)))
    u_dot = _matmul(_masked(lau, np.triu(np.ones((m, n)))), upper)
    return [out, pivots, perm], [add(l_dot, u_dot), Zero(get_aval(pivots)),
                                 Zero(get_aval(perm))]


lu_p.def_batch(_single_matrix_batch(lu_p))


# --- expm and its Fréchet derivative --------------------------------------------------
#
# expm is a primitive (scaling and squaring with Padé approximants, Higham
# 2005), its JVP the Fréchet derivative L(A, E), itself a primitive linear in
# E, computed by the block-matrix identity
#     expm([[A, E], [0, A]]) = [[expm(A), L(A, E)], [0, expm(A)]].
# L(A, ·) transposes to L(Aᵀ, ·); its derivative in A is, by the same
# identity, a block of L([[A, E], [0, A]], [[dA, 0], [0, dA]]); so every
# order is a Fréchet derivative of a larger matrix.

_PADE = {
    3: (120.0, 60.0, 12.0, 1.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    9: (17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0,
        2162160.0, 110880.0, 3960.0, 90.0, 1.0),
    13: (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
         1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
         33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0),
}
_THETA = {3: 1.495585217958292e-2, 5: 2.539398330063230e-1, 7: 9.504178996162932e-1,
          9: 2.097847961257068e0, 13: 5.371920351148152e0}


def _expm_one(a):
    """``expm`` of one square matrix (float64 or complex128 arithmetic)."""
    n = a.shape[0]
    ident = np.eye(n, dtype=a.dtype)
    norm = float(np.abs(a).sum(axis=0).max()) if n else 0.0
    if not np.isfinite(norm):
        return np.full_like(a, np.nan)
    degree = next((d for d in (3, 5, 7, 9) if norm <= _THETA[d]), 13)
    squarings = max(0, int(np.ceil(np.log2(norm / _THETA[13])))) if degree == 13 else 0
    a = a / 2.0 ** squarings
    b = _PADE[degree]
    a2 = a @ a
    if degree < 13:
        powers = [ident, a2]
        for _ in range(degree // 2 - 1):
            powers.append(powers[-1] @ a2)
        u = a @ sum(b[2 * i + 1] * p for i, p in enumerate(powers))
        v = sum(b[2 * i] * p for i, p in enumerate(powers))
    else:
        a4 = a2 @ a2
        a6 = a4 @ a2
        u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
                 + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
        v = (a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2)
             + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * ident)
    r = np.linalg.solve(v - u, v + u)
    for _ in range(squarings):
        r = r @ r
    return r


def _expm_impl(x):
    x = np.asarray(x)
    wide = np.result_type(x.dtype, np.float64)
    flat = x.reshape((int(np.prod(x.shape[:-2])),) + x.shape[-2:]).astype(wide)
    out = np.stack([_expm_one(a) for a in flat]) if flat.shape[0] else flat
    return out.reshape(x.shape).astype(x.dtype)


def _expm_frechet_impl(a, e):
    a, e = np.asarray(a), np.asarray(e)
    n = a.shape[-1]
    block = np.concatenate([np.concatenate([a, e], -1),
                            np.concatenate([np.zeros_like(a), a], -1)], -2)
    return _expm_impl(block)[..., :n, n:]


expm_p = Primitive("expm")


def expm(x: ArrayLike) -> Array:
    """Matrix exponential of each matrix of a batch (..., n, n), as
    ``scipy.linalg.expm``: scaling and squaring with a Padé approximant of
    degree 3 to 13 (Higham 2005). Its derivative is the Fréchet derivative
    ``expm_frechet``.

    >>> import numpy as np
    >>> expm(np.zeros((2, 2)))
    array([[1., 0.],
           [0., 1.]])
    """
    return expm_p.bind(x)


expm_p.def_impl(_expm_impl)


@expm_p.def_abstract_eval
def _expm_abstract_eval(x):
    _check_decomposable("expm", x)
    return x


@expm_p.def_cost
def _expm_cost(x):
    n = x.shape[-1]  # about 6 products and a solve, plus the squarings
    return dict(flops=_batch(x) * 2 * 8 * n ** 3, transcendentals=0)


@expm_p.def_jvp
def _expm_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return expm(x), expm_frechet(x, x_dot)


expm_p.def_batch(_single_matrix_batch(expm_p))


expm_frechet_p = Primitive("expm_frechet")


def expm_frechet(a: ArrayLike, e: ArrayLike) -> Array:
    """The Fréchet derivative ``L(a, e)`` of ``expm`` at ``a`` in direction
    ``e`` (the derivative of ``expm(a + t e)`` at ``t = 0``), linear in ``e``,
    as the second result of ``scipy.linalg.expm_frechet``.

    >>> import numpy as np
    >>> expm_frechet(np.zeros((2, 2)), np.eye(2))
    array([[1., 0.],
           [0., 1.]])
    """
    return expm_frechet_p.bind(a, e)


expm_frechet_p.def_impl(_expm_frechet_impl)


@expm_frechet_p.def_abstract_eval
def _expm_frechet_abstract_eval(a, e):
    _check_decomposable("expm_frechet", a)
    if e.shape != a.shape or e.dtype != a.dtype:
        raise TypeError(f"expm_frechet: the direction e must have the matrix's type "
                        f"{a.str_short()}, got {e.str_short()}")
    return a


@expm_frechet_p.def_cost
def _expm_frechet_cost(a, e):
    n = a.shape[-1]  # expm of a matrix of twice the size
    return dict(flops=_batch(a) * 2 * 8 * (2 * n) ** 3, transcendentals=0)


@expm_frechet_p.def_jvp
def _expm_frechet_jvp(primals, tangents):
    (a, e), (a_dot, e_dot) = primals, tangents
    out = expm_frechet(a, e)
    terms = Zero(get_aval(out))
    if type(e_dot) is not Zero:
        terms = add_tangents(terms, expm_frechet(a, e_dot))
    if type(a_dot) is not Zero:
        n = get_aval(a).shape[-1]
        zeros = _constant(np.zeros((n, n)), get_aval(a))
        big = expm_frechet(_block(a, e, zeros, a), _block(a_dot, zeros, zeros, a_dot))
        terms = add_tangents(terms, _slice_last2(big, (0, n), (n, 2 * n)))
    return out, terms


@expm_frechet_p.def_transpose
def _expm_frechet_transpose(ct, a, e):
    check_linear_in("expm_frechet (in its matrix)", a)
    # <C, L(A, E)> = <L(Aᵀ, C), E>
    return [None, expm_frechet(_mT(a), ct)]


@expm_frechet_p.def_batch
def _expm_frechet_batch(axis_size, args, dims):
    (a, e), (ad, ed) = args, dims
    a, e, d = _common_leading(a, ad, e, ed, axis_size)
    return expm_frechet(a, e), d


__all__ = exports(globals())  # the public functions above: ftrans.lax exports them
