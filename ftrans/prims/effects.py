"""Effectful primitives: ``debug_callback`` (behind ``ftrans.debug``).

``debug_callback`` has no outputs: its impl calls a Python function on the
concrete values of its operands and returns nothing. It is declared
``effectful``, so the optimization passes never drop (``dce``), merge
(``cse``) or fold it, and a primitive holding it in a sub-jaxpr (a ``scan``
body, a ``jit_call``) is kept too. Its JVP calls it on the primals only
(tangents are not shown, as in JAX); it needs no transpose (with no outputs
it receives no cotangents); under ``vmap`` it is called once per batch
element, in order, as JAX's ``debug.callback`` is. Generated code (``jit``)
calls the impl on every run, not only when tracing.
"""

from __future__ import annotations

from typing import Callable

from ftrans.core import Primitive, get_aval
from ftrans.prims.shape import slice as slice_, squeeze

__all__: list[str] = []


class Callback:
    """The Python function of a ``debug_callback`` equation, called with the
    operands' values: a hashable static param (compared by identity)."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, *operands) -> None:
        self.fn(*operands)

    def __repr__(self) -> str:
        return f"<debug callback {getattr(self.fn, '__name__', repr(self.fn))}>"


def _debug_callback_impl(*args, callback):
    callback(*args)
    return []


debug_callback_p = Primitive("debug_callback", multiple_results=True)
debug_callback_p.effectful = True
debug_callback_p.def_impl(_debug_callback_impl)


@debug_callback_p.def_abstract_eval
def _debug_callback_abstract_eval(*avals, callback):
    return []


@debug_callback_p.def_jvp
def _debug_callback_jvp(primals, tangents, callback):
    # the callback sees the primals; tangents are not printed (as in JAX)
    debug_callback_p.bind(*primals, callback=callback)
    return [], []


@debug_callback_p.def_batch
def _debug_callback_batch(axis_size, args, dims, callback):
    # one call per batch element, in order (JAX's sequential batching)
    for i in range(axis_size):
        sliced = []
        for x, d in zip(args, dims):
            if d is None:
                sliced.append(x)
                continue
            shape = get_aval(x).shape
            starts = tuple(i if k == d else 0 for k in range(len(shape)))
            limits = tuple(i + 1 if k == d else n for k, n in enumerate(shape))
            sliced.append(squeeze(slice_(x, starts, limits), (d,)))
        debug_callback_p.bind(*sliced, callback=callback)
    return [], []


@debug_callback_p.def_emit
def _debug_callback_emit(ctx, out_names, in_exprs, callback):
    return f"{ctx.const(callback, 'callback')}({', '.join(in_exprs)})"


@debug_callback_p.def_cost
def _debug_callback_cost(*avals, callback):
    return dict(flops=0, transcendentals=0)
