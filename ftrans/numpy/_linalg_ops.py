"""Products of ftrans.numpy: ``dot``, ``matmul``, ``einsum``, ``tensordot``,
``inner``, ``outer``, ``kron``, ``cross``, and ``trace``/``diag``.

Every contraction lowers to the one contraction primitive, ``dot_general``
(batch axes, then the free axes of each operand), plus ``transpose``,
``reshape`` and ``reduce_sum``. ``einsum`` parses its subscripts, takes
repeated labels of one operand as diagonals, sums out labels that only one
operand has, and then contracts operands pairwise from left to right.
"""

from __future__ import annotations

import builtins
import string
from typing import Any, Sequence

import numpy as np

from ftrans import lax
from ftrans.numpy._reductions import _normalize_axis, sum
from ftrans.numpy._shape import diagonal, moveaxis, ravel, stack
from ftrans.numpy._ufuncs import (_dtype, _shape, add, asarray, broadcast_to_shape,
                                  multiply, result_type, subtract, where)
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike, DTypeLike

__all__ = [
    "dot", "matmul", "vdot", "vecdot", "inner", "outer", "tensordot", "einsum",
    "trace", "diag", "diagflat", "kron", "cross", "polyval",
]


def _same_dtype(*arrays):
    dt = result_type(*[_dtype(a) for a in arrays])
    return [asarray(a, dt) if type(a) is Tracer else np.asarray(a, dt) for a in arrays]


def _dot_general(a, b, contract, batch=((), ())):
    return lax.dot_general(a, b, (tuple(map(tuple, contract)), tuple(map(tuple, batch))))


def _check_core(name, a, ia, b, ib):
    na, nb = _shape(a)[ia], _shape(b)[ib]
    if na != nb:
        raise ValueError(f"{name}: shapes {tuple(_shape(a))} and {tuple(_shape(b))} "
                         f"are not aligned: size {na} (axis {ia} of the first) != "
                         f"size {nb} (axis {ib} of the second)")


def matmul(a: ArrayLike, b: ArrayLike) -> Array:
    """The matrix product with numpy's broadcasting of batch axes and 1-D
    promotion, as ``numpy.matmul`` (the ``@`` operator).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.matmul(np.ones((5, 2, 3)), np.ones((3, 4))).shape
    (5, 2, 4)
    """
    a, b = _same_dtype(asarray(a), asarray(b))
    na, nb = len(_shape(a)), len(_shape(b))
    if na == 0 or nb == 0:
        raise ValueError("matmul: input operand does not have enough dimensions "
                         "(use multiply or * for scalars)")
    _check_core("matmul", a, na - 1, b, builtins.max(nb - 2, 0))
    if nb == 1 or nb == 2 and na >= 1:
        # b has no batch axes: its first axis meets a's last
        return _dot_general(a, b, ((na - 1,), (0,)))
    if na == 1:
        return _dot_general(a, b, ((0,), (nb - 2,)))
    if na == 2:
        out = _dot_general(a, b, ((1,), (nb - 2,)))  # (n, *batch, k)
        nbatch = nb - 2
        return lax.transpose(out, (*range(1, nbatch + 1), 0, nbatch + 1))
    batch = tuple(np.broadcast_shapes(tuple(_shape(a)[:-2]), tuple(_shape(b)[:-2])))
    a = broadcast_to_shape(a, batch + tuple(_shape(a)[-2:]))
    b = broadcast_to_shape(b, batch + tuple(_shape(b)[-2:]))
    k = len(batch)
    return _dot_general(a, b, ((k + 1,), (k,)), (range(k), range(k)))


def dot(a: ArrayLike, b: ArrayLike) -> Array:
    """numpy's ``dot``: a scalar product, a matrix product, or a sum over the
    last axis of ``a`` and the second-to-last of ``b``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.dot(np.ones((2, 3)), np.ones((4, 3, 5))).shape
    (2, 4, 5)
    """
    a, b = _same_dtype(asarray(a), asarray(b))
    na, nb = len(_shape(a)), len(_shape(b))
    if na == 0 or nb == 0:
        return multiply(a, b)
    ib = 0 if nb == 1 else nb - 2
    _check_core("dot", a, na - 1, b, ib)
    return _dot_general(a, b, ((na - 1,), (ib,)))


def vdot(a: ArrayLike, b: ArrayLike) -> Array:
    """The dot product of the flattened arrays.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.vdot(np.ones((2, 2)), np.ones((2, 2)))
    array(4.)
    """
    return dot(ravel(a), ravel(b))


