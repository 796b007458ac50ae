"""ftrans.tree, the key-path additions of ftrans.tree_util, and ravel_pytree.

Expected values are JAX's documented (and, where noted, observed) outputs:
key strings such as ``"['a'][0]"``, key path tuples, treedef reprs, and
``ravel_pytree`` of mixed dtypes with gradients through ``unravel``.
"""

from __future__ import annotations

import collections
import dataclasses
import operator
from typing import Any, NamedTuple

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import tree
from ftrans.flatten_util import ravel_pytree
from ftrans.test_util import check_grads
from ftrans.tree_util import (DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey, keystr,
                              register_dataclass, register_pytree_node,
                              register_pytree_with_keys, register_static, tree_all,
                              tree_flatten, tree_flatten_with_path, tree_leaves_with_path,
                              tree_map_with_path, tree_reduce, tree_structure, tree_transpose)


class Pt(NamedTuple):
    x: Any
    y: Any


# --- key classes and keystr ---------------------------------------------------------

def test_key_str_and_repr_as_jax():
    assert [str(k) for k in (SequenceKey(0), DictKey("a"), GetAttrKey("w"),
                             FlattenedIndexKey(2))] == ["[0]", "['a']", ".w",
                                                        "[<flat index 2>]"]
    assert [repr(k) for k in (SequenceKey(0), DictKey("a"), GetAttrKey("w"),
                              FlattenedIndexKey(2))] == [
        "SequenceKey(idx=0)", "DictKey(key='a')", "GetAttrKey(name='w')",
        "FlattenedIndexKey(key=2)"]
    assert str(DictKey(1)) == "[1]" and SequenceKey(3).idx == 3 and DictKey("k").key == "k"
    assert SequenceKey(0) == SequenceKey(0) and hash(DictKey("a")) == hash(DictKey("a"))


def test_keystr():
    assert keystr((DictKey("a"), SequenceKey(0))) == "['a'][0]"
    assert keystr((GetAttrKey("w"), DictKey("b"), SequenceKey(1))) == ".w['b'][1]"
    assert keystr(()) == ""
    assert keystr((DictKey("a"), SequenceKey(0)), simple=True, separator="/") == "a/0"
    with pytest.raises(TypeError, match="tuple of keys"):
        keystr(DictKey("a"))


# --- paths -------------------------------------------------------------------------

def test_flatten_with_path_as_jax():
    pairs, treedef = tree_flatten_with_path({"a": [1, 2], "b": (3,)})
    assert pairs == [((DictKey("a"), SequenceKey(0)), 1), ((DictKey("a"), SequenceKey(1)), 2),
                     ((DictKey("b"), SequenceKey(0)), 3)]
    assert treedef == tree_structure({"a": [1, 2], "b": (3,)})
    assert repr(treedef) == "PyTreeDef({'a': [*, *], 'b': (*,)})"


@pytest.mark.parametrize("t, paths", [
    (Pt(1, {"k": 2}), [".x", ".y['k']"]),
    (collections.OrderedDict([("b", 1), ("a", 2)]), ["['b']", "['a']"]),
    (collections.defaultdict(list, {"z": 1, "y": [2]}), ["['y'][0]", "['z']"]),
    ([None, (1, None)], ["[1][0]"]),
    ({}, []),
    (5, [""]),
])
def test_paths_of_each_container(t, paths):
    pairs = tree_leaves_with_path(t)
    assert [keystr(p) for p, _ in pairs] == paths
    assert [x for _, x in pairs] == tree.leaves(t)


def test_paths_follow_is_leaf_and_flatten_order():
    t = {"a": (1, 2), "b": [3, (4, 5)]}
    pairs, treedef = tree_flatten_with_path(t, is_leaf=lambda x: isinstance(x, tuple))
    leaves, treedef2 = tree_flatten(t, is_leaf=lambda x: isinstance(x, tuple))
    assert [x for _, x in pairs] == leaves and treedef == treedef2
    assert [keystr(p) for p, _ in pairs] == ["['a']", "['b'][0]", "['b'][1]"]


def test_custom_nodes_without_keys_use_flattened_index():
    class C:
        def __init__(self, x, y):
            self.x, self.y = x, y

    register_pytree_node(C, lambda c: ((c.x, c.y), None), lambda _, ch: C(*ch))
    assert [p for p, _ in tree_leaves_with_path(C([5], 6))] == [
        (FlattenedIndexKey(0), SequenceKey(0)), (FlattenedIndexKey(1),)]


