"""``ftrans.tree``: the short names of ``ftrans.tree_util``, as ``jax.tree``.

``ftrans.tree.map(f, tree)`` is ``ftrans.tree_util.tree_map(f, tree)``, and so
on for every function here: the same pytrees, structures and key paths (see
``ftrans/tree_util.py``), under the names JAX's ``jax.tree`` module uses.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ftrans import tree_util
from ftrans.tree_util import IsLeaf, KeyPath, PyTreeDef

__all__ = ["all", "flatten", "flatten_with_path", "leaves", "leaves_with_path", "map",
           "map_with_path", "reduce", "structure", "transpose", "unflatten"]


def all(tree: Any, *, is_leaf: IsLeaf = None) -> bool:  # noqa: A001 - JAX's name
    """Whether every leaf of ``tree`` is truthy.

    >>> import ftrans
    >>> ftrans.tree.all({'a': True, 'b': [1, 2]})
    True
    """
    return tree_util.tree_all(tree, is_leaf=is_leaf)


def flatten(tree: Any, is_leaf: IsLeaf = None) -> tuple[list[Any], PyTreeDef]:
    """``(leaves, treedef)`` of ``tree``.

    >>> import ftrans
    >>> ftrans.tree.flatten({'b': 1, 'a': (2, 3)})
    ([2, 3, 1], PyTreeDef({'a': (*, *), 'b': *}))
    """
    return tree_util.tree_flatten(tree, is_leaf)


def flatten_with_path(tree: Any, is_leaf: IsLeaf = None
                      ) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """``([(key path, leaf), ...], treedef)`` of ``tree``.

    >>> import ftrans
    >>> ftrans.tree.flatten_with_path([1, {'k': 2}])[0]
    [((SequenceKey(idx=0),), 1), ((SequenceKey(idx=1), DictKey(key='k')), 2)]
    """
    return tree_util.tree_flatten_with_path(tree, is_leaf)


def leaves(tree: Any, is_leaf: IsLeaf = None) -> list[Any]:
    """The leaves of ``tree``, in flatten order.

    >>> import ftrans
    >>> ftrans.tree.leaves([1, (2, None), {'x': 3}])
    [1, 2, 3]
    """
    return tree_util.tree_leaves(tree, is_leaf)


def leaves_with_path(tree: Any, is_leaf: IsLeaf = None) -> list[tuple[KeyPath, Any]]:
    """The ``(key path, leaf)`` pairs of ``tree``.

    >>> import ftrans
    >>> ftrans.tree.leaves_with_path({'a': [5]})
    [((DictKey(key='a'), SequenceKey(idx=0)), 5)]
    """
    return tree_util.tree_leaves_with_path(tree, is_leaf)


def map(f: Callable[..., Any], tree: Any, *rest: Any,  # noqa: A001 - JAX's name
        is_leaf: IsLeaf = None) -> Any:
    """``f`` applied leafwise to ``tree`` (and the matching leaves of ``rest``).

    >>> import ftrans
    >>> ftrans.tree.map(lambda x, y: x + y, {'a': 1, 'b': 2}, {'a': 10, 'b': 20})
    {'a': 11, 'b': 22}
    """
    return tree_util.tree_map(f, tree, *rest, is_leaf=is_leaf)


def map_with_path(f: Callable[..., Any], tree: Any, *rest: Any,
                  is_leaf: IsLeaf = None) -> Any:
    """``f(path, leaf, *rest_leaves)`` applied leafwise.

    >>> import ftrans
    >>> ftrans.tree.map_with_path(lambda p, x: (ftrans.tree_util.keystr(p), x), [7])
    [('[0]', 7)]
    """
    return tree_util.tree_map_with_path(f, tree, *rest, is_leaf=is_leaf)


def reduce(function: Callable[[Any, Any], Any], tree: Any,  # noqa: A001 - JAX's name
           initializer: Any = tree_util._NO_INITIALIZER, is_leaf: IsLeaf = None) -> Any:
    """``functools.reduce`` over the leaves of ``tree``.

    >>> import ftrans, operator
    >>> ftrans.tree.reduce(operator.mul, [2, (3, 4)], 1)
    24
    """
    return tree_util.tree_reduce(function, tree, initializer, is_leaf)


def structure(tree: Any, is_leaf: IsLeaf = None) -> PyTreeDef:
    """The treedef of ``tree``.

    >>> import ftrans
    >>> ftrans.tree.structure((1, [2]))
    PyTreeDef((*, [*]))
    """
    return tree_util.tree_structure(tree, is_leaf)


def transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None,
              pytree_to_transpose: Any) -> Any:
    """A tree of ``outer`` trees of ``inner`` trees, as ``inner`` of ``outer``.

    >>> import ftrans
    >>> outer, inner = ftrans.tree.structure([0, 0, 0]), ftrans.tree.structure({'a': 0, 'b': 0})
    >>> ftrans.tree.transpose(outer, inner, [{'a': 1, 'b': 2}] * 3)
    {'a': [1, 1, 1], 'b': [2, 2, 2]}
    """
    return tree_util.tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose)


def unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """The tree of structure ``treedef`` with ``leaves``.

    >>> import ftrans
    >>> ftrans.tree.unflatten(ftrans.tree.structure([0, (0,)]), 'ab')
    ['a', ('b',)]
    """
    return tree_util.tree_unflatten(treedef, leaves)
