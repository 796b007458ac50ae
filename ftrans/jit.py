"""``jit``: trace a function once per input types, optimize its jaxpr, and run
it as generated numpy code; ``eval_shape``: the output types without computing.

A jitted function keeps a cache of traced versions (DESIGN.md §9). The key is
the tree structure of the arguments, each leaf's shape and dtype, and the
static arguments by value (and type): a call whose key is in the cache runs
the compiled code; any other traces the function again, abstractly
(``transform="jit"``), optimizes the jaxpr (``transforms/optimize.py``) and
generates its code (``codegen.py``). Each function keeps at most
``ftrans.config.jit_cache_size`` versions (64 by default), dropping the least
recently used. The cache is thread-safe: a key is traced once even when
several threads miss it at the same time.

Arrays the function closes over are constants of the jaxpr, *copied at trace
time*: as in JAX, changing (or rebinding) a closed-over array later is not
seen by an already traced version; they are not part of the key.

Under an enclosing trace (``grad(jit(f))``, ``vmap(jit(f))``, a ``scan``
body, another jitted function), a call binds the primitive ``jit_call``
(``prims/call.py``) with the optimized jaxpr, whose rules transform it whole.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Sequence

import numpy as np

from ftrans import config
from ftrans.array import Array, leave
from ftrans.core import ClosedJaxpr, ShapedArray, Var
from ftrans.errors import ConcretizationError, fn_name
from ftrans.prims._subjaxpr import hoist_consts
from ftrans.prims.call import compile_closed, identifier, jit_call_p, optimize_closed
from ftrans.tracing import Tracer, current_trace, trace_to_jaxpr
from ftrans.transforms.cost import CostAnalysis, analyze
from ftrans.tree_util import tree_flatten, tree_unflatten

__all__ = ["jit", "eval_shape", "cost_analysis", "ShapeDtypeStruct"]

logger = logging.getLogger("ftrans.jit")

_PY_DTYPES = {float: np.dtype(np.float64), int: np.dtype(np.int64),
              bool: np.dtype(np.bool_), complex: np.dtype(np.complex128)}


class ShapeDtypeStruct:
    """A shape and a dtype, standing for an array (as ``jax.ShapeDtypeStruct``).

    >>> ShapeDtypeStruct((2, 3), np.float32)
    ShapeDtypeStruct(shape=(2, 3), dtype=float32)
    """

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: Sequence[int], dtype):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    def __eq__(self, other):
        return (getattr(other, "shape", None) == self.shape
                and getattr(other, "dtype", None) == self.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __repr__(self):
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"


def _leaf_type(x, where: str, abstract_ok: bool = False) -> tuple:
    """``(shape, dtype)`` of an argument leaf."""
    t = type(x)
    if t is np.ndarray or t is Array:
        return x.shape, x.dtype
    if t is Tracer:
        a = x.aval
        return a.shape, a.dtype
    dtype = _PY_DTYPES.get(t)
    if dtype is not None:
        return (), dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return x.shape, x.dtype
    if abstract_ok and hasattr(x, "shape") and hasattr(x, "dtype"):
        return tuple(x.shape), np.dtype(x.dtype)
    raise TypeError(f"{where}: argument leaves must be arrays or numbers, got "
                    f"{type(x).__name__} ({x!r:.60}); mark the argument static "
                    "(static_argnums / static_argnames) or close over it instead")


_F64 = ((), np.dtype(np.float64))
_FLAT_TREEDEFS: dict = {}  # n -> the tree structure of n positional leaves


def _plain(x):
    t = type(x)
    if t is np.ndarray:
        return x
    if t is Array:
        return x.view(np.ndarray)
    return np.asarray(x)


def _type_str(t) -> str:
    return ShapedArray(*t).str_short()


# --- abstract tracing, shared by jit and eval_shape -------------------------------

class _Call:
    """One call's arguments split into the dynamic ones (flattened) and the
    static ones, with the cache key."""

    __slots__ = ("args", "kwargs", "static_pos", "leaves", "treedef", "types", "statics",
                 "key", "traced")

    def __init__(self, where, args, kwargs, static_pos, static_names, abstract_ok=False):
        self.args, self.kwargs, self.static_pos = args, kwargs, static_pos
        if static_pos:
            dyn = tuple(a for i, a in enumerate(args) if i not in static_pos)
            statics = [(i, args[i]) for i in sorted(static_pos)]
        else:
            dyn, statics = args, []
        if kwargs:
            dyn_kw = {k: v for k, v in kwargs.items() if k not in static_names}
            statics += sorted(((k, v) for k, v in kwargs.items() if k in static_names),
                              key=lambda kv: kv[0])
        else:
            dyn_kw = {}
        for name, value in statics:
            try:
                hash(value)
            except TypeError:
                label = (f"static argument {name}" if type(name) is int
                         else f"static argument '{name}'")
                raise TypeError(
                    f"{where}: {label} has the unhashable type "
                    f"{type(value).__name__} ({value!r:.60}). Static arguments are "
                    "cache keys and must be hashable: pass a tuple instead of a list, "
                    "or make the argument a traced array (remove it from "
                    "static_argnums / static_argnames).") from None
        self.statics = tuple((n, type(v), v) for n, v in statics)
        self.leaves, self.treedef = tree_flatten((dyn, dyn_kw))
        self.types = tuple(_leaf_type(x, where, abstract_ok) for x in self.leaves)
        self.traced = any(type(x) is Tracer for x in self.leaves)
        self.key = (len(args), self.treedef, self.types, self.statics)

    def rebuild(self, leaves) -> tuple[list, dict]:
        """The full arguments, with ``leaves`` for the dynamic ones."""
        dyn, dyn_kw = tree_unflatten(self.treedef, leaves)
        static = {n: v for n, _, v in self.statics}
        it = iter(dyn)
        args = [static[i] if i in self.static_pos else next(it)
                for i in range(len(self.args))]
        kwargs = {k: static[k] if k in static else dyn_kw[k] for k in self.kwargs}
        return args, kwargs

    def leaf_labels(self, params: list | None) -> list[str]:
        """A readable name per dynamic leaf: ``argument 'x'``, ``argument 1[2]``."""
        dyn, dyn_kw = tree_unflatten(self.treedef, self.leaves)
        positions = [i for i in range(len(self.args)) if i not in self.static_pos]
        labels = []
        for i, arg in zip(positions, dyn):
            name = (f"argument '{params[i]}'" if params is not None and i < len(params)
                    else f"argument {i}")
            n = len(tree_flatten(arg)[0])
            labels += [name] if n == 1 else [f"{name}[{k}]" for k in range(n)]
        for k in sorted(dyn_kw):
            n = len(tree_flatten(dyn_kw[k])[0])
            name = f"keyword argument '{k}'"
            labels += [name] if n == 1 else [f"{name}[{j}]" for j in range(n)]
        return labels


def _depends_on(tracer: Tracer, trace) -> list[int]:
    """The positions of ``trace``'s inputs that ``tracer``'s value depends on."""
    producer = {v: e for e in trace.eqns for v in e.outputs}
    position = {v: i for i, v in enumerate(trace.invars)}
    found, seen, stack = set(), set(), [tracer._var]
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        if v in position:
            found.add(position[v])
        elif v in producer:
            stack.extend(a for a in producer[v].inputs if type(a) is Var)
    return sorted(found)


def _failing_tracer(exc: BaseException):
    """The tracer whose conversion raised ``exc`` (from the traceback)."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("self")
        if type(candidate) is Tracer:
            found = candidate
        tb = tb.tb_next
    return found


