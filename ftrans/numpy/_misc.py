"""Names of ``jax.numpy`` about dtypes, printing and loading data.

The dtype aliases are numpy's scalar types (``double``, ``single``, ...);
``can_cast``, ``isdtype``, ``isscalar`` and ``iterable`` answer as numpy
(on traced arrays by their dtype); printing options are numpy's, which
prints ftrans results; ``load``, ``frombuffer``, ``fromstring``, ``fromfile``,
``fromiter`` and ``from_dlpack`` read concrete data with numpy and return an
ftrans array; ``save``/``savez`` write concrete arrays. ``ufunc`` and
``frompyfunc`` wrap a Python function of scalars into a numpy-style ufunc
with ``outer``, ``reduce``, ``accumulate`` (built on ``vectorize``,
``lax.reduce`` and ``lax.associative_scan``, so an associative function is
assumed for the last two).
"""

from __future__ import annotations

import builtins
from typing import Any, Callable

import numpy as np

from ftrans.core import get_aval
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike, DTypeLike

__all__ = ["can_cast", "isdtype", "isscalar", "iterable", "array_repr", "array_str",
           "get_printoptions", "set_printoptions", "printoptions", "load", "save", "savez",
           "frombuffer", "fromstring", "fromfile", "fromiter", "from_dlpack", "ufunc",
           "frompyfunc", "einsum_path"]


def _at(x):
    """``x.at`` for a traced or a plain numpy array (raw functions of the
    namespace may return ``numpy.ndarray``s, which have no ``.at``)."""
    from ftrans.array import leave
    from ftrans.tracing import Tracer as _T
    return (x if type(x) is _T else leave(np.asarray(x))).at

double = np.float64
single = np.float32
float_ = np.float64
cdouble = np.complex128
csingle = np.complex64
complex_ = np.complex128
int_ = np.int64
uint = np.uint64
object_ = np.object_
character = np.character
flexible = np.flexible
ComplexWarning = np.exceptions.ComplexWarning
get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
printoptions = np.printoptions


def _dtype_of(x):
    if type(x) is Tracer:
        return get_aval(x).dtype
    return x


def can_cast(from_: Any, to: DTypeLike, casting: str = "safe") -> bool:
    """Whether ``from_`` (a dtype or an array, traced too) casts to ``to`` under ``casting``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.can_cast(np.int32, np.float64), jnp.can_cast(np.float64, np.int32)
    (True, False)
    """
    f = _dtype_of(from_)
    if isinstance(f, np.ndarray):
        f = f.dtype
    return bool(np.can_cast(f, to, casting))


_KINDS = {"bool": "b", "signed integer": "i", "unsigned integer": "u",
          "integral": "iu", "real floating": "f", "complex floating": "c",
          "numeric": "iufc"}


def isdtype(dtype: DTypeLike, kind: Any) -> bool:
    """Whether ``dtype`` is of ``kind`` (a dtype, a kind name of the array API,
    or a tuple of them).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.isdtype(np.float32, "real floating"), jnp.isdtype(np.int8, ("bool", "integral"))
    (True, True)
    """
    dt = np.dtype(dtype)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str):
            if k not in _KINDS:
                raise ValueError(f"isdtype: unknown kind {k!r}; the kinds are "
                                 f"{', '.join(map(repr, _KINDS))}")
            if dt.kind in _KINDS[k]:
                return True
        elif dt == np.dtype(k):
            return True
    return False


def isscalar(element: Any) -> bool:
    """Whether ``element`` is a scalar: a Python/numpy number or a rank-0 array
    (traced too), as ``jax.numpy.isscalar``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.isscalar(1.0), jnp.isscalar(np.array(1.0)), jnp.isscalar(np.ones(2))
    (True, True, False)
    """
    if type(element) is Tracer:
        return get_aval(element).ndim == 0
    if isinstance(element, np.ndarray):
        return element.ndim == 0
    return isinstance(element, (builtins.bool, int, float, complex, np.generic))


def iterable(y: Any) -> bool:
    """Whether ``iter(y)`` works (a rank-0 array is not iterable).

    >>> import ftrans.numpy as jnp
    >>> jnp.iterable([1, 2]), jnp.iterable(3.0)
    (True, False)
    """
    if type(y) is Tracer:
        return get_aval(y).ndim > 0
    return bool(np.iterable(y))


def _value(a, name):
    if type(a) is Tracer:
        if a.val is None:
            from ftrans.errors import ConcretizationError
            raise ConcretizationError(f"{name} needs a concrete array, got an abstract "
                                      f"{get_aval(a).str_short()}")
        return np.asarray(a.val)
    return np.asarray(a)


