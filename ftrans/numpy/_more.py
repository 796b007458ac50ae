"""More of numpy's functions in ftrans.numpy, as compositions of the others.

Floating-point decompositions (``frexp``, ``ldexp``, ``modf``, ``spacing``,
``nextafter``), integer functions (``gcd``, ``lcm``, shifts, ``bitwise_count``,
``packbits``), ``i0`` and the windows (``hanning``, ``kaiser``, ...), the
nan-aware reductions that were missing, statistics (``cov``, ``corrcoef``,
``histogram``, ``bincount``, ``digitize``), interpolation and calculus
(``interp``, ``gradient``, ``trapezoid``, ``unwrap``), polynomials
(``poly*``, ``roots``), sorting helpers (``lexsort``, ``partition``), array
editing (``delete``, ``insert``, ``place``, ``put_along_axis``,
``fill_diagonal``, ``resize``, ``block``, ``choose``, ``piecewise``) and
``apply_along_axis`` (by ``vmap``). No primitive is added: every function
binds existing ones, so derivatives, ``vmap`` and ``jit`` come for free
where the function is differentiable. Results whose shape depends on values
(``trim_zeros``, ``bincount`` without ``length``) need concrete arguments,
as in JAX.
"""

from __future__ import annotations

import builtins
import math
from typing import Any, Callable, Sequence

import numpy as np

from ftrans.core import get_aval
from ftrans.errors import ConcretizationError
from ftrans.numpy._reductions import _nan_fill
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike, DTypeLike, Shape

__all__ = [
    "frexp", "ldexp", "modf", "spacing", "nextafter", "gcd", "lcm", "left_shift",
    "right_shift", "bitwise_left_shift", "bitwise_right_shift", "bitwise_count",
    "packbits", "unpackbits", "i0", "hanning", "hamming", "blackman", "bartlett", "kaiser",
    "nanargmax", "nanargmin", "nancumsum", "nancumprod", "nanmedian", "nanquantile",
    "nanpercentile", "cumulative_prod", "cov", "corrcoef", "histogram", "histogram_bin_edges",
    "histogram2d", "histogramdd", "bincount", "digitize", "interp", "gradient", "trapezoid",
    "unwrap", "ediff1d", "vander", "poly", "polyadd", "polysub", "polymul", "polydiv",
    "polyder", "polyint", "polyfit", "roots", "lexsort", "partition", "argpartition",
    "sort_complex", "delete", "insert", "place", "put_along_axis", "fill_diagonal",
    "resize", "block", "choose", "piecewise", "apply_along_axis", "apply_over_axes",
    "rollaxis", "trim_zeros", "array_equiv", "matvec", "vecmat", "diag_indices_from",
    "tril_indices_from", "triu_indices_from", "mask_indices", "fromfunction",
]


def _at(x):
    """``x.at`` for a traced or a plain numpy array (raw functions of the
    namespace may return ``numpy.ndarray``s, which have no ``.at``)."""
    from ftrans.array import leave
    from ftrans.tracing import Tracer as _T
    return (x if type(x) is _T else leave(np.asarray(x))).at


def _np():
    from ftrans.numpy import _ns as jnp
    return jnp


def _aval(x):
    return get_aval(x)


def _concrete(x, what: str):
    if type(x) is Tracer:
        if x.val is None:
            raise ConcretizationError(
                f"{what} needs a concrete value, got an abstract array "
                f"{get_aval(x).str_short()} (under jit/vmap); pass it as a static argument")
        return np.asarray(x.val)
    return np.asarray(x)


def _float(x):
    jnp = _np()
    x = jnp.asarray(x)
    return x if _aval(x).dtype.kind in "fc" else x.astype(np.float64)


# --- floating-point decompositions -----------------------------------------------------

def _mant_bits(dtype) -> tuple[int, int]:
    fi = np.finfo(dtype)
    return fi.nmant + 1, fi.minexp - fi.nmant  # precision, exponent of the smallest subnormal


def _pow2(e, dtype):
    # 2**e exactly, for integer-valued e in [-1100, 1100] (in two halves, no overflow)
    jnp = _np()
    e = jnp.asarray(e).astype(dtype)
    h = jnp.floor(e / 2)
    return jnp.power(2.0, h).astype(dtype), jnp.power(2.0, e - h).astype(dtype)


def frexp(x: ArrayLike, /) -> tuple[Array, Array]:
    """``(mantissa, exponent)`` with ``x = mantissa * 2**exponent`` and
    ``0.5 <= |mantissa| < 1`` (``(0, 0)`` at 0; ``(x, 0)`` at inf/nan).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.frexp(np.array([8.0, -3.0]))
    (array([ 0.5 , -0.75]), array([4, 2], dtype=int32))
    """
    jnp = _np()
    x = _float(x)
    dt = _aval(x).dtype
    from ftrans import lax
    ax = jnp.abs(lax.stop_gradient(x))
    special = jnp.logical_or(ax == 0, jnp.logical_not(jnp.isfinite(ax)))
    safe = jnp.where(special, 1.0, ax)
    e = jnp.floor(jnp.log2(safe)) + 1
    a, b = _pow2(-e, dt)
    m = safe * a * b
    # log2 may round across a power of two: one correction step each way
    e = jnp.where(m < 0.5, e - 1, jnp.where(m >= 1, e + 1, e))
    a, b = _pow2(-e, dt)
    m = safe * a * b
    e = jnp.where(m < 0.5, e - 1, jnp.where(m >= 1, e + 1, e))
    e = jnp.where(special, 0, e)
    a, b = _pow2(-e, dt)
    mant = jnp.where(special, x, x * a * b)
    return mant, e.astype(np.int32)