def _trace_abstract(fun: Callable, call: _Call, transform: str, params: list | None
                    ) -> tuple[ClosedJaxpr, Any]:
    """Trace ``fun`` on abstract values of ``call``'s dynamic leaves:
    ``(closed jaxpr, output tree)``."""
    store: dict = {}

    def flat_fn(*tracers):
        store["trace"] = current_trace()
        args, kwargs = call.rebuild(tracers)
        out_flat, store["tree"] = tree_flatten(fun(*args, **kwargs))
        return out_flat

    avals = [ShapedArray(s, d) for s, d in call.types]
    try:
        closed, _ = trace_to_jaxpr(flat_fn, avals, transform=transform)
    except ConcretizationError as e:
        if getattr(e, "_ftrans_named", False):
            raise
        tracer, trace = _failing_tracer(e), store.get("trace")
        where = f" The error occurred while tracing the function {fn_name(fun)} for " \
                f"{transform}"
        if tracer is not None and trace is not None and tracer._trace is trace:
            labels = call.leaf_labels(params)
            deps = [labels[i] for i in _depends_on(tracer, trace) if i < len(labels)]
            if deps:
                where += ". The value depends on " + ", ".join(deps)
        err = ConcretizationError(str(e) + where + ".")
        err._ftrans_named = True
        raise err from None
    return closed, store["tree"]


