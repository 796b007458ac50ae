"""Array creation: ``array``, ``zeros``, ``arange``, ``linspace``, ``eye``, ...

Arrays whose contents do not depend on traced values are built by numpy and
returned as ``numpy.ndarray``s; inside a trace they become constants of the
jaxpr. Only the functions that receive traced values (``array`` of a list of
tracers, ``full`` with a traced fill value, ``linspace`` with traced ends)
bind primitives.
"""

from __future__ import annotations

import numpy as np

from ftrans import lax
from ftrans.dtypes import default_float
from ftrans.numpy._ufuncs import (_dtype, _shape, add, asarray, broadcast_to_shape,
                                  multiply, power, subtract, true_divide)
from ftrans.tracing import Tracer, current_trace
from ftrans.typing import Array, ArrayLike, DTypeLike, Shape

__all__ = [
    "array", "copy", "zeros", "ones", "full", "empty", "zeros_like",
    "ones_like", "full_like", "empty_like", "arange", "linspace", "logspace",
    "geomspace", "eye", "identity", "tri", "meshgrid", "indices",
    "diag_indices", "tril_indices", "triu_indices", "ascontiguousarray",
]


def array(object: ArrayLike, dtype: DTypeLike | None = None, copy: bool = True,
          ndmin: int = 0) -> Array:
    """An array from ``object`` (a list of traced values is stacked).

    >>> import ftrans.numpy as jnp
    >>> jnp.array([[1, 2], [3, 4]], dtype=float)
    array([[1., 2.],
           [3., 4.]])
    """
    out = asarray(object, dtype)
    if type(out) is not Tracer and copy:
        out = np.array(out, copy=True)
    if ndmin > len(_shape(out)):
        out = lax.reshape(out, (1,) * (ndmin - len(_shape(out))) + tuple(_shape(out)))
    return out


def copy(a: ArrayLike) -> Array:
    """A copy of ``a`` (traced arrays are immutable, so they are returned as is).

    >>> import ftrans.numpy as jnp
    >>> jnp.copy([1.0])
    array([1.])
    """
    return array(a, copy=True)


def ascontiguousarray(a: ArrayLike, dtype: DTypeLike | None = None) -> Array:
    """``asarray(a, dtype)`` (all arrays are contiguous here).

    >>> import ftrans.numpy as jnp
    >>> jnp.ascontiguousarray([1, 2]).shape
    (2,)
    """
    return asarray(a, dtype)


def _static_shape(shape, name) -> tuple:
    if isinstance(shape, (int, np.integer)) or type(shape) is Tracer:
        shape = (shape,)
    out = []
    for d in shape:
        if type(d) is Tracer:
            d = d.concrete_value(f"a traced size in jnp.{name}(shape)")
        out.append(int(d))
    return tuple(out)


def zeros(shape: int | Shape, dtype: DTypeLike | None = None) -> Array:
    """An array of zeros (float64 by default).

    >>> import ftrans.numpy as jnp
    >>> jnp.zeros((2,))
    array([0., 0.])
    """
    return _filled(_static_shape(shape, "zeros"), 0, dtype or default_float)


def ones(shape: int | Shape, dtype: DTypeLike | None = None) -> Array:
    """An array of ones (float64 by default).

    >>> import ftrans.numpy as jnp
    >>> jnp.ones(2, dtype=int)
    array([1, 1])
    """
    return _filled(_static_shape(shape, "ones"), 1, dtype or default_float)


empty = zeros


def full(shape: int | Shape, fill_value: ArrayLike, dtype: DTypeLike | None = None) -> Array:
    """An array of ``shape`` filled with ``fill_value`` (which may be traced,
    or an array that broadcasts to ``shape``).

    >>> import ftrans.numpy as jnp
    >>> jnp.full((2,), 7)
    array([7, 7])
    """
    shape = _static_shape(shape, "full")
    if type(fill_value) is Tracer:
        return broadcast_to_shape(asarray(fill_value, dtype), shape)
    return _filled(shape, fill_value, dtype)


