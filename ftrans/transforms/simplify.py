"""Algebraic simplification: local identities that remove or shorten equations.

One walk front to back. Each equation is looked at with the (already
simplified) equations that define its inputs, and is either kept, replaced
by one equation of the same outputs, or dropped with its output forwarded to
an existing value (dead producers are left to ``dce``):

- ``x * 1``, ``1 * x``, ``x + 0``, ``0 + x``, ``x - 0``, ``x / 1`` -> ``x``;
- ``select_n`` whose cases are all the same atom, or whose selector is a
  literal -> the case it picks;
- ``neg(neg(x))`` -> ``x``; ``integer_pow(x, 1)`` -> ``x``;
- ``transpose(transpose(x, p), q)`` -> one transpose (permutation ``p[q[i]]``),
  none if that is the identity; a transpose by the identity -> ``x``;
- ``reshape(reshape(x))`` -> one reshape, none if back to ``x``'s shape;
- ``convert_element_type`` to ``x``'s own dtype and ``broadcast_in_dim`` to
  ``x``'s own shape with dimensions ``0..n-1`` -> ``x``;
- an elementwise binary primitive reading ``broadcast_in_dim(s)`` of a rank-0
  ``s`` reads ``s`` itself (rank-0 operands broadcast themselves), when the
  other operand already has the output's shape and the shape rule agrees.

Only literals count as constants here, and only when their dtype is the
other operand's (ftrans has no weak types: binary primitives take one dtype,
so a literal of another dtype never matches).

Decided: ``x * 0`` becomes zeros only for integer and boolean dtypes. For
floats and complex numbers it stays, because ``inf * 0`` and ``nan * 0`` are
nan, and a pass does not know that ``x`` is finite. ``x + 0 -> x`` does
change one float value: ``-0.0 + 0.0`` is ``+0.0``, while ``x`` stays
``-0.0`` (equal under ``==``; tracing already makes the same rewrite, see
``def_identity_with``). ``0 - x`` is not turned into ``neg(x)`` for the same
reason. Every rewrite keeps derivatives: the forwarded value is the same
function of the inputs.
"""

from __future__ import annotations

import numpy as np

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Eqn, Jaxpr, Literal, Primitive, ShapedArray, Var, built
from ftrans.transforms._memo import memoized
from ftrans.transforms._rewrite import rebuilt, subst_atom

# Elementwise binary primitives (the ``binary``, ``comparison`` and
# ``minmax`` families), in which a rank-0 operand broadcasts itself.
ELEMENTWISE_BINARY = frozenset(["add", "sub", "mul", "div", "pow", "rem", "atan2", "eq",
                                "ne", "lt", "le", "gt", "ge", "and", "or", "max", "min"])


def _is_literal(atom, value, like) -> bool:
    """``atom`` is a literal equal to ``value`` of ``like``'s dtype."""
    if type(atom) is not Literal or atom.aval.dtype != like.aval.dtype:
        return False
    return bool(np.asarray(atom.val) == value)


def _same_atom(a, b) -> bool:
    """``a`` and ``b`` are one variable, or equal literals of one type."""
    if type(a) is Literal and type(b) is Literal:
        return a.aval == b.aval and bool(np.array_equal(a.val, b.val, equal_nan=False))
    return a is b


def _producer(atom, producers: dict, name: str):
    eqn = producers.get(atom) if type(atom) is Var else None
    return eqn if eqn is not None and eqn.primitive.name == name else None


def _scalars_unbroadcast(eqn: Eqn, producers: dict) -> Eqn:
    """``f(broadcast_in_dim(s), y)`` -> ``f(s, y)`` for a rank-0 ``s`` (either side)."""
    out = eqn.outputs[0].aval
    inputs = list(eqn.inputs)
    for i in (0, 1):
        b = _producer(inputs[i], producers, "broadcast_in_dim")
        if b is None or b.inputs[0].aval.shape != () or inputs[1 - i].aval.shape != out.shape:
            continue
        trial = list(inputs)
        trial[i] = b.inputs[0]
        try:
            ok = eqn.primitive.abstract_eval(*[a.aval for a in trial], **eqn.params) == out
        except Exception:
            ok = False
        if ok:
            inputs = trial
    if all(a is b for a, b in zip(inputs, eqn.inputs)):
        return eqn
    return Eqn(eqn.primitive, inputs, eqn.outputs, eqn.params)


