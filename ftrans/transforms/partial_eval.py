"""Partial evaluation: split a jaxpr by which inputs are known now.

``partial_eval_jaxpr`` returns a *known* jaxpr, ``known ins -> known outs +
residuals``, and an *unknown* jaxpr, ``residuals + unknown ins -> unknown
outs``. Applied to a JVP jaxpr with the tangents unknown, the known part is
the forward pass and the unknown part is linear in the tangents: that is
``linearize = jvp + partial_eval``. Primitives carrying sub-jaxprs (scan,
cond) split themselves through their ``partial_eval`` rule.
"""

from __future__ import annotations

from typing import Sequence

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Jaxpr, Var, built
from ftrans.transforms._memo import memoized


@allow_deep_recursion
def partial_eval_jaxpr(closed: ClosedJaxpr, unknowns: Sequence[bool],
                       instantiate: bool | Sequence[bool] = False):
    """Split ``closed``; returns ``(known, unknown, out_unknowns, num_res)``.

    ``instantiate[i]`` forces output i into the unknown jaxpr even if it is
    known (it then travels as a residual).
    """
    jaxpr = closed.jaxpr
    n_out = len(jaxpr.outvars)
    inst = [instantiate] * n_out if isinstance(instantiate, bool) else list(instantiate)
    known_eqns, unknown_eqns, unknown_vars = _split(closed, list(unknowns))

    out_unknowns = [(type(v) is Var and v in unknown_vars) or i
                    for v, i in zip(jaxpr.outvars, inst)]
    residuals: dict[Var, None] = {}
    for eqn in unknown_eqns:
        for v in eqn.inputs:
            if type(v) is Var and v not in unknown_vars:
                residuals[v] = None
    for v, unk in zip(jaxpr.outvars, out_unknowns):
        if unk and type(v) is Var and v not in unknown_vars:
            residuals[v] = None
    residuals_list = list(residuals)

    known_invars = [v for v, u in zip(jaxpr.invars, unknowns) if not u]
    known_outs = [v for v, u in zip(jaxpr.outvars, out_unknowns) if not u]
    known = Jaxpr(jaxpr.constvars, known_invars, known_eqns,
                  known_outs + residuals_list)
    unknown_invars = [v for v, u in zip(jaxpr.invars, unknowns) if u]
    unknown = Jaxpr([], residuals_list + unknown_invars, unknown_eqns,
                    [v for v, u in zip(jaxpr.outvars, out_unknowns) if u])
    return (built(ClosedJaxpr(known, closed.consts)), built(ClosedJaxpr(unknown, [])),
            out_unknowns, len(residuals_list))


@memoized
def _split(closed: ClosedJaxpr, unknowns: list):
    """The equations of the known and of the unknown part, and the unknown
    variables. Independent of ``instantiate``, so memoized per pass: a rule
    asking for the same split twice (to learn which outputs are unknown, then
    to split) derives its sub-jaxprs once."""
    jaxpr = closed.jaxpr
    unknown_vars = {v for v, u in zip(jaxpr.invars, unknowns) if u}
    known_eqns, unknown_eqns = [], []
    for eqn in jaxpr.eqns:
        in_unknown = [type(v) is Var and v in unknown_vars for v in eqn.inputs]
        if not any(in_unknown):
            known_eqns.append(eqn)
        elif eqn.primitive.partial_eval is not None:
            known, unknown = eqn.primitive.partial_eval(eqn, in_unknown)
            known_eqns.extend(known)
            unknown_eqns.extend(unknown)
            unknown_vars.update(v for e in unknown for v in e.outputs)
        else:
            unknown_eqns.append(eqn)
            unknown_vars.update(eqn.outputs)
    return known_eqns, unknown_eqns, unknown_vars
