"""``ftrans.random``: JAX's functional, splittable pseudo-random numbers.

There is no hidden generator state. A *key* is an ordinary uint32 array of
shape ``(2,)`` (JAX's legacy raw key: ``key`` and ``PRNGKey`` both return
one), and every sampler is a pure function of its key: the same key always
gives the same numbers, eagerly, under ``jit``, in a ``scan`` body or with a
batch of keys under ``vmap``. New keys come from old ones with ``split`` and
``fold_in``; never reuse a key for two draws that should be independent.

Everything is built on one primitive, the Threefry-2x32 block cipher
(``ftrans.prims.random.threefry2x32``), applied to counters exactly as JAX
does with ``jax_threefry_partitionable`` (its default): ``split``,
``fold_in``, ``bits``, ``uniform`` and the samplers built on them give JAX's
bits. The samplers are compositions of ``ftrans.numpy``, so they are
differentiable in their float parameters (``normal(key) * s + m`` w.r.t.
``s`` and ``m``; ``truncated_normal`` w.r.t. its bounds through the inverse
CDF; ``gamma`` and what is built on it w.r.t. the shape through implicit
reparameterization), never through the key (its derivative is zero).

>>> import ftrans
>>> from ftrans import random
>>> key = random.key(0)
>>> k1, k2 = random.split(key)
>>> random.uniform(k1, (3,)).shape
(3,)
"""

from __future__ import annotations

import math
import operator
from typing import Sequence

import numpy as np

import ftrans.numpy as jnp
from ftrans import lax, nn
from ftrans.core import ShapedArray, get_aval
from ftrans.custom_derivatives import custom_jvp
from ftrans.prims.random import threefry2x32
from ftrans.prims.special_functions import erf_inv, igamma_grad_a, lgamma
from ftrans.prims.special import stop_gradient
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike, DTypeLike

__all__ = ["key", "PRNGKey", "split", "fold_in", "key_data", "bits", "uniform",
           "normal", "bernoulli", "categorical", "choice", "permutation", "randint",
           "truncated_normal", "multivariate_normal", "gamma", "beta", "dirichlet",
           "loggamma", "exponential", "laplace", "logistic", "gumbel", "poisson", "t",
           "cauchy",
           "ball", "orthogonal", "rademacher", "generalized_normal"]

_U32 = np.dtype(np.uint32)
_UINT = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16), 32: _U32,
         64: np.dtype(np.uint64)}
KeyArray = Array  # a uint32 array of shape (2,)


# --- argument checks ------------------------------------------------------------------

def _aval(x) -> ShapedArray:
    return get_aval(x) if isinstance(x, (Tracer, np.ndarray, np.generic)) else \
        get_aval(np.asarray(x))


def _check_key(name: str, key) -> Array:
    """``key`` as an array, after checking it is one raw key: uint32 of shape (2,)."""
    if not isinstance(key, Tracer):
        key = np.asarray(key)
    aval = _aval(key)
    if aval.dtype != _U32 or aval.shape != (2,):
        what = ("a batch of keys: map over it with ftrans.vmap"
                if aval.dtype == _U32 and aval.shape[-1:] == (2,) else
                "make one with ftrans.random.key(seed) or split an existing key")
        raise TypeError(f"{name}: argument key must be a PRNG key, a uint32 array of "
                        f"shape (2,), got {aval.str_short()}; {what}")
    return key


def _check_shape(name: str, shape, *param_shapes, arg: str = "shape") -> tuple:
    """``shape`` as a tuple of ints; with ``param_shapes``, they must broadcast
    to it, and ``shape=None`` means their broadcast shape."""
    if shape is None and param_shapes:
        return np.broadcast_shapes(*param_shapes)
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    try:
        shape = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"{name}: argument {arg} must be a tuple of integers, got "
                        f"{shape!r}") from None
    if any(d < 0 for d in shape):
        raise ValueError(f"{name}: argument {arg} must have non-negative sizes, got {shape}")
    if param_shapes:
        try:
            ok = np.broadcast_shapes(shape, *param_shapes) == shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{name}: argument {arg}={shape} must be broadcast-compatible "
                             f"with the parameters' shapes {', '.join(map(str, param_shapes))}"
                             " (and at least as large)")
    return shape


def _float_dtype(name: str, dtype) -> np.dtype:
    dtype = np.dtype(float if dtype is None else dtype)
    if dtype.kind != "f" or dtype.itemsize not in (2, 4, 8):
        raise ValueError(f"{name}: argument dtype must be a float dtype (float16, float32 "
                         f"or float64), got {dtype}")
    return dtype


def _int_dtype(name: str, dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"{name}: argument dtype must be an integer dtype, got {dtype}")
    return dtype


def _words(key) -> tuple[Array, Array]:
    """The two uint32 words of a key, each rank 0."""
    return (lax.reshape(lax.slice(key, (0,), (1,)), ()),
            lax.reshape(lax.slice(key, (1,), (2,)), ()))


def _xor(a, b):
    return lax.sub(lax.bitwise_or(a, b), lax.bitwise_and(a, b))


