"""Forward mode: ``jvp_jaxpr`` turns a jaxpr of ``primals -> outs`` into one of
``(primals, nonzero tangents) -> (outs, out tangents)``.

It re-traces the jaxpr's equations, calling each primitive's JVP rule on
tracers. Tangents known to be zero are the symbolic ``Zero`` and never reach
an equation; an equation none of whose inputs has a tangent is copied as is.
Integer and boolean values have no tangents.
"""

from __future__ import annotations

from typing import Sequence

from ftrans._recursion import allow_deep_recursion
from ftrans.ad_util import Zero, instantiate, is_differentiable
from ftrans.core import ClosedJaxpr, Jaxpr, Var
from ftrans.tracing import trace_to_jaxpr
from ftrans.transforms._memo import memoized


def jvp_eval(jaxpr: Jaxpr, consts, primals, tangents):
    """Run ``jaxpr`` on primals and tangents (tangents may be ``Zero``)."""
    primal_env = dict(zip(jaxpr.constvars, consts))
    primal_env.update(zip(jaxpr.invars, primals))
    tangent_env = {v: t for v, t in zip(jaxpr.invars, tangents) if type(t) is not Zero}

    def read_primal(v):
        return primal_env[v] if type(v) is Var else v.val

    def read_tangent(v):
        t = tangent_env.get(v) if type(v) is Var else None
        return Zero(v.aval) if t is None else t

    for eqn in jaxpr.eqns:
        prim = eqn.primitive
        ins = [read_primal(v) for v in eqn.inputs]
        in_tangents = [read_tangent(v) for v in eqn.inputs]
        if all(type(t) is Zero for t in in_tangents) or not any(
                is_differentiable(v.aval) for v in eqn.outputs):
            outs = prim.bind(*ins, **eqn.params)
            primal_env.update(zip(eqn.outputs, outs if prim.multiple_results else [outs]))
            continue
        outs, out_tangents = prim.rule("jvp")(ins, in_tangents, **eqn.params)
        if not prim.multiple_results:
            outs, out_tangents = [outs], [out_tangents]
        primal_env.update(zip(eqn.outputs, outs))
        for v, t in zip(eqn.outputs, out_tangents):
            if type(t) is not Zero and is_differentiable(v.aval):
                tangent_env[v] = t
    return ([read_primal(v) for v in jaxpr.outvars],
            [read_tangent(v) for v in jaxpr.outvars])


@allow_deep_recursion
@memoized
def jvp_jaxpr(closed: ClosedJaxpr, nonzeros: Sequence[bool],
              instantiate_zeros: bool | Sequence[bool] = True):
    """The JVP of ``closed`` w.r.t. the inputs marked in ``nonzeros``.

    Returns ``(jvp_closed, out_nonzeros)``. ``jvp_closed`` takes the primals
    followed by one tangent per nonzero input and returns the outputs followed
    by one tangent per output whose tangent is nonzero (or instantiated).
    """
    in_avals = closed.in_avals
    n = len(in_avals)
    inst = ([instantiate_zeros] * len(closed.out_avals)
            if isinstance(instantiate_zeros, bool) else list(instantiate_zeros))
    out_nonzeros: list[bool] = []

    def fn(*args):
        primals, rest = args[:n], iter(args[n:])
        tangents = [next(rest) if nz else Zero(a) for nz, a in zip(nonzeros, in_avals)]
        outs, out_tangents = jvp_eval(closed.jaxpr, closed.consts, primals, tangents)
        kept = []
        for t, i in zip(out_tangents, inst):
            if i and type(t) is Zero and is_differentiable(t.aval):
                t = instantiate(t)
            out_nonzeros.append(type(t) is not Zero)
            if type(t) is not Zero:
                kept.append(t)
        return [*outs, *kept]

    tangent_avals = [a for nz, a in zip(nonzeros, in_avals) if nz]
    jvp_closed, _ = trace_to_jaxpr(fn, [*in_avals, *tangent_avals], transform="jvp")
    return jvp_closed, out_nonzeros
