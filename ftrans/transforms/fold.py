"""Constant folding: equations whose inputs are all known are computed once.

An equation all of whose inputs are literals or constants (constvars bound to
numpy arrays, including those made by folding before it) is evaluated with
its primitive's ``impl`` when the pass runs, and its outputs become
constants: rank-0 results literals, larger ones new constvars.

Size bound (decided): an equation is folded only if each of its outputs has
fewer than ``FOLD_LIMIT`` (1,000) elements or no more elements than its
largest input. So ``broadcast_in_dim`` of a scalar to a million elements,
or ``iota`` of a big range, stays an equation (cheap to run, expensive to
store), while ``sin`` of a big constant, or a small ``iota``, is folded.
The bound is checked on the output types, before anything is evaluated.

Never folded: primitives with effects or randomness (``_rewrite.IMPURE``;
none today), equations whose ``impl`` raises (the error is left for run
time), and results whose type differs from the equation's. Control flow and
calls (``cond``, ``scan``, ``while``, ``jit_call``, custom calls) are folded
only when all of their inputs are known, like everything else; otherwise
their sub-jaxprs are folded inside. Inside a sub-jaxpr no constvar is added
(the primitives holding sub-jaxprs expect them without constants): there
only rank-0 results become literals, larger known values only feed later
folding.
"""

from __future__ import annotations

import numpy as np

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Jaxpr, Literal, Var, built
from ftrans.transforms._memo import memoized
from ftrans.transforms._rewrite import is_pure, rebuilt, subst_atom

FOLD_LIMIT = 1000


def _sub_fold(closed: ClosedJaxpr) -> ClosedJaxpr:
    return fold_jaxpr(closed, False)


def _evaluate(eqn, values) -> list | None:
    """The outputs of ``eqn`` on ``values`` (numpy arrays of the outputs'
    types), or None if they cannot be had."""
    try:
        out = eqn.primitive.impl(*values, **eqn.params)
        outs = list(out) if eqn.primitive.multiple_results else [out]
        if len(outs) != len(eqn.outputs):
            return None
        arrays = []
        for v, o in zip(eqn.outputs, outs):
            if not isinstance(o, (np.ndarray, np.generic, bool, int, float, complex)):
                return None  # e.g. a tracer: an impl that staged something
            o = np.asarray(o)
            if o.shape != v.aval.shape or o.dtype != v.aval.dtype:
                return None
            arrays.append(o)
    except Exception:
        return None
    return arrays


@allow_deep_recursion
@memoized
def fold_jaxpr(closed: ClosedJaxpr, new_consts: bool = True) -> ClosedJaxpr:
    """``closed`` with its constant computations done, sub-jaxprs included;
    with ``new_consts=False`` no constvar is added (as inside sub-jaxprs).

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> closed = ftrans.make_jaxpr(lambda x: x + jnp.sin(np.float64(2.0)) * 3.0)(1.0)
    >>> print(fold_jaxpr(closed))
    { lambda ; a:f64[]. let
        b:f64[] = add a 2.727892280477045
      in (b,) }
    """
    j = closed.jaxpr
    known: dict = {v: np.asarray(c) for v, c in zip(j.constvars, closed.consts)
                   if isinstance(c, (np.ndarray, np.generic))}
    subst: dict = {}
    constvars, consts = list(j.constvars), list(closed.consts)
    eqns = []
    changed = False
    for eqn in j.eqns:
        new = rebuilt(eqn, subst, _sub_fold)
        changed |= new is not eqn
        ins = new.inputs
        foldable = is_pure(new.primitive) and all(
            type(a) is Literal or a in known for a in ins)
        if foldable:
            biggest = max((a.aval.size for a in ins), default=1)
            foldable = all(v.aval.size < FOLD_LIMIT or v.aval.size <= biggest
                           for v in new.outputs)
        values = None
        if foldable:
            values = _evaluate(new, [a.val if type(a) is Literal else known[a] for a in ins])
        if values is None:
            eqns.append(new)
            continue
        kept = False
        for v, value in zip(new.outputs, values):
            known[v] = value
            if v.aval.shape == ():
                subst[v] = Literal(value[()], v.aval)
            elif new_consts:
                c = Var(v.aval)
                constvars.append(c)
                consts.append(np.ascontiguousarray(value))
                known[c] = value
                subst[v] = c
            else:
                kept = True
        if kept:
            eqns.append(new)
        changed |= not kept or any(v in subst for v in new.outputs)
    if not changed:
        return closed
    outvars = [subst_atom(v, subst) for v in j.outvars]
    return built(ClosedJaxpr(Jaxpr(constvars, j.invars, eqns, outvars), consts))
