"""Print jaxprs in JAX's format, one equation per line:

    { lambda ; a:f64[3]. let
        b:f64[3] = sin a
        c:f64[3] = mul b 2.0
      in (c,) }
"""

from __future__ import annotations

import itertools
import string

import numpy as np

from ftrans.core import ClosedJaxpr, Jaxpr, Literal


def _names():
    for n in itertools.count(1):
        for letters in itertools.product(string.ascii_lowercase, repeat=n):
            yield "".join(letters)


class _Namer:
    def __init__(self):
        self.names: dict = {}
        self.fresh = _names()

    def __call__(self, v) -> str:
        if type(v) is Literal:
            return _literal_str(v.val)
        if v not in self.names:
            self.names[v] = next(self.fresh)
        return self.names[v]

    def binder(self, v) -> str:
        return f"{self(v)}:{v.aval.str_short()}"


def _literal_str(val) -> str:
    val = np.asarray(val)
    if val.dtype == np.bool_:
        return str(bool(val))
    if np.issubdtype(val.dtype, np.floating):
        return repr(float(val))
    return str(val.item())


def _param_str(value, indent: int) -> str:
    if isinstance(value, ClosedJaxpr):
        value = value.jaxpr
    if isinstance(value, Jaxpr):
        inner = pp_jaxpr(value).replace("\n", "\n" + " " * (indent + 2))
        return inner
    if isinstance(value, tuple) and value and isinstance(value[0], (Jaxpr, ClosedJaxpr)):
        return "(" + ", ".join(_param_str(v, indent) for v in value) + ")"
    if isinstance(value, np.dtype):
        from ftrans.dtypes import short_name
        return short_name(value)
    return repr(value)


def pp_jaxpr(jaxpr: Jaxpr, consts=None) -> str:
    """The text of ``jaxpr`` (constvars before ``;``, invars after)."""
    name = _Namer()
    constvars = " ".join(name.binder(v) for v in jaxpr.constvars)
    invars = " ".join(name.binder(v) for v in jaxpr.invars)
    lines = [f"{{ lambda {constvars}{' ' if constvars else ''}; {invars}. let"]
    for eqn in jaxpr.eqns:
        outs = " ".join(name.binder(v) for v in eqn.outputs)
        params = " ".join(f"{k}={_param_str(v, 4)}" for k, v in eqn.params.items())
        params = f"[{params}]" if params else ""
        ins = " ".join(name(v) for v in eqn.inputs)
        lines.append(f"    {outs} = {eqn.primitive.name}{params} {ins}".rstrip())
    outs = ", ".join(name(v) for v in jaxpr.outvars)
    lines.append(f"  in ({outs}{',' if len(jaxpr.outvars) == 1 else ''}) }}")
    return "\n".join(lines)
