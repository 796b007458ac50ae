"""Reductions of ftrans.numpy: ``sum``, ``mean``, ``max``, ``var``, ``argmax``,
``cumsum``, ... with numpy's ``axis`` (int, tuple, negative, None),
``keepdims`` and result dtypes.

Each lowers to one reduction primitive over a normalized, sorted tuple of
axes; ``keepdims`` is a ``reshape`` afterwards. Integer and boolean sums
accumulate in int64 and means of integers are float64, as in numpy.
"""

from __future__ import annotations

import builtins

import numpy as np

from ftrans import lax
from ftrans.dtypes import to_inexact
from ftrans.numpy._ufuncs import (_as_bool, _dtype, _shape, add, asarray,
                                  broadcast_to_shape, equal, isclose, isnan, logical_and,
                                  logical_not, logical_or, multiply, promote, sqrt, square,
                                  subtract, true_divide, where)
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike, Axis, DTypeLike

__all__ = [
    "sum", "prod", "product", "mean", "max", "min", "amax", "amin", "argmax",
    "argmin", "var", "std", "ptp", "average", "any", "all", "allclose", "array_equal",
    "count_nonzero",
    "cumsum", "cumprod", "cumulative_sum", "nansum", "nanmean", "nanmax",
    "nanmin", "nanprod", "nanvar", "nanstd",
]

def _normalize_axis(axis: int, ndim: int, name: str = "axis") -> int:
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(f"{name} {axis} is out of bounds for array of "
                                      f"dimension {ndim}")
    return axis % ndim


def _reduction_axes(axis, ndim: int) -> tuple:
    """``axis`` (None, int or tuple, possibly negative) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = [_normalize_axis(a, ndim) for a in axis]
        if len(set(axes)) != len(axes):
            raise ValueError(f"duplicate value in 'axis': {axis}")
        return tuple(sorted(axes))
    return (_normalize_axis(axis, ndim),)


def _keep(out, x_shape, axes, keepdims):
    if not keepdims:
        return out
    shape = tuple(1 if i in axes else s for i, s in enumerate(x_shape))
    return lax.reshape(out, shape)


def _sum_dtype(dtype) -> np.dtype:
    """numpy's accumulator: small ints and bools sum in int64 (uints in uint64)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_ or (dtype.kind == "i" and dtype.itemsize < 8):
        return np.dtype(np.int64)
    if dtype.kind == "u" and dtype.itemsize < 8:
        return np.dtype(np.uint64)
    return dtype


def _prepare(a, where_, fill):
    a = asarray(a)
    if where_ is not None:
        a = where(where_, a, fill)
    return a


def sum(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None,
        keepdims: bool = False, initial: ArrayLike | None = None,
        where: ArrayLike | None = None) -> Array:
    """Sum over ``axis``, as ``numpy.sum``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.sum(np.ones((2, 3)), axis=-1), jnp.sum([True, True]).dtype
    (array([3., 3.]), dtype('int64'))
    """
    a = asarray(a)
    dtype = _sum_dtype(_dtype(a)) if dtype is None else np.dtype(dtype)
    a = lax.convert_element_type(_prepare(a, where, 0), dtype)
    axes = _reduction_axes(axis, a.ndim if type(a) is Tracer else np.ndim(a))
    out = lax.reduce_sum(a, axes) if axes else a
    if initial is not None:
        out = lax.add(*promote("sum", out, initial, dtype=dtype))
    return _keep(out, _shape(a), axes, keepdims)


def prod(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None,
         keepdims: bool = False, initial: ArrayLike | None = None,
         where: ArrayLike | None = None) -> Array:
    """Product over ``axis``, as ``numpy.prod``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.prod(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    array([3., 8.])
    """
    a = asarray(a)
    dtype = _sum_dtype(_dtype(a)) if dtype is None else np.dtype(dtype)
    a = lax.convert_element_type(_prepare(a, where, 1), dtype)
    axes = _reduction_axes(axis, len(_shape(a)))
    out = lax.reduce_prod(a, axes) if axes else a
    if initial is not None:
        out = lax.mul(*promote("prod", out, initial, dtype=dtype))
    return _keep(out, _shape(a), axes, keepdims)