def test_register_pytree_with_keys():
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

    register_pytree_with_keys(
        Pair, lambda p: (((GetAttrKey("a"), p.a), (GetAttrKey("b"), p.b)), "tag"),
        lambda aux, ch: Pair(*ch))
    pairs, treedef = tree_flatten_with_path(Pair(1, [2, 3]))
    assert [keystr(p) for p, _ in pairs] == [".a", ".b[0]", ".b[1]"]
    assert treedef.node_data == "tag"
    doubled = tree.map(lambda x: 2 * x, Pair(1, [2, 3]))
    assert doubled.a == 2 and doubled.b == [4, 6]
    with pytest.raises(ValueError, match="already registered"):
        register_pytree_with_keys(Pair, lambda p: ((), None), lambda a, c: None)


def test_map_with_path_several_trees():
    out = tree_map_with_path(lambda p, x, y: (keystr(p), x + y), {"a": 1, "b": [2]},
                             {"a": 10, "b": [20]})
    assert out == {"a": ("['a']", 11), "b": [("['b'][0]", 22)]}
    assert tree.map_with_path(lambda p, x: len(p), [1, [2]]) == [1, [2]]
    with pytest.raises(ValueError, match="mismatch"):
        tree_map_with_path(lambda p, x, y: x, [1, 2], [1])


# --- register_dataclass / register_static -----------------------------------------------

@register_dataclass
@dataclasses.dataclass(frozen=True)
class Layer:
    w: Any
    b: Any
    act: str = dataclasses.field(default="relu", metadata=dict(static=True))


def test_register_dataclass_infers_data_and_meta_fields():
    layer = Layer(np.ones(2), 3.0, act="tanh")
    pairs, treedef = tree_flatten_with_path(layer)
    assert [p for p, _ in pairs] == [(GetAttrKey("w"),), (GetAttrKey("b"),)]
    assert repr(treedef) == "PyTreeDef(Layer(w=*, b=*, act='tanh'))"
    back = treedef.unflatten([x for _, x in pairs])
    assert back.act == "tanh" and back.b == 3.0 and isinstance(back, Layer)
    assert tree_structure(Layer(1, 2, "relu")) != tree_structure(Layer(1, 2, "tanh"))
    g = ftrans.grad(lambda l: jnp.sum(l.w * l.b))(Layer(np.arange(2.0), 2.0))
    assert isinstance(g, Layer) and g.act == "relu"
    np.testing.assert_array_equal(g.w, [2.0, 2.0])
    assert float(g.b) == 1.0


def test_register_dataclass_with_explicit_fields():
    class Box:  # not a dataclass: fields must be named
        def __init__(self, v, tag, cache=None):
            self.v, self.tag, self.cache = v, tag, cache

    assert register_dataclass(Box, data_fields=["v"], meta_fields=["tag"]) is Box
    leaves, treedef = tree_flatten(Box([1, 2], "t"))
    assert leaves == [1, 2]
    back = treedef.unflatten([3, 4])
    assert back.v == [3, 4] and back.tag == "t"

    @register_dataclass(data_fields=["x"], meta_fields=[])
    @dataclasses.dataclass
    class D:
        x: Any
        y: int = 0

    assert tree_flatten(D(1, 2))[0] == [1]
    with pytest.raises(TypeError, match="both data_fields"):
        register_dataclass(Pt, data_fields=["x"])
    with pytest.raises(TypeError, match="expects a dataclass"):
        register_dataclass(type("NotDC", (), {}))

    @dataclasses.dataclass
    class E:
        x: Any

    with pytest.raises(ValueError, match="not fields"):
        register_dataclass(E, data_fields=["x", "q"], meta_fields=[])


def test_register_static():
    @register_static
    class Cfg:
        def __init__(self, n):
            self.n = n

        def __eq__(self, other):
            return type(other) is Cfg and other.n == self.n

        def __hash__(self):
            return hash(self.n)

    leaves, treedef = tree_flatten({"c": Cfg(2), "x": 1.0})
    assert leaves == [1.0]
    assert treedef.unflatten([5.0])["c"].n == 2
    assert tree_structure(Cfg(1)) != tree_structure(Cfg(2))
    assert ftrans.grad(lambda d: d["x"] * d["c"].n)({"c": Cfg(3), "x": 1.0})["c"].n == 3


# --- reduce / all / transpose ----------------------------------------------------------

