"""Elementwise functions of ftrans.numpy, and the promotion and broadcasting
that every ftrans.numpy function applies before binding primitives.

numpy's promotion rules (NEP 50) decide the result dtype; Python scalars are
weak and become rank-0 literals, traced operands are broadcast explicitly with
``broadcast_in_dim``.
"""

from __future__ import annotations

import numpy as np

from ftrans import lax
from ftrans.dtypes import to_inexact
from ftrans.tracing import Tracer

_PY_SCALARS = (bool, int, float, complex)


def asarray(x, dtype=None):
    """``x`` as an array (a tracer stays a tracer).

    >>> import ftrans.numpy as jnp
    >>> jnp.asarray([1, 2]).dtype
    dtype('int64')
    """
    if type(x) is Tracer:
        return x if dtype is None else lax.convert_element_type(x, dtype)
    if isinstance(x, (list, tuple)) and any(type(e) is Tracer for e in _leaves(x)):
        from ftrans.numpy._shape import stack
        return stack([asarray(e, dtype) for e in x])
    return np.asarray(x, dtype=dtype)


def _leaves(seq):
    for e in seq:
        if isinstance(e, (list, tuple)):
            yield from _leaves(e)
        else:
            yield e


def _dtype_arg(x):
    """What ``np.result_type`` should see: Python scalars stay weak."""
    if type(x) is Tracer:
        return x.dtype
    return x if isinstance(x, _PY_SCALARS) else np.asarray(x).dtype


def _shape(x):
    return x.shape if type(x) is Tracer else np.shape(x)


def broadcast_to_shape(x, shape):
    """Broadcast ``x`` to ``shape`` (numpy rules) with ``broadcast_in_dim``."""
    shape = tuple(shape)
    if _shape(x) == shape:
        return x
    xs = _shape(x)
    if len(xs) > len(shape) or any(a not in (1, b) for a, b in
                                   zip(xs[::-1], shape[::-1])):
        raise ValueError(f"cannot broadcast an array of shape {xs} to shape {shape}")
    offset = len(shape) - len(xs)
    return lax.broadcast_in_dim(x, shape, tuple(range(offset, len(shape))))


def promote(name: str, *args, inexact: bool = False):
    """Promote ``args`` to one dtype and broadcast them to one shape.

    Python scalars and other rank-0 constants are kept rank 0 (they become
    literals in a jaxpr); everything else is broadcast explicitly.
    """
    dtype = np.result_type(*[_dtype_arg(a) for a in args])
    if inexact:
        dtype = to_inexact(dtype)
    try:
        shape = np.broadcast_shapes(*[_shape(a) for a in args])
    except ValueError:
        shapes = " and ".join(str(_shape(a)) for a in args)
        raise ValueError(f"{name}: operands could not be broadcast together with "
                         f"shapes {shapes}") from None
    out = []
    for a in args:
        if type(a) is not Tracer:
            a = np.asarray(a, dtype=dtype)
            out.append(a[()] if a.ndim == 0 else broadcast_to_shape(a, shape))
            continue
        a = lax.convert_element_type(a, dtype)
        out.append(broadcast_to_shape(a, shape))
    return out


def _ufunc(name, prim_fn, inexact=False, nargs=1):
    def f(*args):
        if len(args) != nargs:
            raise TypeError(f"{name}() takes {nargs} argument(s), got {len(args)}")
        return prim_fn(*promote(name, *args, inexact=inexact))
    f.__name__ = f.__qualname__ = name
    example = ", ".join(["0.5"] * nargs)
    f.__doc__ = (f"Elementwise ``{name}``, as ``numpy.{name}``.\n\n"
                 f"    >>> import ftrans.numpy as jnp\n"
                 f"    >>> jnp.{name}({example}).shape\n    ()\n")
    return f


add = _ufunc("add", lax.add, nargs=2)
subtract = _ufunc("subtract", lax.sub, nargs=2)
multiply = _ufunc("multiply", lax.mul, nargs=2)
maximum = _ufunc("maximum", lax.max, nargs=2)
minimum = _ufunc("minimum", lax.min, nargs=2)
arctan2 = _ufunc("arctan2", lax.atan2, inexact=True, nargs=2)
fmod = _ufunc("fmod", lax.rem, nargs=2)
equal = _ufunc("equal", lax.eq, nargs=2)
not_equal = _ufunc("not_equal", lax.ne, nargs=2)
less = _ufunc("less", lax.lt, nargs=2)
less_equal = _ufunc("less_equal", lax.le, nargs=2)
greater = _ufunc("greater", lax.gt, nargs=2)
greater_equal = _ufunc("greater_equal", lax.ge, nargs=2)

negative = _ufunc("negative", lax.neg)
sign = _ufunc("sign", lax.sign)
floor = _ufunc("floor", lax.floor, inexact=True)
ceil = _ufunc("ceil", lax.ceil, inexact=True)
exp = _ufunc("exp", lax.exp, inexact=True)
log = _ufunc("log", lax.log, inexact=True)
log1p = _ufunc("log1p", lax.log1p, inexact=True)
expm1 = _ufunc("expm1", lax.expm1, inexact=True)
sin = _ufunc("sin", lax.sin, inexact=True)
cos = _ufunc("cos", lax.cos, inexact=True)
tan = _ufunc("tan", lax.tan, inexact=True)
arcsin = _ufunc("arcsin", lax.asin, inexact=True)
arccos = _ufunc("arccos", lax.acos, inexact=True)
arctan = _ufunc("arctan", lax.atan, inexact=True)
sinh = _ufunc("sinh", lax.sinh, inexact=True)
cosh = _ufunc("cosh", lax.cosh, inexact=True)
tanh = _ufunc("tanh", lax.tanh, inexact=True)
arcsinh = _ufunc("arcsinh", lax.asinh, inexact=True)
arccosh = _ufunc("arccosh", lax.acosh, inexact=True)
arctanh = _ufunc("arctanh", lax.atanh, inexact=True)
sqrt = _ufunc("sqrt", lax.sqrt, inexact=True)
square = _ufunc("square", lax.square)


def abs(x):
    """Elementwise absolute value.

    >>> import ftrans.numpy as jnp
    >>> jnp.abs(-2.0)
    array(2.)
    """
    (x,) = promote("abs", x)
    return x if np.dtype(_dtype_arg(x)) == np.bool_ else lax.abs(x)


absolute = abs


def true_divide(x, y):
    """``x / y`` in floating point, as ``numpy.true_divide``.

    >>> import ftrans.numpy as jnp
    >>> jnp.true_divide(1, 2)
    array(0.5)
    """
    return lax.div(*promote("divide", x, y, inexact=True))


divide = true_divide


def power(x, y):
    """``x ** y``; an integer Python exponent uses ``integer_pow``.

    >>> import ftrans.numpy as jnp
    >>> jnp.power(3.0, 2)
    array(9.)
    """
    if isinstance(y, int) and not isinstance(y, bool):
        (x,) = promote("power", x)
        if y < 0:
            (x,) = promote("power", x, inexact=True)
        return lax.integer_pow(x, y)
    x, y = promote("power", x, y)
    if not np.issubdtype(_dtype_arg(x), np.inexact):
        raise TypeError("power: integer ** integer-array is not supported; use "
                        "a float base (x.astype(float))")
    return lax.pow(x, y)