def ldexp(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """``x1 * 2**x2`` (integer ``x2``), exactly.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.ldexp(np.array([0.5, 3.0]), np.array([4, -1]))
    array([8. , 1.5])
    """
    jnp = _np()
    x = _float(x1)
    e = jnp.asarray(x2)
    if _aval(e).dtype.kind not in "iub":
        raise TypeError(f"ldexp: the exponent must be integer, got {_aval(e).str_short()}")
    a, b = _pow2(e, _aval(x).dtype)
    return x * a * b


def modf(x: ArrayLike, /, out: None = None) -> tuple[Array, Array]:
    """``(fractional part, integral part)``, both with the sign of ``x``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.modf(np.array([-3.5, 2.25]))
    (array([-0.5 ,  0.25]), array([-3.,  2.]))
    """
    jnp = _np()
    x = _float(x)
    whole = jnp.trunc(x)
    frac = jnp.where(jnp.isinf(x), jnp.copysign(0.0, x).astype(_aval(x).dtype), x - whole)
    return frac, whole


def _ulp_exp(ax, dtype, toward_zero):
    # the exponent of the spacing at |x| (frexp form m * 2**e, 0.5 <= m < 1)
    jnp = _np()
    p, emin = _mant_bits(dtype)
    m, e = frexp(ax)
    e = e.astype(dtype) - p
    if toward_zero is not None:
        e = jnp.where(jnp.logical_and(toward_zero, m == 0.5), e - 1, e)
    return jnp.maximum(e, emin)


def spacing(x: ArrayLike, /) -> Array:
    """The distance from ``x`` to the next float away from zero (signed as ``x``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> bool(jnp.spacing(np.array(1.0)) == np.finfo(float).eps)
    True
    """
    from ftrans import lax
    jnp = _np()
    x = lax.stop_gradient(_float(x))
    dt = _aval(x).dtype
    away = jnp.where(x < 0, -np.inf, np.inf).astype(dt)
    return (nextafter(x, away) - x).astype(dt)


def nextafter(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """The next representable float after ``x1`` in the direction of ``x2``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> bool(jnp.nextafter(np.array(1.0), np.array(2.0)) == 1 + np.finfo(float).eps)
    True
    """
    from ftrans import lax
    jnp = _np()
    x, y = _float(x1), _float(x2)
    dt = jnp.result_type(x, y)
    x, y = lax.stop_gradient(x.astype(dt)), lax.stop_gradient(y.astype(dt))
    x, y = jnp.broadcast_arrays(x, y)
    ax = jnp.abs(x)
    up = y > x  # the direction of the step
    away = up == (x > 0)  # away from zero (x != 0)
    safe = jnp.where(jnp.logical_or(ax == 0, jnp.isinf(ax)), 1.0, ax).astype(dt)
    a, b = _pow2(_ulp_exp(safe, dt, jnp.logical_not(away)), dt)
    step = a * b
    out = jnp.where(up, x + step, x - step)
    tiny = np.finfo(dt).smallest_subnormal
    out = jnp.where(x == 0, jnp.where(up, tiny, -tiny), out)
    big = np.finfo(dt).max
    out = jnp.where(jnp.isinf(x), jnp.where(x > 0, big, -big), out)
    out = jnp.where(x == y, y, out)
    out = jnp.where(jnp.logical_or(jnp.isnan(x), jnp.isnan(y)), np.nan, out)
    # a step of one ulp is constant almost everywhere: d/dx1 = 1, d/dx2 = 0
    x1 = _float(x1).astype(dt)
    x1 = jnp.where(jnp.isfinite(x1), x1, 0.0)
    return out.astype(dt) + (x1 - lax.stop_gradient(x1))


# --- integers --------------------------------------------------------------------------

def _ints(name, *xs):
    jnp = _np()
    xs = [jnp.asarray(x) for x in xs]
    for x in xs:
        if _aval(x).dtype.kind not in "iub":
            raise TypeError(f"{name}: operands must be integers, got {_aval(x).str_short()}")
    dt = jnp.result_type(*xs)
    if dt == np.bool_:
        dt = np.dtype(np.int64) if name in ("gcd", "lcm") else dt
    return [x.astype(dt) for x in xs]


def gcd(x1: ArrayLike, x2: ArrayLike) -> Array:
    """The greatest common divisor (non-negative), elementwise, by Euclid's
    algorithm in a ``while_loop``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.gcd(np.array([12, -8]), np.array([18, 0]))
    array([6, 8])
    """
    from ftrans import lax
    jnp = _np()
    a, b = _ints("gcd", x1, x2)
    a, b = jnp.broadcast_arrays(jnp.abs(a), jnp.abs(b))

    def body(ab):
        a, b = ab
        nz = b != 0
        safe = jnp.where(nz, b, 1)
        return jnp.where(nz, b, a), jnp.where(nz, a % safe, 0)

    a, _ = lax.while_loop(lambda ab: jnp.any(ab[1] != 0), body, (a, b))
    return a


def lcm(x1: ArrayLike, x2: ArrayLike) -> Array:
    """The least common multiple (non-negative; 0 if either is 0).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.lcm(np.array([4, 0]), np.array([6, 3]))
    array([12,  0])
    """
    jnp = _np()
    a, b = _ints("lcm", x1, x2)
    g = gcd(a, b)
    safe = jnp.where(g == 0, 1, g)
    return jnp.where(g == 0, 0, jnp.abs(a // safe * b))


def _bits(dtype) -> int:
    return np.dtype(dtype).itemsize * 8


def _pow2_table(dtype, n):
    with np.errstate(over="ignore"):
        return np.left_shift(np.ones(n, dtype), np.arange(n).astype(dtype))


def left_shift(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """``x1 << x2`` on integers (bits shifted past the width are lost).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.left_shift(np.array([1, 3]), np.array([2, 1]))
    array([4, 6])
    """
    jnp = _np()
    x, y = _ints("left_shift", x1, x2)
    dt = _aval(x).dtype
    if dt == np.bool_:
        x, y, dt = x.astype(np.int64), y.astype(np.int64), np.dtype(np.int64)
    n = _bits(dt)
    inside = jnp.logical_and(y >= 0, y < n)
    p = jnp.asarray(_pow2_table(dt, n))[jnp.clip(y, 0, n - 1).astype(np.int64)]
    return jnp.where(inside, x * p, jnp.zeros((), dt)).astype(dt)


def right_shift(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """``x1 >> x2`` on integers (arithmetic: the sign is kept).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.right_shift(np.array([-8, 8]), np.array([1, 2]))
    array([-4,  2])
    """
    jnp = _np()
    x, y = _ints("right_shift", x1, x2)
    dt = _aval(x).dtype
    if dt == np.bool_:
        x, y, dt = x.astype(np.int64), y.astype(np.int64), np.dtype(np.int64)
    n = _bits(dt)
    top = n - 1 if dt.kind == "i" else n  # shifts of at least this fill with the sign
    inside = jnp.logical_and(y >= 0, y < top)
    p = jnp.asarray(_pow2_table(dt, n))[jnp.clip(y, 0, top - 1).astype(np.int64)]
    filled = jnp.where(x < 0, jnp.asarray(-1, dt), jnp.asarray(0, dt)) if dt.kind == "i" \
        else jnp.zeros((), dt)
    wide = np.int64 if dt.kind == "i" else np.uint64
    quot = jnp.floor_divide(x.astype(wide), p.astype(wide)).astype(dt)
    return jnp.where(inside, quot, filled).astype(dt)


bitwise_left_shift = left_shift
bitwise_right_shift = right_shift


def _logical_right_shift(x, y):
    # the bits of x as unsigned, shifted right: the arithmetic shift with the
    # sign copies masked off
    jnp = _np()
    dt = _aval(x).dtype
    if dt.kind == "u":
        return right_shift(x, y)
    n = _bits(dt)
    arith = right_shift(x, y)
    keep = jnp.clip(n - y, 0, n).astype(np.int64)  # how many low bits survive
    masks = np.array([(1 << k) - 1 if k < n else -1 for k in range(n + 1)],
                     dtype=np.int64).astype(dt)
    return jnp.where(y <= 0, x, jnp.bitwise_and(arith, jnp.asarray(masks)[keep]))


def _popcount(x):
    # set bits of the two's complement
    jnp = _np()
    dt = _aval(x).dtype
    n = _bits(dt)
    total = jnp.zeros(_aval(x).shape, np.int64)
    for k in range(n):
        total = total + jnp.bitwise_and(_logical_right_shift(x, jnp.asarray(k, dt)),
                                        jnp.asarray(1, dt)).astype(np.int64)
    return total


def _bit_length(x):
    # bits needed by the two's complement read as unsigned (n for negatives)
    jnp = _np()
    dt = _aval(x).dtype
    n = _bits(dt)
    out = jnp.zeros(_aval(x).shape, np.int64)
    for k in range(n):
        out = out + (_logical_right_shift(x, jnp.asarray(k, dt)) != 0).astype(np.int64)
    return out


def bitwise_count(x: ArrayLike, /) -> Array:
    """The number of 1 bits of ``|x|``, as ``numpy.bitwise_count`` (uint8).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.bitwise_count(np.array([-1, 7, 8]))
    array([1, 3, 1], dtype=uint8)
    """
    jnp = _np()
    (x,) = _ints("bitwise_count", x)
    if _aval(x).dtype == np.bool_:
        return x.astype(np.uint8)
    if _aval(x).dtype.kind == "i":
        x = jnp.abs(x)
    return _popcount(x).astype(np.uint8)


def packbits(a: ArrayLike, axis: int | None = None, bitorder: str = "big") -> Array:
    """Booleans (nonzero) packed into uint8, 8 per byte, along ``axis``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.packbits(np.array([1, 0, 1, 1, 0, 0, 0, 1, 1]))
    array([177, 128], dtype=uint8)
    """
    jnp = _np()
    if bitorder not in ("big", "little"):
        raise ValueError(f"packbits: bitorder must be 'big' or 'little', got {bitorder!r}")
    a = jnp.asarray(a)
    if _aval(a).dtype.kind not in "biu":
        raise TypeError(f"packbits: expected an integer or boolean array, got "
                        f"{_aval(a).str_short()}")
    if axis is None:
        a, axis = jnp.ravel(a), 0
    a = jnp.moveaxis((a != 0).astype(np.uint8), axis, -1)
    n = _aval(a).shape[-1]
    pad = (-n) % 8
    if pad:
        a = jnp.concatenate([a, jnp.zeros(_aval(a).shape[:-1] + (pad,), np.uint8)], axis=-1)
    a = jnp.reshape(a, _aval(a).shape[:-1] + (-1, 8))
    w = np.array([128, 64, 32, 16, 8, 4, 2, 1] if bitorder == "big" else
                 [1, 2, 4, 8, 16, 32, 64, 128], np.int64)
    out = jnp.sum(a.astype(np.int64) * w, axis=-1).astype(np.uint8)
    return jnp.moveaxis(out, -1, axis)


def unpackbits(a: ArrayLike, axis: int | None = None, count: int | None = None,
               bitorder: str = "big") -> Array:
    """The bits of uint8 ``a`` along ``axis`` (the inverse of ``packbits``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.unpackbits(np.array([5], np.uint8))
    array([0, 0, 0, 0, 0, 1, 0, 1], dtype=uint8)
    """
    jnp = _np()
    if bitorder not in ("big", "little"):
        raise ValueError(f"unpackbits: bitorder must be 'big' or 'little', got {bitorder!r}")
    a = jnp.asarray(a)
    if _aval(a).dtype != np.uint8:
        raise TypeError(f"unpackbits: expected a uint8 array, got {_aval(a).str_short()}")
    if axis is None:
        a, axis = jnp.ravel(a), 0
    a = jnp.moveaxis(a, axis, -1).astype(np.int64)
    shifts = np.arange(7, -1, -1) if bitorder == "big" else np.arange(8)
    bits = (a[..., None] // (2 ** shifts)) % 2
    bits = jnp.reshape(bits, _aval(bits).shape[:-2] + (-1,)).astype(np.uint8)
    if count is not None:
        n = _aval(bits).shape[-1]
        if count >= 0:
            bits = bits[..., :count] if count <= n else jnp.concatenate(
                [bits, jnp.zeros(_aval(bits).shape[:-1] + (count - n,), np.uint8)], -1)
        else:
            bits = bits[..., :n + count]
    return jnp.moveaxis(bits, -1, axis)


# --- i0 and windows ---------------------------------------------------------------------

_I0_SERIES_MAX = 30.0


def i0(x: ArrayLike) -> Array:
    """The modified Bessel function of the first kind, order 0 (a power series
    for ``|x| <= 30``, the asymptotic expansion beyond); differentiable.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> bool(np.allclose(jnp.i0(np.array([0.0, 1.0, 40.0])), np.i0([0.0, 1.0, 40.0])))
    True
    """
    jnp = _np()
    x = _float(x)
    ax = jnp.abs(x)
    small = ax <= _I0_SERIES_MAX
    xs = jnp.where(small, x, 0.0)
    z = xs * xs / 4
    p = jnp.ones_like(z)
    for k in range(70, 0, -1):  # sum z^k / (k!)^2 by Horner
        p = 1 + p * z / (k * k)
    xl = jnp.where(small, _I0_SERIES_MAX, ax)
    t = jnp.ones_like(xl)
    s = jnp.ones_like(xl)
    for k in range(1, 30):
        t = t * ((2 * k - 1) ** 2) / (8 * k * xl)
        s = s + t
    big = jnp.exp(xl) / jnp.sqrt(2 * np.pi * xl) * s
    return jnp.where(small, p, big)


def _window(M, name):
    M = int(_concrete(M, f"{name}: the window length M"))
    return M


def hanning(M: int) -> Array:
    """The Hann window of ``M`` points.

    >>> import ftrans.numpy as jnp
    >>> jnp.hanning(3)
    array([0., 1., 0.])
    """
    return _np().asarray(np.hanning(_window(M, "hanning")))


def hamming(M: int) -> Array:
    """The Hamming window of ``M`` points.

    >>> import ftrans.numpy as jnp
    >>> jnp.hamming(3)
    array([0.08, 1.  , 0.08])
    """
    return _np().asarray(np.hamming(_window(M, "hamming")))


def blackman(M: int) -> Array:
    """The Blackman window of ``M`` points.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> np.round(jnp.blackman(3), 6)
    array([-0.,  1., -0.])
    """
    return _np().asarray(np.blackman(_window(M, "blackman")))


def bartlett(M: int) -> Array:
    """The Bartlett (triangular) window of ``M`` points.

    >>> import ftrans.numpy as jnp
    >>> jnp.bartlett(5)
    array([0. , 0.5, 1. , 0.5, 0. ])
    """
    return _np().asarray(np.bartlett(_window(M, "bartlett")))


def kaiser(M: int, beta: ArrayLike) -> Array:
    """The Kaiser window of ``M`` points with shape ``beta`` (differentiable in ``beta``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> bool(np.allclose(jnp.kaiser(4, 5.0), np.kaiser(4, 5.0)))
    True
    """
    jnp = _np()
    M = _window(M, "kaiser")
    if M < 1:
        return jnp.zeros(0)
    if M == 1:
        return jnp.ones(1)
    n = np.arange(M)
    alpha = (M - 1) / 2.0
    r = np.sqrt(np.clip(1 - ((n - alpha) / alpha) ** 2, 0, None))
    beta = _float(beta)
    return i0(beta * r) / i0(beta)


# --- nan-aware reductions --------------------------------------------------------------

def _nan_arg(a, axis, keepdims, name, fill, arg):
    jnp = _np()
    a = jnp.asarray(a)
    if _aval(a).dtype.kind not in "fc":
        return arg(a, axis=axis, keepdims=bool(keepdims))
    nan = jnp.isnan(a)
    out = arg(jnp.where(nan, fill, a), axis=axis, keepdims=bool(keepdims))
    all_nan = jnp.all(nan, axis=axis, keepdims=bool(keepdims))
    return jnp.where(all_nan, -1, out)


def nanargmax(a: ArrayLike, axis: int | None = None, out: None = None,
              keepdims: bool | None = None) -> Array:
    """``argmax`` ignoring NaNs (-1 where all are NaN, as JAX).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nanargmax(np.array([1.0, np.nan, 3.0]))
    array(2)
    """
    return _nan_arg(a, axis, keepdims, "nanargmax", -np.inf, _np().argmax)


def nanargmin(a: ArrayLike, axis: int | None = None, out: None = None,
              keepdims: bool | None = None) -> Array:
    """``argmin`` ignoring NaNs (-1 where all are NaN, as JAX).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nanargmin(np.array([1.0, np.nan, -3.0]))
    array(2)
    """
    return _nan_arg(a, axis, keepdims, "nanargmin", np.inf, _np().argmin)


def nancumsum(a: ArrayLike, axis: int | None = None, dtype: DTypeLike | None = None,
              out: None = None) -> Array:
    """``cumsum`` with NaNs counted as 0.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nancumsum(np.array([1.0, np.nan, 2.0]))
    array([1., 1., 3.])
    """
    return _np().cumsum(_nan_fill(a, 0), axis=axis, dtype=dtype)


def nancumprod(a: ArrayLike, axis: int | None = None, dtype: DTypeLike | None = None,
               out: None = None) -> Array:
    """``cumprod`` with NaNs counted as 1.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nancumprod(np.array([2.0, np.nan, 3.0]))
    array([2., 2., 6.])
    """
    return _np().cumprod(_nan_fill(a, 1), axis=axis, dtype=dtype)


_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def nanquantile(a: ArrayLike, q: ArrayLike, axis: int | tuple[int, ...] | None = None,
                out: None = None, overwrite_input: bool = False, method: str = "linear",
                keepdims: bool = False) -> Array:
    """``quantile`` ignoring NaNs (NaN where a slice is all NaN): the sorted
    values (NaNs last) are interpolated at ``q * (count - 1)``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nanquantile(np.array([1.0, np.nan, 3.0, 2.0]), 0.5)
    array(2.)
    """
    jnp = _np()
    if method not in _METHODS:
        raise ValueError(f"nanquantile: method must be one of {_METHODS}, got {method!r}")
    a = _float(a)
    nd = _aval(a).ndim
    axes = tuple(range(nd)) if axis is None else tuple(
        sorted(ax % nd for ax in (axis if isinstance(axis, (tuple, list)) else (axis,))))
    keep = [d for d in range(nd) if d not in axes]
    x = jnp.transpose(a, keep + list(axes))
    rest = tuple(_aval(a).shape[d] for d in keep)
    x = jnp.reshape(x, rest + (-1,))
    s = jnp.sort(x, axis=-1)  # NaNs sort last
    cnt = jnp.sum(jnp.logical_not(jnp.isnan(x)), axis=-1)
    q = _float(q)
    qs = jnp.reshape(q, (-1,))
    pos = qs[:, None] * jnp.maximum(cnt - 1, 0).astype(_aval(s).dtype)[None] \
        if rest else qs * jnp.maximum(cnt - 1, 0).astype(_aval(s).dtype)
    # pos: (nq,) + rest
    lo = jnp.floor(pos)
    hi = jnp.ceil(pos)
    if method == "lower":
        hi = lo
    elif method == "higher":
        lo = hi
    elif method == "nearest":
        lo = hi = jnp.round(pos)
    n = _aval(s).shape[-1]
    sm = jnp.moveaxis(jnp.broadcast_to(s, (_aval(qs).shape[0],) + _aval(s).shape), 0, -2) \
        if rest else jnp.broadcast_to(s, (_aval(qs).shape[0], n))
    # sm: rest + (nq, n); gather along the last axis
    li = jnp.clip(jnp.moveaxis(lo, 0, -1) if rest else lo, 0, n - 1).astype(np.int64)
    hi_ = jnp.clip(jnp.moveaxis(hi, 0, -1) if rest else hi, 0, n - 1).astype(np.int64)
    vlo = jnp.take_along_axis(sm, li[..., None], axis=-1)[..., 0]
    vhi = jnp.take_along_axis(sm, hi_[..., None], axis=-1)[..., 0]
    p = jnp.moveaxis(pos, 0, -1) if rest else pos
    if method == "midpoint":
        w = jnp.where(hi_ > li, 0.5, 0.0)
    else:
        w = p - (jnp.moveaxis(lo, 0, -1) if rest else lo)
    res = vlo + w * (vhi - vlo)
    res = jnp.where((cnt[..., None] if rest else cnt) == 0, np.nan, res)
    res = jnp.moveaxis(res, -1, 0) if rest else res  # (nq,) + rest
    if keepdims:
        shape = tuple(1 if d in axes else s_ for d, s_ in enumerate(_aval(a).shape))
        res = jnp.reshape(res, (_aval(qs).shape[0],) + shape)
    res = jnp.reshape(res, _aval(q).shape + _aval(res).shape[1:])
    return res


def nanpercentile(a: ArrayLike, q: ArrayLike, axis: int | tuple[int, ...] | None = None,
                  out: None = None, overwrite_input: bool = False, method: str = "linear",
                  keepdims: bool = False) -> Array:
    """``percentile`` ignoring NaNs (``q`` in [0, 100]).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nanpercentile(np.array([1.0, np.nan, 3.0]), 50)
    array(2.)
    """
    return nanquantile(a, _float(q) / 100, axis=axis, method=method, keepdims=keepdims)


def nanmedian(a: ArrayLike, axis: int | tuple[int, ...] | None = None, out: None = None,
              overwrite_input: bool = False, keepdims: bool = False) -> Array:
    """``median`` ignoring NaNs.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.nanmedian(np.array([1.0, np.nan, 3.0, 7.0]))
    array(3.)
    """
    return nanquantile(a, 0.5, axis=axis, keepdims=keepdims)


def cumulative_prod(x: ArrayLike, /, *, axis: int | None = None,
                    dtype: DTypeLike | None = None, include_initial: bool = False) -> Array:
    """Running products along ``axis`` (array API), optionally starting with 1.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.cumulative_prod(np.array([2.0, 3.0]), include_initial=True)
    array([1., 2., 6.])
    """
    jnp = _np()
    x = jnp.asarray(x)
    if axis is None:
        if _aval(x).ndim > 1:
            raise ValueError("cumulative_prod: axis must be given for arrays of more than "
                             "one dimension")
        axis = 0
    if _aval(x).ndim == 0:
        raise ValueError("cumulative_prod: the input must have at least one dimension")
    out = jnp.cumprod(x, axis=axis, dtype=dtype)
    if include_initial:
        shape = list(_aval(out).shape)
        shape[axis % len(shape)] = 1
        out = jnp.concatenate([jnp.ones(shape, _aval(out).dtype), out], axis=axis)
    return out


# --- statistics --------------------------------------------------------------------------

def cov(m: ArrayLike, y: ArrayLike | None = None, rowvar: bool = True, bias: bool = False,
        ddof: int | None = None, fweights: ArrayLike | None = None,
        aweights: ArrayLike | None = None, dtype: DTypeLike | None = None) -> Array:
    """The covariance matrix of the variables (rows, or columns if not ``rowvar``),
    with numpy's weights and ``ddof``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.cov(np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    jnp = _np()
    x = _float(m)
    if _aval(x).ndim > 2:
        raise ValueError(f"cov: m must have at most 2 dimensions, got {_aval(x).str_short()}")
    x = jnp.atleast_2d(x)
    if not rowvar and _aval(x).shape[0] != 1:
        x = x.T
    if y is not None:
        yy = jnp.atleast_2d(_float(y))
        if not rowvar and _aval(yy).shape[0] != 1:
            yy = yy.T
        x = jnp.concatenate([x, yy], axis=0)
    if dtype is not None:
        x = x.astype(dtype)
    n = _aval(x).shape[1]
    w = None
    if fweights is not None:
        w = _float(fweights)
    if aweights is not None:
        aw = _float(aweights)
        w = aw if w is None else w * aw
    if ddof is None:
        ddof = 0 if bias else 1
    if w is None:
        avg = jnp.mean(x, axis=1)
        fact = n - ddof
        xc = x - avg[:, None]
        c = xc @ jnp.conj(xc).T
        c = c / fact
    else:
        w_sum = jnp.sum(w)
        avg = jnp.sum(x * w, axis=1) / w_sum
        if aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * jnp.sum(w * _float(aweights)) / w_sum
        xc = x - avg[:, None]
        c = (xc * w) @ jnp.conj(xc).T / fact
    return jnp.squeeze(c) if _aval(c).shape == (1, 1) else c


def corrcoef(x: ArrayLike, y: ArrayLike | None = None, rowvar: bool = True,
             dtype: DTypeLike | None = None) -> Array:
    """Pearson correlation coefficients (``cov`` normalized by the standard deviations).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.corrcoef(np.array([0.0, 1.0, 2.0]), np.array([2.0, 1.0, 0.0]))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    jnp = _np()
    c = cov(x, y, rowvar, dtype=dtype)
    if _aval(c).ndim == 0:
        return c / c
    d = jnp.sqrt(jnp.real(jnp.diagonal(c))) if hasattr(jnp, "real") else jnp.sqrt(
        jnp.diagonal(c))
    c = c / d[:, None] / d[None, :]
    return jnp.clip(c, -1, 1) if _aval(c).dtype.kind == "f" else c


def histogram_bin_edges(a: ArrayLike, bins: ArrayLike = 10,
                        range: Sequence[ArrayLike] | None = None,  # noqa: A002
                        weights: ArrayLike | None = None) -> Array:
    """The bin edges ``histogram`` uses: ``bins + 1`` equal steps over ``range``
    (default the data's min and max), or ``bins`` itself if it is an array.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.histogram_bin_edges(np.array([1.0, 3.0]), bins=2)
    array([1., 2., 3.])
    """
    jnp = _np()
    a = _float(a)
    if np.ndim(bins) == 1 or type(bins) is Tracer and get_aval(bins).ndim == 1:
        return _float(bins)
    if type(bins) is Tracer:
        bins = _concrete(bins, "histogram: the number of bins")
    nb = int(bins)
    if nb < 1:
        raise ValueError(f"histogram: bins must be a positive int, got {nb}")
    if range is None:
        lo, hi = jnp.min(a), jnp.max(a)
    else:
        lo, hi = _float(range[0]), _float(range[1])
    eq = lo == hi
    lo, hi = jnp.where(eq, lo - 0.5, lo), jnp.where(eq, hi + 0.5, hi)
    return jnp.linspace(lo, hi, nb + 1).astype(_aval(a).dtype)  # ends exactly at hi


def histogram(a: ArrayLike, bins: ArrayLike = 10, range: Sequence[ArrayLike] | None = None,  # noqa: A002
              weights: ArrayLike | None = None, density: bool | None = None
              ) -> tuple[Array, Array]:
    """``(counts, bin_edges)`` of ``ravel(a)``; the last bin includes its right
    edge, as numpy. Values outside the edges are not counted.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.histogram(np.array([1.0, 2.0, 2.0, 3.0]), bins=3)
    (array([1., 2., 1.]), array([1.        , 1.66666667, 2.33333333, 3.        ]))
    """
    jnp = _np()
    a = jnp.ravel(_float(a))
    edges = histogram_bin_edges(a, bins, range)
    nb = _aval(edges).shape[0] - 1
    idx = jnp.searchsorted(edges, a, side="right") - 1
    idx = jnp.where(a == edges[-1], nb - 1, idx)
    inside = jnp.logical_and(a >= edges[0], a <= edges[-1])
    w = jnp.ones_like(a) if weights is None else jnp.ravel(_float(weights))
    w = jnp.where(inside, w, 0)
    counts = _at(jnp.zeros(nb, _aval(w).dtype))[jnp.clip(idx, 0, nb - 1)].add(w)
    if density:
        counts = counts / jnp.diff(edges) / jnp.sum(counts)
    return counts, edges


def histogramdd(sample: ArrayLike, bins: ArrayLike | list = 10,
                range: Sequence | None = None, weights: ArrayLike | None = None,  # noqa: A002
                density: bool | None = None) -> tuple[Array, list[Array]]:
    """A D-dimensional histogram of the ``(N, D)`` sample: ``(counts, edges per axis)``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> h, e = jnp.histogramdd(np.array([[0.0, 0.0], [1.0, 1.0]]), bins=2)
    >>> h
    array([[1., 0.],
           [0., 1.]])
    """
    jnp = _np()
    s = _float(sample)
    if _aval(s).ndim == 1:
        s = s[:, None]
    n, d = _aval(s).shape
    bins_list = bins if isinstance(bins, (list, tuple)) else [bins] * d
    ranges = range if range is not None else [None] * d
    edges, flat, nbs = [], jnp.zeros(n, np.int64), []
    inside = jnp.ones(n, bool)
    for k in builtins.range(d):
        e = histogram_bin_edges(s[:, k], bins_list[k], ranges[k])
        nb = _aval(e).shape[0] - 1
        i = jnp.searchsorted(e, s[:, k], side="right") - 1
        i = jnp.where(s[:, k] == e[-1], nb - 1, i)
        inside = jnp.logical_and(inside, jnp.logical_and(s[:, k] >= e[0], s[:, k] <= e[-1]))
        flat = flat * nb + jnp.clip(i, 0, nb - 1)
        edges.append(e)
        nbs.append(nb)
    w = jnp.ones(n, _aval(s).dtype) if weights is None else _float(weights)
    w = jnp.where(inside, w, 0)
    total = int(np.prod(nbs))
    counts = jnp.reshape(_at(jnp.zeros(total, _aval(w).dtype))[flat].add(w), tuple(nbs))
    if density:
        counts = counts / jnp.sum(counts)
        for k, e in enumerate(edges):
            shape = [1] * d
            shape[k] = nbs[k]
            counts = counts / jnp.reshape(jnp.diff(e), shape)
    return counts, edges


def histogram2d(x: ArrayLike, y: ArrayLike, bins: ArrayLike | list = 10,
                range: Sequence | None = None, weights: ArrayLike | None = None,  # noqa: A002
                density: bool | None = None) -> tuple[Array, Array, Array]:
    """A 2-D histogram of the points ``(x, y)``: ``(counts, xedges, yedges)``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.histogram2d(np.array([0.0, 1.0]), np.array([0.0, 1.0]), bins=2)[0]
    array([[1., 0.],
           [0., 1.]])
    """
    jnp = _np()
    h, e = histogramdd(jnp.stack([_float(x), _float(y)], axis=1), bins, range, weights,
                       density)
    return h, e[0], e[1]


def bincount(x: ArrayLike, weights: ArrayLike | None = None, minlength: int = 0, *,
             length: int | None = None) -> Array:
    """Counts (or summed ``weights``) of each non-negative integer in ``x``;
    ``length=`` gives the static length needed under ``jit`` (values beyond are dropped).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.bincount(np.array([1, 1, 3]))
    array([0, 2, 0, 1])
    """
    jnp = _np()
    x = jnp.asarray(x)
    if _aval(x).dtype.kind not in "iub" or _aval(x).ndim != 1:
        raise TypeError(f"bincount: x must be a 1-D integer array, got {_aval(x).str_short()}")
    if length is None:
        v = _concrete(x, "bincount without length= (its output length depends on values)")
        length = builtins.max(int(v.max()) + 1 if v.size else 0, int(minlength))
    w = jnp.ones(_aval(x).shape, np.int64) if weights is None else jnp.asarray(weights)
    inside = jnp.logical_and(x >= 0, x < length)
    w = jnp.where(inside, w, 0)
    return _at(jnp.zeros(length, _aval(w).dtype))[jnp.clip(x, 0, builtins.max(length - 1, 0))
                                                ].add(w)


def digitize(x: ArrayLike, bins: ArrayLike, right: bool = False, *,
             method: str | None = None) -> Array:
    """The bin index of each value (``bins`` increasing or decreasing), as numpy.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.digitize(np.array([0.5, 1.5]), np.array([0.0, 1.0, 2.0]))
    array([1, 2])
    """
    jnp = _np()
    b = jnp.asarray(bins)
    if _aval(b).ndim != 1:
        raise ValueError(f"digitize: bins must be 1-D, got {_aval(b).str_short()}")
    side = "left" if right else "right"
    n = _aval(b).shape[0]
    if n == 0:
        return jnp.zeros(_aval(jnp.asarray(x)).shape, np.int64)
    decreasing = b[-1] < b[0]
    up = jnp.searchsorted(b, x, side=side)
    down = n - jnp.searchsorted(b[::-1], x, side=side)
    return jnp.where(decreasing, down, up)


# --- interpolation and calculus ---------------------------------------------------------

def interp(x: ArrayLike, xp: ArrayLike, fp: ArrayLike, left: ArrayLike | str | None = None,
           right: ArrayLike | str | None = None, period: ArrayLike | None = None) -> Array:
    """Piecewise-linear interpolation of ``(xp, fp)`` at ``x`` (``xp`` increasing);
    differentiable in ``x``, ``xp`` and ``fp``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.interp(np.array([0.5, 3.0]), np.array([0.0, 1.0, 2.0]), np.array([0.0, 10.0, 20.0]))
    array([ 5., 20.])
    """
    jnp = _np()
    x, xp, fp = _float(x), _float(xp), _float(fp)
    if _aval(xp).ndim != 1 or _aval(fp).shape != _aval(xp).shape:
        raise ValueError(f"interp: xp and fp must be 1-D of one length, got "
                         f"{_aval(xp).str_short()} and {_aval(fp).str_short()}")
    if period is not None:
        period = jnp.abs(_float(period))
        x = x % period
        xp = xp % period
        order = jnp.argsort(xp)
        xp, fp = xp[order], fp[order]
        xp = jnp.concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = jnp.concatenate([fp[-1:], fp, fp[:1]])
    n = _aval(xp).shape[0]
    i = jnp.clip(jnp.searchsorted(xp, x, side="right"), 1, n - 1)
    x0, x1, f0, f1 = xp[i - 1], xp[i], fp[i - 1], fp[i]
    dx = x1 - x0
    safe = jnp.where(dx == 0, 1.0, dx)
    t = (x - x0) / safe
    out = jnp.where(dx == 0, f1, f0 + t * (f1 - f0))
    if period is None:
        lv = fp[0] if left is None else _float(left)
        rv = fp[-1] if right is None else _float(right)
        out = jnp.where(x < xp[0], lv, jnp.where(x > xp[-1], rv, out))
    return out


def gradient(f: ArrayLike, *varargs: ArrayLike, axis: int | Sequence[int] | None = None,
             edge_order: int | None = None) -> Array | list[Array]:
    """Central differences inside, one-sided at the ends (``edge_order`` 1), with
    scalar or coordinate-array spacings, as ``numpy.gradient``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.gradient(np.array([1.0, 2.0, 4.0, 7.0]))
    array([1. , 1.5, 2.5, 3. ])
    """
    jnp = _np()
    if edge_order not in (None, 1):
        raise NotImplementedError("gradient: only edge_order=1 is supported (as JAX)")
    y = _float(f)
    nd = _aval(y).ndim
    axes = list(range(nd)) if axis is None else (
        [a % nd for a in axis] if isinstance(axis, (tuple, list)) else [axis % nd])
    if not varargs:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacing = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise TypeError(f"gradient: give one spacing or one per axis ({len(axes)}), "
                        f"got {len(varargs)}")
    out = []
    for ax, h in zip(axes, spacing):
        n = _aval(y).shape[ax]
        if n < 2:
            raise ValueError("gradient: each differentiated axis needs at least 2 points")
        yy = jnp.moveaxis(y, ax, 0)
        h = _float(h)
        if _aval(h).ndim == 0:
            inner = (yy[2:] - yy[:-2]) / (2 * h)
            first = (yy[1:2] - yy[:1]) / h
            last = (yy[-1:] - yy[-2:-1]) / h
        else:
            dx = jnp.diff(h)
            shape = (-1,) + (1,) * (_aval(yy).ndim - 1)
            dx1 = jnp.reshape(dx[:-1], shape)
            dx2 = jnp.reshape(dx[1:], shape)
            a = -dx2 / (dx1 * (dx1 + dx2))
            b = (dx2 - dx1) / (dx1 * dx2)
            c = dx1 / (dx2 * (dx1 + dx2))
            inner = a * yy[:-2] + b * yy[1:-1] + c * yy[2:]
            first = (yy[1:2] - yy[:1]) / dx[0]
            last = (yy[-1:] - yy[-2:-1]) / dx[-1]
        g = jnp.concatenate([first, inner, last]) if n > 2 else jnp.concatenate([first, last])
        out.append(jnp.moveaxis(g, 0, ax))
    return out[0] if len(out) == 1 else out


def trapezoid(y: ArrayLike, x: ArrayLike | None = None, dx: ArrayLike = 1.0,
              axis: int = -1) -> Array:
    """The integral of ``y`` by the trapezoidal rule along ``axis``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.trapezoid(np.array([1.0, 2.0, 3.0]))
    array(4.)
    """
    jnp = _np()
    y = jnp.moveaxis(_float(y), axis, -1)
    if x is None:
        d = _float(dx)
    else:
        x = _float(x)
        d = jnp.diff(x) if _aval(x).ndim == 1 else jnp.diff(jnp.moveaxis(x, axis, -1), axis=-1)
    return jnp.asarray(jnp.sum(d * (y[..., 1:] + y[..., :-1]), axis=-1) / 2)


def unwrap(p: ArrayLike, discont: ArrayLike | None = None, axis: int = -1,
           period: ArrayLike = 2 * np.pi) -> Array:
    """``p`` with jumps larger than ``discont`` (default ``period / 2``) removed by
    adding multiples of ``period``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> np.round(jnp.unwrap(np.array([0.0, 3.0, 6.5])), 4)
    array([0.    , 3.    , 0.2168])
    """
    jnp = _np()
    p = _float(p)
    period = _float(period)
    half = period / 2
    discont = half if discont is None else _float(discont)
    pm = jnp.moveaxis(p, axis, -1)
    dd = jnp.diff(pm, axis=-1)
    ddmod = (dd + half) % period - half
    ddmod = jnp.where(jnp.logical_and(ddmod == -half, dd > 0), half, ddmod)
    corr = jnp.where(jnp.abs(dd) < discont, 0, ddmod - dd)
    corr = jnp.cumsum(corr, axis=-1)
    out = jnp.concatenate([pm[..., :1], pm[..., 1:] + corr], axis=-1)
    return jnp.moveaxis(out, -1, axis)


def ediff1d(ary: ArrayLike, to_end: ArrayLike | None = None,
            to_begin: ArrayLike | None = None) -> Array:
    """Differences of consecutive elements of ``ravel(ary)``, with optional ends.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.ediff1d(np.array([1.0, 4.0, 9.0]), to_begin=np.array([0.0]))
    array([0., 3., 5.])
    """
    jnp = _np()
    a = jnp.ravel(jnp.asarray(ary))
    parts = [a[1:] - a[:-1]]
    if to_begin is not None:
        parts.insert(0, jnp.ravel(jnp.asarray(to_begin)).astype(_aval(a).dtype))
    if to_end is not None:
        parts.append(jnp.ravel(jnp.asarray(to_end)).astype(_aval(a).dtype))
    return jnp.concatenate(parts)


def vander(x: ArrayLike, N: int | None = None, increasing: bool = False) -> Array:
    """The Vandermonde matrix: columns ``x**(N-1), ..., x, 1`` (reversed if ``increasing``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.vander(np.array([2.0, 3.0]), 3)
    array([[4., 2., 1.],
           [9., 3., 1.]])
    """
    jnp = _np()
    x = jnp.asarray(x)
    if _aval(x).ndim != 1:
        raise ValueError(f"vander: x must be 1-D, got {_aval(x).str_short()}")
    n = _aval(x).shape[0] if N is None else int(N)
    cols = [jnp.ones_like(x)]
    for _ in range(1, n):
        cols.append(cols[-1] * x)
    cols = cols[:n]
    if not increasing:
        cols = cols[::-1]
    return jnp.stack(cols, axis=1) if cols else jnp.zeros((_aval(x).shape[0], 0),
                                                           _aval(x).dtype)


# --- polynomials (coefficients highest power first) -----------------------------------

def _poly1d(p, name):
    jnp = _np()
    p = jnp.asarray(p)
    if _aval(p).ndim != 1:
        raise ValueError(f"{name}: polynomial coefficients must be 1-D, got "
                         f"{_aval(p).str_short()}")
    return p


def polyadd(a1: ArrayLike, a2: ArrayLike) -> Array:
    """The sum of two polynomials.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.polyadd(np.array([1.0, 2.0]), np.array([1.0, 0.0, 1.0]))
    array([1., 1., 3.])
    """
    jnp = _np()
    a, b = _poly1d(a1, "polyadd"), _poly1d(a2, "polyadd")
    na, nb = _aval(a).shape[0], _aval(b).shape[0]
    dt = jnp.result_type(a, b)
    a = jnp.concatenate([jnp.zeros(builtins.max(nb - na, 0), dt), a.astype(dt)])
    b = jnp.concatenate([jnp.zeros(builtins.max(na - nb, 0), dt), b.astype(dt)])
    return a + b


def polysub(a1: ArrayLike, a2: ArrayLike) -> Array:
    """The difference of two polynomials.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.polysub(np.array([1.0, 2.0]), np.array([1.0, 0.0, 1.0]))
    array([-1.,  1.,  1.])
    """
    return polyadd(a1, -_np().asarray(a2))


def polymul(a1: ArrayLike, a2: ArrayLike, *, trim_leading_zeros: bool = False) -> Array:
    """The product of two polynomials (the full convolution of the coefficients).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.polymul(np.array([1.0, 1.0]), np.array([1.0, -1.0]))
    array([ 1.,  0., -1.])
    """
    jnp = _np()
    a, b = _poly1d(a1, "polymul"), _poly1d(a2, "polymul")
    if trim_leading_zeros:
        a, b = trim_zeros(a, "f"), trim_zeros(b, "f")
    na, nb = _aval(a).shape[0], _aval(b).shape[0]
    dt = jnp.result_type(a, b)
    if na == 0 or nb == 0:
        return jnp.zeros(0, dt)
    out = jnp.zeros(na + nb - 1, dt)
    for i in range(na):
        out = _at(out)[i:i + nb].add(a[i] * b)
    return out


def polydiv(u: ArrayLike, v: ArrayLike, *, trim_leading_zeros: bool = False
            ) -> tuple[Array, Array]:
    """``(quotient, remainder)`` of polynomial division (long division, static lengths).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.polydiv(np.array([1.0, -3.0, 2.0]), np.array([1.0, -1.0]))
    (array([ 1., -2.]), array([0., 0., 0.]))
    """
    jnp = _np()
    u, v = _float(_poly1d(u, "polydiv")), _float(_poly1d(v, "polydiv"))
    if trim_leading_zeros:
        u, v = trim_zeros(u, "f"), trim_zeros(v, "f")
    m, n = _aval(u).shape[0] - 1, _aval(v).shape[0] - 1
    dt = jnp.result_type(u, v)
    scale = 1.0 / v[0]
    q = jnp.zeros(builtins.max(m - n + 1, 1), dt)
    r = u.astype(dt)
    for k in range(0, m - n + 1):
        d = scale * r[k]
        q = _at(q)[k].set(d)
        r = _at(r)[k:k + n + 1].add(-d * v)
    return q, r  # numpy keeps the remainder at the length of u


def polyder(p: ArrayLike, m: int = 1) -> Array:
    """The ``m``-th derivative of a polynomial.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.polyder(np.array([1.0, 1.0, 1.0]))
    array([2., 1.])
    """
    jnp = _np()
    if m < 0:
        raise ValueError(f"polyder: the order m must be non-negative, got {m}")
    p = _poly1d(p, "polyder")
    for _ in range(m):
        n = _aval(p).shape[0]
        if n == 0:
            return p
        p = p[:-1] * jnp.arange(n - 1, 0, -1).astype(_aval(p).dtype)
    return p


def polyint(p: ArrayLike, m: int = 1, k: int | ArrayLike | None = None) -> Array:
    """The ``m``-th antiderivative, with integration constants ``k`` (default 0).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.polyint(np.array([3.0, 2.0, 1.0]))
    array([1., 1., 1., 0.])
    """
    jnp = _np()
    if m < 0:
        raise ValueError(f"polyint: the order m must be non-negative, got {m}")
    p = _float(_poly1d(p, "polyint"))
    ks = jnp.zeros(m, _aval(p).dtype) if k is None else jnp.ravel(_float(k))
    if _aval(ks).shape[0] == 1 and m > 1:
        ks = jnp.broadcast_to(ks, (m,))
    if _aval(ks).shape[0] != m:
        raise ValueError(f"polyint: k must have m={m} elements, got {_aval(ks).shape[0]}")
    for i in range(m):
        n = _aval(p).shape[0]
        p = jnp.concatenate([p / jnp.arange(n, 0, -1).astype(_aval(p).dtype),
                             ks[i:i + 1].astype(_aval(p).dtype)])
    return p


def polyfit(x: ArrayLike, y: ArrayLike, deg: int, rcond: float | None = None,
            full: bool = False, w: ArrayLike | None = None, cov: bool = False
            ) -> Array | tuple[Array, ...]:
    """The least-squares polynomial of degree ``deg`` through ``(x, y)``
    (``y`` may have columns), by ``lstsq`` on the scaled Vandermonde matrix.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> np.round(jnp.polyfit(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]), 1), 8)
    array([2., 1.])
    """
    jnp = _np()
    if full or cov:
        raise NotImplementedError("polyfit: full=True and cov=True are not supported")
    x, y = _float(x), _float(y)
    deg = int(deg)
    if deg < 0:
        raise ValueError(f"polyfit: deg must be non-negative, got {deg}")
    lhs = vander(x, deg + 1)
    rhs = y
    if w is not None:
        w = _float(w)
        lhs = lhs * w[:, None]
        rhs = rhs * (w if _aval(rhs).ndim == 1 else w[:, None])
    scale = jnp.sqrt(jnp.sum(lhs * lhs, axis=0))
    if rcond is None:
        rcond = _aval(x).shape[0] * np.finfo(_aval(x).dtype).eps
    c = jnp.linalg.lstsq(lhs / scale, rhs, rcond=rcond)[0]
    return (c.T / scale).T


def roots(p: ArrayLike, *, strip_zeros: bool = True) -> Array:
    """The roots of a polynomial: the eigenvalues of its companion matrix
    (complex). Leading zeros are stripped (concrete ``p``), trailing zeros
    give zero roots.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> np.sort(np.real(jnp.roots(np.array([1.0, -3.0, 2.0]))))
    array([1., 2.])
    """
    jnp = _np()
    p = _poly1d(p, "roots")
    n_trailing = 0
    if strip_zeros:
        v = _concrete(p, "roots with strip_zeros=True (the degree depends on values)")
        nz = np.nonzero(v)[0]
        if nz.size == 0:
            return jnp.zeros(0, np.complex128)
        p = p[nz[0]:nz[-1] + 1]
        n_trailing = len(v) - 1 - nz[-1]
    p = _float(p)
    n = _aval(p).shape[0] - 1
    if n < 1:
        r = jnp.zeros(0, np.complex128)
    else:
        comp = jnp.zeros((n, n), _aval(p).dtype)
        comp = _at(comp)[0, :].set(-p[1:] / p[0])
        if n > 1:
            comp = _at(comp)[jnp.arange(1, n), jnp.arange(n - 1)].set(1.0)
        r = jnp.linalg.eigvals(comp)
    if n_trailing:
        r = jnp.concatenate([r, jnp.zeros(n_trailing, _aval(r).dtype)])
    return r


def poly(seq_of_zeros: ArrayLike) -> Array:
    """The monic polynomial with the given roots (or the characteristic
    polynomial of a square matrix).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.poly(np.array([1.0, 2.0]))
    array([ 1., -3.,  2.])
    """
    jnp = _np()
    z = jnp.asarray(seq_of_zeros)
    sh = _aval(z).shape
    if len(sh) == 2 and sh[0] == sh[1] and sh[0] > 0:
        z = jnp.linalg.eigvals(z)
    elif len(sh) != 1:
        raise ValueError(f"poly: input must be 1-D or a square 2-D array, got "
                         f"{_aval(z).str_short()}")
    z = _float(z)
    a = jnp.ones(1, _aval(z).dtype)
    for i in range(_aval(z).shape[0]):
        a = polymul(a, jnp.stack([jnp.ones((), _aval(z).dtype), -z[i]]))
    if _aval(a).dtype.kind == "c":
        # conjugate pairs give real coefficients
        zc = _concrete(z, "poly") if type(z) is not Tracer or z.val is not None else None
        if zc is not None and np.allclose(np.sort_complex(zc), np.sort_complex(np.conj(zc))):
            a = jnp.real(a)
    return a


# --- sorting helpers -----------------------------------------------------------------------

def lexsort(keys: Sequence[ArrayLike] | ArrayLike, axis: int = -1) -> Array:
    """Indices sorting by the last key, then the one before, ... (stable), as numpy.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.lexsort((np.array([1, 0, 2]), np.array([1, 1, 0])))
    array([2, 1, 0])
    """
    jnp = _np()
    ks = [jnp.asarray(k) for k in (keys if isinstance(keys, (list, tuple)) else
                                   jnp.unstack(jnp.asarray(keys), axis=0))]
    if not ks:
        raise TypeError("lexsort: need at least one key")
    shape = _aval(ks[0]).shape
    if builtins.any(_aval(k).shape != shape for k in ks):
        raise ValueError(f"lexsort: all keys need one shape, got {[_aval(k).shape for k in ks]}")
    order = None
    for k in ks:  # the first key is the least significant
        kk = k if order is None else jnp.take_along_axis(k, order, axis=axis)
        o = jnp.argsort(kk, axis=axis, stable=True)
        order = o if order is None else jnp.take_along_axis(order, o, axis=axis)
    return order


def _partition_order(a, kth, axis, name):
    jnp = _np()
    a = jnp.asarray(a)
    nd = _aval(a).ndim
    if nd == 0:
        raise TypeError(f"{name}: the input must have at least one dimension")
    n = _aval(a).shape[axis]
    kth = int(kth)
    if not -n <= kth < n:
        raise ValueError(f"{name}: kth {kth} out of range for an axis of length {n}")
    kth %= n
    x = jnp.moveaxis(a, axis, -1)
    lo = jnp.argsort(x, axis=-1, stable=True)[..., :kth + 1]
    hi = jnp.argsort(x, axis=-1, stable=True, descending=True)[..., :n - kth - 1]
    return x, jnp.concatenate([lo, hi], axis=-1)


def argpartition(a: ArrayLike, kth: int, axis: int = -1) -> Array:
    """Indices that partition ``a`` around its ``kth`` smallest value: the
    first ``kth + 1`` in ascending order, then the rest largest first (JAX's order).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.argpartition(np.array([5.0, 1.0, 4.0, 2.0, 3.0]), 2)
    array([1, 3, 4, 0, 2])
    """
    jnp = _np()
    _, idx = _partition_order(a, kth, axis, "argpartition")
    return jnp.moveaxis(idx, -1, axis)


def partition(a: ArrayLike, kth: int, axis: int = -1) -> Array:
    """``a`` partitioned around its ``kth`` smallest value (see ``argpartition``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.partition(np.array([5.0, 1.0, 4.0, 2.0, 3.0]), 2)
    array([1., 2., 3., 5., 4.])
    """
    jnp = _np()
    x, idx = _partition_order(a, kth, axis, "partition")
    return jnp.moveaxis(jnp.take_along_axis(x, idx, axis=-1), -1, axis)


def sort_complex(a: ArrayLike) -> Array:
    """``a`` sorted (real part first, then imaginary), as a complex array.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.sort_complex(np.array([3.0, 1.0]))
    array([1.+0.j, 3.+0.j])
    """
    jnp = _np()
    a = jnp.sort(jnp.asarray(a), axis=-1)
    dt = _aval(a).dtype
    return a.astype(np.complex64 if dt in (np.float32, np.float16) or dt == np.complex64
                    else np.complex128)


# --- editing arrays -----------------------------------------------------------------------

def _static_indices(obj, n, name):
    if isinstance(obj, slice):
        return np.arange(n)[obj]
    v = _concrete(obj, f"{name}: the index argument obj")
    return v.astype(np.int64)


def delete(arr: ArrayLike, obj: ArrayLike | slice, axis: int | None = None, *,
           assume_unique_indices: bool = False) -> Array:
    """``arr`` without the entries ``obj`` (static indices or a slice) along ``axis``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.delete(np.arange(5.0), np.array([1, 3]))
    array([0., 2., 4.])
    """
    jnp = _np()
    a = jnp.asarray(arr)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis %= builtins.max(_aval(a).ndim, 1)
    n = _aval(a).shape[axis]
    idx = _static_indices(obj, n, "delete")
    if idx.dtype == np.bool_:
        keep = ~idx
    else:
        if np.any((idx < -n) | (idx >= n)):
            raise IndexError(f"delete: index out of range for an axis of length {n}")
        keep = np.ones(n, bool)
        keep[idx % n] = False
    return jnp.take(a, jnp.asarray(np.nonzero(keep)[0]), axis=axis)


def insert(arr: ArrayLike, obj: ArrayLike | slice, values: ArrayLike,
           axis: int | None = None) -> Array:
    """``arr`` with ``values`` inserted before the static indices ``obj`` along ``axis``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.insert(np.arange(4.0), 2, np.array([9.0, 9.0]))
    array([0., 1., 9., 9., 2., 3.])
    """
    jnp = _np()
    a = jnp.asarray(arr)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    nd = _aval(a).ndim
    axis %= nd
    n = _aval(a).shape[axis]
    scalar_obj = not isinstance(obj, slice) and np.ndim(_concrete(obj, "insert: obj")) == 0
    idx = _static_indices(obj, n + 1, "insert")
    idx = np.where(idx < 0, idx + n, idx).reshape(-1)
    if np.any((idx < 0) | (idx > n)):
        raise IndexError(f"insert: index out of range for an axis of length {n}")
    v = jnp.asarray(values).astype(_aval(a).dtype)
    v = jnp.reshape(v, (1,) * builtins.max(nd - _aval(v).ndim, 0) + _aval(v).shape)
    am = jnp.moveaxis(a, axis, 0)
    if scalar_obj:  # numpy: the values' first axis becomes the inserted axis
        v = jnp.moveaxis(v, 0, axis)
        k = _aval(v).shape[axis]
        new_pos = np.full(k, idx[0])
    else:
        k = len(idx)
        new_pos = idx
    target = tuple(k if d == axis else n_ for d, n_ in enumerate(_aval(a).shape))
    vv = jnp.moveaxis(jnp.broadcast_to(v, target), axis, 0)
    # the order of old and new rows: stable by target position, new ones first
    order = np.argsort(np.concatenate([np.arange(n), new_pos]) * 2
                       + np.concatenate([np.ones(n), np.zeros(k)]), kind="stable")
    both = jnp.concatenate([am, vv], axis=0)
    return jnp.moveaxis(both[jnp.asarray(order)], 0, axis)


def place(arr: ArrayLike, mask: ArrayLike, vals: ArrayLike, *, inplace: bool = False) -> Array:
    """A copy of ``arr`` with the entries where ``mask`` is true set to ``vals``
    (repeated as needed); JAX arrays are immutable, so ``inplace`` must be False.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.place(np.zeros(4), np.array([1, 0, 1, 1]), np.array([7.0, 8.0]))
    array([7., 0., 8., 7.])
    """
    jnp = _np()
    if inplace:
        raise ValueError("place: inplace=True is not possible on immutable arrays; pass "
                         "inplace=False and use the returned array")
    a = jnp.asarray(arr)
    m = jnp.ravel(jnp.asarray(mask)).astype(bool)
    v = jnp.ravel(jnp.asarray(vals)).astype(_aval(a).dtype)
    nv = _aval(v).shape[0]
    flat = jnp.ravel(a)
    if nv == 0:
        return a
    rank = (jnp.cumsum(m) - 1) % nv
    return jnp.reshape(jnp.where(m, v[rank], flat), _aval(a).shape)


def put_along_axis(arr: ArrayLike, indices: ArrayLike, values: ArrayLike, axis: int | None,
                   inplace: bool = False, *, mode: str | None = None) -> Array:
    """A copy of ``arr`` with ``values`` written at ``indices`` along ``axis``
    (the scatter twin of ``take_along_axis``); ``inplace`` must be False.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.put_along_axis(np.zeros((2, 2)), np.array([[1], [0]]), 5.0, axis=1)
    array([[0., 5.],
           [5., 0.]])
    """
    jnp = _np()
    if inplace:
        raise ValueError("put_along_axis: inplace=True is not possible on immutable "
                         "arrays; pass inplace=False")
    a = jnp.asarray(arr)
    idx = jnp.asarray(indices)
    if axis is None:
        flat = jnp.ravel(a)
        return jnp.reshape(_at(flat)[jnp.ravel(idx)].set(
            jnp.ravel(jnp.broadcast_to(jnp.asarray(values), _aval(idx).shape))), _aval(a).shape)
    nd = _aval(a).ndim
    axis %= nd
    if _aval(idx).ndim != nd:
        raise ValueError(f"put_along_axis: indices must have the rank of arr ({nd}), got "
                         f"{_aval(idx).str_short()}")
    shape = np.broadcast_shapes(_aval(idx).shape, tuple(
        1 if d == axis else s for d, s in enumerate(_aval(a).shape)))
    idx = jnp.broadcast_to(idx, shape)
    grids = list(np.indices(shape, sparse=True))
    grids[axis] = idx
    v = jnp.broadcast_to(jnp.asarray(values).astype(_aval(a).dtype), shape)
    return _at(a)[tuple(grids)].set(v)


def fill_diagonal(a: ArrayLike, val: ArrayLike, wrap: bool = False, *,
                  inplace: bool = False) -> Array:
    """A copy of ``a`` with its main diagonal set to ``val`` (repeated as needed);
    ``inplace`` must be False.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.fill_diagonal(np.zeros((2, 2)), 3.0)
    array([[3., 0.],
           [0., 3.]])
    """
    jnp = _np()
    if inplace:
        raise ValueError("fill_diagonal: inplace=True is not possible on immutable arrays; "
                         "pass inplace=False")
    a = jnp.asarray(a)
    sh = _aval(a).shape
    if len(sh) < 2:
        raise ValueError("fill_diagonal: the array must be at least 2-D")
    if len(sh) > 2 and len(set(sh)) != 1:
        raise ValueError("fill_diagonal: all dimensions of an array of more than 2 must "
                         "be equal")
    if len(sh) == 2:
        n, m = sh
        step = m + 1
        end = n * m if wrap else builtins.min(n, m) * m
        flat_idx = np.arange(0, end, step)
    else:
        flat_idx = np.arange(sh[0]) * builtins.sum(sh[0] ** k for k in range(len(sh)))
    v = jnp.ravel(jnp.asarray(val)).astype(_aval(a).dtype)
    nv = _aval(v).shape[0]
    vv = v[jnp.asarray(np.arange(len(flat_idx)) % builtins.max(nv, 1))] if nv else v
    return jnp.reshape(_at(jnp.ravel(a))[jnp.asarray(flat_idx)].set(vv), sh)


def resize(a: ArrayLike, new_shape: Shape) -> Array:
    """``a`` repeated (in C order) to fill ``new_shape``, as ``numpy.resize``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.resize(np.array([1.0, 2.0, 3.0]), (2, 2))
    array([[1., 2.],
           [3., 1.]])
    """
    jnp = _np()
    shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    if builtins.any(s < 0 for s in shape):
        raise ValueError("resize: all elements of new_shape must be non-negative")
    flat = jnp.ravel(jnp.asarray(a))
    n = _aval(flat).shape[0]
    total = int(np.prod(shape, dtype=np.int64))
    if n == 0:
        return jnp.zeros(shape, _aval(flat).dtype)
    reps = -(-total // n)
    return jnp.reshape(jnp.tile(flat, reps)[:total], shape)


def block(arrays: list | ArrayLike) -> Array:
    """An array assembled from nested lists of blocks (the innermost lists join
    along the last axis), as ``numpy.block``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.block([[np.eye(2), np.zeros((2, 1))], [np.ones((1, 2)), np.ones((1, 1))]]).shape
    (3, 3)
    """
    jnp = _np()

    def depth(x):
        if isinstance(x, list):
            if not x:
                raise ValueError("block: lists cannot be empty")
            ds = {depth(e) for e in x}
            if len(ds) != 1:
                raise ValueError("block: list depths are mismatched")
            return ds.pop() + 1
        if isinstance(x, tuple):
            raise TypeError("block: tuples are not allowed, use lists")
        return 0

    d = depth(arrays)

    def max_ndim(x):
        return builtins.max(max_ndim(e) for e in x) if isinstance(x, list) else \
            _aval(jnp.asarray(x)).ndim

    nd = builtins.max(max_ndim(arrays), d)

    def build(x, level):
        if not isinstance(x, list):
            x = jnp.asarray(x)
            return jnp.reshape(x, (1,) * (nd - _aval(x).ndim) + _aval(x).shape)
        parts = [build(e, level + 1) for e in x]
        return jnp.concatenate(parts, axis=-(d - level))

    return build(arrays, 0)


def choose(a: ArrayLike, choices: Sequence[ArrayLike], out: None = None,
           mode: str = "raise") -> Array:
    """``choices[a[i]][i]``, elementwise, with ``mode`` 'clip' or 'wrap' for
    out-of-range indices ('raise' checks concrete indices).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.choose(np.array([0, 1, 0]), [np.array([1, 2, 3]), np.array([10, 20, 30])])
    array([ 1, 20,  3])
    """
    jnp = _np()
    idx = jnp.asarray(a)
    cs = jnp.asarray(choices) if not isinstance(choices, (list, tuple)) else \
        jnp.stack(jnp.broadcast_arrays(*[jnp.asarray(c) for c in choices]))
    n = _aval(cs).shape[0]
    if mode == "raise":
        if type(idx) is not Tracer or idx.val is not None:
            v = _concrete(idx, "choose")
            if v.size and (v.min() < 0 or v.max() >= n):
                raise ValueError(f"choose: an index is out of range [0, {n}); use mode='clip' "
                                 "or 'wrap'")
        idx = jnp.clip(idx, 0, n - 1)
    elif mode == "clip":
        idx = jnp.clip(idx, 0, n - 1)
    elif mode == "wrap":
        idx = idx % n
    else:
        raise ValueError(f"choose: mode must be 'raise', 'clip' or 'wrap', got {mode!r}")
    shape = np.broadcast_shapes(_aval(idx).shape, _aval(cs).shape[1:])
    cs = jnp.broadcast_to(cs, (n,) + tuple(shape))
    idx = jnp.broadcast_to(idx, shape)
    return jnp.take_along_axis(cs, idx[None], axis=0)[0]


def piecewise(x: ArrayLike, condlist: Any, funclist: list, *args: Any, **kw: Any) -> Array:
    """``funclist[i](x)`` where ``condlist[i]`` holds (an extra function gives the
    default); every function is evaluated on all of ``x`` and selected.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.piecewise(np.array([-1.0, 2.0]), [np.array([True, False])], [lambda x: -x, lambda x: x * 10])
    array([ 1., 20.])
    """
    jnp = _np()
    x = jnp.asarray(x)
    if isinstance(condlist, (list, tuple)):
        conds = [jnp.asarray(c).astype(bool) for c in condlist]
    else:
        c = jnp.asarray(condlist).astype(bool)
        conds = [c] if _aval(c).ndim == _aval(x).ndim else list(jnp.unstack(c))
    n = len(conds)
    if len(funclist) == n + 1:
        default = funclist[-1]
        funclist = funclist[:-1]
    elif len(funclist) == n:
        default = 0
    else:
        raise ValueError(f"piecewise: with {n} condition(s) give {n} or {n + 1} functions, "
                         f"got {len(funclist)}")

    def value(f):
        return jnp.broadcast_to(jnp.asarray(f(x, *args, **kw) if callable(f) else f
                                            ).astype(_aval(x).dtype), _aval(x).shape)

    out = value(default)
    for c, f in zip(conds, funclist):
        out = jnp.where(c, value(f), out)
    return out


def apply_along_axis(func1d: Callable, axis: int, arr: ArrayLike, *args: Any,
                     **kwargs: Any) -> Array:
    """``func1d`` applied to every 1-D slice along ``axis`` (by ``vmap``); the
    slice's axis is replaced by the result's axes.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.apply_along_axis(jnp.sum, 1, np.ones((2, 3)))
    array([3., 3.])
    """
    from ftrans.batching import vmap
    jnp = _np()
    a = jnp.asarray(arr)
    nd = _aval(a).ndim
    axis %= nd
    f = lambda x: func1d(x, *args, **kwargs)  # noqa: E731
    for _ in range(axis):
        f = vmap(f, in_axes=0, out_axes=0)
    for _ in range(nd - axis - 1):
        f = vmap(f, in_axes=-1, out_axes=-1)
    return f(a)


def apply_over_axes(func: Callable, a: ArrayLike, axes: Sequence[int]) -> Array:
    """``func(a, axis)`` applied for each axis in turn, keeping the rank.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.apply_over_axes(jnp.sum, np.ones((2, 3)), [0, 1])
    array([[6.]])
    """
    jnp = _np()
    a = jnp.asarray(a)
    for ax in (axes if isinstance(axes, (list, tuple)) else [axes]):
        b = func(a, ax)
        if _aval(b).ndim == _aval(a).ndim - 1:
            b = jnp.expand_dims(b, ax)
        elif _aval(b).ndim != _aval(a).ndim:
            raise ValueError("apply_over_axes: func must keep the rank or reduce one axis")
        a = b
    return a


def rollaxis(a: ArrayLike, axis: int, start: int = 0) -> Array:
    """``a`` with ``axis`` moved before position ``start`` (prefer ``moveaxis``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.rollaxis(np.ones((2, 3, 4)), 2).shape
    (4, 2, 3)
    """
    jnp = _np()
    a = jnp.asarray(a)
    n = _aval(a).ndim
    axis %= n
    if not -n <= start <= n:
        raise np.exceptions.AxisError(f"rollaxis: start {start} out of range")
    start = start % (n + 1) if start < 0 else start
    if axis < start:
        start -= 1
    return jnp.moveaxis(a, axis, start)


def trim_zeros(filt: ArrayLike, trim: str = "fb", axis: Any = None) -> Array:
    """``filt`` without its leading ('f') and/or trailing ('b') zeros (concrete input).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.trim_zeros(np.array([0.0, 1.0, 2.0, 0.0]))
    array([1., 2.])
    """
    jnp = _np()
    f = jnp.asarray(filt)
    v = _concrete(f, "trim_zeros (its output length depends on values)")
    if v.ndim != 1:
        raise ValueError("trim_zeros: filt must be 1-D")
    nz = np.nonzero(v)[0]
    if nz.size == 0:
        return f[:0]
    lo = nz[0] if "f" in trim.lower() else 0
    hi = nz[-1] + 1 if "b" in trim.lower() else len(v)
    return f[lo:hi]


def array_equiv(a1: ArrayLike, a2: ArrayLike) -> Array:
    """Whether the arrays are equal after broadcasting (False if they cannot broadcast).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> bool(jnp.array_equiv(np.array([1, 2]), np.array([[1, 2], [1, 2]])))
    True
    """
    jnp = _np()
    a, b = jnp.asarray(a1), jnp.asarray(a2)
    try:
        np.broadcast_shapes(_aval(a).shape, _aval(b).shape)
    except ValueError:
        return jnp.asarray(False)
    return jnp.all(a == b)


def matvec(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Batched matrix-vector products ``x1[..., i, j] x2[..., j]``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.matvec(np.eye(2), np.array([1.0, 2.0]))
    array([1., 2.])
    """
    jnp = _np()
    return jnp.matmul(x1, jnp.asarray(x2)[..., None])[..., 0]


def vecmat(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Batched vector-matrix products ``conj(x1[..., i]) x2[..., i, j]``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.vecmat(np.array([1.0, 2.0]), np.eye(2))
    array([1., 2.])
    """
    jnp = _np()
    v = jnp.asarray(x1)
    if _aval(v).dtype.kind == "c":
        v = jnp.conj(v)
    return jnp.matmul(v[..., None, :], x2)[..., 0, :]


def diag_indices_from(arr: ArrayLike) -> tuple[Array, ...]:
    """The indices of the main diagonal of the square array ``arr``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.diag_indices_from(np.ones((2, 2)))
    (array([0, 1]), array([0, 1]))
    """
    sh = np.shape(arr) if type(arr) is not Tracer else _aval(arr).shape
    if len(sh) < 2 or len(set(sh)) != 1:
        raise ValueError(f"diag_indices_from: the array must be square and at least 2-D, "
                         f"got shape {sh}")
    return _np().diag_indices(sh[0], len(sh))


def tril_indices_from(arr: ArrayLike, k: int = 0) -> tuple[Array, Array]:
    """The indices of the lower triangle of the 2-D ``arr``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.tril_indices_from(np.ones((2, 2)))
    (array([0, 1, 1]), array([0, 0, 1]))
    """
    sh = np.shape(arr) if type(arr) is not Tracer else _aval(arr).shape
    if len(sh) != 2:
        raise ValueError(f"tril_indices_from: the array must be 2-D, got shape {sh}")
    return _np().tril_indices(sh[0], k, sh[1])


def triu_indices_from(arr: ArrayLike, k: int = 0) -> tuple[Array, Array]:
    """The indices of the upper triangle of the 2-D ``arr``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.triu_indices_from(np.ones((2, 2)))
    (array([0, 0, 1]), array([0, 1, 1]))
    """
    sh = np.shape(arr) if type(arr) is not Tracer else _aval(arr).shape
    if len(sh) != 2:
        raise ValueError(f"triu_indices_from: the array must be 2-D, got shape {sh}")
    return _np().triu_indices(sh[0], k, sh[1])


def mask_indices(n: int, mask_func: Callable, k: int = 0, *, size: int | None = None
                 ) -> tuple[Array, Array]:
    """The indices where ``mask_func(ones((n, n)), k)`` is nonzero (e.g. ``triu``).

    >>> import ftrans.numpy as jnp
    >>> jnp.mask_indices(2, jnp.triu)
    (array([0, 0, 1]), array([0, 1, 1]))
    """
    jnp = _np()
    m = _concrete(mask_func(jnp.ones((n, n), np.int64), k), "mask_indices")
    r, c = np.nonzero(m)
    if size is not None:
        r, c = np.resize(r, size) if len(r) else np.zeros(size, np.int64), \
            np.resize(c, size) if len(c) else np.zeros(size, np.int64)
        r[len(np.nonzero(m)[0]):], c[len(np.nonzero(m)[0]):] = 0, 0
    return jnp.asarray(r), jnp.asarray(c)


def fromfunction(function: Callable, shape: Shape, *, dtype: DTypeLike = float,
                 **kwargs: Any) -> Array:
    """``function(*indices)`` called once with index grids of ``shape`` (as ``numpy``).

    >>> import ftrans.numpy as jnp
    >>> jnp.fromfunction(lambda i, j: i + j, (2, 2))
    array([[0., 1.],
           [1., 2.]])
    """
    jnp = _np()
    grids = [jnp.asarray(g.astype(dtype)) for g in np.indices(tuple(shape))]
    return function(*grids, **kwargs)
