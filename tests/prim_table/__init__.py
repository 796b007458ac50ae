"""THE table: one row per primitive (plus parameter variants).

Each ``Case`` names a primitive, a function that applies it to arrays, the
shapes of its array arguments and a sampler for their values (its domain).
``tests/test_prim_rules.py`` runs every row through the same checks; the rows
live in one module per primitive module, gathered here.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class Case:
    prim: str                      # the primitive's name (for the coverage test)
    fn: Callable                   # arrays -> output(s), built from ftrans.lax
    arg_shapes: tuple              # shapes of the array arguments
    ref: Callable | None = None    # numpy reference of fn (None: no impl check)
    domain: Callable | tuple | None = None  # (rng, shape) -> float64 sample, or one
                                   # such sampler per argument; default normal
    linear_args: tuple = ()        # argument positions fn is linear in
    order: int = 2                 # derivative order checked (0: not differentiable)
    tol: float = 1e-5
    dtypes: tuple = ()             # per-argument dtype (default float64); for a
                                   # complex dtype the domain samples the real and
                                   # the imaginary part independently
    name: str = ""                 # variant label

    @property
    def id(self) -> str:
        return f"{self.prim}{'-' + self.name if self.name else ''}"

    def sample(self, rng) -> tuple:
        out = []
        for i, shape in enumerate(self.arg_shapes):
            dtype = self.dtypes[i] if i < len(self.dtypes) else np.float64
            domain = self.domain[i] if isinstance(self.domain, tuple) else self.domain
            x = np.asarray((domain or normal)(rng, shape))
            if np.dtype(dtype).kind == "c" and x.dtype.kind != "c":
                x = x + 1j * np.asarray((domain or normal)(rng, shape))
            out.append(x.astype(dtype))
        return tuple(out)


# --- domains ---------------------------------------------------------------------

def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def unit(rng, shape):
    """Inside (-1, 1), away from the ends."""
    return rng.uniform(-0.9, 0.9, shape)


def above_one(rng, shape):
    return rng.uniform(1.2, 3.0, shape)


def away_from_zero(rng, shape):
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(rng, shape):
    """Values with no ties and no near-ties (for max, sort-like rules)."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) + rng.uniform(0.1, 0.4, shape)) / max(n, 1)


def complex_normal(rng, shape):
    """Standard normal real and imaginary parts (for rows of any dtype)."""
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def integers(rng, shape):
    return rng.integers(-5, 6, shape)


def booleans(rng, shape):
    return rng.integers(0, 2, shape).astype(bool)


def _gather_rows():
    from tests.prim_table import (elementwise, linalg, reductions, shape,  # noqa: F401
                                  sorting)
    rows = []
    for module in (elementwise, reductions, shape, sorting, linalg):
        rows.extend(module.CASES)
    from tests.prim_table import fft
    rows.extend(fft.CASES)
    from tests.prim_table import special_functions
    rows.extend(special_functions.CASES)
    from tests.prim_table import random
    rows.extend(random.CASES)
    from tests.prim_table import effects
    rows.extend(effects.CASES)
    try:
        from tests.prim_table import control
        rows.extend(control.CASES)
    except ImportError:
        pass
    return rows


def all_cases() -> list[Case]:
    return _gather_rows()
