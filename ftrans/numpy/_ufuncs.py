"""Elementwise functions of ftrans.numpy, and the promotion and broadcasting
that every ftrans.numpy function applies before binding primitives.

numpy's promotion rules (NEP 50) decide the result dtype; Python scalars are
weak and become rank-0 literals, traced operands are broadcast explicitly with
``broadcast_in_dim``. Functions numpy has but lax has no primitive for
(``hypot``, ``logaddexp``, ``remainder``, ...) are compositions of primitives,
written so that their derivatives stay finite where numpy's values are.
"""

from __future__ import annotations

import builtins
import functools
import math
from typing import Callable, Sequence, overload

import numpy as np

from ftrans import lax
from ftrans.array import Array as _Array
from ftrans.core import get_aval
from ftrans.dtypes import to_inexact
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike, DTypeLike

__all__ = [
    "asarray", "astype", "result_type",
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide",
    "remainder", "mod", "fmod", "divmod", "power", "pow", "float_power",
    "negative", "positive", "abs", "absolute", "fabs", "sign", "exp", "exp2",
    "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh",
    "arccosh", "arctanh", "asin", "acos", "atan", "atan2", "asinh", "acosh",
    "atanh", "sqrt", "cbrt", "square", "reciprocal", "hypot", "floor", "ceil",
    "round", "around", "rint", "trunc", "fix", "maximum", "minimum", "fmax",
    "fmin", "clip", "where", "nonzero", "select", "sinc", "deg2rad", "rad2deg",
    "degrees", "radians", "logaddexp", "logaddexp2", "isfinite", "isnan",
    "isinf", "isposinf", "isneginf", "signbit", "copysign", "heaviside",
    "nan_to_num", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_not",
    "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "bitwise_invert", "invert", "isclose", "conj",
    "conjugate", "real", "imag", "angle", "iscomplexobj", "isrealobj", "iscomplex",
    "isreal",
]

_PY_SCALARS = (bool, int, float, complex)


# --- arrays, dtypes, promotion, broadcasting ------------------------------------

def asarray(x: ArrayLike, dtype: DTypeLike | None = None, order: str | None = None, *,
            copy: bool | None = None) -> Array:
    """``x`` as an array (a tracer stays a tracer).

    >>> import ftrans.numpy as jnp
    >>> jnp.asarray([1, 2]).dtype
    dtype('int64')
    """
    if type(x) is Tracer:
        return x if dtype is None else lax.convert_element_type(x, dtype)
    if isinstance(x, (list, tuple)) and any(type(e) is Tracer for e in _leaves(x)):
        parts = [asarray(e) for e in x]
        dt = dtype if dtype is not None else result_type(*parts)
        return _stack_rows([asarray(p, dt) for p in parts])
    return np.array(x, dtype=dtype, copy=True) if copy else np.asarray(x, dtype=dtype)


def _stack_rows(parts):
    """``jnp.stack(parts)`` of arrays of one dtype, written with ``lax`` here
    (``_shape``, which defines ``stack``, builds on this module)."""
    shapes = {tuple(_shape(p)) for p in parts}
    if len(shapes) != 1:
        raise ValueError(f"stack: all input arrays must have the same shape, got "
                         f"{sorted(shapes)}")
    rows = [lax.reshape(p, (1,) + tuple(_shape(p))) for p in parts]
    return rows[0] if len(rows) == 1 else lax.concatenate(rows, 0)


def astype(x: ArrayLike, dtype: DTypeLike, /, *, copy: bool = False) -> Array:
    """``x`` converted to ``dtype`` (the array-API function form of ``x.astype``).

    >>> import ftrans.numpy as jnp
    >>> jnp.astype([1.7, -1.7], int)
    array([ 1, -1])
    """
    return asarray(x, dtype)


def _leaves(seq):
    for e in seq:
        if isinstance(e, (list, tuple)):
            yield from _leaves(e)
        else:
            yield e


# --- the public boundary: array-likes in, ftrans.Arrays out ----------------------

def _holds_tracer(x) -> bool:
    return any(type(e) is Tracer for e in _leaves(x))


def _array_like(x):
    """An argument annotated ``ArrayLike``: a list or tuple holding tracers
    becomes one traced array (``asarray``); anything else is left alone."""
    t = type(x)
    if t is _Array:
        return x.view(np.ndarray)  # numpy computes faster on plain ndarrays
    return asarray(x) if (t is list or t is tuple) and _holds_tracer(x) else x


def _array_likes(xs):
    """An argument annotated ``Sequence[ArrayLike]``: each element as above."""
    t = type(xs)
    if (t is list or t is tuple) and _holds_tracer(xs):
        return type(xs)(_array_like(x) for x in xs)
    return xs


def _leave_tree(out):
    t = type(out)
    if t is np.ndarray:
        return out.view(_Array)
    if t is tuple or t is list:
        return t(_leave_tree(o) for o in out)
    if isinstance(out, tuple) and hasattr(out, "_fields"):  # a NamedTuple result
        return t(*[_leave_tree(o) for o in out])
    return out