def _iota_2x32(shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """``arange(prod(shape)).reshape(shape)`` as (high, low) uint32 words."""
    idx = np.arange(math.prod(shape), dtype=np.uint64).reshape(shape)
    return (idx >> np.uint64(32)).astype(np.uint32), idx.astype(np.uint32)


def _raw_bits(key, shape: tuple) -> tuple[Array, Array]:
    """Threefry of the counters ``0 .. n-1`` of ``shape``: two uint32 arrays."""
    k0, k1 = _words(key)
    hi, lo = _iota_2x32(shape)
    return threefry2x32(k0, k1, hi, lo)


def _bits(key, bit_width: int, shape: tuple) -> Array:
    b1, b2 = _raw_bits(key, shape)
    dtype = _UINT[bit_width]
    if bit_width == 64:  # (b1 << 32) | b2
        return lax.add(lax.mul(lax.convert_element_type(b1, dtype), np.uint64(2 ** 32)),
                       lax.convert_element_type(b2, dtype))
    out = _xor(b1, b2)
    return out if bit_width == 32 else lax.convert_element_type(out, dtype)


# --- keys ------------------------------------------------------------------------------

def PRNGKey(seed: int | ArrayLike) -> KeyArray:
    """A raw PRNG key (uint32 of shape (2,)) from an integer seed: the seed's
    64 bits as (high word, low word), as ``jax.random.PRNGKey``.

    >>> PRNGKey(0), PRNGKey(2 ** 32 + 5)
    (array([0, 0], dtype=uint32), array([1, 5], dtype=uint32))
    """
    if isinstance(seed, Tracer):
        aval = seed.aval
        if aval.shape != () or aval.dtype.kind not in "iu":
            raise TypeError(f"PRNGKey: argument seed must be an integer scalar, got "
                            f"{aval.str_short()}")
        s = lax.convert_element_type(lax.convert_element_type(seed, np.int64), np.uint64)
        hi = lax.convert_element_type(lax.div(s, np.uint64(2 ** 32)), _U32)
        lo = lax.convert_element_type(s, _U32)
        return jnp.stack([hi, lo])
    arr = np.asarray(seed)
    if arr.shape != () or arr.dtype.kind not in "iu":
        raise TypeError(f"PRNGKey: argument seed must be an integer scalar, got "
                        f"{_aval(arr).str_short()}")
    s = int(arr)
    if not -2 ** 63 <= s < 2 ** 64:
        raise OverflowError(f"PRNGKey: seed {s} does not fit in 64 bits")
    return np.array([(s >> 32) & 0xFFFFFFFF, s & 0xFFFFFFFF], dtype=_U32)


def key(seed: int | ArrayLike, *, impl: str | None = None) -> KeyArray:
    """A PRNG key from an integer seed. ``jax.random.key`` returns a typed key;
    here keys are always raw uint32 arrays of shape (2,), so this is
    ``PRNGKey`` (the only ``impl`` is ``"threefry2x32"``).

    >>> key(42)
    array([ 0, 42], dtype=uint32)
    """
    if impl not in (None, "threefry2x32", "threefry"):
        raise ValueError(f"key: the only PRNG implementation is 'threefry2x32', got {impl!r}")
    return PRNGKey(seed)


def key_data(keys: ArrayLike) -> Array:
    """The uint32 words of a key: the key itself (keys are raw arrays).

    >>> key_data(key(7))
    array([0, 7], dtype=uint32)
    """
    return _check_key("key_data", keys)


def split(key: KeyArray, num: int | tuple[int, ...] = 2) -> Array:
    """``num`` new keys from ``key`` (an array of shape ``(num, 2)``, or
    ``(*num, 2)`` for a tuple), as ``jax.random.split``.

    >>> k1, k2 = split(key(0))
    >>> k1
    array([1797259609, 2579123966], dtype=uint32)
    """
    key = _check_key("split", key)
    shape = _check_shape("split", num, arg="num")
    b1, b2 = _raw_bits(key, shape)
    return jnp.stack([b1, b2], axis=len(shape))


def fold_in(key: KeyArray, data: int | ArrayLike) -> KeyArray:
    """A new key from ``key`` and an integer ``data`` (taken modulo 2**32): the
    keys ``fold_in(key, i)`` for different ``i`` are independent.

    >>> fold_in(key(0), 3)
    array([2467461003, 3840466878], dtype=uint32)
    """
    key = _check_key("fold_in", key)
    aval = _aval(data)
    if aval.shape != () or aval.dtype.kind not in "iub":
        raise TypeError(f"fold_in: argument data must be an integer scalar, got "
                        f"{aval.str_short()}")
    if isinstance(data, Tracer):
        d = lax.convert_element_type(data, _U32)
    else:
        d = np.asarray(int(data) % 2 ** 32, _U32)
    k0, k1 = _words(key)
    y0, y1 = threefry2x32(k0, k1, np.uint32(0), d)
    return jnp.stack([y0, y1])


def bits(key: KeyArray, shape: Sequence[int] = (), dtype: DTypeLike | None = None) -> Array:
    """Uniform random bits as unsigned integers (default uint64, as JAX with x64).

    >>> bits(key(0), (2,), np.uint32)
    array([4070199207, 4202968722], dtype=uint32)
    """
    key = _check_key("bits", key)
    dtype = np.dtype(np.uint64 if dtype is None else dtype)
    if dtype.kind != "u":
        raise ValueError(f"bits: argument dtype must be an unsigned integer dtype, got {dtype}")
    return _bits(key, dtype.itemsize * 8, _check_shape("bits", shape))


# --- continuous samplers -----------------------------------------------------------

def _uniform01(key, shape: tuple, dtype: np.dtype) -> Array:
    """Floats in [0, 1) on the grid of ``dtype``'s mantissa: JAX's bits, with the
    bit shifts written as exact integer divisions and power-of-two scalings."""
    b1, b2 = _raw_bits(key, shape)
    if dtype.itemsize == 8:  # the top 52 of the 64 bits (b1 << 32 | b2)
        hi = lax.convert_element_type(b1, dtype)
        lo = lax.convert_element_type(lax.div(b2, np.uint32(2 ** 12)), dtype)
        return lax.mul(lax.add(lax.mul(hi, dtype.type(2.0 ** 20)), lo), dtype.type(2.0 ** -52))
    bits32 = _xor(b1, b2)
    if dtype.itemsize == 4:  # the top 23 of 32 bits
        m = lax.div(bits32, np.uint32(2 ** 9))
        return lax.mul(lax.convert_element_type(m, dtype), dtype.type(2.0 ** -23))
    # float16: the top 10 of the low 16 bits
    m = lax.div(lax.rem(bits32, np.uint32(2 ** 16)), np.uint32(2 ** 6))
    return lax.mul(lax.convert_element_type(m, dtype), dtype.type(2.0 ** -10))


def _as(x, dtype):
    return jnp.asarray(x).astype(dtype)


def uniform(key: KeyArray, shape: Sequence[int] = (), dtype: DTypeLike | None = None,
            minval: ArrayLike = 0.0, maxval: ArrayLike = 1.0) -> Array:
    """Uniform samples in ``[minval, maxval)``; differentiable in ``minval`` and
    ``maxval``.

    >>> uniform(key(0), (3,))
    array([0.41845711, 0.21629545, 0.96532146])
    """
    key = _check_key("uniform", key)
    dtype = _float_dtype("uniform", dtype)
    shape = _check_shape("uniform", shape)
    minval, maxval = _as(minval, dtype), _as(maxval, dtype)
    u = _uniform01(key, shape, dtype)
    return jnp.broadcast_to(jnp.maximum(minval, u * (maxval - minval) + minval), shape)


def normal(key: KeyArray, shape: Sequence[int] = (), dtype: DTypeLike | None = None) -> Array:
    """Standard normal samples (``sqrt(2) erfinv(u)`` of a uniform ``u`` in (-1, 1)).

    >>> normal(key(0), (3,)).round(6)
    array([-0.205842, -0.784766,  1.816087])
    """
    key = _check_key("normal", key)
    dtype = np.dtype(float if dtype is None else dtype)
    if dtype.kind == "c":  # independent real and imaginary parts of variance 1/2
        real = np.finfo(dtype).dtype  # float64 for complex128
        k_re, k_im = split(key)
        re = _normal_real(k_re, _check_shape("normal", shape), real)
        im = _normal_real(k_im, _check_shape("normal", shape), real)
        return lax.complex(re, im) / dtype.type(np.sqrt(2))
    return _normal_real(key, _check_shape("normal", shape), _float_dtype("normal", dtype))


def _normal_real(key, shape, dtype):
    lo = np.nextafter(dtype.type(-1.0), dtype.type(0.0))
    u = uniform(key, shape, dtype, lo, 1.0)
    return lax.mul(dtype.type(np.sqrt(2)), _erf_inv(u))


def _erf_inv(u):
    return erf_inv(u)


def truncated_normal(key: KeyArray, lower: ArrayLike, upper: ArrayLike,
                     shape: Sequence[int] | None = None,
                     dtype: DTypeLike | None = None) -> Array:
    """Standard normal samples conditioned on ``lower < x < upper``, by the
    inverse CDF; differentiable in ``lower`` and ``upper``.

    >>> x = truncated_normal(key(0), -1.0, 1.0, (1000,))
    >>> bool((x > -1).all() and (x < 1).all())
    True
    """
    key = _check_key("truncated_normal", key)
    dtype = _float_dtype("truncated_normal", dtype)
    lower, upper = _as(lower, dtype), _as(upper, dtype)
    shape = _check_shape("truncated_normal", shape, jnp.shape(lower), jnp.shape(upper))
    sqrt2 = dtype.type(np.sqrt(2))
    a = lax.erf(lower / sqrt2)
    b = lax.erf(upper / sqrt2)
    u = uniform(key, shape, dtype, minval=a, maxval=b)
    out = sqrt2 * _erf_inv(u)
    # keep rounding inside the open interval (JAX clips to the next floats)
    lo, hi = stop_gradient(lower), stop_gradient(upper)
    return jnp.clip(out, _step(lo, dtype, +1), _step(hi, dtype, -1))


def _step(x, dtype, direction):
    """``x`` moved by about one unit in the last place toward ``direction``."""
    eps, tiny = np.finfo(dtype).eps, np.finfo(dtype).smallest_subnormal
    return x + direction * jnp.maximum(jnp.abs(x) * eps, tiny)


def exponential(key: KeyArray, shape: Sequence[int] = (),
                dtype: DTypeLike | None = None) -> Array:
    """Exponential samples of rate 1 (``-log1p(-u)``).

    >>> float(exponential(key(0), (10000,)).mean().round(1))
    1.0
    """
    key = _check_key("exponential", key)
    u = uniform(key, _check_shape("exponential", shape), _float_dtype("exponential", dtype))
    return -jnp.log1p(-u)


def laplace(key: KeyArray, shape: Sequence[int] = (), dtype: DTypeLike | None = None) -> Array:
    """Laplace samples of location 0 and scale 1.

    >>> float(jnp.abs(laplace(key(0), (10000,))).mean().round(1))
    1.0
    """
    key = _check_key("laplace", key)
    dtype = _float_dtype("laplace", dtype)
    u = uniform(key, _check_shape("laplace", shape), dtype,
                minval=-1.0 + np.finfo(dtype).epsneg, maxval=1.0)
    return jnp.sign(u) * jnp.log1p(-jnp.abs(u))


def logistic(key: KeyArray, shape: Sequence[int] = (), dtype: DTypeLike | None = None) -> Array:
    """Standard logistic samples (``log(u) - log1p(-u)``).

    >>> logistic(key(0), (4,)).shape
    (4,)
    """
    key = _check_key("logistic", key)
    dtype = _float_dtype("logistic", dtype)
    x = uniform(key, _check_shape("logistic", shape), dtype,
                minval=np.finfo(dtype).tiny, maxval=1.0)
    return jnp.log(x) - jnp.log1p(-x)


def gumbel(key: KeyArray, shape: Sequence[int] = (), dtype: DTypeLike | None = None,
           mode: str | None = None) -> Array:
    """Standard Gumbel samples (``-log(-log(u))``).

    >>> gumbel(key(0), (2, 3)).shape
    (2, 3)
    """
    key = _check_key("gumbel", key)
    dtype = _float_dtype("gumbel", dtype)
    if mode not in (None, "low", "high"):
        raise ValueError(f"gumbel: argument mode must be 'low' or 'high', got {mode!r}")
    shape = _check_shape("gumbel", shape)
    info = np.finfo(dtype)
    if mode == "high":
        hl = uniform(key, (2,) + shape, dtype)
        high, low = hl[0], hl[1]
        x = jnp.where(high >= 0.5, high, high + 2.0 ** -info.nmant * low + info.tiny)
        return -jnp.log(-jnp.log1p(-x))
    return -jnp.log(-jnp.log(uniform(key, shape, dtype, minval=info.tiny, maxval=1.0)))


def cauchy(key: KeyArray, shape: Sequence[int] = (), dtype: DTypeLike | None = None) -> Array:
    """Standard Cauchy samples (``tan(pi (u - 1/2))``).

    >>> abs(float(jnp.median(cauchy(key(0), (10001,))))) < 0.05
    True
    """
    key = _check_key("cauchy", key)
    dtype = _float_dtype("cauchy", dtype)
    u = uniform(key, _check_shape("cauchy", shape), dtype, minval=np.finfo(dtype).eps,
                maxval=1.0)
    return jnp.tan(dtype.type(np.pi) * (u - dtype.type(0.5)))


def multivariate_normal(key: KeyArray, mean: ArrayLike, cov: ArrayLike,
                        shape: Sequence[int] | None = None, dtype: DTypeLike | None = None,
                        method: str = "cholesky") -> Array:
    """Samples of ``N(mean, cov)``: ``mean + factor @ z`` with ``factor`` from
    ``method`` (``"cholesky"``, ``"eigh"`` or ``"svd"``) and ``z`` standard normal.

    >>> x = multivariate_normal(key(0), np.zeros(2), np.eye(2), (5,))
    >>> x.shape
    (5, 2)
    """
    key = _check_key("multivariate_normal", key)
    if method not in ("cholesky", "eigh", "svd"):
        raise ValueError("multivariate_normal: argument method must be 'cholesky', 'eigh' "
                         f"or 'svd', got {method!r}")
    dtype = _float_dtype("multivariate_normal", dtype)
    mean, cov = _as(mean, dtype), _as(cov, dtype)
    if mean.ndim < 1:
        raise ValueError(f"multivariate_normal: argument mean must have at least one "
                         f"dimension, got {_aval(mean).str_short()}")
    n = mean.shape[-1]
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise ValueError(f"multivariate_normal: argument cov must have shape (..., {n}, {n}) "
                         f"for a mean of {_aval(mean).str_short()}, got {_aval(cov).str_short()}")
    shape = _check_shape("multivariate_normal", shape, mean.shape[:-1], cov.shape[:-2])
    if method == "svd":
        u, s, _ = jnp.linalg.svd(cov)
        factor = u * jnp.sqrt(s[..., None, :])
    elif method == "eigh":
        w, v = jnp.linalg.eigh(cov)
        factor = v * jnp.sqrt(w[..., None, :])
    else:
        factor = jnp.linalg.cholesky(cov)
    z = normal(key, shape + (n,), dtype)
    return mean + jnp.matmul(factor, z[..., None])[..., 0]


def orthogonal(key: KeyArray, n: int, shape: Sequence[int] = (),
               dtype: DTypeLike | None = None, m: int | None = None) -> Array:
    """A uniformly random orthogonal ``n x n`` matrix (or semi-orthogonal
    ``n x m``), from the QR factorization of a normal matrix with the signs of
    ``R``'s diagonal moved into ``Q`` (Mezzadri 2007).

    >>> q = orthogonal(key(0), 3)
    >>> bool(np.allclose(q @ q.T, np.eye(3)))
    True
    """
    key = _check_key("orthogonal", key)
    dtype = _float_dtype("orthogonal", dtype)
    shape = _check_shape("orthogonal", shape)
    n = operator.index(n)
    m = n if m is None else operator.index(m)
    z = normal(key, (*shape, max(n, m), min(n, m)), dtype)
    q, r = jnp.linalg.qr(z)
    d = jnp.diagonal(r, axis1=-2, axis2=-1)
    x = q * jnp.sign(d)[..., None, :]
    return jnp.swapaxes(x, -1, -2) if n < m else x


# --- discrete samplers -------------------------------------------------------------

def bernoulli(key: KeyArray, p: ArrayLike = 0.5, shape: Sequence[int] | None = None) -> Array:
    """Booleans that are True with probability ``p`` (``uniform < p``).

    >>> bernoulli(key(0), 0.5, (4,))
    array([ True,  True, False, False])
    """
    key = _check_key("bernoulli", key)
    p = jnp.asarray(p)
    if p.dtype.kind != "f":
        p = p.astype(float)
    shape = _check_shape("bernoulli", shape, jnp.shape(p))
    return uniform(key, shape, p.dtype) < p


def rademacher(key: KeyArray, shape: Sequence[int] = (), dtype: DTypeLike = np.int64) -> Array:
    """-1 or +1 with equal probability.

    >>> rademacher(key(0), (4,))
    array([ 1,  1, -1, -1])
    """
    b = bernoulli(_check_key("rademacher", key), 0.5, _check_shape("rademacher", shape))
    return (2 * b.astype(dtype) - 1).astype(dtype)


def _clip_to(x, dtype):
    """``x`` (an integer or float array) clipped to ``dtype``'s range, then cast."""
    info = np.iinfo(dtype)
    x = jnp.asarray(x)
    if x.dtype.kind == "f":
        x = jnp.floor(x)
    lo = max(info.min, np.iinfo(x.dtype).min) if x.dtype.kind in "iu" else info.min
    hi = min(info.max, np.iinfo(x.dtype).max) if x.dtype.kind in "iu" else info.max
    return jnp.clip(x, lo, hi).astype(dtype)


def _urem(x, span):
    """``x mod span`` of unsigned integers, ``x`` where ``span`` is 0."""
    zero = span == 0
    return jnp.where(zero, x, lax.rem(x, jnp.where(zero, span.dtype.type(1), span)))


def randint(key: KeyArray, shape: Sequence[int], minval: ArrayLike, maxval: ArrayLike,
            dtype: DTypeLike = np.int64) -> Array:
    """Integers uniform in ``[minval, maxval)``, JAX's construction (two streams of
    bits combined modulo the span).

    >>> randint(key(0), (5,), 0, 10)
    array([5, 1, 5, 7, 3])
    """
    key = _check_key("randint", key)
    dtype = _int_dtype("randint", dtype)
    shape = _check_shape("randint", shape, jnp.shape(minval), jnp.shape(maxval))
    info = np.iinfo(dtype)
    if info.bits < 32:  # sampled in 32 bits (less biased), as JAX
        lo32 = jnp.clip(jnp.asarray(minval).astype(np.int32), int(info.min), int(info.max))
        hi32 = jnp.clip(jnp.asarray(maxval).astype(np.int32), int(info.min),
                        int(info.max) + 1)
        return randint(key, shape, lo32, hi32, np.int32).astype(dtype)
    nbits = dtype.itemsize * 8
    unsigned = _UINT[nbits]
    # a maxval beyond dtype's range still reaches dtype's largest value (as JAX)
    maxval_arr = jnp.asarray(maxval)
    if maxval_arr.dtype.kind == "f":
        too_big = maxval_arr > float(np.iinfo(dtype).max)
    elif maxval_arr.dtype.kind in "iu" and np.iinfo(maxval_arr.dtype).max > np.iinfo(dtype).max:
        too_big = maxval_arr > np.iinfo(dtype).max
    else:
        too_big = jnp.zeros(jnp.shape(maxval_arr), bool)
    lo, hi = _clip_to(minval, dtype), _clip_to(maxval, dtype)
    k1, k2 = split(key)
    higher, lower = _bits(k1, nbits, shape), _bits(k2, nbits, shape)
    span = (hi - lo).astype(unsigned)
    span = jnp.where(hi <= lo, unsigned.type(1), span)
    span = jnp.where(too_big & (hi > lo), span + unsigned.type(1), span)
    # a span of 0 is the whole range 2**nbits (it wrapped): x mod 0 is x, as XLA
    mult = _urem(jnp.broadcast_to(unsigned.type(2 ** (nbits // 2)), jnp.shape(span)), span)
    mult = _urem(mult * mult, span)
    span_b = jnp.broadcast_to(span, shape)
    offset = _urem(higher, span_b) * jnp.broadcast_to(mult, shape) + _urem(lower, span_b)
    offset = _urem(offset, span_b)
    return jnp.broadcast_to(lo + offset.astype(dtype), shape)


def _shuffle(key, x, axis: int):
    n = int(np.prod(jnp.shape(x)))
    rounds = int(np.ceil(3 * np.log(max(1, n)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        key, sub = split(key)
        sort_keys = _bits(sub, 32, tuple(jnp.shape(x)))
        x = jnp.take_along_axis(x, jnp.argsort(sort_keys, axis=axis), axis)
    return x


def permutation(key: KeyArray, x: int | ArrayLike, axis: int = 0,
                independent: bool = False) -> Array:
    """A random permutation of ``range(x)`` (an int) or of ``x`` along ``axis``
    (every slice permuted alike, unless ``independent``).

    >>> permutation(key(0), 5)
    array([0, 1, 4, 3, 2])
    """
    key = _check_key("permutation", key)
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return _shuffle(key, jnp.arange(int(x)), 0)
    x = jnp.asarray(x)
    if x.ndim == 0:
        raise TypeError("permutation: argument x must be an integer or an array of rank "
                        f">= 1, got {_aval(x).str_short()}")
    axis = axis % x.ndim
    if independent or x.ndim == 1:
        return _shuffle(key, x, axis)
    ind = _shuffle(key, jnp.arange(x.shape[axis]), 0)
    return jnp.take(x, ind, axis)


def choice(key: KeyArray, a: int | ArrayLike, shape: Sequence[int] = (),
           replace: bool = True, p: ArrayLike | None = None, axis: int = 0) -> Array:
    """Random elements of ``a`` (or of ``range(a)``) along ``axis``, with or
    without replacement, uniformly or with probabilities ``p``.

    >>> choice(key(0), 10, (3,), replace=False).shape
    (3,)
    """
    key = _check_key("choice", key)
    shape = _check_shape("choice", shape)
    if isinstance(a, (int, np.integer)) and not isinstance(a, bool):
        arr, n_inputs = None, int(a)
    else:
        arr = jnp.asarray(a)
        if arr.ndim == 0:
            raise ValueError("choice: argument a must be an integer or an array of rank "
                             f">= 1, got {_aval(arr).str_short()}")
        axis = axis % arr.ndim
        n_inputs = arr.shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return jnp.zeros(shape if arr is None else arr.shape[:axis] + shape +
                         arr.shape[axis + 1:], np.int64 if arr is None else arr.dtype)
    if n_inputs <= 0:
        raise ValueError("choice: argument a must be non-empty")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"choice: cannot take a larger sample (size {n_draws}) than the "
                         f"population (size {n_inputs}) when replace=False")
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n_inputs)
            result = ind if arr is None else jnp.take(arr, ind, axis)
        else:
            perm = permutation(key, n_inputs if arr is None else arr, axis)
            result = perm[(slice(None),) * (0 if arr is None else axis) + (slice(n_draws),)]
    else:
        p = jnp.asarray(p)
        if p.dtype.kind != "f":
            p = p.astype(float)
        if jnp.shape(p) != (n_inputs,):
            raise ValueError(f"choice: argument p must be None or a vector of shape "
                             f"({n_inputs},) (the size of a along axis), got "
                             f"{_aval(p).str_short()}")
        if replace:
            p_cuml = jnp.cumsum(p)
            r = p_cuml[-1] * (1 - uniform(key, shape, dtype=p_cuml.dtype))
            ind = jnp.searchsorted(p_cuml, r).astype(np.int64)
        else:
            g = gumbel(key, (n_inputs,), dtype=p.dtype) + jnp.log(p)
            ind = jnp.argsort(-g)[:n_draws]
        result = ind if arr is None else jnp.take(arr, ind, axis)
    return result.reshape(shape if arr is None else
                          arr.shape[:axis] + shape + arr.shape[axis + 1:])


def categorical(key: KeyArray, logits: ArrayLike, axis: int = -1,
                shape: Sequence[int] | None = None, replace: bool = True) -> Array:
    """Category indices drawn with probabilities ``softmax(logits, axis)``
    (the Gumbel-max trick).

    >>> categorical(key(0), np.log(np.array([0.0, 0.0, 1.0])), shape=(4,))
    array([2, 2, 2, 2])
    """
    key = _check_key("categorical", key)
    logits = jnp.asarray(logits)
    if logits.dtype.kind != "f":
        logits = logits.astype(float)
    if logits.ndim == 0:
        raise ValueError("categorical: argument logits must have at least one dimension")
    axis = axis % logits.ndim
    batch_shape = tuple(logits.shape[:axis] + logits.shape[axis + 1:])
    shape = _check_shape("categorical", shape, batch_shape)
    prefix = shape[:len(shape) - len(batch_shape)]
    if replace:
        full = list(batch_shape)
        full.insert(axis, logits.shape[axis])
        g = gumbel(key, (*prefix, *full), logits.dtype)
        return jnp.argmax(g + jnp.reshape(logits, (1,) * len(prefix) + logits.shape),
                          axis=len(prefix) + axis)
    k = math.prod(prefix)
    if k > logits.shape[axis]:
        raise ValueError(f"categorical: the number of samples without replacement ({k}) "
                         f"cannot exceed the number of categories ({logits.shape[axis]})")
    z = jnp.moveaxis(logits + gumbel(key, logits.shape, logits.dtype), axis, -1)
    idx = jnp.argsort(-z, axis=-1)[..., :k]  # top k, ties to the lower index
    return jnp.reshape(jnp.moveaxis(idx, -1, 0), shape)


# --- gamma and the samplers built on it ------------------------------------------

_GAMMA_ROUNDS = 8  # Marsaglia-Tsang candidates per element drawn at once


def _gamma_sample(key, a, log_space: bool = False):
    """Marsaglia and Tsang (2000) for ``a >= 1`` (``a + 1`` boosted by
    ``u ** (1/a)`` for ``a < 1``): ``_GAMMA_ROUNDS`` candidates per element drawn
    at once, the first accepted kept; elements with none accepted (probability
    below 1e-10 per element) redraw in a ``while_loop``. With ``log_space`` the
    log of the sample, which does not underflow for small ``a``."""
    dtype = a.dtype
    shape = tuple(a.shape)
    boost = a < 1
    alpha = jnp.where(boost, a + 1, a)
    d = alpha - dtype.type(1 / 3)
    c = dtype.type(1 / 3) / jnp.sqrt(d)

    def draw(k):
        kx, ku = split(k)
        x = normal(kx, (_GAMMA_ROUNDS,) + shape, dtype)
        u = uniform(ku, (_GAMMA_ROUNDS,) + shape, dtype)
        v = (1 + c * x) ** 3
        safe_v = jnp.where(v > 0, v, dtype.type(1))
        # accept when v > 0 and log u < x^2/2 + d - d v + d log v
        ok = (v > 0) & (jnp.log(jnp.where(u > 0, u, np.finfo(dtype).tiny)) <
                        dtype.type(0.5) * x * x + d - d * safe_v + d * jnp.log(safe_v))
        first = jnp.argmax(ok, axis=0)
        z = jnp.take_along_axis(d * safe_v, first[None], 0)[0]
        return z, jnp.any(ok, axis=0)

    k_draw, k_boost = split(key)
    z, done = draw(fold_in(k_draw, 0))

    def cond(state):
        return ~jnp.all(state[1])

    def body(state):
        z, done, i = state
        z_new, ok = draw(fold_in(k_draw, i))
        return jnp.where(done, z, z_new), done | ok, i + 1

    z, done, _ = lax.while_loop(cond, body, (z, done, np.uint32(1)))
    u = 1 - uniform(k_boost, shape, dtype)  # in (0, 1]
    safe_a = jnp.where(boost, a, dtype.type(1))
    if log_space:
        return jnp.log(z) + jnp.where(boost, jnp.log(u) / safe_a, dtype.type(0))
    return z * jnp.where(boost, u ** (1 / safe_a), dtype.type(1))


@custom_jvp
def _gamma_reparam(key, a):
    return _gamma_sample(key, a)


@_gamma_reparam.defjvp
def _gamma_reparam_jvp(primals, tangents):
    key, a = primals
    _, a_dot = tangents
    z = _gamma_reparam(key, a)
    return z, a_dot * _gamma_dlogz_da(a, jnp.log(z)) * z


@custom_jvp
def _loggamma_reparam(key, a):
    return _gamma_sample(key, a, log_space=True)


@_loggamma_reparam.defjvp
def _loggamma_reparam_jvp(primals, tangents):
    key, a = primals
    _, a_dot = tangents
    log_z = _loggamma_reparam(key, a)
    return log_z, a_dot * _gamma_dlogz_da(a, log_z)


def _gamma_dlogz_da(a, log_z):
    """Implicit reparameterization: with the gamma CDF ``P(a, z)`` held fixed,
    ``dz/da = -(dP/da) / (dP/dz)``, ``dP/dz = z**(a-1) e**-z / Gamma(a)``; this is
    ``(dz/da) / z``, its density factor ``z dP/dz`` computed from ``log z``."""
    tiny = np.finfo(log_z.dtype).tiny
    z = jnp.maximum(jnp.exp(log_z), tiny)
    log_z = jnp.maximum(log_z, np.log(tiny))
    return -igamma_grad_a(a, z) / jnp.exp(a * log_z - z - lgamma(a))


def gamma(key: KeyArray, a: ArrayLike, shape: Sequence[int] | None = None,
          dtype: DTypeLike | None = None) -> Array:
    """Gamma samples of shape parameter ``a`` (scale 1); differentiable in ``a``
    by implicit reparameterization.

    >>> float(gamma(key(0), 3.0, (20000,)).mean().round(1))
    3.0
    """
    key = _check_key("gamma", key)
    dtype = _float_dtype("gamma", dtype)
    a = _as(a, dtype)
    shape = _check_shape("gamma", shape, jnp.shape(a))
    return _gamma_reparam(key, jnp.broadcast_to(a, shape))


def loggamma(key: KeyArray, a: ArrayLike, shape: Sequence[int] | None = None,
             dtype: DTypeLike | None = None) -> Array:
    """The log of gamma samples of shape ``a``, computed without forming the
    sample (which underflows to 0 for small ``a``); differentiable in ``a``.

    >>> bool(np.isfinite(loggamma(key(0), 1e-3, (100,))).all())
    True
    """
    key = _check_key("loggamma", key)
    dtype = _float_dtype("loggamma", dtype)
    a = _as(a, dtype)
    shape = _check_shape("loggamma", shape, jnp.shape(a))
    return _loggamma_reparam(key, jnp.broadcast_to(a, shape))


def beta(key: KeyArray, a: ArrayLike, b: ArrayLike, shape: Sequence[int] | None = None,
         dtype: DTypeLike | None = None) -> Array:
    """Beta(a, b) samples, ``Ga / (Ga + Gb)`` of two gamma samples.

    >>> x = beta(key(0), 2.0, 3.0, (20000,))
    >>> float(x.mean().round(2))
    0.4
    """
    key = _check_key("beta", key)
    dtype = _float_dtype("beta", dtype)
    a, b = _as(a, dtype), _as(b, dtype)
    shape = _check_shape("beta", shape, jnp.shape(a), jnp.shape(b))
    ka, kb = split(key)
    # in log space, scaled by the larger: no underflow for small a or b
    la = loggamma(ka, jnp.broadcast_to(a, shape), shape, dtype)
    lb = loggamma(kb, jnp.broadcast_to(b, shape), shape, dtype)
    top = jnp.maximum(la, lb)
    ga, gb = jnp.exp(la - top), jnp.exp(lb - top)
    return ga / (ga + gb)


def dirichlet(key: KeyArray, alpha: ArrayLike, shape: Sequence[int] | None = None,
              dtype: DTypeLike | None = None) -> Array:
    """Dirichlet samples over the last axis of ``alpha``: gamma samples, normalized.

    >>> x = dirichlet(key(0), np.ones(3), (4,))
    >>> x.shape, bool(np.allclose(x.sum(-1), 1.0))
    ((4, 3), True)
    """
    key = _check_key("dirichlet", key)
    dtype = _float_dtype("dirichlet", dtype)
    alpha = _as(alpha, dtype)
    if alpha.ndim < 1:
        raise ValueError("dirichlet: argument alpha must have at least one dimension, got "
                         f"{_aval(alpha).str_short()}")
    shape = _check_shape("dirichlet", shape, alpha.shape[:-1])
    full = shape + alpha.shape[-1:]
    log_g = loggamma(key, jnp.broadcast_to(alpha, full), full, dtype)
    return nn.softmax(log_g, axis=-1)


def t(key: KeyArray, df: ArrayLike, shape: Sequence[int] = (),
      dtype: DTypeLike | None = None) -> Array:
    """Student's t samples with ``df`` degrees of freedom: ``n sqrt(df/2 / g)``,
    ``n`` normal and ``g`` gamma of shape ``df/2``.

    >>> t(key(0), 5.0, (3,)).shape
    (3,)
    """
    key = _check_key("t", key)
    dtype = _float_dtype("t", dtype)
    df = _as(df, dtype)
    shape = _check_shape("t", shape, jnp.shape(df))
    kn, kg = split(key)
    n = normal(kn, shape, dtype)
    half_df = df / 2
    g = gamma(kg, jnp.broadcast_to(half_df, shape), shape, dtype)
    return n * jnp.sqrt(half_df / g)


def generalized_normal(key: KeyArray, p: float, shape: Sequence[int] = (),
                       dtype: DTypeLike | None = None) -> Array:
    """Samples of density proportional to ``exp(-|x|**p)``.

    >>> generalized_normal(key(0), 2.0, (3,)).shape
    (3,)
    """
    key = _check_key("generalized_normal", key)
    dtype = _float_dtype("generalized_normal", dtype)
    shape = _check_shape("generalized_normal", shape)
    k1, k2 = split(key)
    g = gamma(k1, jnp.full(shape, 1 / p, dtype), shape, dtype)
    r = rademacher(k2, shape, dtype)
    return r * g ** (1 / p)


def ball(key: KeyArray, d: int, p: float = 2, shape: Sequence[int] = (),
         dtype: DTypeLike | None = None) -> Array:
    """Points uniform in the unit ``p``-norm ball of dimension ``d``.

    >>> x = ball(key(0), 3, shape=(100,))
    >>> x.shape, bool((np.linalg.norm(x, axis=-1) <= 1).all())
    ((100, 3), True)
    """
    key = _check_key("ball", key)
    dtype = _float_dtype("ball", dtype)
    shape = _check_shape("ball", shape)
    d = operator.index(d)
    k1, k2 = split(key)
    g = generalized_normal(k1, p, (*shape, d), dtype)
    e = exponential(k2, shape, dtype)
    return g / (((jnp.abs(g) ** p).sum(-1) + e) ** (1 / p))[..., None]


def poisson(key: KeyArray, lam: ArrayLike, shape: Sequence[int] | None = None,
            dtype: DTypeLike = np.int64) -> Array:
    """Poisson samples of rate ``lam``: Knuth's multiplication method for
    ``lam < 10``, Hörmann's transformed rejection (PTRS) above, as JAX. Not
    differentiable (its derivative w.r.t. ``lam`` is zero, as JAX's).

    >>> float(poisson(key(0), 4.0, (20000,)).mean().round(1))
    4.0
    """
    key = _check_key("poisson", key)
    dtype = _int_dtype("poisson", dtype)
    lam = stop_gradient(jnp.asarray(lam))
    shape = _check_shape("poisson", shape, jnp.shape(lam))
    # float32 throughout, as JAX (so that the draws are JAX's)
    lam = jnp.broadcast_to(lam, shape).astype(np.float32)
    small = jnp.isnan(lam) | (lam < 10)
    lam_knuth = jnp.where(small, lam, np.float32(0))
    lam_rej = jnp.where(small, np.float32(1e5), lam)
    k = jnp.where(small, _poisson_knuth(key, lam_knuth, shape),
                  _poisson_rejection(key, lam_rej, shape))
    return jnp.where(lam == 0, np.float32(0), k).astype(dtype)


def _poisson_knuth(key, lam, shape):
    def body(state):
        i, k, rng, log_prod = state
        rng, sub = split(rng)
        k = jnp.where(log_prod > -lam, k + 1, k)
        return i + 1, k, rng, log_prod + jnp.log(uniform(sub, shape, np.float32))

    def cond(state):
        return jnp.any(state[3] > -lam)

    init = (np.int64(0), jnp.zeros(shape, np.int64), key, jnp.zeros(shape, np.float32))
    k = lax.while_loop(cond, body, init)[1]
    return (k - 1).astype(np.float32)


def _poisson_rejection(key, lam, shape):
    f = np.float32
    log_lam = jnp.log(lam)
    b = f(0.931) + f(2.53) * jnp.sqrt(lam)
    a = f(-0.059) + f(0.02483) * b
    inv_alpha = f(1.1239) + f(1.1328) / (b - f(3.4))
    v_r = f(0.9277) - f(3.6224) / (b - f(2))

    def body(state):
        i, k_out, accepted, rng = state
        rng, k0, k1 = split(rng, 3)
        u = uniform(k0, shape, f) - f(0.5)
        v = uniform(k1, shape, f)
        u_shifted = f(0.5) - jnp.abs(u)
        k = jnp.floor((f(2) * a / u_shifted + b) * u + lam + f(0.43))
        s = jnp.log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        tt = -lam + k * log_lam - lgamma(k + f(1))
        accept1 = (u_shifted >= f(0.07)) & (v <= v_r)
        reject = (k < 0) | ((u_shifted < f(0.013)) & (v > u_shifted))
        accept = accept1 | (~reject & (s <= tt))
        return i + 1, jnp.where(accept, k, k_out), accepted | accept, rng

    def cond(state):
        return jnp.any(~state[2])

    init = (np.int64(0), jnp.full(shape, -1.0, f), jnp.zeros(shape, bool), key)
    return lax.while_loop(cond, body, init)[1]
