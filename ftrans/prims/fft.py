"""The fast Fourier transform: one primitive, ``fft``, as ``jax.lax.fft``.

``fft(x, fft_type, fft_lengths)`` transforms the trailing
``len(fft_lengths)`` axes of ``x``; ``fft_type`` is one of

- ``"fft"``: the unnormalized discrete Fourier transform of a complex array,
  ``y[k] = sum_j x[j] exp(-2 pi i j.k / N)``;
- ``"ifft"``: its inverse, ``x[j] = (1/N) sum_k y[k] exp(+2 pi i j.k / N)``;
- ``"rfft"``: the transform of a real array, keeping the half spectrum
  ``k_last < N_last // 2 + 1`` (the rest is its conjugate mirror);
- ``"irfft"``: the inverse of ``rfft``, from a half spectrum to a real array
  of the trailing shape ``fft_lengths``.

``ftrans.numpy.fft`` moves axes, pads or crops for ``n``/``s`` and scales
for ``norm`` around this primitive with ordinary primitives.

Every type is linear, so the JVP is the same transform of the tangent. The
transposes are for the bilinear pairing ``sum(a * b)`` (no conjugation), as
JAX's: ``fft`` and ``ifft`` are symmetric matrices (their transposes are
themselves). ``rfft`` maps reals to complexes and ``irfft`` complexes to
reals; with ``R`` the index reversal ``x[j] -> x[-j mod N]`` on every
transformed axis and ``m_k`` the multiplicity of a half-spectrum column in
the full spectrum (1 for ``k_last = 0`` and, for even ``N_last``,
``k_last = N_last / 2``; 2 otherwise),

- ``rfftᵀ(c) = N R irfft(c / m)``: ``Re sum(c * rfft(x)) = sum(rfftᵀ(c) * x)``;
- ``irfftᵀ(c) = (m / N) rfft(R c)``: ``sum(c * irfft(y)) = Re sum(irfftᵀ(c) * y)``.

(``R`` turns ``exp(+i..)`` into ``exp(-i..)``: ``rfft(R c) = conj(rfft(c))``
for real ``c``, and ``irfft`` of a half spectrum sums ``m_k Re(y_k e^{+i..})``.)
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ftrans.core import Primitive, ShapedArray, get_aval
from ftrans.prims._batching import move_axis
from ftrans.prims._families import def_linear, exports
from ftrans.prims.elementwise import mul
from ftrans.prims.shape import broadcast_in_dim, concatenate, rev, slice as slice_
from ftrans.typing import Array, ArrayLike

FFT_TYPES = ("fft", "ifft", "rfft", "irfft")

_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128)}
_REAL_OF = {c: r for r, c in _COMPLEX_OF.items()}

_NUMPY_FN = {"fft": np.fft.fftn, "ifft": np.fft.ifftn, "rfft": np.fft.rfftn,
             "irfft": np.fft.irfftn}

fft_p = Primitive("fft")


def fft(x: ArrayLike, fft_type: str, fft_lengths: Sequence[int]) -> Array:
    """The FFT of type ``fft_type`` (``"fft"``, ``"ifft"``, ``"rfft"`` or
    ``"irfft"``) over the trailing ``len(fft_lengths)`` axes, as ``jax.lax.fft``.

    ``fft_lengths`` are the lengths of the transformed axes of the real side:
    the input's trailing shape for ``fft``/``ifft``/``rfft``, the output's for
    ``irfft`` (whose input's last axis has ``fft_lengths[-1] // 2 + 1``
    entries).

    >>> import numpy as np
    >>> fft(np.array([1.0, 2.0, 3.0, 4.0]), "rfft", (4,))
    array([10.+0.j, -2.+2.j, -2.+0.j])
    >>> fft(np.array([10.0, -2 + 2j, -2.0]), "irfft", (4,))
    array([1., 2., 3., 4.])
    """
    name = str(fft_type).lower().rpartition(".")[2]  # also "FftType.RFFT"
    if name not in FFT_TYPES:
        raise ValueError(f"fft: fft_type must be one of {FFT_TYPES}, got {fft_type!r}")
    if np.ndim(fft_lengths) == 0:
        fft_lengths = (fft_lengths,)
    lengths = tuple(int(n) for n in fft_lengths)
    return fft_p.bind(x, fft_type=name, fft_lengths=lengths)


def _out_dtype(dtype, fft_type):
    if fft_type == "rfft":
        return _COMPLEX_OF[np.dtype(dtype)]
    if fft_type == "irfft":
        return _REAL_OF[np.dtype(dtype)]
    return np.dtype(dtype)


def _trailing(ndim, fft_lengths) -> tuple:
    return tuple(range(ndim - len(fft_lengths), ndim))


@fft_p.def_impl
def _fft_impl(x, fft_type, fft_lengths):
    x = np.asarray(x)
    axes = _trailing(x.ndim, fft_lengths)
    if fft_type == "irfft":
        out = np.fft.irfftn(x, s=fft_lengths, axes=axes)
    else:
        out = _NUMPY_FN[fft_type](x, axes=axes)
    return out.astype(_out_dtype(x.dtype, fft_type), copy=False)


@fft_p.def_emit
def _fft_emit(ctx, out_names, in_exprs, fft_type, fft_lengths):
    aval = ctx.in_avals[0]
    axes = _trailing(aval.ndim, fft_lengths)
    s = f"s={fft_lengths}, " if fft_type == "irfft" else ""
    out = _out_dtype(aval.dtype, fft_type).name
    return (f"{out_names[0]} = np.fft.{fft_type}n({in_exprs[0]}, {s}axes={axes})"
            f".astype(np.{out}, copy=False)")


_fft_emit.fresh = True  # a new array, never a view


@fft_p.def_cost
def _fft_cost(x, fft_type, fft_lengths):
    # the usual convention: 5 N log2 N flops for a complex transform of N
    # points, half that for a real one; times the number of transforms
    n = math.prod(fft_lengths)
    batch = math.prod(x.shape[:x.ndim - len(fft_lengths)])
    flops = 5 * n * math.log2(n) if n > 1 else 0
    if fft_type in ("rfft", "irfft"):
        flops /= 2
    return dict(flops=int(round(batch * flops)), transcendentals=0)


@fft_p.def_abstract_eval
def _fft_abstract_eval(x, fft_type, fft_lengths):
    def fail(why, error=TypeError):
        raise error(f"fft: {why}; got an operand {x.str_short()} with "
                    f"fft_type={fft_type!r} and fft_lengths={fft_lengths}")

    if fft_type not in FFT_TYPES:
        fail(f"fft_type must be one of {FFT_TYPES}", ValueError)
    k = len(fft_lengths)
    if k == 0 or k > x.ndim:
        fail(f"fft_lengths must name between 1 and {x.ndim} (the rank) trailing axes",
             ValueError)
    if any(n < 1 for n in fft_lengths):
        fail("every fft length must be at least 1", ValueError)
    if fft_type == "rfft":
        if x.dtype not in _COMPLEX_OF:
            fail("rfft needs a real float32 or float64 operand (convert it with "
                 "x.astype(float); use fft_type='fft' for complex input)")
    elif x.dtype not in _REAL_OF:
        fail(f"{fft_type} needs a complex64 or complex128 operand (convert it "
             "with x.astype(complex))")
    trailing = tuple(x.shape[x.ndim - k:])
    if fft_type == "irfft":
        want = fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)
        if trailing != want:
            fail(f"irfft's operand must end in the axes {want} (the half spectrum "
                 f"of lengths {fft_lengths})", ValueError)
        shape = x.shape[:x.ndim - k] + fft_lengths
    else:
        if trailing != fft_lengths:
            fail(f"the operand's trailing axes {trailing} must equal fft_lengths",
                 ValueError)
        shape = x.shape
        if fft_type == "rfft":
            shape = shape[:-1] + (fft_lengths[-1] // 2 + 1,)
    return ShapedArray(shape, _out_dtype(x.dtype, fft_type))


def_linear(fft_p)


def _reverse_mod(x, axes):
    """``x[..., -j mod N, ...]`` along each of ``axes``: entry 0 stays, the
    others are reversed."""
    for a in axes:
        shape = get_aval(x).shape
        n, nd = shape[a], len(shape)
        if n < 2:
            continue
        head = slice_(x, (0,) * nd, shape[:a] + (1,) + shape[a + 1:])
        tail = slice_(x, tuple(1 if i == a else 0 for i in range(nd)), shape)
        x = concatenate([head, rev(tail, (a,))], a)
    return x


def _half_weights(aval, fft_lengths, scale, power):
    """``scale * m_k ** power`` along the last axis of the half spectrum
    ``aval``, broadcast to its shape, where ``m_k`` is the multiplicity of
    column ``k`` in the full spectrum (1 at 0 and at ``N/2``, else 2)."""
    m = np.full(aval.shape[-1], 2.0)
    m[0] = 1.0
    if fft_lengths[-1] % 2 == 0:
        m[-1] = 1.0
    w = (scale * m ** power).astype(aval.dtype)
    return broadcast_in_dim(w, aval.shape, (aval.ndim - 1,))


@fft_p.def_transpose
def _fft_transpose(ct, x, fft_type, fft_lengths):
    if fft_type in ("fft", "ifft"):  # symmetric matrices
        return [fft(ct, fft_type, fft_lengths)]
    n = math.prod(fft_lengths)
    axes = _trailing(get_aval(ct).ndim, fft_lengths)
    if fft_type == "rfft":  # ct: half spectrum -> real array of x's shape
        scaled = mul(ct, _half_weights(get_aval(ct), fft_lengths, n, -1))
        return [_reverse_mod(fft(scaled, "irfft", fft_lengths), axes)]
    # irfft: ct real of the full trailing shape -> half spectrum
    spectrum = fft(_reverse_mod(ct, axes), "rfft", fft_lengths)
    return [mul(spectrum, _half_weights(get_aval(spectrum), fft_lengths, 1 / n, 1))]


@fft_p.def_batch
def _fft_batch(axis_size, args, dims, fft_type, fft_lengths):
    (x,), (d,) = args, dims
    if d >= get_aval(x).ndim - len(fft_lengths):  # a transformed axis: to the front
        x, d = move_axis(x, d, 0), 0
    return fft_p.bind(x, fft_type=fft_type, fft_lengths=fft_lengths), d


__all__ = exports(globals())  # the public functions above: ftrans.lax exports them