def _annotation_kind(annotation) -> Callable | None:
    ann = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    if ann.startswith("ArrayLike"):
        return _array_like
    if ann.startswith("Sequence[ArrayLike"):
        return _array_likes
    return None


def wrap_public(namespace: dict) -> None:
    """Replace every public ``ftrans.numpy`` function in ``namespace`` (a
    module's ``globals()``) by ``public(f)``; aliases (``asin``, ``arcsin``)
    stay one object."""
    import inspect
    done: dict = {}
    for name, f in list(namespace.items()):
        if inspect.isfunction(f) and f.__module__.startswith("ftrans.numpy.") \
                and not name.startswith("_"):
            if id(f) not in done:
                done[id(f)] = public(f)
            namespace[name] = done[id(f)]


def public(f: Callable) -> Callable:
    """``f`` as ``ftrans.numpy`` exports it: every argument annotated
    ``ArrayLike`` (or ``Sequence[ArrayLike]``) goes through ``asarray`` when
    it is a list or tuple holding tracers, the one rule that makes
    ``jnp.sin([x, y])`` work wherever ``jnp.sin([1.0, 2.0])`` does; and numpy
    arrays in the result leave as ``ftrans.Array`` (``x.at``, traced indexing).

    >>> import ftrans, ftrans.numpy as jnp
    >>> float(ftrans.grad(lambda x: jnp.linalg.norm([x, 2.0 * x]))(1.0))
    2.23606797749979
    >>> type(jnp.zeros(2)).__name__
    'Array'
    """
    import inspect
    positional, by_name, star, star_at = [], {}, None, None
    for i, p in enumerate(inspect.signature(f).parameters.values()):
        kind = _annotation_kind(p.annotation)
        if p.kind is p.VAR_POSITIONAL:
            star, star_at = kind, i
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and star_at is None:
            positional.append(kind)
        if kind is not None and p.kind is not p.VAR_POSITIONAL:
            by_name[p.name] = kind
    if not by_name and star is None:
        @functools.wraps(f)
        def leaving(*args, **kwargs):
            return _leave_tree(f(*args, **kwargs))
        return leaving

    def convert(args, kwargs):
        args = [positional[i](a) if i < len(positional) and positional[i] is not None
                else star(a) if i >= len(positional) and star is not None else a
                for i, a in enumerate(args)]
        kwargs = {k: by_name[k](v) if k in by_name else v for k, v in kwargs.items()}
        return args, kwargs

    @functools.wraps(f)
    def accepting(*args, **kwargs):
        for a in args:
            t = type(a)
            if t is list or t is tuple or t is _Array:
                args, kwargs = convert(args, kwargs)
                break
        else:
            if kwargs:
                args, kwargs = convert(args, kwargs)
        return _leave_tree(f(*args, **kwargs))
    return accepting


def _dtype_arg(x):
    """What ``np.result_type`` should see: Python scalars stay weak."""
    if type(x) is Tracer:
        return x.dtype
    return x if isinstance(x, _PY_SCALARS) else np.asarray(x).dtype


def _dtype(x) -> np.dtype:
    return x.dtype if type(x) is Tracer else np.asarray(x).dtype


def _shape(x):
    return x.shape if type(x) is Tracer else np.shape(x)


def result_type(*args: ArrayLike | DTypeLike) -> np.dtype:
    """numpy's ``result_type`` that also accepts traced arrays.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.result_type(np.float32(1), 2.0)
    dtype('float32')
    """
    return np.result_type(*[a.dtype if type(a) is Tracer else a for a in args])


def broadcast_to_shape(x: ArrayLike, shape: Sequence[int]) -> Array:
    """Broadcast ``x`` to ``shape`` (numpy rules) with ``broadcast_in_dim``.

    Inside a transformation a constant ``x`` is staged as a ``broadcast_in_dim``
    equation of the small constant, as JAX does, rather than becoming a
    full-size constant of the jaxpr.
    """
    shape = tuple(shape)
    xs = _shape(x)
    if xs == shape:
        return x
    if len(xs) > len(shape) or any(a not in (1, b) for a, b in
                                   zip(xs[::-1], shape[::-1])):
        raise ValueError(f"cannot broadcast an array of shape {xs} to shape {shape}")
    dims = tuple(range(len(shape) - len(xs), len(shape)))
    # broadcast_in_dim stretches size-1 axes itself, so no squeeze is needed;
    # inside a trace a constant is staged small and broadcast by the equation
    return lax.broadcast_in_dim(x if type(x) is Tracer else np.asarray(x), shape, dims)


def _full(shape, value, dtype):
    """``value`` as an array of ``shape`` (a literal broadcast when traced)."""
    value = np.asarray(value, dtype=dtype)
    if not shape:
        return value[()]
    return broadcast_to_shape(value, shape)


def _broadcast_shape(name, *args):
    try:
        return np.broadcast_shapes(*[_shape(a) for a in args])
    except ValueError:
        types = " and ".join(get_aval(a).str_short() for a in args)
        raise ValueError(f"{name}: operands of types {types} could not be broadcast "
                         "together (numpy broadcasting: trailing axes must be equal "
                         "or 1); reshape or expand one of them") from None


