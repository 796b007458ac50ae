"""Rows of the primitive table for ftrans/prims/shape.py.

Primitives jointly linear in several operands (concatenate, pad,
dynamic_update_slice, scatter_add, scatter) list all of them in
``linear_args``: the adjointness check transposes one at a time with the
others fixed. Index operands are either closed over as fixed arrays or passed
as int64 arguments with an integer domain of their own.
"""

import numpy as np

from ftrans import lax
from tests.prim_table import Case, away_from_zero, distinct, normal

F, I, I32 = np.float64, np.int64, np.int32


def _ints(lo, hi):
    """Integers in [lo, hi): indices, or starts that need clamping."""
    return lambda rng, shape: rng.integers(lo, hi, shape)


# --- numpy references written independently of the impls ----------------------

def _ref_pad(x, v, config):
    """Pad one axis at a time: output position o reads x[(o - lo) / (interior + 1)]
    when that is a whole number in range, else the padding value."""
    x = np.asarray(x)
    for axis, (lo, hi, interior) in enumerate(config):
        n = x.shape[axis]
        size = lo + hi + n + max(n - 1, 0) * interior
        src = np.arange(size) - lo
        hit = (src >= 0) & (src % (interior + 1) == 0) & (src // (interior + 1) < n)
        slot = np.where(hit, src // (interior + 1), n)  # slot n holds the padding
        fill_shape = list(x.shape)
        fill_shape[axis] = 1
        ext = np.concatenate([x, np.full(fill_shape, v, x.dtype)], axis=axis)
        x = np.take(ext, slot, axis=axis)
    return x


def _ref_scatter(op, x, idx, u, axis):
    """Apply the updates one at a time, in order, with ``op(old, new)``."""
    out = np.array(x, copy=True)
    u = np.moveaxis(np.asarray(u), list(range(axis, axis + idx.ndim)),
                    list(range(idx.ndim)))
    moved = np.moveaxis(out, axis, 0)  # a view: writes go to out
    for pos in np.ndindex(idx.shape):
        i = idx[pos]
        moved[i] = op(moved[i], u[pos])
    return out


def _with_zeros_at(positions):
    """Away from zero, except exact zeros at ``positions``."""
    def sample(rng, shape):
        x = away_from_zero(rng, shape)
        for p in positions:
            x[p] = 0.0
        return x
    return sample


def _set(old, new):
    return new


def _ref_dynamic_slice(x, starts, sizes):
    begin = [min(max(int(s), 0), n - k) for s, n, k in zip(starts, x.shape, sizes)]
    return x[tuple(slice(b, b + k) for b, k in zip(begin, sizes))]


def _ref_dynamic_update_slice(x, u, starts):
    out = np.array(x, copy=True)
    begin = [min(max(int(s), 0), n - k) for s, n, k in zip(starts, x.shape, u.shape)]
    out[tuple(slice(b, b + k) for b, k in zip(begin, u.shape))] = u
    return out


PAD = ((1, 2, 0), (0, 1, 2))
PAD_NEG = ((-1, 2, 1), (2, -3, 0))
DUP = np.array([0, 2, 0, 4])             # repeated index 0
IDX2 = np.array([[0, 4], [4, 1], [3, 3]])  # 2-D, repeated 4 and 3
STARTS = _ints(-2, 8)                    # out of range on both sides: clamped

CASES = [
    # broadcast_in_dim
    Case("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3, 4), (1,)),
         ((3,),), ref=lambda x: np.broadcast_to(x[None, :, None], (2, 3, 4)),
         linear_args=(0,)),
    Case("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3, 4), (1, 2)),
         ((3, 1),), ref=lambda x: np.broadcast_to(x[None], (2, 3, 4)),
         linear_args=(0,), name="stretch"),
    Case("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3), ()),
         ((),), ref=lambda x: np.full((2, 3), x), linear_args=(0,), name="scalar"),
    # reshape, transpose, squeeze, expand_dims, rev
    Case("reshape", lambda x: lax.reshape(x, (2, 6)), ((3, 4),),
         ref=lambda x: x.reshape(2, 6), linear_args=(0,)),
    Case("reshape", lambda x: lax.reshape(x, ()), ((1, 1),),
         ref=lambda x: x.reshape(()), linear_args=(0,), name="to_scalar"),
    Case("transpose", lambda x: lax.transpose(x, (2, 0, 1)), ((2, 3, 4),),
         ref=lambda x: x.transpose(2, 0, 1), linear_args=(0,)),
    Case("squeeze", lambda x: lax.squeeze(x, (0, -1)), ((1, 3, 1),),
         ref=lambda x: x[0, :, 0], linear_args=(0,)),
    Case("expand_dims", lambda x: lax.expand_dims(x, (0, 2)), ((3, 4),),
         ref=lambda x: x[None, :, None], linear_args=(0,)),
    Case("rev", lambda x: lax.rev(x, (0, 1)), ((3, 4),), ref=lambda x: x[::-1, ::-1],
         linear_args=(0,)),
    Case("rev", lambda x: lax.rev(x, (-1,)), ((3, 4),), ref=lambda x: x[:, ::-1],
         linear_args=(0,), name="last"),
    # concatenate
    Case("concatenate", lambda a, b, c: lax.concatenate([a, b, c], 0),
         ((2, 3), (1, 3), (4, 3)), ref=lambda a, b, c: np.concatenate([a, b, c], 0),
         linear_args=(0, 1, 2)),
    Case("concatenate", lambda a, b: lax.concatenate([a, b], -1), ((3, 1), (3, 4)),
         ref=lambda a, b: np.concatenate([a, b], 1), linear_args=(0, 1),
         name="last_axis"),
    Case("concatenate", lambda a: lax.concatenate([a, lax.neg(a)], 1), ((3, 2),),
         ref=lambda a: np.concatenate([a, -a], 1), linear_args=(0,), name="fan_out"),
    # pad
    Case("pad", lambda x, v: lax.pad(x, v, PAD), ((3, 4), ()),
         ref=lambda x, v: _ref_pad(x, v, PAD), linear_args=(0, 1)),
    Case("pad", lambda x, v: lax.pad(x, v, PAD_NEG), ((3, 4), ()),
         ref=lambda x, v: _ref_pad(x, v, PAD_NEG), linear_args=(0, 1), name="negative"),
    Case("pad", lambda x: lax.pad(x, 0.0, ((0, 0, 3),)), ((1,),),
         ref=lambda x: x, linear_args=(0,), name="interior_of_one"),
    # slice
    Case("slice", lambda x: lax.slice(x, (1, 0), (4, 6)), ((5, 6),),
         ref=lambda x: x[1:4, 0:6], linear_args=(0,)),
    Case("slice", lambda x: lax.slice(x, (1, 0), (5, 6), (2, 4)), ((6, 6),),
         ref=lambda x: x[1:5:2, 0:6:4], linear_args=(0,), name="strided"),
    Case("slice", lambda x: lax.slice(x, (2,), (2,)), ((4,),),
         ref=lambda x: x[2:2], linear_args=(0,), name="empty"),
    # dynamic_slice
    Case("dynamic_slice", lambda x: lax.dynamic_slice(x, [1, 2], (2, 3)), ((5, 6),),
         ref=lambda x: x[1:3, 2:5], linear_args=(0,)),
    Case("dynamic_slice", lambda x: lax.dynamic_slice(x, [4, -1], (3, 2)), ((5, 6),),
         ref=lambda x: x[2:5, 0:2], linear_args=(0,), name="clamped"),
    Case("dynamic_slice", lambda x, i, j: lax.dynamic_slice(x, [i, j], (2, 3)),
         ((5, 6), (), ()), ref=lambda x, i, j: _ref_dynamic_slice(x, (i, j), (2, 3)),
         domain=(normal, STARTS, STARTS), dtypes=(F, I, I), linear_args=(0,),
         name="traced_starts"),
    # one start traced, one fixed, on a 3-d operand
    Case("dynamic_slice", lambda x, i, j: lax.dynamic_slice(x, [i, 1, j], (2, 3, 2)),
         ((4, 5, 3), (), ()),
         ref=lambda x, i, j: _ref_dynamic_slice(x, (i, 1, j), (2, 3, 2)),
         domain=(normal, STARTS, STARTS), dtypes=(F, I, I32), linear_args=(0,),
         name="traced_mixed_3d"),
    # dynamic_update_slice
    Case("dynamic_update_slice", lambda x, u: lax.dynamic_update_slice(x, u, [1, 5]),
         ((5, 6), (2, 3)), ref=lambda x, u: _ref_dynamic_update_slice(x, u, (1, 5)),
         linear_args=(0, 1)),
    Case("dynamic_update_slice",
         lambda x, u, i, j: lax.dynamic_update_slice(x, u, [i, j]),
         ((5, 6), (2, 3), (), ()), domain=(normal, normal, STARTS, STARTS),
         ref=lambda x, u, i, j: _ref_dynamic_update_slice(x, u, (i, j)),
         dtypes=(F, F, I, I), linear_args=(0, 1), name="traced_starts"),
    Case("dynamic_update_slice", lambda x, u, i: lax.dynamic_update_slice(x, u, [2, i]),
         ((4, 5), (2, 3), ()), domain=(normal, normal, STARTS),
         ref=lambda x, u, i: _ref_dynamic_update_slice(x, u, (2, i)),
         dtypes=(F, F, I32), linear_args=(0, 1), name="traced_mixed"),
    # gather
    Case("gather", lambda x: lax.gather(x, DUP, 0), ((5, 3),),
         ref=lambda x: x[DUP], linear_args=(0,)),
    Case("gather", lambda x: lax.gather(x, IDX2, 1), ((2, 5, 3),),
         ref=lambda x: x[:, IDX2], linear_args=(0,), name="2d_indices_axis1"),
    Case("gather", lambda x: lax.gather(x, np.array(3), -1), ((2, 5),),
         ref=lambda x: x[:, 3], linear_args=(0,), name="scalar_index"),
    Case("gather", lambda x, i: lax.gather(x, i, 0), ((5, 3), (2, 3)),
         ref=lambda x, i: np.take(x, i, axis=0), domain=(normal, _ints(0, 5)),
         dtypes=(F, I), linear_args=(0,), name="traced_indices"),
    # out-of-range indices are clipped (per example, under vmap)
    Case("gather", lambda x, i: lax.gather(x, i, 1), ((2, 4, 3), (3,)),
         ref=lambda x, i: np.take(x, i, axis=1, mode="clip"),
         domain=(normal, _ints(-2, 7)), dtypes=(F, I32), linear_args=(0,),
         name="traced_clipped_axis1"),
    Case("gather", lambda x, i: lax.gather(x, i, -1), ((4, 3), ()),
         ref=lambda x, i: np.take(x, i, axis=1), domain=(normal, _ints(0, 3)),
         dtypes=(F, I), linear_args=(0,), name="traced_scalar_index"),
    # scatter_add
    Case("scatter_add", lambda x, u: lax.scatter_add(x, DUP, u, 0), ((5, 3), (4, 3)),
         ref=lambda x, u: _ref_scatter(np.add, x, DUP, u, 0), linear_args=(0, 1)),
    Case("scatter_add", lambda x, u: lax.scatter_add(x, IDX2, u, 1),
         ((2, 5), (2, 3, 2)), ref=lambda x, u: _ref_scatter(np.add, x, IDX2, u, 1),
         linear_args=(0, 1), name="2d_indices_axis1"),
    Case("scatter_add", lambda x, i, u: lax.scatter_add(x, i, u, 0),
         ((5, 3), (2, 2), (2, 2, 3)), domain=(normal, _ints(0, 5), normal),
         ref=lambda x, i, u: _ref_scatter(np.add, x, i, u, 0), dtypes=(F, I, F),
         linear_args=(0, 2), name="traced_indices"),
    Case("scatter_add", lambda x, i, u: lax.scatter_add(x, i, u, 1),
         ((3, 4, 2), (2, 2), (3, 2, 2, 2)), domain=(normal, _ints(-2, 6), normal),
         ref=lambda x, i, u: _ref_scatter(np.add, x, np.clip(i, 0, 3), u, 1),
         dtypes=(F, I32, F), linear_args=(0, 2), name="traced_clipped_axis1"),
    Case("scatter_add", lambda x, u: lax.scatter_add(x, np.array(2), u, 0),
         ((4, 3), (3,)), ref=lambda x, u: _ref_scatter(np.add, x, np.array(2), u, 0),
         linear_args=(0, 1), name="scalar_index"),
    # scatter (set; of repeated indices the last update wins)
    Case("scatter", lambda x, u: lax.scatter(x, DUP, u, 0), ((5, 3), (4, 3)),
         ref=lambda x, u: _ref_scatter(_set, x, DUP, u, 0), linear_args=(0, 1)),
    Case("scatter", lambda x, u: lax.scatter(x, IDX2, u, 1), ((2, 5), (2, 3, 2)),
         ref=lambda x, u: _ref_scatter(_set, x, IDX2, u, 1), linear_args=(0, 1),
         name="2d_indices_axis1"),
    Case("scatter", lambda x, i, u: lax.scatter(x, i, u, 0),
         ((5, 3), (2, 2), (2, 2, 3)), domain=(normal, _ints(0, 5), normal),
         ref=lambda x, i, u: _ref_scatter(_set, x, i, u, 0), dtypes=(F, I, F),
         linear_args=(0, 2), name="traced_indices"),
    Case("scatter", lambda x, i, u: lax.scatter(x, i, u, 1),
         ((3, 4, 2), (2, 2), (3, 2, 2, 2)), domain=(normal, _ints(-2, 6), normal),
         ref=lambda x, i, u: _ref_scatter(_set, x, np.clip(i, 0, 3), u, 1),
         dtypes=(F, I32, F), linear_args=(0, 2), name="traced_clipped_axis1"),
    Case("scatter", lambda x, u: lax.scatter(x, np.array(2), u, 0),
         ((4, 3), (3,)), ref=lambda x, u: _ref_scatter(_set, x, np.array(2), u, 0),
         linear_args=(0, 1), name="scalar_index"),
    # scatter_mul, scatter_min, scatter_max
    Case("scatter_mul", lambda x, u: lax.scatter_mul(x, DUP, u, 0), ((5, 3), (4, 3)),
         ref=lambda x, u: _ref_scatter(np.multiply, x, DUP, u, 0),
         domain=away_from_zero),
    Case("scatter_mul", lambda x, u: lax.scatter_mul(x, IDX2, u, 1),
         ((2, 5), (2, 3, 2)), ref=lambda x, u: _ref_scatter(np.multiply, x, IDX2, u, 1),
         domain=away_from_zero, name="2d_indices_axis1"),
    # exact zeros, one sharing entry 0 with a nonzero update: first order only
    # (the documented limitation of the second derivative)
    Case("scatter_mul", lambda x, u: lax.scatter_mul(x, DUP, u, 0), ((5, 3), (4, 3)),
         ref=lambda x, u: _ref_scatter(np.multiply, x, DUP, u, 0),
         domain=(away_from_zero, _with_zeros_at([(0, 1), (1, 2), (3, 0)])),
         order=1, name="zero_updates"),
    Case("scatter_mul", lambda x, i, u: lax.scatter_mul(x, i, u, 1),
         ((2, 4), (3,), (2, 3)), domain=(away_from_zero, _ints(-1, 5), away_from_zero),
         ref=lambda x, i, u: _ref_scatter(np.multiply, x, np.clip(i, 0, 3), u, 1),
         dtypes=(F, I, F), name="traced_indices"),
    Case("scatter_min", lambda x, u: lax.scatter_min(x, DUP, u, 0), ((5, 3), (4, 3)),
         ref=lambda x, u: _ref_scatter(np.minimum, x, DUP, u, 0), domain=distinct),
    Case("scatter_min", lambda x, u: lax.scatter_min(x, IDX2, u, 1),
         ((2, 5), (2, 3, 2)), ref=lambda x, u: _ref_scatter(np.minimum, x, IDX2, u, 1),
         domain=distinct, name="2d_indices_axis1"),
    Case("scatter_min", lambda x, i, u: lax.scatter_min(x, i, u, 0),
         ((4, 2), (3,), (3, 2)), domain=(distinct, _ints(-1, 5), distinct),
         ref=lambda x, i, u: _ref_scatter(np.minimum, x, np.clip(i, 0, 3), u, 0),
         dtypes=(F, I, F), name="traced_indices"),
    Case("scatter_max", lambda x, u: lax.scatter_max(x, DUP, u, 0), ((5, 3), (4, 3)),
         ref=lambda x, u: _ref_scatter(np.maximum, x, DUP, u, 0), domain=distinct),
    Case("scatter_max", lambda x, u: lax.scatter_max(x, IDX2, u, 1),
         ((2, 5), (2, 3, 2)), ref=lambda x, u: _ref_scatter(np.maximum, x, IDX2, u, 1),
         domain=distinct, name="2d_indices_axis1"),
    Case("scatter_max", lambda x, i, u: lax.scatter_max(x, i, u, 1),
         ((2, 4), (2, 2), (2, 2, 2)), domain=(distinct, _ints(-1, 5), distinct),
         ref=lambda x, i, u: _ref_scatter(np.maximum, x, np.clip(i, 0, 3), u, 1),
         dtypes=(F, I, F), name="traced_indices"),
    # iota
    Case("iota", lambda: lax.iota(np.int64, (3, 4), 1), (),
         ref=lambda: np.tile(np.arange(4), (3, 1)), order=0),
    Case("iota", lambda: lax.iota(np.float64, 5, 0), (),
         ref=lambda: np.arange(5.0), order=0, name="float"),
]

# complex operands (real and imaginary parts sampled independently)
C = np.complex128
CASES += [
    Case("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3, 4), (1,)),
         ((3,),), ref=lambda x: np.broadcast_to(x[None, :, None], (2, 3, 4)),
         linear_args=(0,), dtypes=(C,), name="complex"),
    Case("reshape", lambda x: lax.reshape(x, (2, 6)), ((3, 4),),
         ref=lambda x: x.reshape(2, 6), linear_args=(0,), dtypes=(C,), name="complex"),
    Case("transpose", lambda x: lax.transpose(x, (2, 0, 1)), ((2, 3, 4),),
         ref=lambda x: x.transpose(2, 0, 1), linear_args=(0,), dtypes=(C,),
         name="complex"),
    Case("concatenate", lambda a, b: lax.concatenate([a, b], -1), ((3, 1), (3, 4)),
         ref=lambda a, b: np.concatenate([a, b], 1), linear_args=(0, 1), dtypes=(C, C),
         name="complex"),
    Case("pad", lambda x, v: lax.pad(x, v, PAD), ((3, 4), ()),
         ref=lambda x, v: _ref_pad(x, v, PAD), linear_args=(0, 1), dtypes=(C, C),
         name="complex"),
    Case("slice", lambda x: lax.slice(x, (1, 0), (5, 6), (2, 4)), ((6, 6),),
         ref=lambda x: x[1:5:2, 0:6:4], linear_args=(0,), dtypes=(C,), name="complex"),
    Case("dynamic_slice", lambda x: lax.dynamic_slice(x, [1, 2], (2, 3)), ((5, 6),),
         ref=lambda x: x[1:3, 2:5], linear_args=(0,), dtypes=(C,), name="complex"),
    Case("dynamic_update_slice", lambda x, u: lax.dynamic_update_slice(x, u, [1, 5]),
         ((5, 6), (2, 3)), ref=lambda x, u: _ref_dynamic_update_slice(x, u, (1, 5)),
         linear_args=(0, 1), dtypes=(C, C), name="complex"),
    Case("gather", lambda x: lax.gather(x, DUP, 0), ((5, 3),),
         ref=lambda x: x[DUP], linear_args=(0,), dtypes=(C,), name="complex"),
    Case("rev", lambda x: lax.rev(x, (0, 1)), ((3, 4),), ref=lambda x: x[::-1, ::-1],
         linear_args=(0,), dtypes=(C,), name="complex"),
]
CASES += [
    Case("scatter_add", lambda x, u: lax.scatter_add(x, DUP, u, 0), ((5, 3), (4, 3)),
         ref=lambda x, u: _ref_scatter(np.add, x, DUP, u, 0), linear_args=(0, 1),
         dtypes=(C, C), name="complex"),
    Case("scatter_mul", lambda x, u: lax.scatter_mul(x, DUP, u, 0), ((5, 3), (4, 3)),
         ref=lambda x, u: _ref_scatter(np.multiply, x, DUP, u, 0), dtypes=(C, C),
         name="complex"),
]