# --- the cache -------------------------------------------------------------------

class _Entry:
    """One traced version: the traced and optimized jaxprs, the compiled code."""

    def __init__(self, name: str, traced: ClosedJaxpr, optimized: ClosedJaxpr, out_tree,
                 key):
        self.name, self.traced, self.optimized = name, traced, optimized
        self.out_tree, self.key = out_tree, key
        self.single = out_tree.num_leaves == 1 and out_tree.node_type is None
        self._compiled = self._hoisted = None
        self.cacheable = not any(type(c) is Tracer for c in optimized.consts)

    @property
    def compiled(self):
        if self._compiled is None:
            self._compiled = compile_closed(self.optimized, self.name)
        return self._compiled

    @property
    def hoisted(self) -> tuple[ClosedJaxpr, list]:
        """The optimized jaxpr without consts (``jit_call``'s param) and the consts."""
        if self._hoisted is None:
            self._hoisted = hoist_consts(self.optimized)
        return self._hoisted


class _Pending:
    def __init__(self):
        self.owner = threading.get_ident()
        self.done = threading.Event()


def _normalize_static(fun, static_argnums, static_argnames):
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = ((static_argnames,) if isinstance(static_argnames, str)
             else tuple(static_argnames))
    try:
        sig = inspect.signature(fun)
    except (TypeError, ValueError):
        return nums, frozenset(names), None, None
    ps = list(sig.parameters.values())
    positional = [p.name for p in ps if p.kind in (p.POSITIONAL_ONLY,
                                                   p.POSITIONAL_OR_KEYWORD)]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in ps)
    if not varargs:
        for i in nums:
            if not -len(positional) <= i < len(positional):
                raise ValueError(f"jit({fn_name(fun)}): static_argnums={nums} but the "
                                 f"function takes {len(positional)} positional "
                                 "arguments")
    # as JAX: a static position is static by name too, and a static name by position
    nums_set = {i % len(positional) if positional and i < 0 and not varargs else i
                for i in nums}
    nums_set |= {positional.index(n) for n in names if n in positional}
    names_set = set(names) | {positional[i] for i in nums_set
                                if 0 <= i < len(positional)}
    return tuple(sorted(nums_set)), frozenset(names_set), sig, positional


