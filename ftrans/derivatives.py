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
from typing import NamedTuple, Sequence

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Jaxpr, Var
from ftrans.eval import eval_closed
from ftrans.transforms.dce import dce_jaxpr
from ftrans.transforms.jvp import jvp_jaxpr
from ftrans.transforms.known_values import take_known_values
from ftrans.transforms.partial_eval import partial_eval_jaxpr
from ftrans.transforms.transpose import transpose_jaxpr

_CACHE_SIZE = 64


class Derived(NamedTuple):
    """A derived jaxpr in two forms. ``plain`` computes everything from its
    inputs; ``reusing`` takes, after the same inputs, the values the concrete
    trace already computed, one per entry of ``known``: ``(equation index,
    output index)`` in the traced jaxpr (see ``take_known_values``)."""
    plain: ClosedJaxpr
    reusing: ClosedJaxpr
    known: list


class Linearized(NamedTuple):
    """The forward pass ``consts, primals -> outs, residuals`` and the linear
    part ``residuals, tangents -> main outputs' tangents``."""
    known: Derived
    linear: ClosedJaxpr
    n_res: int
    out_nz: list


class Derivatives:
    """The jaxprs derived from one traced jaxpr, each built on first use.

    Inputs of every derived jaxpr: the traced jaxpr's constants, then its
    inputs (then tangents or residuals, as each says). The traced jaxpr's
    intermediates are exposed as extra outputs while deriving, so that each
    derived jaxpr also comes in a form that reads them instead of
    recomputing them (``Derived.reusing``).
    """

    def __init__(self, closed: ClosedJaxpr, mask: Sequence[bool], n_out: int):
        j = closed.jaxpr
        self.n_consts = len(j.constvars)
        self.mask = [False] * self.n_consts + list(mask)
        self.n_out = n_out
        self.n_all = len(j.outvars)
        inter = [(v, (i, k)) for i, e in enumerate(j.eqns) for k, v in enumerate(e.outputs)]
        self._where = [w for _, w in inter]
        self.exposed = ClosedJaxpr(
            Jaxpr([], j.constvars + j.invars, j.eqns, j.outvars + [v for v, _ in inter]), [])

    def _derived(self, closed: ClosedJaxpr, first: int) -> Derived:
        """Both forms of a derived jaxpr whose outputs ``first ..`` are the
        exposed intermediates."""
        n = len(self._where)
        keep = [True] * len(closed.out_avals)
        keep[first:first + n] = [False] * n
        reusing, taken = take_known_values(closed, first, n)
        return Derived(dce_jaxpr(closed, keep), reusing, [self._where[i] for i in taken])

    def _jvp(self):
        n_inter = len(self._where)
        return jvp_jaxpr(self.exposed, self.mask,
                         instantiate_zeros=[True] * self.n_all + [False] * n_inter)

    @cached_property
    def jvp(self) -> tuple:
        """``(Derived jvp jaxpr: consts, primals, tangents -> outs, tangents;
        out_nz)``, with the outputs' tangents only."""
        jvp_closed, out_nz = self._jvp()
        n_tan = sum(out_nz[:self.n_all])
        n_all_out = len(jvp_closed.out_avals)
        keep = [True] * (n_all_out - sum(out_nz) + n_tan) + [False] * (sum(out_nz) - n_tan)
        return self._derived(dce_jaxpr(jvp_closed, keep), self.n_all), out_nz[:self.n_all]

    @cached_property
    def linearized(self) -> Linearized:
        jvp_closed, out_nz = self._jvp()
        n_inter, n_in = len(self._where), len(self.mask)
        n_primal = self.n_all + n_inter
        n_tan_main = sum(out_nz[:self.n_out])
        # keep the primal outputs (aux, exposed values) and the main outputs' tangents
        keep = [True] * (n_primal + n_tan_main) + [False] * (sum(out_nz) - n_tan_main)
        known, linear, _, n_res = partial_eval_jaxpr(
            dce_jaxpr(jvp_closed, keep), [False] * n_in + [True] * sum(self.mask),
            instantiate=[False] * n_primal + [True] * n_tan_main)
        return Linearized(self._derived(known, self.n_all), dce_jaxpr(linear), n_res,
                          out_nz[:self.n_out])

    @cached_property
    def transposed(self) -> ClosedJaxpr:
        """The transpose of the linear part: ``residuals, cotangents -> cotangents``."""
        lin = self.linearized
        return dce_jaxpr(transpose_jaxpr(lin.linear,
                                         [False] * lin.n_res + [True] * sum(self.mask)))


