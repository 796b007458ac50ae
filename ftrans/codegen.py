"""Code generation: a jaxpr as the source of one Python module over numpy.

``generate`` writes one statement per equation, over local variables named as
in the printed jaxpr (``b = np.sin(a)``), and ``compile_jaxpr`` executes that
source once and returns a callable (DESIGN.md §9). What each equation becomes
is its primitive's ``emit`` rule: ``rule(ctx, out_names, in_exprs, **params)``
returns the line(s) of Python that assign ``out_names``, or ``None`` to keep
the default, which calls the primitive's ``impl`` (imported into the module by
module and name), so that every primitive works and emit rules only make it
faster. Control flow is Python control flow: the emit rules of ``scan``,
``cond``, ``while`` and the custom calls inline their sub-jaxprs through
``EmitContext.inline``.

Two things make the generated code fast besides skipping the interpreter:
each intermediate is deleted (``del``) after its last use, so memory is
released as early as the jaxpr allows; and an elementwise result may be
written (``out=``) into the buffer of a dead intermediate of the same shape
and dtype that only elementwise operations produced and read (so that no view
of it can be alive, and inputs and constants are never written).
"""

from __future__ import annotations

import contextlib
import keyword
import sys
import textwrap
from typing import Any, Callable, Sequence

import numpy as np

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Jaxpr, Literal, ShapedArray, Var
from ftrans.pretty import _names

# Write elementwise results into dead buffers (``out=``); off only to measure it.
# Below REUSE_MIN_SIZE elements numpy's cache of small blocks makes a new
# array as cheap as passing ``out=`` (and the source reads better without).
REUSE_BUFFERS = True
REUSE_MIN_SIZE = 1024

# Sub-jaxprs nest at most this deep in the source: CPython allows 20 nested
# loops and 100 indentation levels. A deeper control-flow equation calls its
# impl (which interprets its sub-jaxprs) instead of being inlined.
MAX_NESTING = 16


class _TooDeep(Exception):
    pass


# Names a local variable must not take: the module's own names.
_RESERVED = {"np", "consts", "args", "range", "int", "bool", "float", "len", "True",
             "False", "None"}


# --- literals and params as source ----------------------------------------------

def literal_source(val, short: bool = False) -> str:
    """Source text evaluating to the numpy scalar ``val`` with its dtype;
    ``short``: a plain Python literal where numpy's weak Python scalars give
    the same result (float64, int64 and bool operands of a ufunc whose other
    operand has the same dtype)."""
    val = np.asarray(val)
    dtype = val.dtype
    if dtype.kind == "f":
        x = float(val)
        text = repr(x) if np.isfinite(x) else ("np.nan" if np.isnan(x) else
                                                 "np.inf" if x > 0 else "-np.inf")
    elif dtype.kind == "b":
        text = repr(bool(val))
    elif dtype.kind in "iu":
        text = repr(int(val))
    elif dtype.kind == "c":
        text = repr(complex(val))
        if not np.isfinite(val):
            return None
    else:
        return None
    if short and dtype in (np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_)):
        return text
    if dtype == np.bool_:
        return f"np.bool_({text})"
    return f"np.{dtype.name}({text})"


def param_source(value) -> str | None:
    """Source text for a static param (ints, tuples, dtypes, ...), or ``None``
    when it has none (then it is bound as a module-level name)."""
    if value is None or type(value) in (bool, int, str):
        return repr(value)
    if type(value) is float:
        return repr(value) if np.isfinite(value) else None
    if isinstance(value, np.dtype):
        return f"np.dtype({value.name!r})" if value.kind != "V" else None
    if isinstance(value, np.generic) and np.ndim(value) == 0:
        return literal_source(value)
    if type(value) is tuple:
        parts = [param_source(v) for v in value]
        if any(p is None for p in parts):
            return None
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    return None


def _array_source(x: np.ndarray) -> str | None:
    """``x`` as a standalone expression (for ``Compiled.save``)."""
    x = np.asarray(x)
    if x.dtype.kind not in "biufc":
        return None
    data = np.ascontiguousarray(x).tobytes()
    return (f"np.frombuffer({data!r}, dtype=np.dtype({x.dtype.str!r}))"
            f".reshape({x.shape!r})")


