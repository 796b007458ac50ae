"""Tests for ftrans.tree_util (pytree flattening, unflattening and mapping)."""

from __future__ import annotations

import collections
import dataclasses
import pickle
from typing import Any, NamedTuple

import numpy as np
import pytest

from ftrans.tree_util import (
    PyTreeDef,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)


class Point(NamedTuple):
    x: Any
    y: Any


Point3 = collections.namedtuple("Point3", ["x", "y", "z"])


@register_dataclass
@dataclasses.dataclass
class Params:
    w: Any
    b: Any


@register_dataclass
@dataclasses.dataclass(frozen=True)
class Frozen:
    a: Any
    b: Any = None

    def __post_init__(self):
        if not isinstance(self.a, (int, list)):
            raise TypeError("validation that unflatten must not trigger")


class Box:
    """A registered class whose aux data matters for equality."""

    def __init__(self, items, label):
        self.items, self.label = items, label

    def __eq__(self, other):
        return (type(other) is Box and self.items == other.items
                and self.label == other.label)


register_pytree_node(Box, lambda b: (b.items, b.label),
                     lambda label, items: Box(list(items), label))


@register_pytree_node_class
class Scaled:
    def __init__(self, value, scale):
        self.value, self.scale = value, scale

    def tree_flatten(self):
        return (self.value,), self.scale

    @classmethod
    def tree_unflatten(cls, scale, children):
        return cls(children[0], scale)

    def __eq__(self, other):
        return (type(other) is Scaled and self.value == other.value
                and self.scale == other.scale)


def roundtrip(tree):
    leaves, treedef = tree_flatten(tree)
    assert len(leaves) == treedef.num_leaves
    assert tree_leaves(tree) == leaves
    assert tree_structure(tree) == treedef
    return leaves, treedef, tree_unflatten(treedef, leaves)


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("tree, expected_leaves", [
    (1, [1]),
    ((), []),
    ([], []),
    ({}, []),
    (None, []),
    ((1, 2), [1, 2]),
    ([1, [2, (3,)]], [1, 2, 3]),
    ({"a": 1, "b": (2, 3)}, [1, 2, 3]),
    ((None, 1, [None, 2]), [1, 2]),
    ({"z": [1, {"y": 2, "x": 3}], "a": (4,)}, [4, 1, 3, 2]),
    (Point(1, (2, 3)), [1, 2, 3]),
    (Point3(1, 2, 3), [1, 2, 3]),
    (collections.OrderedDict([("b", 1), ("a", 2)]), [1, 2]),
    (Params(w=[1, 2], b=3), [1, 2, 3]),
    (Box([1, (2, 3)], "lbl"), [1, 2, 3]),
    (Scaled((1, 2), 5), [1, 2]),
    ([Point(Params(1, 2), None), {"k": Scaled(3, 1)}], [1, 2, 3]),
])
def test_roundtrip(tree, expected_leaves):
    leaves, _, rebuilt = roundtrip(tree)
    assert leaves == expected_leaves
    assert rebuilt == tree
    assert type(rebuilt) is type(tree)


def test_roundtrip_preserves_container_types():
    tree = {"nt": Point(1, 2), "od": collections.OrderedDict(b=1, a=2),
            "l": [1], "t": (1,), "n": None, "dc": Params(1, 2)}
    _, _, rebuilt = roundtrip(tree)
    assert type(rebuilt["nt"]) is Point
    assert type(rebuilt["od"]) is collections.OrderedDict
    assert list(rebuilt["od"]) == ["b", "a"]
    assert type(rebuilt["l"]) is list and type(rebuilt["t"]) is tuple
    assert rebuilt["n"] is None
    assert type(rebuilt["dc"]) is Params


def test_numpy_arrays_and_objects_are_leaves():
    a, obj = np.arange(3.0), object()
    leaves, treedef = tree_flatten({"a": a, "o": obj, "s": "str", "f": 1.5})
    # sorted keys: a, f, o, s
    assert leaves[0] is a and leaves[2] is obj
    assert leaves[1] == 1.5 and leaves[3] == "str"
    assert treedef.num_leaves == 4
    # 0-d arrays and numpy scalars are leaves too
    assert tree_leaves([np.float64(1.0), np.array(2.0)]) == [1.0, 2.0]


