"""Plain numpy code under the transformations (DESIGN.md §11, issue 8 §6).

One row per entry of ``ftrans.numpy._dispatch.TABLE``: the numpy call and its
``ftrans.numpy`` twin are applied to the same arguments by the same ``call``.
Each row is checked three ways: traced by ``make_jaxpr``, the numpy version
gives the same jaxpr text as the ``ftrans.numpy`` version; evaluated, that
jaxpr gives what numpy itself computes on plain arrays; and, where it has
float inputs and outputs, ``grad`` of a weighted sum of the outputs matches
float64 central differences of the plain-numpy function in a random
direction. Separate tests cover the table against numpy's overridable
functions, numpy-only keyword arguments, ``out=``, the error messages, the
operators of ``ndarray`` and numpy scalars, and every transformation.
"""

from __future__ import annotations

import dataclasses
import inspect
import zlib
from typing import Callable

import numpy as np
import pytest
from numpy.testing.overrides import (allows_array_function_override,
                                     get_overridable_numpy_array_functions)

import ftrans
import ftrans.numpy as jnp
from ftrans.numpy import _dispatch
from ftrans.numpy._dispatch import TABLE
from ftrans.test_util import numerical_jvp
from ftrans.tree_util import tree_flatten


# --- array arguments: shape and domain -----------------------------------------------

@dataclasses.dataclass(frozen=True)
class A:
    shape: tuple
    kind: str = "normal"  # normal, pos, unit, gt1, int, nat, uint8, bool, wellcond

    def sample(self, rng):
        if self.kind == "pos":
            return rng.uniform(0.5, 2.0, self.shape)
        if self.kind == "unit":
            return rng.uniform(-0.9, 0.9, self.shape)
        if self.kind == "gt1":
            return rng.uniform(1.2, 3.0, self.shape)
        if self.kind == "int":
            return rng.integers(-5, 6, self.shape)
        if self.kind == "bool":
            return rng.integers(0, 2, self.shape).astype(bool)
        if self.kind == "intf":  # integer values as floats (the set functions)
            return rng.integers(-3, 4, self.shape).astype(float)
        if self.kind == "nat":
            return rng.integers(0, 4, self.shape)
        if self.kind == "uint8":
            return rng.integers(0, 256, self.shape).astype(np.uint8)
        if self.kind == "wellcond":
            return rng.standard_normal(self.shape) + 3 * np.eye(self.shape[0])
        return rng.standard_normal(self.shape)


def N(*s): return A(s)                # noqa: E302,E704
def P(*s): return A(s, "pos")         # noqa: E302,E704
def U(*s): return A(s, "unit")        # noqa: E302,E704
def G(*s): return A(s, "gt1")         # noqa: E302,E704
def I(*s): return A(s, "int")         # noqa: E302,E704,E743
def B(*s): return A(s, "bool")        # noqa: E302,E704
def M(n): return A((n, n), "wellcond")  # noqa: E302,E704
def K(*s): return A(s, "nat")         # noqa: E302,E704
_INTS = ("int", "nat", "uint8", "bool")


def _is_ftrans(f) -> bool:
    return (getattr(f, "__module__", None) or "").startswith("ftrans")


def like(f, x) -> dict:
    """``like=x`` for the numpy side (NEP 35: creation functions dispatch on it)."""
    return {} if _is_ftrans(f) else {"like": x}


_MASK33 = np.zeros((3, 3), bool)
_MASK33[0, 0] = _MASK33[2, 1] = True


def with_nan(x):
    return np.where(_MASK33, np.nan, x)


def parts(z):
    """A complex result as its real and imaginary parts (float outputs, so
    the gradient check covers them)."""
    return np.real(z), np.imag(z)


def with_repeats(x):
    """``x`` with its first two entries again (for the set functions)."""
    return np.concatenate([x, x[:2]])


_WIN = np.array([-1.0, 0.0, 1.0])


@dataclasses.dataclass(frozen=True)
class Case:
    key: str                        # the TABLE entry
    args: tuple                     # A(...) per array argument
    call: Callable | None = None    # (f, *arrays) -> output; default f(*arrays)
    concrete: bool = False          # needs values (output shape depends on them)
    raises: type | None = None      # both versions raise this
    grad: bool = True               # False: no derivative to check (see the row)
    known_bug: str = ""             # the gradient is wrong today (strict xfail)
    wrong_value: str = ""           # the value is wrong today (strict xfail)
    same_jaxpr: bool = True         # False: numpy's dispatcher itself traces extra
                                    # (dead) equations; values and gradients still match

    def apply(self, f, *arrays):
        return self.call(f, *arrays) if self.call else f(*arrays)


# --- THE test table: one row per TABLE entry -------------------------------------------

_UNARY = {
    "normal": "abs absolute cbrt ceil conj conjugate cos cosh deg2rad degrees exp exp2 expm1 "
              "fabs floor negative positive rad2deg radians rint sign sin sinh square tanh "
              "trunc arctan atan arcsinh asinh signbit isfinite isinf isnan",
    "pos": "log log10 log1p log2 sqrt reciprocal",
    "unit": "arcsin asin arccos acos arctanh atanh tan",
    "gt1": "arccosh acosh",
}
_BINARY = {  # (first, second) argument
    (N(2, 3), N(3)): "add subtract multiply maximum minimum fmax fmin hypot logaddexp "
                     "logaddexp2 copysign arctan2 atan2 heaviside equal not_equal greater "
                     "greater_equal less less_equal",
    (N(2, 3), P(3)): "divide true_divide fmod mod remainder floor_divide divmod",
    (P(2, 3), N(3)): "power pow float_power",
    (B(3), B(3)): "logical_and logical_or logical_xor",
    (I(3), I(3)): "bitwise_and bitwise_or bitwise_xor",
}

