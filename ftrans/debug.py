"""``ftrans.debug``: print and call back with concrete values, under every
transformation (as ``jax.debug``).

``print`` and ``callback`` stage one ``debug_callback`` equation
(``ftrans/prims/effects.py``) whose impl calls the Python function on the
operands' concrete values. The equation has no outputs and is never removed
by the optimization passes, so it runs whenever the jaxpr runs: once per
call of a ``jit``-compiled function (not only when tracing), once per step of
a ``scan`` body, once per batch element under ``vmap``, and on the primal
values under ``grad``/``jvp`` (tangents are not shown).
"""

from __future__ import annotations

import builtins
from typing import Any, Callable

import numpy as np

from ftrans.prims.effects import Callback, debug_callback_p
from ftrans.tracing import Tracer
from ftrans.tree_util import tree_flatten, tree_unflatten

__all__ = ["print", "callback"]


def _is_operand(leaf) -> bool:
    return isinstance(leaf, (Tracer, np.ndarray, np.generic, builtins.bool, int, float,
                             complex))


def _stage(fn: Callable, args: tuple, kwargs: dict) -> None:
    # array leaves become the equation's operands; the others (strings, None,
    # ...) stay Python values, put back in place when the callback runs
    leaves, tree = tree_flatten((args, kwargs))
    mask = [_is_operand(x) for x in leaves]
    static = [None if m else x for x, m in zip(leaves, mask)]

    def call(*operands):
        it = iter(operands)
        full = [np.asarray(next(it)) if m else s for m, s in zip(mask, static)]
        a, k = tree_unflatten(tree, full)
        fn(*a, **k)

    call.__name__ = getattr(fn, "__name__", "callback")
    debug_callback_p.bind(*[x for x, m in zip(leaves, mask) if m], callback=Callback(call))


def callback(callback: Callable[..., Any], *args: Any, ordered: bool = False,
             **kwargs: Any) -> None:
    """Call ``callback(*args, **kwargs)`` with concrete values (numpy arrays
    for the array leaves) whenever the surrounding computation runs, under
    ``jit``, ``vmap`` (once per element), ``grad`` and loop bodies. Returns None.

    >>> import numpy as np, ftrans
    >>> seen = []
    >>> def f(x):
    ...     ftrans.debug.callback(lambda v: seen.append(float(v)), x)
    ...     return x * 2
    >>> g = ftrans.jit(f); _ = g(1.0); _ = g(2.0)
    >>> seen
    [1.0, 2.0]
    """
    if not builtins.callable(callback):
        raise TypeError(f"debug.callback: the first argument must be callable, "
                        f"got {type(callback).__name__}")
    _stage(callback, args, kwargs)


def print(fmt: str, *args: Any, ordered: bool = False, **kwargs: Any) -> None:  # noqa: A001
    """Print ``fmt.format(*args, **kwargs)`` with the concrete values, under
    every transformation (as ``jax.debug.print``).

    >>> import ftrans, ftrans.numpy as jnp
    >>> def f(x):
    ...     ftrans.debug.print("x = {x}", x=x)
    ...     return jnp.sin(x)
    >>> _ = ftrans.jit(f)(0.5)
    x = 0.5
    >>> _ = ftrans.vmap(f)(jnp.array([1.0, 2.0]))
    x = 1.0
    x = 2.0
    """
    if not isinstance(fmt, str):
        raise TypeError(f"debug.print: the format must be a str, got {type(fmt).__name__}")

    def _print(*a, **k):
        builtins.print(fmt.format(*a, **k))

    _stage(_print, args, kwargs)

