"""ftrans.viz: the DOT text has one node per input, const, equation and
output, one edge per variable operand and variable output, a cluster per
sub-jaxpr, and parses; ``render`` writes SVG through Graphviz when it is
installed and otherwise says how to install it."""

import re
import shutil

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import viz
from ftrans.core import ClosedJaxpr, Jaxpr, Primitive, Var
from ftrans.eval import eval_closed

_NODE = re.compile(r'^\s*(\w+) \[.*label="((?:[^"\\]|\\.)*)"\];$')
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)( \[.*\])?;$")


def _parse(dot: str):
    """``(nodes {id: label}, data edges, dotted edges, cluster names)``."""
    nodes, data, dotted, clusters = {}, [], [], []
    for line in dot.splitlines():
        if m := _NODE.match(line):
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            nodes[m.group(1)] = m.group(2)
        elif m := _EDGE.match(line):
            (dotted if m.group(3) and "style=dotted" in m.group(3) else data).append(
                (m.group(1), m.group(2)))
        elif m := re.match(r"^\s*subgraph (cluster_\w+) \{$", line):
            clusters.append(m.group(1))
    return nodes, data, dotted, clusters


def _all_jaxprs(jaxpr: Jaxpr):
    """``jaxpr`` and every sub-jaxpr in its equations' params, recursively."""
    yield jaxpr
    for eqn in jaxpr.eqns:
        for value in eqn.params.values():
            for v in value if isinstance(value, tuple) else (value,):
                if isinstance(v, (Jaxpr, ClosedJaxpr)):
                    yield from _all_jaxprs(v.jaxpr if isinstance(v, ClosedJaxpr) else v)


def _expected_counts(closed: ClosedJaxpr):
    jaxprs = list(_all_jaxprs(closed.jaxpr))
    nodes = sum(len(j.invars) + len(j.constvars) + len(j.eqns) + len(j.outvars)
                for j in jaxprs)
    edges = sum(sum(type(v) is Var for e in j.eqns for v in e.inputs)
                + sum(type(v) is Var for v in j.outvars) for j in jaxprs)
    return nodes, edges, len(jaxprs) - 1


def _check_structure(closed: ClosedJaxpr) -> dict:
    dot = viz.to_dot(closed)
    assert dot.startswith('digraph "jaxpr" {') and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    nodes, data, dotted, clusters = _parse(dot)
    n_nodes, n_edges, n_subs = _expected_counts(closed)
    assert len(nodes) == n_nodes
    assert len(data) == n_edges
    assert len(dotted) == len(clusters) == n_subs
    for a, b in data + dotted:
        assert a in nodes and b in nodes, f"edge {a} -> {b} has an undeclared end"
    # every line is a node, an edge, or part of the fixed structure
    for line in dot.splitlines()[3:-1]:
        assert (_NODE.match(line) or _EDGE.match(line) or "subgraph cluster_" in line
                or "label=" in line or line.strip() == "}"), line
    return nodes


def _sum(x):
    return ftrans.lax.reduce_sum(x, axes=tuple(range(x.ndim)))


def _labels(nodes, kind: str):
    return [label for node_id, label in nodes.items()
            if re.fullmatch(rf"j\d+_{kind}\d+", node_id)]


def test_gradient_graph():
    f = lambda a, b: (a + b) * (b + 1)  # noqa: E731
    closed = ftrans.make_jaxpr(ftrans.grad(f, argnums=(0, 1)))(3.0, 2.0)
    nodes = _check_structure(closed)
    eqn_labels = _labels(nodes, "e")
    assert len(eqn_labels) == len(closed.eqns)
    prims = [label.split(" ")[0] for label in eqn_labels]
    assert prims == [e.primitive.name for e in closed.eqns]
    assert {"add", "mul"} <= set(prims)
    assert _labels(nodes, "in") == [r"a\nf64[]", r"b\nf64[]"]
    assert len(_labels(nodes, "out")) == 2
    # the literal 1.0 of `b + 1` is written inline and has no node
    assert any(label.startswith("add b 1.0") for label in eqn_labels)


def test_graph_of_shared_operand_and_literal_output():
    closed = ftrans.make_jaxpr(lambda x: (x * x, 2.0))(np.ones(3))
    nodes = _check_structure(closed)
    dot = viz.to_dot(closed)
    assert dot.count("j0_in0 -> j0_e0;") == 2  # one edge per operand position
    assert "out 1: 2.0" in " ".join(nodes.values())