CASES = (
    [Case(name, (A((2, 3), kind),)) for kind, names in _UNARY.items() for name in names.split()]
    + [Case(name, args) for args, names in _BINARY.items() for name in names.split()]
    + [Case(name, (B(3),)) for name in ["logical_not"]]
    + [Case(name, (I(3),)) for name in "bitwise_not bitwise_invert invert".split()]
    + [
        Case("matmul", (N(2, 3), N(3, 4))),
        Case("vecdot", (N(2, 3), N(3))),
        # reductions
        *[Case(n, (N(2, 3),), lambda f, x: f(x, axis=1))
          for n in "amax amin max min sum prod mean std var ptp cumsum cumprod "
                   "cumulative_sum".split()],
        *[Case(n, (N(3, 3),), lambda f, x: f(with_nan(x), axis=0))
          for n in "nanmax nanmin nansum nanprod nanmean nanstd nanvar".split()],
        Case("nan_to_num", (N(3, 3),), lambda f, x: f(with_nan(x))),
        Case("argmax", (N(2, 3),), lambda f, x: f(x, axis=0)),
        Case("argmin", (N(2, 3),), lambda f, x: f(x, axis=0)),
        Case("all", (N(2, 3),), lambda f, x: f(x > 0, axis=0)),
        Case("any", (N(2, 3),), lambda f, x: f(x > 0, axis=1)),
        Case("count_nonzero", (N(2, 3),), lambda f, x: f(x > 0, axis=1)),
        Case("average", (N(2, 3),), lambda f, x: f(x, axis=0, weights=np.array([1.0, 2.0]))),
        Case("median", (N(5),)),
        Case("percentile", (N(5),), lambda f, x: f(x, 30.0)),
        Case("quantile", (N(2, 5),), lambda f, x: f(x, 0.3, axis=1)),
        Case("allclose", (N(3),), lambda f, x: f(x, x + 1e-9)),
        Case("isclose", (N(3), N(3))),
        *[Case(n, (N(3),)) for n in "angle iscomplex isreal iscomplexobj isrealobj".split()],
        Case("array_equal", (N(3),), lambda f, x: f(x, x)),
        Case("isneginf", (N(3),)),
        Case("isposinf", (N(3),)),
        Case("fix", (N(3),)),
        Case("round", (N(3),), lambda f, x: f(x, 1)),
        Case("around", (N(3),), lambda f, x: f(x, 1)),
        Case("sinc", (N(3),)),
        Case("real", (N(3),)),
        Case("imag", (N(3),)),
        Case("clip", (N(5),), lambda f, x: f(x, -0.5, 0.5)),
        Case("where", (N(3), N(3)), lambda f, x, y: f(x > 0, x, y)),
        Case("select", (N(4),), lambda f, x: f([x > 0.5, x < -0.5], [x, x ** 2], 0.25)),
        Case("polyval", (N(3), N(4))),
        Case("diff", (N(5),)),
        Case("cross", (N(3), N(3))),
        # sorting and searching
        Case("sort", (N(2, 3),), lambda f, x: f(x, axis=0)),
        Case("argsort", (N(4),)),
        Case("searchsorted", (N(4),), lambda f, x: f(np.array([-1.0, 0.0, 1.0]), x)),
        Case("argwhere", (N(2, 3),), lambda f, x: f(x > 0), concrete=True),
        Case("flatnonzero", (N(5),), lambda f, x: f(x > 0), concrete=True),
        Case("nonzero", (N(5),), lambda f, x: f(x > 0), concrete=True),
        # linear algebra
        Case("dot", (N(2, 3), N(3))),
        Case("inner", (N(3), N(3))),
        Case("vdot", (N(3), N(3))),
        Case("outer", (N(3), N(2))),
        Case("kron", (N(2), N(3))),
        Case("tensordot", (N(2, 3), N(3, 4)), lambda f, x, y: f(x, y, 1)),
        Case("einsum", (N(2, 3), N(3)), lambda f, x, y: f("ij,j->i", x, y)),
        Case("trace", (N(3, 3),)),
        Case("linalg.cholesky", (N(3, 3),), lambda f, a: f(a @ a.T + 3 * np.eye(3))),
        Case("linalg.det", (M(3),)),
        Case("linalg.inv", (M(3),)),
        Case("linalg.slogdet", (M(3),)),
        Case("linalg.solve", (M(3), N(3))),
        Case("linalg.norm", (N(3),)),
        Case("linalg.vector_norm", (N(2, 3),), lambda f, x: f(x, axis=1)),
        Case("linalg.matrix_norm", (N(3, 3),)),
        Case("linalg.matrix_transpose", (N(2, 3),)),
        # shapes
        Case("reshape", (N(2, 3),), lambda f, x: f(x, (3, 2))),
        Case("ravel", (N(2, 3),)),
        Case("transpose", (N(2, 3),)),
        Case("matrix_transpose", (N(2, 3),)),
        Case("permute_dims", (N(2, 3, 4),), lambda f, x: f(x, (2, 0, 1))),
        Case("moveaxis", (N(2, 3, 4),), lambda f, x: f(x, 0, -1)),
        Case("swapaxes", (N(2, 3),), lambda f, x: f(x, 0, 1)),
        Case("squeeze", (N(1, 3),)),
        Case("expand_dims", (N(3),), lambda f, x: f(x, 0)),
        Case("atleast_1d", (N(),)),
        Case("atleast_2d", (N(3),)),
        Case("atleast_3d", (N(2, 3),)),
        Case("broadcast_to", (N(3),), lambda f, x: f(x, (2, 3))),
        Case("broadcast_arrays", (N(3), N(2, 1))),
        Case("meshgrid", (N(3), N(2))),
        Case("flip", (N(2, 3),)),
        Case("fliplr", (N(2, 3),)),
        Case("flipud", (N(2, 3),)),
        Case("rot90", (N(2, 3),)),
        Case("roll", (N(5),), lambda f, x: f(x, 2)),
        Case("tile", (N(3),), lambda f, x: f(x, 2)),
        Case("repeat", (N(3),), lambda f, x: f(x, 2)),
        Case("pad", (N(3),), lambda f, x: f(x, (1, 2))),
        Case("diag", (N(3),)),
        Case("diagflat", (N(2, 2),)),
        Case("diagonal", (N(3, 3),)),
        Case("tril", (N(3, 3),)),
        Case("triu", (N(3, 3),)),
        Case("append", (N(3), N(2))),
        Case("concatenate", (N(3), N(2)), lambda f, x, y: f((x, y))),
        Case("concat", (N(3), N(2)), lambda f, x, y: f((x, y))),
        Case("stack", (N(3), N(3)), lambda f, x, y: f((x, y))),
        Case("hstack", (N(3), N(2)), lambda f, x, y: f((x, y))),
        Case("vstack", (N(3), N(3)), lambda f, x, y: f((x, y))),
        Case("dstack", (N(3), N(3)), lambda f, x, y: f((x, y))),
        Case("column_stack", (N(3), N(3)), lambda f, x, y: f((x, y))),
        Case("split", (N(6),), lambda f, x: f(x, 3)),
        Case("array_split", (N(7),), lambda f, x: f(x, 3)),
        Case("hsplit", (N(2, 4),), lambda f, x: f(x, 2)),
        Case("vsplit", (N(4, 2),), lambda f, x: f(x, 2)),
        Case("dsplit", (N(2, 2, 4),), lambda f, x: f(x, 2)),
        Case("unstack", (N(2, 3),)),
        # indexing
        Case("take", (N(5),), lambda f, x: f(x, np.array([0, 2, 2]))),
        Case("take_along_axis", (N(2, 3),),
             lambda f, x: f(x, np.array([[0, 2], [1, 1]]), axis=1)),
        Case("compress", (N(3),), lambda f, x: f(np.array([True, False, True]), x)),
        Case("ix_", (N(3),), lambda f, x: f(np.argsort(x), np.argsort(x[:2]))),
        Case("unravel_index", (N(6),), lambda f, x: f(np.argmax(x), (2, 3))),
        Case("ravel_multi_index", (N(3),),
             lambda f, x: f((np.argsort(x), np.argsort(-x)), (3, 3))),
        Case("put", (N(3),), lambda f, x: f(x, [0], 1.0), raises=ValueError),
        # creation: numpy dispatches these on like= or on an array argument
        *[Case(n, (N(3),), lambda f, x: f(3, **like(f, x)) * x)
          for n in "zeros ones arange identity".split()],
        Case("eye", (N(3, 3),), lambda f, x: f(3, **like(f, x)) * x),
        Case("tri", (N(3, 3),), lambda f, x: f(3, **like(f, x)) * x),
        Case("empty", (N(3),), lambda f, x: x + f(3, **like(f, x)).shape[0]),
        Case("full", (N(),), lambda f, s: f((2, 3), s, **like(f, s))),
        *[Case(n, (N(3),), lambda f, x: f(x, **like(f, x)) * 2.0)
          for n in "array asarray ascontiguousarray".split()],
        Case("copy", (N(3),)),
        Case("astype", (N(3),), lambda f, x: f(x, np.float32), grad=False),
        Case("zeros_like", (N(3),), lambda f, x: f(x) + x),
        Case("ones_like", (N(3),), lambda f, x: f(x) * x),
        Case("empty_like", (N(3),), lambda f, x: x + f(x).shape[0]),
        Case("full_like", (N(3), N()), lambda f, x, s: f(x, s)),
        Case("linspace", (N(), N()), lambda f, a, b: f(a, b, 5)),
        Case("logspace", (N(), N()), lambda f, a, b: f(a, b, 4)),
        Case("geomspace", (P(), P()), lambda f, a, b: f(a, b + 2.0, 5)),
        # introspection
        Case("ndim", (N(2, 3),), lambda f, x: x * f(x)),
        Case("size", (N(2, 3),), lambda f, x: x * f(x)),
        Case("shape", (N(2, 3),), lambda f, x: x * f(x)[1]),
        Case("result_type", (N(3),), lambda f, x: x.astype(f(x, np.float32)) * 2.0),
        # more ufuncs
        Case("bitwise_count", (I(3),)),
        *[Case(n, (I(3), K(3))) for n in
          "bitwise_left_shift left_shift bitwise_right_shift right_shift".split()],
        Case("gcd", (I(4), I(4))),
        Case("lcm", (I(4), I(4))),
        Case("ldexp", (N(3), I(3))),
        Case("frexp", (N(3),)),
        Case("modf", (N(3),)),
        Case("nextafter", (N(3), N(3))),  # one ulp from x1: d/dx1 = 1 (JAX raises)
        Case("spacing", (N(3),)),
        Case("matvec", (N(2, 3), N(3))),
        Case("vecmat", (N(3), N(3, 2))),
        # more functions
        Case("apply_along_axis", (N(2, 3),), lambda f, x: f(lambda r: r * r.sum(), 1, x)),
        Case("apply_over_axes", (N(2, 3),), lambda f, x: f(np.sum, x, [0])),
        Case("argpartition", (N(5),), lambda f, x: f(x, 2)[2]),
        Case("partition", (N(5),), lambda f, x: (f(x, 2)[2], np.sort(f(x, 2)[:2]))),
        Case("array_equiv", (N(3),), lambda f, x: f(x, x[None])),
        Case("bincount", (N(4),), lambda f, w: f(np.array([0, 1, 1, 3]), weights=w)),
        Case("block", (N(2, 2), N(2, 1)), lambda f, a, b: f([[a, b]])),
        Case("choose", (N(3), N(3)), lambda f, a, b: f(np.array([0, 1, 0]), [a, b])),
        Case("convolve", (N(5), N(3))),
        Case("correlate", (N(5), N(3)), lambda f, a, v: f(a, v, "same")),
        Case("corrcoef", (N(3, 5),)),
        Case("cov", (N(3, 5),), lambda f, m: f(m, None, True, True)),
        Case("cumulative_prod", (N(2, 3),), lambda f, x: f(x, axis=1)),
        Case("delete", (N(5),), lambda f, x: f(x, [1, 3])),
        Case("insert", (N(4), N()), lambda f, x, v: f(x, 1, v)),
        *[Case(n, (N(3, 3),), lambda f, x: x[f(x)])
          for n in "diag_indices_from tril_indices_from triu_indices_from".split()],
        Case("digitize", (N(5),), lambda f, x: f(x, _WIN, True)),
        Case("ediff1d", (N(5),), lambda f, x: f(x, None, x[:1])),
        Case("einsum_path", (N(2, 3), N(3, 4)), lambda f, a, b: a * float(
            f("ij,jk->ik", a, b, optimize="greedy")[0] == ["einsum_path", (0, 1)])),
        Case("extract", (N(5),), lambda f, x: f(x > 0, x), concrete=True),
        Case("fromfunction", (N(),),
             lambda f, s: f(lambda i, j: i + 2 * j, (2, 3), **like(f, s)) * s),
        Case("gradient", (N(5), P(5)), lambda f, y, x: f(y, np.cumsum(x))),
        Case("histogram", (N(8),),  # numpy's density by position: jnp's 4th is weights
             lambda f, x: f(x, 3, None, density=True) if _is_ftrans(f) else f(x, 3, None, True)),
        Case("histogram2d", (N(6), N(6)), lambda f, x, y: f(x, y, 2)),
        Case("histogram_bin_edges", (N(6),), lambda f, x: f(x, 4)),
        Case("histogramdd", (N(6, 2),), lambda f, x: f(x, 2)),
        Case("i0", (N(3),)),
        Case("interp", (N(4), N(3)), lambda f, x, fp: f(x, _WIN, fp)),
        Case("intersect1d", (A((6,), "intf"), A((6,), "intf")), concrete=True, grad=False),
        Case("isin", (I(5), I(3))),
        Case("lexsort", (I(5), N(5)), lambda f, a, b: f((b, a))),
        *[Case(n, (N(3, 3),), lambda f, x: f(with_nan(x), axis=0))
          for n in "nanargmax nanargmin nancumprod nancumsum nanmedian".split()],
        Case("nanpercentile", (N(3, 3),), lambda f, x: f(with_nan(x), 30.0, 0)),
        Case("nanquantile", (N(3, 3),), lambda f, x: f(with_nan(x), 0.3, 0)),
        Case("packbits", (B(2, 8),), lambda f, x: f(x, axis=1)),
        Case("unpackbits", (A((3,), "uint8"),)),
        Case("piecewise", (N(5),),
             lambda f, x: f(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2])),
        Case("poly", (N(3),), same_jaxpr=False),  # numpy's dispatcher iterates the roots
        Case("polyadd", (N(3), N(2))),
        Case("polysub", (N(3), N(2))),
        Case("polymul", (N(3), N(2))),
        Case("polyder", (N(4),), lambda f, p: f(p, 2)),
        Case("polyint", (N(3),), lambda f, p: f(p, 1, 0.5)),
        Case("polyfit", (N(5), N(5)), lambda f, x, y: f(x, y, 2)),
        Case("roots", (N(4),), lambda f, p: parts(np.sort_complex(f(p))), concrete=True),
        Case("sort_complex", (N(4),), lambda f, x: parts(f(x))),
        Case("resize", (N(3),), lambda f, x: f(x, (2, 4))),
        Case("rollaxis", (N(2, 3, 4),), lambda f, x: f(x, 2)),
        Case("setdiff1d", (A((6,), "intf"), A((6,), "intf")), concrete=True, grad=False),
        Case("setxor1d", (A((6,), "intf"), A((6,), "intf")), concrete=True, grad=False),
        Case("union1d", (A((6,), "intf"), A((6,), "intf")), concrete=True, grad=False),
        Case("unique", (N(4),), lambda f, x: f(with_repeats(x), True, True, True),
             concrete=True),
        *[Case(n, (N(4),), lambda f, x: tuple(f(with_repeats(x))), concrete=True)
          for n in "unique_all unique_counts unique_inverse".split()],
        Case("unique_values", (N(4),), lambda f, x: f(with_repeats(x)), concrete=True),
        Case("trapezoid", (N(5), P(5)), lambda f, y, x: f(y, np.cumsum(x))),
        Case("trim_zeros", (N(5),), lambda f, x: f(x * (np.arange(5) % 4 != 0)),
             concrete=True),
        Case("unwrap", (N(5),), lambda f, x: f(3.0 * x)),
        Case("vander", (N(3),), lambda f, x: f(x, 4)),
        # decompositions and the rest of numpy.linalg
        Case("linalg.cond", (M(3),)),
        Case("linalg.eig", (M(3),), lambda f, a: parts(f(a)[0]),
             grad=False),  # eig's eigenvectors have no derivative (as in JAX): eigvals has
        Case("linalg.eigvals", (M(3),), lambda f, a: parts(f(a))),
        Case("linalg.eigh", (N(3, 3),), lambda f, a: tuple(f(a + a.T))),
        Case("linalg.eigvalsh", (N(3, 3),), lambda f, a: f(a + a.T, "U")),
        Case("linalg.lstsq", (N(5, 3), N(5)), lambda f, a, b: f(a, b, None)[:2],
             concrete=True),  # numpy's residuals need the rank
        Case("linalg.matrix_power", (M(3),), lambda f, a: f(a, 3)),
        Case("linalg.matrix_rank", (N(3, 3),),  # numpy's tol by position: jnp's 2nd is rtol
             lambda f, a: f(a, tol=1e-8) if _is_ftrans(f) else f(a, 1e-8)),
        Case("linalg.multi_dot", (N(2, 3), N(3, 4), N(4)), lambda f, a, b, c: f([a, b, c])),
        Case("linalg.pinv", (N(3, 2),), lambda f, a: f(a, 1e-10)),  # rcond by position
        Case("linalg.qr", (N(4, 3),), lambda f, a: tuple(f(a))),
        Case("linalg.svd", (N(4, 3),), lambda f, a: tuple(f(a, False))),
        Case("linalg.svdvals", (N(4, 3),)),
        Case("linalg.tensorinv", (M(4),), lambda f, a: f(a.reshape(2, 2, 2, 2))),
        Case("linalg.tensorsolve", (M(4), N(4)),
             lambda f, a, b: f(a.reshape(2, 2, 2, 2), b.reshape(2, 2))),
        # numpy.fft: complex results as real and imaginary parts
        *[Case("fft." + n, (N(6),), lambda f, x: parts(f(x)))
          for n in "fft ifft rfft ihfft".split()],
        Case("fft.irfft", (N(4),), lambda f, x: f(x, 6)),
        Case("fft.hfft", (N(4),), lambda f, x: f(x, 6)),
        *[Case("fft." + n, (N(3, 4),), lambda f, x: parts(f(x)))
          for n in "fft2 ifft2 fftn ifftn rfft2 rfftn".split()],
        Case("fft.irfft2", (N(3, 4),), lambda f, x: f(x, (3, 6))),
        Case("fft.irfftn", (N(3, 4),), lambda f, x: f(x)),
        Case("fft.fftshift", (N(5),)),
        Case("fft.ifftshift", (N(2, 5),), lambda f, x: f(x, 1)),
        # ufunc methods with another name in ftrans.numpy
        *[Case(k, (N(2, 3),), lambda f, x: f(x, axis=1)) for k in
          "add.reduce multiply.reduce maximum.reduce minimum.reduce fmax.reduce "
          "fmin.reduce add.accumulate multiply.accumulate".split()],
        Case("logical_and.reduce", (N(2, 3),), lambda f, x: f(x > 0, axis=0)),
        Case("logical_or.reduce", (N(2, 3),), lambda f, x: f(x > 0, axis=0)),
    ]
)