product = prod


def _extremum(name, reduce, combine):
    def f(a: ArrayLike, axis: Axis = None, keepdims: bool = False,
          initial: ArrayLike | None = None, where: ArrayLike | None = None) -> Array:
        a = asarray(a)
        if where is not None:
            if initial is None:
                raise ValueError(f"{name}: reduction with `where` needs an `initial` value")
            a = _prepare(a, where, initial)
        axes = _reduction_axes(axis, len(_shape(a)))
        shape = _shape(a)
        if builtins.any(shape[i] == 0 for i in axes) and initial is None:
            raise ValueError(f"{name}: zero-size array to reduction operation "
                             f"{name} which has no identity")
        out = reduce(a, axes) if axes else a
        if initial is not None:
            out = combine(*promote(name, out, initial, dtype=_dtype(a)))
        return _keep(out, shape, axes, keepdims)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"The {name}imum over ``axis``, as ``numpy.{name}``.\n\n"
                 f"    >>> import numpy as np, ftrans.numpy as jnp\n"
                 f"    >>> jnp.{name}(np.array([[1.0, 5.0], [3.0, 2.0]]), axis=1)\n"
                 f"    array({'[5., 3.]' if name == 'max' else '[1., 2.]'})\n")
    return f


max = amax = _extremum("max", lax.reduce_max, lax.max)
min = amin = _extremum("min", lax.reduce_min, lax.min)


def _count(shape, axes) -> int:
    return int(np.prod([shape[i] for i in axes], dtype=np.int64))


def mean(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None,
         keepdims: bool = False, where: ArrayLike | None = None) -> Array:
    """The arithmetic mean over ``axis`` (float64 for integers), as ``numpy.mean``.

    >>> import ftrans.numpy as jnp
    >>> jnp.mean([1, 2, 3, 4])
    array(2.5)
    """
    a = asarray(a)
    dtype = to_inexact(_dtype(a)) if dtype is None else np.dtype(dtype)
    axes = _reduction_axes(axis, len(_shape(a)))
    total = sum(a, axis=axes, dtype=dtype, keepdims=keepdims, where=where)
    if where is None:
        n = np.asarray(_count(_shape(a), axes), dtype=dtype)[()]
    else:
        n = sum(broadcast_to_shape(where, _shape(a)), axis=axes, dtype=dtype,
                keepdims=keepdims)
    return true_divide(total, n)


def var(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, ddof: int = 0,
        keepdims: bool = False, *, where: ArrayLike | None = None,
        correction: int | float | None = None) -> Array:
    """The variance over ``axis`` with ``ddof`` (or ``correction``) degrees of
    freedom removed, as ``numpy.var``.

    >>> import ftrans.numpy as jnp
    >>> jnp.var([1.0, 2.0, 3.0, 4.0]), jnp.var([1.0, 2.0, 3.0, 4.0], ddof=1)
    (array(1.25), array(1.66666667))
    """
    return _var(a, axis, dtype, ddof, keepdims, where, correction)[0]


def _var(a, axis, dtype, ddof, keepdims, where, correction):
    """The variance and the count it is over (an int, or an array with ``where``).
    No degrees of freedom left (``ddof >= n``) gives nan, as JAX."""
    if correction is not None:
        ddof = correction
    a = asarray(a)
    dtype = to_inexact(_dtype(a)) if dtype is None else np.dtype(dtype)
    a = lax.convert_element_type(a, dtype)
    axes = _reduction_axes(axis, len(_shape(a)))
    centered = subtract(a, mean(a, axis=axes, keepdims=True, where=where))
    sq = square(centered)
    if where is None:
        n = _count(_shape(a), axes)
        total = sum(sq, axis=axes, keepdims=keepdims)
        if n - ddof <= 0:  # nan, with a nan derivative: the statistic is undefined
            return multiply(total, np.asarray(np.nan, dtype=dtype)[()]), n
        return true_divide(total, np.asarray(n - ddof, dtype=dtype)[()]), n
    total = sum(sq, axis=axes, keepdims=keepdims, where=where)
    n = sum(broadcast_to_shape(where, _shape(a)), axis=axes, dtype=dtype,
            keepdims=keepdims)
    dof = subtract(n, ddof)
    return _where_defined(lax.gt(dof, _zero(dof)), true_divide(total, dof)), n


