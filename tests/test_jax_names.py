"""How many of jax.numpy's public names ftrans.numpy has.

``tests/data/jax_numpy_names.txt`` holds ``[n for n in dir(jax.numpy) if not
n.startswith('_')]`` from jax 0.10.2. Every name is either present in
ftrans.numpy or listed in ``MISSING`` with its reason (docs/jax_names.md
shows the same list); the test fails if a name is missing without a reason,
or if a listed name has since been added.
"""

import pathlib

import ftrans.numpy as jnp

NAMES = (pathlib.Path(__file__).parent / "data" / "jax_numpy_names.txt").read_text().split()

_ML_DTYPE = "a machine-learning dtype of ml_dtypes/XLA with no numpy type"
MISSING = {
    "bfloat16": _ML_DTYPE,
    **{n: _ML_DTYPE for n in ("float4_e2m1fn", "float6_e2m3fn", "float6_e3m2fn", "float8_e3m4",
                              "float8_e4m3", "float8_e4m3b11fnuz", "float8_e4m3fn",
                              "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz",
                              "float8_e8m0fnu")},
    **{n: "a sub-byte integer dtype of XLA with no numpy type" for n in
       ("int1", "int2", "int4", "uint1", "uint2", "uint4")},
}


def coverage():
    have = [n for n in NAMES if hasattr(jnp, n)]
    return have, [n for n in NAMES if not hasattr(jnp, n)]


def test_every_missing_name_has_a_reason():
    have, missing = coverage()
    assert len(NAMES) == 416
    unexplained = sorted(set(missing) - set(MISSING))
    assert not unexplained, f"jax.numpy names missing from ftrans.numpy: {unexplained}"
    stale = sorted(set(MISSING) - set(missing))
    assert not stale, f"names listed as missing but present now: {stale}"
    assert len(have) == len(NAMES) - len(MISSING)
