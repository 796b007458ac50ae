"""Indexing: ``x[idx]`` and ``x.at[idx].set(v)`` with numpy's semantics.

``getitem`` lowers an index in three passes. Static slices, integers and
reversals become one ``slice`` (then ``rev`` and a ``reshape`` dropping the
integer axes); traced integer scalars become one ``dynamic_slice``; integer
arrays (advanced indices) are combined into one linear index over their
merged axes and become one ``gather``. A final ``transpose``/``reshape``
puts the axes where numpy puts them: advanced indices that are separated by
a slice, an ellipsis or ``None`` send their broadcast axes to the front.

Out-of-bounds traced indices are clamped when reading (as JAX) and dropped
when updating (``.at[...]``, as JAX); out-of-bounds concrete indices raise
``IndexError`` as numpy does, unless a JAX ``mode`` says otherwise
(``"fill"``/``"drop"``: a validity mask selects ``fill_value``; ``"clip"``,
``"promise_in_bounds"``: clamp; for updates ``"clip"`` clamps and the others
drop). Boolean masks need concrete values, since the
result's shape depends on them.

``.at[idx]`` updates find the flat positions of the indexed entries by
indexing an array of positions with the same ``idx``, then bind one scatter
primitive on the flattened array, so every numpy index form works for
updates too, and ``add`` accumulates repeated indices.
"""

from __future__ import annotations

import builtins
from typing import Sequence

import numpy as np

from ftrans import lax
from ftrans.array import leave
from ftrans.errors import ConcretizationError, concretization_message
from ftrans.numpy._reductions import _normalize_axis
from ftrans.numpy._shape import _slice_axis, concatenate, ndim, ravel, reshape
from ftrans.numpy._ufuncs import (_concrete, _dtype, _shape, add, asarray,
                                  broadcast_to_shape, clip, floor_divide, less,
                                  logical_and, multiply, promote, remainder, subtract,
                                  true_divide, where)
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike, Axis, Shape

__all__ = [
    "take", "take_along_axis", "roll", "argwhere", "flatnonzero", "ix_",
    "unravel_index", "ravel_multi_index", "compress", "put", "at",
]


# --- parsing an index ------------------------------------------------------------

class _Entry:
    """One component of an index: ``slice``, ``int`` (static), ``dyn`` (traced
    scalar), ``adv`` (integer array), ``none`` (a new axis) or ``sep`` (an
    ellipsis standing for no axes)."""

    __slots__ = ("kind", "value", "axis")

    def __init__(self, kind, value=None, axis=None):
        self.kind, self.value, self.axis = kind, value, axis


def _has_tracer(idx) -> bool:
    if type(idx) is Tracer:
        return True
    if isinstance(idx, (tuple, list)):
        return builtins.any(_has_tracer(i) for i in idx)
    return False


def _bool_mask_indices(mask) -> list:
    if type(mask) is Tracer:
        if mask.val is None:
            raise ConcretizationError(
                concretization_message(
                    f"Boolean mask indexing x[mask] (mask {mask.aval.str_short()})",
                    mask.aval, mask._trace.transform)
                + " The result's shape would depend on the mask's values: use "
                "jnp.where(mask, x, 0) (or x.at[...] updates) instead.")
        mask = mask.concrete_value("boolean mask indexing")
    return list(np.nonzero(np.asarray(mask)))


