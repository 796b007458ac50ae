"""Rows of the primitive table for ftrans/prims/reductions.py."""

from tests.prim_table import Case  # noqa: F401

CASES: list = []
