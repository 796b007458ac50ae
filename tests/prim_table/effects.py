"""Rows of the primitive table for ftrans/prims/effects.py.

``debug_callback`` has no outputs, so the row's function returns its operand
through ``sin`` beside the call; the row has ``order=0`` (the callback has no
derivative: its JVP calls it on the primals only, checked in
tests/test_debug.py). The callback appends to a list, which is cleared by
the tests that read it.
"""

import numpy as np

from ftrans import debug, lax
from tests.prim_table import Case

SEEN: list = []


def _record(x):
    SEEN.append(np.array(x))


def _with_callback(x):
    debug.callback(_record, x)
    return lax.sin(x)


CASES = [
    Case("debug_callback", _with_callback, ((3,),), ref=np.sin, order=0),
]
