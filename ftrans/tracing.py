"""The one staging trace: tracers, the per-thread trace stack, and ``bind``.

Every operation on a ``Tracer`` binds a primitive, which appends one equation
to the jaxpr its trace is building. A trace is *concrete* when it was started
on concrete arrays (``grad(f)(x)``): each tracer then also has a value, so
Python control flow on values works; the differentiating transformations
trace *lazily*, computing a value only when it is asked for (``Trace.force``)
and leaving the rest to the derived jaxprs. Under
``make_jaxpr`` tracers are abstract and asking for a value raises
``ConcretizationError``. A tracer of an *enclosing* trace met while tracing an
inner function is captured as a constant input of the inner jaxpr.
"""

from __future__ import annotations

import threading
from typing import Callable, Sequence

import numpy as np

from ftrans._recursion import allow_deep_recursion
from ftrans.array import Array as _Array, leave as _leave
from ftrans.core import ClosedJaxpr, Eqn, Jaxpr, Literal, ShapedArray, Var, built, set_bind
from ftrans.errors import (ConcretizationError, TracerLeakError, concretization_message,
                           derivative_cut_message, traced_index_hint)


class _Context(threading.local):
    def __init__(self):
        self.stack: list[Trace] = []


_ctx = _Context()


class Trace:
    """Builds one jaxpr. ``concrete`` traces also compute every value."""

    def __init__(self, concrete: bool, transform: str | None, lazy: bool = False):
        self.concrete = concrete
        # a lazy concrete trace computes a value only when it is asked for (a
        # Python branch, a conversion): the derived jaxprs compute the rest
        self.lazy = lazy
        self._producer: dict[Var, int] = {}  # var -> index of its equation (lazy)
        self._outer: dict[Var, "Tracer"] = {}  # constvar -> captured tracer (lazy)
        self.transform = transform
        self.level = len(_ctx.stack)
        self.alive = True
        self.invars: list[Var] = []
        self.eqns: list[Eqn] = []
        self.constvars: list[Var] = []
        self.consts: list = []
        self._const_var: dict[int, Var] = {}
        # a concrete trace remembers each variable's value: the forward pass
        self.values: dict[Var, object] | None = {} if concrete else None

    def new_arg(self, aval: ShapedArray, val=None, diff: str | None = None) -> "Tracer":
        """A new input; ``diff`` names the transformation differentiating it."""
        var = Var(aval)
        self.invars.append(var)
        if self.values is not None and val is not None:
            self.values[var] = val
        return Tracer(self, var, val, diff if aval.dtype.kind in "fc" else None)

    def lift(self, x):
        """The jaxpr atom standing for ``x`` inside this trace."""
        if type(x) is Tracer:
            if x._trace is self:
                return x._var
            if not x._trace.alive:
                raise _leak_error(x)
        else:
            x = np.asarray(x) if not isinstance(x, np.ndarray) else x
            if x.ndim == 0:
                return Literal(x[()], ShapedArray((), x.dtype))
        var = self._const_var.get(id(x))
        if var is None:
            var = self._const_var[id(x)] = Var(x.aval if type(x) is Tracer
                                               else ShapedArray(x.shape, x.dtype))
            self.constvars.append(var)
            self.consts.append(x)
            if self.lazy and type(x) is Tracer:
                self._outer[var] = x  # its value is read only if needed
            elif self.values is not None and _value(x) is not None:
                self.values[var] = _value(x)
        return var

    def process(self, prim, args, params):
        if prim.simplify is not None:
            same = prim.simplify(*args, **params)
            if same is not None:
                return same
        atoms = [a._var if type(a) is Tracer and a._trace is self else self.lift(a)
                 for a in args]
        abstract_eval = prim.abstract_eval or prim.rule("abstract_eval")
        out_aval = abstract_eval(*[a.aval for a in atoms], **params)
        if self.lazy:  # known later, if anyone asks: see force()
            val = (None if any(type(a) is Tracer and a._val is None for a in args)
                   else _PENDING)
        else:
            # values are computed where all inputs' values are known: always in
            # a concrete trace, and for constant computations in an abstract one
            vals = [a.val if type(a) is Tracer else a for a in args]
            val = None if any(v is None for v in vals) else prim.impl(*vals, **params)
        zero = prim.zero_jvp  # True, or a function of the input avals (sign: real ones)
        diff = None if zero and (zero is True or zero(*[a.aval for a in atoms])) \
            else _diff_of(args)
        if prim.multiple_results:
            vals = (val if val is not None and val is not _PENDING
                    else [val] * len(out_aval))
            outs = [Tracer(self, Var(a), _arr(v), diff and _carries(a, diff))
                    for a, v in zip(out_aval, vals)]
            out_vars = [t._var for t in outs]
        else:
            outs = Tracer(self, Var(out_aval), _arr(val), diff and _carries(out_aval, diff))
            out_vars = [outs._var]
        if val is _PENDING:
            self._producer.update((v, len(self.eqns)) for v in out_vars)
        elif val is not None and self.values is not None:
            self.values.update((t._var, t._val) for t in (outs if prim.multiple_results
                                                          else [outs]))
        self.eqns.append(Eqn(prim, atoms, out_vars, params))
        return outs

    def force(self, var: Var):
        """The value of ``var`` in a lazy trace: the pending equations it
        depends on are evaluated now, in order, and remembered."""
        values, needed, stack = self.values, set(), [var]
        while stack:
            v = stack.pop()
            if v in values or v in self._outer:
                continue
            i = self._producer[v]
            if i in needed:
                continue
            needed.add(i)
            stack.extend(a for a in self.eqns[i].inputs if type(a) is Var)
        for i in sorted(needed):
            eqn = self.eqns[i]
            ins = [self._known(a) for a in eqn.inputs]
            if any(x is None for x in ins):
                return None
            out = eqn.primitive.impl(*ins, **eqn.params)
            outs = out if eqn.primitive.multiple_results else [out]
            values.update(zip(eqn.outputs, [_arr(o) for o in outs]))
        return self._known(var)

    def _known(self, a):
        if type(a) is not Var:
            return a.val
        if a in self.values:
            return self.values[a]
        outer = self._outer.get(a)
        value = outer.val if outer is not None else None
        if value is not None:
            self.values[a] = value
        return value

    def to_jaxpr(self, outs: Sequence) -> ClosedJaxpr:
        outvars = [self.lift(x) for x in outs]
        jaxpr = Jaxpr(self.constvars, self.invars, self.eqns, outvars)
        return built(ClosedJaxpr(jaxpr, self.consts))