def test_none_is_a_node_not_a_leaf():
    leaves, treedef = tree_flatten(None)
    assert leaves == [] and treedef.num_leaves == 0
    assert tree_unflatten(treedef, []) is None
    assert tree_map(lambda x: 1 / 0, None) is None
    assert tree_structure(None) != tree_structure(1)
    # but is_leaf can make it a leaf
    assert tree_leaves([None, 1], is_leaf=lambda x: x is None) == [None, 1]


def test_dict_subclass_is_leaf():
    class MyDict(dict):
        pass

    d = MyDict(a=1)
    assert tree_leaves([d]) == [d]


def test_dataclass_unflatten_skips_post_init_and_handles_frozen():
    with pytest.raises(TypeError, match="validation"):
        Frozen("1")
    out = tree_map(str, Frozen(1, b=2))  # a str `a` would fail __post_init__
    assert type(out) is Frozen and out.a == "1" and out.b == "2"
    assert tree_map(float, Frozen([1, 2], 3)) == Frozen([1.0, 2.0], 3.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.a = 0  # still frozen
    # default-valued fields still are children
    assert tree_leaves(Frozen(1)) == [1]


def test_register_dataclass_returns_cls_and_rejects_non_dataclass():
    @dataclasses.dataclass
    class D:
        x: Any

    assert register_dataclass(D) is D
    with pytest.raises(TypeError):
        register_dataclass(Box)


def test_register_pytree_node_class_returns_cls():
    leaves, treedef = tree_flatten(Scaled([1, 2], 7))
    assert leaves == [1, 2]
    assert tree_unflatten(treedef, [3, 4]) == Scaled([3, 4], 7)


def test_register_pytree_node_exact_type_only():
    class SubBox(Box):
        pass

    s = SubBox([1, 2], "x")
    assert tree_leaves(s) == [s]


# -------------------------------------------------------------- dict ordering

def test_dict_keys_sorted():
    leaves, treedef = tree_flatten({"b": 1, "c": 2, "a": 3})
    assert leaves == [3, 1, 2]
    assert repr(treedef) == "PyTreeDef({'a': *, 'b': *, 'c': *})"
    rebuilt = tree_unflatten(treedef, leaves)
    assert rebuilt == {"a": 3, "b": 1, "c": 2}
    assert list(rebuilt) == ["a", "b", "c"]
    assert tree_leaves({2: "two", 1: "one", 10: "ten"}) == ["one", "two", "ten"]


def test_dict_insertion_order_irrelevant():
    assert tree_structure({"a": 1, "b": 2}) == tree_structure({"b": 1, "a": 2})
    assert tree_leaves({"a": 1, "b": 2}) == tree_leaves({"b": 2, "a": 1})


def test_dict_unorderable_keys_deterministic():
    d1 = {1: "i", "a": "s"}
    d2 = {"a": "s", 1: "i"}
    assert tree_leaves(d1) == tree_leaves(d2)
    assert tree_structure(d1) == tree_structure(d2)
    assert tree_unflatten(*reversed(tree_flatten(d1))) == d1


def test_ordered_dict_keeps_insertion_order():
    od = collections.OrderedDict([("b", 1), ("a", 2)])
    leaves, treedef = tree_flatten(od)
    assert leaves == [1, 2]
    assert repr(treedef) == "PyTreeDef(OrderedDict({'b': *, 'a': *}))"
    assert treedef != tree_structure(collections.OrderedDict([("a", 1), ("b", 2)]))
    assert treedef != tree_structure({"b": 1, "a": 2})


def test_defaultdict():
    dd = collections.defaultdict(list, {"b": 1, "a": 2})
    leaves, treedef = tree_flatten(dd)
    assert leaves == [2, 1]
    out = tree_unflatten(treedef, [20, 10])
    assert type(out) is collections.defaultdict and out.default_factory is list
    assert out == {"a": 20, "b": 10}


# ---------------------------------------------------------- treedef semantics

def test_treedef_equality_and_hash():
    t1 = tree_structure((1, {"a": [2, 3], "b": None}))
    t2 = tree_structure(("x", {"b": None, "a": [np.zeros(2), object()]}))
    assert isinstance(t1, PyTreeDef)
    assert t1 == t2 and hash(t1) == hash(t2)
    assert len({t1, t2}) == 1
    cache = {t1: "hit"}
    assert cache[t2] == "hit"


@pytest.mark.parametrize("a, b", [
    ((1, 2), [1, 2]),                       # tuple vs list
    ((1, 2), (1, 2, 3)),                    # arity
    ((1, 2), (1, (2,))),                    # leaf vs node
    ({"a": 1}, {"b": 1}),                   # dict keys
    (None, 1),                              # None vs leaf
    ((None,), ()),                          # None is a child
    (Point(1, 2), (1, 2)),                  # namedtuple vs tuple
    (Point(1, 2), Point3(1, 2, 3)),         # different namedtuples
    (Box([1], "x"), Box([1], "y")),         # aux data
    (Scaled(1, 2), Scaled(1, 3)),           # aux data (class decorator)
    (Params(1, 2), Box([1, 2], None)),      # registered types
    ({"a": 1}, collections.OrderedDict(a=1)),
])
def test_treedef_inequality(a, b):
    ta, tb = tree_structure(a), tree_structure(b)
    assert ta != tb
    assert not ta == tb


def test_treedef_not_equal_to_other_types():
    t = tree_structure((1,))
    assert t != (1,)
    assert t != "PyTreeDef((*,))"


def test_num_leaves():
    assert tree_structure(1).num_leaves == 1
    assert tree_structure(None).num_leaves == 0
    assert tree_structure([1, (2, None), {"a": 3}]).num_leaves == 3


@pytest.mark.parametrize("tree, expected", [
    (1, "PyTreeDef(*)"),
    (None, "PyTreeDef(None)"),
    ((), "PyTreeDef(())"),
    ((1,), "PyTreeDef((*,))"),
    ([], "PyTreeDef([])"),
    ({}, "PyTreeDef({})"),
    ((1, {"a": 2, "b": [3, 4]}), "PyTreeDef((*, {'a': *, 'b': [*, *]}))"),
    (Point(1, None), "PyTreeDef(Point(x=*, y=None))"),
    (Params([1], 2), "PyTreeDef(Params(w=[*], b=*))"),
    (Box([1, 2], "lbl"), "PyTreeDef(CustomNode(Box['lbl'], [*, *]))"),
    (Scaled(1, 2), "PyTreeDef(CustomNode(Scaled[2], [*]))"),
    ({1: 2}, "PyTreeDef({1: *})"),
])
def test_treedef_repr(tree, expected):
    assert repr(tree_structure(tree)) == expected


def test_treedef_unflatten_method_accepts_iterables():
    td = tree_structure([1, (2, 3)])
    assert td.unflatten(iter([4, 5, 6])) == [4, (5, 6)]
    assert td.unflatten(x for x in "abc") == ["a", ("b", "c")]


def test_treedef_pickle_roundtrip():
    td = tree_structure({"a": (1, [2]), "n": None, "p": Point(1, 2)})
    td2 = pickle.loads(pickle.dumps(td))
    assert td2 == td and hash(td2) == hash(td)


def test_is_leaf_changes_structure():
    tree = {"a": (1, 2), "b": [3, (4, 5)]}
    leaves, td = tree_flatten(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1, 2), 3, (4, 5)]
    assert td == tree_structure({"a": 0, "b": [0, 0]})
    assert tree_unflatten(td, leaves) == tree
    assert tree_leaves(tree, is_leaf=lambda x: True) == [tree]
    assert tree_structure(tree, is_leaf=lambda x: isinstance(x, list)) == \
        tree_structure({"a": (0, 0), "b": 0})


