"""The IR: abstract values, variables, equations, jaxprs and primitives.

A jaxpr is a typed, single-assignment list of equations. Each equation applies
one ``Primitive`` to variables or literals. A primitive carries all of its
rules as attributes (``impl``, ``abstract_eval``, ``jvp``, ``transpose``,
``batch``), set by decorators in one block beside the primitive: there are no
global rule tables. See DESIGN.md §2-3.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import numpy.typing as npt

from ftrans.dtypes import short_name


class ShapedArray:
    """The abstract value of an array: its shape and dtype.

    >>> ShapedArray((3, 4), np.float32).str_short()
    'f32[3,4]'
    """

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: Sequence[int], dtype: npt.DTypeLike):
        self.shape = shape if type(shape) is tuple else tuple(int(d) for d in shape)
        self.dtype = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def update(self, shape: Sequence[int] | None = None,
               dtype: npt.DTypeLike | None = None) -> ShapedArray:
        return ShapedArray(self.shape if shape is None else shape,
                           self.dtype if dtype is None else dtype)

    def str_short(self) -> str:
        return f"{short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __eq__(self, other):
        return (type(other) is ShapedArray and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __repr__(self):
        return f"ShapedArray({self.str_short()})"


def get_aval(x) -> ShapedArray:
    """The abstract value of a numpy array, Python scalar or tracer."""
    aval = getattr(x, "aval", None)
    if aval is not None:
        return aval
    x = np.asarray(x)
    return ShapedArray(x.shape, x.dtype)


class Var:
    """A jaxpr variable. Identity is the variable; names are given when printing."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self):
        return f"Var({self.aval.str_short()})"


class Literal:
    """A rank-0 constant written inline in a jaxpr (``mul b 2.0``)."""

    __slots__ = ("val", "aval")

    def __init__(self, val, aval: ShapedArray):
        self.val = val
        self.aval = aval

    def __repr__(self):
        return f"Literal({self.val!r})"


Atom = Var | Literal


class Eqn:
    """``outputs = primitive[params](*inputs)``; params are static and hashable."""

    __slots__ = ("primitive", "inputs", "outputs", "params")

    def __init__(self, primitive: "Primitive", inputs: list, outputs: list[Var],
                 params: dict):
        self.primitive = primitive
        self.inputs = inputs
        self.outputs = outputs
        self.params = params


class Jaxpr:
    """``{ lambda constvars ; invars. let eqns in (outvars) }``.

    >>> import ftrans, ftrans.numpy as jnp
    >>> jaxpr = ftrans.make_jaxpr(jnp.cos)(1.0).jaxpr
    >>> [eqn.primitive.name for eqn in jaxpr.eqns], len(jaxpr.invars)
    (['cos'], 1)
    """

    __slots__ = ("constvars", "invars", "eqns", "outvars", "_dead_after")

    def __init__(self, constvars, invars, eqns, outvars):
        self.constvars = list(constvars)
        self.invars = list(invars)
        self.eqns = list(eqns)
        self.outvars = list(outvars)
        self._dead_after = None  # eval's liveness table, computed on first use

    def __str__(self):
        return _printer(self)

    __repr__ = __str__


def subjaxprs(eqn: Eqn):
    """The jaxprs (``Jaxpr`` or ``ClosedJaxpr``) among an equation's params,
    e.g. the body of a ``scan`` or the branches of a ``cond``."""
    for value in eqn.params.values():
        for v in (value if isinstance(value, tuple) else (value,)):
            if isinstance(v, (Jaxpr, ClosedJaxpr)):
                yield v


def all_eqns(jaxpr):
    """Every equation of ``jaxpr`` (or a ``ClosedJaxpr``), sub-jaxprs included.

    >>> import numpy as np, ftrans, ftrans.lax as lax
    >>> closed = ftrans.make_jaxpr(
    ...     lambda xs: lax.scan(lambda c, x: (c + x, None), 0.0, xs)[0])(np.ones(3))
    >>> [e.primitive.name for e in all_eqns(closed)]
    ['scan', 'add']
    """
    for eqn in getattr(jaxpr, "jaxpr", jaxpr).eqns:
        yield eqn
        for sub in subjaxprs(eqn):
            yield from all_eqns(sub)