def _numpy_fn(key):
    obj, method = _dispatch._resolve(key)
    return obj if method == "__call__" else getattr(obj, method)


def _ftrans_fn(key):
    return _dispatch._twin(key)


def _sample(case):
    rng = np.random.default_rng(zlib.crc32(case.key.encode()))
    return [np.asarray(a.sample(rng)) for a in case.args]


def _is_float(x) -> bool:
    return np.issubdtype(np.result_type(x), np.floating)


def _weights(shape):
    return np.cos(np.arange(int(np.prod(shape))) + 1.0).reshape(shape)


def _loss(outputs):
    """A weighted sum of the float outputs (integer, bool and int results
    such as a shape do not take part)."""
    leaves = [o for o in tree_flatten(outputs)[0] if not isinstance(o, (int, np.dtype))
              and _is_float(o)]
    return sum(np.sum(o * _weights(np.shape(o))) for o in leaves)


def test_every_table_entry_has_a_case():
    keys = [c.key for c in CASES]
    assert len(keys) == len(set(keys)), "a key has two rows"
    assert set(keys) == set(TABLE), (sorted(set(TABLE) - set(keys)),
                                     sorted(set(keys) - set(TABLE)))
    assert len(CASES) >= 150


_VALUE_CASES = [
    pytest.param(c, marks=[pytest.mark.xfail(strict=True, reason=c.wrong_value)]
                 if c.wrong_value else [])
    for c in CASES]

