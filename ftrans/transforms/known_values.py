"""Values already known become inputs: ``take_known_values``.

A concrete trace (``grad(f)(x)``) computes every intermediate of ``f`` while
it traces. The jaxprs derived from the traced one (its JVP, the forward half
of its linearization) recompute many of those values. To reuse them, the
derivation exposes the traced intermediates as extra outputs; this step turns
each exposed output back into an *input* of the derived jaxpr and lets DCE
remove the equations that computed it. The result is an ordinary closed
jaxpr: evaluating it needs no flags, only the known values as arguments.
"""

from __future__ import annotations

from ftrans.core import ClosedJaxpr, Jaxpr, Var
from ftrans.transforms.dce import dce_jaxpr


def take_known_values(closed: ClosedJaxpr, first: int, count: int):
    """Outputs ``first .. first + count`` of ``closed`` are values known in
    advance: drop them from the outputs and make each an input instead.

    Returns ``(jaxpr, taken)``: the new jaxpr takes the old inputs followed by
    one input per entry of ``taken``, the indices (``0 .. count - 1``) of the
    exposed outputs it now reads. An exposed output that is an input or a
    literal already, a repeat, or one output of an equation whose other
    outputs are still needed (a ``scan`` that also computes residuals) is
    not taken: it is cheaper or necessary to recompute it.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> def f(x):
    ...     s = jnp.sin(x)
    ...     return jnp.cos(s), s
    >>> reusing, taken = take_known_values(ftrans.make_jaxpr(f)(1.0), 1, 1)  # s is known
    >>> [e.primitive.name for e in reusing.eqns], taken
    (['cos'], [0])
    """
    j = closed.jaxpr
    exposed = j.outvars[first:first + count]
    outvars = j.outvars[:first] + j.outvars[first + count:]
    defined_by = {v: e for e in j.eqns for v in e.outputs}
    seen, candidates = set(), {}
    for idx, v in enumerate(exposed):
        if type(v) is Var and v in defined_by and v not in seen:
            seen.add(v)
            candidates[v] = idx
    # an equation goes only if every one of its outputs is known
    removed = {id(e) for e in j.eqns
               if e.outputs and all(o in candidates for o in e.outputs)}
    taken_vars = [v for v in candidates if id(defined_by[v]) in removed]
    eqns = [e for e in j.eqns if id(e) not in removed]
    new = Jaxpr(j.constvars, j.invars + taken_vars, eqns, outvars)
    reusing = dce_jaxpr(ClosedJaxpr(new, closed.consts))
    return reusing, [candidates[v] for v in taken_vars]