def _zero(x):
    return np.zeros((), _dtype(x))[()]


def _where_defined(defined, v):
    """``v`` where ``defined``, else nan. (Added, not selected: ``where(d, v, v * nan)``
    would send ``0 * nan`` back to ``v`` from the entries that are defined.)"""
    nan = np.asarray(np.nan, dtype=_dtype(v))[()]
    return add(v, where(defined, np.zeros((), _dtype(v))[()], nan))


def _std_of_var(v, n, ddof):
    """``sqrt(v)`` for a variance over ``n`` elements. Over one element the
    variance is constant (0): its root gets derivative 0, not ``0 * sqrt'(0)``,
    which is nan. Elsewhere a zero variance is the tip of a cone: nan, as JAX."""
    if not isinstance(n, (int, np.integer)):  # a count per output (``where``)
        one = lax.bitwise_and(lax.eq(n, np.ones((), _dtype(n))[()]),
                              lax.lt(np.asarray(ddof, _dtype(n))[()], n))
        safe = sqrt(where(one, np.ones((), _dtype(v))[()], v))
        return where(one, lax.stop_gradient(sqrt(v)), safe)
    if n == 1 and ddof < 1:
        return sqrt(lax.stop_gradient(v))
    return sqrt(v)


def std(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, ddof: int = 0,
        keepdims: bool = False, *, where: ArrayLike | None = None,
        correction: int | float | None = None) -> Array:
    """The standard deviation ``sqrt(var(...))``, as ``numpy.std``.

    >>> import ftrans.numpy as jnp
    >>> jnp.std([1.0, 3.0])
    array(1.)
    """
    v, n = _var(a, axis, dtype, ddof, keepdims, where, correction)
    return _std_of_var(v, n, ddof if correction is None else correction)


def ptp(a: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Array:
    """``max - min`` over ``axis`` (peak to peak).

    >>> import ftrans.numpy as jnp
    >>> jnp.ptp([3.0, -1.0, 2.0])
    array(4.)
    """
    return subtract(max(a, axis, keepdims), min(a, axis, keepdims))


def average(a: ArrayLike, axis: Axis = None, weights: ArrayLike | None = None,
            returned: bool = False, keepdims: bool = False) -> Array | tuple[Array, Array]:
    """The (weighted) average over ``axis``, as ``numpy.average``.

    >>> import ftrans.numpy as jnp
    >>> jnp.average([1.0, 2.0, 4.0], weights=[1.0, 1.0, 2.0])
    array(2.75)
    """
    a = asarray(a)
    if weights is None:
        avg = mean(a, axis, keepdims=keepdims)
        n = _count(_shape(a), _reduction_axes(axis, len(_shape(a))))
        wsum = np.full(_shape(avg), n, dtype=_dtype(avg))
        return (avg, wsum) if returned else avg
    w = asarray(weights)
    ndim = len(_shape(a))
    if _shape(w) != _shape(a):
        if axis is None or len(_shape(w)) != 1:
            raise TypeError("average: weights must have the shape of `a`, or be 1-D "
                            "along an integer `axis`")
        ax = _normalize_axis(axis, ndim)
        if _shape(w)[0] != _shape(a)[ax]:
            raise ValueError("average: length of weights differs from the length of "
                             "`a` along axis")
        w = lax.broadcast_in_dim(w, _shape(a), (ax,))
    a, w = promote("average", a, w, inexact=True)
    wsum = sum(w, axis, keepdims=keepdims)
    avg = true_divide(sum(multiply(a, w), axis, keepdims=keepdims), wsum)
    if returned:
        return avg, broadcast_to_shape(wsum, _shape(avg))
    return avg


def _boolean_reduction(name, reduce, empty_value):
    def f(a: ArrayLike, axis: Axis = None, keepdims: bool = False, *,
          where: ArrayLike | None = None) -> Array:
        a = _as_bool(asarray(a))
        if where is not None:
            a = _prepare(a, where, empty_value)
        shape = _shape(a)
        axes = _reduction_axes(axis, len(shape))
        if builtins.any(shape[i] == 0 for i in axes):
            out_shape = tuple(s for i, s in enumerate(shape) if i not in axes)
            out = np.full(out_shape, empty_value, dtype=bool)
        else:
            out = reduce(a, axes) if axes else a
        return _keep(out, shape, axes, keepdims)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Whether {name} elements are true over ``axis``, as "
                 f"``numpy.{name}``.\n\n"
                 f"    >>> import ftrans.numpy as jnp\n"
                 f"    >>> bool(jnp.{name}([True, False]))\n"
                 f"    {name == 'any'}\n")
    return f


