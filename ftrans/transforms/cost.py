"""Cost analysis of a jaxpr: FLOPs, transcendentals, bytes and peak live memory.

``analyze(closed)`` reads each equation's ``cost`` rule (``Primitive.def_cost``,
declared in the primitive's block or its family in ``prims/_families.py``):
``rule(*in_avals, **params) -> dict(flops=..., transcendentals=...)``. A
primitive that carries sub-jaxprs returns ``bodies=[(jaxpr, multiplier), ...]``
instead, counted here: a ``scan`` body times its length, a ``cond`` its
costliest branch (``combine="max"``), a ``while`` one iteration of its cond and
body, flagged ``trip_count_unknown``. A primitive without a rule counts no
flops (its bytes still count).

Bytes read and written are the input and output avals of each equation (of
the bodies' equations, times their multipliers, for sub-jaxpr primitives).
``peak_bytes`` is the peak live memory of the values the jaxpr computes, from
a liveness pass in equation order: a value is live from its equation to its
last use, an output to the end; the jaxpr's inputs and consts are excluded
(they exist before it runs), and so are literals. A sub-jaxpr equation adds its
bodies' own peak while it runs; the output of a view op (a cost rule
returning ``view=True``: reshape, transpose, broadcast_in_dim, ... are numpy
views) holds no bytes but keeps its operand alive; a scan's stacked outputs (its residuals, in a
gradient) already carry the length in their avals, so they count once per
iteration.

>>> import numpy as np, ftrans, ftrans.numpy as jnp
>>> a = ftrans.cost_analysis(lambda x, w: jnp.tanh(x @ w), np.ones((4, 3)), np.ones((3, 2)))
>>> a.flops, a.transcendentals  # 2*4*3*2 for the matmul, 8 for the tanh
(56, 8)
"""

from __future__ import annotations

from ftrans.core import ClosedJaxpr, Jaxpr, Var

_FIELDS = ("count", "flops", "transcendentals", "bytes_read", "bytes_written")


def _nbytes(aval) -> int:
    n = 1
    for d in aval.shape:
        n *= int(d)
    return n * aval.dtype.itemsize


