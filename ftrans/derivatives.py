"""The derivative jaxprs of a traced function, cached by the jaxpr's structure.

``grad(f)(x)`` traces ``f`` afresh on every call, because Python control flow
may take another branch. The passes that follow (``jvp_jaxpr``,
``partial_eval_jaxpr``, ``transpose_jaxpr``, ``dce_jaxpr``) depend only on the
traced jaxpr's *structure*: its equations, params, literals and types, not on
the values of its inputs or constants (those are made inputs here). So the
derived jaxprs are cached under a structural key, and a training loop that
calls ``grad(loss)`` on new values pays only for tracing and evaluation.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from functools import cached_property
from typing import Sequence

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Jaxpr, Var
from ftrans.transforms.dce import dce_jaxpr
from ftrans.transforms.jvp import jvp_jaxpr
from ftrans.transforms.partial_eval import partial_eval_jaxpr
from ftrans.transforms.transpose import transpose_jaxpr

_CACHE_SIZE = 64


class Derivatives:
    """The jaxprs derived from one traced jaxpr, each built on first use.

    Inputs of every derived jaxpr: the traced jaxpr's constants, then its
    inputs (then tangents or residuals, as each says). ``positions`` maps a
    derived jaxpr's primal variables to where the traced jaxpr computed the
    same value, ``(equation index, output index)``, so that values computed
    while tracing can be reused instead of recomputed.
    """

    def __init__(self, closed: ClosedJaxpr, mask: Sequence[bool], n_out: int):
        j = closed.jaxpr
        self.n_consts = len(j.constvars)
        self.closed = ClosedJaxpr(Jaxpr([], j.constvars + j.invars, j.eqns, j.outvars), [])
        self.mask = [False] * self.n_consts + list(mask)
        self.n_out = n_out
        self._where = {v: (i, k) for i, e in enumerate(j.eqns) for k, v in enumerate(e.outputs)}

    def _jvp(self):
        primal_map: dict = {}
        jvp_closed, out_nz = jvp_jaxpr(self.closed, self.mask, primal_map=primal_map)
        positions = {new: self._where[old] for new, old in primal_map.items()
                     if old in self._where}
        return jvp_closed, out_nz, positions

    @cached_property
    def jvp(self):
        """``(jvp jaxpr: consts, primals, tangents -> outs, tangents; out_nz; positions)``."""
        jvp_closed, out_nz, positions = self._jvp()
        return dce_jaxpr(jvp_closed), out_nz, positions

    @cached_property
    def linearized(self):
        """``(known, linear, n_res, out_nz, positions)``: the forward pass
        ``consts, primals -> outs, residuals`` and the linear part
        ``residuals, tangents -> main outputs' tangents``."""
        jvp_closed, out_nz, positions = self._jvp()
        n_all, n_in = len(self.closed.out_avals), len(self.mask)
        n_tan_main = sum(out_nz[:self.n_out])
        # keep the primal outputs (and aux) and the main outputs' tangents only
        keep = [True] * (n_all + n_tan_main) + [False] * (sum(out_nz) - n_tan_main)
        known, linear, _, n_res = partial_eval_jaxpr(
            dce_jaxpr(jvp_closed, keep), [False] * n_in + [True] * sum(self.mask),
            instantiate=[False] * n_all + [True] * n_tan_main)
        return dce_jaxpr(known), dce_jaxpr(linear), n_res, out_nz[:self.n_out], positions

    @cached_property
    def transposed(self) -> ClosedJaxpr:
        """The transpose of the linear part: ``residuals, cotangents -> cotangents``."""
        _, linear, n_res, _, _ = self.linearized
        return dce_jaxpr(transpose_jaxpr(linear, [False] * n_res + [True] * sum(self.mask)))


class _Uncacheable(Exception):
    """A jaxpr whose structure has no reliable key (e.g. a Python callable in
    a param, such as a custom_jvp rule, which is new on every call)."""


def _params_key(params: dict) -> tuple:
    items = []
    for name, value in sorted(params.items()):
        items.append((name, _value_key(value)))
    return tuple(items)


def _value_key(value):
    if isinstance(value, ClosedJaxpr):
        if value.consts:
            raise _Uncacheable
        return ("jaxpr", _number(structure_key(value)))
    if isinstance(value, Jaxpr):
        return ("jaxpr", _number(structure_key(ClosedJaxpr(value, []))))
    if isinstance(value, tuple):
        return tuple(_value_key(v) for v in value)
    if callable(value) and not isinstance(value, type):
        raise _Uncacheable
    hash(value)
    return value


_numbers: OrderedDict = OrderedDict()  # sub-jaxpr key -> a number, never reused
_next_number = itertools.count()
_numbers_lock = threading.Lock()


def _number(key: tuple) -> int:
    """A number standing for a sub-jaxpr's key, so that keys stay flat however
    deeply jaxprs nest (hashing and comparing nested tuples recurses). A key
    forgotten here gets a new number next time: a cache miss, never a wrong hit."""
    with _numbers_lock:
        n = _numbers.get(key)
        if n is None:
            n = _numbers[key] = next(_next_number)
            if len(_numbers) > 64 * _CACHE_SIZE:
                _numbers.popitem(last=False)
        else:
            _numbers.move_to_end(key)
    return n


@allow_deep_recursion
def structure_key(closed: ClosedJaxpr) -> tuple:
    """Everything the derivation passes read: wiring, primitives, params,
    literal values and types. Values of inputs and constants are left out."""
    j = closed.jaxpr
    where: dict = {v: ("c", i) for i, v in enumerate(j.constvars)}
    where.update((v, ("i", i)) for i, v in enumerate(j.invars))

    def atom(a):
        if type(a) is Var:
            return where[a]
        return ("lit", a.aval.dtype.str, a.val.tobytes())

    eqns = []
    for i, e in enumerate(j.eqns):
        eqns.append((e.primitive, tuple(atom(a) for a in e.inputs),
                     tuple(v.aval for v in e.outputs), _params_key(e.params)))
        where.update((v, ("e", i, k)) for k, v in enumerate(e.outputs))
    return (tuple(v.aval for v in j.constvars), tuple(v.aval for v in j.invars),
            tuple(eqns), tuple(atom(a) for a in j.outvars))


_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


@allow_deep_recursion
def derivatives(closed: ClosedJaxpr, mask: Sequence[bool], n_out: int) -> Derivatives:
    """The (possibly cached) derivatives of ``closed`` w.r.t. the inputs in ``mask``."""
    try:
        key = (structure_key(closed), tuple(mask), n_out)
    except (_Uncacheable, TypeError):
        return Derivatives(closed, mask, n_out)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    found = Derivatives(closed, mask, n_out)
    with _lock:
        _cache[key] = found
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def cache_clear() -> None:
    """Forget every cached derivation."""
    with _lock:
        _cache.clear()