def _components(idx) -> list:
    """The index as a list of raw components with boolean masks expanded."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    for item in idx:
        if item is None or item is Ellipsis or isinstance(item, slice):
            out.append(item)
            continue
        if isinstance(item, (bool, np.bool_)):
            raise IndexError("boolean scalar indices are not supported; use "
                             "x[None] or jnp.where")
        if isinstance(item, (int, np.integer)):
            out.append(int(item))
            continue
        if isinstance(item, (list, tuple, np.ndarray)) or type(item) is Tracer:
            arr = asarray(item)
            if type(arr) is not Tracer and arr.size == 0 and arr.dtype.kind == "f":
                arr = arr.astype(np.int64)  # x[[]] is an empty integer index
            kind = np.dtype(_dtype(arr)).kind
            if kind == "b":
                if not _shape(arr):
                    raise IndexError("boolean scalar indices are not supported; use "
                                     "x[None] or jnp.where")
                out.append(("mask", _shape(arr), _bool_mask_indices(arr)))
            elif kind in "iu":
                out.append(arr)
            else:
                raise IndexError(f"arrays used as indices must be of integer (or "
                                 f"boolean) type, got {np.dtype(_dtype(arr))}")
            continue
        raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None "
                         f"and integer or boolean arrays are valid indices, got "
                         f"{type(item).__name__}")
    return out


def _consumed(c) -> int:
    if c is None or c is Ellipsis:
        return 0
    if isinstance(c, tuple) and c[0] == "mask":
        return len(c[1])
    return 1


def _parse(idx, shape, oob: str = "raise") -> list:
    comps = _components(idx)
    if builtins.sum(c is Ellipsis for c in comps) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = builtins.sum(_consumed(c) for c in comps)
    if used > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-"
                         f"dimensional, but {used} were indexed")
    if not builtins.any(c is Ellipsis for c in comps):
        comps.append(Ellipsis)
    entries, axis = [], 0
    for c in comps:
        if c is Ellipsis:
            for _ in range(len(shape) - used):
                entries.append(_Entry("slice", slice(None), axis))
                axis += 1
            if len(shape) == used:
                # numpy: an ellipsis separates advanced indices even when it
                # stands for no axes
                entries.append(_Entry("sep"))
        elif c is None:
            entries.append(_Entry("none"))
        elif isinstance(c, slice):
            entries.append(_Entry("slice", c, axis))
            axis += 1
        elif isinstance(c, int):
            n = shape[axis]
            if -n <= c < n:
                entries.append(_Entry("int", c % n, axis))
            elif oob == "raise" or n == 0:
                raise IndexError(f"index {c} is out of bounds for axis {axis} with "
                                 f"size {n}")
            elif oob == "clip":
                entries.append(_Entry("int", builtins.min(builtins.max(
                    c + n if c < 0 else c, 0), n - 1), axis))
            else:  # "fill": an array entry, so that it gets a validity mask
                entries.append(_Entry("adv", np.asarray(c, np.int64), axis))
            axis += 1
        elif isinstance(c, tuple):  # a boolean mask over len(c[1]) axes
            _, mshape, parts = c
            covered = tuple(shape[axis:axis + len(mshape)])
            if tuple(mshape) != covered:
                raise IndexError(f"boolean index of shape {tuple(mshape)} does not "
                                 f"match the indexed axes of shape {covered}")
            for p in parts:
                entries.append(_Entry("adv", p, axis))
                axis += 1
        elif type(c) is Tracer and c.ndim == 0:
            entries.append(_Entry("dyn", c, axis))
            axis += 1
        else:
            entries.append(_Entry("adv", c, axis))
            axis += 1
    return entries


# --- getitem ------------------------------------------------------------------------

def _normalize_static(i: np.ndarray, n: int, axis: int, oob: str = "raise"):
    """Concrete indices with negative ones counted from the end, and what to
    do with the out-of-bounds ones (``oob``): ``"raise"`` ``IndexError``,
    ``"clip"`` them to the nearest entry, or ``"fill"``: clip, and return the
    mask of the valid ones. Returns (index, mask or None if all are valid)."""
    i = np.asarray(i, dtype=np.int64)
    bad = (i < -n) | (i >= n)
    if bad.any() and (oob == "raise" or n == 0):
        raise IndexError(f"index {int(i[bad].flat[0])} is out of bounds for axis "
                         f"{axis} with size {n}")
    i = np.where(i < 0, i + n, i)
    if oob == "raise":
        return i, None
    i = np.clip(i, 0, builtins.max(n - 1, 0))
    return i, (~bad if oob == "fill" and bad.any() else None)


def _normalize_traced(i, n: int):
    """Negative indices count from the end; returns (clamped index, in-bounds)."""
    i = asarray(i, np.int64)
    valid = logical_and(less(-n - 1, i), less(i, n))
    i = where(less(i, 0), add(i, n), i)
    return clip(i, 0, builtins.max(n - 1, 0)), valid


def _basic_slices(x, entries, shape):
    """Apply static slices, reversals and static integers in one pass."""
    starts, limits, strides, flips, drop = [], [], [], [], []
    out_axis = 0
    for e in entries:
        if e.kind in ("none", "sep"):
            continue
        n = shape[e.axis]
        if e.kind == "slice":
            start, stop, step = e.value.indices(n)
            r = range(start, stop, step)
            if len(r) == 0:
                lo, hi, st = 0, 0, 1
            elif step > 0:
                lo, hi, st = r[0], r[-1] + 1, step
            else:
                lo, hi, st = r[-1], r[0] + 1, -step
                flips.append(out_axis)
        elif e.kind == "int":
            lo, hi, st = e.value, e.value + 1, 1
            drop.append(out_axis)
        else:
            lo, hi, st = 0, n, 1
        starts.append(lo)
        limits.append(hi)
        strides.append(st)
        out_axis += 1
    if starts != [0] * len(shape) or limits != list(shape) or builtins.any(
            s != 1 for s in strides):
        x = lax.slice(x, tuple(starts), tuple(limits),
                      tuple(strides) if builtins.any(s != 1 for s in strides) else None)
    if flips:
        x = lax.rev(x, tuple(flips))
    if drop:
        s = _shape(x)
        x = lax.reshape(x, tuple(d for i, d in enumerate(s) if i not in drop))
    return x


def _dynamic_scalars(y, kept):
    """``dynamic_slice`` at the traced scalar indices among ``kept`` entries."""
    s = _shape(y)
    starts, sizes, drop = [], [], []
    for ax, e in enumerate(kept):
        if e.kind == "dyn":
            i, _ = _normalize_traced(e.value, s[ax])
            starts.append(i)
            sizes.append(1)
            drop.append(ax)
        else:
            starts.append(np.int64(0))
            sizes.append(s[ax])
    y = lax.dynamic_slice(y, starts, sizes)
    return lax.reshape(y, tuple(d for i, d in enumerate(s) if i not in drop))


def _advanced(y, kept, oob):
    """One ``gather`` for all integer-array entries among ``kept``; their
    broadcast axes come first in the result. Returns (result, bshape, valid):
    ``valid`` masks the in-bounds entries (traced indices, and concrete ones
    when ``oob`` is ``"fill"``)."""
    s = _shape(y)
    adv = [ax for ax, e in enumerate(kept) if e.kind == "adv"]
    rest = [ax for ax, e in enumerate(kept) if e.kind != "adv"]
    sizes = [s[ax] for ax in adv]
    try:
        bshape = np.broadcast_shapes(*[_shape(kept[ax].value) for ax in adv])
    except ValueError:
        shapes = ", ".join(str(_shape(kept[ax].value)) for ax in adv)
        raise IndexError(f"shape mismatch: indexing arrays could not be broadcast "
                         f"together with shapes {shapes}") from None
    strides = [int(np.prod(sizes[k + 1:], dtype=np.int64)) for k in range(len(sizes))]
    lin, valid = np.zeros((), np.int64), None
    for ax, stride in zip(adv, strides):
        e = kept[ax]
        if type(e.value) is Tracer:
            i, ok = _normalize_traced(e.value, s[ax])
            ok = None if oob == "clip" else ok
        else:
            i, ok = _normalize_static(e.value, s[ax], e.axis, oob)
        if ok is not None:
            valid = ok if valid is None else logical_and(valid, ok)
        lin = add(lin, multiply(i, np.int64(stride)))
    lin = broadcast_to_shape(asarray(lin, np.int64), bshape)
    y = lax.transpose(y, (*adv, *rest))
    merged = int(np.prod(sizes, dtype=np.int64))
    y = lax.reshape(y, (merged, *[s[ax] for ax in rest]))
    out = lax.gather(y, lin, 0)
    if valid is not None:
        valid = broadcast_to_shape(valid, bshape)
    return out, tuple(bshape), valid


def _layout(y, entries, nb: int):
    """Move the ``nb`` leading advanced axes of ``y`` to numpy's position and
    insert the ``None`` axes. Returns (result, function applying the same
    layout to an array of the advanced shape)."""
    adv_pos = [j for j, e in enumerate(entries) if e.kind == "adv"]
    adjacent = bool(adv_pos) and adv_pos == list(range(adv_pos[0], adv_pos[-1] + 1))
    tokens = [] if adjacent or not adv_pos else ["B"]
    k = 0
    for j, e in enumerate(entries):
        if e.kind in ("slice",):
            tokens.append(k)
            k += 1
        elif e.kind == "none":
            tokens.append("N")
        elif e.kind == "adv" and adjacent and j == adv_pos[0]:
            tokens.append("B")

    def apply(z, sizes_of_slices):
        perm, shape = [], []
        for t in tokens:
            if t == "B":
                perm.extend(range(nb))
                shape.extend(_shape(z)[:nb])
            elif t == "N":
                shape.append(1)
            else:
                perm.append(nb + t)
                shape.append(sizes_of_slices[t])
        z = lax.transpose(z, perm)
        return lax.reshape(z, tuple(shape))

    slice_sizes = list(_shape(y)[nb:])
    out = apply(y, slice_sizes)
    return out, lambda v: apply(lax.reshape(v, _shape(v) + (1,) * len(slice_sizes)),
                                [1] * len(slice_sizes))


def _getitem(x, idx, oob: str = "raise", want_valid: bool = False):
    """``x[idx]``, with out-of-bounds indices handled as ``oob`` says (see
    ``_normalize_static``; traced ones are clipped), and, when ``want_valid``
    (for updates and ``mode="fill"``), a mask of the entries whose indices
    were in bounds (None if all are)."""
    shape = tuple(_shape(x))
    entries = _parse(idx, shape, oob)
    if builtins.any(e.kind == "adv" for e in entries) or want_valid:
        # with array indices present numpy treats integers as arrays too
        has_arrays = builtins.any(e.kind == "adv" for e in entries)
        for e in entries:
            if e.kind == "dyn" or (e.kind == "int" and has_arrays):
                e.kind = "adv"
                if type(e.value) is not Tracer:
                    e.value = np.asarray(e.value, np.int64)
    y = _basic_slices(x, entries, shape)
    kept = [e for e in entries if e.kind in ("slice", "dyn", "adv")]
    if builtins.any(e.kind == "dyn" for e in kept):
        y = _dynamic_scalars(y, kept)
        kept = [e for e in kept if e.kind != "dyn"]
    valid, nb = None, 0
    if builtins.any(e.kind == "adv" for e in kept):
        y, bshape, valid = _advanced(y, kept, oob)
        nb = len(bshape)
    out, relayout = _layout(y, [e for e in entries if e.kind != "int"], nb)
    if valid is not None:
        valid = broadcast_to_shape(relayout(valid), _shape(out))
    return out, valid


def getitem(x, idx):
    """``x[idx]`` with numpy's basic and advanced indexing.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> x = np.arange(12.0).reshape(3, 4)
    >>> ftrans.grad(lambda x: x[1:, [0, 3]].sum())(x)
    array([[0., 0., 0., 0.],
           [1., 0., 0., 1.],
           [1., 0., 0., 1.]])
    """
    if type(x) is not Tracer and not _has_tracer(idx):
        return np.asarray(np.asarray(x)[idx])
    return _getitem(x, idx)[0]


# --- .at[idx] updates ------------------------------------------------------------------

class AtIndexer:
    """``x.at``: ``x.at[idx]`` names the entries an update applies to."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, idx) -> "_IndexUpdateRef":
        return _IndexUpdateRef(self.array, idx)

    def __repr__(self):
        return f"AtIndexer({self.array!r})"