@pytest.mark.parametrize("case", _VALUE_CASES, ids=lambda c: c.key)
def test_numpy_call_traces_like_its_ftrans_numpy_twin(case):
    args = _sample(case)
    np_fn, jnp_fn = _numpy_fn(case.key), _ftrans_fn(case.key)
    if case.raises:
        for fn in (np_fn, jnp_fn):
            with pytest.raises(case.raises):
                ftrans.make_jaxpr(lambda *a: case.apply(fn, *a))(*args)
        return
    want = case.apply(np_fn, *args)  # numpy itself, on plain arrays
    if case.concrete:  # grad traces concretely; the output rides along as aux
        _, got = ftrans.grad(lambda *a: (jnp.sum(a[0]) * 0.0, case.apply(np_fn, *a)),
                             has_aux=True)(*args)
        got = tree_flatten(got)[0]
    else:
        closed = ftrans.make_jaxpr(lambda *a: case.apply(np_fn, *a))(*args)
        twin = ftrans.make_jaxpr(lambda *a: case.apply(jnp_fn, *a))(*args)
        assert str(closed) == str(twin) or not case.same_jaxpr
        got = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, *args)
    want = tree_flatten(want)[0]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(np.asarray(g, dtype=float), np.asarray(w, dtype=float),
                                   rtol=1e-12, atol=1e-12)