def test_is_leaf_called_on_leaves_and_nodes():
    seen = []
    tree_flatten((1, [2]), is_leaf=lambda x: seen.append(x) or False)
    assert seen == [(1, [2]), 1, [2], 2]


# ----------------------------------------------------------------- tree_map

def test_tree_map_single():
    tree = {"a": 1, "b": (2, None, [3]), "c": Point(4, 5)}
    out = tree_map(lambda x: x * 10, tree)
    assert out == {"a": 10, "b": (20, None, [30]), "c": Point(40, 50)}
    assert type(out["c"]) is Point


def test_tree_map_numpy():
    tree = (np.ones(2), [np.arange(3)])
    out = tree_map(lambda x: x + 1, tree)
    np.testing.assert_array_equal(out[0], [2.0, 2.0])
    np.testing.assert_array_equal(out[1][0], [1, 2, 3])


def test_tree_map_multiple_trees():
    a = {"x": 1, "y": (2, 3)}
    b = {"y": (20, 30), "x": 10}
    c = {"x": 100, "y": (200, 300)}
    assert tree_map(lambda p, q, r: p + q + r, a, b, c) == \
        {"x": 111, "y": (222, 333)}
    assert tree_map(lambda p, q: (p, q), Params(1, 2), Params(3, 4)) == \
        Params((1, 3), (2, 4))


