"""``eval_jaxpr``: run a jaxpr. The hot path of every transformed function.

On numpy arrays each equation calls its primitive's ``impl`` directly. When an
argument or constant is a tracer of an enclosing trace, every equation is
staged into that trace instead (those on constants too, so that the inlined
jaxpr reads as the original): this is how transformations nest.
"""

from __future__ import annotations

from typing import Sequence

from ftrans._recursion import allow_deep_recursion
from ftrans.core import ClosedJaxpr, Jaxpr, Var
from ftrans.tracing import Trace, innermost_trace
from ftrans.typing import Array, ArrayLike


def eval_jaxpr(jaxpr: Jaxpr, consts: Sequence[ArrayLike], *args: ArrayLike) -> list[Array]:
    """Evaluate ``jaxpr`` on ``consts`` and ``args``; returns the list of outputs.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> closed = ftrans.make_jaxpr(lambda x: jnp.sin(x) * 2.0)(np.zeros(3))
    >>> ftrans.eval_jaxpr(closed.jaxpr, closed.consts, np.ones(3))[0].round(3)
    array([1.683, 1.683, 1.683])
    """
    if len(args) != len(jaxpr.invars) or len(consts) != len(jaxpr.constvars):
        raise TypeError(f"eval_jaxpr: the jaxpr takes {len(jaxpr.constvars)} consts "
                        f"and {len(jaxpr.invars)} arguments, got {len(consts)} and "
                        f"{len(args)}")
    env = dict(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, args))
    return _run(jaxpr, env, innermost_trace(env.values()))


def dead_after(jaxpr: Jaxpr) -> list[tuple[Var, ...]]:
    """For each equation, the variables whose last use it is (not outputs):
    evaluation drops them, so that an intermediate's memory is freed as soon
    as nothing reads it (the liveness that ``cost_analysis`` predicts)."""
    if jaxpr._dead_after is None:
        last = {}
        for i, eqn in enumerate(jaxpr.eqns):
            for v in (*eqn.inputs, *eqn.outputs):
                if type(v) is Var:
                    last[v] = i
        for v in jaxpr.outvars:
            last.pop(v, None)
        dead: list[list] = [[] for _ in jaxpr.eqns]
        for v, i in last.items():
            dead[i].append(v)
        jaxpr._dead_after = [tuple(d) for d in dead]
    return jaxpr._dead_after


def _run(jaxpr: Jaxpr, env: dict, trace: Trace | None) -> list:
    """The equation loop: stage into ``trace``, or run ``impl`` without one;
    each value is dropped after its last use."""
    for eqn, dead in zip(jaxpr.eqns, dead_after(jaxpr)):
        prim = eqn.primitive
        ins = [env[v] if type(v) is Var else v.val for v in eqn.inputs]
        if trace is not None:
            out = trace.process(prim, ins, eqn.params)
        else:
            out = prim.impl(*ins, **eqn.params)
        if prim.multiple_results:
            env.update(zip(eqn.outputs, out))
        else:
            env[eqn.outputs[0]] = out
        del out
        for v in dead:
            del env[v]
    return [env[v] if type(v) is Var else v.val for v in jaxpr.outvars]


@allow_deep_recursion  # sub-jaxprs nest: a cond's impl evaluates its branch, ...
def eval_closed(closed: ClosedJaxpr, *args) -> list:
    """Evaluate a ``ClosedJaxpr`` on ``args`` (the one helper that primitives
    carrying sub-jaxprs use to run them)."""
    return eval_jaxpr(closed.jaxpr, closed.consts, *args)