_GRAD_CASES = [
    pytest.param(c, marks=[pytest.mark.xfail(strict=True, reason=c.known_bug)]
                 if c.known_bug else [])
    for c in CASES
    if c.grad and not c.raises and any(a.kind not in _INTS for a in c.args)]


@pytest.mark.parametrize("case", _GRAD_CASES, ids=lambda c: c.key)
def test_grad_of_numpy_call_matches_finite_differences(case):
    args = _sample(case)
    np_fn = _numpy_fn(case.key)
    if not any(_is_float(o) for o in tree_flatten(case.apply(np_fn, *args))[0]
               if not isinstance(o, (int, np.dtype))):
        pytest.skip("no float output")
    floats = tuple(i for i, a in enumerate(case.args) if a.kind not in _INTS)

    def f(*a):
        return _loss(case.apply(np_fn, *a))

    grads = ftrans.grad(f, argnums=floats)(*args)
    rng = np.random.default_rng(1)
    v = [rng.standard_normal(np.shape(args[i])) for i in floats]
    ad = sum(np.sum(g * vi) for g, vi in zip(grads, v))

    def along(*fa):
        full = list(args)
        for i, x in zip(floats, fa):
            full[i] = np.asarray(x)
        return f(*full)  # plain numpy: no ftrans involved

    fd = numerical_jvp(along, [args[i] for i in floats], v)
    np.testing.assert_allclose(ad, fd, rtol=1e-5, atol=1e-6)


