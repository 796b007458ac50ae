"""Batching: ``vmap_jaxpr`` turns a jaxpr on one example into a jaxpr on a
batch of examples.

Each input is batched along one axis (``dim``, an int) or not at all
(``None``). The pass re-traces the equations: an equation none of whose inputs
is batched is copied as is (its outputs stay unbatched); otherwise the
primitive's ``batch`` rule is called on tracers,
``rule(axis_size, args, dims, **params) -> (outs, out_dims)``, and emits the
batched computation. Batch dimensions move only when a rule needs them
somewhere else. The pass never calls user code.
"""

from __future__ import annotations

from typing import Sequence

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Jaxpr, ShapedArray, Var
from ftrans.tracing import trace_to_jaxpr
from ftrans.transforms._memo import memoized


def batched_aval(aval: ShapedArray, dim: int | None, axis_size: int) -> ShapedArray:
    """The type of a batch of values of type ``aval``, stacked along ``dim``."""
    if dim is None:
        return aval
    shape = list(aval.shape)
    shape.insert(dim, axis_size)
    return aval.update(shape=tuple(shape))


def batch_eval(jaxpr: Jaxpr, consts, args, dims, axis_size: int):
    """Run ``jaxpr`` on batched ``args`` (batched along ``dims``); returns
    ``(outs, out_dims)``."""
    env = dict(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, args))
    dim_env = {v: d for v, d in zip(jaxpr.invars, dims) if d is not None}

    def read(v):
        return env[v] if type(v) is Var else v.val

    for eqn in jaxpr.eqns:
        prim = eqn.primitive
        ins = [read(v) for v in eqn.inputs]
        in_dims = [dim_env.get(v) if type(v) is Var else None for v in eqn.inputs]
        if all(d is None for d in in_dims):
            outs = prim.bind(*ins, **eqn.params)
            env.update(zip(eqn.outputs, outs if prim.multiple_results else [outs]))
            continue
        outs, out_dims = prim.rule("batch")(axis_size, ins, in_dims, **eqn.params)
        if not prim.multiple_results:
            outs, out_dims = [outs], [out_dims]
        for v, x, d in zip(eqn.outputs, outs, out_dims):
            env[v] = x
            if d is not None:
                dim_env[v] = d
    return ([read(v) for v in jaxpr.outvars],
            [dim_env.get(v) if type(v) is Var else None for v in jaxpr.outvars])


@allow_deep_recursion
@memoized
def vmap_jaxpr(closed: ClosedJaxpr, in_dims: Sequence[int | None], axis_size: int):
    """The batched form of ``closed``: ``(batched closed jaxpr, out_dims)``.

    Input ``i`` of the result is a batch of ``axis_size`` values of input
    ``i`` of ``closed`` stacked along ``in_dims[i]`` (``None``: one value for
    the whole batch); output ``j`` is batched along ``out_dims[j]``.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> closed = ftrans.make_jaxpr(lambda x, y: jnp.sin(x) * y)(1.0, 2.0)
    >>> batched, out_dims = vmap_jaxpr(closed, (0, None), 3)
    >>> [a.str_short() for a in batched.in_avals], out_dims
    (['f64[3]', 'f64[]'], [0])
    """
    in_dims = list(in_dims)
    out_dims: list = []

    def fn(*args):
        outs, dims = batch_eval(closed.jaxpr, closed.consts, args, in_dims, axis_size)
        out_dims.extend(dims)
        return outs

    avals = [batched_aval(a, d, axis_size) for a, d in zip(closed.in_avals, in_dims)]
    batched, _ = trace_to_jaxpr(fn, avals, transform="vmap")
    return batched, out_dims