def test_tree_map_rest_may_be_deeper_prefix():
    # as in JAX, leaves of the first tree may correspond to subtrees of the rest
    out = tree_map(lambda x, y: (x, y), [1, 2], [(3, 4), {"k": 5}])
    assert out == [(1, (3, 4)), (2, {"k": 5})]


def test_tree_map_is_leaf():
    tree = [(1, 2), (3, 4)]
    assert tree_map(sum, tree, is_leaf=lambda x: isinstance(x, tuple)) == [3, 7]
    # is_leaf applies to the first tree; rest follow its structure
    out = tree_map(lambda t, y: t[0] * y, tree, [10, 100],
                   is_leaf=lambda x: isinstance(x, tuple))
    assert out == [10, 300]


def test_tree_map_none_leaves_via_is_leaf():
    out = tree_map(lambda x: 0 if x is None else x, [None, 1],
                   is_leaf=lambda x: x is None)
    assert out == [0, 1]


def test_tree_map_calls_f_in_leaf_order():
    calls = []
    tree_map(calls.append, {"b": 2, "a": [1, 0]})
    assert calls == [1, 0, 2]


# ------------------------------------------------------------------- errors

@pytest.mark.parametrize("n", [1, 3])
def test_unflatten_wrong_leaf_count(n):
    td = tree_structure((1, [2]))
    with pytest.raises(ValueError, match=f"expected 2, got {n}") as e:
        tree_unflatten(td, list(range(n)))
    assert "PyTreeDef((*, [*]))" in str(e.value)
    with pytest.raises(ValueError, match=f"expected 2, got {n}"):
        td.unflatten(range(n))


@pytest.mark.parametrize("a, b", [
    ((1, 2), [1, 2]),
    ((1, 2), (1, 2, 3)),
    ({"a": 1}, {"b": 1}),
    ({"a": 1}, {"a": 1, "b": 2}),
    ((1, None), (1, 2)),
    ((1, (2, 3)), (1, 2)),
    (Point(1, 2), (1, 2)),
    (Box([1], "x"), Box([1], "y")),
    (Params(1, 2), Frozen(1, 2)),
    (collections.OrderedDict(a=1, b=2), collections.OrderedDict(b=1, a=2)),
])
def test_tree_map_mismatch(a, b):
    with pytest.raises(ValueError) as e:
        tree_map(lambda x, y: x, a, b)
    msg = str(e.value)
    assert "mismatch" in msg
    assert " vs " in msg or "where the tree has" in msg
    assert repr(tree_structure(a)) in msg
    assert repr(tree_structure(b)) in msg


def test_tree_map_mismatch_in_later_tree():
    with pytest.raises(ValueError, match=r"PyTreeDef\(\[\*\]\)"):
        tree_map(lambda x, y, z: x, [1, 2], [3, 4], [5])


def test_flatten_up_to():
    td = tree_structure({"a": 0, "b": (0, 0)})
    assert td.flatten_up_to({"b": ([1], 2), "a": None}) == [None, [1], 2]
    with pytest.raises(ValueError, match="mismatch"):
        td.flatten_up_to({"a": 0, "b": [0, 0]})


def test_double_registration():
    class Fresh:
        pass

    register_pytree_node(Fresh, lambda x: ((), None), lambda a, c: Fresh())
    with pytest.raises(ValueError, match="Fresh.*already registered"):
        register_pytree_node(Fresh, lambda x: ((), None), lambda a, c: Fresh())
    with pytest.raises(ValueError, match="already registered"):
        register_dataclass(Params)
    with pytest.raises(ValueError, match="already registered"):
        register_pytree_node_class(Scaled)
    for builtin in (tuple, list, dict, type(None), collections.OrderedDict):
        with pytest.raises(ValueError, match="already registered"):
            register_pytree_node(builtin, lambda x: ((), None), lambda a, c: None)


def test_register_non_type():
    with pytest.raises(TypeError):
        register_pytree_node("not a type", lambda x: ((), None), lambda a, c: None)
