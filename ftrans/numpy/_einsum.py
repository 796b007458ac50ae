"""``einsum``'s operand/sublist form (``einsum(a, [0, 1], b, [1, 2], [0, 2])``),
translated into the subscript string of ``_linalg_ops.einsum``.

Sublists hold ints (any non-negative labels) and ``Ellipsis``; the optional
last list is the output. The string form goes through unchanged.
"""

from __future__ import annotations

import string
from typing import Any

from ftrans.numpy import _linalg_ops
from ftrans.typing import Array, ArrayLike

__all__ = ["einsum"]

_LETTERS = string.ascii_letters


def _sublist_to_str(sub, name_of) -> str:
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
        elif isinstance(s, int) and not isinstance(s, bool):
            if s < 0:
                raise ValueError(f"einsum: sublist labels must be non-negative ints, got {s}")
            out.append(name_of(s))
        else:
            raise TypeError(f"einsum: sublists hold ints and Ellipsis, got {s!r}")
    return "".join(out)


def einsum(subscripts: Any, *operands: ArrayLike, optimize: bool | str | None = None,
           precision: Any = None, preferred_element_type: Any = None, **kw: Any) -> Array:
    """Einstein summation, as ``numpy.einsum``: the string form (``"ij,jk->ik"``,
    implicit outputs, ``...``, repeated labels) and the interleaved form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` with ``Ellipsis`` in sublists.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> a, b = np.ones((2, 3)), np.ones((3, 4))
    >>> jnp.einsum("ij,jk->ki", a, b).shape, float(jnp.einsum("ii", np.eye(3)))
    ((4, 2), 3.0)
    >>> jnp.einsum(a, [0, 1], b, [1, 2], [0, 2]).shape
    (2, 4)
    """
    if isinstance(subscripts, str):
        return _linalg_ops.einsum(subscripts, *operands, optimize=optimize, precision=precision,
                                  preferred_element_type=preferred_element_type, **kw)
    items = (subscripts,) + operands
    arrays, subs = list(items[0::2]), list(items[1::2])
    out_sub = None
    if len(arrays) > len(subs):  # the last item is the output sublist
        out_sub = arrays.pop()
    if len(arrays) != len(subs) or not arrays:
        raise ValueError("einsum: the interleaved form is einsum(op0, sublist0, op1, "
                         "sublist1, ..., [output_sublist])")
    names: dict = {}

    def name_of(label: int) -> str:
        if label not in names:
            if len(names) >= len(_LETTERS):
                raise ValueError(f"einsum: at most {len(_LETTERS)} distinct labels")
            names[label] = _LETTERS[len(names)]
        return names[label]

    for s in subs:
        if not isinstance(s, (list, tuple)):
            raise TypeError(f"einsum: expected a sublist (list of ints) after each operand, "
                            f"got {type(s).__name__}")
    spec = ",".join(_sublist_to_str(s, name_of) for s in subs)
    if out_sub is not None:
        if not isinstance(out_sub, (list, tuple)):
            raise TypeError("einsum: the output sublist must be a list of ints")
        spec += "->" + _sublist_to_str(out_sub, name_of)
    return _linalg_ops.einsum(spec, *arrays, optimize=optimize, precision=precision,
                              preferred_element_type=preferred_element_type, **kw)
