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

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Jaxpr, Literal, set_printer


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


def _param_str(value) -> str:
    if isinstance(value, np.dtype):
        from ftrans.dtypes import short_name
        return short_name(value)
    return repr(value)


def _is_jaxprs(value) -> bool:
    return (isinstance(value, (Jaxpr, ClosedJaxpr)) or isinstance(value, tuple) and bool(value)
            and isinstance(value[0], (Jaxpr, ClosedJaxpr)))


def pp_jaxpr(jaxpr: Jaxpr, consts=None) -> str:
    """The text of ``jaxpr`` (constvars before ``;``, invars after)."""
    out: list[str] = []
    _write_jaxpr(out, jaxpr, "\n")
    return "".join(out)


@allow_deep_recursion
def _write_jaxpr(out: list, jaxpr: Jaxpr, newline: str) -> None:
    """Append the text of ``jaxpr`` to ``out``, each line after the first
    starting with ``newline`` (a newline and the indentation of a nested
    jaxpr). Each piece of text is written once: the work is the output's size
    however deeply sub-jaxprs nest."""
    name = _Namer()
    constvars = " ".join(name.binder(v) for v in jaxpr.constvars)
    invars = " ".join(name.binder(v) for v in jaxpr.invars)
    out.append(f"{{ lambda {constvars}{' ' if constvars else ''}; {invars}. let")
    inner = newline + " " * 6
    for eqn in jaxpr.eqns:
        outs = " ".join(name.binder(v) for v in eqn.outputs)
        out.append(f"{newline}    {outs} = {eqn.primitive.name}")
        for i, (k, v) in enumerate(eqn.params.items()):
            out.append(f"{' ' if i else '['}{k}=")
            if not _is_jaxprs(v):
                out.append(_param_str(v))
                continue
            subs = v if isinstance(v, tuple) else (v,)
            out.append("(" if isinstance(v, tuple) else "")
            for j, sub in enumerate(subs):
                out.append(", " if j else "")
                _write_jaxpr(out, getattr(sub, "jaxpr", sub), inner)
            out.append(")" if isinstance(v, tuple) else "")
        if eqn.params:
            out.append("]")
        ins = " ".join(name(v) for v in eqn.inputs)
        out.append(f" {ins}".rstrip())
    outs = ", ".join(name(v) for v in jaxpr.outvars)
    out.append(f"{newline}  in ({outs}{',' if len(jaxpr.outvars) == 1 else ''}) }}")


set_printer(pp_jaxpr)  # str(jaxpr) (core.py cannot import this module: it imports core)
