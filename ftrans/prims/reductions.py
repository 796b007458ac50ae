"""Reductions: sums, maxima, minima, products, arg-reductions, cumulative sums.

``axes`` are static, normalized (non-negative, sorted) tuples.
"""

from __future__ import annotations

import numpy as np

from ftrans.ad_util import Zero
from ftrans.core import Primitive, ShapedArray
from ftrans.prims._families import def_linear

__all__ = ["reduce_sum", "reduce_max", "reduce_min"]


def _reduced_aval(name, x: ShapedArray, axes, dtype=None) -> ShapedArray:
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise TypeError(f"{name}: axes {axes} are invalid for {x.str_short()}")
    return ShapedArray([s for i, s in enumerate(x.shape) if i not in axes],
                       dtype or x.dtype)


def _keep_dims(x_shape, axes):
    """Where the kept axes of a reduction go when broadcasting back."""
    return tuple(i for i in range(len(x_shape)) if i not in axes)


reduce_sum_p = Primitive("reduce_sum")
def reduce_sum(x, axes): return reduce_sum_p.bind(x, axes=tuple(axes))
reduce_sum_p.def_impl(lambda x, axes: np.sum(x, axis=axes, dtype=x.dtype))
reduce_sum_p.def_abstract_eval(lambda x, axes: _reduced_aval("reduce_sum", x, axes))
def_linear(reduce_sum_p)


@reduce_sum_p.def_transpose
def _reduce_sum_transpose(ct, x, axes):
    from ftrans.prims.shape import broadcast_in_dim
    return [broadcast_in_dim(ct, x.aval.shape, _keep_dims(x.aval.shape, axes))]


def _extremum_jvp(prim):
    """Ties share the tangent evenly, as JAX: t = sum(x_dot * mask) / count."""
    from ftrans.prims.elementwise import convert_element_type, div, eq, mul
    from ftrans.prims.shape import broadcast_in_dim

    def jvp(primals, tangents, axes):
        (x,), (x_dot,) = primals, tangents
        out = prim.bind(x, axes=axes)
        keep = _keep_dims(x.shape, axes)
        mask = convert_element_type(eq(x, broadcast_in_dim(out, x.shape, keep)),
                                    new_dtype=x.dtype)
        count = reduce_sum(mask, axes)
        return out, div(reduce_sum(mul(x_dot, mask), axes), count)
    prim.def_jvp(jvp)


reduce_max_p = Primitive("reduce_max")
def reduce_max(x, axes): return reduce_max_p.bind(x, axes=tuple(axes))
reduce_max_p.def_impl(lambda x, axes: np.max(x, axis=axes))
reduce_max_p.def_abstract_eval(lambda x, axes: _reduced_aval("reduce_max", x, axes))
_extremum_jvp(reduce_max_p)

reduce_min_p = Primitive("reduce_min")
def reduce_min(x, axes): return reduce_min_p.bind(x, axes=tuple(axes))
reduce_min_p.def_impl(lambda x, axes: np.min(x, axis=axes))
reduce_min_p.def_abstract_eval(lambda x, axes: _reduced_aval("reduce_min", x, axes))
_extremum_jvp(reduce_min_p)
