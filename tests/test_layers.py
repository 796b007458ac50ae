"""The layer picture of docs/architecture.md ("Layers") holds in the source.

Every module of ``ftrans/`` is parsed with ``ast``, and each of its imports,
function-local ones included, is an edge of the module graph. An edge must go
to the importer's layer or a lower one, as the table in the doc says (so
``prims/`` never imports ``ftrans.numpy``, ``ftrans.lax`` or ``ftrans.api``),
and the graph must have no cycle but the documented attachment of the array
operators to tracers. A failure names each offending import by file, line
and modules."""

import ast
import collections
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"

# The one intended cycle (docs/architecture.md): ftrans/numpy/__init__.py
# imports _methods last, and _methods and _dispatch import ftrans.numpy.
ATTACHMENT = {
    ("ftrans.numpy._methods", "ftrans.numpy"),
    ("ftrans.numpy._dispatch", "ftrans.numpy"),
}

# Imports that break the picture today, to be fixed in their modules (an
# entry whose import is gone fails test_allowed_imports_still_exist).
# (importer, imported): what the import is for.
UPWARD_IMPORTS_TO_FIX: dict = {}

# The second documented pattern: inside prims/, a rule binds primitives of a
# sibling module and imports it inside the rule (function-local), so these
# edges may close cycles; module-level imports of prims/ may not.
RULE_PACKAGE = "ftrans.prims"


