"""Structural primitives: broadcasting, reshaping, transposing, slicing,
concatenation, padding, gathers and scatters.

All are linear in their array operands, so each gets its JVP from
``def_linear`` and writes only its transpose.
"""

from __future__ import annotations

import numpy as np

from ftrans.ad_util import is_undefined
from ftrans.core import Primitive, ShapedArray
from ftrans.prims._families import def_linear

__all__ = ["broadcast_in_dim", "reshape", "transpose", "squeeze", "expand_dims",
           "rev", "full"]


def _normalize_axes(axes, ndim, name):
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{name}: axis {a} is out of bounds for an array of "
                             f"rank {ndim}")
        out.append(a % ndim)
    return tuple(out)


# --- broadcast_in_dim ---------------------------------------------------------

broadcast_in_dim_p = Primitive("broadcast_in_dim")


def broadcast_in_dim(x, shape, broadcast_dimensions):
    """Broadcast ``x`` to ``shape``; operand axis i becomes output axis
    ``broadcast_dimensions[i]``."""
    return broadcast_in_dim_p.bind(x, shape=tuple(shape),
                                   broadcast_dimensions=tuple(broadcast_dimensions))


@broadcast_in_dim_p.def_impl
def _broadcast_in_dim_impl(x, shape, broadcast_dimensions):
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for src, dst in enumerate(broadcast_dimensions):
        expanded[dst] = x.shape[src]
    return np.broadcast_to(x.reshape(expanded), shape)


@broadcast_in_dim_p.def_abstract_eval
def _broadcast_in_dim_abstract_eval(x, shape, broadcast_dimensions):
    ok = (len(broadcast_dimensions) == x.ndim
          and all(0 <= d < len(shape) for d in broadcast_dimensions)
          and list(broadcast_dimensions) == sorted(set(broadcast_dimensions))
          and all(x.shape[i] in (1, shape[d])
                  for i, d in enumerate(broadcast_dimensions)))
    if not ok:
        raise TypeError(f"broadcast_in_dim: cannot broadcast {x.str_short()} to "
                        f"shape {shape} with broadcast_dimensions="
                        f"{broadcast_dimensions}")
    return ShapedArray(shape, x.dtype)


def_linear(broadcast_in_dim_p)


@broadcast_in_dim_p.def_transpose
def _broadcast_in_dim_transpose(ct, x, shape, broadcast_dimensions):
    from ftrans.prims.reductions import reduce_sum
    # the transpose of a broadcast is a sum over the broadcast axes
    new_axes = tuple(d for d in range(len(shape)) if d not in broadcast_dimensions)
    stretched = tuple(d for i, d in enumerate(broadcast_dimensions)
                      if x.aval.shape[i] == 1 and shape[d] != 1)
    summed = reduce_sum(ct, axes=tuple(sorted(new_axes + stretched))) \
        if new_axes or stretched else ct
    return [reshape(summed, x.aval.shape)]


def full(shape, value, dtype):
    """An array of ``shape`` filled with ``value`` (a broadcast of a scalar)."""
    return broadcast_in_dim(np.asarray(value, dtype=dtype), shape, ())


# --- reshape, transpose, squeeze, expand_dims, rev --------------------------------

reshape_p = Primitive("reshape")


def reshape(x, new_sizes):
    new_sizes = tuple(int(d) for d in new_sizes)
    if getattr(x, "shape", None) == new_sizes:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes)


reshape_p.def_impl(lambda x, new_sizes: np.reshape(x, new_sizes))


@reshape_p.def_abstract_eval
def _reshape_abstract_eval(x, new_sizes):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size or min(new_sizes, default=0) < 0:
        raise TypeError(f"reshape: cannot reshape {x.str_short()} ({x.size} "
                        f"elements) to shape {new_sizes}")
    return x.update(shape=new_sizes)


def_linear(reshape_p)
reshape_p.def_transpose(lambda ct, x, new_sizes: [reshape(ct, x.aval.shape)])

transpose_p = Primitive("transpose")


def transpose(x, permutation):
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return transpose_p.bind(x, permutation=permutation)


transpose_p.def_impl(lambda x, permutation: np.transpose(x, permutation))


@transpose_p.def_abstract_eval
def _transpose_abstract_eval(x, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose: permutation {permutation} is not a "
                        f"permutation of the axes of {x.str_short()}")
    return x.update(shape=[x.shape[p] for p in permutation])


def_linear(transpose_p)
transpose_p.def_transpose(
    lambda ct, x, permutation: [transpose(ct, np.argsort(permutation))])

squeeze_p = Primitive("squeeze")


def squeeze(x, dimensions):
    return squeeze_p.bind(x, dimensions=tuple(sorted(
        _normalize_axes(dimensions, np.ndim(x) if not hasattr(x, "aval") else x.ndim,
                        "squeeze"))))


squeeze_p.def_impl(lambda x, dimensions: np.squeeze(x, dimensions))


@squeeze_p.def_abstract_eval
def _squeeze_abstract_eval(x, dimensions):
    bad = [d for d in dimensions if not 0 <= d < x.ndim or x.shape[d] != 1]
    if bad:
        raise TypeError(f"squeeze: cannot squeeze axes {bad} of {x.str_short()}: "
                        "they must have size 1")
    return x.update(shape=[s for i, s in enumerate(x.shape) if i not in dimensions])


def_linear(squeeze_p)
squeeze_p.def_transpose(lambda ct, x, dimensions: [reshape(ct, x.aval.shape)])

expand_dims_p = Primitive("expand_dims")


def expand_dims(x, dimensions):
    ndim = np.ndim(x) if not hasattr(x, "aval") else x.ndim
    dims = _normalize_axes(dimensions, ndim + len(dimensions), "expand_dims")
    return expand_dims_p.bind(x, dimensions=tuple(sorted(dims)))


expand_dims_p.def_impl(lambda x, dimensions: np.expand_dims(x, dimensions))


@expand_dims_p.def_abstract_eval
def _expand_dims_abstract_eval(x, dimensions):
    ndim = x.ndim + len(dimensions)
    if len(set(dimensions)) != len(dimensions) or not all(0 <= d < ndim for d in dimensions):
        raise TypeError(f"expand_dims: bad dimensions {dimensions} for {x.str_short()}")
    shape = iter(x.shape)
    return x.update(shape=[1 if i in dimensions else next(shape) for i in range(ndim)])


def_linear(expand_dims_p)
expand_dims_p.def_transpose(lambda ct, x, dimensions: [reshape(ct, x.aval.shape)])

rev_p = Primitive("rev")


def rev(x, dimensions):
    return rev_p.bind(x, dimensions=tuple(dimensions))


rev_p.def_impl(lambda x, dimensions: np.flip(x, dimensions) if dimensions else x)


@rev_p.def_abstract_eval
def _rev_abstract_eval(x, dimensions):
    if not all(0 <= d < x.ndim for d in dimensions):
        raise TypeError(f"rev: dimensions {dimensions} out of range for {x.str_short()}")
    return x


def_linear(rev_p)
rev_p.def_transpose(lambda ct, x, dimensions: [rev(ct, dimensions)])