def _already_promoted(args, inexact: bool):
    """The common cases, without numpy's promotion machinery: float tracers of
    one type, or one float tracer with Python numbers (weak, so they take the
    tracer's dtype). ``None`` for everything else."""
    tracer = None
    for a in args:
        if type(a) is Tracer:
            if a.aval.dtype.kind != "f" or (tracer is not None and a.aval != tracer.aval):
                return None
            tracer = a
        elif type(a) not in (int, float):
            return None
    if tracer is None:
        return None
    dtype = tracer.aval.dtype
    return [a if type(a) is Tracer else np.asarray(a, dtype)[()] for a in args]


def promote(name: str, *args: ArrayLike, inexact: bool = False, full_shape: bool = False,
            dtype: DTypeLike | None = None) -> list[Array]:
    """Promote ``args`` to one dtype and broadcast them to one shape.

    Python scalars and other rank-0 constants are kept rank 0 (they become
    literals in a jaxpr) unless ``full_shape``; everything else is broadcast
    explicitly.
    """
    if dtype is None and not full_shape:
        same = _already_promoted(args, inexact)
        if same is not None:
            return same
    if dtype is None:
        dtype = np.result_type(*[_dtype_arg(a) for a in args])
    dtype = to_inexact(dtype) if inexact else np.dtype(dtype)
    shape = _broadcast_shape(name, *args)
    out = []
    for a in args:
        if type(a) is not Tracer:
            a = np.asarray(a, dtype=dtype)
            out.append(a[()] if a.ndim == 0 and not full_shape
                       else broadcast_to_shape(a, shape))
            continue
        a = lax.convert_element_type(a, dtype)
        out.append(broadcast_to_shape(a, shape))
    return out


def _array(x):
    """Results leaving ftrans.numpy eagerly are ``numpy.ndarray``s, not scalars."""
    return x if type(x) is Tracer else np.asarray(x)


def _scalar(dtype, v):
    """The Python number ``v`` as a rank-0 constant of ``dtype`` (a literal)."""
    return np.asarray(v, dtype=dtype)[()]


def _is_inexact(x) -> bool:
    return np.issubdtype(_dtype(x), np.inexact)


def _elementwise(name: str, body: Callable[..., Array], inexact: bool,
                 nargs: int) -> Callable[..., Array]:
    """``body`` of the promoted operands, as a function named ``name`` of one
    (``x``) or two (``x1, x2``) positional operands, with numpy's names."""
    def unary(x: ArrayLike, /) -> Array:
        return body(*promote(name, x, inexact=inexact))

    def binary(x1: ArrayLike, x2: ArrayLike, /) -> Array:
        return body(*promote(name, x1, x2, inexact=inexact))

    if nargs not in (1, 2):
        raise ValueError(f"elementwise functions take 1 or 2 operands, not {nargs}")
    f = unary if nargs == 1 else binary
    f.__name__ = f.__qualname__ = name
    return f


def _ufunc(name, prim_fn, inexact=False, nargs=1, example="0.5"):
    f = _elementwise(name, prim_fn, inexact, nargs)
    example = ", ".join([example] * nargs)
    f.__doc__ = (f"Elementwise ``{name}``, as ``numpy.{name}``.\n\n"
                 f"    >>> import ftrans.numpy as jnp\n"
                 f"    >>> jnp.{name}({example}).shape\n    ()\n")
    return f


def _composite(name, body, inexact=False, nargs=1, doc=None):
    """An elementwise function written with primitives on promoted operands."""
    f = _elementwise(name, body, inexact, nargs)
    example = ", ".join(["0.5"] * nargs)
    f.__doc__ = ((doc or f"Elementwise ``{name}``, as ``numpy.{name}``.") + "\n\n"
                 f"    >>> import ftrans.numpy as jnp\n"
                 f"    >>> jnp.{name}({example}).shape\n    ()\n")
    return f


# --- primitives exposed directly --------------------------------------------------

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
bitwise_and = _ufunc("bitwise_and", lax.bitwise_and, nargs=2, example="6")
bitwise_or = _ufunc("bitwise_or", lax.bitwise_or, nargs=2, example="6")
bitwise_not = _ufunc("bitwise_not", lax.bitwise_not, example="True")
bitwise_invert = invert = bitwise_not

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
arccosh = _ufunc("arccosh", lax.acosh, inexact=True, example="2.0")
arctanh = _ufunc("arctanh", lax.atanh, inexact=True)
sqrt = _ufunc("sqrt", lax.sqrt, inexact=True)
square = _ufunc("square", lax.square)

# numpy 2 / array-API spellings
asin, acos, atan, atan2 = arcsin, arccos, arctan, arctan2
asinh, acosh, atanh = arcsinh, arccosh, arctanh


def positive(x: ArrayLike) -> Array:
    """``+x``, as ``numpy.positive``.

    >>> import ftrans.numpy as jnp
    >>> jnp.positive(-1.5)
    array(-1.5)
    """
    return asarray(x)