# Functions called with every ClosedJaxpr that a trace or a pass builds (see
# ``built``). The tests install ``ftrans.check.check_jaxpr`` here, so that
# every jaxpr made during the tests is type-checked (like JAX's
# jax_enable_checks); ``ftrans.check.enable_checks()`` does it for users.
build_hooks: list[Callable[["ClosedJaxpr"], None]] = []


def built(closed: "ClosedJaxpr") -> "ClosedJaxpr":
    """``closed``, after the build hooks have seen it: where traces and passes
    hand over a new jaxpr."""
    for hook in build_hooks:
        hook(closed)
    return closed


class ClosedJaxpr:
    """A jaxpr with values for its constvars. What transformations consume and return.

    >>> import numpy as np, ftrans
    >>> closed = ftrans.make_jaxpr(lambda x: x * np.arange(3.0))(np.ones(3))
    >>> closed.consts, closed.out_avals
    ([array([0., 1., 2.])], [ShapedArray(f64[3])])
    """

    __slots__ = ("jaxpr", "consts")

    def __init__(self, jaxpr: Jaxpr, consts):
        self.jaxpr = jaxpr
        self.consts = list(consts)

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.jaxpr.invars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.jaxpr.outvars]

    @property
    def eqns(self) -> list[Eqn]:
        return self.jaxpr.eqns

    def __str__(self):
        return _printer(self.jaxpr, self.consts)

    __repr__ = __str__


class Primitive:
    """A named operation with its rules attached.

    The rule slots (``RULES``) are set by decorators in the primitive's block:
    ``def_impl``, ``def_abstract_eval``, ``def_jvp``, ``def_transpose``,
    ``def_batch``, ``def_emit`` and ``def_cost``. Each name is registered once, in
    ``Primitive.registry``; a second primitive of the same name raises.

    >>> p = Primitive("my_double")
    >>> _ = p.def_impl(lambda x: 2 * x)
    >>> _ = p.def_abstract_eval(lambda x: x)
    >>> p.bind(np.ones(2))
    array([2., 2.])
    >>> p.unregister()  # a throwaway: the registry lists the library's primitives
    """

    # The rules a primitive may carry, and the transformation that reads each.
    # ``emit`` (params -> numpy source for jit's code generation) is optional:
    # without it, generated code calls ``impl``.
    RULES: dict[str, str] = {
        "impl": "evaluation (impl)",
        "abstract_eval": "tracing (abstract_eval, the shape rule)",
        "jvp": "differentiation (JVP)",
        "transpose": "reverse-mode differentiation (transpose)",
        "batch": "vmap (batching)",
        "emit": "jit (numpy code generation)",
        "cost": "cost analysis (FLOP counts)",
    }

    registry: dict[str, "Primitive"] = {}

    def __init__(self, name: str, multiple_results: bool = False):
        first = Primitive.registry.get(name)
        if first is not None:
            raise ValueError(f"a primitive named '{name}' already exists (defined at "
                             f"{first.defined_at}); primitive names must be unique: "
                             "pick another name, or unregister() the first one")
        self.name = name
        self.multiple_results = multiple_results
        self.impl: Callable | None = None
        self.abstract_eval: Callable | None = None
        self.jvp: Callable | None = None
        self.transpose: Callable | None = None
        self.batch: Callable | None = None
        self.emit: Callable | None = None
        # optional: (*in_avals, **params) -> dict(flops=..., transcendentals=...)
        self.cost: Callable | None = None
        # optional, for primitives that carry sub-jaxprs (cond, scan, ...)
        self.partial_eval: Callable | None = None
        self.dce: Callable | None = None
        # optional peephole at staging time: args -> an existing value, or None
        self.simplify: Callable | None = None
        # True for primitives whose derivative is zero by construction (floor,
        # comparisons, stop_gradient): their outputs carry no derivative
        self.zero_jvp = False
        self.defined_at, self.in_library = _definition_site()
        Primitive.registry[name] = self

    def unregister(self) -> None:
        """Remove this primitive from ``Primitive.registry`` (throwaway
        primitives of tests and examples), so that its name can be reused."""
        if Primitive.registry.get(self.name) is self:
            del Primitive.registry[self.name]

    def bind(self, *args, **params) -> Any:
        return _bind(self, args, params)

    def def_impl(self, f):
        self.impl = f
        return f

    def def_abstract_eval(self, f):
        self.abstract_eval = f
        return f

    def def_jvp(self, f):
        self.jvp = f
        return f

    def def_transpose(self, f):
        self.transpose = f
        return f

    def def_batch(self, f):
        self.batch = f
        return f

    def def_emit(self, f):
        self.emit = f
        return f

    def def_cost(self, f):
        self.cost = f
        return f

    def rule(self, kind: str) -> Callable:
        """The rule for a transformation, or a clear error naming both."""
        f = getattr(self, kind)
        if f is None:
            hints = {"transpose": " (only linear primitives have one: a function "
                                  "passed to linear_transpose must be linear in its "
                                  "arguments)",
                     "batch": " (vmap needs one, and so do jacfwd, jacrev and "
                              "hessian, which evaluate the derivative once, batched "
                              "over the basis; declare it with def_batch)"}
            hint = hints.get(kind, "")
            raise NotImplementedError(
                f"{self.RULES.get(kind, kind)}: primitive '{self.name}' has no "
                f"{kind} rule{hint}")
        return f

    def __repr__(self):
        return self.name