# --- the context an emit rule sees ---------------------------------------------

class EmitContext:
    """What an emit rule gets besides its output names and input expressions.

    A rule marked ``rule.accepts_out = True`` returns a new array (never a
    view of an input) and may write it into ``ctx.buffer``; one marked
    ``rule.fresh = True`` returns a new array. Their results' buffers can be
    reused once dead.

    ``in_avals``/``out_avals``: the equation's types. ``inputs``: its atoms
    (``Var`` or ``Literal``). ``buffer``: the name of a dead array of the
    output's type that an elementwise rule (one marked ``accepts_out``) may
    write into with ``out=``, or ``None``. ``short_in_exprs``: the inputs with
    float64/int64/bool literals as plain Python numbers (for ufuncs).
    ``const(value)`` names a Python value in the module's namespace;
    ``fresh(hint)`` gives a new local name; ``inline(closed, in_exprs)``
    returns the code of a sub-jaxpr and the expressions of its outputs.
    A loop's rule inlines its body inside ``with ctx.loop(invariant) as
    before:`` and puts the lines ``before`` gets ahead of the loop;
    ``hoist(expr, uses)`` inside such a body names ``expr``, computed once
    before the loop, when every expression in ``uses`` is ``invariant``.
    """

    def __init__(self, gen: "_Generator"):
        self._gen = gen
        self.in_avals: list[ShapedArray] = []
        self.out_avals: list[ShapedArray] = []
        self.inputs: list = []
        self.buffer: str | None = None

    @property
    def short_in_exprs(self) -> list[str]:
        return [self._gen.atom(v, short=True) for v in self.inputs]

    def const(self, value, hint: str = "k") -> str:
        return self._gen.const(value, hint)

    def fresh(self, hint: str = "t") -> str:
        return self._gen.fresh(hint)

    def inline(self, closed: ClosedJaxpr | Jaxpr, in_exprs: Sequence[str]
               ) -> tuple[str, list[str]]:
        """The statements of ``closed`` with its inputs bound to ``in_exprs``
        (names or literals of the enclosing code), and the expressions of its
        outputs. Its intermediates get fresh names and are freed early, as at
        the top level."""
        return self._gen.inline(closed, list(in_exprs))

    @contextlib.contextmanager
    def loop(self, invariant: Sequence[str]):
        """Inline a loop's body inside: yields the list of lines to emit
        before the loop (the hoisted computations)."""
        frame = (set(invariant), {}, [])
        self._gen.loops.append(frame)
        try:
            yield frame[2]
        finally:
            self._gen.loops.pop()

    def hoist(self, expr: str, uses: Sequence[str]) -> str:
        """A name for ``expr`` computed before the innermost loop, if it only
        uses the loop's invariant expressions; else ``expr`` itself."""
        if not self._gen.loops:
            return expr
        invariant, named, before = self._gen.loops[-1]
        if not all(u in invariant for u in uses):
            return expr
        if expr not in named:
            named[expr] = self.fresh("h")
            before.append(f"{named[expr]} = {expr}")
        return named[expr]

    @staticmethod
    def indent(code: str, levels: int = 1) -> str:
        """``code`` indented by ``levels``; an empty body becomes ``pass``."""
        return indent(code, levels)

    @staticmethod
    def assign(names: Sequence[str], exprs: Sequence[str]) -> str:
        """``a, b = x, y``, leaving out names that already hold their value."""
        return assign(names, exprs)


def indent(code: str, levels: int = 1) -> str:
    """``code`` indented by ``levels`` (for the bodies of emitted blocks);
    an empty body becomes ``pass``."""
    return textwrap.indent(code or "pass", "    " * levels)


def assign(names: Sequence[str], exprs: Sequence[str]) -> str:
    """``a, b = x, y`` (nothing when there is nothing to assign, or every name
    already holds its expression)."""
    pairs = [(n, e) for n, e in zip(names, exprs) if n != e]
    if not pairs:
        return ""
    lhs = ", ".join(n for n, _ in pairs)
    rhs = ", ".join(e for _, e in pairs)
    return f"{lhs} = {rhs}"