def array_repr(arr: ArrayLike, max_line_width: int | None = None,
               precision: int | None = None, suppress_small: bool | None = None) -> str:
    """numpy's ``repr`` of the (concrete) array.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.array_repr(np.array([1.0, 2.0]))
    'array([1., 2.])'
    """
    return np.array_repr(_value(arr, "array_repr"), max_line_width, precision, suppress_small)


def array_str(a: ArrayLike, max_line_width: int | None = None, precision: int | None = None,
              suppress_small: bool | None = None) -> str:
    """numpy's ``str`` of the (concrete) array.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.array_str(np.array([1.0, 2.0]))
    '[1. 2.]'
    """
    return np.array_str(_value(a, "array_str"), max_line_width, precision, suppress_small)


def _out(x):
    from ftrans.numpy import _ns as jnp
    return jnp.asarray(x)


def load(file: Any, *args: Any, **kwargs: Any) -> Any:
    """``numpy.load``; arrays come back as ftrans arrays (npz archives stay lazy).

    >>> import io, numpy as np, ftrans.numpy as jnp
    >>> buf = io.BytesIO(); np.save(buf, np.arange(3.0)); _ = buf.seek(0)
    >>> jnp.load(buf)
    array([0., 1., 2.])
    """
    out = np.load(file, *args, **kwargs)
    return _out(out) if isinstance(out, np.ndarray) and out.dtype != object else out


def save(file: Any, arr: ArrayLike, allow_pickle: bool = True) -> None:
    """``numpy.save`` of a concrete array.

    >>> import io, numpy as np, ftrans.numpy as jnp
    >>> jnp.save(io.BytesIO(), np.ones(2))
    """
    np.save(file, _value(arr, "save"), allow_pickle=allow_pickle)


def savez(file: Any, *args: ArrayLike, **kwds: ArrayLike) -> None:
    """``numpy.savez`` of concrete arrays.

    >>> import io, numpy as np, ftrans.numpy as jnp
    >>> jnp.savez(io.BytesIO(), a=np.ones(2))
    """
    np.savez(file, *[_value(a, "savez") for a in args],
             **{k: _value(v, "savez") for k, v in kwds.items()})


def frombuffer(buffer: Any, dtype: DTypeLike = float, count: int = -1, offset: int = 0
               ) -> Array:
    """``numpy.frombuffer`` (a copy).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.frombuffer(np.arange(2.0).tobytes())
    array([0., 1.])
    """
    return _out(np.frombuffer(buffer, dtype, count, offset).copy())


def fromstring(string: str, dtype: DTypeLike = float, count: int = -1, *, sep: str) -> Array:
    """``numpy.fromstring`` of text (``sep`` is required, as in JAX).

    >>> import ftrans.numpy as jnp
    >>> jnp.fromstring("1 2", sep=" ")
    array([1., 2.])
    """
    return _out(np.fromstring(string, dtype, count, sep=sep))


def fromfile(*args: Any, **kwargs: Any) -> Array:
    """``numpy.fromfile``.

    >>> import os, tempfile, numpy as np, ftrans.numpy as jnp
    >>> path = os.path.join(tempfile.mkdtemp(), "x.bin"); np.arange(2.0).tofile(path)
    >>> jnp.fromfile(path)
    array([0., 1.])
    """
    return _out(np.fromfile(*args, **kwargs))


def fromiter(*args: Any, **kwargs: Any) -> Array:
    """``numpy.fromiter``.

    >>> import ftrans.numpy as jnp
    >>> jnp.fromiter(range(3), float)
    array([0., 1., 2.])
    """
    return _out(np.fromiter(*args, **kwargs))


def from_dlpack(x: Any, /, *, device: Any = None, copy: bool | None = None) -> Array:
    """An array from an object with ``__dlpack__`` (``numpy.from_dlpack``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.from_dlpack(np.arange(2.0))
    array([0., 1.])
    """
    if device is not None and device != "cpu":
        raise ValueError(f"from_dlpack: ftrans runs on the CPU, got device={device!r}")
    return _out(np.from_dlpack(x))


def einsum_path(subscripts: Any, /, *operands: ArrayLike, optimize: Any = "auto") -> tuple:
    """numpy's contraction order for the ``einsum`` (computed from shapes only).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.einsum_path("ij,jk->ik", np.ones((2, 3)), np.ones((3, 4)))[0]
    ['einsum_path', (0, 1)]
    """
    def dummy(x):
        if isinstance(x, (list, tuple, str)) or x is Ellipsis:
            return x
        a = get_aval(x) if type(x) is Tracer else np.asarray(x)
        return np.empty(a.shape, a.dtype)
    opt = "greedy" if optimize == "auto" else optimize
    return np.einsum_path(dummy(subscripts), *[dummy(o) for o in operands], optimize=opt)


