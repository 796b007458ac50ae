"""Operators and array methods on ``Tracer``: ``x + y``, ``x @ y``, ``x[i]``,
``x.sum()``, ``x.T``, ``x.at[i].set(v)``, ... — each defers to the
ftrans.numpy function of the same meaning. ``x.sort()`` returns a sorted
copy, as in JAX (numpy sorts in place). On ``ftrans.Array``, the arrays
ftrans returns, it attaches ``x.at`` and ``x[i]`` with a traced index."""

from __future__ import annotations

import numpy as np

import ftrans.numpy as jnp
from ftrans.array import Array
from ftrans.numpy import _dispatch
from ftrans.numpy._indexing import AtIndexer, getitem
from ftrans.tracing import Tracer

__all__: list = []


def _binary(name, reflected=False):
    def op(self, other):
        f = getattr(jnp, name)
        return f(other, self) if reflected else f(self, other)
    op.__name__ = name
    return op


_OPERATORS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "power",
    "matmul": "matmul", "and": "bitwise_and", "or": "bitwise_or",
    "xor": "bitwise_xor", "divmod": "divmod",
}

for _op, _fn in _OPERATORS.items():
    setattr(Tracer, f"__{_op}__", _binary(_fn))
    setattr(Tracer, f"__r{_op}__", _binary(_fn, reflected=True))

for _op, _fn in {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                 "gt": "greater", "ge": "greater_equal"}.items():
    setattr(Tracer, f"__{_op}__", _binary(_fn))

Tracer.__neg__ = lambda self: jnp.negative(self)
Tracer.__pos__ = lambda self: self
Tracer.__abs__ = lambda self: jnp.abs(self)
Tracer.__invert__ = lambda self: jnp.invert(self)
Tracer.__getitem__ = lambda self, idx: jnp._indexing.getitem(self, idx)


def _len(self):
    if not self.shape:
        raise TypeError(f"len() of a rank-0 traced array ({self.aval.str_short()})")
    return self.shape[0]


def _iter(self):
    if not self.shape:
        raise TypeError(f"iteration over a rank-0 traced array ({self.aval.str_short()})")
    return (self[i] for i in range(self.shape[0]))


Tracer.__len__ = _len
Tracer.__iter__ = _iter
Tracer.T = property(lambda self: jnp.transpose(self))
Tracer.mT = property(lambda self: jnp.swapaxes(self, -1, -2))
Tracer.at = property(lambda self: jnp._indexing.AtIndexer(self))
Tracer.real = property(lambda self: jnp.real(self))
Tracer.imag = property(lambda self: jnp.imag(self))

for _name in ("sum", "mean", "prod", "max", "min", "argmax", "argmin", "var",
              "std", "cumsum", "cumprod", "ravel", "squeeze", "swapaxes", "clip",
              "dot", "conj", "conjugate", "round", "any", "all", "repeat",
              "diagonal", "trace", "ptp", "nonzero", "take", "flatten", "argsort",
              "searchsorted", "sort"):
    def _method(self, *args, _name=_name, **kwargs):
        return getattr(jnp, "ravel" if _name == "flatten" else _name)(self, *args, **kwargs)
    _method.__name__ = _name
    setattr(Tracer, _name, _method)


def _reshape(self, *shape, order="C"):
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    return jnp.reshape(self, shape, order)


# numpy's own functions and ufuncs on traced arrays (NEP 13/18): see _dispatch
Tracer.__array_ufunc__ = _dispatch.array_ufunc
Tracer.__array_function__ = _dispatch.array_function
Tracer.reshape = _reshape
Tracer.astype = lambda self, dtype: jnp.asarray(self, dtype=dtype)
Tracer.transpose = lambda self, *axes: jnp.transpose(
    self, axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else (axes or None))


# --- ftrans.Array: x.at[idx] and x[i] with a traced index ------------------------------

_ndarray_getitem = np.ndarray.__getitem__


def _holds_tracer(idx) -> bool:
    for i in idx:
        t = type(i)
        if t is Tracer or ((t is tuple or t is list) and _holds_tracer(i)):
            return True
    return False


def _array_getitem(self, idx):
    # the fast path is numpy's; an index holding a tracer is traced
    t = type(idx)
    if t is Tracer or ((t is tuple or t is list) and _holds_tracer(idx)):
        return getitem(self.view(np.ndarray), idx)
    return _ndarray_getitem(self, idx)


def _array_at(self) -> AtIndexer:
    """Functional updates, as JAX's ``x.at[idx].set(v)`` (``add``, ``multiply``,
    ``min``, ``max``, ``get``, ...); ``x`` itself is not modified.

    >>> import ftrans.numpy as jnp
    >>> x = jnp.ones(3)
    >>> x.at[0].add(1.0), x
    (array([2., 1., 1.]), array([1., 1., 1.]))
    """
    return AtIndexer(self.view(np.ndarray))


Array.__getitem__ = _array_getitem
Array.at = property(_array_at)
