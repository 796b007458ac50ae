"""``optimize``: the pass pipeline that ``jit`` runs before generating code.

One round is ``simplify`` (algebraic identities), ``forward`` (outputs that
pass an input through), ``fold`` (constant computations), ``cse`` (repeated
computations) and ``dce`` (dead equations, in sub-jaxprs too); each pass can
expose work for another (a simplified ``x * 1`` makes two equations equal, a
merge makes a broadcast dead), so rounds repeat while the number of
equations (sub-jaxprs included) goes down, at most ``MAX_ROUNDS`` times. No
pass adds an equation, so the count never grows. Inputs and outputs keep
their number and types; values are those of the input jaxpr (exactly: the
rewrites are identities of floating-point arithmetic, but for the sign of a
zero, see ``simplify``), and so are derivatives, since the optimized jaxpr
is what ``jit_call``'s rules differentiate.

Results are memoized on the input object (bounded: ``_CACHE_SIZE``).
"""

from __future__ import annotations


import numpy as np

from ftrans._identity_cache import IdentityCache
from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Eqn, Jaxpr, built
from ftrans.transforms._memo import memoized
from ftrans.transforms._rewrite import count_eqns, rewrite_subjaxprs
from ftrans.transforms.cse import cse_jaxpr
from ftrans.transforms.dce import dce_jaxpr
from ftrans.transforms.fold import fold_jaxpr
from ftrans.transforms.forward import forward_jaxpr
from ftrans.transforms.simplify import simplify_jaxpr

MAX_ROUNDS = 8
_CACHE_SIZE = 64
_cache = IdentityCache(_CACHE_SIZE)


@allow_deep_recursion
@memoized
def dce_all(closed: ClosedJaxpr) -> ClosedJaxpr:
    """``dce_jaxpr`` of ``closed`` and of every sub-jaxpr (all of whose outputs
    are kept); ``closed`` itself if nothing is dead."""
    j = closed.jaxpr
    eqns, changed = [], False
    for eqn in j.eqns:
        params = rewrite_subjaxprs(eqn, dce_all)
        if params is not eqn.params:
            eqn, changed = Eqn(eqn.primitive, eqn.inputs, eqn.outputs, params), True
        eqns.append(eqn)
    inner = built(ClosedJaxpr(Jaxpr(j.constvars, j.invars, eqns, j.outvars),
                              closed.consts)) if changed else closed
    pruned = dce_jaxpr(inner)
    if (len(pruned.eqns) == len(inner.eqns) and len(pruned.consts) == len(inner.consts)
            and all(a is b for a, b in zip(pruned.eqns, inner.eqns))):
        return inner
    return pruned


def optimize_round(closed: ClosedJaxpr) -> ClosedJaxpr:
    """One round of the pipeline."""
    closed = simplify_jaxpr(closed)
    closed = forward_jaxpr(closed)
    closed = fold_jaxpr(closed)
    closed = cse_jaxpr(closed)
    return dce_all(closed)


@allow_deep_recursion
@memoized
def _optimize(closed: ClosedJaxpr) -> ClosedJaxpr:
    count = count_eqns(closed)
    for _ in range(MAX_ROUNDS):
        new = optimize_round(closed)
        new_count = count_eqns(new)
        if new is closed or new_count > count:
            break
        closed = new
        if new_count == count:
            break
        count = new_count
    return closed


def optimize(closed: ClosedJaxpr) -> ClosedJaxpr:
    """``closed`` simplified, forwarded, folded, de-duplicated and pruned.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> closed = ftrans.make_jaxpr(lambda x: jnp.sin(x * 1.0) + jnp.sin(x) * 0.0)(1.0)
    >>> print(optimize(closed))
    { lambda ; a:f64[]. let
        b:f64[] = sin a
        c:f64[] = mul b 0.0
        d:f64[] = add b c
      in (d,) }
    """
    hit = _cache.get(closed)
    if hit is not None:
        return hit
    result = _optimize(closed)
    if not all(isinstance(c, (np.ndarray, np.generic)) for c in closed.consts):
        return result  # closed over tracers: not kept beyond their trace
    _cache.put(closed, result)
    return result


def cache_clear() -> None:
    """Forget the memoized results of ``optimize``."""
    _cache.clear()