def abs(x: ArrayLike) -> Array:
    """Elementwise absolute value.

    >>> import ftrans.numpy as jnp
    >>> jnp.abs(-2.0)
    array(2.)
    """
    (x,) = promote("abs", x)
    return _array(x) if np.dtype(_dtype(x)) == np.bool_ else lax.abs(x)


absolute = abs


def fabs(x: ArrayLike) -> Array:
    """Absolute value in floating point, as ``numpy.fabs``.

    >>> import ftrans.numpy as jnp
    >>> jnp.fabs(-2)
    array(2.)
    """
    (x,) = promote("fabs", x, inexact=True)
    return lax.abs(x)


def true_divide(x: ArrayLike, y: ArrayLike) -> Array:
    """``x / y`` in floating point, as ``numpy.true_divide``.

    >>> import ftrans.numpy as jnp
    >>> jnp.true_divide(1, 2)
    array(0.5)
    """
    return lax.div(*promote("divide", x, y, inexact=True))


divide = true_divide


def power(x: ArrayLike, y: ArrayLike) -> Array:
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
    if not _is_inexact(x):
        if type(y) is not Tracer and np.ndim(y) == 0 and int(y) >= 0:
            return lax.integer_pow(x, int(y))
        raise TypeError("power: integer ** integer-array is not supported; use "
                        "a float base (x.astype(float))")
    return lax.pow(x, y)


pow = power


def float_power(x: ArrayLike, y: ArrayLike) -> Array:
    """``x ** y`` computed in at least float64, as ``numpy.float_power``.

    >>> import ftrans.numpy as jnp
    >>> jnp.float_power(2, 3)
    array(8.)
    """
    return power(*promote("float_power", x, y, dtype=np.result_type(
        _dtype_arg(x), _dtype_arg(y), np.float64)))


# --- division with numpy's floor semantics ---------------------------------------

def _float_divmod(x, y):
    """numpy's float ``divmod``: the remainder takes the divisor's sign and the
    quotient is the floor of ``(x - mod) / y``, rounded to the nearest integer."""
    dtype = _dtype(x)
    zero = _scalar(dtype, 0)
    mod = lax.rem(x, y)
    div = lax.div(lax.sub(x, mod), y)
    fix = lax.bitwise_and(lax.ne(mod, zero), lax.ne(lax.lt(y, zero), lax.lt(mod, zero)))
    mod = lax.select_n(fix, mod, lax.add(mod, y))
    div = lax.select_n(fix, div, lax.sub(div, _scalar(dtype, 1)))
    floor_div = _round_even(div)  # div is an integer up to rounding error
    return floor_div, mod


def _int_divmod(x, y):
    """Integer ``divmod`` rounding toward minus infinity, from ``rem`` (exact)."""
    dtype = _dtype(x)
    zero = _scalar(dtype, 0)
    mod = lax.rem(x, y)
    fix = lax.bitwise_and(lax.ne(mod, zero), lax.ne(lax.lt(y, zero), lax.lt(mod, zero)))
    mod = lax.select_n(fix, mod, lax.add(mod, y))
    # x - mod is an exact multiple of y, so truncating division is exact
    return lax.div(lax.sub(x, mod), y), mod


def _divmod(name, x, y):
    x, y = promote(name, x, y, full_shape=True)
    if np.dtype(_dtype(x)) == np.bool_:
        x, y = (lax.convert_element_type(a, np.int8) for a in (x, y))
    if _is_inexact(x):
        return _float_divmod(x, y)
    return _int_divmod(x, y)


def floor_divide(x: ArrayLike, y: ArrayLike) -> Array:
    """``x // y``, rounding toward minus infinity (as ``numpy.floor_divide``).

    >>> import ftrans.numpy as jnp
    >>> jnp.floor_divide(-7, 2), jnp.floor_divide(1.0, 0.1)
    (array(-4), array(9.))
    """
    return _divmod("floor_divide", x, y)[0]


def remainder(x: ArrayLike, y: ArrayLike) -> Array:
    """``x % y`` with the sign of ``y`` (as ``numpy.remainder``).

    >>> import ftrans.numpy as jnp
    >>> jnp.remainder(-7, 3), jnp.remainder(7.5, -2.0)
    (array(2), array(-0.5))
    """
    return _divmod("remainder", x, y)[1]


mod = remainder


