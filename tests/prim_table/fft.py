"""Rows of the primitive table for ftrans/prims/fft.py.

One row per FFT type and transformed rank (1-, 2- and 3-D lengths), with odd
and even last lengths (which change the half spectrum's Nyquist column), and
a leading batch axis. ``fft``/``ifft``/``irfft`` take complex operands
(sampled with both parts random); every type is linear in its operand.
"""

import numpy as np

from ftrans import lax
from tests.prim_table import Case


def complex_normal(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _axes(lengths):
    return tuple(range(-len(lengths), 0))


def _row(fft_type, lengths, batch=(2,)):
    half = lengths[:-1] + (lengths[-1] // 2 + 1,)
    shape = batch + (half if fft_type == "irfft" else lengths)
    real_in = fft_type == "rfft"
    axes = _axes(lengths)
    refs = {"fft": lambda x: np.fft.fftn(x, axes=axes),
            "ifft": lambda x: np.fft.ifftn(x, axes=axes),
            "rfft": lambda x: np.fft.rfftn(x, axes=axes),
            "irfft": lambda x: np.fft.irfftn(x, s=lengths, axes=axes)}
    return Case("fft", lambda x: lax.fft(x, fft_type, lengths), (shape,),
                ref=refs[fft_type], domain=None if real_in else complex_normal,
                linear_args=(0,), dtypes=(np.float64 if real_in else np.complex128,),
                name=f"{fft_type}-{'x'.join(map(str, lengths))}")


CASES = [_row(t, lengths) for t in ("fft", "ifft", "rfft", "irfft")
         for lengths in ((5,), (6,), (3, 4), (2, 3, 5))]
CASES += [
    _row("rfft", (1,), batch=()),
    _row("irfft", (2,), batch=()),
    Case("fft", lambda x: lax.fft(x, "rfft", (4, 3)), ((4, 3),),
         ref=lambda x: np.fft.rfft2(x).astype(np.complex64), dtypes=(np.float32,),
         order=0, tol=1e-4, name="rfft-f32"),
]