def vecdot(x1: ArrayLike, x2: ArrayLike, /, *, axis: int = -1) -> Array:
    """The dot product along ``axis`` with broadcasting of the other axes.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.vecdot(np.ones((2, 3)), np.ones(3))
    array([3., 3.])
    """
    return sum(multiply(x1, x2), axis=axis)


def inner(a: ArrayLike, b: ArrayLike) -> Array:
    """The sum over the last axes of ``a`` and ``b``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.inner(np.ones((2, 3)), np.ones((4, 3))).shape
    (2, 4)
    """
    a, b = _same_dtype(asarray(a), asarray(b))
    na, nb = len(_shape(a)), len(_shape(b))
    if na == 0 or nb == 0:
        return multiply(a, b)
    _check_core("inner", a, na - 1, b, nb - 1)
    return _dot_general(a, b, ((na - 1,), (nb - 1,)))


def outer(a: ArrayLike, b: ArrayLike) -> Array:
    """``a[i] * b[j]`` of the flattened arrays.

    >>> import ftrans.numpy as jnp
    >>> jnp.outer([1.0, 2.0], [1.0, 10.0])
    array([[ 1., 10.],
           [ 2., 20.]])
    """
    a, b = ravel(a), ravel(b)
    return multiply(lax.reshape(a, (_shape(a)[0], 1)), lax.reshape(b, (1, _shape(b)[0])))


def tensordot(a: ArrayLike, b: ArrayLike,
              axes: int | tuple[Sequence[int], Sequence[int]] = 2) -> Array:
    """Sum over the last ``axes`` axes of ``a`` and the first of ``b``, or over
    the axis lists ``axes = (a_axes, b_axes)``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.tensordot(np.ones((2, 3, 4)), np.ones((3, 4, 5))).shape
    (2, 5)
    """
    a, b = _same_dtype(asarray(a), asarray(b))
    na, nb = len(_shape(a)), len(_shape(b))
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > builtins.min(na, nb):
            raise ValueError(f"tensordot: axes={n} is invalid for ranks {na} and {nb}")
        ax_a, ax_b = list(range(na - n, na)), list(range(n))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
        if len(ax_a) != len(ax_b):
            raise ValueError("tensordot: shape-mismatch for sum (axes lists of "
                             "different lengths)")
    ax_a = [_normalize_axis(i, na) for i in ax_a]
    ax_b = [_normalize_axis(i, nb) for i in ax_b]
    for i, j in zip(ax_a, ax_b):
        _check_core("tensordot", a, i, b, j)
    return _dot_general(a, b, (ax_a, ax_b))


# --- einsum -----------------------------------------------------------------------------

_ELLIPSIS_LABELS = [chr(0x3B1 + i) for i in range(24)]  # never valid user labels


def _parse_einsum(subscripts: str, shapes):
    spec = subscripts.replace(" ", "")
    if "->" in spec:
        lhs, out = spec.split("->")
        explicit = True
    else:
        lhs, out, explicit = spec, "", False
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} operand subscripts in "
                         f"{subscripts!r} but {len(shapes)} operands")
    n_ell = 0
    for t, s in zip(terms, shapes):
        if "..." in t:
            n_ell = builtins.max(n_ell, len(s) - (len(t) - 3))
    if n_ell > len(_ELLIPSIS_LABELS):
        raise ValueError("einsum: too many broadcast dimensions")
    ell = _ELLIPSIS_LABELS[:n_ell]
    labels = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - (len(t) - 3)
            if k < 0:
                raise ValueError(f"einsum: subscripts {t!r} have more labels than "
                                 f"the operand's {len(s)} axes")
            head, tail = t.split("...")
            t_labels = list(head) + ell[n_ell - k:] + list(tail)
        else:
            t_labels = list(t)
        for c in t_labels:
            if c not in ell and c not in string.ascii_letters:
                raise ValueError(f"einsum: invalid subscript {c!r} in {subscripts!r}")
        if len(t_labels) != len(s):
            raise ValueError(f"einsum: subscripts {t!r} name {len(t_labels)} axes but "
                             f"the operand has shape {tuple(s)}")
        labels.append(t_labels)
    if explicit:
        if "..." in out:
            head, tail = out.split("...")
            out_labels = list(head) + ell + list(tail)
        else:
            out_labels = list(out)
        seen = {c for t in labels for c in t}
        for c in out_labels:
            if c not in ell and c not in string.ascii_letters:
                raise ValueError(f"einsum: invalid output subscript {c!r}")
            if c not in seen:
                raise ValueError(f"einsum: output subscript {c!r} does not appear in "
                                 "the inputs")
        if len(set(out_labels)) != len(out_labels):
            raise ValueError(f"einsum: output subscripts {out!r} repeat a label")
    else:
        counts: dict = {}
        for t in labels:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out_labels = ell + sorted(c for c, n in counts.items() if n == 1 and c not in ell)
    return labels, out_labels, set(ell)