def divmod(x: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
    """``(x // y, x % y)``, as ``numpy.divmod``.

    >>> import ftrans.numpy as jnp
    >>> jnp.divmod(7, 2)
    (array(3), array(1))
    """
    return tuple(_divmod("divmod", x, y))


# --- transcendental compositions ----------------------------------------------------

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _mul_const(x, c):
    return lax.mul(x, _scalar(_dtype(x), c))


exp2 = _composite("exp2", lambda x: lax.exp(_mul_const(x, _LN2)), inexact=True)
log2 = _composite("log2", lambda x: _mul_const(lax.log(x), 1 / _LN2), inexact=True)
log10 = _composite("log10", lambda x: _mul_const(lax.log(x), 1 / _LN10), inexact=True)
deg2rad = radians = _composite("deg2rad", lambda x: _mul_const(x, math.pi / 180),
                               inexact=True)
rad2deg = degrees = _composite("rad2deg", lambda x: _mul_const(x, 180 / math.pi),
                               inexact=True)
reciprocal = _composite("reciprocal", lambda x: lax.integer_pow(x, -1), inexact=True)


def _cbrt(x):
    one_third = lax.pow(lax.abs(x), _scalar(_dtype(x), 1 / 3))
    return lax.mul(lax.sign(x), one_third)


cbrt = _composite("cbrt", _cbrt, inexact=True)


def _hypot(x, y):
    # |a| sqrt(1 + (b/a)^2), a the operand larger in magnitude and b the other,
    # picked by a comparison (no max/min, no |b|): the expression is sqrt(x^2 + y^2)
    # itself wherever a != 0, so every order of derivative is right at and around
    # |x| == |y| and y == 0 (max/min and |b| have kinks there that cancel only to
    # first order); no overflow; derivative 0 at the cone's tip (0, 0)
    x, y = promote("hypot", x, y, full_shape=True)  # select_n wants one shape
    dtype = _dtype(x)
    zero, one = _scalar(dtype, 0), _scalar(dtype, 1)
    x_wins = lax.ge(lax.abs(x), lax.abs(y))
    a, b = lax.select_n(x_wins, y, x), lax.select_n(x_wins, x, y)
    is_zero = lax.eq(a, zero)
    r = lax.div(b, lax.select_n(is_zero, a, _ones_like(a)))
    out = lax.mul(lax.abs(a), lax.sqrt(lax.add(one, lax.mul(r, r))))
    # an infinite operand gives +inf even beside inf or nan, as numpy
    inf = _scalar(dtype, np.inf)
    is_inf = lax.bitwise_or(lax.eq(lax.abs(x), inf), lax.eq(lax.abs(y), inf))
    return lax.select_n(is_inf, out, _full(_shape(out), np.inf, dtype))


hypot = _composite("hypot", _hypot, inexact=True, nargs=2)


def _logaddexp(x, y):
    # a + log1p(exp(b - a)), a the larger operand and b the other, picked by a
    # comparison (no max, no |x - y|): the expression is log(e^x + e^y) itself, so
    # every order of derivative is right at and around x == y (max and |x - y| have
    # kinks there that cancel only to first order); exp(b - a) <= 1 never overflows.
    # Both infinite of one sign, or a nan: (x + y) / 2 (the value x, 1/2 to each).
    x, y = promote("logaddexp", x, y, full_shape=True)  # select_n wants one shape
    x_wins = lax.ge(x, y)
    a, b = lax.select_n(x_wins, y, x), lax.select_n(x_wins, x, y)
    delta = lax.sub(b, a)
    nan_delta = lax.ne(delta, delta)
    zeros = _zeros_like(delta)
    a, b = lax.select_n(nan_delta, a, zeros), lax.select_n(nan_delta, b, zeros)
    out = lax.add(a, lax.log1p(lax.exp(lax.sub(b, a))))
    return lax.select_n(nan_delta, out, _mul_const(lax.add(x, y), 0.5))


logaddexp = _composite("logaddexp", _logaddexp, inexact=True, nargs=2)


def _logaddexp2(x, y):
    return _mul_const(_logaddexp(_mul_const(x, _LN2), _mul_const(y, _LN2)), 1 / _LN2)


logaddexp2 = _composite("logaddexp2", _logaddexp2, inexact=True, nargs=2)


def _zeros_like(x):
    return _full(_shape(x), 0, _dtype(x))


def _ones_like(x):
    return _full(_shape(x), 1, _dtype(x))


# sin(t)/t = sum_k (-t^2)^k / (2k+1)!: to |t| < 1/2 the terms through t^14 are
# exact in float64, and so (to high order) are their derivatives
_SINC_SERIES = [(-1.0) ** k / math.factorial(2 * k + 1) for k in range(8)]


def _sinc(x):
    # sin(pi x) / (pi x), with its series near 0: a constant 1 at 0 would give a
    # zero second derivative (true: -pi^2/3), and sin(t)/t differentiated near 0
    # cancels catastrophically. Each branch sees a safe argument (no 0 * inf back).
    t = _mul_const(x, math.pi)
    small = lax.lt(lax.abs(t), _scalar(_dtype(x), 0.5))
    big_t = lax.select_n(small, t, _ones_like(t))
    t2 = lax.square(lax.select_n(small, _zeros_like(t), t))
    series = _scalar(_dtype(x), _SINC_SERIES[-1])
    for c in reversed(_SINC_SERIES[:-1]):
        series = lax.add(lax.mul(series, t2), _scalar(_dtype(x), c))
    return lax.select_n(small, lax.div(lax.sin(big_t), big_t), series)


sinc = _composite("sinc", _sinc, inexact=True)


# --- rounding -------------------------------------------------------------------------

def _round_even(x):
    return lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)


