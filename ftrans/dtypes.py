"""Dtypes: numpy's promotion (NEP 50, float64 default) and short type names.

ftrans uses numpy's own dtypes and promotion table. Python scalars are weak:
``f32_array * 2.0`` stays float32, as in numpy 2 and JAX. Printing uses JAX's
short names (``f64[3]``).
"""

from __future__ import annotations

import numpy as np

_SHORT = {
    "float64": "f64", "float32": "f32", "float16": "f16",
    "int64": "i64", "int32": "i32", "int16": "i16", "int8": "i8",
    "uint64": "u64", "uint32": "u32", "uint16": "u16", "uint8": "u8",
    "bool": "bool", "complex128": "c128", "complex64": "c64",
}

default_float = np.dtype(np.float64)


def short_name(dtype: np.dtype) -> str:
    """``np.dtype('float64')`` -> ``'f64'``."""
    return _SHORT.get(np.dtype(dtype).name, np.dtype(dtype).name)


def to_inexact(dtype) -> np.dtype:
    """The float dtype an operation like ``sin`` or ``mean`` computes in."""
    return np.dtype(dtype) if np.issubdtype(dtype, np.inexact) else default_float


# The dtype of tangents of integer and boolean values: they carry no information.
float0 = np.dtype([("float0", np.void, 0)])