_PENDING = type("Pending", (), {"__repr__": lambda self: "<pending value>"})()


def _diff_of(args) -> str | None:
    """The transformation differentiating any of ``args``, if one is."""
    for a in args:
        if type(a) is Tracer and a.diff:
            return a.diff
    return None


def _carries(aval: ShapedArray, diff: str) -> str | None:
    """Only float and complex values carry a derivative (not ints or bools)."""
    return diff if aval.dtype.kind in "fc" else None


def _arr(v):
    return v if v is None or v is _PENDING or type(v) is np.ndarray else np.asarray(v)


def _value(x):
    return x.val if type(x) is Tracer else x


def _leak_error(t: "Tracer") -> TracerLeakError:
    where = f"`{t._trace.transform}`" if t._trace.transform else "a trace"
    return TracerLeakError(
        f"A tracer of type {t.aval.str_short()} created inside {where} was used "
        "after that transformation returned (it leaked out, e.g. through a "
        "global, a closure or a list). Return the value from the transformed "
        "function instead of storing it.")


class Tracer:
    """A traced array. Operators and methods come from ftrans.numpy."""

    __slots__ = ("_trace", "_var", "_val", "diff")
    __array_priority__ = 1000

    def __init__(self, trace: Trace, var: Var, val=None, diff: str | None = None):
        self._trace = trace
        self._var = var
        self._val = val  # the value, None if abstract, or pending in a lazy trace
        # the transformation differentiating a value this one depends on, if any
        self.diff = diff

    @property
    def val(self):
        """The value (computed now if pending), or None when abstract."""
        v = self._val
        if v is _PENDING:
            v = self._val = self._trace.force(self._var)
        return v

    @property
    def aval(self) -> ShapedArray:
        return self._var.aval

    shape = property(lambda self: self._var.aval.shape)
    dtype = property(lambda self: self._var.aval.dtype)
    ndim = property(lambda self: self._var.aval.ndim)
    size = property(lambda self: self._var.aval.size)

    def concrete_value(self, op: str) -> np.ndarray:
        """The value, or ``ConcretizationError`` naming ``op`` if abstract."""
        if not self._trace.alive:
            raise _leak_error(self)
        if self.val is None:
            raise ConcretizationError(
                concretization_message(op, self.aval, *self._abstract_because()))
        return self.val

    def convertible_value(self, op: str) -> np.ndarray:
        """The value, for turning into a Python or numpy number: refused when
        it carries a derivative, which the conversion would silently drop."""
        if self.diff and self._trace.alive:
            raise ConcretizationError(derivative_cut_message(op, self.aval, self.diff))
        return self.concrete_value(op)

    def _abstract_because(self) -> tuple:
        """The transformation that made this tracer abstract: its own, or, for
        a concrete trace (``grad``) fed abstract values, the enclosing abstract
        one (``make_jaxpr``), with the inner one as a second name."""
        own = self._trace.transform
        if self._trace.concrete:
            outer = next((t for t in _ctx.stack if not t.concrete and t.transform), None)
            if outer is not None:
                return outer.transform, own
        return own, None

    def __bool__(self):  # only picks a branch: allowed on any concrete value
        return bool(self.concrete_value("bool(x) (e.g. `if x:` or `x and y`)"))

    def __float__(self):
        return float(self.convertible_value("float(x)"))

    def __int__(self):
        return int(self.convertible_value("int(x)"))

    def __complex__(self):
        return complex(self.convertible_value("complex(x)"))

    def __index__(self):
        op = "using a traced value as an index (x.__index__)"
        if self._trace.alive and self.val is None:
            raise ConcretizationError(
                concretization_message(op, self.aval, *self._abstract_because())
                + " " + traced_index_hint())
        return int(self.convertible_value(op))

    def item(self, *args):
        return self.convertible_value("x.item()").item(*args)

    def tolist(self):
        return self.convertible_value("x.tolist()").tolist()

    def __array__(self, dtype=None, copy=None):
        op = "np.asarray(x) / np.float64(x) / a numpy function on x"
        if self._trace.alive and self.val is None:
            raise ConcretizationError(
                concretization_message(op, self.aval, *self._abstract_because())
                + " Inside transformed functions use ftrans.numpy instead of numpy."
                + (" " + traced_index_hint() if self.dtype.kind in "iub" else ""))
        val = self.convertible_value(op)
        return val if dtype is None else val.astype(dtype, copy=False)

    def __setitem__(self, idx, value):
        raise TypeError(
            f"Traced arrays are immutable: `x[{_idx_str(idx)}] = ...` on an array of "
            f"type {self.aval.str_short()} is not supported. Use "
            f"`x = x.at[{_idx_str(idx)}].set(value)` instead.")

    def __repr__(self):
        kind = "abstract" if self._val is None else "concrete"
        return f"Tracer<{self.aval.str_short()}, {kind}>"

    __hash__ = object.__hash__


