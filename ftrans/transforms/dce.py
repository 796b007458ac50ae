"""Dead-code elimination: drop equations whose outputs nobody uses.

Run on every transformed jaxpr. Primitives are pure, so liveness alone
decides, except for an ``effectful`` primitive (``debug_callback``) and an
equation whose sub-jaxprs hold one: those are always kept. Unused constvars
are dropped with their constants. Primitives with sub-jaxprs may prune those
through their ``dce`` rule.
"""

from __future__ import annotations

from typing import Sequence

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Jaxpr, Var, built, subjaxprs
from ftrans.transforms._memo import memoized


@allow_deep_recursion
@memoized
def dce_jaxpr(closed: ClosedJaxpr, used_outputs: Sequence[bool] | None = None
              ) -> ClosedJaxpr:
    """``closed`` without dead equations (and, optionally, unused outputs)."""
    jaxpr = closed.jaxpr
    outvars = (jaxpr.outvars if used_outputs is None else
               [v for v, u in zip(jaxpr.outvars, used_outputs) if u])
    live = {v for v in outvars if type(v) is Var}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        outs = eqn.outputs
        if len(outs) == 1:
            if outs[0] not in live and not has_effects(eqn):
                continue
        else:
            used = [v in live for v in outs]
            if not any(used) and not has_effects(eqn):
                continue
            if eqn.primitive.dce is not None and not all(used):
                eqn = eqn.primitive.dce(eqn, used)
        kept.append(eqn)
        for v in eqn.inputs:
            if type(v) is Var:
                live.add(v)
    kept.reverse()
    consts = [(v, c) for v, c in zip(jaxpr.constvars, closed.consts) if v in live]
    new = Jaxpr([v for v, _ in consts], jaxpr.invars, kept, outvars)
    return built(ClosedJaxpr(new, [c for _, c in consts]))


def has_effects(eqn) -> bool:
    """Whether ``eqn`` must run even if its outputs are unused: its primitive
    is ``effectful``, or one of its sub-jaxprs holds such an equation."""
    if getattr(eqn.primitive, "effectful", False):
        return True
    return any(has_effects(e) for sub in subjaxprs(eqn)
               for e in getattr(sub, "jaxpr", sub).eqns)


def dce_prune(closed: ClosedJaxpr, used_outputs: Sequence[bool]):
    """Drop unused outputs and dead equations, then report which inputs are
    still used: ``(pruned closed jaxpr with all inputs, used_inputs)``."""
    pruned = dce_jaxpr(closed, used_outputs)
    live = {v for e in pruned.eqns for v in e.inputs if type(v) is Var}
    live.update(v for v in pruned.jaxpr.outvars if type(v) is Var)
    return pruned, [v in live for v in pruned.jaxpr.invars]


def select_inputs(closed: ClosedJaxpr, keep: Sequence[bool]) -> ClosedJaxpr:
    """``closed`` with only the inputs marked in ``keep`` (the others unused)."""
    j = closed.jaxpr
    invars = [v for v, k in zip(j.invars, keep) if k]
    return built(ClosedJaxpr(Jaxpr(j.constvars, invars, j.eqns, j.outvars), closed.consts))
