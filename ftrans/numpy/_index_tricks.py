"""numpy's index tricks in ftrans.numpy: ``r_``, ``c_``, ``mgrid``, ``ogrid``,
``s_`` and ``index_exp``.

``r_[...]`` and ``c_[...]`` concatenate their items along an axis, turning
slices into ranges (a complex step ``1j * n`` means ``linspace`` with n
points) and reading a leading string directive as numpy does: ``"0,2"``
(axis 0, at least 2-D), ``"0,2,0"`` (where the original axes go), ``"r"``
and ``"c"`` (a row or column matrix). Items may be traced arrays, so the
result differentiates in them; slices must have static bounds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ftrans.core import get_aval

__all__ = ["r_", "c_", "mgrid", "ogrid", "s_", "index_exp"]


def _np():
    from ftrans.numpy import _ns as jnp
    return jnp


def _slice_values(s: slice):
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    stop = s.stop
    for v in (start, stop, step):
        if not isinstance(v, (int, float, complex, np.number)) and v is not None:
            raise TypeError("r_/c_/mgrid: slice bounds must be static numbers, got "
                            f"{type(v).__name__}")
    if isinstance(step, complex) or np.iscomplexobj(step):
        n = int(abs(step))
        return np.linspace(start, stop, n)
    return np.arange(start, stop, step)


class _AxisConcatenator:
    def __init__(self, axis: int, ndmin: int, trans1d: int, name: str):
        self.axis, self.ndmin, self.trans1d, self.name = axis, ndmin, trans1d, name

    def __getitem__(self, key) -> Any:
        jnp = _np()
        items = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d, matrix = self.axis, self.ndmin, self.trans1d, None
        arrays, scalars = [], []
        for i, item in enumerate(items):
            if isinstance(item, str):
                if i != 0:
                    raise ValueError(f"{self.name}: a string directive must come first, got "
                                     f"{item!r} at position {i}")
                if item in ("r", "c"):
                    matrix = item
                    ndmin = 2
                    continue
                try:
                    parts = [int(p) for p in item.split(",")]
                except ValueError:
                    raise ValueError(f"{self.name}: unknown directive {item!r} (expected "
                                     "'r', 'c' or up to three comma-separated ints)") from None
                if not 1 <= len(parts) <= 3:
                    raise ValueError(f"{self.name}: directive {item!r} has too many parts")
                axis = parts[0]
                if len(parts) > 1:
                    ndmin = parts[1]
                if len(parts) > 2:
                    trans1d = parts[2]
                continue
            if isinstance(item, slice):
                x = jnp.asarray(_slice_values(item))
                x = self._promote(x, ndmin, trans1d)
            else:
                x = jnp.asarray(item)
                if get_aval(x).ndim == 0:
                    scalars.append(len(arrays))
                x = self._promote(x, ndmin, trans1d)
            arrays.append(x)
        if not arrays:
            return jnp.zeros(0)
        dt = jnp.result_type(*arrays)
        arrays = [a.astype(dt) for a in arrays]
        out = jnp.concatenate(arrays, axis=axis)
        if matrix is not None:
            out = jnp.reshape(out, (1, -1)) if get_aval(out).ndim == 1 else out
            if matrix == "c":
                out = out.T
        return out

    @staticmethod
    def _promote(x, ndmin, trans1d):
        # numpy's rule: size-1 axes are added in front (ndmin), then, unless
        # trans1d is -1, the original axes are moved to start at trans1d
        jnp = _np()
        nd = get_aval(x).ndim
        if nd >= ndmin:
            return x
        y = jnp.reshape(x, (1,) * (ndmin - nd) + get_aval(x).shape)
        if trans1d != -1:
            k2 = ndmin - nd
            k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
            axes = list(range(ndmin))
            y = jnp.transpose(y, axes[:k1] + axes[k2:] + axes[k1:k2])
        return y

    def __len__(self) -> int:
        return 0


r_ = _AxisConcatenator(0, 1, -1, "r_")
r_.__doc__ = """Concatenate along the first axis (slices become ranges), as ``numpy.r_``.

>>> import numpy as np, ftrans.numpy as jnp
>>> jnp.r_[1:3, 5, np.array([7, 8])]
array([1, 2, 5, 7, 8])
>>> jnp.r_[0:1:5j]
array([0.  , 0.25, 0.5 , 0.75, 1.  ])
"""
c_ = _AxisConcatenator(-1, 2, 0, "c_")
c_.__doc__ = """Concatenate along the last axis, 1-D items as columns, as ``numpy.c_``.

>>> import numpy as np, ftrans.numpy as jnp
>>> jnp.c_[np.array([1, 2]), np.array([3, 4])]
array([[1, 3],
       [2, 4]])
"""


class _Grid:
    def __init__(self, sparse: bool, name: str):
        self.sparse, self.name = sparse, name

    def __getitem__(self, key):
        jnp = _np()
        if isinstance(key, slice):
            return jnp.asarray(_slice_values(key))
        axes = [_slice_values(k) if isinstance(k, slice) else None for k in key]
        if any(a is None for a in axes):
            raise TypeError(f"{self.name}: index with slices only")
        grids = np.meshgrid(*axes, indexing="ij", sparse=self.sparse)
        dt = np.result_type(*[a.dtype for a in axes])
        if self.sparse:
            return tuple(jnp.asarray(g.astype(dt)) for g in grids)
        return jnp.asarray(np.stack(grids).astype(dt))


mgrid = _Grid(False, "mgrid")
mgrid.__doc__ = """A dense grid of indices (``numpy.mgrid``).

>>> import ftrans.numpy as jnp
>>> jnp.mgrid[0:2, 0:3].shape
(2, 2, 3)
"""
ogrid = _Grid(True, "ogrid")
ogrid.__doc__ = """An open (sparse) grid of indices (``numpy.ogrid``).

>>> import ftrans.numpy as jnp
>>> [g.shape for g in jnp.ogrid[0:2, 0:3]]
[(2, 1), (1, 3)]
"""
s_ = np.s_
index_exp = np.index_exp