class ufunc:
    """A numpy-style ufunc from a function of ``nin`` arrays broadcasting
    elementwise (as ``jax.numpy.ufunc``): calls broadcast (via ``vectorize``),
    and ``outer``, ``reduce``, ``accumulate`` (associative functions) and
    ``at`` work on traced arrays.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> add = jnp.ufunc(lambda x, y: x + y, nin=2, nout=1, identity=0)
    >>> add.reduce(np.arange(4.0)), add.outer(np.arange(2), np.arange(3)).shape
    (array(6.), (2, 3))
    """

    def __init__(self, func: Callable, /, nin: int, nout: int, *, name: str | None = None,
                 nargs: int | None = None, identity: Any = None):
        if not callable(func):
            raise TypeError(f"ufunc: func must be callable, got {type(func).__name__}")
        self._func = func
        self.nin, self.nout = int(nin), int(nout)
        self.nargs = self.nin if nargs is None else int(nargs)
        self.identity = identity
        self.__name__ = name or getattr(func, "__name__", "ufunc")
        from ftrans.numpy._vectorize import vectorize
        self._vec = vectorize(func)

    def __repr__(self) -> str:
        return f"<ftrans.numpy.ufunc '{self.__name__}'>"

    def __call__(self, *args: ArrayLike, out: None = None, where: None = None) -> Any:
        if out is not None or where is not None:
            raise NotImplementedError(f"{self.__name__}: out= and where= are not supported")
        if len(args) != self.nin:
            raise TypeError(f"{self.__name__}: expected {self.nin} arguments, got {len(args)}")
        return self._vec(*args)

    def _binary(self, what):
        if self.nin != 2 or self.nout != 1:
            raise ValueError(f"{self.__name__}.{what}: only for binary ufuncs with one output")

    def outer(self, A: ArrayLike, B: ArrayLike, /) -> Array:
        self._binary("outer")
        from ftrans.numpy import _ns as jnp
        a, b = jnp.asarray(A), jnp.asarray(B)
        return self(jnp.reshape(a, get_aval(a).shape + (1,) * get_aval(b).ndim), b)

    def reduce(self, a: ArrayLike, axis: int | None = 0, dtype: DTypeLike | None = None,
               out: None = None, keepdims: bool = False, initial: Any = None,
               where: None = None) -> Array:
        self._binary("reduce")
        from ftrans.numpy import _ns as jnp
        from ftrans._lax_extras import reduce as lax_reduce
        x = jnp.asarray(a) if dtype is None else jnp.asarray(a).astype(dtype)
        nd = get_aval(x).ndim
        axes = tuple(range(nd)) if axis is None else (
            tuple(ax % nd for ax in axis) if isinstance(axis, tuple) else (axis % nd,))
        init = initial if initial is not None else self.identity
        if init is not None:
            out_ = lax_reduce(x, init, self._func, axes)
        else:
            from ftrans._lax_extras import _reduce_pairs
            xs, _ = _reduce_pairs([x], sorted(axes), lambda u, v: [self._func(u[0], v[0])])
            if xs is None:
                raise ValueError(f"{self.__name__}.reduce: a zero-size reduction needs an "
                                 "identity or initial")
            out_ = xs[0]
        if keepdims:
            out_ = jnp.reshape(out_, tuple(1 if d in axes else n
                                           for d, n in enumerate(get_aval(x).shape)))
        return out_

    def accumulate(self, a: ArrayLike, axis: int = 0, dtype: DTypeLike | None = None,
                   out: None = None) -> Array:
        self._binary("accumulate")
        from ftrans.numpy import _ns as jnp
        from ftrans._lax_extras import associative_scan
        x = jnp.asarray(a) if dtype is None else jnp.asarray(a).astype(dtype)
        return associative_scan(self._func, x, axis=axis)

    def at(self, a: ArrayLike, indices: Any, b: ArrayLike | None = None, /, *,
           inplace: bool = False) -> Array:
        if inplace:
            raise ValueError(f"{self.__name__}.at: inplace=True is not possible on "
                             "immutable arrays")
        from ftrans.numpy import _ns as jnp
        x = jnp.asarray(a)
        cur = x[indices]
        new = self(cur) if b is None else self(cur, b)
        return _at(x)[indices].set(new)


def frompyfunc(func: Callable, /, nin: int, nout: int, *, identity: Any = None) -> ufunc:
    """A ``ufunc`` from a Python function of arrays (elementwise).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.frompyfunc(lambda x, y: x * y, 2, 1, identity=1).reduce(np.array([2.0, 3.0]))
    array(6.)
    """
    return ufunc(func, nin, nout, identity=identity)