# --- the generator ----------------------------------------------------------------

class _Generator:
    def __init__(self):
        self.fresh_names = _names()
        self.names: dict[Var, str] = {}
        self.used: set[str] = set(_RESERVED)
        self.globals: dict[str, Any] = {}        # name -> value (consts, params)
        self.global_ids: dict[int, str] = {}
        self.imports: dict[str, str] = {}        # name -> "from m import f"
        self.impl_prims: dict[str, str] = {}     # impl name -> primitive name
        self.depth = 0                           # sub-jaxprs being inlined
        self.loops: list = []                    # (invariant, hoisted, lines) per loop

    # names
    def _next_name(self) -> str:
        while True:
            n = next(self.fresh_names)
            if keyword.iskeyword(n) or keyword.issoftkeyword(n):
                n += "_"
            if n not in self.used:
                self.used.add(n)
                return n

    def name(self, v: Var) -> str:
        n = self.names.get(v)
        if n is None:
            n = self.names[v] = self._next_name()
        return n

    def fresh(self, hint: str = "t") -> str:
        i = 0
        while f"_{hint}{i}" in self.used:
            i += 1
        self.used.add(f"_{hint}{i}")
        return f"_{hint}{i}"

    def atom(self, v, short: bool = False) -> str:
        if type(v) is Literal:
            text = literal_source(v.val, short)
            return text if text is not None else self.const(v.val, "lit")
        return self.name(v)

    def const(self, value, hint: str = "k") -> str:
        key = id(value)
        n = self.global_ids.get(key)
        if n is None:
            n = self.fresh(hint)
            self.globals[n] = value
            self.global_ids[key] = n
        return n

    def impl_name(self, prim) -> str:
        impl = prim.impl
        if impl is None:
            raise NotImplementedError(f"jit: primitive '{prim.name}' has no impl")
        fn_name = getattr(impl, "__name__", None)
        module = getattr(impl, "__module__", None)
        if fn_name and module and (module == "numpy" or module.startswith("numpy.")):
            path = (module.replace("numpy", "np", 1) + "." + fn_name).split(".")
            obj = np
            for part in path[1:]:
                obj = getattr(obj, part, None)
            if obj is impl:  # a numpy function: the module imports numpy anyway
                return ".".join(path)
        if isinstance(impl, np.ufunc) and getattr(np, impl.__name__, None) is impl:
            return f"np.{impl.__name__}"
        if fn_name and module and getattr(sys.modules.get(module), fn_name, None) is impl:
            self.imports[fn_name] = f"from {module} import {fn_name}"
            self.impl_prims[fn_name] = prim.name
            self.used.add(fn_name)
            return fn_name
        n = self.const(impl, "impl")
        self.impl_prims[n] = prim.name
        return n

    # a block: one jaxpr's equations
    @allow_deep_recursion
    def block(self, jaxpr: Jaxpr, env: dict) -> tuple[list[str], list[str]]:
        """Lines of ``jaxpr``'s equations (its inputs already bound in
        ``env``: Var -> expression) and the expressions of its outputs."""
        for v, expr in env.items():
            self.names[v] = expr
        eqns = jaxpr.eqns
        outvars = {v for v in jaxpr.outvars if type(v) is Var}
        for eqn in eqns:  # name the outputs in order, as the printer does
            for v in eqn.outputs:
                self.name(v)
        last_use: dict[Var, int] = {}
        readers: dict[Var, list] = {}
        for i, eqn in enumerate(eqns):
            for v in eqn.inputs:
                if type(v) is Var:
                    last_use[v] = i
                    readers.setdefault(v, []).append(eqn)
        produced = {v: eqn for eqn in eqns for v in eqn.outputs}

        def elementwise(eqn) -> bool:  # may write its result into a buffer
            return REUSE_BUFFERS and getattr(eqn.primitive.emit, "accepts_out", False)

        def fresh(eqn) -> bool:  # its result is a new array, never a view
            emit = eqn.primitive.emit
            return getattr(emit, "accepts_out", False) or getattr(emit, "fresh", False)

        # reusable: a new array, read only by rules that make new arrays (so
        # no view of it is alive when it dies)
        reusable = {v for v, eqn in produced.items()
                    if fresh(eqn) and v.aval.ndim > 0 and v not in outvars
                    and all(fresh(r) for r in readers.get(v, ()))}
        # plan the buffers first: which dead array each elementwise result
        # reuses, so that a pooled array is deleted at its death unless taken
        pool: dict[ShapedArray, list[Var]] = {}
        buffers: list[Var | None] = []
        dying_at: list[list[Var]] = []
        taken: set[Var] = set()
        for i, eqn in enumerate(eqns):
            dying = [v for v in dict.fromkeys(eqn.inputs)
                     if type(v) is Var and last_use.get(v) == i and v in produced
                     and v not in outvars]
            buffer = None
            if elementwise(eqn) and eqn.outputs[0].aval.size >= max(REUSE_MIN_SIZE, 1) \
                    and eqn.outputs[0].aval.ndim > 0:
                aval = eqn.outputs[0].aval
                # a dying input of the same type is the best buffer (in place)
                buffer = next((v for v in dying if v in reusable and v.aval == aval), None)
                if buffer is None and pool.get(aval):
                    buffer = pool[aval].pop()
            if buffer is not None:
                taken.add(buffer)
            for v in dying:
                if v in reusable and v is not buffer:
                    pool.setdefault(v.aval, []).append(v)
            buffers.append(buffer)
            dying_at.append(dying)
        lines: list[str] = []
        for i, eqn in enumerate(eqns):
            buffer = buffers[i]
            lines.append(self.equation(eqn, buffer))
            dead = [v for v in dying_at[i] if v is buffer or v not in taken]
            if buffer is not None and buffer not in dead:
                dead.append(buffer)
            dead += [v for v in eqn.outputs if v not in last_use and v not in outvars]
            if dead:
                lines.append("del " + ", ".join(self.name(v) for v in dead))
        return lines, [self.atom(v) for v in jaxpr.outvars]

    def equation(self, eqn, buffer: Var | None) -> str:
        prim = eqn.primitive
        out_names = [self.name(v) for v in eqn.outputs]
        in_exprs = [self.atom(v) for v in eqn.inputs]
        code = None
        if prim.emit is not None:
            ctx = EmitContext(self)  # one per equation: inlining nests
            ctx.in_avals = [v.aval for v in eqn.inputs]
            ctx.out_avals = [v.aval for v in eqn.outputs]
            ctx.inputs = eqn.inputs
            ctx.buffer = None if buffer is None else self.name(buffer)
            try:
                code = prim.emit(ctx, out_names, in_exprs, **eqn.params)
            except _TooDeep:  # nested too deeply to inline: the impl
                code = None
        if code is None:
            code = self.impl_call(prim, out_names, in_exprs, eqn.params)
        return code

    def impl_call(self, prim, out_names, in_exprs, params) -> str:
        args = list(in_exprs)
        for k, v in params.items():
            src = param_source(v)
            args.append(f"{k}={src if src is not None else self.const(v, k)}")
        call = f"{self.impl_name(prim)}({', '.join(args)})"
        if prim.multiple_results:
            if len(out_names) == 1:
                return f"{out_names[0]}, = {call}"
            if not out_names:
                return call
            return f"{', '.join(out_names)} = {call}"
        return f"{out_names[0]} = {call}"

    def inline(self, closed, in_exprs) -> tuple[str, list[str]]:
        if self.depth >= MAX_NESTING:
            raise _TooDeep
        jaxpr = getattr(closed, "jaxpr", closed)
        consts = getattr(closed, "consts", [])
        env = {v: self.const(c, "c") for v, c in zip(jaxpr.constvars, consts)}
        env.update(zip(jaxpr.invars, in_exprs))
        self.depth += 1
        try:
            lines, outs = self.block(jaxpr, env)
        finally:
            self.depth -= 1
        return "\n".join(lines), outs