class _Uncacheable(Exception):
    """A jaxpr whose structure has no reliable key (e.g. a Python callable in
    a param, such as a custom_jvp rule, which is new on every call)."""


def _params_key(params: dict) -> tuple:
    items = []
    for name, value in sorted(params.items()):
        items.append((name, _value_key(value)))
    return tuple(items)


def _value_key(value):
    # a param that keys itself (a custom rule: by the structure of its jaxprs
    # when traced, by what it depends on when never used); None: uncacheable
    cache_key = getattr(type(value), "cache_key", None)
    if cache_key is not None:
        key = cache_key(value, _value_key)
        if key is None:
            raise _Uncacheable
        hash(key)
        return key
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


class StructuralCache:
    """A bounded, thread-safe LRU cache of what is built from a jaxpr, keyed
    by the jaxpr's structure and some flags. A jaxpr whose structure has no
    reliable key is built afresh (never a wrong hit)."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, closed: ClosedJaxpr, flags: tuple, build):
        """The cached ``build()`` for ``closed`` and ``flags``, built on a miss."""
        try:
            key = (structure_key(closed), flags)
        except (_Uncacheable, TypeError):
            return build()
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        found = build()
        with self._lock:
            self._entries[key] = found
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_cache = StructuralCache(_CACHE_SIZE)
_lock = threading.Lock()


@allow_deep_recursion
def derivatives(closed: ClosedJaxpr, mask: Sequence[bool], n_out: int) -> Derivatives:
    """The (possibly cached) derivatives of ``closed`` w.r.t. the inputs in ``mask``."""
    return _cache.get(closed, (tuple(mask), n_out), lambda: Derivatives(closed, mask, n_out))


_compiled: OrderedDict = OrderedDict()  # id(closed) -> [closed, uses, Compiled]
_COMPILE_AT_USE = 2  # a derived jaxpr is compiled when it is used again


def run(closed: ClosedJaxpr, *args) -> list:
    """Evaluate a derived jaxpr: from its second use on numpy values as
    generated code (``ftrans.codegen``), so that a training loop's eager
    ``grad`` runs its forward and backward passes as compiled numpy code;
    interpreted on first use (compiling costs more than one run), and staged
    into an enclosing trace when an argument is a tracer."""
    from ftrans.tracing import Tracer
    if any(type(a) is Tracer for a in args):
        return eval_closed(closed, *args)
    with _lock:
        entry = _compiled.get(id(closed))
        if entry is None or entry[0] is not closed:
            entry = _compiled[id(closed)] = [closed, 0, None]
            while len(_compiled) > 4 * _CACHE_SIZE:
                _compiled.popitem(last=False)
        else:
            _compiled.move_to_end(id(closed))
        entry[1] += 1
        compiled, uses = entry[2], entry[1]
    if compiled is None and uses >= _COMPILE_AT_USE:
        from ftrans.codegen import compile_jaxpr
        compiled = entry[2] = compile_jaxpr(closed, "derived")
    return compiled(*args) if compiled is not None else eval_closed(closed, *args)


def cache_clear() -> None:
    """Forget every cached derivation."""
    _cache.clear()
    with _lock:
        _compiled.clear()


# CSE keys equations' params structurally, as this cache does (a hook: the
# passes sit below this module)
from ftrans.transforms import cse as _cse  # noqa: E402

_cse.set_params_key(_params_key)
