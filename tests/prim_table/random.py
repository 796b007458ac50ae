"""Rows of the primitive table for ftrans/prims/random.py.

The reference is Threefry-2x32 written again on Python integers, one block at
a time (a different road from the primitive's vectorized uint32 numpy); its
known-answer vectors are checked in tests/test_random.py.
"""

import numpy as np

from ftrans import lax
from tests.prim_table import Case

_MASK = 0xFFFFFFFF
_R = (13, 15, 26, 6, 17, 29, 16, 24)


def _block(k0, k1, x0, x1):
    ks = (k0, k1, k0 ^ k1 ^ 0x1BD11BDA)
    x0, x1 = (x0 + k0) & _MASK, (x1 + k1) & _MASK
    for r in range(20):
        x0 = (x0 + x1) & _MASK
        rot = _R[r % 8]
        x1 = (((x1 << rot) | (x1 >> (32 - rot))) & _MASK) ^ x0
        if r % 4 == 3:
            j = r // 4 + 1
            x0 = (x0 + ks[j % 3]) & _MASK
            x1 = (x1 + ks[(j + 1) % 3] + j) & _MASK
    return x0, x1


def _threefry_ref(k0, k1, x0, x1):
    k0, k1, x0, x1 = np.broadcast_arrays(k0, k1, x0, x1)
    out = [_block(*map(int, t)) for t in zip(k0.ravel(), k1.ravel(), x0.ravel(), x1.ravel())]
    y0 = np.array([o[0] for o in out], np.uint32).reshape(k0.shape)
    y1 = np.array([o[1] for o in out], np.uint32).reshape(k0.shape)
    return y0, y1


def _words(rng, shape):
    return rng.integers(0, 2 ** 32, shape, dtype=np.uint64)


_U32 = (np.uint32,) * 4

CASES = [
    Case("threefry2x32", lax.threefry2x32, ((), (), (4,), (4,)), ref=_threefry_ref,
         domain=_words, dtypes=_U32, order=0),
    Case("threefry2x32", lax.threefry2x32, ((2, 3),) * 4, ref=_threefry_ref,
         domain=_words, dtypes=_U32, order=0, name="all_batched"),
    Case("threefry2x32", lax.threefry2x32, ((),) * 4, ref=_threefry_ref,
         domain=_words, dtypes=_U32, order=0, name="scalar"),
]