def round(a: ArrayLike, decimals: int = 0) -> Array:
    """Round half to even to ``decimals`` places, as ``numpy.round``.

    >>> import ftrans.numpy as jnp
    >>> jnp.round(2.5), jnp.round(1.234, 2)
    (array(2.), array(1.23))
    """
    (a,) = promote("round", a)
    if not _is_inexact(a):
        if decimals >= 0:
            return _array(a)
        # to a multiple of 10**-decimals, halves to even, computed in float64
        f64 = np.dtype(np.float64)
        factor = _scalar(f64, 10.0 ** -decimals)
        r = lax.mul(_round_even(lax.div(lax.convert_element_type(a, f64), factor)), factor)
        return lax.convert_element_type(r, _dtype(a))
    if decimals == 0:
        return _round_even(a)
    factor = _scalar(_dtype(a), 10.0 ** decimals)
    return lax.div(_round_even(lax.mul(a, factor)), factor)


around = round


def rint(x: ArrayLike) -> Array:
    """Round to the nearest integer (halves to even), as ``numpy.rint``.

    >>> import ftrans.numpy as jnp
    >>> jnp.rint(-1.5)
    array(-2.)
    """
    (x,) = promote("rint", x, inexact=True)
    return _round_even(x)


def trunc(x: ArrayLike) -> Array:
    """Round toward zero, as ``numpy.trunc``.

    >>> import ftrans.numpy as jnp
    >>> jnp.trunc(-1.7)
    array(-1.)
    """
    (x,) = promote("trunc", x)
    if not _is_inexact(x):
        return _array(x)
    return lax.mul(lax.sign(x), lax.floor(lax.abs(x)))


fix = trunc


# --- selection and clipping ------------------------------------------------------------

@overload
def where(condition: ArrayLike, x: None = None, y: None = None) -> tuple[np.ndarray, ...]: ...
@overload
def where(condition: ArrayLike, x: ArrayLike, y: ArrayLike) -> Array: ...


def where(condition: ArrayLike, x: ArrayLike | None = None,
          y: ArrayLike | None = None) -> Array | tuple[np.ndarray, ...]:
    """``x`` where ``condition`` is true, else ``y`` (broadcasting all three).

    With only ``condition``, the indices of its nonzero entries (concrete
    values only), as ``numpy.where``.

    >>> import ftrans.numpy as jnp
    >>> jnp.where([True, False], 1.0, -1.0)
    array([ 1., -1.])
    """
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise TypeError("where: give both x and y, or neither")
    shape = _broadcast_shape("where", condition, x, y)
    cond = _as_bool(condition)
    x, y = promote("where", x, y)
    like = (cond, x, y)
    cond, x, y = (broadcast_to_shape(a, shape) for a in like)
    return lax.select_n(cond, y, x)


def _concrete(a, what):
    if type(a) is Tracer:
        return a.concrete_value(what)
    return np.asarray(a)


def nonzero(a: ArrayLike, *, size: int | None = None,
            fill_value: ArrayLike | None = None) -> tuple[np.ndarray, ...]:
    """The indices of the nonzero elements (concrete arrays only: the result's
    shape depends on the values); ``where`` with only a condition.

    >>> import ftrans.numpy as jnp
    >>> jnp.nonzero([0.0, 2.0, 3.0])
    (array([1, 2]),)
    """
    out = np.nonzero(_concrete(a, "jnp.nonzero (its output shape depends on values)"))
    if size is not None:
        fill = 0 if fill_value is None else fill_value
        out = tuple(np.concatenate([o[:size], np.full(builtins.max(size - len(o), 0),
                                                      fill, o.dtype)]) for o in out)
    return out


def _as_bool(x):
    if type(x) is not Tracer:
        return np.asarray(x, dtype=bool)
    if x.dtype == np.bool_:
        return x
    return lax.ne(x, _scalar(x.dtype, 0))


def select(condlist: Sequence[ArrayLike], choicelist: Sequence[ArrayLike],
           default: ArrayLike = 0) -> Array:
    """The first choice whose condition holds, elementwise (``numpy.select``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> x = np.arange(4.0)
    >>> jnp.select([x < 1, x > 2], [x, -x], 9.0)
    array([ 0.,  9.,  9., -3.])
    """
    if len(condlist) != len(choicelist):
        raise ValueError("select: condlist and choicelist must have the same length")
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(cond, choice, out)
    return asarray(out)


def clip(a: ArrayLike, a_min: ArrayLike | None = None, a_max: ArrayLike | None = None, *,
         min: ArrayLike | None = None, max: ArrayLike | None = None) -> Array:
    """Limit ``a`` to ``[a_min, a_max]``, as ``numpy.clip`` (``min=``/``max=``
    keywords too).

    >>> import ftrans.numpy as jnp
    >>> jnp.clip([-2.0, 0.5, 3.0], -1, 1)
    array([-1. ,  0.5,  1. ])
    """
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    out = asarray(a)
    if lo is not None:
        out = maximum(out, lo)
    if hi is not None:
        out = minimum(out, hi)
    return out


def _nan_aware(op):
    def body(x, y):
        return lax.select_n(lax.ne(y, y),
                            lax.select_n(lax.ne(x, x), op(x, y), y), x)
    return body


