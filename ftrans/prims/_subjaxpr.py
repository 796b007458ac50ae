"""Helpers for primitives that carry sub-jaxprs (cond, scan, while, remat,
custom derivatives): tracing a user function into a sub-jaxpr whose
constants become explicit operands, marking the traces of custom functions'
bodies and rules, and reordering a jaxpr's inputs/outputs.
"""

from __future__ import annotations

import functools
import threading
from typing import Callable, Sequence

from ftrans.core import ClosedJaxpr, Jaxpr, ShapedArray, Var
from ftrans.tracing import Trace, Tracer, current_trace, trace_to_jaxpr
from ftrans.tree_util import tree_flatten, tree_unflatten


def hoist_consts(closed: ClosedJaxpr):
    """``(jaxpr taking its constants as leading inputs, constants)``.

    Constants that are tracers of an enclosing trace must become operands of
    the equation, so that transformations of the enclosing trace see them."""
    j = closed.jaxpr
    return (ClosedJaxpr(Jaxpr([], j.constvars + j.invars, j.eqns, j.outvars), []),
            list(closed.consts))


def as_operand(x):
    import numpy as np
    return x if type(x) is Tracer or isinstance(x, np.ndarray) else np.asarray(x)


def trace_tree_fn(fn: Callable, in_trees: Sequence, in_avals: Sequence[ShapedArray],
                  name: str, in_vals: Sequence | None = None):
    """Trace ``fn(*unflattened args)``, abstractly unless the values of the
    inputs are given; returns ``(jaxpr with consts hoisted, consts, out_tree)``."""
    store = {}

    def flat_fn(*flat):
        args, i = [], 0
        for tree in in_trees:
            args.append(tree_unflatten(tree, flat[i:i + tree.num_leaves]))
            i += tree.num_leaves
        out_flat, store["tree"] = tree_flatten(fn(*args))
        return out_flat

    closed, _ = trace_to_jaxpr(flat_fn, list(in_avals), in_vals, transform=name)
    jaxpr, consts = hoist_consts(closed)
    return jaxpr, consts, store["tree"]


class _CustomBodies(threading.local):
    def __init__(self):
        self.traces: list = []


_custom_bodies = _CustomBodies()


def custom_body(fn: Callable) -> Callable:
    """``fn``, marking the trace it is traced in as the body or a rule of a
    custom_jvp / custom_vjp function (see ``in_custom_body``)."""
    @functools.wraps(fn)
    def marked(*args):
        _custom_bodies.traces.append(current_trace())
        try:
            return fn(*args)
        finally:
            _custom_bodies.traces.pop()
    return marked


def in_custom_body(trace: Trace | None) -> bool:
    """Whether ``trace`` is tracing a custom function's body or rule. A custom
    rule staged there is never used by that trace's derivations (the rule of
    the enclosing custom function replaces them), and tracing it there could
    recurse: a rule may call the function it differentiates."""
    return any(t is trace for t in _custom_bodies.traces)


def concrete_values(xs: Sequence) -> list | None:
    """The values of ``xs`` (numpy arrays or concrete tracers), or None if
    any is abstract."""
    import numpy as np
    vals = []
    for x in xs:
        v = x.val if type(x) is Tracer else x if isinstance(x, np.ndarray) else None
        if v is None:
            return None
        vals.append(v)
    return vals


def reorder(closed: ClosedJaxpr, in_order=None, out_order=None) -> ClosedJaxpr:
    """``closed`` with its inputs/outputs permuted (lists of old positions)."""
    j = closed.jaxpr
    invars = j.invars if in_order is None else [j.invars[i] for i in in_order]
    outvars = j.outvars if out_order is None else [j.outvars[i] for i in out_order]
    return ClosedJaxpr(Jaxpr(j.constvars, invars, j.eqns, outvars), closed.consts)


def add_unused_inputs(closed: ClosedJaxpr, avals, at_end: bool = True) -> ClosedJaxpr:
    """``closed`` taking extra, ignored inputs of types ``avals``."""
    j = closed.jaxpr
    extra = [Var(a) for a in avals]
    invars = j.invars + extra if at_end else extra + j.invars
    return ClosedJaxpr(Jaxpr(j.constvars, invars, j.eqns, j.outvars), closed.consts)


def groups(seq, *sizes):
    """Split ``seq`` into consecutive groups of the given sizes (the rest last)."""
    out, i = [], 0
    for n in sizes:
        out.append(list(seq[i:i + n]))
        i += n
    out.append(list(seq[i:]))
    return out