def _filled(shape: tuple, value, dtype) -> Array:
    """``value`` (a scalar or an array broadcasting to ``shape``) filling
    ``shape``: a numpy array outside transformations, a staged
    ``broadcast_in_dim`` of the small value inside one (no large constant)."""
    if current_trace() is None:
        return np.full(shape, value, dtype=dtype)
    value = np.asarray(value, dtype=dtype)
    return broadcast_to_shape(value, shape) if value.shape != shape else value


def _like_shape(a, shape):
    return tuple(_shape(a)) if shape is None else _static_shape(shape, "*_like")


def zeros_like(a: ArrayLike, dtype: DTypeLike | None = None,
               shape: int | Shape | None = None) -> Array:
    """Zeros with the shape and dtype of ``a``.

    >>> import ftrans.numpy as jnp
    >>> jnp.zeros_like([1, 2])
    array([0, 0])
    """
    return _filled(_like_shape(a, shape), 0, dtype or _dtype(a))


def ones_like(a: ArrayLike, dtype: DTypeLike | None = None,
              shape: int | Shape | None = None) -> Array:
    """Ones with the shape and dtype of ``a``.

    >>> import ftrans.numpy as jnp
    >>> jnp.ones_like([1.5, 2.5])
    array([1., 1.])
    """
    return _filled(_like_shape(a, shape), 1, dtype or _dtype(a))


empty_like = zeros_like


def full_like(a: ArrayLike, fill_value: ArrayLike, dtype: DTypeLike | None = None,
              shape: int | Shape | None = None) -> Array:
    """``fill_value`` with the shape and dtype of ``a``.

    >>> import ftrans.numpy as jnp
    >>> jnp.full_like([1.0, 2.0], 3)
    array([3., 3.])
    """
    return full(_like_shape(a, shape), fill_value, dtype or _dtype(a))


def _concrete(x, what):
    """The value of ``x``; refused when abstract or when it carries a
    derivative that reading it would drop."""
    return x.convertible_value(what) if type(x) is Tracer else x


def arange(start: ArrayLike, stop: ArrayLike | None = None, step: ArrayLike | None = None,
           dtype: DTypeLike | None = None) -> Array:
    """Evenly spaced values in ``[start, stop)``, as ``numpy.arange``. The
    bounds must be concrete.

    >>> import ftrans.numpy as jnp
    >>> jnp.arange(3), jnp.arange(1.0, 2.0, 0.5)
    (array([0, 1, 2]), array([1. , 1.5]))
    """
    args = [_concrete(v, "jnp.arange with a traced bound") for v in (start, stop, step)
            if v is not None]
    out = np.arange(*args, dtype=dtype)
    if current_trace() is None or out.size < 2:
        return out
    return _staged_arange(out, *args)


def _staged_arange(out: np.ndarray, start, stop=None, step=1) -> Array:
    """``out = np.arange(...)`` as equations: ``start + iota * delta``, the
    formula numpy fills with (``delta`` the difference of the first two)."""
    first, delta = out[0], out[1] - out[0]
    ramp = lax.iota(out.dtype, out.shape, 0)
    if delta != 1:
        ramp = lax.mul(ramp, delta)
    return lax.add(ramp, first) if first != 0 else ramp


