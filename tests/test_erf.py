"""``erf`` and ``erfc`` (Cody's rational approximations, evaluated on whole
arrays in ``prims/elementwise.py``) against ``math.erf`` and ``math.erfc``
on the whole real line, in ulps of the reference: erfc keeps its relative
accuracy far in the tail, where ``1 - erf`` is 0."""

import math

import numpy as np
import pytest

from ftrans import lax


def _points():
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, 5e-324, -5e-324, 1e-310, 1e-300, 1e-20, 1e-8, 0.46875,
               np.nextafter(0.46875, 1), np.nextafter(0.46875, 0), 4.0,
               np.nextafter(4.0, 5), 5.9, 6.0, 10.0, 25.0, 26.5, 26.6, 27.0, 27.2, 27.3,
               27.5, 30.0, 1e10, 1e300, np.finfo(np.float64).max]
    special += [-v for v in special]
    return np.concatenate([np.linspace(-30.0, 30.0, 60001), rng.uniform(-30, 30, 20000),
                           rng.uniform(-6, 6, 20000), special])


X = _points()


def _ulps(got, want):
    """|got - want| in units of the spacing of floats at ``want`` (which is the
    smallest subnormal where ``want`` is subnormal or zero)."""
    return np.abs(got - want) / np.spacing(np.abs(want))


@pytest.mark.parametrize("name, ulps", [("erf", 4), ("erfc", 7)])
def test_within_a_few_ulp_of_math(name, ulps):
    got = getattr(lax, name)(X)
    want = np.array([getattr(math, name)(v) for v in X])
    assert got.dtype == np.float64 and got.shape == X.shape
    assert _ulps(got, want).max() <= ulps
    normal = np.abs(want) >= np.finfo(np.float64).tiny
    assert (np.abs(got - want)[normal] / np.abs(want[normal])).max() < 1e-15


def test_far_tail_of_erfc_is_relative():
    x = np.array([10.0, 20.0, 25.0, 26.0])
    want = np.array([math.erfc(v) for v in x])
    np.testing.assert_allclose(lax.erfc(x), want, rtol=1e-15, atol=0)
    assert lax.erfc(np.array(25.0)) > 0 and 1 - lax.erf(np.array(25.0)) == 0


def test_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300])
    erf, erfc = lax.erf(x), lax.erfc(x)
    np.testing.assert_array_equal(erf[:4], [0.0, -0.0, 1.0, -1.0])
    assert list(np.signbit(erf[:2])) == [False, True]  # erf keeps the sign of zero
    np.testing.assert_array_equal(erfc[:4], [1.0, 1.0, 0.0, 2.0])
    assert np.isnan(erf[4]) and np.isnan(erfc[4])
    assert erf[5] == math.erf(1e-300) and erfc[5] == 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_keeps_the_dtype(dtype):
    x = np.linspace(-5, 5, 101).astype(dtype)
    for name in ("erf", "erfc"):
        got = getattr(lax, name)(x)
        want = np.array([getattr(math, name)(float(v)) for v in x]).astype(dtype)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, want)


def test_rank_0_and_empty():
    assert lax.erf(np.array(0.5)).shape == () and lax.erfc(np.float64(0.5)).shape == ()
    assert float(lax.erf(np.array(0.5))) == math.erf(0.5)
    assert lax.erfc(np.zeros((0, 3))).shape == (0, 3)