def test_constants_are_nodes_with_previews():
    small, big = np.array([1.0, 2.0]), np.arange(20.0)
    closed = ftrans.make_jaxpr(lambda x, y: _sum(jnp.sin(x + small))
                               + _sum(big * jnp.exp(y)))(np.ones(2), np.ones(20))
    assert len(closed.jaxpr.constvars) == 2
    nodes = _check_structure(closed)
    consts = _labels(nodes, "c")
    assert len(consts) == 2
    assert any("= [1., 2.]" in c for c in consts)
    assert sum("=" in c for c in consts) == 1  # the 20-element const has no preview
    assert any("reduce_sum[axes=(0,)]" in label for label in _labels(nodes, "e"))


def test_bare_jaxpr_without_consts():
    closed = ftrans.make_jaxpr(lambda x: jnp.cos(x) + np.array([1.0, 2.0]))(np.ones(2))
    nodes, data, _, _ = _parse(viz.to_dot(closed.jaxpr, name="bare"))
    assert len(nodes) == 5 and len(data) == 4
    assert not any("=" in label for label in _labels(nodes, "c"))


def test_bad_argument():
    with pytest.raises(TypeError, match="Jaxpr or ClosedJaxpr"):
        viz.to_dot(lambda x: x)


# --- sub-jaxprs ---------------------------------------------------------------

def _call_primitive():
    """A throwaway higher-order primitive: ``call[jaxprs=(j, ...)]`` runs each
    ClosedJaxpr on the operands and returns all their outputs. It is removed
    from the registry so the coverage test does not ask for a table row."""
    prim = Primitive("viz_test_call", multiple_results=True)
    del Primitive.registry[prim.name]
    prim.def_impl(lambda *args, jaxprs: [o for j in jaxprs for o in eval_closed(j, *args)])
    prim.def_abstract_eval(lambda *avals, jaxprs: [a for j in jaxprs for a in j.out_avals])
    return prim


def test_sub_jaxprs_are_clusters(tmp_path):
    call = _call_primitive()
    inner_a = ftrans.make_jaxpr(lambda x: jnp.sin(x) * np.array([3.0, 4.0]))(np.ones(2))
    inner_b = ftrans.make_jaxpr(lambda x: (x + 1.0, jnp.exp(x)))(np.ones(2))
    # a sub-jaxpr that itself holds a sub-jaxpr: clusters nest
    nested = ftrans.make_jaxpr(
        lambda x: call.bind(x, jaxprs=(inner_b,))[1] * 2.0)(np.ones(2))
    closed = ftrans.make_jaxpr(
        lambda x: call.bind(jnp.cos(x), jaxprs=(inner_a, nested, inner_b)))(np.ones(2))
    nodes = _check_structure(closed)
    dot = viz.to_dot(closed)
    _, _, dotted, clusters = _parse(dot)
    assert len(clusters) == 4  # three in the params, one nested inside `nested`
    assert 'label="viz_test_call: jaxprs[0]"' in dot
    assert 'label="viz_test_call: jaxprs[2]"' in dot
    assert any(label.replace(r"\n", " ").startswith(
        "viz_test_call[jaxprs=({...}, {...}, {...})] b") for label in _labels(nodes, "e"))
    # each cluster's body sits between its braces: the nested cluster is inside
    outer = dot.index("subgraph cluster_j2 {")
    inner = dot.index("subgraph cluster_j3 {")
    assert outer < inner
    # names restart inside a sub-jaxpr, as in the printer
    assert _labels(nodes, "in")[:2] == [r"a\nf64[2]", r"b\nf64[2]"]
    # the const of inner_a shows its values in its cluster
    assert "= [3., 4.]" in dot
    np.testing.assert_allclose(
        eval_closed(closed, np.zeros(2))[0], np.sin(1.0) * np.array([3.0, 4.0]))
    if shutil.which("dot") is not None:  # Graphviz accepts the clusters and links
        text = viz.render(closed, tmp_path / "clusters.svg").read_text()
        assert "</svg>" in text and "viz_test_call: jaxprs[2]" in text