any = _boolean_reduction("any", lax.reduce_max, False)
all = _boolean_reduction("all", lax.reduce_min, True)


def allclose(a: ArrayLike, b: ArrayLike, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> Array:
    """Whether all of ``isclose(a, b)`` hold.

    >>> import ftrans.numpy as jnp
    >>> bool(jnp.allclose([1.0, 2.0], [1.0, 2.0]))
    True
    """
    return all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1: ArrayLike, a2: ArrayLike, equal_nan: bool = False) -> Array | np.bool_:
    """Whether ``a1`` and ``a2`` have one shape and equal elements.

    >>> import ftrans.numpy as jnp
    >>> bool(jnp.array_equal([1, 2], [1, 2])), bool(jnp.array_equal([1], [1, 2]))
    (True, False)
    """
    if _shape(a1) != _shape(a2):
        return np.bool_(False)
    eq = equal(a1, a2)
    if equal_nan:
        eq = logical_or(eq, logical_and(isnan(a1), isnan(a2)))
    return all(eq)


def count_nonzero(a: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Array:
    """How many elements are nonzero over ``axis`` (int64).

    >>> import ftrans.numpy as jnp
    >>> jnp.count_nonzero([0, 3, 0, 1])
    array(2)
    """
    return sum(_as_bool(asarray(a)), axis, dtype=np.int64, keepdims=keepdims)


def _arg_extremum(name, prim_fn):
    def f(a: ArrayLike, axis: int | None = None, keepdims: bool = False) -> Array:
        a = asarray(a)
        shape = _shape(a)
        if axis is None:
            flat = lax.reshape(a, (int(np.prod(shape, dtype=np.int64)),))
            ax = 0
        else:
            flat, ax = a, _normalize_axis(axis, len(shape))
        if _shape(flat)[ax] == 0:
            raise ValueError(f"{name}: attempt to get {name} of an empty sequence")
        out = prim_fn(flat, ax, np.dtype(np.int64))
        if keepdims:
            out_shape = (tuple(1 for _ in shape) if axis is None else
                         tuple(1 if i == ax else s for i, s in enumerate(shape)))
            out = lax.reshape(out, out_shape)
        return out
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Index of the {name[3:]}imum over ``axis`` (first on ties), as "
                 f"``numpy.{name}``.\n\n"
                 f"    >>> import ftrans.numpy as jnp\n"
                 f"    >>> jnp.{name}([1.0, 7.0, -2.0])\n"
                 f"    array({1 if name == 'argmax' else 2})\n")
    return f


argmax = _arg_extremum("argmax", lambda x, axis, dt: lax.argmax(x, axis, dt))
argmin = _arg_extremum("argmin", lambda x, axis, dt: lax.argmin(x, axis, dt))


def _cumulative(name, prim_name):
    def f(a: ArrayLike, axis: int | None = None, dtype: DTypeLike | None = None) -> Array:
        a = asarray(a)
        if axis is None:
            a = lax.reshape(a, (int(np.prod(_shape(a), dtype=np.int64)),))
            axis = 0
        ax = _normalize_axis(axis, len(_shape(a)))
        dtype = _sum_dtype(_dtype(a)) if dtype is None else np.dtype(dtype)
        a = lax.convert_element_type(a, dtype)
        prim_fn = getattr(lax, prim_name, None)
        if prim_fn is None:
            raise NotImplementedError(f"{name}: ftrans.lax has no {prim_name} primitive")
        return prim_fn(a, ax)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Cumulative {name[3:]} along ``axis`` (flattened if None), as "
                 f"``numpy.{name}``.\n\n"
                 f"    >>> import ftrans.numpy as jnp\n"
                 f"    >>> jnp.{name}([1.0, 2.0, 3.0])\n"
                 f"    array({'[1., 3., 6.]' if name == 'cumsum' else '[1., 2., 6.]'})\n")
    return f


