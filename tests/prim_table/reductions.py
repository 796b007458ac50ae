"""Rows of the primitive table for ftrans/prims/reductions.py."""

import numpy as np

from ftrans import lax
from tests.prim_table import Case, away_from_zero, distinct


def _with_zeros(rng, shape):
    """Away from zero except for exact zeros: one in row 0, two in row 1."""
    x = away_from_zero(rng, shape)
    x[0, 1] = 0.0
    x[1, 0] = x[1, 3] = 0.0
    return x


CASES = [
    # reduce_sum
    Case("reduce_sum", lambda x: lax.reduce_sum(x, (0, 2)), ((3, 4, 5),),
         ref=lambda x: x.sum((0, 2)), linear_args=(0,)),
    Case("reduce_sum", lambda x: lax.reduce_sum(x, ()), ((3, 4),),
         ref=lambda x: x, linear_args=(0,), name="no_axes"),
    Case("reduce_sum", lambda x: lax.reduce_sum(x, (0, 1)), ((3, 4),),
         ref=lambda x: x.sum(), linear_args=(0,), name="all"),
    Case("reduce_sum", lambda x: lax.reduce_sum(x, (1,)), ((3, 4, 5),),
         ref=lambda x: x.sum(1), linear_args=(0,), name="middle"),
    Case("reduce_sum", lambda x: lax.reduce_sum(x, (0,)), ((3, 4),),
         ref=lambda x: x.sum(0).astype(np.int64), dtypes=(np.int64,),
         domain=lambda rng, s: rng.integers(-5, 6, s), order=0, name="i64"),
    # reduce_max, reduce_min
    Case("reduce_max", lambda x: lax.reduce_max(x, (1,)), ((3, 4),),
         ref=lambda x: x.max(1), domain=distinct),
    Case("reduce_max", lambda x: lax.reduce_max(x, (0, 2)), ((3, 2, 4),),
         ref=lambda x: x.max((0, 2)), domain=distinct, name="two_axes"),
    Case("reduce_min", lambda x: lax.reduce_min(x, (0,)), ((3, 4),),
         ref=lambda x: x.min(0), domain=distinct),
    Case("reduce_min", lambda x: lax.reduce_min(x, (-1, 0)), ((3, 2, 4),),
         ref=lambda x: x.min((0, 2)), domain=distinct, name="two_axes"),
    # reduce_prod
    Case("reduce_prod", lambda x: lax.reduce_prod(x, (1,)), ((3, 5),),
         ref=lambda x: x.prod(1), domain=away_from_zero),
    Case("reduce_prod", lambda x: lax.reduce_prod(x, (0, 2)), ((3, 2, 3),),
         ref=lambda x: x.prod((0, 2)), domain=away_from_zero, name="two_axes"),
    Case("reduce_prod", lambda x: lax.reduce_prod(x, (1,)), ((3, 4),),
         ref=lambda x: x.prod(1), domain=_with_zeros, name="zeros"),
    Case("reduce_prod", lambda x: lax.reduce_prod(x, ()), ((3,),),
         ref=lambda x: x, name="no_axes"),
    # argmax, argmin
    Case("argmax", lambda x: lax.argmax(x, 1, np.int64), ((3, 4),),
         ref=lambda x: np.argmax(x, 1), domain=distinct, order=0),
    Case("argmax", lambda x: lax.argmax(lax.floor(x), 0, np.int32), ((6, 2),),
         ref=lambda x: np.argmax(np.floor(x), 0).astype(np.int32), order=0,
         name="ties_first"),
    Case("argmin", lambda x: lax.argmin(x, 0, np.int64), ((3, 4),),
         ref=lambda x: np.argmin(x, 0), domain=distinct, order=0),
    Case("argmin", lambda x: lax.argmin(lax.floor(x), -1, np.int32), ((2, 6),),
         ref=lambda x: np.argmin(np.floor(x), 1).astype(np.int32), order=0,
         name="ties_first"),
    Case("argmax", lambda x: lax.argmax(x, 1, np.int32), ((3, 4, 5),),
         ref=lambda x: np.argmax(x, 1).astype(np.int32), domain=distinct, order=0,
         name="rank3"),
    Case("argmin", lambda x: lax.argmin(x, 2, np.int64), ((3, 4, 5),),
         ref=lambda x: np.argmin(x, 2), domain=distinct, order=0, name="rank3_last"),
    # cumsum
    Case("cumsum", lambda x: lax.cumsum(x, 1), ((3, 4),),
         ref=lambda x: np.cumsum(x, 1), linear_args=(0,)),
    Case("cumsum", lambda x: lax.cumsum(x, 0, reverse=True), ((4, 3),),
         ref=lambda x: np.cumsum(x[::-1], 0)[::-1], linear_args=(0,), name="reverse"),
    Case("cumsum", lambda x: lax.cumsum(x, 1, reverse=True), ((3, 4, 5),),
         ref=lambda x: np.cumsum(x[:, ::-1], 1)[:, ::-1], linear_args=(0,), name="rank3"),
    # cumprod, cummax, cummin
    Case("cumprod", lambda x: lax.cumprod(x, 1), ((3, 5),),
         ref=lambda x: np.cumprod(x, 1), domain=away_from_zero),
    Case("cumprod", lambda x: lax.cumprod(x, 1, reverse=True), ((3, 4),),
         ref=lambda x: np.cumprod(x[:, ::-1], 1)[:, ::-1], domain=_with_zeros,
         name="zeros_reverse"),
    Case("cummax", lambda x: lax.cummax(x, 0), ((6, 2),),
         ref=lambda x: np.maximum.accumulate(x, 0), domain=distinct),
    Case("cummax", lambda x: lax.cummax(x, 1, reverse=True), ((2, 7),),
         ref=lambda x: np.maximum.accumulate(x[:, ::-1], 1)[:, ::-1], domain=distinct,
         name="reverse"),
    Case("cummin", lambda x: lax.cummin(x, -1), ((2, 5),),
         ref=lambda x: np.minimum.accumulate(x, 1), domain=distinct),
    Case("cummin", lambda x: lax.cummin(x, 0, reverse=True), ((5, 3),),
         ref=lambda x: np.minimum.accumulate(x[::-1], 0)[::-1], domain=distinct,
         name="reverse"),
]


