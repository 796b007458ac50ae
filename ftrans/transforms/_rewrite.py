"""What the optimization passes share: substitution and sub-jaxpr rewriting.

The passes of ``optimize`` (``simplify``, ``forward``, ``fold``, ``cse``)
walk a jaxpr once, front to back, keeping a substitution ``Var -> atom``
for the outputs they replaced by existing values, and rebuild an equation
only where its inputs or sub-jaxprs changed. A pass that changes nothing
returns its input object, so identities (which some caches key on) survive.
Sub-jaxprs (``cond`` branches, ``scan``/``while`` bodies, the bodies of
custom calls, ``remat`` and ``jit_call``) are rewritten by the same pass,
keeping their inputs and outputs as they are: the primitive that holds them
sees the same interface.
"""

from __future__ import annotations

from typing import Callable

from ftrans.core import ClosedJaxpr, Eqn, Jaxpr, Literal, subjaxprs

# Primitives that must never be folded, merged or dropped because they have
# effects or draw random numbers. There are none today; a primitive may also
# declare ``effectful = True`` on itself.
IMPURE: set[str] = set()


def is_pure(prim) -> bool:
    return not getattr(prim, "effectful", False) and prim.name not in IMPURE


def subst_atom(atom, subst: dict):
    return subst.get(atom, atom)


def literal_key(lit: Literal) -> tuple:
    """A literal by value and dtype (``0.0`` and ``-0.0`` differ, as do ``1`` and ``1.0``)."""
    return ("lit", lit.aval.dtype.str, lit.val.tobytes() if hasattr(lit.val, "tobytes")
            else repr(lit.val))


def _rewrite_sub(value, fn: Callable[[ClosedJaxpr], ClosedJaxpr]):
    if isinstance(value, ClosedJaxpr):
        new = fn(value)
        if new is not value and (len(new.consts) > len(value.consts)
                                 or new.in_avals != value.in_avals
                                 or new.out_avals != value.out_avals):
            raise AssertionError("an optimization pass changed a sub-jaxpr's interface")
        return new
    if isinstance(value, Jaxpr) and not value.constvars:
        wrapped = ClosedJaxpr(value, [])
        new = fn(wrapped)
        return value if new is wrapped or new.consts else new.jaxpr
    return value


_JAXPR_TYPES = (Jaxpr, ClosedJaxpr)


def _holds_jaxpr(value) -> bool:
    t = type(value)
    if t is tuple:
        return any(type(v) in _JAXPR_TYPES for v in value)
    return t in _JAXPR_TYPES


def rewrite_subjaxprs(eqn: Eqn, fn: Callable[[ClosedJaxpr], ClosedJaxpr]) -> dict:
    """``eqn.params`` with each sub-jaxpr replaced by ``fn(sub)``; the same dict
    when no sub-jaxpr changed."""
    new_params = None
    for name, value in eqn.params.items():
        if not _holds_jaxpr(value):
            continue
        if type(value) is tuple:
            new = tuple(_rewrite_sub(v, fn) for v in value)
            if all(a is b for a, b in zip(new, value)):
                continue
        else:
            new = _rewrite_sub(value, fn)
            if new is value:
                continue
        if new_params is None:
            new_params = dict(eqn.params)
        new_params[name] = new
    return eqn.params if new_params is None else new_params


def rebuilt(eqn: Eqn, subst: dict, fn: Callable[[ClosedJaxpr], ClosedJaxpr] | None
            ) -> Eqn:
    """``eqn`` with ``subst`` applied to its inputs and ``fn`` to its
    sub-jaxprs: ``eqn`` itself if neither changes anything."""
    inputs = eqn.inputs
    if subst:  # literals are never keys: they map to themselves
        new_inputs = [subst.get(a, a) for a in inputs]
        if any(a is not b for a, b in zip(new_inputs, inputs)):
            inputs = new_inputs
    params = eqn.params if fn is None else rewrite_subjaxprs(eqn, fn)
    if params is eqn.params and inputs is eqn.inputs:
        return eqn
    return Eqn(eqn.primitive, list(inputs), eqn.outputs, params)


def count_eqns(closed) -> int:
    """The number of equations, those of sub-jaxprs included (iteratively:
    ``all_eqns`` nests generators, quadratic in the depth)."""
    total, todo = 0, [closed]
    while todo:
        j = todo.pop()
        j = j.jaxpr if isinstance(j, ClosedJaxpr) else j
        total += len(j.eqns)
        for eqn in j.eqns:
            todo.extend(subjaxprs(eqn))
    return total