def test_cond_and_scan_draw_their_bodies(tmp_path):
    lax = ftrans.lax
    closed = ftrans.make_jaxpr(lambda p, x: lax.cond(p > 0, jnp.sin, jnp.cos, x))(1.0, 2.0)
    nodes = _check_structure(closed)
    dot = viz.to_dot(closed)
    assert 'label="cond: branches[0]"' in dot and 'label="cond: branches[1]"' in dot
    labels = " ".join(nodes.values())
    assert "sin a" in labels and "cos a" in labels

    def body(c, x):
        return c * x, c + x

    f = lambda c, xs: jnp.sin(lax.scan(body, c, xs)[0])  # noqa: E731
    closed = ftrans.make_jaxpr(ftrans.grad(f))(1.0, np.ones(3))
    nodes = _check_structure(closed)
    scans = [label for label in _labels(nodes, "e") if label.startswith("scan[")]
    assert len(scans) == 2  # the forward scan and the reverse (transposed) one
    assert "reverse=True" in " ".join(scans).replace(r"\n", " ")
    assert len(_parse(viz.to_dot(closed))[3]) == 2
    if shutil.which("dot") is not None:
        assert "</svg>" in viz.render(closed, tmp_path / "scan.svg").read_text()


# --- render -------------------------------------------------------------------

def _example():
    return ftrans.make_jaxpr(ftrans.grad(lambda x: _sum(jnp.tanh(x) ** 2)))(np.ones(3))


def test_render_dot_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    path = viz.render(_example(), tmp_path / "g.dot")
    assert path.read_text() == viz.to_dot(_example())


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_render_svg(tmp_path):
    path = viz.render(_example(), tmp_path / "g.svg")
    text = path.read_text()
    assert text.lstrip().startswith(("<?xml", "<svg"))
    assert "</svg>" in text
    assert "tanh" in text


def test_render_without_graphviz_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(RuntimeError) as info:
        viz.render(_example(), tmp_path / "g.svg")
    message = str(info.value)
    for part in ("Graphviz", "dot", "apt-get install graphviz", "brew install graphviz",
                 "conda install graphviz", "to_dot"):
        assert part in message
    assert not (tmp_path / "g.svg").exists()


def test_render_needs_a_format(tmp_path):
    with pytest.raises(ValueError, match="suffix"):
        viz.render(_example(), tmp_path / "graph")


# --- colouring by cost ---------------------------------------------------------

def _fill(line: str) -> tuple[int, int, int]:
    hexa = re.search(r'fillcolor="#(\w{6})"', line).group(1)
    return tuple(int(hexa[i:i + 2], 16) for i in (0, 2, 4))


def test_color_by_flops_labels_each_equation_and_reddens_the_costliest():
    a = np.ones((30, 40))
    closed = ftrans.make_jaxpr(lambda x: jnp.sum(jnp.tanh(a @ x) + 1.0))(np.ones(40))
    dot = viz.to_dot(closed, color_by="flops")
    eqn_lines = [line for line in dot.splitlines() if re.match(r"^\s*j0_e\d+ \[", line)]
    assert len(eqn_lines) == len(closed.jaxpr.eqns)
    by_name = {re.split(r"[\s\[]", line.split('label="')[1])[0]: line for line in eqn_lines}
    assert "flops 2.4k" in by_name["dot_general"]  # 2 * 30 * 40
    assert "flops 30" in by_name["add"]
    assert _fill(by_name["dot_general"]) == (239, 68, 68)  # the costliest: full red
    g_add, g_dot = _fill(by_name["add"])[1], _fill(by_name["dot_general"])[1]
    assert g_dot < g_add < 255  # cheaper equations are paler
    # the structure is unchanged: same nodes and edges as the plain drawing
    plain_nodes, plain_edges, _, _ = _parse(viz.to_dot(closed))
    nodes, edges, _, _ = _parse(dot)
    assert set(nodes) == set(plain_nodes) and edges == plain_edges


def test_color_by_counts_a_scan_body_times_its_length():
    def loop(c, xs):
        return ftrans.lax.scan(lambda c, x: (jnp.sin(c * x), None), c, xs)[0]
    closed = ftrans.make_jaxpr(loop)(1.0, np.ones(7))
    dot = viz.to_dot(closed, color_by="transcendentals")
    scan_line = next(line for line in dot.splitlines() if 'label="scan' in line)
    assert "transcendentals 7" in scan_line
    sin_line = next(line for line in dot.splitlines() if 'label="sin' in line)
    assert "transcendentals 1" in sin_line


def test_color_by_bytes_and_bad_keys():
    closed = ftrans.make_jaxpr(lambda x: x * 2.0)(np.ones(4))
    # reads x (32 bytes) and the literal (8), writes 32
    assert "bytes 72" in viz.to_dot(closed, color_by="bytes")
    with pytest.raises(ValueError, match="color_by must be one of"):
        viz.to_dot(closed, color_by="time")