_MODES = (None, "clip", "drop", "promise_in_bounds", "fill")


def at(x: ArrayLike) -> AtIndexer:
    """``x.at`` for any array: ``jnp.at(x)[idx].set(v)``.

    Traced arrays and the arrays ftrans returns (``ftrans.Array``) have
    ``x.at`` as in JAX; arrays made by numpy itself do not, so code that may
    receive those can write ``jnp.at(x)`` (or ``jnp.asarray(x).at``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.at(np.zeros(3))[1].add(5.0)
    array([0., 5., 0.])
    """
    return AtIndexer(x if type(x) is Tracer else np.asarray(x))


class _IndexUpdateRef:
    """The functional update ``x.at[idx].op(values)``: returns a new array."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array, self.index = array, index

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None,
            fill_value=None):
        """``x[idx]``, with JAX's out-of-bounds ``mode``: ``"fill"`` (or
        ``"drop"``) reads ``fill_value`` there (default NaN for floats, the
        most negative integer for signed, the largest for unsigned integers,
        True for booleans), ``"clip"`` (or ``"promise_in_bounds"``) reads the
        nearest entry. Negative indices count from the end first. Without a
        mode, concrete out-of-bounds indices raise ``IndexError``.

        >>> import numpy as np, ftrans
        >>> ftrans.grad(lambda x: x.at[1].get() * 3.0)(np.zeros(2))
        array([0., 3.])
        >>> x = np.array([1.0, 2.0, 3.0])
        >>> ftrans.numpy.asarray(x).at[[0, -1, 3]].get(mode="fill", fill_value=-1.0)
        array([ 1.,  3., -1.])
        >>> ftrans.numpy.asarray(x).at[[0, -1, 3]].get(mode="clip")
        array([1., 3., 3.])
        """
        _check_mode(mode)
        return _get(self.array, self.index, mode, fill_value)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """``x`` with ``x[idx] = values`` (of repeated indices the last wins).

        >>> import numpy as np, ftrans
        >>> ftrans.grad(lambda x: x.at[0].set(x[1] * 5.0).sum())(np.ones(3))
        array([0., 6., 1.])
        """
        return _update(self.array, self.index, values, lax.scatter, mode)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """``x`` with ``values`` added at ``idx``; repeated indices accumulate.

        >>> import numpy as np, ftrans
        >>> ftrans.jvp(lambda x: x.at[[0, 0]].add(1.0), (np.zeros(2),), (np.ones(2),))[0]
        array([2., 0.])
        """
        return _update(self.array, self.index, values, lax.scatter_add, mode)

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False,
                 mode=None):
        """``x`` with ``values`` subtracted at ``idx``."""
        from ftrans.numpy._ufuncs import negative
        return self.add(negative(values), mode=mode)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False,
                 mode=None):
        """``x`` with the entries at ``idx`` multiplied by ``values``."""
        return _update(self.array, self.index, values, lax.scatter_mul, mode)

    mul = multiply

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False,
               mode=None):
        """``x`` with the entries at ``idx`` divided by ``values``."""
        x = asarray(self.array)
        ones = np.ones(_shape(x), _dtype(x))
        return true_divide(x, _update(ones, self.index, values, lax.scatter_mul, mode))

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """``x`` with the entries at ``idx`` replaced by ``minimum(x[idx], values)``."""
        return _update(self.array, self.index, values, lax.scatter_min, mode)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """``x`` with the entries at ``idx`` replaced by ``maximum(x[idx], values)``."""
        return _update(self.array, self.index, values, lax.scatter_max, mode)

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"


def _check_mode(mode):
    if mode not in _MODES:
        raise ValueError(f"unknown index mode {mode!r}; expected one of {_MODES}")


def default_fill_value(dtype) -> np.ndarray:
    """JAX's fill for out-of-bounds reads with ``mode="fill"``: NaN for inexact
    types, the most negative signed and the largest unsigned integer, True.

    >>> import numpy as np
    >>> default_fill_value(np.int8), default_fill_value(np.uint8)
    (array(-128, dtype=int8), array(255, dtype=uint8))
    """
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return np.asarray(np.nan, dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.asarray(info.min if dtype.kind == "i" else info.max, dtype)
    return np.asarray(True, dtype)


def _filled(out, valid, fill_value, dtype):
    """``out`` where ``valid``, ``fill_value`` (cast to ``dtype``) elsewhere;
    the filled entries have derivative zero."""
    if valid is None:
        return out
    if fill_value is None:
        fill = default_fill_value(dtype)
    elif type(fill_value) is Tracer:
        fill = asarray(fill_value, dtype)
    else:
        with np.errstate(invalid="ignore"):  # JAX: NaN cast to an integer type
            fill = np.asarray(fill_value).astype(dtype)
    if len(_shape(fill)) != 0:
        raise ValueError(f"fill_value must be a scalar, got shape {_shape(fill)}")
    return where(broadcast_to_shape(valid, _shape(out)), out, fill)


def _get(x, idx, mode, fill_value):
    """``x.at[idx].get(mode=..., fill_value=...)``."""
    if mode is None:  # fill_value is ignored, as in JAX
        out = getitem(x, idx)
        return out if type(out) is Tracer else leave(out)
    x = asarray(x)
    fill = mode in ("fill", "drop")
    out, valid = _getitem(x, idx, "fill" if fill else "clip", want_valid=fill)
    return _filled(out, valid, fill_value, _dtype(x))


def _update(x, idx, values, scatter_fn, mode):
    """Flatten ``x``, find the flat positions ``idx`` selects, and scatter.
    Out-of-bounds updates are dropped (modes ``"drop"``, ``"fill"``,
    ``"promise_in_bounds"``, and traced indices without a mode) or clipped
    (``"clip"``); concrete ones without a mode raise ``IndexError``."""
    _check_mode(mode)
    x = asarray(x)
    shape = tuple(_shape(x))
    size = int(np.prod(shape, dtype=np.int64))
    positions = np.arange(size, dtype=np.int64).reshape(shape)
    if _has_tracer(idx) or mode is not None:
        oob = {None: "raise", "clip": "clip"}.get(mode, "fill")
        lin, valid = _getitem(positions, idx, oob, want_valid=oob != "clip")
    else:
        lin, valid = np.asarray(positions[idx]), None
    dtype = _dtype(x)
    values = asarray(values)
    values = lax.convert_element_type(values, dtype) if type(values) is Tracer \
        else np.asarray(values, dtype)
    try:
        values = broadcast_to_shape(values, _shape(lin))
    except ValueError:
        raise ValueError(f"x.at[...] update: values of shape {_shape(values)} cannot "
                         f"be broadcast to the indexed shape {tuple(_shape(lin))}") \
            from None
    m = int(np.prod(_shape(lin), dtype=np.int64))
    flat = lax.reshape(x, (size,))
    if valid is not None:
        # out-of-bounds updates go to one extra slot, cut off afterwards
        lin = where(valid, lin, size)
        flat = lax.pad(flat, np.zeros((), dtype), ((0, 1, 0),))
    out = scatter_fn(flat, lax.reshape(lin, (m,)), lax.reshape(values, (m,)), 0)
    if valid is not None:
        out = lax.slice(out, (0,), (size,))
    return lax.reshape(out, shape)


# --- take and friends ----------------------------------------------------------------------

_TAKE_MODES = (None, "raise", "clip", "wrap", "fill", "drop", "promise_in_bounds")


def take(a: ArrayLike, indices: ArrayLike, axis: int | None = None, mode: str | None = None,
         unique_indices: bool = False, indices_are_sorted: bool = False,
         fill_value: ArrayLike | None = None) -> Array:
    """Elements of ``a`` at ``indices`` along ``axis`` (of the flattened array if
    None), as ``numpy.take``. Out-of-bounds indices, by ``mode``: ``None`` or
    ``"raise"``: concrete ones raise ``IndexError`` (traced ones are clipped);
    ``"fill"`` (or ``"drop"``): ``fill_value`` there (default as
    ``x.at[idx].get``: NaN for floats); ``"clip"``: the nearest end, negative
    indices included (as numpy and JAX); ``"promise_in_bounds"``: negative
    indices count from the end, the rest is clipped; ``"wrap"``: modulo.

    >>> import ftrans.numpy as jnp
    >>> jnp.take([10.0, 20.0, 30.0], [2, -1, 0])
    array([30., 30., 10.])
    >>> jnp.take([10.0, 20.0, 30.0], [2, -1, 3], mode="fill")
    array([30., 30., nan])
    """
    if mode not in _TAKE_MODES:
        raise ValueError(f"take: unknown mode {mode!r}; expected one of {_TAKE_MODES}")
    a = asarray(a)
    if axis is None:
        a, axis = ravel(a), 0
    ax = _normalize_axis(axis, len(_shape(a)))
    n = _shape(a)[ax]
    idx = asarray(indices)
    if np.dtype(_dtype(idx)).kind not in "iu":
        raise IndexError(f"take: indices must be integers, got {np.dtype(_dtype(idx))}")
    valid = None
    if mode == "wrap":
        idx = remainder(idx, n)
    if mode == "clip":  # numpy's clip: a negative index reads entry 0
        idx = clip(idx, 0, builtins.max(n - 1, 0))
    elif type(idx) is Tracer:
        idx, valid = _normalize_traced(idx, n)
    else:
        oob = {None: "raise", "raise": "raise", "wrap": "raise"}.get(mode, "clip")
        idx, valid = _normalize_static(idx, n, ax, "fill" if mode in ("fill", "drop")
                                       else oob)
    out = lax.gather(a, idx, ax)
    if mode not in ("fill", "drop") or valid is None:
        return out
    nd = len(_shape(a))
    valid = lax.reshape(asarray(valid), (1,) * ax + tuple(_shape(idx)) + (1,) * (nd - ax - 1))
    return _filled(out, valid, fill_value, _dtype(a))


def take_along_axis(arr: ArrayLike, indices: ArrayLike, axis: int | None,
                    mode: str | None = None, fill_value: ArrayLike | None = None) -> Array:
    """Pick one element per position along ``axis``, as
    ``numpy.take_along_axis`` (e.g. with the output of ``argsort``/``argmax``).
    ``mode`` and ``fill_value`` are those of ``x.at[idx].get``; without a
    mode, concrete out-of-bounds indices raise ``IndexError``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> x = np.array([[10.0, 30.0, 20.0], [60.0, 40.0, 50.0]])
    >>> jnp.take_along_axis(x, np.array([[1], [0]]), axis=1)
    array([[30.],
           [60.]])
    >>> jnp.take_along_axis(x, np.array([[3], [-1]]), axis=1, mode="fill", fill_value=0)
    array([[ 0.],
           [50.]])
    """
    _check_mode(mode)
    arr = asarray(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    nd = len(_shape(arr))
    if len(_shape(indices)) != nd:
        raise ValueError(f"take_along_axis: indices of rank {len(_shape(indices))} "
                         f"do not match an array of rank {nd}")
    ax = _normalize_axis(axis, nd)
    idx = []
    for d in range(nd):
        if d == ax:
            idx.append(asarray(indices))
        else:
            idx.append(np.arange(_shape(arr)[d]).reshape(
                [-1 if k == d else 1 for k in range(nd)]))
    if mode is not None:
        return _get(arr, tuple(idx), mode, fill_value)
    return _getitem(arr, tuple(idx))[0] if _has_tracer(idx) or type(arr) is Tracer \
        else np.asarray(arr[tuple(idx)])


def roll(a: ArrayLike, shift: int | Sequence[int], axis: Axis = None) -> Array:
    """Shift elements cyclically along ``axis`` (of the flattened array if None).
    ``shift`` may be traced.

    >>> import ftrans.numpy as jnp
    >>> jnp.roll([1, 2, 3, 4], 1)
    array([4, 1, 2, 3])
    """
    a = asarray(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), _shape(a))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    scalar_shift = shift.ndim == 0 if type(shift) is Tracer else np.ndim(shift) == 0
    shifts = (shift,) * len(axes) if scalar_shift else tuple(shift)
    if len(shifts) != len(axes):
        if len(axes) == 1:
            axes = axes * len(shifts)
        else:
            raise ValueError("roll: shift and axis must have the same length")
    for sh, ax in zip(shifts, axes):
        ax = _normalize_axis(ax, ndim(a))
        n = _shape(a)[ax]
        if n == 0:
            continue
        if type(sh) is Tracer:
            idx = remainder(subtract(np.arange(n), sh), n)
            a = take(a, idx, axis=ax)
            continue
        k = int(sh) % n
        if k:
            a = concatenate([_slice_axis(a, ax, n - k, n), _slice_axis(a, ax, 0, n - k)], ax)
    return a


def argwhere(a: ArrayLike) -> np.ndarray:
    """The indices of the nonzero elements, one row each (concrete only).

    >>> import ftrans.numpy as jnp
    >>> jnp.argwhere([[0, 1], [1, 0]])
    array([[0, 1],
           [1, 0]])
    """
    return np.argwhere(_concrete(a, "jnp.argwhere (its output shape depends on values)"))


def flatnonzero(a: ArrayLike) -> np.ndarray:
    """The indices of the nonzero elements of the flattened array (concrete only).

    >>> import ftrans.numpy as jnp
    >>> jnp.flatnonzero([0, 3, 4])
    array([1, 2])
    """
    return np.flatnonzero(_concrete(a, "jnp.flatnonzero (its output shape depends "
                                       "on values)"))


def compress(condition: ArrayLike, a: ArrayLike, axis: int | None = None) -> Array:
    """The slices of ``a`` along ``axis`` where the (concrete) ``condition`` holds.

    >>> import ftrans.numpy as jnp
    >>> jnp.compress([True, False, True], [1.0, 2.0, 3.0])
    array([1., 3.])
    """
    cond = np.asarray(_concrete(condition, "jnp.compress"), dtype=bool)
    return take(a, np.nonzero(cond)[0], axis=axis)


def put(a: ArrayLike, ind: ArrayLike, v: ArrayLike, mode: str | None = None, *,
        inplace: bool = True) -> Array:
    """Not in place: ``a.at[ind].set(v)`` on the flattened array, reshaped back.
    Call it with ``inplace=False``, as in JAX.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.put(np.zeros(3), [0, 2], [1.0, 2.0], inplace=False)
    array([1., 0., 2.])
    """
    if inplace:
        raise ValueError("jnp.put cannot modify arrays in place; use "
                         "jnp.put(a, ind, v, inplace=False) or a.at[ind].set(v)")
    a = asarray(a)
    flat_ind = ravel(asarray(ind))
    n = _shape(flat_ind)[0]
    v_flat = ravel(asarray(v))
    if _shape(v_flat)[0] not in (1, n):
        raise ValueError(f"put: {_shape(v_flat)[0]} values for {n} indices; give one "
                         "value per index, or a single value")
    out = _update(ravel(a), flat_ind, v_flat, lax.scatter,
                  "clip" if mode == "clip" else None)
    return lax.reshape(out, _shape(a))


def ix_(*args: ArrayLike) -> tuple[Array, ...]:
    """Open-mesh index arrays from 1-D sequences, as ``numpy.ix_``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> np.arange(9).reshape(3, 3)[jnp.ix_([0, 2], [1])]
    array([[1],
           [7]])
    """
    n = len(args)
    out = []
    for k, a in enumerate(args):
        a = asarray(a)
        if len(_shape(a)) != 1:
            raise ValueError("ix_: cross index must be 1 dimensional")
        out.append(lax.reshape(a, tuple(_shape(a)[0] if j == k else 1 for j in range(n))))
    return tuple(out)


def unravel_index(indices: ArrayLike, shape: Shape) -> tuple[Array, ...]:
    """Flat indices as a tuple of coordinate arrays, as ``numpy.unravel_index``.

    >>> import ftrans.numpy as jnp
    >>> jnp.unravel_index(5, (2, 3))
    (array(1), array(2))
    """
    idx = asarray(indices)
    out = []
    for d in reversed(tuple(shape)):
        out.append(remainder(idx, d))
        idx = floor_divide(idx, d)
    return tuple(reversed(out))


def ravel_multi_index(multi_index: Sequence[ArrayLike], dims: Shape, mode: str = "raise",
                      order: str = "C") -> Array:
    """Coordinate arrays as flat indices, as ``numpy.ravel_multi_index``.

    >>> import ftrans.numpy as jnp
    >>> jnp.ravel_multi_index(([1, 0], [2, 1]), (2, 3))
    array([5, 1])
    """
    if order != "C":
        raise NotImplementedError("ravel_multi_index: only order='C' is supported")
    dims = tuple(int(d) for d in dims)
    out = np.zeros((), np.int64)
    for k, (i, n) in enumerate(zip(multi_index, dims)):
        i = asarray(i)
        if type(i) is Tracer:
            i = clip(i, 0, n - 1) if mode == "clip" else i
        elif mode == "clip":
            i = np.clip(i, 0, n - 1)
        elif ((np.asarray(i) < 0) | (np.asarray(i) >= n)).any():
            raise ValueError("ravel_multi_index: invalid entry in coordinates array")
        stride = int(np.prod(dims[k + 1:], dtype=np.int64))
        out = add(out, multiply(*promote("ravel_multi_index", i, np.int64(stride))))
    return asarray(out)
