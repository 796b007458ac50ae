"""Rows of the primitive table for ftrans/prims/elementwise.py."""

import numpy as np

from ftrans import lax
from tests.prim_table import Case, positive

CASES = [
    Case("sin", lax.sin, ((3, 4),), ref=np.sin),
    Case("mul", lax.mul, ((3,), (3,)), ref=np.multiply, linear_args=(0, 1)),
    Case("log", lax.log, ((5,),), ref=np.log, domain=positive),
]