def _generate(closed: ClosedJaxpr, name: str) -> tuple[str, _Generator]:
    gen = _Generator()
    gen.used.add(name)
    jaxpr = closed.jaxpr
    env = {v: gen.name(v) for v in jaxpr.constvars}
    env.update({v: gen.name(v) for v in jaxpr.invars})
    lines, outs = gen.block(jaxpr, env)
    head = []
    if jaxpr.constvars:
        names = [env[v] for v in jaxpr.constvars]
        head.append(f"{', '.join(names)}{',' if len(names) == 1 else ''} = consts")
    if jaxpr.invars:
        names = [env[v] for v in jaxpr.invars]
        head.append(f"{', '.join(names)}{',' if len(names) == 1 else ''} = args")
    body = "\n".join(head + lines + [f"return [{', '.join(outs)}]"])
    src = ["import numpy as np"]
    src += sorted(set(gen.imports.values()))
    if gen.globals:
        src.append("# module-level values bound when compiled: "
                   + ", ".join(sorted(gen.globals)))
    src += ["", "", f"def {name}(consts, *args):", indent(body), ""]
    return "\n".join(src), gen


def generate(closed: ClosedJaxpr, name: str = "jitted") -> str:
    """The Python source of one module defining ``def <name>(consts, *args)``,
    which returns the list of ``closed``'s outputs.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> print(generate(ftrans.make_jaxpr(lambda x: jnp.sin(x) * 2.0)(np.ones(3))))
    import numpy as np
    <BLANKLINE>
    <BLANKLINE>
    def jitted(consts, *args):
        a, = args
        b = np.sin(a)
        c = np.multiply(b, 2.0)
        del b
        return [c]
    <BLANKLINE>
    """
    return _generate(closed, name)[0]


