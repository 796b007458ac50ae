"""Rows of the primitive table for ftrans/prims/special_functions.py.

References are scipy.special (a test dependency). Arguments a primitive is
not differentiable in (``polygamma``'s order ``n``, ``zeta``'s ``x``,
``betainc``'s ``a`` and ``b``, ``igamma_grad_a``'s ``a``) are fixed rank-0
constants in the differentiated rows; a row of order 0 checks the impl and
the shape rule with every operand an array. ``igamma``/``igammac`` are
differentiable once in ``a`` (``igamma_grad_a`` has no derivative in ``a``,
as in JAX): their ``a`` rows have order 1. float32 rows check that the impls
keep float32.
"""

import numpy as np
import scipy.special as sp

from ftrans import lax
from ftrans.prims import special_functions as sf  # erf_inv: see the note below
from tests.prim_table import Case, normal, positive, unit

F32 = np.float32
S = (3, 4)


def wide_positive(rng, shape):
    return rng.uniform(0.2, 6.0, shape)


def probabilities(rng, shape):
    return rng.uniform(0.03, 0.97, shape)


def orders(rng, shape):
    return rng.integers(0, 5, shape).astype(float)


def above_one_and_a_half(rng, shape):
    return rng.uniform(1.5, 6.0, shape)


def _const(v):
    return np.array(v)


A, B = 1.7, 2.3  # fixed shape parameters of the rows differentiated in x

# erf_inv is bound through its module: ftrans.lax.erf_inv may be redefined by
# ftrans/_lax_extras.py (a composition) at the moment.
UNARY = [  # (name, fn, scipy reference, domain)
    ("lgamma", lax.lgamma, sp.gammaln, wide_positive),
    ("digamma", lax.digamma, sp.psi, wide_positive),
    ("erf_inv", sf.erf_inv, sp.erfinv, unit),
    ("ndtri", lax.ndtri, sp.ndtri, probabilities),
    ("bessel_i0e", lax.bessel_i0e, sp.i0e, normal),
    ("bessel_i1e", lax.bessel_i1e, sp.i1e, normal),
]

CASES = [
    *[Case(p, fn, (S,), ref=ref, domain=dom) for p, fn, ref, dom in UNARY],
    Case("lgamma", lax.lgamma, (S,), ref=sp.gammaln, domain=lambda r, s: -r.uniform(
        0.1, 0.9, s) - r.integers(0, 3, s), name="negative"),
    Case("digamma", lax.digamma, (S,), ref=sp.psi, domain=lambda r, s: -r.uniform(
        0.1, 0.9, s) - r.integers(0, 3, s), name="negative"),
    Case("bessel_i0e", lax.bessel_i0e, (S,), ref=sp.i0e,
         domain=lambda r, s: r.uniform(25, 40, s) * r.choice([-1, 1], s), name="large"),
    Case("bessel_i1e", lax.bessel_i1e, (S,), ref=sp.i1e,
         domain=lambda r, s: r.uniform(25, 40, s) * r.choice([-1, 1], s), name="large"),
    # polygamma: the order n is an integer constant; all-array row of order 0
    *[Case("polygamma", lambda x, n=n: lax.polygamma(_const(float(n)), x), (S,),
           ref=lambda x, n=n: sp.polygamma(n, x), domain=wide_positive, name=f"n{n}")
      for n in (0, 1, 3)],
    Case("polygamma", lax.polygamma, (S, S), ref=sp.polygamma,
         domain=(orders, wide_positive), order=0, name="arrays"),
    # zeta(x, q): differentiable in q
    Case("zeta", lambda q: lax.zeta(_const(3.0), q), (S,),
         ref=lambda q: sp.zeta(3.0, q), domain=positive),
    Case("zeta", lax.zeta, (S, S), ref=sp.zeta,
         domain=(above_one_and_a_half, wide_positive), order=0, name="arrays"),
    # incomplete gamma
    *[Case(p, lambda x, fn=fn: fn(_const(A), x), (S,), ref=lambda x, r=r: r(A, x),
           domain=wide_positive, name="in_x")
      for p, fn, r in (("igamma", lax.igamma, sp.gammainc),
                       ("igammac", lax.igammac, sp.gammaincc))],
    *[Case(p, lambda a, fn=fn: fn(a, _const(B)), (S,), ref=lambda a, r=r: r(a, B),
           domain=wide_positive, order=1, name="in_a")
      for p, fn, r in (("igamma", lax.igamma, sp.gammainc),
                       ("igammac", lax.igammac, sp.gammaincc))],
    Case("igamma", lax.igamma, (S, S), ref=sp.gammainc, domain=wide_positive, order=0,
         name="arrays"),
    Case("igammac", lax.igammac, (S, S), ref=sp.gammaincc, domain=wide_positive,
         order=0, name="arrays"),
    Case("igamma_grad_a", lambda x: lax.igamma_grad_a(_const(A), x), (S,),
         domain=wide_positive, name="in_x"),
    Case("igamma_grad_a", lax.igamma_grad_a, (S, S), domain=wide_positive, order=0,
         name="arrays"),
    # betainc(a, b, x): differentiable in x
    Case("betainc", lambda x: lax.betainc(_const(A), _const(B), x), (S,),
         ref=lambda x: sp.betainc(A, B, x), domain=probabilities),
    Case("betainc", lax.betainc, (S, S, S), ref=sp.betainc,
         domain=(wide_positive, wide_positive, probabilities), order=0, name="arrays"),
]

CASES += [Case(p, fn, (S,), domain=dom, dtypes=(F32,), order=0, name="f32")
          for p, fn, ref, dom in UNARY]
CASES += [
    Case("polygamma", lax.polygamma, (S, S), domain=(orders, wide_positive),
         dtypes=(F32, F32), order=0, name="f32"),
    Case("zeta", lax.zeta, (S, S), domain=(above_one_and_a_half, wide_positive),
         dtypes=(F32, F32), order=0, name="f32"),
    *[Case(p, fn, (S, S), domain=wide_positive, dtypes=(F32, F32), order=0, name="f32")
      for p, fn in (("igamma", lax.igamma), ("igammac", lax.igammac),
                    ("igamma_grad_a", lax.igamma_grad_a))],
    Case("betainc", lax.betainc, (S, S, S),
         domain=(wide_positive, wide_positive, probabilities), dtypes=(F32, F32, F32),
         order=0, name="f32"),
]
