"""``check_jaxpr``: validate a jaxpr's types and single assignment.

Every transformation's output is checked in the tests: each variable is
bound once and defined before use, each equation's output types equal what its
primitive's shape rule says for the input types, and sub-jaxprs in params
are checked recursively.
"""

from __future__ import annotations

import contextlib

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Jaxpr, Literal, Var, build_hooks, get_aval, subjaxprs


class JaxprTypeError(TypeError):
    """A jaxpr is ill-typed or not in single-assignment form."""


@allow_deep_recursion
def check_jaxpr(jaxpr: Jaxpr | ClosedJaxpr) -> None:
    """Raise ``JaxprTypeError`` if ``jaxpr`` is not well formed.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> check_jaxpr(ftrans.make_jaxpr(jnp.sin)(np.ones(3)))
    """
    if isinstance(jaxpr, ClosedJaxpr):
        if len(jaxpr.consts) != len(jaxpr.jaxpr.constvars):
            raise JaxprTypeError("ClosedJaxpr: number of consts differs from constvars")
        for v, c in zip(jaxpr.jaxpr.constvars, jaxpr.consts):
            if get_aval(c) != v.aval:
                raise JaxprTypeError(f"ClosedJaxpr: a const of type "
                                     f"{get_aval(c).str_short()} is bound to a "
                                     f"constvar of type {v.aval.str_short()}")
        jaxpr = jaxpr.jaxpr
    defined: set = set()

    def bind_var(v):
        if type(v) is not Var:
            raise JaxprTypeError(f"binder {v!r} is not a Var")
        if v in defined:
            raise JaxprTypeError(f"variable {v!r} is bound twice")
        defined.add(v)

    def read(v, where):
        if type(v) is Literal:
            if v.aval.shape != ():
                raise JaxprTypeError(f"{where}: literal {v!r} is not rank 0")
            return
        if v not in defined:
            raise JaxprTypeError(f"{where}: variable {v!r} used before definition")

    for v in jaxpr.constvars + jaxpr.invars:
        bind_var(v)
    for i, eqn in enumerate(jaxpr.eqns):
        where = f"equation {i} ({eqn.primitive.name})"
        for v in eqn.inputs:
            read(v, where)
        for sub in subjaxprs(eqn):
            check_jaxpr(sub)
        expected = eqn.primitive.rule("abstract_eval")(
            *[v.aval for v in eqn.inputs], **eqn.params)
        expected = expected if eqn.primitive.multiple_results else [expected]
        got = [v.aval for v in eqn.outputs]
        if list(expected) != got:
            raise JaxprTypeError(f"{where}: outputs have types {got}, the shape "
                                 f"rule says {list(expected)}")
        for v in eqn.outputs:
            bind_var(v)
    for v in jaxpr.outvars:
        read(v, "outputs")


@contextlib.contextmanager
def enable_checks():
    """Type-check every jaxpr that traces and transformations build inside
    the block (slow; for debugging rules, like JAX's ``jax_enable_checks``).

    >>> import ftrans, ftrans.numpy as jnp
    >>> with enable_checks():
    ...     float(ftrans.grad(jnp.sin)(0.0))
    1.0
    """
    build_hooks.append(check_jaxpr)
    try:
        yield
    finally:
        build_hooks.remove(check_jaxpr)
