"""Linear algebra primitives: dot_general, cholesky, triangular_solve, ..."""

from __future__ import annotations

__all__: list = []