class Jitted:
    """A function compiled by ``jit``: call it like the function; ``lower``,
    ``trace``, ``clear_cache`` and ``_cache_size`` inspect its cache."""

    def __init__(self, fun: Callable, static_argnums=(), static_argnames=()):
        if not callable(fun):
            raise TypeError(f"jit: expected a function, got {type(fun).__name__}")
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._name = fn_name(fun)
        self._static_argnums, self._static_argnames, self._sig, self._params = \
            _normalize_static(fun, static_argnums, static_argnames)
        self._static_pos_by_n: dict = {}
        self._cache: OrderedDict = OrderedDict()
        self._pending: dict = {}
        self._lock = threading.Lock()

    def __get__(self, obj, objtype=None):  # a jitted method binds like a function
        return self if obj is None else functools.partial(self, obj)

    def _static_pos(self, n: int) -> frozenset:
        found = self._static_pos_by_n.get(n)
        if found is None:
            found = frozenset(i % n for i in self._static_argnums if -n <= i < n)
            self._static_pos_by_n[n] = found
        return found

    def _call_of(self, args, kwargs) -> _Call:
        pos = self._static_pos(len(args)) if self._static_argnums else frozenset()
        return _Call(f"jit({self._name})", args, kwargs, pos, self._static_argnames)

    def __call__(self, *args, **kwargs):
        if not kwargs and not self._static_argnums and current_trace() is None:
            # the hot path: positional arrays, a cache hit, no enclosing trace
            entry = self._fast_hit(args)
            if entry is not None:
                outs = entry.compiled(*[_plain(x) for x in args])
                if entry.single:
                    return leave(outs[0])
                return tree_unflatten(entry.out_tree, [leave(o) for o in outs])
        call = self._call_of(args, kwargs)
        entry = self._entry(call)
        if not call.traced and current_trace() is None:
            outs = entry.compiled(*[_plain(x) for x in call.leaves])
            return tree_unflatten(entry.out_tree, [leave(o) for o in outs])
        body, consts = entry.hoisted
        outs = jit_call_p.bind(*consts, *call.leaves, jaxpr=body, num_consts=len(consts),
                               name=identifier(entry.name))
        return tree_unflatten(entry.out_tree, outs)

    def _fast_hit(self, args) -> _Entry | None:
        """The cached entry for positional array arguments, without flattening
        (the key equals the one ``_Call`` builds), or None."""
        types = []
        for a in args:
            t = type(a)
            if t is np.ndarray or t is Array:
                types.append((a.shape, a.dtype))
            elif t is float:
                types.append(_F64)
            else:
                return None
        n = len(args)
        treedef = _FLAT_TREEDEFS.get(n)
        if treedef is None:
            treedef = _FLAT_TREEDEFS[n] = tree_flatten(((0,) * n, {}))[1]
        key = (n, treedef, tuple(types), ())
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None:
                self._cache.move_to_end(key)
        return entry

    # -- the cache --

    def _entry(self, call: _Call) -> _Entry:
        key = call.key
        while True:
            with self._lock:
                entry = self._cache.get(key)
                if entry is not None:
                    self._cache.move_to_end(key)
                    return entry
                pending = self._pending.get(key)
                mine = pending is None  # this call traces the key for everyone
                if mine:
                    pending = self._pending[key] = _Pending()
                previous = list(self._cache) if config.explain_cache_misses else None
            if not mine and pending.owner != threading.get_ident():
                pending.done.wait()  # another thread traces this key: use its result
                continue
            break  # (not mine in the owner thread: a recursive call, traced again)
        try:
            if previous is not None:
                logger.warning("%s", self._explain(call, previous))
            entry = self._build(call)
        except BaseException:
            if mine:
                with self._lock:
                    self._pending.pop(key, None)
                pending.done.set()
            raise
        with self._lock:
            if entry.cacheable:
                self._cache[key] = entry
                while len(self._cache) > max(1, int(config.jit_cache_size)):
                    self._cache.popitem(last=False)
            if mine:
                self._pending.pop(key, None)
        if mine:
            pending.done.set()
        return entry

    def _build(self, call: _Call) -> _Entry:
        if self._sig is not None:
            try:
                self._sig.bind(*call.args, **call.kwargs)
            except TypeError as e:
                raise TypeError(f"jit({self._name}): {e}") from None
        start = time.perf_counter()
        traced, out_tree = _trace_abstract(self._fun, call, "jit", self._params)
        # closed-over arrays are baked in as they are now (as JAX does)
        traced = ClosedJaxpr(traced.jaxpr, [c if type(c) is Tracer else np.array(c)
                                            for c in traced.consts])
        entry = _Entry(self._name, traced, optimize_closed(traced), out_tree, call.key)
        if config.log_compiles:
            if not call.traced and current_trace() is None:
                entry.compiled  # noqa: B018  (compile now, to time it)
            types = ", ".join(_type_str(t) for t in call.types)
            logger.warning("jit(%s): traced and compiled for (%s) in %.1f ms", self._name,
                           types, 1e3 * (time.perf_counter() - start))
        return entry

    def _explain(self, call: _Call, previous: list) -> str:
        head = f"jit({self._name}): cache miss, tracing again because "
        if not previous:
            return f"jit({self._name}): tracing for the first time"
        n, treedef, types, statics = call.key
        same_tree = [k for k in previous if k[0] == n and k[1] == treedef]
        old = (same_tree or previous)[-1]
        if old[0] != n:
            return head + (f"the number of positional arguments changed from {old[0]} "
                           f"to {n}")
        if old[1] != treedef:
            return head + f"the argument structure changed from {old[1]} to {treedef}"
        reasons = []
        if old[2] != types:
            labels = call.leaf_labels(self._params)
            for label, a, b in zip(labels, old[2], types):
                if a != b:
                    reasons.append(f"{label} changed from {_type_str(a)} to {_type_str(b)}")
        if old[3] != statics:
            before = {s[0]: s for s in old[3]}
            for name, t, v in statics:
                o = before.get(name)
                if o is None or o[1:] != (t, v):
                    label = f"argument {name}" if type(name) is int else f"'{name}'"
                    if type(name) is int and self._params and name < len(self._params):
                        label = f"'{self._params[name]}'"
                    was = "absent" if o is None else repr(o[2])
                    reasons.append(f"static argument {label} changed from {was} to {v!r}")
            now = {s[0] for s in statics}
            reasons += [f"static argument '{s[0]}' is no longer given"
                        for s in old[3] if s[0] not in now]
        return head + ("; ".join(reasons) or "an equal key was dropped from the cache "
                                              f"(it holds {config.jit_cache_size})")

    def lower(self, *args, **kwargs) -> "Lowered":
        """The traced, optimized and compiled version for these arguments."""
        call = self._call_of(args, kwargs)
        return Lowered(self, self._entry(call))

    def trace(self, *args, **kwargs) -> "Traced":
        """The traced version for these arguments (``.jaxpr``: before optimization)."""
        call = self._call_of(args, kwargs)
        return Traced(self, self._entry(call))

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def _cache_size(self) -> int:
        return len(self._cache)

    def __repr__(self):
        return f"<jitted function {self._name}>"