def _modules() -> dict:
    """``{dotted name: path}`` of every module in ``ftrans/``."""
    modules = {}
    for path in sorted((ROOT / "ftrans").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _module_of(name: str):
    """The module that importing ``name`` runs last: ``name`` itself, or the
    module that defines the object ``name`` (``ftrans.lax.cond``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imported(importer: str, node) -> list:
    if isinstance(node, ast.Import):
        return [_module_of(alias.name) for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: from the importer's package, up level - 1
        package = importer if MODULES[importer].name == "__init__.py" else \
            importer.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    # `from ftrans import lax` imports the module ftrans.lax, not just ftrans
    return [_module_of(f"{base}.{alias.name}") if f"{base}.{alias.name}" in MODULES
            else _module_of(base) for alias in node.names]


def _module_level_imports(tree) -> set:
    """The import nodes that run when the module is imported (not inside a
    function)."""
    found, todo = set(), list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.add(node)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))
    return found


def _edges() -> tuple:
    """``{(importer, imported): [line, ...]}`` over every import in
    ``ftrans/``, and the set of edges made by module-level imports."""
    edges, module_level = collections.defaultdict(list), set()
    for importer, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        top = _module_level_imports(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for imported in _imported(importer, node):
                    if imported is not None and imported != importer:
                        edges[importer, imported].append(node.lineno)
                        if node in top:
                            module_level.add((importer, imported))
    return {edge: sorted(set(lines)) for edge, lines in edges.items()}, module_level


EDGES, MODULE_LEVEL = _edges()


def _rule_import(edge) -> bool:
    """A function-local import between two prims/ modules: a rule binding a
    sibling's primitives (the documented pattern)."""
    importer, imported = edge
    return (edge not in MODULE_LEVEL and importer.startswith(RULE_PACKAGE + ".")
            and imported.startswith(RULE_PACKAGE + "."))


def _where(edge) -> str:
    importer, imported = edge
    path = MODULES[importer].relative_to(ROOT)
    lines = EDGES[edge]
    more = f" (also line{'s' * (len(lines) > 2)} {', '.join(map(str, lines[1:]))})" \
        if len(lines) > 1 else ""
    return f"{path}:{lines[0]}: {importer} imports {imported}{more}"


def _layers() -> list:
    """``[(layer name, [module or package entries])]`` from the doc's table,
    bottom layer first."""
    section = DOC.read_text().partition("### Layers")[2]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    layers = []
    for name, cell in rows[2:]:  # after the header and the |---| line
        entries = []
        for item in re.findall(r"`([^`]+)`", cell):
            if item == "__init__.py":
                entries.append(("ftrans", False))
            elif item.endswith("/"):
                entries.append(("ftrans." + item[:-1].replace("/", "."), True))
            else:
                entries.append(("ftrans." + item[:-3].replace("/", "."), False))
        layers.append((name, entries))
    return layers[::-1]


LAYERS = _layers()


def _layer(module: str):
    """``(rank, layer name)`` of ``module``, or None if the table omits it."""
    for rank, (name, entries) in enumerate(LAYERS):
        for entry, is_package in entries:
            if module == entry or (is_package and module.startswith(entry + ".")):
                return rank, name
    return None


def test_the_doc_has_a_layer_table():
    assert len(LAYERS) >= 4, f"no table under '### Layers' in {DOC.relative_to(ROOT)}"
    assert all(entries for _, entries in LAYERS), LAYERS


def test_every_module_is_in_exactly_one_layer():
    missing = [m for m in MODULES if _layer(m) is None]
    assert not missing, (f"modules in no layer of the table in {DOC.relative_to(ROOT)} "
                         f"(add them): {missing}")
    entries = [entry for _, layer in LAYERS for entry, _ in layer]
    repeated = [e for e, n in collections.Counter(entries).items() if n > 1]
    assert not repeated, f"entries in more than one layer: {repeated}"


def test_the_layer_table_names_only_existing_modules():
    gone = [e for e, is_package in (x for _, layer in LAYERS for x in layer)
            if not any(m == e or (is_package and m.startswith(e + ".")) for m in MODULES)]
    assert not gone, f"the layer table names modules that do not exist: {gone}"


def test_imports_go_down_the_layers():
    upward = []
    for edge in sorted(EDGES):
        importer, imported = edge
        if edge in UPWARD_IMPORTS_TO_FIX or edge in ATTACHMENT:
            continue
        (rank_from, name_from), (rank_to, name_to) = _layer(importer), _layer(imported)
        if rank_to > rank_from:
            upward.append(f"{_where(edge)}: layer '{name_from}' imports from the "
                          f"higher layer '{name_to}'")
    assert not upward, "imports against the layers of docs/architecture.md:\n" + \
        "\n".join(upward)


def _components(graph) -> list:
    """The strongly connected components of ``graph`` (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _shortest_cycle(graph, component) -> list:
    """The modules of a shortest cycle through ``component``, first repeated."""
    inside = set(component)
    best = None
    for start in component:
        parent, queue = {start: None}, collections.deque([start])
        while queue:
            v = queue.popleft()
            if start in graph[v]:
                path = [v]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                cycle = path[::-1] + [start]
                if best is None or len(cycle) < len(best):
                    best = cycle
                break
            for w in sorted(graph[v] & inside):
                if w not in parent:
                    parent[w] = v
                    queue.append(w)
    return best


def test_no_import_cycle_but_the_attachment():
    graph = collections.defaultdict(set)
    for edge in EDGES:
        if edge not in ATTACHMENT and edge not in UPWARD_IMPORTS_TO_FIX \
                and not _rule_import(edge):
            graph[edge[0]].add(edge[1])
            graph[edge[1]]
    problems = []
    for component in _components(graph):
        if len(component) > 1:
            cycle = _shortest_cycle(graph, component)
            problems.append(
                f"cycle {' -> '.join(cycle)} (one of the cycles among {component}):\n  "
                + "\n  ".join(_where(e) for e in zip(cycle, cycle[1:])))
    assert not problems, "import cycles (docs/architecture.md allows only the " \
        "numpy <-> _methods attachment and rules' imports inside prims/):\n" + \
        "\n".join(problems)


def test_prims_module_level_imports_have_no_cycle():
    graph = collections.defaultdict(set)
    for importer, imported in MODULE_LEVEL:
        if importer.startswith(RULE_PACKAGE + ".") and imported.startswith(RULE_PACKAGE + "."):
            graph[importer].add(imported)
            graph[imported]
    cycles = [c for c in _components(graph) if len(c) > 1]
    assert not cycles, f"module-level import cycles inside prims/: {cycles}"


def test_allowed_imports_still_exist():
    stale = [e for e in [*UPWARD_IMPORTS_TO_FIX, *sorted(ATTACHMENT)] if e not in EDGES]
    assert not stale, (f"these allowed imports are gone; remove them from the lists in "
                       f"tests/test_layers.py (and docs/architecture.md): {stale}")
