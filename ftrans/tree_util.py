"""Pytrees: nested containers of arrays that transformations see through.

Every ftrans transformation accepts and returns *pytrees* -- arbitrarily nested
tuples, lists, dicts, namedtuples and registered classes whose leaves are the
arrays (or other values) being transformed. This module flattens a pytree into
its list of leaves plus a hashable :class:`PyTreeDef` describing the
structure, rebuilds trees from the two, and maps functions over leaves, with
the semantics of ``jax.tree_util``.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict, defaultdict
from typing import Any, Callable, Iterable, NamedTuple, TypeVar

__all__ = [
    "PyTreeDef",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_structure",
    "tree_unflatten",
]

T = TypeVar("T")
IsLeaf = Callable[[Any], bool] | None


class _Node(NamedTuple):
    flatten: Callable[[Any], tuple[Iterable[Any], Any]]
    unflatten: Callable[[Any, tuple], Any]
    # repr(aux, child_reprs) -> str; None means the generic CustomNode form.
    repr: Callable[[Any, list[str]], str] | None = None


# The only module-level mutable state: node type -> how to take it apart.
_registry: dict[type, _Node] = {}


class PyTreeDef:
    """The structure of a pytree: node types, aux data and child structure.

    Hashable and compared by structure, so it can key caches.

    >>> leaves, treedef = tree_flatten((1, {'b': [2, 3], 'a': 4}))
    >>> treedef
    PyTreeDef((*, {'a': *, 'b': [*, *]}))
    >>> treedef.num_leaves
    4
    >>> treedef.unflatten(['w', 'x', 'y', 'z'])
    ('w', {'a': 'x', 'b': ['y', 'z']})
    """

    __slots__ = ("node_type", "node_data", "children", "num_leaves", "_hash")

    node_type: type | None  # None for a leaf
    node_data: Any
    children: tuple[PyTreeDef, ...]
    num_leaves: int

    def __init__(self, node_type: type | None, node_data: Any,
                 children: tuple[PyTreeDef, ...]) -> None:
        self.node_type = node_type
        self.node_data = node_data
        self.children = children
        self.num_leaves = (1 if node_type is None
                           else sum(c.num_leaves for c in children))
        self._hash: int | None = None

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """Build a tree of this structure from ``leaves`` (in flatten order).

        >>> tree_structure([1, (2, 3)]).unflatten('abc')
        ['a', ('b', 'c')]
        """
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(
                f"Wrong number of leaves to unflatten {self!r}: expected "
                f"{self.num_leaves}, got {len(leaves)}.")
        return _unflatten(self, iter(leaves))

    def flatten_up_to(self, tree: Any) -> list[Any]:
        """Flatten ``tree`` only as deep as this structure goes.

        ``tree`` must have this structure, or have it as a prefix: where this
        structure has a leaf, the whole corresponding subtree of ``tree`` is
        returned as one entry.

        >>> tree_structure((0, 0)).flatten_up_to(([1, 2], {'a': 3}))
        [[1, 2], {'a': 3}]
        """
        out: list[Any] = []
        try:
            _flatten_up_to(self, tree, out)
        except _Mismatch as e:
            raise ValueError(
                f"Tree structure mismatch: expected {self!r}, got "
                f"{tree_structure(tree)!r} ({e})."
            ) from None
        return out

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        return (self.node_type is other.node_type
                and self.num_leaves == other.num_leaves
                and self.node_data == other.node_data
                and self.children == other.children)

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash((self.node_type, self.node_data, self.children))
        return h

    def __repr__(self) -> str:
        return f"PyTreeDef({_repr(self)})"

    def __reduce__(self):
        return (PyTreeDef, (self.node_type, self.node_data, self.children))


_LEAF = PyTreeDef(None, None, ())
_NONE_DEF = PyTreeDef(type(None), None, ())


class _Mismatch(Exception):
    pass


def _children(x: Any, t: type) -> tuple[Iterable[Any], Any] | None:
    """(children, aux) for a node ``x`` of type ``t``; None if ``x`` is a leaf."""
    node = _registry.get(t)
    if node is not None:
        return node.flatten(x)
    if isinstance(x, tuple) and hasattr(t, "_fields"):  # namedtuple
        return x, None
    return None


def _flatten(x: Any, is_leaf: IsLeaf, leaves: list[Any]) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    if x is None:
        return _NONE_DEF
    t = type(x)
    if t is tuple or t is list:  # fast path for the commonest nodes
        return PyTreeDef(t, None, tuple([_flatten(c, is_leaf, leaves) for c in x]))
    node = _children(x, t)
    if node is None:
        leaves.append(x)
        return _LEAF
    children, aux = node
    return PyTreeDef(t, aux, tuple([_flatten(c, is_leaf, leaves) for c in children]))


def _unflatten(td: PyTreeDef, leaves: Iterable[Any]) -> Any:
    t = td.node_type
    if t is None:
        return next(leaves)
    children = tuple([_unflatten(c, leaves) for c in td.children])
    node = _registry.get(t)
    if node is not None:
        return node.unflatten(td.node_data, children)
    return t(*children)  # namedtuple


def _flatten_up_to(td: PyTreeDef, x: Any, out: list[Any]) -> None:
    t = td.node_type
    if t is None:
        out.append(x)
        return
    name = "None" if x is None else type(x).__name__
    if type(x) is not t:
        raise _Mismatch(f"expected {'None' if t is type(None) else t.__name__}"
                        f" where the tree has {name}")
    children, aux = _children(x, t)
    children = list(children)
    if len(children) != len(td.children):
        raise _Mismatch(f"{name} with {len(td.children)} children vs "
                        f"{len(children)}")
    if aux != td.node_data:
        what = "keys" if isinstance(x, dict) else "node data"
        raise _Mismatch(f"{name} {what} {td.node_data!r} vs {aux!r}")
    for c, child in zip(td.children, children):
        _flatten_up_to(c, child, out)


def _repr(td: PyTreeDef) -> str:
    t = td.node_type
    if t is None:
        return "*"
    parts = [_repr(c) for c in td.children]
    node = _registry.get(t)
    if node is None:  # namedtuple
        fields = ", ".join(f"{f}={p}" for f, p in zip(t._fields, parts))
        return f"{t.__name__}({fields})"
    if node.repr is not None:
        return node.repr(td.node_data, parts)
    return f"CustomNode({t.__name__}[{td.node_data!r}], [{', '.join(parts)}])"


def _sorted_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:  # keys of mixed, unorderable types: still deterministic
        return tuple(sorted(d, key=lambda k: (type(k).__qualname__, repr(k))))


def _dict_repr(keys: tuple, parts: list[str]) -> str:
    return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(keys, parts)) + "}"


def _flatten_dict(d: dict) -> tuple[list, tuple]:
    keys = _sorted_keys(d)
    return [d[k] for k in keys], keys


def _flatten_defaultdict(d: defaultdict) -> tuple[list, tuple]:
    keys = _sorted_keys(d)
    return [d[k] for k in keys], (d.default_factory, keys)


_registry.update({
    tuple: _Node(lambda x: (x, None), lambda _, c: tuple(c),
                 lambda _, p: f"({p[0]},)" if len(p) == 1 else f"({', '.join(p)})"),
    list: _Node(lambda x: (x, None), lambda _, c: list(c),
                lambda _, p: f"[{', '.join(p)}]"),
    type(None): _Node(lambda x: ((), None), lambda _, c: None, lambda _, p: "None"),
    dict: _Node(_flatten_dict, lambda keys, c: dict(zip(keys, c)), _dict_repr),
    OrderedDict: _Node(
        lambda d: (list(d.values()), tuple(d)),
        lambda keys, c: OrderedDict(zip(keys, c)),
        lambda keys, p: f"OrderedDict({_dict_repr(keys, p)})"),
    defaultdict: _Node(
        _flatten_defaultdict,
        lambda aux, c: defaultdict(aux[0], zip(aux[1], c)),
        lambda aux, p: f"defaultdict({aux[0]!r}, {_dict_repr(aux[1], p)})"),
})


def tree_flatten(tree: Any, is_leaf: IsLeaf = None) -> tuple[list[Any], PyTreeDef]:
    """Flatten ``tree`` into its leaves (left to right) and its structure.

    Dict children are ordered by sorted key. ``None`` is a node without
    children, not a leaf. Where ``is_leaf(x)`` is true, ``x`` is taken as a
    leaf without looking inside it.

    >>> leaves, treedef = tree_flatten({'b': (1, None), 'a': [2]})
    >>> leaves
    [2, 1]
    >>> treedef
    PyTreeDef({'a': [*], 'b': (*, None)})
    """
    leaves: list[Any] = []
    return leaves, _flatten(tree, is_leaf, leaves)


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a tree of structure ``treedef`` from ``leaves``.

    >>> leaves, treedef = tree_flatten([1, (2, 3)])
    >>> tree_unflatten(treedef, [x * 10 for x in leaves])
    [10, (20, 30)]
    """
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any, is_leaf: IsLeaf = None) -> list[Any]:
    """The leaves of ``tree``, in flatten order.

    >>> tree_leaves({'x': 1, 'y': (2, None, [3])})
    [1, 2, 3]
    """
    leaves: list[Any] = []
    _flatten(tree, is_leaf, leaves)
    return leaves


