"""Common-subexpression elimination: an equation computed twice is computed once.

Two equations are the same computation when they have the same primitive,
the same inputs (variables by identity after earlier merges, literals by
value and dtype) and the same params. The second one is dropped and its
outputs are read from the first. Constants bound to the same array object,
or to small arrays equal in dtype, shape and bytes, are merged too.
Sub-jaxprs are handled first, each on its own (a body cannot read a value
of the jaxpr around it), so equal bodies key equally afterwards.

Params are keyed by ``params_key`` (``set_params_key``). By default that is
Python equality of the hashable params, which compares sub-jaxprs by
identity; the structural key of ``ftrans/derivatives.py`` (``_params_key``:
sub-jaxprs by structure, custom rules by their own ``cache_key``), installed
with ``set_params_key``, also merges equal bodies that are distinct objects.
``derivatives.py`` stands above this layer, so it installs its key here (the
pattern of ``core.set_bind``); it is not imported. An equation whose params
have no key (an array, a callable without ``cache_key``) is never merged,
nor one with ``prevent_cse=True`` (``remat``) or with effects.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Jaxpr, Var, built
from ftrans.transforms._memo import memoized
from ftrans.transforms._rewrite import is_pure, literal_key, rebuilt, subst_atom

# Constants of at most this many elements are compared by value.
CONST_COMPARE_LIMIT = 1000


def _hashable_params(params: dict) -> tuple:
    items = tuple(sorted(params.items()))
    hash(items)
    return items


params_key: Callable[[dict], object] = _hashable_params


def set_params_key(key: Callable[[dict], object] | None) -> None:
    """Install ``key(params) -> hashable`` (raising for params that have no
    key), e.g. ``ftrans.derivatives._params_key``; None restores the default."""
    global params_key
    params_key = _hashable_params if key is None else key


def _atom_key(atom):
    return atom if type(atom) is Var else literal_key(atom)


def _const_key(c):
    if not isinstance(c, (np.ndarray, np.generic)):
        return ("id", id(c))
    c = np.asarray(c)
    if c.size > CONST_COMPARE_LIMIT:
        return ("id", id(c))
    return ("value", c.dtype.str, c.shape, c.tobytes())


@allow_deep_recursion
@memoized
def cse_jaxpr(closed: ClosedJaxpr) -> ClosedJaxpr:
    """``closed`` with repeated computations merged, sub-jaxprs included.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> closed = ftrans.make_jaxpr(lambda x: jnp.sin(x) + jnp.sin(x))(1.0)
    >>> len(closed.eqns), len(cse_jaxpr(closed).eqns)
    (3, 2)
    """
    j = closed.jaxpr
    subst: dict = {}
    seen_consts: dict = {}
    constvars, consts = [], []
    for v, c in zip(j.constvars, closed.consts):
        first = seen_consts.setdefault(_const_key(c), v)
        if first is v:
            constvars.append(v)
            consts.append(c)
        else:
            subst[v] = first
    changed = len(constvars) != len(j.constvars)
    seen: dict = {}
    eqns = []
    for eqn in j.eqns:
        new = rebuilt(eqn, subst, cse_jaxpr)
        changed |= new is not eqn
        key = None
        if is_pure(new.primitive) and new.params.get("prevent_cse") is not True:
            try:
                key = (new.primitive, tuple(_atom_key(a) for a in new.inputs),
                       params_key(new.params))
                hash(key)
            except Exception:
                key = None
        first = seen.get(key) if key is not None else None
        if first is not None and all(a.aval == b.aval
                                     for a, b in zip(first.outputs, new.outputs)):
            subst.update(zip(new.outputs, first.outputs))
            changed = True
            continue
        if key is not None:
            seen[key] = new
        eqns.append(new)
    if not changed:
        return closed
    outvars = [subst_atom(v, subst) for v in j.outvars]
    return built(ClosedJaxpr(Jaxpr(constvars, j.invars, eqns, outvars), consts))
