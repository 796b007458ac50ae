"""Rows of the primitive table for ftrans/prims/sorting.py."""

import numpy as np

from ftrans import lax
from tests.prim_table import Case, distinct, integers, normal


def _sorted(rng, shape):
    return np.sort(rng.standard_normal(shape))


def _sorted_ints(rng, shape):
    """Sorted, with repeated entries (where side='left' and 'right' differ)."""
    return np.sort(rng.integers(-3, 4, shape))


def _with_nans(rng, shape):
    """Small integers (ties with the sorted array), some NaN and infinite."""
    x = rng.integers(-3, 4, shape).astype(float)
    flat = x.reshape(-1)
    flat[: max(flat.size // 4, 1)] = np.nan
    flat[-1] = np.inf
    return rng.permutation(flat).reshape(shape)


def _sorted_with_nans(rng, shape):
    return np.sort(_with_nans(rng, shape))


def _stable_descending(x, axis):
    """A descending stable argsort by a different road: ascending on -x."""
    return np.argsort(-x, axis=axis, kind="stable")


CASES = [
    # argsort
    Case("argsort", lambda x: lax.argsort(x, 1), ((3, 5),),
         ref=lambda x: np.argsort(x, 1), domain=distinct, order=0),
    Case("argsort", lambda x: lax.argsort(x, 0, descending=True), ((5, 3),),
         ref=lambda x: np.argsort(x, 0)[::-1], domain=distinct, order=0,
         name="descending"),
    Case("argsort", lambda x: lax.argsort(lax.floor(x), -1), ((2, 9),),
         ref=lambda x: np.argsort(np.floor(x), 1, kind="stable"), order=0,
         name="ties_stable"),
    Case("argsort", lambda x: lax.argsort(lax.floor(x), 0, True, np.int32), ((9, 2),),
         ref=lambda x: _stable_descending(np.floor(x), 0).astype(np.int32), order=0,
         name="ties_stable_descending"),
    Case("argsort", lambda x: lax.argsort(x, 1, True), ((3, 7),),
         ref=lambda x: _stable_descending(x, 1), dtypes=(np.int64,), domain=integers,
         order=0, name="int"),
    # searchsorted
    Case("searchsorted", lambda a, v: lax.searchsorted(a, v), ((6,), (2, 3)),
         ref=np.searchsorted, domain=(_sorted, lambda rng, s: 2 * rng.standard_normal(s)),
         order=0),
    Case("searchsorted", lambda a, v: lax.searchsorted(a, v, "left"), ((8,), (7,)),
         ref=lambda a, v: np.searchsorted(a, v, "left"), domain=(_sorted_ints, integers),
         dtypes=(np.int64, np.int64), order=0, name="ties_left"),
    Case("searchsorted", lambda a, v: lax.searchsorted(a, v, "right", np.int32),
         ((8,), (7,)), ref=lambda a, v: np.searchsorted(a, v, "right").astype(np.int32),
         domain=(_sorted_ints, integers), dtypes=(np.int64, np.int64), order=0,
         name="ties_right"),
    # batched sorted arrays are searched by a batch rule of its own: NaNs (which
    # numpy sorts last), a rank-0 value, sizes 1 and 0
    *[Case("searchsorted", lambda a, v, side=side: lax.searchsorted(a, v, side),
           ((7,), (2, 4)), ref=lambda a, v, side=side: np.searchsorted(a, v, side),
           domain=(_sorted_with_nans, _with_nans), order=0, name=f"nans_{side}")
      for side in ("left", "right")],
    Case("searchsorted", lambda a, v: lax.searchsorted(a, v, "right"), ((5,), ()),
         ref=lambda a, v: np.searchsorted(a, v, "right"), domain=(_sorted_ints, integers),
         order=0, name="scalar_value"),
    Case("searchsorted", lax.searchsorted, ((1,), (4,)), ref=np.searchsorted,
         domain=(_sorted, normal), order=0, name="size1"),
    Case("searchsorted", lax.searchsorted, ((0,), (4,)), ref=np.searchsorted,
         order=0, name="empty"),
    # a rank-3 operand: the batch axis lands before, at and after the sorted axis
    Case("argsort", lambda x: lax.argsort(x, 1), ((3, 4, 5),),
         ref=lambda x: np.argsort(x, 1), domain=distinct, order=0, name="rank3"),
]