cumsum = _cumulative("cumsum", "cumsum")
cumprod = _cumulative("cumprod", "cumprod")


def cumulative_sum(x: ArrayLike, /, *, axis: int | None = None, dtype: DTypeLike | None = None,
                   include_initial: bool = False) -> Array:
    """The array-API ``cumulative_sum``: like ``cumsum``, optionally starting at 0.

    >>> import ftrans.numpy as jnp
    >>> jnp.cumulative_sum([1.0, 2.0], include_initial=True)
    array([0., 1., 3.])
    """
    x = asarray(x)
    if axis is None:
        if len(_shape(x)) > 1:
            raise ValueError("cumulative_sum: axis is required for arrays of rank > 1")
        axis = 0
    out = cumsum(x, axis, dtype)
    if include_initial:
        ax = _normalize_axis(axis, len(_shape(out)))
        config = tuple((1 if i == ax else 0, 0, 0) for i in range(len(_shape(out))))
        out = lax.pad(out, np.zeros((), _dtype(out)), config)
    return out


# --- NaN-ignoring reductions ---------------------------------------------------------------

def _nan_fill(a, fill):
    a = asarray(a)
    if not np.issubdtype(_dtype(a), np.inexact):
        return a
    return where(isnan(a), fill, a)


def nansum(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None,
           keepdims: bool = False) -> Array:
    """``sum`` treating NaN as zero.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nansum(np.array([1.0, np.nan, 2.0]))
    array(3.)
    """
    return sum(_nan_fill(a, 0), axis, dtype, keepdims)


def nanprod(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None,
            keepdims: bool = False) -> Array:
    """``prod`` treating NaN as one.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nanprod(np.array([3.0, np.nan, 2.0]))
    array(6.)
    """
    return prod(_nan_fill(a, 1), axis, dtype, keepdims)


def nanmax(a: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Array:
    """``max`` ignoring NaNs.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nanmax(np.array([1.0, np.nan, 2.0]))
    array(2.)
    """
    return max(_nan_fill(a, -np.inf), axis, keepdims)


def nanmin(a: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Array:
    """``min`` ignoring NaNs.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nanmin(np.array([1.0, np.nan, 2.0]))
    array(1.)
    """
    return min(_nan_fill(a, np.inf), axis, keepdims)


def _not_nan_count(a, axis, keepdims):
    a = asarray(a)
    return sum(logical_not(isnan(a)), axis, dtype=to_inexact(_dtype(a)), keepdims=keepdims)


def nanmean(a: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Array:
    """``mean`` over the non-NaN elements.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nanmean(np.array([1.0, np.nan, 2.0]))
    array(1.5)
    """
    a = asarray(a)
    total = sum(_nan_fill(a, 0), axis, to_inexact(_dtype(a)), keepdims)
    return true_divide(total, _not_nan_count(a, axis, keepdims))


def nanvar(a: ArrayLike, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Array:
    """``var`` over the non-NaN elements.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nanvar(np.array([1.0, np.nan, 3.0]))
    array(1.)
    """
    a = asarray(a)
    m = nanmean(a, axis, keepdims=True)
    # zero the NaNs' deviations before squaring: squaring them first would send
    # 0 * nan back to the NaN entries from the fill
    sq = square(_nan_fill(subtract(a, m), 0))
    n = _not_nan_count(a, axis, keepdims)
    dof = subtract(n, ddof)
    total = sum(sq, axis, keepdims=keepdims)
    return _where_defined(lax.gt(dof, _zero(dof)), true_divide(total, dof))


def nanstd(a: ArrayLike, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Array:
    """``std`` over the non-NaN elements.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nanstd(np.array([1.0, np.nan, 3.0]))
    array(1.)
    """
    return _std_of_var(nanvar(a, axis, ddof, keepdims), _not_nan_count(a, axis, keepdims), ddof)

