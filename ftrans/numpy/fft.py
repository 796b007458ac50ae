"""``ftrans.numpy.fft``: numpy.fft's API (as ``jax.numpy.fft``).

Every transform binds the one ``fft`` primitive of ``ftrans/prims/fft.py``,
which acts on trailing axes: the functions here convert the dtype (integers
to float64, float16 to float32, to complex where the transform needs it),
crop or zero-pad the input for ``n``/``s``, move the transformed axes to the
end and back, and scale for ``norm`` (``"backward"``, ``"ortho"`` or
``"forward"``), with ordinary primitives. ``hfft``/``ihfft`` use
``conj(rfft(x)) = rfft(x[-j mod n])`` for real ``x``. Results equal
numpy.fft's up to rounding; float32 and complex64 stay single precision.
"""

from __future__ import annotations

import operator
from typing import Sequence

import numpy as np

from ftrans import lax
from ftrans.core import get_aval
from ftrans.numpy._indexing import roll
from ftrans.numpy._ufuncs import asarray, public
from ftrans.prims.fft import _reverse_mod
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn",
           "ifftn", "rfftn", "irfftn", "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift",
           "ifftshift"]

_NORMS = (None, "backward", "ortho", "forward")


# --- helpers ------------------------------------------------------------------------

def _convert(x, dtype):
    if get_aval(x).dtype == dtype:
        return x
    if type(x) is Tracer:
        return lax.convert_element_type(x, dtype)
    return np.asarray(x).astype(dtype)


def _inexact(x, name, complex_: bool):
    """``x`` as float32/float64 (``complex_``: complex64/complex128)."""
    dtype = get_aval(x).dtype
    if dtype.kind == "c":
        if not complex_:
            raise TypeError(f"numpy.fft.{name}: the input must be real, got "
                            f"{get_aval(x).str_short()}; use fft/fftn for complex input")
        return x
    real = np.dtype(np.float32) if dtype in (np.float16, np.float32) else np.dtype(np.float64)
    return _convert(x, np.result_type(real, np.complex64) if complex_ else real)


def _axis(axis, ndim, name):
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"numpy.fft.{name}: axes must be integers, got {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(f"numpy.fft.{name}: axis {axis} is out of bounds "
                                      f"for an array of rank {ndim}")
    return axis % ndim


def _length(n, name, axis):
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"numpy.fft.{name}: the number of points must be an integer, "
                        f"got {n!r}") from None
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified "
                         f"(numpy.fft.{name}, axis {axis})")
    return n


def _check_norm(norm, name):
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or '
                         f'"forward" (numpy.fft.{name})')


def _resize(x, axis, n):
    """``x`` cropped or zero-padded at the end of ``axis`` to ``n`` entries."""
    aval = get_aval(x)
    have = aval.shape[axis]
    if have == n:
        return x
    config = [(0, 0, 0)] * aval.ndim
    config[axis] = (0, n - have, 0)
    return lax.pad(x, np.zeros((), aval.dtype), config)


def _scale(x, factor):
    if factor == 1:
        return x
    return lax.mul(x, np.asarray(factor, dtype=get_aval(x).dtype)[()])


