"""Linear-algebra primitives: ``dot_general``, ``cholesky``, ``triangular_solve``,
``solve``, ``det`` and ``slogdet``.

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
from ftrans.prims.elementwise import add, convert_element_type, mul, neg, sub
from ftrans.prims.reductions import reduce_sum
from ftrans.prims.shape import reshape, transpose
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
    x, y = np.asarray(x), np.asarray(y)
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

def _check_matrices(name, a: ShapedArray) -> int:
    """``a`` is a batch of square real-float matrices; returns their size."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise TypeError(f"{name}: expected a (batch of) square matrices of shape "
                        f"(..., n, n), got {a.str_short()}")
    if a.dtype.kind != "f":
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
    def rule(axis_size, args, dims):
        x, d = _as_leading(args[0], dims[0])
        out = prim.bind(x)
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
    _check_matrices("solve", a)
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
    _check_matrices("det", a)
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


__all__ = exports(globals())  # the public functions above: ftrans.lax exports them
