"""Rows of the primitive table for ftrans/prims/shape.py."""

from tests.prim_table import Case  # noqa: F401

CASES: list = []