def linspace(start: ArrayLike, stop: ArrayLike, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: DTypeLike | None = None,
             axis: int = 0) -> Array | tuple[Array, Array]:
    """``num`` evenly spaced values from ``start`` to ``stop``; the ends may be
    traced (and differentiated).

    >>> import ftrans.numpy as jnp
    >>> jnp.linspace(0.0, 1.0, 5)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    if type(start) is not Tracer and type(stop) is not Tracer:
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    start, stop = asarray(start), asarray(stop)
    dt = np.result_type(_dtype(start), _dtype(stop), default_float)
    start, stop = asarray(start, dt), asarray(stop, dt)
    div = (num - 1) if endpoint else num
    bshape = np.broadcast_shapes(_shape(start), _shape(stop))
    start, stop = broadcast_to_shape(start, bshape), broadcast_to_shape(stop, bshape)
    delta = subtract(stop, start)
    t = np.arange(num, dtype=dt).reshape((num,) + (1,) * len(bshape))
    out_shape = (num,) + tuple(bshape)
    step = true_divide(delta, div) if div > 0 else np.full(bshape, np.nan, dt)
    out = add(broadcast_to_shape(start, out_shape), multiply(t, step))
    if endpoint and num > 1:
        from ftrans.numpy._shape import concatenate
        head = lax.slice(out, (0,) * len(out_shape), (num - 1,) + tuple(bshape))
        out = concatenate([head, lax.reshape(stop, (1,) + tuple(bshape))], 0)
    if axis != 0:
        from ftrans.numpy._shape import moveaxis
        out = moveaxis(out, 0, axis)
    if dtype is not None:
        out = asarray(out, dtype)
    return (out, step) if retstep else out


def logspace(start: ArrayLike, stop: ArrayLike, num: int = 50, endpoint: bool = True,
             base: ArrayLike = 10.0, dtype: DTypeLike | None = None, axis: int = 0) -> Array:
    """``base ** linspace(start, stop, num)``.

    >>> import ftrans.numpy as jnp
    >>> jnp.logspace(0.0, 2.0, 3)
    array([  1.,  10., 100.])
    """
    if type(start) is not Tracer and type(stop) is not Tracer:
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    out = power(base, linspace(start, stop, num, endpoint, axis=axis))
    return out if dtype is None else asarray(out, dtype)


def geomspace(start: ArrayLike, stop: ArrayLike, num: int = 50, endpoint: bool = True,
              dtype: DTypeLike | None = None, axis: int = 0) -> Array:
    """A geometric progression from ``start`` to ``stop``; the ends may be
    traced (and differentiated), and must be nonzero and of one sign.

    >>> import ftrans.numpy as jnp
    >>> jnp.geomspace(1.0, 100.0, 3)
    array([  1.,  10., 100.])
    """
    if type(start) is not Tracer and type(stop) is not Tracer:
        return np.geomspace(start, stop, num, endpoint, dtype, axis)
    _check_geomspace_ends(start, stop)
    start, stop = asarray(start), asarray(stop)
    bshape = np.broadcast_shapes(_shape(start), _shape(stop))
    t = linspace(np.zeros(bshape), np.ones(bshape), num, endpoint)
    out = multiply(start, power(true_divide(stop, start), t))
    if endpoint and num > 1:  # the ends exactly, as numpy
        from ftrans.numpy._shape import concatenate
        mid = lax.slice(out, (1,) + (0,) * len(bshape), (num - 1,) + tuple(bshape))
        ends = [lax.reshape(broadcast_to_shape(e, bshape), (1,) + tuple(bshape))
                for e in (start, stop)]
        out = concatenate([ends[0], mid, ends[1]], 0)
    if axis != 0:
        from ftrans.numpy._shape import moveaxis
        out = moveaxis(out, 0, axis)
    return out if dtype is None else asarray(out, dtype)


def _check_geomspace_ends(start, stop):
    """numpy's errors for a zero end, and ours for ends of opposite signs
    (numpy turns those complex), where the values are known."""
    known = [v.val if type(v) is Tracer else np.asarray(v) for v in (start, stop)]
    if any(k is None for k in known):
        return
    a, b = known
    if np.any(a == 0) or np.any(b == 0):
        raise ValueError("jnp.geomspace: geometric sequence cannot include zero")
    if np.any(np.sign(a) != np.sign(b)):
        raise ValueError("jnp.geomspace: ends of opposite signs need a complex "
                         "result, which traced geomspace does not support yet; "
                         "pass complex ends outside transformations")


def eye(N: int, M: int | None = None, k: int = 0, dtype: DTypeLike | None = None) -> Array:
    """A 2-D array with ones on diagonal ``k``.

    >>> import ftrans.numpy as jnp
    >>> jnp.eye(2, 3, 1)
    array([[0., 1., 0.],
           [0., 0., 1.]])
    """
    if current_trace() is None:
        return np.eye(N, M, k, dtype=dtype or default_float)
    return _diagonal_mask(N, M, k, lax.eq, dtype or default_float)


def identity(n: int, dtype: DTypeLike | None = None) -> Array:
    """The ``n x n`` identity matrix.

    >>> import ftrans.numpy as jnp
    >>> jnp.identity(2, dtype=int)
    array([[1, 0],
           [0, 1]])
    """
    return eye(n, dtype=dtype or default_float)


def tri(N: int, M: int | None = None, k: int = 0, dtype: DTypeLike | None = None) -> Array:
    """Ones at and below diagonal ``k``, zeros above.

    >>> import ftrans.numpy as jnp
    >>> jnp.tri(2)
    array([[1., 0.],
           [1., 1.]])
    """
    if current_trace() is None:
        return np.tri(N, M, k, dtype=dtype or default_float)
    return _diagonal_mask(N, M, k, lax.le, dtype or default_float)


def _diagonal_mask(N: int, M: int | None, k: int, compare, dtype) -> Array:
    """``compare(column - row, k)`` as a 0/1 array of ``dtype``, staged from iotas."""
    shape = (N, N if M is None else M)
    rows, cols = lax.iota(np.int64, shape, 0), lax.iota(np.int64, shape, 1)
    offset = lax.sub(cols, rows)
    return lax.convert_element_type(compare(offset, np.int64(k)), np.dtype(dtype))


def meshgrid(*xi: ArrayLike, copy: bool = True, sparse: bool = False,
             indexing: str = "xy") -> list[Array]:
    """Coordinate arrays from 1-D coordinate vectors, as ``numpy.meshgrid``.

    >>> import ftrans.numpy as jnp
    >>> [g.shape for g in jnp.meshgrid(jnp.arange(3), jnp.arange(2))]
    [(2, 3), (2, 3)]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: indexing must be 'xy' or 'ij'")
    from ftrans.numpy._shape import ravel
    xi = [ravel(x) for x in xi]
    n = len(xi)
    sizes = [_shape(x)[0] for x in xi]
    if indexing == "xy" and n > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, x in enumerate(xi):
        ax = i
        if indexing == "xy" and n > 1 and i < 2:
            ax = 1 - i
        s = [1] * n
        s[ax] = _shape(x)[0]
        g = lax.reshape(x, tuple(s))
        out.append(g if sparse else broadcast_to_shape(g, tuple(sizes)))
    return out