def tree_structure(tree: Any, is_leaf: IsLeaf = None) -> PyTreeDef:
    """The :class:`PyTreeDef` of ``tree``.

    >>> tree_structure((1, [2, 3]))
    PyTreeDef((*, [*, *]))
    >>> tree_structure((1, [2, 3])) == tree_structure(('a', ['b', 'c']))
    True
    """
    return _flatten(tree, is_leaf, [])


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any,
             is_leaf: IsLeaf = None) -> Any:
    """Apply ``f`` leafwise, returning a tree with the structure of ``tree``.

    With more trees, ``f`` gets the corresponding leaf of each. Each tree in
    ``rest`` must have the structure of ``tree`` (or, as in JAX, have it as a
    prefix, in which case ``f`` receives the whole corresponding subtree);
    otherwise ``ValueError`` names both structures.

    >>> tree_map(lambda x: x + 1, {'a': 1, 'b': (2, 3)})
    {'a': 2, 'b': (3, 4)}
    >>> tree_map(lambda x, y: x * y, [1, 2], [3, 4])
    [3, 8]
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    if not rest:
        return _unflatten(treedef, iter([f(x) for x in leaves]))
    all_leaves = [leaves] + [treedef.flatten_up_to(r) for r in rest]
    return _unflatten(treedef, iter([f(*xs) for xs in zip(*all_leaves)]))


def register_pytree_node(nodetype: type[T],
                         flatten_func: Callable[[T], tuple[Iterable[Any], Any]],
                         unflatten_func: Callable[[Any, tuple], T]) -> None:
    """Make instances of ``nodetype`` (exactly; not subclasses) pytree nodes.

    ``flatten_func(x)`` returns ``(children, aux_data)``, where ``aux_data`` is
    hashable, compared by ``==``, and becomes part of the treedef;
    ``unflatten_func(aux_data, children)`` rebuilds the node. Registering a
    type twice raises ``ValueError``.

    >>> class Pair:
    ...     def __init__(self, a, b):
    ...         self.a, self.b = a, b
    >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None),
    ...                      lambda _, c: Pair(*c))
    >>> tree_leaves(Pair(1, (2, 3)))
    [1, 2, 3]
    >>> tree_map(lambda x: -x, Pair(1, 2)).b
    -2
    """
    if not isinstance(nodetype, type):
        raise TypeError(f"register_pytree_node expects a type, got {nodetype!r}")
    if nodetype in _registry:
        raise ValueError(
            f"Type {nodetype.__qualname__} is already registered as a pytree node.")
    _registry[nodetype] = _Node(flatten_func, unflatten_func)


def register_pytree_node_class(cls: type[T]) -> type[T]:
    """Class decorator: register ``cls`` via its own flatten methods.

    ``cls`` defines ``tree_flatten(self) -> (children, aux_data)`` and the
    classmethod ``tree_unflatten(cls, aux_data, children)``. Returns ``cls``.

    >>> @register_pytree_node_class
    ... class Scaled:
    ...     def __init__(self, value, scale):
    ...         self.value, self.scale = value, scale
    ...     def tree_flatten(self):
    ...         return (self.value,), self.scale
    ...     @classmethod
    ...     def tree_unflatten(cls, scale, children):
    ...         return cls(children[0], scale)
    >>> tree_flatten(Scaled(3.0, scale=2))
    ([3.0], PyTreeDef(CustomNode(Scaled[2], [*])))
    """
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_dataclass(cls: type[T]) -> type[T]:
    """Class decorator: register a dataclass whose fields are all children.

    Children are the fields in definition order. Unflattening sets the fields
    on a new instance without calling ``__init__``/``__post_init__`` (leaves
    may be tracers or placeholders that validation would reject), which also
    works for ``frozen=True`` dataclasses. Returns ``cls``.

    >>> import dataclasses
    >>> @register_dataclass
    ... @dataclasses.dataclass(frozen=True)
    ... class Params:
    ...     w: Any
    ...     b: Any
    >>> tree_map(lambda x: x * 2, Params(w=[1, 2], b=3))
    Params(w=[2, 4], b=6)
    >>> tree_structure(Params(1, 2))
    PyTreeDef(Params(w=*, b=*))
    """
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"register_dataclass expects a dataclass type, got {cls!r}")
    names = tuple(f.name for f in dataclasses.fields(cls))

    def flatten(x: Any) -> tuple[list, None]:
        return [getattr(x, n) for n in names], None

    def unflatten(_: Any, children: tuple) -> Any:
        obj = object.__new__(cls)
        for n, c in zip(names, children):
            object.__setattr__(obj, n, c)
        return obj

    def repr_(_: Any, parts: list[str]) -> str:
        fields = ", ".join(f"{n}={p}" for n, p in zip(names, parts))
        return f"{cls.__name__}({fields})"

    if cls in _registry:
        raise ValueError(
            f"Type {cls.__qualname__} is already registered as a pytree node.")
    _registry[cls] = _Node(flatten, unflatten, repr_)
    return cls
