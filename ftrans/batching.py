"""``vmap``: the public batching transformation.

``vmap(f)`` traces ``f`` once on one example (abstract in the mapped
arguments, concrete in the unmapped ones), batches the jaxpr with
``transforms.vmap.vmap_jaxpr`` and evaluates it on the whole batch, or chunk
by chunk (``chunk_size``). Under an enclosing transformation the evaluation
is staged into it, so ``grad(vmap(f))`` and ``vmap(grad(f))`` compose.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from ftrans.array import leave
from ftrans.core import ClosedJaxpr, Jaxpr, ShapedArray, get_aval
from ftrans.derivatives import StructuralCache, run
from ftrans.errors import fn_name
from ftrans.prims._batching import at_dim, broadcast_batch, move_axis, slice_batch
from ftrans.prims.shape import concatenate
from ftrans.tracing import Tracer, trace_to_jaxpr
from ftrans.transforms.vmap import vmap_jaxpr
from ftrans.tree_util import tree_flatten, tree_map, tree_unflatten

_CACHE_SIZE = 64


def vmap(fun: Callable, in_axes: Any = 0, out_axes: Any = 0,
         axis_size: int | None = None, chunk_size: int | None = None) -> Callable:
    """``fun`` mapped over an axis of its arguments, as one batched computation.

    ``in_axes``: an int, ``None`` (not mapped) or a tuple with one entry per
    positional argument, each an int, ``None`` or a pytree prefix of the
    argument; keyword arguments are mapped along axis 0. ``out_axes`` likewise
    for the outputs. ``axis_size`` gives the batch size when no argument is
    mapped. ``chunk_size=k`` evaluates ``k`` examples at a time and
    concatenates (memory bounded by ``k``; the results are the same).

    >>> import ftrans, ftrans.numpy as jnp, numpy as np
    >>> ftrans.vmap(lambda x, y: jnp.dot(x, y), in_axes=(0, None))(
    ...     np.eye(2), np.array([3.0, 4.0]))
    array([3., 4.])
    """
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap({fn_name(fun)}): chunk_size must be a positive int, "
                         f"got {chunk_size!r}")

    @functools.wraps(fun)
    def vmap_f(*args, **kwargs):
        name = f"vmap({fn_name(fun)})"
        leaves, in_tree = tree_flatten((args, kwargs))
        leaves = [x if type(x) is Tracer else _as_array(x, name) for x in leaves]
        dims = _in_dims(name, fun, in_axes, args, kwargs, leaves)
        size = _batch_size(name, fun, args, kwargs, leaves, dims, axis_size)
        avals = [_example_aval(get_aval(x), d) for x, d in zip(leaves, dims)]
        known = [None if d is not None else _value(x) for x, d in zip(leaves, dims)]
        box = {}

        def flat_fun(*example):
            a, k = tree_unflatten(in_tree, example)
            out_flat, box["tree"] = tree_flatten(fun(*a, **k))
            return out_flat

        closed, _ = trace_to_jaxpr(flat_fun, avals, known if any(
            v is not None for v in known) else None, transform="vmap")
        out_tree = box["tree"]
        outs, out_dims = _run_batched(closed, leaves, dims, size, chunk_size)
        want = _out_dims(name, out_axes, out_tree, outs)
        final = [_place(name, i, x, d, w, size) for i, (x, d, w)
                 in enumerate(zip(outs, out_dims, want))]
        return tree_map(leave, tree_unflatten(out_tree, final))

    return vmap_f


def _as_array(x, name):
    import numpy as np
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (int, float, complex, bool, np.generic)):
        return np.asarray(x)
    raise TypeError(f"{name}: arguments must be arrays or pytrees of arrays, got a "
                    f"leaf of type {type(x).__name__}")


def _value(x):
    """The value of an unmapped argument, to trace ``fun`` with (a tracer of
    an enclosing transformation stays abstract: reading its value could drop
    a derivative it carries)."""
    return None if type(x) is Tracer else x


def _example_aval(aval: ShapedArray, dim: int | None) -> ShapedArray:
    if dim is None:
        return aval
    return aval.update(shape=aval.shape[:dim] + aval.shape[dim + 1:])


# --- in_axes ----------------------------------------------------------------------

def _in_dims(name, fun, in_axes, args, kwargs, leaves) -> list:
    """One mapped axis (non-negative) or None per flat leaf of ``(args, kwargs)``."""
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not isinstance(in_axes, (int, tuple)) and in_axes is not None:
        raise TypeError(f"{name}: in_axes must be an int, None, or a tuple with one "
                        f"entry per positional argument, got {in_axes!r}")
    if isinstance(in_axes, tuple) and len(in_axes) != len(args):
        raise ValueError(f"{name}: in_axes has {len(in_axes)} entries, "
                         f"{in_axes!r}, but the function was called with "
                         f"{len(args)} positional arguments; give one entry per "
                         "positional argument")
    per_arg = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    dims = []
    for i, (arg, axes) in enumerate(zip(args, per_arg)):
        dims.extend(_broadcast_prefix(name, lambda i=i: _arg_label(fun, i), axes, arg))
    dims.extend([0] * len(tree_flatten(kwargs)[0]))
    out = []
    for k, (x, d) in enumerate(zip(leaves, dims)):
        if d is None:
            out.append(None)
            continue
        if isinstance(d, int) and -get_aval(x).ndim <= d < get_aval(x).ndim:
            out.append(d % get_aval(x).ndim)  # the common case: no label needed
            continue
        label = _leaf_labels(fun, args, kwargs)[k]
        if not isinstance(d, int):
            raise TypeError(f"{name}: in_axes entries must be ints or None, got "
                            f"{d!r} for {label}")
        ndim = get_aval(x).ndim
        if not -ndim <= d < ndim:
            raise ValueError(f"{name}: in_axes={d} for {label} of type "
                             f"{get_aval(x).str_short()} is out of range: it has "
                             f"{ndim} axes (use an axis in [-{ndim}, {ndim}) or None)"
                             if ndim else
                             f"{name}: in_axes={d} for {label} of type "
                             f"{get_aval(x).str_short()}: a scalar has no axis to "
                             "map; use None to pass it to every example")
        out.append(d % ndim)
    return out


def _broadcast_prefix(name, label, prefix, tree) -> list:
    """The leaves of the prefix tree ``prefix``, each repeated over the leaves
    of the subtree of ``tree`` it covers (``label()`` names ``tree`` in errors)."""
    if prefix is None or isinstance(prefix, int):
        return [prefix] * len(tree_flatten(tree)[0])
    prefix_def = tree_flatten(prefix, is_leaf=lambda x: x is None)[1]
    try:
        subtrees = prefix_def.flatten_up_to(tree)
    except ValueError as e:
        raise ValueError(f"{name}: the in_axes entry {prefix!r} for {label()} does not "
                         f"match the argument's structure: {e}") from None
    axes = tree_flatten(prefix, is_leaf=lambda x: x is None)[0]
    out = []
    for axis, sub in zip(axes, subtrees):
        out.extend([axis] * len(tree_flatten(sub)[0]))
    return out


def _arg_label(fun, i: int) -> str:
    try:
        params = [p for p in inspect.signature(fun).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if i < len(params):
            return f"argument {params[i].name}"
    except (TypeError, ValueError):
        pass
    return f"argument {i}"


def _leaf_labels(fun, args, kwargs) -> list[str]:
    labels = []
    for i, arg in enumerate(args):
        n = len(tree_flatten(arg)[0])
        base = _arg_label(fun, i)
        labels.extend([base] if n == 1 else [f"{base} (leaf {j})" for j in range(n)])
    for key in sorted(kwargs):
        n = len(tree_flatten(kwargs[key])[0])
        labels.extend([f"keyword argument {key}"] * n)
    return labels


def _batch_size(name, fun, args, kwargs, leaves, dims, axis_size) -> int:
    found = {get_aval(x).shape[d] for x, d in zip(leaves, dims) if d is not None}
    if axis_size is not None:
        found.add(axis_size)
    if not found:
        raise ValueError(f"{name}: no argument is mapped (every in_axes is None) and "
                         "axis_size is not given, so the batch size is unknown; pass "
                         "axis_size=n, or map an argument")
    if len(found) > 1:
        labels = _leaf_labels(fun, args, kwargs)
        lines = [f"  * {label} of type {get_aval(x).str_short()}: axis {d} has size "
                 f"{get_aval(x).shape[d]}"
                 for x, d, label in zip(leaves, dims, labels) if d is not None]
        if axis_size is not None:
            lines.append(f"  * axis_size={axis_size}")
        raise ValueError(f"{name} got inconsistent sizes for the array axes to be "
                         "mapped:\n" + "\n".join(lines))
    return found.pop()


# --- the batched computation ------------------------------------------------------

def _run_batched(closed, leaves, dims, size, chunk_size):
    """The outputs of ``closed`` mapped over ``leaves``, and their batch axes."""
    if chunk_size is None or chunk_size >= size:
        return _apply(closed, leaves, dims, size)
    parts, out_dims = [], None
    for start in range(0, size, chunk_size):
        stop = min(start + chunk_size, size)
        chunk = [x if d is None else slice_batch(x, d, start, stop)
                 for x, d in zip(leaves, dims)]
        outs, out_dims = _apply(closed, chunk, dims, stop - start)
        # unbatched outputs are the same for every chunk: batch them so that
        # the chunks concatenate
        parts.append([x if d is not None else broadcast_batch(x, stop - start, 0)
                      for x, d in zip(outs, out_dims)])
        out_dims = [d if d is not None else 0 for d in out_dims]
    return ([concatenate([p[i] for p in parts], d) for i, d in enumerate(out_dims)],
            out_dims)


def _apply(closed: ClosedJaxpr, leaves, dims, size):
    batched, out_dims = _batched(closed, dims, size)
    return run(batched, *closed.consts, *leaves), out_dims


def _batched(closed: ClosedJaxpr, dims, size):
    """``vmap_jaxpr`` of ``closed`` with its constants made unbatched inputs,
    cached by the jaxpr's structure (as derivatives are)."""
    j = closed.jaxpr
    open_ = ClosedJaxpr(Jaxpr([], j.constvars + j.invars, j.eqns, j.outvars), [])
    all_dims = (None,) * len(j.constvars) + tuple(dims)
    return _cache.get(open_, (all_dims, size), lambda: vmap_jaxpr(open_, all_dims, size))


_cache = StructuralCache(_CACHE_SIZE)


# --- out_axes ---------------------------------------------------------------------

def _out_dims(name, out_axes, out_tree, outs) -> list:
    if out_axes is None or isinstance(out_axes, int):
        return [out_axes] * len(outs)
    out_axes = tuple(out_axes) if isinstance(out_axes, list) else out_axes
    sample = tree_unflatten(out_tree, list(range(len(outs))))
    return _broadcast_prefix(name, lambda: "the output", out_axes, sample)


def _place(name, i, x, dim, want, size):
    """Output ``i`` batched along ``want`` (or unbatched if ``want`` is None)."""
    if want is None:
        if dim is not None:
            raise ValueError(f"{name}: out_axes is None for output {i}, of type "
                             f"{get_aval(x).str_short()}, but it depends on a mapped "
                             "input (it differs across the batch); give it an out axis")
        return x
    ndim = get_aval(x).ndim + (dim is None)
    if not isinstance(want, int) or not -ndim <= want < ndim:
        raise ValueError(f"{name}: out_axes={want!r} for output {i} is out of range "
                         f"for its {ndim} axes")
    want %= ndim
    return at_dim(x, dim, size, want) if dim is None else move_axis(x, dim, want)