def si(x: float) -> str:
    """``x`` with a k/M/G suffix and 3 significant digits: ``si(2400) == '2.4k'``."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


class CostAnalysis:
    """The cost of a jaxpr (see the module docstring for the model).

    Fields: ``flops``, ``transcendentals``, ``bytes_read``, ``bytes_written``,
    ``n_eqns`` (equations, those of sub-jaxprs included, each counted once),
    ``peak_bytes`` (intermediates and outputs; inputs and consts excluded),
    ``trip_count_unknown`` (a ``while`` was counted as one iteration) and
    ``by_primitive``: name -> dict of ``count``, ``flops``,
    ``transcendentals``, ``bytes_read``, ``bytes_written``. ``print(it)``
    shows the per-primitive table.
    """

    def __init__(self):
        self.flops = 0
        self.transcendentals = 0
        self.bytes_read = 0
        self.bytes_written = 0
        self.n_eqns = 0
        self.peak_bytes = 0
        self.trip_count_unknown = False
        self.by_primitive: dict[str, dict] = {}

    def _add(self, name: str, mult: int, **counts) -> None:
        row = self.by_primitive.setdefault(name, dict.fromkeys(_FIELDS, 0))
        for k, v in counts.items():
            row[k] += mult * v
            if k != "count":
                setattr(self, k, getattr(self, k) + mult * v)

    def _merge(self, other: "CostAnalysis", mult: int) -> None:
        for name, row in other.by_primitive.items():
            self._add(name, mult, **row)
        self.n_eqns += other.n_eqns
        self.trip_count_unknown |= other.trip_count_unknown

    def __repr__(self):
        return (f"CostAnalysis(flops={self.flops}, transcendentals={self.transcendentals}, "
                f"bytes_read={self.bytes_read}, bytes_written={self.bytes_written}, "
                f"n_eqns={self.n_eqns}, peak_bytes={self.peak_bytes}"
                + (", trip_count_unknown=True" if self.trip_count_unknown else "") + ")")

    def __str__(self):
        head = ("primitive", "count", "flops", "transc.", "bytes read", "bytes written")
        rows = [(name, *(str(r[k]) for k in _FIELDS)) for name, r in
                sorted(self.by_primitive.items(), key=lambda kv: (-kv[1]["flops"], kv[0]))]
        rows.append(("total", str(self.n_eqns), str(self.flops), str(self.transcendentals),
                     str(self.bytes_read), str(self.bytes_written)))
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(r, widths)))
        lines = [fmt(head), "  ".join("-" * w for w in widths)]
        lines += [fmt(r) for r in rows[:-1]] + ["  ".join("-" * w for w in widths), fmt(rows[-1])]
        lines.append(f"peak live memory: {self.peak_bytes} bytes (intermediates and outputs)"
                     + ("; a while loop counted as one iteration (trip count unknown)"
                        if self.trip_count_unknown else ""))
        return "\n".join(lines)


def analyze(closed: ClosedJaxpr | Jaxpr) -> CostAnalysis:
    """The ``CostAnalysis`` of ``closed`` (a ``ClosedJaxpr`` or ``Jaxpr``)."""
    jaxpr = closed.jaxpr if isinstance(closed, ClosedJaxpr) else closed
    out = CostAnalysis()
    inner_peak = []  # per equation: the transient peak of its bodies
    views = {}  # output of a view op -> the operand whose buffer it shares
    for eqn in jaxpr.eqns:
        prim = eqn.primitive
        in_avals = [v.aval for v in eqn.inputs]
        rule = prim.cost
        r = rule(*in_avals, **eqn.params) if rule is not None else {}
        bodies = r.get("bodies")
        out.n_eqns += 1
        out._add(prim.name, 1, count=1)
        if r.get("view"):
            views[eqn.outputs[0]] = eqn.inputs[0]
        if not bodies:
            out._add(prim.name, 1, flops=int(r.get("flops", 0)),
                     transcendentals=int(r.get("transcendentals", 0)),
                     bytes_read=sum(_nbytes(a) for a in in_avals),
                     bytes_written=sum(_nbytes(v.aval) for v in eqn.outputs))
            inner_peak.append(0)
            continue
        subs = [(analyze(b), int(m)) for b, m in bodies]
        out.trip_count_unknown |= bool(r.get("trip_count_unknown"))
        if r.get("combine") == "max":
            worst, m = max(subs, key=lambda s: (s[0].flops * s[1], s[0].bytes_read * s[1]))
            counted = [(worst, m)]
            out.n_eqns += sum(s.n_eqns for s, _ in subs if s is not worst)
        else:
            counted = subs
        for sub, m in counted:
            out._merge(sub, m)
        inner_peak.append(max(s.peak_bytes for s, _ in subs))
    out.peak_bytes = _peak(jaxpr, inner_peak, views)
    return out


def _peak(jaxpr: Jaxpr, inner_peak: list, views: dict) -> int:
    """Peak bytes of the values live while each equation runs (its operands
    still needed, its outputs, and what its bodies need inside). A view has
    no bytes of its own and keeps its base alive as long as itself."""
    n = len(jaxpr.eqns)
    last = {}
    for i, eqn in enumerate(jaxpr.eqns):
        for v in eqn.inputs:
            if type(v) is Var:
                last[v] = i
    for v in jaxpr.outvars:
        if type(v) is Var:
            last[v] = n
    for eqn in reversed(jaxpr.eqns):  # a view's base lives while the view does
        for v in eqn.outputs:
            base = views.get(v)
            if type(base) is Var and v in last:
                last[base] = max(last.get(base, 0), last[v])
    outside = set(jaxpr.invars) | set(jaxpr.constvars)
    frees: dict[int, int] = {}  # equation index -> bytes whose last use it is
    live = peak = 0
    for i, eqn in enumerate(jaxpr.eqns):
        born = 0
        for v in eqn.outputs:
            if v in outside or v in views:
                continue
            size = _nbytes(v.aval)
            born += size
            end = last.get(v, i)  # an unused value dies at once
            frees[end] = frees.get(end, 0) + size
        live += born
        peak = max(peak, live + inner_peak[i])
        live -= frees.pop(i, 0)
    return peak