def _zeros(eqn: Eqn):
    """The zeros of ``eqn``'s output: a literal, or a broadcast of one."""
    aval = eqn.outputs[0].aval
    zero = Literal(np.zeros((), aval.dtype)[()], ShapedArray((), aval.dtype))
    if aval.shape == ():
        return zero
    return Eqn(Primitive.registry["broadcast_in_dim"], [zero], eqn.outputs,
               {"shape": aval.shape, "broadcast_dimensions": ()})


def _rewrite(eqn: Eqn, producers: dict):
    """``None`` (keep ``eqn``), an atom (the output's value), or a new equation."""
    name, ins, params = eqn.primitive.name, eqn.inputs, eqn.params
    if eqn.primitive.multiple_results:
        return None
    if name in ELEMENTWISE_BINARY and len(ins) == 2:
        new = _scalars_unbroadcast(eqn, producers)
        x, y = new.inputs
        if name in ("add", "mul"):
            unit = 0 if name == "add" else 1
            if _is_literal(y, unit, x):
                return x
            if _is_literal(x, unit, y):
                return y
        if name in ("sub", "div") and _is_literal(y, 0 if name == "sub" else 1, x):
            return x
        if name == "mul" and eqn.outputs[0].aval.dtype.kind in "biu" and (
                _is_literal(x, 0, y) or _is_literal(y, 0, x)):
            return _zeros(eqn)
        return None if new is eqn else new
    if name == "select_n" and len(ins) >= 2:
        which, *cases = ins
        if type(which) is Literal and which.aval.shape == ():
            i = int(np.asarray(which.val))
            return cases[i] if 0 <= i < len(cases) else None
        if all(_same_atom(c, cases[0]) for c in cases[1:]):
            return cases[0]
        return None
    if len(ins) != 1:
        return None
    (x,) = ins
    if name == "neg":
        inner = _producer(x, producers, "neg")
        return inner.inputs[0] if inner is not None else None
    if name == "integer_pow":
        return x if params.get("y") == 1 else None
    if name == "transpose":
        perm = tuple(params["permutation"])
        inner = _producer(x, producers, "transpose")
        if inner is not None:
            x = inner.inputs[0]
            perm = tuple(inner.params["permutation"][p] for p in perm)
        if perm == tuple(range(len(perm))):
            return x
        if inner is None:
            return None
        return Eqn(eqn.primitive, [x], eqn.outputs, dict(params, permutation=perm))
    if name == "reshape":
        inner = _producer(x, producers, "reshape")
        x = x if inner is None else inner.inputs[0]
        if x.aval.shape == tuple(params["new_sizes"]):
            return x
        return None if inner is None else Eqn(eqn.primitive, [x], eqn.outputs, params)
    if name == "convert_element_type":
        return x if np.dtype(params["new_dtype"]) == x.aval.dtype else None
    if name == "broadcast_in_dim":
        if (tuple(params["shape"]) == x.aval.shape
                and tuple(params["broadcast_dimensions"]) == tuple(range(x.aval.ndim))):
            return x
    return None


@allow_deep_recursion
@memoized
def simplify_jaxpr(closed: ClosedJaxpr) -> ClosedJaxpr:
    """``closed`` with the identities above applied, sub-jaxprs included.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> closed = ftrans.make_jaxpr(lambda x: -(-x) * jnp.ones(3))(np.ones(3))
    >>> len(closed.eqns), len(ftrans.transforms.dce.dce_jaxpr(simplify_jaxpr(closed)).eqns)
    (4, 0)
    """
    j = closed.jaxpr
    subst: dict = {}
    producers: dict = {}
    eqns = []
    changed = False
    for eqn in j.eqns:
        new = rebuilt(eqn, subst, simplify_jaxpr)
        result = _rewrite(new, producers)
        if result is None:
            pass
        elif isinstance(result, Eqn):
            new = result
        elif result.aval == eqn.outputs[0].aval:
            subst[eqn.outputs[0]] = result
            changed = True
            continue
        changed |= new is not eqn
        eqns.append(new)
        for v in new.outputs:
            producers[v] = new
    if not changed:
        return closed
    outvars = [subst_atom(v, subst) for v in j.outvars]
    return built(ClosedJaxpr(Jaxpr(j.constvars, j.invars, eqns, outvars), closed.consts))
