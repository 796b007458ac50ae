"""Transposition: turn a jaxpr linear in some inputs into its adjoint.

``transpose_jaxpr`` walks the equations backwards, calling each primitive's
transpose rule with the linear inputs marked ``UndefinedPrimal``. Cotangents
may be symbolic zeros; a variable used several times has its cotangents
summed (fan-out). Equations that do not touch the linear inputs are evaluated
forwards first: they compute coefficients.
"""

from __future__ import annotations

from typing import Sequence

from ftrans._recursion import allow_deep_recursion
from ftrans.ad_util import UndefinedPrimal, Zero, add_tangents, instantiate
from ftrans.core import ClosedJaxpr, Jaxpr, Var
from ftrans.tracing import trace_to_jaxpr
from ftrans.transforms._memo import memoized


@allow_deep_recursion
def backward_pass(jaxpr: Jaxpr, consts, linear: Sequence[bool], nonlinear_args,
                  cts) -> list:
    """Cotangents of the linear inputs of ``jaxpr`` (``Zero`` where none)."""
    env = dict(zip(jaxpr.constvars, consts))
    lin_vars = {v for v, lin in zip(jaxpr.invars, linear) if lin}
    env.update(zip([v for v, lin in zip(jaxpr.invars, linear) if not lin],
                   nonlinear_args))

    def read(v):
        if type(v) is not Var:
            return v.val
        return UndefinedPrimal(v.aval) if v in lin_vars else env[v]

    linear_eqns = []
    for eqn in jaxpr.eqns:
        if any(type(v) is Var and v in lin_vars for v in eqn.inputs):
            linear_eqns.append(eqn)
            lin_vars.update(eqn.outputs)
        else:
            outs = eqn.primitive.bind(*[read(v) for v in eqn.inputs], **eqn.params)
            env.update(zip(eqn.outputs, outs if eqn.primitive.multiple_results
                           else [outs]))

    # the cotangent of a linear variable: a value, or Zero when none has
    # arrived. (A rule answers None for an input that is not linear: it has no
    # cotangent at all.)
    ct_env: dict[Var, object] = {}

    def accumulate(v, ct):
        if type(v) is Var and v in lin_vars and type(ct) is not Zero:
            if ct is None:
                raise TypeError("a transpose rule returned None for the cotangent "
                                "of a linear input; return Zero(aval) instead")
            ct_env[v] = add_tangents(ct_env[v], ct) if v in ct_env else ct

    for v, ct in zip(jaxpr.outvars, cts):
        accumulate(v, ct)
    for eqn in reversed(linear_eqns):
        cts_out = [ct_env.pop(v) if v in ct_env else Zero(v.aval) for v in eqn.outputs]
        if all(type(c) is Zero for c in cts_out):
            continue
        ct = cts_out if eqn.primitive.multiple_results else cts_out[0]
        ins = [read(v) for v in eqn.inputs]
        cts_in = eqn.primitive.rule("transpose")(ct, *ins, **eqn.params)
        for v, c in zip(eqn.inputs, cts_in):
            accumulate(v, c)
    return [ct_env.get(v, Zero(v.aval))
            for v, lin in zip(jaxpr.invars, linear) if lin]


@allow_deep_recursion
@memoized
def transpose_jaxpr(closed: ClosedJaxpr, linear: Sequence[bool]) -> ClosedJaxpr:
    """The adjoint of ``closed`` w.r.t. the inputs marked ``linear``.

    The result takes the non-linear inputs followed by one cotangent per
    output, and returns one cotangent per linear input.
    """
    nonlinear_avals = [a for a, lin in zip(closed.in_avals, linear) if not lin]
    k = len(nonlinear_avals)

    def fn(*args):
        cts = backward_pass(closed.jaxpr, closed.consts, linear, args[:k], args[k:])
        return [instantiate(c) for c in cts]

    transposed, _ = trace_to_jaxpr(fn, [*nonlinear_avals, *closed.out_avals],
                                   transform="transpose")
    return transposed