def _raw(a, fft_type, s, axes, norm, name):
    """The transform ``fft_type`` of ``a`` over the distinct ``axes``, with
    the (real-side) lengths ``s``: resize, move the axes last, bind, move
    back, scale."""
    x = a
    last = len(axes) - 1
    for i, (ax, n) in enumerate(zip(axes, s)):
        x = _resize(x, ax, n // 2 + 1 if fft_type == "irfft" and i == last else n)
    ndim = get_aval(x).ndim
    perm = [d for d in range(ndim) if d not in axes] + list(axes)
    identity = perm == list(range(ndim))
    if not identity:
        x = lax.transpose(x, tuple(perm))
    x = lax.fft(x, fft_type, tuple(s))
    if not identity:
        x = lax.transpose(x, tuple(int(p) for p in np.argsort(perm)))
    total = int(np.prod(s))
    inverse = fft_type in ("ifft", "irfft")
    if norm == "ortho":
        factor = np.sqrt(total) if inverse else 1 / np.sqrt(total)
    elif norm == "forward":
        factor = total if inverse else 1 / total
    else:
        factor = 1
    return _scale(x, factor)


def _nd(a, fft_type, s, axes, norm, name):
    """numpy's n-dimensional transforms: ``s``/``axes`` as numpy reads them."""
    _check_norm(norm, name)
    a = asarray(a)
    shape = get_aval(a).shape
    ndim = len(shape)
    if axes is None:
        axes = list(range(ndim)) if s is None else list(range(-len(s), 0))
    axes = [_axis(ax, ndim, name) for ax in axes]
    if s is not None and len(s) != len(axes):
        raise ValueError(f"Shape and axes have different lengths (numpy.fft.{name}: "
                         f"s={tuple(s)}, axes={tuple(axes)})")
    if not axes:
        return a
    if s is None:
        s = [shape[ax] for ax in axes]
        if fft_type == "irfft":
            s[-1] = 2 * (shape[axes[-1]] - 1)
    else:
        s = [shape[ax] if n is None or n == -1 else n for n, ax in zip(s, axes)]
    s = [_length(n, name, ax) for n, ax in zip(s, axes)]
    a = _inexact(a, name, complex_=fft_type != "rfft")
    if len(set(axes)) == len(axes):
        return _raw(a, fft_type, s, axes, norm, name)
    # a repeated axis: one axis at a time, as numpy does
    if fft_type in ("fft", "ifft"):
        for ax, n in reversed(list(zip(axes, s))):
            a = _raw(a, fft_type, [n], [ax], norm, name)
        return a
    if fft_type == "rfft":
        a = _raw(a, "rfft", s[-1:], axes[-1:], norm, name)
        for ax, n in reversed(list(zip(axes[:-1], s[:-1]))):
            a = _raw(a, "fft", [n], [ax], norm, name)
        return a
    for ax, n in zip(axes[:-1], s[:-1]):
        a = _raw(a, "ifft", [n], [ax], norm, name)
    return _raw(a, "irfft", s[-1:], axes[-1:], norm, name)


def _one(a, fft_type, n, axis, norm, name, out):
    if out is not None:
        raise TypeError(f"numpy.fft.{name}: out= is not supported (ftrans arrays are "
                        "immutable); use the returned array")
    a = asarray(a)
    ndim = get_aval(a).ndim
    if ndim == 0:
        raise np.exceptions.AxisError(f"numpy.fft.{name}: the input is a scalar (rank 0); "
                                      "give an array of rank at least 1")
    axis = _axis(axis, ndim, name)
    return _nd(a, fft_type, None if n is None else [n], [axis], norm, name)


def _two(a, fft_type, s, axes, norm, name, out):
    if out is not None:
        raise TypeError(f"numpy.fft.{name}: out= is not supported (ftrans arrays are "
                        "immutable); use the returned array")
    return _nd(a, fft_type, s, axes, norm, name)


# --- one-dimensional ------------------------------------------------------------------

def fft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
        out: None = None) -> Array:
    """The discrete Fourier transform along ``axis``, as ``numpy.fft.fft``.

    ``n`` crops or zero-pads the input to ``n`` points; ``norm`` scales the
    forward transform by 1 (``"backward"``, the default), ``1/sqrt(n)``
    (``"ortho"``) or ``1/n`` (``"forward"``).

    >>> import ftrans.numpy as jnp
    >>> jnp.fft.fft([1.0, 2.0, 3.0, 4.0])
    array([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j])
    """
    return _one(a, "fft", n, axis, norm, "fft", out)


def ifft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: None = None) -> Array:
    """The inverse discrete Fourier transform along ``axis``, as ``numpy.fft.ifft``.

    >>> import ftrans.numpy as jnp
    >>> jnp.fft.ifft([10.0, -2 + 2j, -2.0, -2 - 2j]).real
    array([1., 2., 3., 4.])
    """
    return _one(a, "ifft", n, axis, norm, "ifft", out)


def rfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: None = None) -> Array:
    """The DFT of a real input along ``axis``: the ``n // 2 + 1`` non-negative
    frequencies, as ``numpy.fft.rfft``.

    >>> import ftrans.numpy as jnp
    >>> jnp.fft.rfft([1.0, 2.0, 3.0, 4.0])
    array([10.+0.j, -2.+2.j, -2.+0.j])
    """
    return _one(a, "rfft", n, axis, norm, "rfft", out)


def irfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
          out: None = None) -> Array:
    """The inverse of ``rfft``: a real output of ``n`` points (default
    ``2 * (m - 1)`` for ``m`` input points) along ``axis``, as ``numpy.fft.irfft``.

    >>> import ftrans.numpy as jnp
    >>> jnp.fft.irfft([10.0, -2 + 2j, -2.0])
    array([1., 2., 3., 4.])
    """
    return _one(a, "irfft", n, axis, norm, "irfft", out)


def hfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: None = None) -> Array:
    """The FFT of a signal with Hermitian symmetry, given by its first half:
    a real spectrum of ``n`` points, as ``numpy.fft.hfft``.

    >>> import ftrans.numpy as jnp
    >>> jnp.fft.hfft([1.0, 2.0, 3.0])
    array([ 8., -2.,  0., -2.])
    """
    if out is not None:
        return _one(a, "irfft", n, axis, norm, "hfft", out)
    _check_norm(norm, "hfft")
    swapped = {None: "forward", "backward": "forward", "forward": "backward"}.get(norm, norm)
    y = _one(a, "irfft", n, axis, swapped, "hfft", None)
    # irfft(conj(a)) is irfft(a) with its entries at -j mod n
    return _reverse_mod(y, (_axis(axis, get_aval(y).ndim, "hfft"),))


def ihfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None,
          out: None = None) -> Array:
    """The inverse of ``hfft``: the half spectrum (Hermitian) of a real signal,
    as ``numpy.fft.ihfft``.

    >>> import ftrans.numpy as jnp
    >>> jnp.fft.ihfft([8.0, -2.0, 0.0, -2.0])
    array([1.+0.j, 2.+0.j, 3.+0.j])
    """
    if out is not None:
        return _one(a, "rfft", n, axis, norm, "ihfft", out)
    _check_norm(norm, "ihfft")
    a = asarray(a)
    ndim = get_aval(a).ndim
    if ndim == 0:
        raise np.exceptions.AxisError("numpy.fft.ihfft: the input is a scalar (rank 0); "
                                      "give an array of rank at least 1")
    ax = _axis(axis, ndim, "ihfft")
    n = get_aval(a).shape[ax] if n is None else _length(n, "ihfft", ax)
    x = _reverse_mod(_resize(_inexact(a, "ihfft", complex_=False), ax, n), (ax,))
    swapped = {None: "forward", "backward": "forward", "forward": "backward"}.get(norm, norm)
    return _one(x, "rfft", None, ax, swapped, "ihfft", None)  # conj(rfft(a))


# --- two- and n-dimensional --------------------------------------------------------------

def fft2(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
         norm: str | None = None, out: None = None) -> Array:
    """The 2-D discrete Fourier transform over ``axes``, as ``numpy.fft.fft2``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.fft.fft2(np.ones((2, 2)))
    array([[4.+0.j, 0.+0.j],
           [0.+0.j, 0.+0.j]])
    """
    return _two(a, "fft", s, axes, norm, "fft2", out)


def ifft2(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None, out: None = None) -> Array:
    """The 2-D inverse discrete Fourier transform, as ``numpy.fft.ifft2``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.fft.ifft2(np.array([[4.0, 0.0], [0.0, 0.0]])).real
    array([[1., 1.],
           [1., 1.]])
    """
    return _two(a, "ifft", s, axes, norm, "ifft2", out)


def rfft2(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None, out: None = None) -> Array:
    """The 2-D DFT of a real input (half spectrum on the last axis), as
    ``numpy.fft.rfft2``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.fft.rfft2(np.ones((2, 3))).shape
    (2, 2)
    """
    return _two(a, "rfft", s, axes, norm, "rfft2", out)


def irfft2(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
           norm: str | None = None, out: None = None) -> Array:
    """The inverse of ``rfft2``, as ``numpy.fft.irfft2``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.fft.irfft2(jnp.fft.rfft2(np.ones((2, 3))), s=(2, 3))
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """
    return _two(a, "irfft", s, axes, norm, "irfft2", out)


def fftn(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
         norm: str | None = None, out: None = None) -> Array:
    """The n-D discrete Fourier transform over ``axes`` (default: all, or the
    last ``len(s)``), with lengths ``s``, as ``numpy.fft.fftn``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> complex(jnp.fft.fftn(np.ones((2, 2, 2)))[0, 0, 0])
    (8+0j)
    """
    return _two(a, "fft", s, axes, norm, "fftn", out)