def _label_sizes(labels, shapes, ell):
    sizes: dict = {}
    for t, s in zip(labels, shapes):
        for c, d in zip(t, s):
            old = sizes.get(c)
            if old is None or old == 1 and c in ell:
                sizes[c] = d
            elif old != d and not (d == 1 and c in ell):
                raise ValueError(f"einsum: label {c!r} has sizes {old} and {d} in "
                                 "different operands")
    return sizes


def _take_diagonals(x, t):
    """Repeated labels within one operand select a diagonal."""
    while len(set(t)) != len(t):
        c = next(c for c in t if t.count(c) > 1)
        i = t.index(c)
        j = t.index(c, i + 1)
        if _shape(x)[i] != _shape(x)[j]:
            raise ValueError(f"einsum: repeated label {c!r} on axes of sizes "
                             f"{_shape(x)[i]} and {_shape(x)[j]}")
        x = diagonal(x, 0, i, j)  # removes axes i, j; the diagonal goes last
        t = [d for k, d in enumerate(t) if k not in (i, j)] + [c]
    return x, t


def einsum(subscripts: str, *operands: ArrayLike, optimize: bool | str | None = None,
           precision: Any = None, preferred_element_type: DTypeLike | None = None) -> Array:
    """Einstein summation, as ``numpy.einsum``: explicit (``"ij,jk->ik"``) and
    implicit (``"ij,jk"``) outputs, ``...`` broadcasting, and repeated labels
    for traces and diagonals (``"ii->i"``, ``"ii"``).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> a, b = np.ones((2, 3)), np.ones((3, 4))
    >>> jnp.einsum("ij,jk->ki", a, b).shape, float(jnp.einsum("ii", np.eye(3)))
    ((4, 2), 3.0)
    """
    if not isinstance(subscripts, str):
        raise TypeError("einsum: pass the subscripts as a string first "
                        "(the interleaved operand/sublist form is not supported)")
    if not operands:
        raise ValueError("einsum: no operands given")
    ops = _same_dtype(*[asarray(o) for o in operands])
    if preferred_element_type is not None:
        ops = [asarray(o, preferred_element_type) for o in ops]
    labels, out_labels, ell = _parse_einsum(subscripts, [_shape(o) for o in ops])
    sizes = _label_sizes(labels, [_shape(o) for o in ops], ell)

    prepared = []
    for k, (x, t) in enumerate(zip(ops, labels)):
        x, t = _take_diagonals(x, list(t))
        # a broadcast (size-1) ellipsis axis is constant along its label: drop it
        drop = [i for i, c in enumerate(t) if _shape(x)[i] == 1 and sizes[c] != 1]
        if drop:
            x = lax.reshape(x, tuple(d for i, d in enumerate(_shape(x)) if i not in drop))
            t = [c for i, c in enumerate(t) if i not in drop]
        others = {c for j, tt in enumerate(labels) if j != k for c in tt}
        lonely = [i for i, c in enumerate(t) if c not in others and c not in out_labels]
        if lonely:
            x = lax.reduce_sum(x, tuple(lonely))
            t = [c for i, c in enumerate(t) if i not in lonely]
        prepared.append((x, t))

    x, t = prepared[0]
    for k in range(1, len(prepared)):
        y, u = prepared[k]
        later = {c for _, tt in prepared[k + 1:] for c in tt} | set(out_labels)
        shared = [c for c in t if c in u]
        batch = [c for c in shared if c in later]
        contract = [c for c in shared if c not in later]
        x = _dot_general(x, y, ([t.index(c) for c in contract], [u.index(c) for c in contract]),
                         ([t.index(c) for c in batch], [u.index(c) for c in batch]))
        t = batch + [c for c in t if c not in shared] + [c for c in u if c not in shared]
    # labels left in t but not in the output (a single operand's summed labels
    # are gone already; repeated labels of several operands were contracted)
    extra = [i for i, c in enumerate(t) if c not in out_labels]
    if extra:
        x = lax.reduce_sum(x, tuple(extra))
        t = [c for i, c in enumerate(t) if i not in extra]
    missing = [c for c in out_labels if c not in t]
    if missing:  # broadcast ellipsis axes of size 1 everywhere were dropped
        shape = tuple(sizes[c] for c in t + missing)
        x = lax.broadcast_in_dim(x, shape, tuple(range(len(t))))
        t = t + missing
    return lax.transpose(x, tuple(t.index(c) for c in out_labels))


