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
from typing import Any, Callable, Iterable, NamedTuple, Sequence, TypeVar

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "PyTreeDef",
    "SequenceKey",
    "keystr",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_static",
    "tree_all",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
]

T = TypeVar("T")
IsLeaf = Callable[[Any], bool] | None


class _Node(NamedTuple):
    flatten: Callable[[Any], tuple[Iterable[Any], Any]]
    unflatten: Callable[[Any, tuple], Any]
    # repr(aux, child_reprs) -> str; None means the generic CustomNode form.
    repr: Callable[[Any, list[str]], str] | None = None
    # keys(x, aux) -> one key per child; None: FlattenedIndexKey(i)
    keys: Callable[[Any, Any], list] | None = None


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


# --- key paths: where a leaf sits in a tree ---------------------------------------------

class SequenceKey(NamedTuple):
    """The key of a tuple or list child: its index.

    >>> str(SequenceKey(0)), SequenceKey(0)
    ('[0]', SequenceKey(idx=0))
    """
    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"

    def __repr__(self) -> str:
        return f"SequenceKey(idx={self.idx!r})"


class DictKey(NamedTuple):
    """The key of a dict child.

    >>> str(DictKey('a')), DictKey('a')
    ("['a']", DictKey(key='a'))
    """
    key: Any

    def __str__(self) -> str:
        return f"[{self.key!r}]"

    def __repr__(self) -> str:
        return f"DictKey(key={self.key!r})"


class GetAttrKey(NamedTuple):
    """The key of an attribute child (namedtuple, dataclass field).

    >>> str(GetAttrKey('w')), GetAttrKey('w')
    ('.w', GetAttrKey(name='w'))
    """
    name: str

    def __str__(self) -> str:
        return f".{self.name}"

    def __repr__(self) -> str:
        return f"GetAttrKey(name={self.name!r})"


class FlattenedIndexKey(NamedTuple):
    """The key of a child of a node registered without keys: its position.

    >>> str(FlattenedIndexKey(1)), FlattenedIndexKey(1)
    ('[<flat index 1>]', FlattenedIndexKey(key=1))
    """
    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"

    def __repr__(self) -> str:
        return f"FlattenedIndexKey(key={self.key!r})"


KeyEntry = Any
KeyPath = tuple


_KEY_TYPES = (SequenceKey, DictKey, GetAttrKey, FlattenedIndexKey)


def _simple(k: Any) -> str:
    """A key without brackets or quotes (``keystr(..., simple=True)``)."""
    return str(k[0]) if type(k) in _KEY_TYPES else str(k)


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """A key path as a string: its keys' strings, joined by ``separator``.

    With ``simple=True`` each key is shown without brackets or quotes.

    >>> keystr((DictKey('a'), SequenceKey(0), GetAttrKey('w')))
    "['a'][0].w"
    >>> keystr((DictKey('a'), SequenceKey(0)), simple=True, separator='/')
    'a/0'
    """
    if not isinstance(keys, tuple) or type(keys) in _KEY_TYPES:
        raise TypeError(f"keystr expects a tuple of keys (a key path), got {keys!r}")
    return separator.join(_simple(k) if simple else str(k) for k in keys)


def _children_with_keys(x: Any, t: type) -> tuple[list, list, Any] | None:
    """(keys, children, aux) for a node ``x`` of type ``t``; None for a leaf."""
    node = _registry.get(t)
    if node is not None:
        children, aux = node.flatten(x)
        children = list(children)
        keys = (node.keys(x, aux) if node.keys is not None
                else [FlattenedIndexKey(i) for i in range(len(children))])
        return list(keys), children, aux
    if isinstance(x, tuple) and hasattr(t, "_fields"):  # namedtuple
        return [GetAttrKey(f) for f in t._fields], list(x), None
    return None


def _flatten_with_path(x: Any, path: tuple, is_leaf: IsLeaf, out: list) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        out.append((path, x))
        return _LEAF
    if x is None:
        return _NONE_DEF
    t = type(x)
    node = _children_with_keys(x, t)
    if node is None:
        out.append((path, x))
        return _LEAF
    keys, children, aux = node
    return PyTreeDef(t, aux, tuple([_flatten_with_path(c, path + (k,), is_leaf, out)
                                    for k, c in zip(keys, children)]))


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


