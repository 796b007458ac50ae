"""Forwarding: outputs of sub-jaxpr primitives that are just one of their inputs.

After simplification a body often returns one of its inputs unchanged: a
``cond`` whose branches all return operand ``i`` (or all the same literal),
a ``scan`` or ``while`` carry that the body passes through, a ``scan``
output that is its ``xs`` slice, a ``jit_call`` or ``remat`` returning an
argument. Such an output is replaced, for every equation reading it and for
the jaxpr's own outputs, by the operand itself; the equation stays for its
other outputs (``dce`` prunes what is left unused, through the primitive's
``dce`` rule).

The custom calls (``custom_jvp_call``, ``custom_vjp_call``, ``custom_lin``)
are not forwarded: their user rule, not their body, defines the derivative.
"""

from __future__ import annotations

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Eqn, Jaxpr, Literal, built
from ftrans.transforms._memo import memoized
from ftrans.transforms._rewrite import literal_key, rebuilt, subst_atom


def _passed_through(body: ClosedJaxpr, k: int):
    """``("in", i)`` if output ``k`` of ``body`` is its input ``i``, ``("lit",
    literal)`` if it is a literal, else None."""
    out = body.jaxpr.outvars[k]
    if type(out) is Literal:
        return ("lit", out)
    for i, v in enumerate(body.jaxpr.invars):
        if v is out:
            return ("in", i)
    return None


def _forwarded(eqn: Eqn) -> list:
    """For each output of ``eqn``, the atom it equals, or None."""
    name, ins, p = eqn.primitive.name, eqn.inputs, eqn.params
    n_out = len(eqn.outputs)
    found = [None] * n_out
    if name == "cond":
        ops = ins[1:]
        for k in range(n_out):
            ways = [_passed_through(b, k) for b in p["branches"]]
            if any(w is None for w in ways):
                continue
            if all(w[0] == "in" and w[1] == ways[0][1] for w in ways) and ways[0][0] == "in":
                found[k] = ops[ways[0][1]]
            elif all(w[0] == "lit" for w in ways) and len(
                    {literal_key(w[1]) for w in ways}) == 1:
                found[k] = ways[0][1]
    elif name in ("jit_call", "remat"):
        body = p["jaxpr"]
        if len(body.jaxpr.invars) == len(ins):
            for k in range(n_out):
                way = _passed_through(body, k)
                if way is not None:
                    found[k] = ins[way[1]] if way[0] == "in" else way[1]
    elif name == "scan":
        body, nc, ncar = p["jaxpr"], p["num_consts"], p["num_carry"]
        for k in range(n_out):
            way = _passed_through(body, k)
            if way is None or way[0] != "in":
                continue
            i = way[1]
            if k < ncar and i == nc + k:  # the carry passes through unchanged
                found[k] = ins[nc + k]
            elif k >= ncar and i >= nc + ncar:  # ys[t] is xs[t]
                found[k] = ins[i]
    elif name == "while":
        body, cn, bn = p["body_jaxpr"], p["cond_nconsts"], p["body_nconsts"]
        for k in range(n_out):
            way = _passed_through(body, k)
            if way is not None and way[0] == "in" and way[1] == bn + k:
                found[k] = ins[cn + bn + k]
    return found


@allow_deep_recursion
@memoized
def forward_jaxpr(closed: ClosedJaxpr) -> ClosedJaxpr:
    """``closed`` with the outputs that only pass an input through replaced
    by that input, sub-jaxprs included.

    >>> import numpy as np, ftrans, ftrans.lax as lax
    >>> closed = ftrans.make_jaxpr(lambda p, x: lax.cond(p, lambda v: v, lambda v: v, x))(
    ...     True, 1.0)
    >>> forward_jaxpr(closed).jaxpr.outvars[0] is closed.jaxpr.invars[1]
    True
    """
    j = closed.jaxpr
    subst: dict = {}
    eqns = []
    changed = False
    for eqn in j.eqns:
        new = rebuilt(eqn, subst, forward_jaxpr)
        changed |= new is not eqn
        eqns.append(new)
        if not new.primitive.multiple_results:
            continue
        for out, atom in zip(new.outputs, _forwarded(new)):
            if atom is not None and atom.aval == out.aval:
                subst[out] = atom
                changed = True
    if not changed:
        return closed
    outvars = [subst_atom(v, subst) for v in j.outvars]
    return built(ClosedJaxpr(Jaxpr(j.constvars, j.invars, eqns, outvars), closed.consts))