class Traced:
    """``jitted.trace(*args)``: ``.jaxpr`` is the traced jaxpr (not optimized)."""

    def __init__(self, jitted: Jitted, entry: _Entry):
        self._jitted, self._entry = jitted, entry
        self.jaxpr = entry.traced
        self.out_info = tree_unflatten(entry.out_tree, [
            ShapeDtypeStruct(a.shape, a.dtype) for a in entry.traced.out_avals])

    def lower(self) -> "Lowered":
        return Lowered(self._jitted, self._entry)


class Lowered:
    """``jitted.lower(*args)``: ``.jaxpr`` the optimized jaxpr, ``.as_text()``
    the generated Python source, ``.compile()`` the compiled callable."""

    def __init__(self, jitted: Jitted, entry: _Entry):
        self._jitted, self._entry = jitted, entry
        self.jaxpr = entry.optimized

    def as_text(self) -> str:
        return self._entry.compiled.source

    def compile(self) -> "Compiled":
        return Compiled(self._jitted, self._entry)

    def cost_analysis(self) -> CostAnalysis:
        """The ``CostAnalysis`` of the optimized jaxpr (``ftrans.transforms.cost``)."""
        return analyze(self.jaxpr)


class Compiled:
    """The compiled code of one traced version, called with the arguments the
    jitted function takes (of the types it was lowered for)."""

    def __init__(self, jitted: Jitted, entry: _Entry):
        self._jitted, self._entry = jitted, entry
        self.code = entry.compiled

    def as_text(self) -> str:
        return self.code.source

    def save(self, path: str) -> None:
        """Write the code as a module that runs without ftrans (``codegen``'s
        ``Compiled.save``): ``import m; m.<name>(*flat arrays) -> list``."""
        self.code.save(path)

    def __call__(self, *args, **kwargs):
        call = self._jitted._call_of(args, kwargs)
        if call.key != self._entry.key:
            want = ", ".join(_type_str(t) for t in self._entry.key[2])
            got = ", ".join(_type_str(t) for t in call.types)
            raise TypeError(f"compiled {self._jitted._name}: called with arguments of "
                            f"types ({got}) (or other static arguments), but it was "
                            f"lowered for ({want})")
        if call.traced:
            return self._jitted(*args, **kwargs)
        outs = self.code(*[_plain(x) for x in call.leaves])
        return tree_unflatten(self._entry.out_tree, [leave(o) for o in outs])


