"""Pictures of jaxprs: Graphviz DOT text for any ``Jaxpr`` or ``ClosedJaxpr``.

A jaxpr is a computational graph: ``to_dot`` draws it, so the jaxpr of a
gradient (``make_jaxpr(grad(f))``) shows the backward pass as a graph. Only
the standard library is needed to produce the DOT text; ``render`` hands it to
the Graphviz ``dot`` program to write an SVG, PNG or PDF file.

What is drawn, for each jaxpr (sub-jaxprs included):

- one **input** node per invar (blue ellipse) and one **const** node per
  constvar (yellow box; small constants show their values), labelled with the
  variable's name as the printer names it and its type, ``a`` / ``f64[3]``;
- one **equation** node per equation (white box). Its label is the equation
  as the printer writes it without the binders, ``add b 1.0``: the primitive,
  its params (a sub-jaxpr shown as ``{...}``) and its operands, wrapped if
  long. *Literal operands are shown inline there* and get no node. Then come
  the output binders with their types, ``d:f64[]``;
- one **output** node per outvar (green double ellipse), ``out 0: g`` / ``f64[]``;
- one **data edge** per (operand position, equation) whose operand is a
  variable, from the node producing that variable (its input, const or
  equation node) to the equation node, and one per outvar that is a variable,
  to its output node. ``x * x`` thus has two edges from ``x``; literals have
  none. So, per jaxpr, ``#nodes = #invars + #constvars + #eqns + #outvars``
  and ``#data edges = #variable operands of all equations + #variable outvars``;
- each sub-jaxpr in an equation's params (a ``Jaxpr``/``ClosedJaxpr`` value,
  or one inside a tuple such as cond's branches) is drawn recursively, with
  the same rules, inside a ``subgraph cluster_...`` labelled with the
  primitive and the param (``cond: branches[1]``), and joined to its equation
  node by one dotted edge (``style=dotted``): the only edges that are not
  data edges.

With ``color_by="flops"`` (or ``"transcendentals"``, ``"bytes"``: read plus
written), each equation node is filled from white to red by its cost on a log
scale relative to the costliest equation drawn, and its label gains the
count (``flops 2.05k``); a loop's equation counts its body times the trip
count, the body's own equations one iteration each (``ftrans.cost_analysis``'s
model).

Node ids are ``j<k>_in<i>``, ``j<k>_c<i>``, ``j<k>_e<i>``, ``j<k>_out<i>`` for
the k-th jaxpr drawn (0 is the top one); names inside a sub-jaxpr restart at
``a``, as in the printed jaxpr.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import numpy as np

from ftrans.core import ClosedJaxpr, Jaxpr, Var
from ftrans.pretty import _Namer, _literal_str
from ftrans.transforms.cost import analyze, si

__all__ = ["to_dot", "render", "save_graphs"]

COST_KEYS = ("flops", "transcendentals", "bytes")

_WIDTH, _MAX_LINES = 48, 4  # a label's text is wrapped, then cut after a few lines

_STYLE = {
    "input": 'shape=ellipse, style=filled, fillcolor="#dbeafe"',
    "const": 'shape=box, style=filled, fillcolor="#fef3c7"',
    "eqn": 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
    "output": 'shape=ellipse, peripheries=2, style=filled, fillcolor="#dcfce7"',
}


def _quote(text: str) -> str:
    """A DOT string literal; ``\\n`` in ``text`` becomes a centred line break."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def _wrap(text: str) -> str:
    """``text`` wrapped at spaces into at most ``_MAX_LINES`` lines."""
    lines = textwrap.wrap(text, _WIDTH, break_long_words=False,
                          break_on_hyphens=False) or [""]
    if len(lines) > _MAX_LINES:
        lines = lines[:_MAX_LINES - 1] + ["..."]
    return "\n".join(lines)