# --- the table against numpy's own list of overridable functions ----------------------

# ftrans.numpy names that are overridable numpy functions but not in TABLE.
_NO_VALUES_YET = ("it needs the values, which a traced array does not have yet; the "
                  "error says so and what to do instead")
_WRITES_IN_PLACE = ("numpy writes into its argument and returns None, while the ftrans.numpy "
                    "twin returns the result (inplace=False): dispatching would silently "
                    "drop the update, so the error points to the functional call")
_NO_ARRAY = ("reads bytes, a file or a Python iterable: nothing to trace (numpy "
             "dispatches it on like= only); the error points to ftrans.numpy's twin")
EXCLUDED: dict[str, str] = {
    "array_repr": _NO_VALUES_YET, "array_str": _NO_VALUES_YET,
    "save": _NO_VALUES_YET, "savez": _NO_VALUES_YET,
    "can_cast": "takes dtypes and Python scalars, no arrays (numpy 2 rejects arrays)",
    "fill_diagonal": _WRITES_IN_PLACE, "place": _WRITES_IN_PLACE,
    "put_along_axis": _WRITES_IN_PLACE,
    "frombuffer": _NO_ARRAY, "fromfile": _NO_ARRAY, "fromiter": _NO_ARRAY,
    "fromstring": _NO_ARRAY,
    "polydiv": "numpy trims the remainder's leading zeros, a length that depends on the "
               "values; jnp.polydiv keeps the length of u (as JAX), so the shapes differ",
}


def _public_jnp_names():
    return {n for n in dir(jnp) if not n.startswith("_")} | {
        f"{module}.{n}" for module in ("linalg", "fft")
        for n in dir(getattr(jnp, module)) if not n.startswith("_")}


def test_table_entries_are_overridable_numpy_calls():
    overridable = get_overridable_numpy_array_functions()
    for key in TABLE:
        obj, method = _dispatch._resolve(key)
        if isinstance(obj, np.ufunc):
            assert hasattr(obj, method), key
        else:
            assert obj in overridable and allows_array_function_override(obj), key
        assert _dispatch._jnp_attr(TABLE[key]) is not None, key


def test_every_overridable_numpy_twin_of_ftrans_numpy_is_in_the_table():
    overridable = get_overridable_numpy_array_functions()
    missing = []
    for name in sorted(_public_jnp_names()):
        try:
            obj, _ = _dispatch._resolve(name)
        except AttributeError:
            continue
        is_ufunc = isinstance(obj, np.ufunc)
        if (is_ufunc or (callable(obj) and obj in overridable)) and name not in TABLE:
            missing.append(name)
    assert sorted(set(missing) - set(EXCLUDED)) == [], "add to TABLE or EXCLUDED"
    assert all(reason for reason in EXCLUDED.values())
    assert not set(EXCLUDED) & set(TABLE)


def test_positional_arguments_mean_the_same_in_numpy_and_ftrans_numpy():
    """Dispatch passes a positional argument on by position where numpy's and
    ftrans.numpy's parameter at that place have the same name (or it is the
    first), and by name from the first that differs (``_dispatch._same_place``):
    numpy's name then goes to ftrans.numpy's keyword of that name, or, if it
    has none, is dropped at numpy's default and an error otherwise."""
    renamed_first = {"arange", "asarray", "empty_like", "imag", "real", "linalg.matrix_rank"}
    for key in TABLE:
        obj, method = _dispatch._resolve(key)
        if isinstance(obj, np.ufunc):
            continue
        pos = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        np_pos = [p.name for p in inspect.signature(obj).parameters.values() if p.kind in pos]
        j_pos = [p.name for p in inspect.signature(_ftrans_fn(key)).parameters.values()
                 if p.kind in pos]
        np_params = inspect.signature(obj).parameters
        by_name = [p.name for p in inspect.signature(_ftrans_fn(key)).parameters.values()
                   if p.kind is not inspect.Parameter.POSITIONAL_ONLY]
        for i, name in enumerate(np_pos):
            if name in _dispatch._NUMPY_ONLY and name not in j_pos:
                break
            if i == 0:
                assert j_pos and (j_pos[0] == name or key in renamed_first), (key, name)
            elif not (i < len(j_pos) and j_pos[i] == name):
                # by name, never into ftrans's differently named parameter
                assert not _dispatch._same_place(_ftrans_fn(key), i, name), (key, name)
                # a numpy argument ftrans.numpy lacks passes at its default, else errors
                assert name in by_name or np_params[name].default is not np_params[
                    name].empty, (key, name)


# --- numpy-only keyword arguments and out= ---------------------------------------------

X = np.array([0.3, -1.2, 2.0])


def test_numpy_only_keywords_that_change_nothing_are_accepted():
    def f(x):
        y = np.sin(x, out=None, where=True, casting="same_kind", order="K", dtype=None,
                   subok=True)
        y = np.cos(y) + np.negative(y, out=(None,), dtype=None)
        y = np.reshape(y, (3, 1), order="C", copy=None)
        y = np.concatenate([y, np.zeros_like(y, order="C", subok=True)], axis=1,
                           out=None, casting="same_kind")
        y = np.add(y, np.asarray(y, like=y, order="C"), out=(None,))
        return np.sum(np.mean(y, axis=1, out=None, keepdims=False), out=None)

    s, c = np.sin(X), np.cos(X)
    np.testing.assert_allclose(f(X), np.sum(np.cos(s) - s))  # plain numpy
    np.testing.assert_allclose(ftrans.grad(f)(X), (-np.sin(s) - 1.0) * c)