def ifftn(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None, out: None = None) -> Array:
    """The n-D inverse discrete Fourier transform, as ``numpy.fft.ifftn``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> complex(jnp.fft.ifftn(np.ones((2, 2)))[0, 0])
    (1+0j)
    """
    return _two(a, "ifft", s, axes, norm, "ifftn", out)


def rfftn(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None, out: None = None) -> Array:
    """The n-D DFT of a real input (half spectrum on the last axis), as
    ``numpy.fft.rfftn``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.fft.rfftn(np.ones((2, 3, 4))).shape
    (2, 3, 3)
    """
    return _two(a, "rfft", s, axes, norm, "rfftn", out)


def irfftn(a: ArrayLike, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
           norm: str | None = None, out: None = None) -> Array:
    """The inverse of ``rfftn``, as ``numpy.fft.irfftn``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> bool(np.allclose(jnp.fft.irfftn(jnp.fft.rfftn(x), s=x.shape), x))
    True
    """
    return _two(a, "irfft", s, axes, norm, "irfftn", out)


# --- frequencies and shifts --------------------------------------------------------------

def _frequencies(ints, n, d, device, name):
    if device not in (None, "cpu"):
        raise ValueError(f"numpy.fft.{name}: device must be None or 'cpu', got {device!r}")
    if type(d) is Tracer:
        return lax.mul(_convert(ints, get_aval(d).dtype), 1.0 / (n * d))
    return ints * (1.0 / (n * d))


def fftfreq(n: int, d: ArrayLike = 1.0, device: str | None = None) -> Array:
    """The sample frequencies of an ``n``-point DFT with sample spacing ``d``
    (cycles per unit), as ``numpy.fft.fftfreq``.

    >>> import ftrans.numpy as jnp
    >>> jnp.fft.fftfreq(4, 0.5)
    array([ 0. ,  0.5, -1. , -0.5])
    """
    n = _length(n, "fftfreq", 0)
    ints = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return _frequencies(ints, n, d, device, "fftfreq")


def rfftfreq(n: int, d: ArrayLike = 1.0, device: str | None = None) -> Array:
    """The sample frequencies of ``rfft`` (non-negative only), as
    ``numpy.fft.rfftfreq``.

    >>> import ftrans.numpy as jnp
    >>> jnp.fft.rfftfreq(4, 0.5)
    array([0. , 0.5, 1. ])
    """
    n = _length(n, "rfftfreq", 0)
    return _frequencies(np.arange(0, n // 2 + 1), n, d, device, "rfftfreq")


def _shift(x, axes, sign, name):
    x = asarray(x)
    shape = get_aval(x).shape
    if axes is None:
        axes = tuple(range(len(shape)))
    single = np.ndim(axes) == 0
    ax = [_axis(a, len(shape), name) for a in ((axes,) if single else axes)]
    shift = [sign * (shape[a] // 2) for a in ax]
    return roll(x, shift[0] if single else shift, ax[0] if single else tuple(ax))


def fftshift(x: ArrayLike, axes: int | Sequence[int] | None = None) -> Array:
    """The zero frequency moved to the center (a roll by ``n // 2`` along
    ``axes``, default all), as ``numpy.fft.fftshift``.

    >>> import ftrans.numpy as jnp
    >>> jnp.fft.fftshift(jnp.fft.fftfreq(5))
    array([-0.4, -0.2,  0. ,  0.2,  0.4])
    """
    return _shift(x, axes, 1, "fftshift")


def ifftshift(x: ArrayLike, axes: int | Sequence[int] | None = None) -> Array:
    """The inverse of ``fftshift``, as ``numpy.fft.ifftshift``.

    >>> import ftrans.numpy as jnp
    >>> jnp.fft.ifftshift([-0.4, -0.2, 0.0, 0.2, 0.4])
    array([ 0. ,  0.2,  0.4, -0.4, -0.2])
    """
    return _shift(x, axes, -1, "ifftshift")


for _name in __all__:  # lists of tracers in, ftrans.Arrays out, as all of ftrans.numpy
    globals()[_name] = public(globals()[_name])
del _name