class Compiled:
    """A jaxpr compiled to Python: ``Compiled(*args) -> list`` of outputs.

    ``source`` is the generated module's text; ``save(path)`` writes it as a
    standalone module with the constants embedded.
    """

    def __init__(self, closed: ClosedJaxpr, name: str = "jitted"):
        self.closed = closed
        self.name = name
        self.source, gen = _generate(closed, name)
        self._gen = gen
        namespace: dict[str, Any] = dict(gen.globals)
        code = compile(self.source, f"<ftrans.jit {name}>", "exec")
        exec(code, namespace)
        self.fn: Callable = namespace[name]
        self.consts = list(closed.consts)

    def __call__(self, *args) -> list:
        return self.fn(self.consts, *args)

    def save(self, path: str) -> None:
        """Write a module that runs without ftrans: ``import <module>;
        <module>.<name>(*args)``. Raises if the code calls an impl (a
        primitive without an emit rule) or needs a value with no source."""
        gen = self._gen
        if gen.imports or any(n in gen.impl_prims for n in gen.globals):
            names = sorted(set(gen.impl_prims.values()))
            raise NotImplementedError(
                "Compiled.save: the generated code calls the impl of primitive(s) "
                f"{', '.join(repr(n) for n in names)}, which have no emit rule; the "
                "saved module would need ftrans. Give them emit rules (def_emit)")
        body_name = f"_{self.name}_with_consts"
        source, _ = _generate(self.closed, body_name)
        lines = [source.rstrip("\n"), "", ""]
        for n, value in gen.globals.items():
            text = _array_source(value) if isinstance(value, (np.ndarray, np.generic)) \
                else param_source(value)
            if text is None:
                raise NotImplementedError(
                    f"Compiled.save: the value {n} = {value!r} has no source form")
            lines.append(f"{n} = {text}")
        consts = []
        for c in self.consts:
            text = _array_source(c)
            if text is None:
                raise NotImplementedError(f"Compiled.save: constant of dtype "
                                          f"{np.asarray(c).dtype} cannot be embedded")
            consts.append(text)
        lines.append(f"_CONSTS = [{', '.join(consts)}]")
        lines += ["", "", f"def {self.name}(*args):",
                  f"    return {body_name}(_CONSTS, *args)", ""]
        with open(path, "w") as f:
            f.write("\n".join(lines))


def compile_jaxpr(closed: ClosedJaxpr, name: str = "jitted") -> Compiled:
    """Generate ``closed``'s source and compile it once.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> f = compile_jaxpr(ftrans.make_jaxpr(lambda x: jnp.sin(x) * 2.0)(np.ones(3)))
    >>> f(np.zeros(3))
    [array([0., 0., 0.])]
    """
    return Compiled(closed, name)