def jit(fun: Callable | None = None, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = ()) -> Any:
    """``fun`` compiled: traced once per argument types, optimized, run as
    generated numpy code. Usable as a decorator (also with arguments, through
    ``functools.partial(jit, static_argnums=...)`` or ``@jit(static_argnums=...)``).

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> @ftrans.jit
    ... def f(x):
    ...     return jnp.sin(x) * 2.0
    >>> f(np.zeros(2))
    array([0., 0.])
    >>> g = ftrans.jit(lambda x, n: x ** n, static_argnums=1)
    >>> float(g(2.0, 3))
    8.0
    """
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames)
    return Jitted(fun, static_argnums, static_argnames)


def eval_shape(fun: Callable, *args, **kwargs) -> Any:
    """The output types of ``fun(*args, **kwargs)`` as ``ShapeDtypeStruct``s,
    traced abstractly (nothing is computed). Leaves may be arrays, numbers or
    anything with ``.shape`` and ``.dtype``.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> ftrans.eval_shape(lambda x: jnp.sum(x, 0), ShapeDtypeStruct((3, 4), np.float32))
    ShapeDtypeStruct(shape=(4,), dtype=float32)
    """
    closed, out_tree = _trace_without_values("eval_shape", fun, args, kwargs)
    return tree_unflatten(out_tree, [ShapeDtypeStruct(a.shape, a.dtype)
                                     for a in closed.out_avals])


def cost_analysis(fun: Callable, *args, **kwargs) -> CostAnalysis:
    """The ``CostAnalysis`` (flops, transcendentals, bytes, peak live memory,
    a per-primitive table when printed) of ``fun(*args, **kwargs)``'s jaxpr,
    traced abstractly as ``eval_shape`` (nothing is computed); ``fun`` may be
    a transformed function (``grad(f)``, ``jacfwd(f)``, ``vmap(f)``).

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> ftrans.cost_analysis(lambda x: jnp.sum(jnp.exp(x)), np.ones(5)).flops
    10
    """
    closed, _ = _trace_without_values("cost_analysis", fun, args, kwargs)
    return analyze(closed)


def _trace_without_values(what: str, fun: Callable, args, kwargs):
    """``(closed jaxpr, output tree)`` of ``fun`` traced abstractly on the
    shapes and dtypes of its arguments, for ``eval_shape``-like functions."""
    call = _Call(f"{what}({fn_name(fun)})", args, kwargs, frozenset(), frozenset(),
                 abstract_ok=True)
    try:
        params = [p.name for p in inspect.signature(fun).parameters.values()]
    except (TypeError, ValueError):
        params = None
    return _trace_abstract(fun, call, what, params)