def test_reduce_all_transpose():
    assert tree_reduce(operator.add, [1, (2, 3)]) == 6
    assert tree.reduce(operator.add, [1, 2, 3], 10) == 16
    assert tree.reduce(operator.add, {}, 0) == 0
    with pytest.raises(TypeError, match="initializer"):
        tree_reduce(operator.add, [])
    assert tree_reduce(lambda a, b: a + b, [[1], [2]], is_leaf=lambda x: isinstance(x, list)
                       and len(x) == 1) == [1, 2]
    assert not tree.all([1, True, {"a": 0}]) and tree_all([]) and tree.all({"a": [1, 2]})
    outer, inner = tree.structure([0, 0]), tree.structure((0, 0))
    assert tree_transpose(outer, inner, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    assert tree.transpose(outer, None, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    with pytest.raises(TypeError, match="does not have structure"):
        tree.transpose(outer, inner, [(1, 2), (3,)])


def test_tree_module_matches_tree_util():
    t = {"a": [1, (2, None)], "b": Pt(3, 4)}
    leaves, treedef = tree.flatten(t)
    assert leaves == [1, 2, 3, 4] and tree.unflatten(treedef, leaves) == t
    assert tree.structure(t) == treedef
    assert tree.map(lambda x: x * 10, t)["b"] == Pt(30, 40)
    assert tree.map(lambda x: x, [1, None], is_leaf=lambda x: x is None) == [1, None]
    assert tree.leaves_with_path(t) == tree.flatten_with_path(t)[0]
    assert sorted(tree.__all__) == sorted(["map", "leaves", "structure", "flatten",
                                           "unflatten", "reduce", "transpose", "all",
                                           "map_with_path", "flatten_with_path",
                                           "leaves_with_path"])


# --- ravel_pytree ----------------------------------------------------------------------

def test_ravel_pytree_roundtrip_and_order():
    t = {"b": np.arange(3.0).reshape(3, 1), "a": (np.ones(2), 5.0)}
    flat, unravel = ravel_pytree(t)
    np.testing.assert_array_equal(flat, [1, 1, 5, 0, 1, 2])
    assert flat.dtype == np.float64 and flat.shape == (6,)
    back = unravel(flat)
    assert tree.structure(back) == tree.structure(t)
    np.testing.assert_array_equal(back["b"], t["b"])
    assert back["b"].shape == (3, 1) and back["a"][1].shape == ()
    with pytest.raises(ValueError, match=r"shape \(6,\)"):
        unravel(np.ones(5))


def test_ravel_pytree_mixed_dtypes():
    t = {"i": np.arange(3, dtype=np.int64), "f": np.ones(2, np.float32), "c": 2.0}
    flat, unravel = ravel_pytree(t)
    # as JAX (x64): int64, float32 and a Python float promote to float64
    assert flat.dtype == np.float64
    np.testing.assert_array_equal(flat, [2.0, 1.0, 1.0, 0.0, 1.0, 2.0])
    back = unravel(flat)
    assert back["i"].dtype == np.int64 and back["f"].dtype == np.float32
    np.testing.assert_array_equal(back["i"], [0, 1, 2])
    f32, unravel32 = ravel_pytree([np.ones(2, np.float32), np.zeros(1, np.float32)])
    assert f32.dtype == np.float32 and unravel32(f32)[1].dtype == np.float32
    with pytest.raises(TypeError, match="dtype float32"):
        unravel32(np.ones(3))
    empty, unravel_empty = ravel_pytree({})
    assert empty.shape == (0,) and unravel_empty(empty) == {}


def test_grad_through_unravel_and_ravel(rng):
    params = {"w": rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
    flat, unravel = ravel_pytree(params)

    def loss(p):
        return jnp.sum(jnp.tanh(p["w"] @ p["b"]) ** 2)

    g_flat = ftrans.grad(lambda v: loss(unravel(v)))(flat)
    g_tree = ftrans.grad(loss)(params)
    np.testing.assert_allclose(g_flat, ravel_pytree(g_tree)[0], rtol=1e-14)
    check_grads(lambda v: loss(unravel(v)), (flat,), order=2)
    # ravel_pytree traces too: its flat vector is differentiable in the tree
    g = ftrans.grad(lambda p: jnp.sum(ravel_pytree(p)[0] ** 3))(params)
    np.testing.assert_allclose(g["w"], 3 * params["w"] ** 2, rtol=1e-14)
    hess = ftrans.hessian(lambda v: loss(unravel(v)))(flat)
    assert hess.shape == (9, 9)
    np.testing.assert_allclose(hess, hess.T, atol=1e-12)
    # under jit and vmap
    np.testing.assert_allclose(ftrans.jit(lambda v: loss(unravel(v)))(flat), loss(params))
    batch = np.stack([flat, 2 * flat])
    np.testing.assert_allclose(ftrans.vmap(lambda v: loss(unravel(v)))(batch),
                               [loss(unravel(flat)), loss(unravel(2 * flat))], rtol=1e-14)