def _idx_str(idx) -> str:
    return repr(idx) if not isinstance(idx, tuple) else ", ".join(map(repr, idx))


def bind(prim, args, params):
    """Apply ``prim``: stage it into the innermost trace among the arguments,
    or, when no argument is traced, into the innermost current trace (so that
    ``jnp.zeros(3)`` inside a transformation is an equation, not a constant);
    outside every trace, run its impl eagerly."""
    trace, wrapped = _innermost(args)
    if trace is None and _ctx.stack:
        trace = _ctx.stack[-1]
    if trace is not None:
        return trace.process(prim, args, params)
    # impls compute on plain ndarrays (numpy is slower on subclasses); an eager
    # result leaves ftrans as an ftrans.Array (a numpy.ndarray subclass)
    if wrapped:
        args = [a.view(np.ndarray) if type(a) is _Array else a for a in args]
    prim.rule("abstract_eval")(*[_eager_aval(a) for a in args], **params)
    out = prim.impl(*args, **params)
    if prim.multiple_results:
        return [_leave(o) for o in out]
    return _leave(out)


def innermost_trace(values) -> Trace | None:
    """The live trace of highest level among the tracers in ``values``."""
    return _innermost(values)[0]


def _innermost(values) -> tuple:
    """``(innermost live trace among the tracers in values or None, whether
    any value is an ftrans.Array)``; a leaked tracer is an error."""
    trace, wrapped = None, False
    for a in values:
        if type(a) is Tracer:
            t = a._trace
            if not t.alive:
                raise _leak_error(a)
            if trace is None or t.level > trace.level:
                trace = t
        elif type(a) is _Array:
            wrapped = True
    return trace, wrapped


def current_trace() -> Trace | None:
    """The innermost trace being built, or None outside every transformation."""
    return _ctx.stack[-1] if _ctx.stack else None


def _eager_aval(x) -> ShapedArray:
    x = x if isinstance(x, np.ndarray) else np.asarray(x)
    return ShapedArray(x.shape, x.dtype)


@allow_deep_recursion
def trace_to_jaxpr(fn: Callable, in_avals: Sequence[ShapedArray], in_vals=None,
                   transform: str | None = None, values: dict | None = None,
                   differentiated: bool = False, lazy: bool = False):
    """Trace ``fn`` (flat list of tracers -> flat list of outputs) into a
    ``ClosedJaxpr``. With ``in_vals`` the trace is concrete and the concrete
    outputs are returned too: ``(closed_jaxpr, out_vals or None)``; the
    ``values`` dict, if given, receives the value of every variable. When
    ``transform`` is ``differentiated``, values that depend on a float input
    refuse conversion to Python numbers (they would lose their derivative)."""
    trace = Trace(concrete=in_vals is not None, transform=transform,
                  lazy=lazy and in_vals is not None)
    _ctx.stack.append(trace)
    try:
        vals = in_vals if in_vals is not None else [None] * len(in_avals)
        diff = transform if differentiated else None
        args = [trace.new_arg(a, _arr(v), diff) for a, v in zip(in_avals, vals)]
        outs = list(fn(*args))
        closed = trace.to_jaxpr(outs)
        out_vals = ([_value(o) for o in outs] if in_vals is not None and not trace.lazy
                    else None)
        if values is not None and trace.values is not None:
            values.update(trace.values)
    finally:
        _ctx.stack.pop()
        trace.alive = False
    return closed, out_vals


def current_trace_level() -> int:
    return len(_ctx.stack)


set_bind(bind)  # Primitive.bind (core.py cannot import this module: it imports core)