def _definition_site() -> tuple[str, bool]:
    """Where the primitive being built is declared (``file:line`` of the first
    caller outside ``core.py`` and the family factories of
    ``prims/_families.py``), and whether that is inside the ftrans package (a
    library primitive) rather than user, test or doctest code."""
    import os
    import sys
    package = os.path.dirname(os.path.abspath(__file__))
    factories = (os.path.abspath(__file__), os.path.join(package, "prims", "_families.py"))
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename) in factories:
        frame = frame.f_back
    if frame is None:
        return "<unknown>", False
    path = os.path.abspath(frame.f_code.co_filename)
    if not path.startswith(package + os.sep):
        return f"{frame.f_code.co_filename}:{frame.f_lineno}", False
    return f"{os.path.relpath(path, os.path.dirname(package))}:{frame.f_lineno}", True


# --- hooks that the modules above install ------------------------------------------------
# The modules that print the IR (``ftrans.pretty``) and trace it
# (``ftrans.tracing``, which holds the trace stack that ``bind`` reads) import
# this one, so this one does not import them: each installs its function here
# when it is imported, which every ``import ftrans...`` does (ftrans/__init__.py).

def _bind_unset(prim: Primitive, args, params):
    raise RuntimeError(f"cannot bind '{prim.name}': ftrans.tracing, which installs "
                       "bind (core.set_bind), is not imported")


def _printer_unset(jaxpr: Jaxpr, consts=None) -> str:
    return (f"<Jaxpr: {len(jaxpr.invars)} inputs, {len(jaxpr.eqns)} equations "
            "(import ftrans.pretty to print it)>")


_bind: Callable[[Primitive, tuple, dict], Any] = _bind_unset
_printer: Callable[..., str] = _printer_unset


def set_bind(bind: Callable[[Primitive, tuple, dict], Any]) -> None:
    """Install ``bind(prim, args, params)``, what ``Primitive.bind`` calls:
    ``ftrans.tracing.bind`` (stage into a trace, or run eagerly)."""
    global _bind
    _bind = bind


def set_printer(printer: Callable[..., str]) -> None:
    """Install ``printer(jaxpr, consts=None) -> str``, what ``str(jaxpr)``
    calls: ``ftrans.pretty.pp_jaxpr``."""
    global _printer
    _printer = printer