# --- traces, diagonals, Kronecker and cross products ------------------------------------------

def trace(a: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1,
          dtype: DTypeLike | None = None) -> Array:
    """The sum along a diagonal, as ``numpy.trace``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.trace(np.arange(9.0).reshape(3, 3))
    array(12.)
    """
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def diag(v: ArrayLike, k: int = 0) -> Array:
    """The ``k``-th diagonal of a 2-D array, or a 2-D array with the 1-D ``v``
    on its ``k``-th diagonal.

    >>> import ftrans.numpy as jnp
    >>> jnp.diag([1.0, 2.0])
    array([[1., 0.],
           [0., 2.]])
    """
    v = asarray(v)
    if len(_shape(v)) == 2:
        return diagonal(v, k)
    if len(_shape(v)) != 1:
        raise ValueError("diag: input must be 1-D or 2-D")
    n = _shape(v)[0] + builtins.abs(k)
    # out[i, i + k] = v[i] (k >= 0) or out[j - k, j] = v[j] (k < 0): broadcast v
    # (zero-padded to n) along the other axis and keep the diagonal only
    vpad = lax.pad(v, np.zeros((), _dtype(v)), ((0, builtins.abs(k), 0),))
    full = lax.broadcast_in_dim(vpad, (n, n), (0,) if k >= 0 else (1,))
    return where(np.eye(n, k=k, dtype=bool), full, np.zeros((), _dtype(v)))


def diagflat(v: ArrayLike, k: int = 0) -> Array:
    """A 2-D array with the flattened ``v`` on diagonal ``k``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.diagflat(np.ones((1, 2))).shape
    (2, 2)
    """
    return diag(ravel(v), k)


def kron(a: ArrayLike, b: ArrayLike) -> Array:
    """The Kronecker product.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> jnp.kron(np.eye(2), np.ones((1, 2)))
    array([[1., 1., 0., 0.],
           [0., 0., 1., 1.]])
    """
    a, b = _same_dtype(asarray(a), asarray(b))
    nd = builtins.max(len(_shape(a)), len(_shape(b)))
    sa = (1,) * (nd - len(_shape(a))) + tuple(_shape(a))
    sb = (1,) * (nd - len(_shape(b))) + tuple(_shape(b))
    a2 = lax.reshape(a, tuple(v for d in sa for v in (d, 1)))
    b2 = lax.reshape(b, tuple(v for d in sb for v in (1, d)))
    return lax.reshape(multiply(a2, b2), tuple(x * y for x, y in zip(sa, sb)))


def _component(x, i: int):
    """``x[..., i]`` for numpy arrays and tracers alike."""
    s = tuple(_shape(x))
    nd = len(s)
    part = lax.slice(x, (0,) * (nd - 1) + (i,), s[:-1] + (i + 1,))
    return lax.reshape(part, s[:-1])


def cross(a: ArrayLike, b: ArrayLike, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Array:
    """The cross product of (arrays of) 3-vectors, as ``numpy.cross``.

    >>> import ftrans.numpy as jnp
    >>> jnp.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    array([0., 0., 1.])
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _same_dtype(asarray(a), asarray(b))
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if _shape(a)[-1] != 3 or _shape(b)[-1] != 3:
        raise ValueError("cross: only 3-vectors are supported (incompatible "
                         f"dimensions {_shape(a)[-1]} and {_shape(b)[-1]})")
    a0, a1, a2 = (_component(a, i) for i in range(3))
    b0, b1, b2 = (_component(b, i) for i in range(3))
    c = [subtract(multiply(a1, b2), multiply(a2, b1)),
         subtract(multiply(a2, b0), multiply(a0, b2)),
         subtract(multiply(a0, b1), multiply(a1, b0))]
    out = stack(c, axis=-1)
    return moveaxis(out, -1, axisc)


def polyval(p: ArrayLike, x: ArrayLike) -> Array:
    """The polynomial with coefficients ``p`` (highest power first) at ``x``,
    by Horner's rule.

    >>> import ftrans.numpy as jnp
    >>> jnp.polyval([1.0, 0.0, -1.0], 3.0)
    array(8.)
    """
    p = asarray(p)
    if len(_shape(p)) != 1:
        raise ValueError("polyval: p must be 1-D")
    out = np.zeros((), result_type(_dtype(p), _dtype(asarray(x))))
    for i in range(_shape(p)[0]):
        coef = _component(p, i) if type(p) is Tracer else p[i]
        out = add(multiply(out, x), coef)
    return asarray(out)