@pytest.mark.parametrize("call", [
    lambda x: np.sin(x, out=np.empty(3)),
    lambda x: np.sum(x, out=np.empty(())),
    lambda x: np.sum(x, None, None, np.empty(())),  # out given by position
    lambda x: np.median(x, None, np.empty(())),  # ftrans.numpy.median takes out=None
    lambda x: np.cumsum(x, out=np.empty(3)),
    lambda x: np.add.reduce(x, out=np.empty(())),
    lambda x: np.add(np.ones(3), x, out=np.ones(3)),
    lambda x: np.multiply(x, x, x),  # out=x: a traced array as output
], ids=["ufunc", "function", "positional", "median", "cumsum", "reduce", "explicit-out",
        "traced-out"])
def test_out_with_an_array_is_an_error(call):
    with pytest.raises(TypeError, match=r"out=.*immutable.*without out="):
        ftrans.grad(lambda x: jnp.sum(call(x)))(X)


def test_inplace_operator_on_a_numpy_array_rebinds_it_as_python_does():
    """``a += x`` reaches numpy as ``np.add(a, x, out=a)``; the operator
    assigns our result to ``a``, so it works (as in JAX), while the explicit
    ``np.add(a, x, out=a)`` (whose result may be ignored) raises."""
    def f(x):
        a = np.ones(3)
        a += x
        a *= x
        a -= 1.0
        a /= 2.0
        a **= 2
        b = 2.0 * np.eye(3)
        b @= np.diag(x)  # np.matmul(b, ., out=b, axes=<the default>)
        return np.sum(a) + np.sum(b)

    def g(x):
        return jnp.sum((((1.0 + x) * x - 1.0) / 2.0) ** 2) + jnp.sum(2.0 * x)

    np.testing.assert_allclose(ftrans.grad(f)(X), ftrans.grad(g)(X))
    np.testing.assert_allclose(ftrans.grad(f)(X),
                               (((1 + X) * X - 1) / 2) * (1 + 2 * X) + 2.0)


def test_operators_of_ndarray_and_numpy_scalars_on_tracers():
    A = np.arange(3.0) + 1.0
    cases = [
        (lambda x: A + x, lambda x: jnp.add(A, x)),
        (lambda x: A * x, lambda x: jnp.multiply(A, x)),
        (lambda x: A - x, lambda x: jnp.subtract(A, x)),
        (lambda x: A / x, lambda x: jnp.true_divide(A, x)),
        (lambda x: A ** x, lambda x: jnp.power(A, x)),
        (lambda x: np.float64(2.0) * x, lambda x: jnp.multiply(np.float64(2.0), x)),
        (lambda x: np.float64(2.0) + x, lambda x: jnp.add(np.float64(2.0), x)),
        (lambda x: A < x, lambda x: jnp.less(A, x)),
        (lambda x: A == x, lambda x: jnp.equal(A, x)),
        (lambda x: A >= x, lambda x: jnp.greater_equal(A, x)),
        (lambda x: np.eye(3) @ x, lambda x: jnp.matmul(np.eye(3), x)),
    ]
    for np_f, jnp_f in cases:
        assert str(ftrans.make_jaxpr(np_f)(X)) == str(ftrans.make_jaxpr(jnp_f)(X))
    np.testing.assert_allclose(ftrans.grad(lambda x: np.sum(A * x + np.float64(2.0) * x))(X),
                               A + 2.0)


def test_ufunc_methods():
    x23 = np.arange(6.0).reshape(2, 3) / 7.0 + 0.5
    # numpy's default axis for reduce/accumulate is 0, not None
    np.testing.assert_allclose(ftrans.jacfwd(lambda x: np.add.reduce(x))(x23).sum(0), 1.0)
    closed = ftrans.make_jaxpr(lambda x: np.multiply.accumulate(x))(x23)
    np.testing.assert_allclose(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x23)[0],
                               np.multiply.accumulate(x23))
    # outer of every binary ufunc, by broadcasting
    a, b = X, np.array([1.5, -0.5])
    for ufunc in (np.multiply, np.subtract, np.maximum, np.arctan2, np.less):
        closed = ftrans.make_jaxpr(lambda u, v: ufunc.outer(u, v))(a, b)
        np.testing.assert_allclose(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, a, b)[0],
                                   ufunc.outer(a, b))
    jac = ftrans.jacrev(lambda u: np.subtract.outer(u, b))(a)
    np.testing.assert_allclose(jac, np.eye(3)[:, None, :] * np.ones((3, 2, 1)))
    np.testing.assert_allclose(ftrans.jacfwd(lambda u: np.multiply.outer(u, b))(a),
                               ftrans.jacfwd(lambda u: jnp.outer(u, b))(a))


# --- what is not supported says so, and what to use instead ------------------------------