fmax = _composite("fmax", _nan_aware(lax.max), nargs=2,
                  doc="Elementwise maximum ignoring NaNs, as ``numpy.fmax``.")
fmin = _composite("fmin", _nan_aware(lax.min), nargs=2,
                  doc="Elementwise minimum ignoring NaNs, as ``numpy.fmin``.")


# --- classification ---------------------------------------------------------------------

def _bool_full(x, value):
    return _array(_full(_shape(x), value, np.bool_))


def _classify(name, body):
    def f(x: ArrayLike) -> Array:
        (x,) = promote(name, x)
        if not _is_inexact(x):
            return body(None, x)
        return body(x, x)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Elementwise ``{name}``, as ``numpy.{name}``.\n\n"
                 f"    >>> import ftrans.numpy as jnp\n"
                 f"    >>> jnp.{name}(1.0).dtype\n    dtype('bool')\n")
    return f


def _inf(x):
    return _scalar(_dtype(x), np.inf)


isnan = _classify("isnan", lambda f, x: _bool_full(x, False) if f is None
                  else lax.ne(f, f))
isinf = _classify("isinf", lambda f, x: _bool_full(x, False) if f is None
                  else lax.eq(lax.abs(f), _inf(f)))
isfinite = _classify("isfinite", lambda f, x: _bool_full(x, True) if f is None
                     else lax.lt(lax.abs(f), _inf(f)))
isposinf = _classify("isposinf", lambda f, x: _bool_full(x, False) if f is None
                     else lax.eq(f, _inf(f)))
isneginf = _classify("isneginf", lambda f, x: _bool_full(x, False) if f is None
                     else lax.eq(f, lax.neg(_inf(f))))


def signbit(x: ArrayLike) -> Array:
    """True where the sign bit is set (negative numbers and ``-0.0``).

    >>> import ftrans.numpy as jnp
    >>> jnp.signbit([-0.0, 0.0, -2.0])
    array([ True, False,  True])
    """
    (x,) = promote("signbit", x)
    if not _is_inexact(x):
        return lax.lt(x, _scalar(_dtype(x), 0)) if np.dtype(_dtype(x)).kind == "i" \
            else _bool_full(x, False)
    # atan2(x, -1) is -pi for x = -0.0 and +pi for x = +0.0
    minus_one = lax.neg(_ones_like(x))
    return lax.lt(lax.atan2(x, minus_one), _scalar(_dtype(x), 0))


def copysign(x1: ArrayLike, x2: ArrayLike) -> Array:
    """``|x1|`` with the sign of ``x2``, as ``numpy.copysign``.

    >>> import ftrans.numpy as jnp
    >>> jnp.copysign(2.0, -0.0)
    array(-2.)
    """
    x1, x2 = promote("copysign", x1, x2, inexact=True, full_shape=True)
    a = lax.abs(x1)
    return lax.select_n(signbit(x2), a, lax.neg(a))


def heaviside(x1: ArrayLike, x2: ArrayLike) -> Array:
    """0 for ``x1 < 0``, ``x2`` at 0, 1 for ``x1 > 0`` (``numpy.heaviside``).

    >>> import ftrans.numpy as jnp
    >>> jnp.heaviside([-1.0, 0.0, 2.0], 0.5)
    array([0. , 0.5, 1. ])
    """
    x1, x2 = promote("heaviside", x1, x2, inexact=True, full_shape=True)
    zero = _zeros_like(x1)
    out = lax.select_n(lax.gt(x1, zero), x2, _ones_like(x1))
    return lax.select_n(lax.lt(x1, zero), out, zero)


