"""``ftrans.scipy.signal``: N-d convolution and correlation (as ``jax.scipy.signal``).

Compositions of ``ftrans.numpy`` (see ``ftrans.numpy._signal``: pad, gather
the sliding windows, one ``dot_general``), so they differentiate, batch and
compile like any other ``ftrans.numpy`` code. Only the direct method exists;
``method`` is accepted for scipy compatibility.
"""

from __future__ import annotations

from ftrans.numpy import _shape, _ufuncs
from ftrans.numpy._signal import _convolve_nd, _promote_keep
from ftrans.typing import Array, ArrayLike

__all__ = ["convolve", "correlate", "convolve2d", "correlate2d"]

_METHODS = ("auto", "direct", "fft")


def _swap_for_valid(name, in1, in2, mode):
    # scipy: in 'valid' mode the larger input comes first; mixed sizes are an error
    if mode != "valid":
        return in1, in2
    if all(n >= m for n, m in zip(in1.shape, in2.shape)):
        return in1, in2
    if all(n <= m for n, m in zip(in1.shape, in2.shape)):
        return in2, in1
    raise ValueError(f"{name}: for 'valid' mode one input must be at least as large as the "
                     f"other in every dimension, got shapes {tuple(in1.shape)} and "
                     f"{tuple(in2.shape)}")


def _prepare(name, in1, in2, mode, method):
    if method not in _METHODS:
        raise ValueError(f"{name}: method must be one of {_METHODS}, got {method!r}")
    in1, in2 = _promote_keep(name, in1, in2)
    if in1.ndim != in2.ndim:
        raise ValueError(f"{name}: in1 and in2 should have the same dimensionality, got "
                         f"shapes {tuple(in1.shape)} and {tuple(in2.shape)}")
    return in1, in2


def convolve(in1: ArrayLike, in2: ArrayLike, mode: str = "full", method: str = "auto",
             precision: None = None) -> Array:
    """The N-d convolution of ``in1`` and ``in2`` (as ``scipy.signal.convolve``).

    ``mode``: ``"full"`` (shape ``N + M - 1``), ``"same"`` (the shape of
    ``in1``, centred) or ``"valid"`` (shape ``N - M + 1``; the larger input
    may come second). ``method`` is ignored: the sum is always computed
    directly.

    >>> import numpy as np
    >>> from ftrans.scipy import signal
    >>> signal.convolve(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0]))
    array([1., 3., 5., 3.])
    >>> signal.convolve(np.eye(2), np.ones((2, 2)), mode="same")
    array([[1., 1.],
           [1., 2.]])
    """
    in1, in2 = _prepare("convolve", in1, in2, mode, method)
    in1, in2 = _swap_for_valid("convolve", in1, in2, mode)
    return _convolve_nd("convolve", in1, in2, mode)


def correlate(in1: ArrayLike, in2: ArrayLike, mode: str = "full", method: str = "auto",
              precision: None = None) -> Array:
    """The N-d cross-correlation of ``in1`` and ``in2`` (as ``scipy.signal.correlate``):
    ``z[k] = sum_l in1[l] * conj(in2[l - k + M - 1])``.

    >>> import numpy as np
    >>> from ftrans.scipy import signal
    >>> signal.correlate(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.5]))
    array([0.5, 2. , 3.5, 3. ])
    """
    in1, in2 = _prepare("correlate", in1, in2, mode, method)
    swapped = False
    if mode == "valid":
        a, b = _swap_for_valid("correlate", in1, in2, mode)
        swapped = a is not in1
        in1, in2 = a, b
    kernel = _ufuncs.conj(in2)
    out = _convolve_nd("correlate", in1, _shape.flip(kernel) if kernel.ndim else kernel, mode)
    if swapped:  # correlate(b, a) is correlate(a, b) reversed and conjugated
        out = _ufuncs.conj(_shape.flip(out) if out.ndim else out)
    return out


def _check_2d(name, in1, in2, boundary, fillvalue):
    if boundary != "fill" or fillvalue != 0:
        raise NotImplementedError(f"{name}: only boundary='fill' with fillvalue=0 is "
                                  f"implemented, got boundary={boundary!r}, "
                                  f"fillvalue={fillvalue!r}")
    for arg, x in (("in1", in1), ("in2", in2)):
        if _ufuncs._shape(x).__len__() != 2:
            raise ValueError(f"{name}: {arg} must be 2-d, got shape {tuple(_ufuncs._shape(x))}")


def convolve2d(in1: ArrayLike, in2: ArrayLike, mode: str = "full", boundary: str = "fill",
               fillvalue: float = 0, precision: None = None) -> Array:
    """The 2-d convolution of ``in1`` and ``in2`` (as ``scipy.signal.convolve2d``,
    zero boundary only).

    >>> import numpy as np
    >>> from ftrans.scipy import signal
    >>> signal.convolve2d(np.ones((3, 3)), np.ones((2, 2)), mode="valid")
    array([[4., 4.],
           [4., 4.]])
    """
    _check_2d("convolve2d", in1, in2, boundary, fillvalue)
    return convolve(in1, in2, mode)


def correlate2d(in1: ArrayLike, in2: ArrayLike, mode: str = "full", boundary: str = "fill",
                fillvalue: float = 0, precision: None = None) -> Array:
    """The 2-d cross-correlation of ``in1`` and ``in2`` (as
    ``scipy.signal.correlate2d``, zero boundary only).

    >>> import numpy as np
    >>> from ftrans.scipy import signal
    >>> signal.correlate2d(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0]]))
    array([[1., 2.],
           [3., 4.]])
    """
    _check_2d("correlate2d", in1, in2, boundary, fillvalue)
    if mode == "same":
        # scipy centres correlate2d's 'same' window as a convolution of the
        # flipped signal, not as correlate's (they differ for even kernels)
        in1, in2 = _prepare("correlate2d", in1, in2, mode, "direct")
        return _shape.flip(_convolve_nd("correlate2d", _shape.flip(in1), _ufuncs.conj(in2),
                                        mode))
    shape1, shape2 = _ufuncs._shape(in1), _ufuncs._shape(in2)
    if mode == "valid" and shape1 != shape2 and all(n <= m for n, m in zip(shape1, shape2)):
        # scipy's correlate2d swaps without reversing (unlike correlate)
        in1, in2 = _prepare("correlate2d", in1, in2, mode, "direct")
        return _convolve_nd("correlate2d", _shape.flip(in2), _ufuncs.conj(in1), mode)
    return correlate(in1, in2, mode)


def _export_public():
    # as ftrans.numpy: lists of tracers are array-likes, results leave as Arrays
    from ftrans.numpy._ufuncs import public
    for name in __all__:
        globals()[name] = public(globals()[name])


_export_public()
