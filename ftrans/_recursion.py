"""Deep nesting without ``RecursionError``: the recursion limit, raised locally.

Nested control flow and nested transformations recurse: a ``cond``'s
partial_eval rule partially evaluates its branches, which hold ``cond``s; a
branch is user code that calls ``cond`` while it is traced; ``grad(grad(f))``
traces ``grad(f)``, which traces ``f``. Tracing user code cannot be made
iterative, and the passes recurse through the primitives' rules by design,
so the functions through which that recursion goes (``trace_to_jaxpr``, the
passes, the sub-jaxpr evaluators, the checker, the printer) are decorated with
``allow_deep_recursion``. On entry it measures the thread's actual depth
(cheaply: it walks back only to the previous decorated frame) and raises the
limit to twice that depth plus the limit in force before any such call, as
if every level of nesting started afresh. The old
limit is restored when the last decorated call returns, in whichever thread:
the limit is per process, so a thread that finishes never lowers it under
another that is still deep.

A runaway recursion in user code therefore still stops after the usual
number of frames, and the limit is never raised beyond ``MAX_DEPTH``, a
depth that the C stack of an 8 MB thread survives (measured: ``grad`` of
2,000 nested conds, ~20,000 frames, runs; 3,000 crash CPython 3.11 without the
cap): a deeper program raises ``RecursionError`` instead of crashing. About
1,500 nested conds fit under ``grad``.
"""

from __future__ import annotations

import functools
import sys
import threading
from typing import Callable, TypeVar

MAX_DEPTH = 20_000

F = TypeVar("F", bound=Callable)

_local = threading.local()
_lock = threading.Lock()
_active = 0            # decorated calls running, in all threads
_saved: int | None = None   # the limit before the first of them


def _depth(frame, entries) -> int:
    """The depth of ``frame``: counted back to the innermost decorated frame
    of this thread (whose depth is known), or to the bottom of the stack."""
    target, base = entries[-1] if entries else (None, 0)
    steps = 0
    while frame is not None and frame is not target:
        frame = frame.f_back
        steps += 1
    return steps if frame is None else base + steps


def _reserve(depth: int) -> None:
    global _active, _saved
    with _lock:
        saved = sys.getrecursionlimit() if _active == 0 else _saved
        # Calls through C (``str.join`` of a generator, ``f(*args)``) count
        # twice against the limit: reserve for twice the frames.
        want = min(2 * depth + saved, MAX_DEPTH)
        if want > sys.getrecursionlimit():
            sys.setrecursionlimit(want)
        _saved = saved
        _active += 1


def _release() -> None:
    global _active
    with _lock:
        _active -= 1
        if _active == 0 and sys.getrecursionlimit() != _saved:
            try:
                sys.setrecursionlimit(_saved)
            except RecursionError:  # this thread is deeper than the old limit
                pass


def allow_deep_recursion(fn: F) -> F:
    """Decorate ``fn`` so that, while it runs, the thread may recurse as far
    above the current depth as it could from the bottom of the stack."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        frame = sys._getframe()
        entries = _local.__dict__.setdefault("entries", [])
        depth = _depth(frame, entries)
        _reserve(depth)  # counts this call only once it returns
        try:
            entries.append((frame, depth))
            return fn(*args, **kwargs)
        finally:
            if entries and entries[-1][0] is frame:
                entries.pop()
            # a frame holding itself is a reference cycle that only the
            # garbage collector frees: its arguments (arrays) would outlive it
            del frame
            _release()

    return wrapper  # type: ignore[return-value]