def _sub_jaxprs(eqn):
    """``(param label, Jaxpr, consts or None)`` for each sub-jaxpr in the params."""
    for key, value in eqn.params.items():
        items = value if isinstance(value, tuple) else (value,)
        for i, v in enumerate(items):
            label = f"{key}[{i}]" if isinstance(value, tuple) else key
            if isinstance(v, ClosedJaxpr):
                yield label, v.jaxpr, v.consts
            elif isinstance(v, Jaxpr):
                yield label, v, None


def _param_text(value) -> str:
    items = value if isinstance(value, tuple) else None
    if items and all(isinstance(v, (Jaxpr, ClosedJaxpr)) for v in items):
        return "(" + ", ".join("{...}" for _ in items) + ")"
    if isinstance(value, (Jaxpr, ClosedJaxpr)):
        return "{...}"
    if isinstance(value, np.dtype):
        from ftrans.dtypes import short_name
        return short_name(value)
    return repr(value)


def _const_preview(value, max_elements: int) -> str | None:
    if not isinstance(value, (np.ndarray, np.generic, int, float, bool, complex)):
        return None  # e.g. a tracer captured from an enclosing trace
    value = np.asarray(value)
    if value.size > max_elements:
        return None
    if value.ndim == 0:
        return _literal_str(value)
    text = np.array2string(value.ravel(), precision=4, separator=", ",
                           max_line_width=10_000)
    return text if value.ndim == 1 else f"{text} (flat)"


def _eqn_cost(eqn, key: str) -> int:
    """One equation's cost (its bodies' included) by ``cost_analysis``'s model."""
    alone = analyze(Jaxpr([], [v for v in eqn.inputs if type(v) is Var], [eqn], eqn.outputs))
    if key == "bytes":
        return alone.bytes_read + alone.bytes_written
    return getattr(alone, key)


def _heat(cost: int, top: int) -> str:
    """White at no cost to red at ``top``, on a log scale."""
    t = np.log1p(cost) / np.log1p(top) if top > 0 else 0.0
    white, red = np.array([255, 255, 255]), np.array([239, 68, 68])
    r, g, b = np.rint(white + t * (red - white)).astype(int)
    return f"#{r:02x}{g:02x}{b:02x}"