@pytest.mark.parametrize("call, words", [
    (lambda x: np.real_if_close(x), ["np.real_if_close is not supported on traced arrays",
                                      "f64[3] under `grad`",
                                      "ftrans.numpy has no real_if_close",
                                      "ftrans.numpy._dispatch.TABLE"]),
    (lambda x: np.array2string(x), ["np.array2string is not supported",
                                    "ftrans.numpy has no array2string"]),
    (lambda x: np.may_share_memory(x, x), ["np.may_share_memory is not supported"]),
    (lambda x: np.array_str(x), ["np.array_str is not supported", "ftrans.debug.print"]),
    (lambda x: np.place(x, x > 0, 0.0), ["np.place is not supported", "in place",
                                         "jnp.where(mask, vals, a)"]),
    (lambda x: np.put_along_axis(x, np.array([0]), 1.0, 0),
     ["np.put_along_axis is not supported", "inplace=False"]),
    (lambda x: np.add.at(np.zeros(3), [0], x), ["np.add.at", "in place",
                                                "jnp.asarray(a).at[indices].add(b)"]),
    (lambda x: np.subtract.reduce(x), ["np.subtract.reduce is not supported",
                                       "np.add.reduce"]),
    (lambda x: np.add.reduceat(x, [0, 1]), ["np.add.reduceat is not supported"]),
    (lambda x: np.multiply.accumulate(x, out=None, dtype=np.float32) + np.maximum.accumulate(x),
     ["np.maximum.accumulate is not supported", "np.add.accumulate"]),
    (lambda x: np.copyto(np.zeros(3), x), ["np.copyto", "cannot hold a traced value"]),
    (lambda x: np.sin(x, where=x > 0), ["np.sin(..., where=<array of type bool[3]>)",
                                        "jnp.where"]),
    (lambda x: np.add(x, x, dtype=np.float32), ["np.add(..., dtype=", "changes the result"]),
    (lambda x: np.std(x, mean=np.mean(x)), ["np.std(..., mean=", "ftrans.numpy.std has no"]),
    (lambda x: np.unravel_index(np.argmax(x), (3,), order="F"),
     ["np.unravel_index(..., order='F')"]),
    (lambda x: np.put(x, [0], 1.0), ["inplace=False"]),
])
def test_unsupported_calls_name_the_call_and_the_alternative(call, words):
    with pytest.raises((TypeError, ValueError)) as info:
        ftrans.grad(lambda x: jnp.sum(call(x)))(X)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_positional_arguments_named_differently_go_by_name():
    """``np.histogram(a, bins, range, density)``: jnp.histogram's fourth
    parameter is ``weights`` (as JAX), so ``density`` is passed by name."""
    x = np.array([0.1, 0.4, 0.5, 0.9, 1.7])
    hist, edges = ftrans.grad(lambda a: (jnp.sum(a) * 0.0, np.histogram(a, 2, None, True)),
                              has_aux=True)(x)[1]
    want = np.histogram(x, 2, None, True)
    np.testing.assert_allclose(hist, want[0])
    np.testing.assert_allclose(edges, want[1])
    a = np.diag([1.0, 1e-9, 0.0])
    rank = ftrans.jit(lambda m: np.linalg.matrix_rank(m, 1e-6))(a)  # numpy's tol
    assert int(rank) == np.linalg.matrix_rank(a, 1e-6) == 1


def test_a_numpy_rule_that_needs_values_says_so_under_jit():
    a, b = np.arange(6.0).reshape(3, 2) + np.eye(3, 2), np.ones(3)
    want = np.linalg.lstsq(a, b)
    got = ftrans.grad(lambda m: (jnp.sum(m) * 0.0, np.linalg.lstsq(m, b)), has_aux=True)(a)[1]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-12)
    with pytest.raises(ftrans.errors.ConcretizationError,
                       match=r"np.linalg.lstsq .*numpy_resid=True.* under jit"):
        ftrans.jit(lambda m: np.linalg.lstsq(m, b)[0])(a)


def test_an_excluded_function_points_to_its_ftrans_numpy_twin(monkeypatch):
    monkeypatch.delitem(_dispatch._LOOKUP, (np.cumsum, "__call__"))
    with pytest.raises(TypeError, match=r"np.cumsum is not supported on traced arrays "
                                        r".*use ftrans.numpy.cumsum"):
        ftrans.grad(lambda x: np.sum(np.cumsum(x)))(X)


def test_a_third_array_type_gets_its_turn():
    class Other:
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return "other"

        def __array_function__(self, func, types, args, kwargs):
            return "other"

    def f(x):
        assert np.add(x, Other()) == "other"
        assert np.concatenate([x, Other()]) == "other"
        return jnp.sum(x)

    ftrans.grad(f)(X)


# --- every transformation, and nothing changes outside them ------------------------------

def test_plain_numpy_under_every_transformation():
    def f(x):
        return np.sum(np.sin(x) ** 2)

    def twin(x):
        return jnp.sum(jnp.sin(x) ** 2)

    np.testing.assert_allclose(ftrans.grad(f)(X), np.sin(2 * X))
    np.testing.assert_allclose(ftrans.hessian(f)(X), np.diag(2 * np.cos(2 * X)))
    for jac in (ftrans.jacfwd, ftrans.jacrev):
        np.testing.assert_allclose(jac(lambda x: np.sin(x) ** 2)(X), np.diag(np.sin(2 * X)))
    v = np.array([1.0, 2.0, -1.0])
    y, y_dot = ftrans.jvp(f, (X,), (v,))
    np.testing.assert_allclose([y, y_dot], [f(X), np.sin(2 * X) @ v])
    y, pullback = ftrans.vjp(f, X)
    np.testing.assert_allclose(pullback(2.0)[0], 2 * np.sin(2 * X))
    assert str(ftrans.make_jaxpr(f)(X)) == str(ftrans.make_jaxpr(twin)(X))
    assert str(ftrans.make_jaxpr(ftrans.grad(f))(X)) == str(
        ftrans.make_jaxpr(ftrans.grad(twin))(X))


def test_outside_transformations_numpy_is_untouched():
    a = np.arange(3.0)
    b = a.copy()
    np.add(b, 1.0, out=b)  # in place, as numpy does
    b += a
    assert type(np.sin(a)) is np.ndarray and type(np.sum(a)) is np.float64
    np.testing.assert_array_equal(b, 2 * a + 1.0)
    assert np.concatenate([a, a], out=np.empty(6)).shape == (6,)
