"""The planner behind ``ftrans.jacobian(mode="auto")``: forward or reverse
mode, and how many basis vectors per batched pass, chosen from the analysed
cost of the jaxprs that each mode would run.

For ``f: R^n -> R^m`` both modes first run the forward pass once and keep its
residuals (ftrans's ``jacfwd`` linearizes too). Then forward mode evaluates
the linear jaxpr batched over the ``n`` input basis vectors (the columns),
reverse mode the transposed jaxpr batched over the ``m`` output basis vectors
(the rows). Each plan is costed by ``ftrans.transforms.cost.analyze`` on the
batched jaxpr of one chunk, exactly the jaxpr ``jacfwd``/``jacrev`` would run:

- flops: the chunk's flops times the number of chunks (the last, shorter
  chunk analysed separately);
- peak bytes: the residuals (live through every chunk), plus the chunk's
  batched inputs, plus the peak live intermediates of the chunk's pass as
  ``analyze`` reports it.

``auto`` runs the plan with fewer flops among those whose peak fits
``memory_limit``; with a limit, each plan takes the largest ``chunk_size``
whose predicted peak stays under it. The api layer traces the function and
calls ``plan_jacobian``; this module only reads jaxprs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ftrans._identity_cache import IdentityCache
from ftrans.batching import _batched
from ftrans.core import ClosedJaxpr, ShapedArray
from ftrans.derivatives import Derivatives
from ftrans.transforms.cost import analyze, si

__all__ = ["PassCost", "JacobianPlan", "plan_jacobian"]

MODES = ("auto", "fwd", "rev")


@dataclass(frozen=True)
class PassCost:
    """The predicted cost of one mode: ``width`` basis vectors (``n`` for
    forward, ``m`` for reverse) in chunks of ``chunk_size``."""
    mode: str
    width: int
    chunk_size: int
    flops: int
    peak_bytes: int
    bytes_read: int
    residual_bytes: int

    @property
    def n_chunks(self) -> int:
        return math.ceil(self.width / self.chunk_size) if self.width else 0

    def __str__(self) -> str:
        return (f"{self.mode}: {self.width} {'JVP columns' if self.mode == 'fwd' else 'VJP rows'}"
                f" in {self.n_chunks} chunk(s) of {self.chunk_size}, "
                f"{si(self.flops)} flops, peak {si(self.peak_bytes)}B "
                f"(residuals {si(self.residual_bytes)}B)")


@dataclass(frozen=True)
class JacobianPlan:
    """The decision of ``jacobian``: ``mode`` ("fwd" or "rev") and
    ``chunk_size`` (None: the whole width in one pass), with both plans'
    predicted costs and whether the chosen one fits ``memory_limit``."""
    mode: str
    chunk_size: int | None
    forward: PassCost
    reverse: PassCost
    requested: str
    memory_limit: int | None
    fits: bool

    @property
    def chosen(self) -> PassCost:
        return self.forward if self.mode == "fwd" else self.reverse

    def __str__(self) -> str:
        limit = "" if self.memory_limit is None else f", memory limit {si(self.memory_limit)}B"
        over = "" if self.fits else " (no chunking fits the memory limit)"
        chunk = "whole width" if self.chunk_size is None else f"chunk_size={self.chunk_size}"
        return (f"jacobian plan (mode={self.requested!r}{limit}): {self.mode}, {chunk}{over}\n"
                f"  {self.forward}\n  {self.reverse}")


def _bytes(avals: Sequence[ShapedArray]) -> int:
    return sum(a.size * a.dtype.itemsize for a in avals)


class _Pass:
    """One mode's linear jaxpr (``residuals, basis vectors -> products``),
    costed at any chunk width."""

    def __init__(self, mode: str, closed: ClosedJaxpr, n_res: int, width: int):
        self.mode, self.closed, self.n_res, self.width = mode, closed, n_res, width
        avals = closed.in_avals
        # residuals, and the jaxpr's constants, stay alive through every chunk
        self.residual_bytes = _bytes(avals[:n_res]) + sum(
            np.asarray(c).nbytes for c in closed.consts)
        self.vector_bytes = _bytes(avals[n_res:])  # one basis vector
        self.dims = [None] * n_res + [0] * (len(avals) - n_res)
        self._memo: dict = {}

    def chunk(self, size: int):
        """``analyze`` of the pass batched over ``size`` vectors."""
        if size not in self._memo:
            batched, _ = _batched(self.closed, self.dims, size)
            self._memo[size] = analyze(batched)
        return self._memo[size]

    def peak(self, size: int) -> int:
        return self.residual_bytes + size * self.vector_bytes + self.chunk(size).peak_bytes

    def cost(self, chunk_size: int | None) -> PassCost:
        width = self.width
        c = width if chunk_size is None else max(1, min(chunk_size, width))
        if width == 0:
            return PassCost(self.mode, 0, 1, 0, self.residual_bytes, 0, self.residual_bytes)
        full, rest = divmod(width, c)
        a = self.chunk(c)
        flops, read = full * a.flops, full * a.bytes_read
        if rest:
            r = self.chunk(rest)
            flops, read = flops + r.flops, read + r.bytes_read
        return PassCost(self.mode, width, c, int(flops), int(self.peak(c)), int(read),
                        int(self.residual_bytes))

    def largest_chunk(self, limit: int) -> tuple[int, bool]:
        """The largest chunk width whose predicted peak is at most ``limit``
        (binary search; the peak grows with the width), and whether it fits."""
        if self.width == 0 or self.peak(self.width) <= limit:
            return max(self.width, 1), True
        if self.peak(1) > limit:
            return 1, False
        lo, hi = 1, self.width  # peak(lo) fits, peak(hi) does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if self.peak(mid) <= limit else (lo, mid)
        return lo, True


_cache = IdentityCache(64)  # Derivatives object (cached by structure) -> {options: plan}


def plan_jacobian(derived: Derivatives, in_avals: Sequence[ShapedArray],
                  out_avals: Sequence[ShapedArray], mode: str = "auto",
                  chunk_size: int | None = None,
                  memory_limit: int | None = None) -> JacobianPlan:
    """The plan for the Jacobian of the traced jaxpr behind ``derived``
    w.r.t. its differentiable inputs ``in_avals``, of its live outputs
    ``out_avals`` (those whose derivative is not zero by construction).
    Cached per ``derived`` (which ``derivatives`` caches by the jaxpr's
    structure) and the arguments."""
    if mode not in MODES:
        raise ValueError(f"jacobian: mode must be one of {MODES}, got {mode!r}")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"jacobian: chunk_size must be a positive int, got {chunk_size}")
    lin = derived.linearized
    options = (tuple(map(str, in_avals)), tuple(map(str, out_avals)), mode, chunk_size,
               memory_limit)
    by_derived = _cache.get(derived)  # the same program: the cached derived jaxprs
    if by_derived is None:
        by_derived = {}
        _cache.put(derived, by_derived)
    if options in by_derived:
        return by_derived[options]
    n, m = sum(a.size for a in in_avals), sum(a.size for a in out_avals)
    passes = {"fwd": _Pass("fwd", lin.linear, lin.n_res, n),
              "rev": _Pass("rev", derived.transposed, lin.n_res, m)}
    chunks, fits = {}, {}
    for name, p in passes.items():
        if memory_limit is None:
            chunks[name], fits[name] = chunk_size, True
        else:
            c, ok = p.largest_chunk(memory_limit)
            if chunk_size is not None:
                c = min(c, chunk_size)
            chunks[name], fits[name] = (None if c >= p.width and chunk_size is None else c), ok
    costs = {name: p.cost(chunks[name]) for name, p in passes.items()}
    if mode == "auto":
        candidates = [k for k in ("fwd", "rev") if fits[k]] or ["fwd", "rev"]
        if len(candidates) == 2 and not any(fits.values()):
            chosen = min(candidates, key=lambda k: costs[k].peak_bytes)
        else:
            chosen = min(candidates, key=lambda k: (costs[k].flops, costs[k].peak_bytes))
    else:
        chosen = mode
    plan = JacobianPlan(chosen, chunks[chosen], costs["fwd"], costs["rev"], mode,
                        memory_limit, fits[chosen])
    by_derived[options] = plan
    return plan