def nan_to_num(x: ArrayLike, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Array:
    """Replace NaN and infinities by finite numbers, as ``numpy.nan_to_num``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nan_to_num(np.array([np.nan, 1.0]))
    array([0., 1.])
    """
    (x,) = promote("nan_to_num", x)
    if not _is_inexact(x):
        return _array(x)
    info = np.finfo(_dtype(x))
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = where(isnan(x), nan, x)
    out = where(isposinf(x), posinf, out)
    return where(isneginf(x), neginf, out)


# --- logic -------------------------------------------------------------------------------

def logical_and(x: ArrayLike, y: ArrayLike) -> Array:
    """Elementwise truth of ``x and y``.

    >>> import ftrans.numpy as jnp
    >>> jnp.logical_and([1, 0], [1, 1])
    array([ True, False])
    """
    a, b = promote("logical_and", _as_bool(x), _as_bool(y))
    return lax.bitwise_and(a, b)


def logical_or(x: ArrayLike, y: ArrayLike) -> Array:
    """Elementwise truth of ``x or y``.

    >>> import ftrans.numpy as jnp
    >>> jnp.logical_or([1, 0], [0, 0])
    array([ True, False])
    """
    a, b = promote("logical_or", _as_bool(x), _as_bool(y))
    return lax.bitwise_or(a, b)


def logical_xor(x: ArrayLike, y: ArrayLike) -> Array:
    """Elementwise truth of ``x != y`` as booleans.

    >>> import ftrans.numpy as jnp
    >>> jnp.logical_xor([1, 0], [1, 1])
    array([False,  True])
    """
    a, b = promote("logical_xor", _as_bool(x), _as_bool(y))
    return lax.ne(a, b)


def logical_not(x: ArrayLike) -> Array:
    """Elementwise ``not x``.

    >>> import ftrans.numpy as jnp
    >>> jnp.logical_not([1.0, 0.0])
    array([False,  True])
    """
    return lax.bitwise_not(_as_bool(x))


def bitwise_xor(x: ArrayLike, y: ArrayLike) -> Array:
    """Elementwise ``x ^ y`` on booleans and integers.

    >>> import ftrans.numpy as jnp
    >>> jnp.bitwise_xor(6, 3)
    array(5)
    """
    x, y = promote("bitwise_xor", x, y)
    return lax.bitwise_and(lax.bitwise_or(x, y), lax.bitwise_not(lax.bitwise_and(x, y)))


def isclose(a: ArrayLike, b: ArrayLike, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Array:
    """``|a - b| <= atol + rtol * |b|`` elementwise, as ``numpy.isclose``.

    >>> import ftrans.numpy as jnp
    >>> jnp.isclose([1.0, 2.0], [1.0 + 1e-9, 2.1])
    array([ True, False])
    """
    a, b = promote("isclose", a, b, inexact=True)
    close = less_equal(absolute(subtract(a, b)), add(atol, multiply(rtol, absolute(b))))
    close = logical_or(close, equal(a, b))  # equal infinities
    if equal_nan:
        close = logical_or(close, logical_and(isnan(a), isnan(b)))
    return close


# --- complex numbers: parts, conjugate, angle, tests ----------------------------------

def _is_complex(x) -> bool:
    return _dtype(x).kind == "c"


def conj(x: ArrayLike) -> Array:
    """The complex conjugate; real arrays are returned unchanged (as numpy and JAX).

    >>> import ftrans.numpy as jnp
    >>> jnp.conj(2.0)
    array(2.)
    >>> jnp.conj([1 + 2j, -1j])
    array([ 1.-2.j, -0.+1.j])
    """
    x = asarray(x)
    return lax.conj(x) if _is_complex(x) else _array(x)


conjugate = conj


def real(x: ArrayLike) -> Array:
    """The real part (a float array); a real array is returned unchanged.

    >>> import ftrans.numpy as jnp
    >>> jnp.real([1 + 2j, -1j])
    array([ 1., -0.])
    """
    x = asarray(x)
    return lax.real(x) if _is_complex(x) else _array(x)


def imag(x: ArrayLike) -> Array:
    """The imaginary part (a float array): zeros for real arrays.

    >>> import ftrans.numpy as jnp
    >>> jnp.imag([1 + 2j, -1j])
    array([ 2., -1.])
    >>> jnp.imag([1.0, 2.0])
    array([0., 0.])
    """
    x = asarray(x)
    if _is_complex(x):
        return lax.imag(x)
    return _zeros_like(x) if type(x) is Tracer else np.zeros_like(x)


def angle(z: ArrayLike, deg: bool = False) -> Array:
    """The argument of ``z`` (``atan2(imag, real)``), in radians or, with
    ``deg=True``, degrees, as ``numpy.angle``.

    >>> import ftrans.numpy as jnp
    >>> jnp.angle([1j, -1.0])
    array([1.57079633, 3.14159265])
    >>> float(jnp.angle(1 + 1j, deg=True))
    45.0
    """
    z = asarray(z)
    re, im = real(z), imag(z)
    if not _is_inexact(re):
        re, im = asarray(re, to_inexact(_dtype(re))), asarray(im, to_inexact(_dtype(im)))
    out = arctan2(im, re)
    return multiply(out, 180 / math.pi) if deg else out


def iscomplexobj(x: ArrayLike) -> bool:
    """Whether ``x`` has a complex dtype (its values do not matter).

    >>> import ftrans.numpy as jnp
    >>> jnp.iscomplexobj([1.0 + 0j]), jnp.iscomplexobj(1.0)
    (True, False)
    """
    return _dtype(asarray(x)).kind == "c"


def isrealobj(x: ArrayLike) -> bool:
    """Whether ``x`` does not have a complex dtype.

    >>> import ftrans.numpy as jnp
    >>> jnp.isrealobj([1.0 + 0j]), jnp.isrealobj(1.0)
    (False, True)
    """
    return not iscomplexobj(x)


def iscomplex(x: ArrayLike) -> Array:
    """Elementwise, whether the imaginary part is nonzero.

    >>> import ftrans.numpy as jnp
    >>> jnp.iscomplex([1 + 0j, 1 + 1j])
    array([False,  True])
    """
    return not_equal(imag(x), 0)


def isreal(x: ArrayLike) -> Array:
    """Elementwise, whether the imaginary part is zero.

    >>> import ftrans.numpy as jnp
    >>> jnp.isreal([1 + 0j, 1 + 1j])
    array([ True, False])
    """
    return equal(imag(x), 0)