class _Writer:
    def __init__(self, max_const_elements: int, color_by: str | None = None):
        self.lines: list[str] = []
        self.count = 0  # jaxprs drawn so far: gives each its id prefix
        self.max_const_elements = max_const_elements
        self.color_by = color_by
        self.costs: list[tuple[int, int]] = []  # (line index, cost) of equation nodes

    def node(self, indent, node_id, kind, label):
        self.lines.append(f"{indent}{node_id} [{_STYLE[kind]}, label={_quote(label)}];")

    def eqn_node(self, indent, node_id, eqn, label):
        if self.color_by is not None:
            cost = _eqn_cost(eqn, self.color_by)
            label += f"\n{self.color_by} {si(cost)}"
            self.costs.append((len(self.lines), cost))
        self.node(indent, node_id, "eqn", label)

    def paint(self) -> None:
        """Fill each equation node by its share of the largest cost drawn."""
        top = max((c for _, c in self.costs), default=0)
        for line, cost in self.costs:
            self.lines[line] = self.lines[line].replace(
                'fillcolor="#ffffff"', f'fillcolor="{_heat(cost, top)}"', 1)

    def jaxpr(self, jaxpr: Jaxpr, consts, indent: str) -> str:
        """Draw ``jaxpr``; returns the id of one of its nodes (for cluster links)."""
        prefix = f"j{self.count}_"
        self.count += 1
        name = _Namer()
        producer: dict[Var, str] = {}
        first = []

        for i, v in enumerate(jaxpr.constvars):
            node_id = producer[v] = f"{prefix}c{i}"
            label = f"{name(v)}\n{v.aval.str_short()}"
            if consts is not None and i < len(consts):
                preview = _const_preview(consts[i], self.max_const_elements)
                if preview is not None:
                    label += "\n" + _wrap(f"= {preview}")
            self.node(indent, node_id, "const", label)
            first.append(node_id)
        for i, v in enumerate(jaxpr.invars):
            node_id = producer[v] = f"{prefix}in{i}"
            self.node(indent, node_id, "input", f"{name(v)}\n{v.aval.str_short()}")
            first.append(node_id)

        edges = []
        for i, eqn in enumerate(jaxpr.eqns):
            node_id = f"{prefix}e{i}"
            params = " ".join(f"{k}={_param_text(v)}" for k, v in eqn.params.items())
            head = eqn.primitive.name + (f"[{params}]" if params else "")
            head = " ".join([head] + [name(v) for v in eqn.inputs])
            outs = " ".join(name.binder(v) for v in eqn.outputs)
            self.eqn_node(indent, node_id, eqn, f"{_wrap(head)}\n{_wrap(outs)}")
            first.append(node_id)
            for v in eqn.inputs:
                if type(v) is Var:
                    edges.append(f"{indent}{producer[v]} -> {node_id};")
            for v in eqn.outputs:
                producer[v] = node_id
            for label, sub, sub_consts in _sub_jaxprs(eqn):
                cluster = f"cluster_j{self.count}"
                title = f"{eqn.primitive.name}: {label}"
                self.lines.append(f"{indent}subgraph {cluster} {{")
                self.lines.append(f"{indent}  label={_quote(title)}; style=dashed;")
                inner = self.jaxpr(sub, sub_consts, indent + "  ")
                self.lines.append(f"{indent}}}")
                if inner is not None:
                    edges.append(f"{indent}{node_id} -> {inner} [style=dotted, "
                                 f"arrowhead=none, lhead={cluster}];")

        for i, v in enumerate(jaxpr.outvars):
            node_id = f"{prefix}out{i}"
            self.node(indent, node_id, "output", f"out {i}: {name(v)}\n{v.aval.str_short()}")
            first.append(node_id)
            if type(v) is Var:
                edges.append(f"{indent}{producer[v]} -> {node_id};")
        self.lines.extend(edges)
        return first[0] if first else None


def to_dot(jaxpr: ClosedJaxpr | Jaxpr, name: str = "jaxpr",
           max_const_elements: int = 8, color_by: str | None = None) -> str:
    """The Graphviz DOT text of ``jaxpr``'s computational graph.

    Inputs, constants, equations and outputs are nodes; each use of a
    variable as an operand or output is an edge (see the module docstring for
    the exact counts). Constants with at most ``max_const_elements`` elements
    show their values. ``color_by`` ("flops", "transcendentals" or "bytes")
    fills equation nodes by their cost. Needs nothing beyond the standard
    library.

    >>> import ftrans
    >>> closed = ftrans.make_jaxpr(lambda a, b: (a + b) * (b + 1))(3.0, 2.0)
    >>> print(to_dot(closed, name="e"))  # doctest: +NORMALIZE_WHITESPACE
    digraph "e" {
      compound=true; fontname="Helvetica";
      node [fontname="Helvetica", fontsize=11];
      j0_in0 [shape=ellipse, style=filled, fillcolor="#dbeafe", label="a\\nf64[]"];
      j0_in1 [shape=ellipse, style=filled, fillcolor="#dbeafe", label="b\\nf64[]"];
      j0_e0 [shape=box, style="rounded,filled", fillcolor="#ffffff", label="add a b\\nc:f64[]"];
      j0_e1 [shape=box, style="rounded,filled", fillcolor="#ffffff", label="add b 1.0\\nd:f64[]"];
      j0_e2 [shape=box, style="rounded,filled", fillcolor="#ffffff", label="mul c d\\ne:f64[]"];
      j0_out0 [shape=ellipse, peripheries=2, style=filled, fillcolor="#dcfce7", label="out 0: e\\nf64[]"];
      j0_in0 -> j0_e0;
      j0_in1 -> j0_e0;
      j0_in1 -> j0_e1;
      j0_e0 -> j0_e2;
      j0_e1 -> j0_e2;
      j0_e2 -> j0_out0;
    }
    >>> import numpy as np
    >>> square = ftrans.make_jaxpr(lambda w: w @ w)(np.ones((2, 2)))
    >>> "flops 16" in to_dot(square, color_by="flops")  # 2 * 2 * 2 * 2
    True
    """
    if isinstance(jaxpr, ClosedJaxpr):
        inner, consts = jaxpr.jaxpr, jaxpr.consts
    elif isinstance(jaxpr, Jaxpr):
        inner, consts = jaxpr, None
    else:
        raise TypeError(f"to_dot: expected a Jaxpr or ClosedJaxpr (e.g. from "
                        f"ftrans.make_jaxpr(f)(*args)), got {type(jaxpr).__name__}")
    if color_by is not None and color_by not in COST_KEYS:
        raise ValueError(f"to_dot: color_by must be one of {COST_KEYS} or None, "
                         f"got {color_by!r}")
    writer = _Writer(max_const_elements, color_by)
    writer.jaxpr(inner, consts, "  ")
    writer.paint()
    header = [f"digraph {_quote(name)} {{", '  compound=true; fontname="Helvetica";',
              '  node [fontname="Helvetica", fontsize=11];']
    return "\n".join(header + writer.lines + ["}"]) + "\n"


