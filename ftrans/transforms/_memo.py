"""Memoized passes: while a pass runs, each sub-jaxpr is derived once per flags.

The rules of sub-jaxpr primitives call the passes on their sub-jaxprs, and
some call them more than once with the same arguments: a ``scan`` finds
which carries are nonzero / unknown / live by a fixed point, then derives its
body again with the flags found; a ``cond`` asks its branches which outputs
are unknown before it splits them. Nested, each repetition doubles the work
per level. ``memoized`` makes a repeated call free: results are kept under the
identity of the jaxpr and the (frozen) other arguments, for as long as the
outermost memoized call of the thread runs, and then dropped.
"""

from __future__ import annotations

import functools
import threading
from typing import Callable, TypeVar

from ftrans.tracing import Tracer

F = TypeVar("F", bound=Callable)

_local = threading.local()


def _freeze(value):
    if value is None or type(value) in (bool, int, str):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    raise TypeError  # e.g. a dict to be filled: not memoizable


def _closed_over_tracers(closed) -> bool:
    return any(type(c) is Tracer for c in closed.consts)


def _has_tracer_consts(result) -> bool:
    items = result if isinstance(result, tuple) else (result,)
    return any(_closed_over_tracers(r) for r in items if hasattr(r, "consts"))


def memoized(fn: F) -> F:
    """Cache ``fn(closed, *flags)`` for the duration of the outermost call.

    A jaxpr that closes over tracers, and calls with an argument that is
    not a flag (a dict to fill), are not cached."""

    @functools.wraps(fn)
    def wrapper(closed, *args, **kwargs):
        memo = getattr(_local, "memo", None)
        outermost = memo is None
        if outermost:
            memo = _local.memo = {}
        try:
            try:
                key = (fn, id(closed), _freeze(args), _freeze(sorted(kwargs.items())))
            except TypeError:
                return fn(closed, *args, **kwargs)
            if key in memo:
                return memo[key][1]
            result = fn(closed, *args, **kwargs)
            if not _closed_over_tracers(closed) and not _has_tracer_consts(result):
                memo[key] = (closed, result)  # ``closed`` kept alive: its id stays its own
            return result
        finally:
            if outermost:
                _local.memo = None

    return wrapper  # type: ignore[return-value]