# --- ties and degenerate axes (issue 8 §3): products with many zeros (a
# polynomial, smooth everywhere), axes of size 1 (the identity), zero-size axes


def _many_zeros(rng, shape):
    """Row 0 all zeros, row 1 two zeros, row 2 one zero, the rest away from 0."""
    x = away_from_zero(rng, shape)
    x[0] = 0.0
    x[1, :2] = 0.0
    x[2, -1] = 0.0
    return x


CASES += [
    Case("reduce_prod", lambda x: lax.reduce_prod(x, (1,)), ((4, 4),),
         ref=lambda x: x.prod(1), domain=_many_zeros, name="many_zeros"),
    Case("reduce_prod", lambda x: lax.reduce_prod(x, (0, 1)), ((4, 4),),
         ref=lambda x: x.prod(), domain=_many_zeros, name="many_zeros_all"),
    Case("cumprod", lambda x: lax.cumprod(x, 1), ((4, 4),),
         ref=lambda x: np.cumprod(x, 1), domain=_many_zeros, name="many_zeros"),
    Case("reduce_prod", lambda x: lax.reduce_prod(x, (1,)), ((3, 1),),
         ref=lambda x: x.prod(1), name="size1"),
    Case("reduce_max", lambda x: lax.reduce_max(x, (1,)), ((3, 1),),
         ref=lambda x: x.max(1), name="size1"),
    Case("reduce_min", lambda x: lax.reduce_min(x, (0,)), ((1, 3),),
         ref=lambda x: x.min(0), name="size1"),
    Case("cummax", lambda x: lax.cummax(x, 1), ((3, 1),),
         ref=lambda x: np.maximum.accumulate(x, 1), name="size1"),
    Case("cumprod", lambda x: lax.cumprod(x, 1), ((3, 1),),
         ref=lambda x: np.cumprod(x, 1), name="size1"),
    Case("reduce_sum", lambda x: lax.reduce_sum(x, (1,)), ((3, 0),),
         ref=lambda x: x.sum(1), linear_args=(0,), name="zero_size"),
    Case("reduce_prod", lambda x: lax.reduce_prod(x, (1,)), ((3, 0),),
         ref=lambda x: x.prod(1), name="zero_size"),
    Case("reduce_prod", lambda x: lax.reduce_prod(x, (0,)), ((0, 2),),
         ref=lambda x: x.prod(0), name="zero_size_axis0"),
    Case("cumsum", lambda x: lax.cumsum(x, 1), ((3, 0),),
         ref=lambda x: np.cumsum(x, 1), linear_args=(0,), name="zero_size"),
    Case("cumprod", lambda x: lax.cumprod(x, 0), ((0, 2),),
         ref=lambda x: np.cumprod(x, 0), name="zero_size"),
]

# complex operands (real and imaginary parts sampled independently)
C128 = np.complex128
CASES += [
    Case("reduce_sum", lambda x: lax.reduce_sum(x, (0, 2)), ((3, 4, 5),),
         ref=lambda x: x.sum((0, 2)), linear_args=(0,), dtypes=(C128,), name="complex"),
    Case("reduce_prod", lambda x: lax.reduce_prod(x, (1,)), ((3, 5),),
         ref=lambda x: np.prod(x, 1), domain=away_from_zero, dtypes=(C128,),
         name="complex"),
    Case("cumsum", lambda x: lax.cumsum(x, 1, reverse=True), ((3, 4),),
         ref=lambda x: np.cumsum(x[:, ::-1], 1)[:, ::-1], linear_args=(0,),
         dtypes=(C128,), name="complex"),
    Case("cumprod", lambda x: lax.cumprod(x, 1), ((3, 4),),
         ref=lambda x: np.cumprod(x, 1), domain=away_from_zero, dtypes=(C128,),
         name="complex"),
    Case("reduce_max", lambda x: lax.reduce_max(x, (1,)), ((3, 4),),
         ref=lambda x: np.max(x, 1), domain=distinct, dtypes=(C128,), name="complex"),
    Case("cummax", lambda x: lax.cummax(x, 1), ((3, 4),),
         ref=lambda x: np.maximum.accumulate(x, 1), domain=distinct, dtypes=(C128,),
         name="complex"),
    Case("cummin", lambda x: lax.cummin(x, 0), ((3, 4),),
         ref=lambda x: np.minimum.accumulate(x, 0), domain=distinct, dtypes=(C128,),
         name="complex"),
]