def _sequence_keys(x: Any, aux: Any) -> list:
    return [SequenceKey(i) for i in range(len(x))]


_registry.update({
    tuple: _Node(lambda x: (x, None), lambda _, c: tuple(c),
                 lambda _, p: f"({p[0]},)" if len(p) == 1 else f"({', '.join(p)})",
                 _sequence_keys),
    list: _Node(lambda x: (x, None), lambda _, c: list(c),
                lambda _, p: f"[{', '.join(p)}]", _sequence_keys),
    type(None): _Node(lambda x: ((), None), lambda _, c: None, lambda _, p: "None",
                      lambda x, aux: []),
    dict: _Node(_flatten_dict, lambda keys, c: dict(zip(keys, c)), _dict_repr,
                lambda x, keys: [DictKey(k) for k in keys]),
    OrderedDict: _Node(
        lambda d: (list(d.values()), tuple(d)),
        lambda keys, c: OrderedDict(zip(keys, c)),
        lambda keys, p: f"OrderedDict({_dict_repr(keys, p)})",
        lambda x, keys: [DictKey(k) for k in keys]),
    defaultdict: _Node(
        _flatten_defaultdict,
        lambda aux, c: defaultdict(aux[0], zip(aux[1], c)),
        lambda aux, p: f"defaultdict({aux[0]!r}, {_dict_repr(aux[1], p)})",
        lambda x, aux: [DictKey(k) for k in aux[1]]),
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


def register_dataclass(nodetype: type[T] | None = None, data_fields: Sequence[str] | None = None,
                       meta_fields: Sequence[str] | None = None,
                       drop_fields: Sequence[str] = ()) -> Any:
    """Register ``nodetype`` as a pytree node whose children are its
    ``data_fields`` and whose ``meta_fields`` are static (part of the treedef).

    As JAX's: usable as a class decorator on a dataclass, in which case the
    fields are inferred (a field declared with
    ``dataclasses.field(metadata=dict(static=True))`` is a meta field, every
    other field with ``init=True`` is a data field). Meta field values must be
    hashable. Unflattening sets the fields on a new instance without calling
    ``__init__``/``__post_init__`` (leaves may be tracers or placeholders that
    validation would reject), which also works for ``frozen=True`` dataclasses.
    Returns ``nodetype``.

    >>> import dataclasses
    >>> @register_dataclass
    ... @dataclasses.dataclass(frozen=True)
    ... class Params:
    ...     w: Any
    ...     b: Any
    ...     n: int = dataclasses.field(default=1, metadata=dict(static=True))
    >>> tree_map(lambda x: x * 2, Params(w=[1, 2], b=3))
    Params(w=[2, 4], b=6, n=1)
    >>> tree_structure(Params(1, 2, n=3))
    PyTreeDef(Params(w=*, b=*, n=3))
    >>> class Box:
    ...     def __init__(self, v, tag):
    ...         self.v, self.tag = v, tag
    >>> _ = register_dataclass(Box, data_fields=['v'], meta_fields=['tag'])
    >>> tree_flatten_with_path(Box(1.0, 'x'))[0]
    [((GetAttrKey(name='v'),), 1.0)]
    """
    if nodetype is None:  # register_dataclass(data_fields=..., ...) as a decorator
        return lambda cls: register_dataclass(cls, data_fields, meta_fields, drop_fields)
    if not isinstance(nodetype, type):
        raise TypeError(f"register_dataclass expects a type, got {nodetype!r}")
    if data_fields is None and meta_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(
                f"register_dataclass expects a dataclass type, got {nodetype!r}; for "
                "another class pass data_fields= and meta_fields=")
        data, meta = [], []
        for f in dataclasses.fields(nodetype):
            if f.name in drop_fields:
                continue
            if f.metadata.get("static", False):
                meta.append(f.name)
            elif f.init:
                data.append(f.name)
        data_fields, meta_fields = data, meta
    elif data_fields is None or meta_fields is None:
        raise TypeError(
            f"register_dataclass({nodetype.__qualname__}): pass both data_fields= and "
            "meta_fields= (or neither, for a dataclass)")
    data_names, meta_names = tuple(data_fields), tuple(meta_fields)
    for n in data_names + meta_names:
        if not isinstance(n, str):
            raise TypeError(f"register_dataclass({nodetype.__qualname__}): field names "
                            f"must be str, got {n!r}")
    if dataclasses.is_dataclass(nodetype):
        known = {f.name for f in dataclasses.fields(nodetype)}
        missing = [n for n in data_names + meta_names if n not in known]
        if missing:
            raise ValueError(f"register_dataclass({nodetype.__qualname__}): {missing} are "
                             f"not fields of the dataclass (its fields: {sorted(known)})")

    def flatten(x: Any) -> tuple[list, tuple]:
        return ([getattr(x, n) for n in data_names],
                tuple(getattr(x, n) for n in meta_names))

    def unflatten(meta: tuple, children: tuple) -> Any:
        obj = object.__new__(nodetype)
        for n, c in zip(data_names, children):
            object.__setattr__(obj, n, c)
        for n, m in zip(meta_names, meta):
            object.__setattr__(obj, n, m)
        return obj

    def repr_(meta: tuple, parts: list[str]) -> str:
        fields = [f"{n}={p}" for n, p in zip(data_names, parts)]
        fields += [f"{n}={m!r}" for n, m in zip(meta_names, meta)]
        return f"{nodetype.__name__}({', '.join(fields)})"

    def keys(x: Any, aux: Any) -> list:
        return [GetAttrKey(n) for n in data_names]

    if nodetype in _registry:
        raise ValueError(
            f"Type {nodetype.__qualname__} is already registered as a pytree node.")
    _registry[nodetype] = _Node(flatten, unflatten, repr_, keys)
    return nodetype


def register_static(cls: type[T]) -> type[T]:
    """Class decorator: instances of ``cls`` are pytree nodes without children,
    kept whole in the treedef (they must be hashable). Returns ``cls``.

    >>> @register_static
    ... class Config:
    ...     def __init__(self, depth):
    ...         self.depth = depth
    >>> leaves, treedef = tree_flatten([1.0, Config(3)])
    >>> leaves, treedef.unflatten([2.0])[1].depth
    ([1.0], 3)
    """
    if not isinstance(cls, type):
        raise TypeError(f"register_static expects a type, got {cls!r}")
    if cls in _registry:
        raise ValueError(f"Type {cls.__qualname__} is already registered as a pytree node.")
    _registry[cls] = _Node(lambda x: ((), x), lambda x, _: x,
                           lambda x, _: f"{cls.__name__}[{x!r}]", lambda x, aux: [])
    return cls


def register_pytree_with_keys(nodetype: type[T],
                              flatten_with_keys: Callable[[T], tuple[Iterable[tuple[Any, Any]], Any]],
                              unflatten_func: Callable[[Any, tuple], T],
                              flatten_func: Callable[[T], tuple[Iterable[Any], Any]] | None = None
                              ) -> None:
    """As :func:`register_pytree_node`, with ``flatten_with_keys(x)`` returning
    ``((key, child) pairs, aux_data)``: the keys appear in key paths.
    ``flatten_func`` (the same without keys) is derived when not given.

    >>> class Pair:
    ...     def __init__(self, a, b):
    ...         self.a, self.b = a, b
    >>> register_pytree_with_keys(
    ...     Pair, lambda p: (((GetAttrKey('a'), p.a), (GetAttrKey('b'), p.b)), None),
    ...     lambda _, c: Pair(*c))
    >>> [keystr(k) for k, _ in tree_flatten_with_path(Pair(1, [2]))[0]]
    ['.a', '.b[0]']
    """
    if not isinstance(nodetype, type):
        raise TypeError(f"register_pytree_with_keys expects a type, got {nodetype!r}")
    if nodetype in _registry:
        raise ValueError(
            f"Type {nodetype.__qualname__} is already registered as a pytree node.")

    def flatten(x: Any) -> tuple[list, Any]:
        if flatten_func is not None:
            return flatten_func(x)
        pairs, aux = flatten_with_keys(x)
        return [c for _, c in pairs], aux

    def keys(x: Any, aux: Any) -> list:
        pairs, _ = flatten_with_keys(x)
        return [k for k, _ in pairs]

    _registry[nodetype] = _Node(flatten, unflatten_func, None, keys)


# --- paths, reductions, transposition ---------------------------------------------------

def tree_flatten_with_path(tree: Any, is_leaf: IsLeaf = None
                           ) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """``([(key path, leaf), ...], treedef)``: :func:`tree_flatten` with each
    leaf's path of keys from the root.

    >>> pairs, treedef = tree_flatten_with_path({'a': [1, 2], 'b': 3})
    >>> pairs
    [((DictKey(key='a'), SequenceKey(idx=0)), 1), ((DictKey(key='a'), SequenceKey(idx=1)), 2), ((DictKey(key='b'),), 3)]
    >>> [keystr(p) for p, _ in pairs]
    ["['a'][0]", "['a'][1]", "['b']"]
    """
    out: list = []
    treedef = _flatten_with_path(tree, (), is_leaf, out)
    return out, treedef


def tree_leaves_with_path(tree: Any, is_leaf: IsLeaf = None) -> list[tuple[KeyPath, Any]]:
    """The ``(key path, leaf)`` pairs of ``tree``, in flatten order.

    >>> tree_leaves_with_path((1, {'x': 2}))
    [((SequenceKey(idx=0),), 1), ((SequenceKey(idx=1), DictKey(key='x')), 2)]
    """
    return tree_flatten_with_path(tree, is_leaf)[0]


def tree_map_with_path(f: Callable[..., Any], tree: Any, *rest: Any,
                       is_leaf: IsLeaf = None) -> Any:
    """:func:`tree_map` with ``f(path, leaf, *leaves of rest)``.

    >>> tree_map_with_path(lambda p, x: keystr(p) + '=' + str(x), {'a': 1, 'b': (2,)})
    {'a': "['a']=1", 'b': ("['b'][0]=2",)}
    """
    pairs, treedef = tree_flatten_with_path(tree, is_leaf)
    paths = [p for p, _ in pairs]
    all_leaves = [[x for _, x in pairs]] + [treedef.flatten_up_to(r) for r in rest]
    return _unflatten(treedef, iter([f(p, *xs) for p, *xs in zip(paths, *all_leaves)]))


_NO_INITIALIZER = object()


def tree_reduce(function: Callable[[Any, Any], Any], tree: Any,
                initializer: Any = _NO_INITIALIZER, is_leaf: IsLeaf = None) -> Any:
    """``functools.reduce(function, leaves of tree[, initializer])``.

    >>> import operator
    >>> tree_reduce(operator.add, [1, (2, 3)])
    6
    >>> tree_reduce(operator.add, [], initializer=0)
    0
    """
    import functools
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INITIALIZER:
        if not leaves:
            raise TypeError("tree_reduce of a tree without leaves needs an initializer")
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree: Any, *, is_leaf: IsLeaf = None) -> bool:
    """Whether every leaf of ``tree`` is truthy (True for no leaves).

    >>> tree_all([True, {'a': 1}]), tree_all([True, (0,)]), tree_all(None)
    (True, False, True)
    """
    return all(tree_leaves(tree, is_leaf))


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None,
                   pytree_to_transpose: Any) -> Any:
    """Turn a tree of structure ``outer`` of trees of structure ``inner`` into
    a tree of structure ``inner`` of trees of structure ``outer``.

    ``inner_treedef`` None infers it from the first inner tree.

    >>> outer, inner = tree_structure([0, 0]), tree_structure((0, 0))
    >>> tree_transpose(outer, inner, [(1, 2), (3, 4)])
    ([1, 3], [2, 4])
    """
    subtrees = outer_treedef.flatten_up_to(pytree_to_transpose)
    if inner_treedef is None:
        if not subtrees:
            raise ValueError("tree_transpose: cannot infer inner_treedef of an outer tree "
                             "without leaves; pass it")
        inner_treedef = tree_structure(subtrees[0])
    columns = []
    for i, sub in enumerate(subtrees):
        try:
            columns.append(inner_treedef.flatten_up_to(sub))
        except ValueError:
            raise TypeError(
                f"tree_transpose: the tree does not have structure {outer_treedef!r} of "
                f"{inner_treedef!r}: its inner tree {i} has structure "
                f"{tree_structure(sub)!r}") from None
    if outer_treedef.num_leaves == 0:
        return inner_treedef.unflatten([outer_treedef.unflatten([])
                                        for _ in range(inner_treedef.num_leaves)])
    return inner_treedef.unflatten([outer_treedef.unflatten(list(col))
                                    for col in zip(*columns)])