_INSTALL_HINT = (
    "Install Graphviz, which provides `dot`: `apt-get install graphviz` "
    "(Debian/Ubuntu), `brew install graphviz` (macOS) or `conda install "
    "graphviz`. Without it, ftrans.viz.to_dot(jaxpr) still returns the DOT "
    "text, and render(jaxpr, 'graph.dot') writes it to a file.")


def render(jaxpr: ClosedJaxpr | Jaxpr, path: str | os.PathLike,
           format: str | None = None, name: str = "jaxpr",
           color_by: str | None = None) -> Path:
    """Write a picture of ``jaxpr`` to ``path``; returns the path.

    The format comes from ``format`` or the file suffix: ``.dot``/``.gv``
    writes the DOT text itself (no Graphviz needed); anything else
    (``svg``, ``png``, ``pdf``, ...) runs Graphviz's ``dot -T<format>``, and
    raises ``RuntimeError`` saying how to install Graphviz when ``dot`` is not
    on the PATH. ``color_by`` is ``to_dot``'s.

    >>> import os, tempfile, ftrans, ftrans.numpy as jnp
    >>> closed = ftrans.make_jaxpr(ftrans.grad(jnp.sin))(1.0)
    >>> path = render(closed, os.path.join(tempfile.mkdtemp(), "grad_sin.dot"))
    >>> path.read_text().startswith('digraph "jaxpr" {')
    True
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if not fmt:
        raise ValueError(f"render: cannot tell the image format of '{path}'; give "
                         "the file a suffix (.svg, .png, .pdf, .dot) or pass format=")
    text = to_dot(jaxpr, name=name, color_by=color_by)
    if fmt in ("dot", "gv"):
        path.write_text(text)
        return path
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(f"render: writing '{path}' ({fmt}) needs the Graphviz "
                           f"program `dot`, which is not on the PATH. {_INSTALL_HINT}")
    result = subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=text,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"render: `dot -T{fmt}` failed for '{path}': "
                           f"{result.stderr.strip()}")
    return path


def save_graphs(graphs: dict, out_dir: str | os.PathLike) -> list[Path]:
    """Write each ``name -> jaxpr`` of ``graphs`` to ``out_dir`` as
    ``name.dot``, and also as ``name.svg`` when Graphviz is installed.

    >>> import tempfile, ftrans
    >>> closed = ftrans.make_jaxpr(lambda x: x * 2.0)(1.0)
    >>> paths = save_graphs({"double": closed}, tempfile.mkdtemp())
    >>> paths[0].name
    'double.dot'
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    suffixes = [".dot", ".svg"] if shutil.which("dot") else [".dot"]
    return [render(jaxpr, out_dir / (name + suffix), name=name)
            for name, jaxpr in graphs.items() for suffix in suffixes]