def indices(dimensions: Shape, dtype: DTypeLike = int,
            sparse: bool = False) -> Array | tuple[Array, ...]:
    """Arrays of the indices of a grid (concrete), as ``numpy.indices``.

    >>> import ftrans.numpy as jnp
    >>> jnp.indices((2, 2))[0]
    array([[0, 0],
           [1, 1]])
    """
    return np.indices(dimensions, dtype, sparse)


def diag_indices(n: int, ndim: int = 2) -> tuple[Array, ...]:
    """The indices of the main diagonal of an ``n``-sized cube.

    >>> import ftrans.numpy as jnp
    >>> jnp.diag_indices(2)
    (array([0, 1]), array([0, 1]))
    """
    return np.diag_indices(n, ndim)


def tril_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Array, Array]:
    """The indices of the lower triangle of an ``n x m`` array.

    >>> import ftrans.numpy as jnp
    >>> jnp.tril_indices(2)
    (array([0, 1, 1]), array([0, 0, 1]))
    """
    return np.tril_indices(n, k, m)


def triu_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Array, Array]:
    """The indices of the upper triangle of an ``n x m`` array.

    >>> import ftrans.numpy as jnp
    >>> jnp.triu_indices(2)
    (array([0, 0, 1]), array([0, 1, 1]))
    """
    return np.triu_indices(n, k, m)
