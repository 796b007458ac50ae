"""``ftrans.scipy.special``: scipy.special's functions with scipy's signatures
and JAX's semantics (as ``jax.scipy.special``); scipy is not imported.

The special functions themselves are primitives of
``ftrans/prims/special_functions.py`` (``lgamma``, ``digamma``,
``polygamma``, ``zeta``, ``erf_inv``, ``ndtri``, ``igamma``, ``igammac``,
``betainc``, ``bessel_i0e``, ``bessel_i1e``), with their derivatives; the rest
is composed from them and ``ftrans.numpy``. Arguments are promoted to one
float dtype and broadcast as numpy does.

Derivatives follow JAX: first and second derivatives everywhere JAX has
them; ``gammainc``/``gammaincc`` are differentiable once in ``a`` (twice in
``x``), ``betainc`` only in ``x``, ``zeta`` only in ``q``, ``polygamma`` only
in ``x`` (a ``ValueError`` names the argument otherwise). ``xlogy``,
``xlog1py`` and ``entr`` carry JAX's custom derivative rules at ``x = 0``.
"""

from __future__ import annotations

import math

import numpy as np

import ftrans.numpy as jnp
from ftrans import lax, nn
from ftrans.custom_derivatives import custom_jvp
from ftrans.numpy._ufuncs import _dtype, promote
from ftrans.prims import special_functions as _sf
from ftrans.typing import Array, ArrayLike, Axis

__all__ = [
    "logsumexp", "softmax", "log_softmax", "expit", "logit", "erf", "erfc", "erfinv",
    "ndtr", "ndtri", "log_ndtr", "gammaln", "gamma", "digamma", "polygamma", "betaln",
    "xlogy", "xlog1py", "entr", "multigammaln", "i0e", "i1e", "zeta", "gammainc",
    "gammaincc", "betainc",
]


def _floats(name, *args):
    """``args`` promoted to one inexact dtype and broadcast (rank-0 kept rank 0)."""
    out = promote(name, *args, inexact=True)
    for a in out:
        if np.dtype(_dtype(a)).kind == "c":
            raise TypeError(f"{name}: complex arguments are not supported, got "
                            f"{np.dtype(_dtype(a))}")
    return out


def _unary(name, prim_fn, x):
    (x,) = _floats(name, x)
    return jnp.asarray(prim_fn(x))


# --- softmax-style reductions (ftrans.nn's, with scipy's defaults) --------------------

def logsumexp(a: ArrayLike, axis: Axis = None, b: ArrayLike | None = None,
              keepdims: bool = False, return_sign: bool = False,
              where: ArrayLike | None = None) -> Array | tuple[Array, Array]:
    """``log(sum(b * exp(a)))`` over ``axis``, computed stably; entries outside
    ``where`` are left out. With ``return_sign`` also the sign of the sum
    (otherwise a negative sum gives ``nan``).

    >>> import numpy as np
    >>> from ftrans.scipy.special import logsumexp
    >>> round(float(logsumexp(np.array([1000.0, 1000.0]))) - 1000.0, 6)
    0.693147
    >>> logsumexp(np.array([1.0, 2.0]), b=np.array([1.0, -1.0]), return_sign=True)
    (array(1.54132485), array(-1.))
    """
    if where is not None:
        (a,) = _floats("logsumexp", a)
        a, where = jnp.broadcast_arrays(a, jnp.asarray(where, bool))
        a = jnp.where(where, a, -np.inf)
        if b is not None:
            b = jnp.where(where, jnp.asarray(b, _dtype(a)), 0.0)
    return nn.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


def softmax(x: ArrayLike, axis: Axis = None) -> Array:
    """``exp(x) / sum(exp(x))`` over ``axis`` (all axes by default, as scipy).

    >>> import numpy as np
    >>> from ftrans.scipy.special import softmax
    >>> softmax(np.array([[0.0, 0.0], [0.0, 0.0]]))
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    return nn.softmax(x, axis=axis)


def log_softmax(x: ArrayLike, axis: Axis = None) -> Array:
    """``x - logsumexp(x)`` over ``axis`` (all axes by default, as scipy).

    >>> import numpy as np
    >>> from ftrans.scipy.special import log_softmax
    >>> log_softmax(np.array([0.0, 0.0])).round(4)
    array([-0.6931, -0.6931])
    """
    return nn.log_softmax(x, axis=axis)


# --- logistic, error function, normal distribution ------------------------------------

def expit(x: ArrayLike) -> Array:
    """The logistic function ``1 / (1 + exp(-x))``.

    >>> from ftrans.scipy.special import expit
    >>> expit(0.0)
    array(0.5)
    """
    return _unary("expit", lax.logistic, x)


def logit(x: ArrayLike) -> Array:
    """``log(x / (1 - x))``, the inverse of ``expit`` (``+-inf`` at 1 and 0,
    ``nan`` outside ``[0, 1]``).

    >>> import numpy as np
    >>> from ftrans.scipy.special import logit
    >>> logit(np.array([0.5, 0.75]))
    array([0.        , 1.09861229])
    """
    (x,) = _floats("logit", x)
    return jnp.log(jnp.divide(x, jnp.subtract(1.0, x)))


def erf(x: ArrayLike) -> Array:
    """The error function.

    >>> from ftrans.scipy.special import erf
    >>> erf(0.5)
    array(0.52049988)
    """
    return _unary("erf", lax.erf, x)


def erfc(x: ArrayLike) -> Array:
    """``1 - erf(x)``, accurate where ``erf(x)`` rounds to 1.

    >>> from ftrans.scipy.special import erfc
    >>> erfc(10.0)
    array(2.08848758e-45)
    """
    return _unary("erfc", lax.erfc, x)


def erfinv(x: ArrayLike) -> Array:
    """The inverse of ``erf`` on ``[-1, 1]`` (``+-inf`` at ``+-1``).

    >>> from ftrans.scipy.special import erfinv
    >>> erfinv(0.5)
    array(0.47693628)
    """
    return _unary("erfinv", _sf.erf_inv, x)


_HALF_SQRT2 = 0.5 * math.sqrt(2)


def ndtr(x: ArrayLike) -> Array:
    """The standard normal cdf, accurate in both tails.

    >>> import numpy as np
    >>> from ftrans.scipy.special import ndtr
    >>> ndtr(np.array([0.0, 1.96, -30.0]))
    array([5.00000000e-001, 9.75002105e-001, 4.90671393e-198])
    """
    (x,) = _floats("ndtr", x)
    w = jnp.multiply(x, _HALF_SQRT2)
    z = jnp.abs(w)
    y = jnp.where(jnp.less(z, _HALF_SQRT2), jnp.add(1.0, lax.erf(w)),
                  jnp.where(jnp.greater(w, 0.0), jnp.subtract(2.0, lax.erfc(z)),
                            lax.erfc(z)))
    return jnp.multiply(0.5, y)


def ndtri(p: ArrayLike) -> Array:
    """The inverse of ``ndtr`` on ``[0, 1]``, accurate in both tails.

    >>> import numpy as np
    >>> from ftrans.scipy.special import ndtri
    >>> ndtri(np.array([0.5, 0.975]))
    array([0.        , 1.95996398])
    """
    return _unary("ndtri", _sf.ndtri, p)


_LOG_NDTR_LOWER = -20.0  # below: the asymptotic series (as JAX)
_LOG_NDTR_TERMS = 10
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def log_ndtr(x: ArrayLike) -> Array:
    """``log(ndtr(x))``, accurate in both tails: ``log1p(-ndtr(-x))`` for
    ``x > 0`` and the asymptotic series of Mills' ratio below ``x = -20``.

    >>> import numpy as np
    >>> from ftrans.scipy.special import log_ndtr
    >>> log_ndtr(np.array([-40.0, 0.0, 10.0]))
    array([-8.04608442e+02, -6.93147181e-01, -7.61985302e-24])
    """
    (x,) = _floats("log_ndtr", x)
    upper = jnp.greater(x, 0.0)
    lower = jnp.less_equal(x, _LOG_NDTR_LOWER)
    # each branch on a safe argument, so that the unselected ones stay finite
    x_up = jnp.where(upper, x, 1.0)
    x_mid = jnp.where(upper | lower, -1.0, x)
    x_low = jnp.where(lower, x, 2 * _LOG_NDTR_LOWER)
    up = jnp.log1p(jnp.negative(ndtr(jnp.negative(x_up))))
    mid = jnp.log(ndtr(x_mid))
    # log ndtr(x) = -x^2/2 - log(-x) - log(2 pi)/2 + log(sum_n (-1)^n (2n-1)!! / x^(2n))
    r = jnp.divide(1.0, jnp.multiply(x_low, x_low))
    total, term = 1.0, 1.0
    for n in range(1, _LOG_NDTR_TERMS + 1):
        term = jnp.multiply(term, jnp.multiply(r, -(2 * n - 1.0)))
        total = jnp.add(total, term)
    low = (jnp.multiply(-0.5, jnp.multiply(x_low, x_low)) - jnp.log(jnp.negative(x_low))
           - _HALF_LOG_2PI + jnp.log(total))
    return jnp.where(upper, up, jnp.where(lower, low, mid))


# --- gamma and related ----------------------------------------------------------------

def gammaln(x: ArrayLike) -> Array:
    """``log |Gamma(x)|`` (``inf`` at the poles 0, -1, -2, ...).

    >>> import numpy as np
    >>> from ftrans.scipy.special import gammaln
    >>> gammaln(np.array([0.5, 10.0]))
    array([ 0.57236494, 12.80182748])
    """
    return _unary("gammaln", _sf.lgamma, x)


def gamma(x: ArrayLike) -> Array:
    """The gamma function, ``sign * exp(gammaln(x))`` (``inf`` at 0, ``nan`` at
    the negative integers and ``-inf``, as JAX).

    >>> import numpy as np
    >>> from ftrans.scipy.special import gamma
    >>> gamma(np.array([5.0, 0.5, -0.5]))
    array([24.        ,  1.77245385, -3.5449077 ])
    """
    (x,) = _floats("gamma", x)
    floor = jnp.floor(x)
    negative_odd = jnp.less(x, 0.0) & jnp.not_equal(jnp.remainder(floor, 2.0), 0.0)
    sign = jnp.where(negative_odd, -1.0, 1.0)
    pole = jnp.less(x, 0.0) & jnp.equal(x, floor)
    return jnp.where(pole, np.nan, jnp.multiply(sign, jnp.exp(_sf.lgamma(x))))


def digamma(x: ArrayLike) -> Array:
    """The digamma function ``d/dx gammaln(x)`` (``nan`` at the poles 0, -1,
    -2, ..., as JAX).

    >>> import numpy as np
    >>> from ftrans.scipy.special import digamma
    >>> digamma(np.array([1.0, 0.5]))
    array([-0.57721566, -1.96351003])
    """
    return _unary("digamma", _sf.digamma, x)


def polygamma(n: ArrayLike, x: ArrayLike) -> Array:
    """The ``n``-th derivative of ``digamma``; ``n`` must have an integer
    dtype (as JAX), negative ``n`` gives ``nan``. Not differentiable in ``n``.

    >>> import numpy as np
    >>> from ftrans.scipy.special import polygamma
    >>> polygamma(np.array([1, 2]), 1.0)
    array([ 1.64493407, -2.40411381])
    """
    n_dtype = np.dtype(_dtype(n))
    if n_dtype.kind not in "iu":
        raise ValueError(f"polygamma: argument n must be of integer type, got dtype "
                         f"{n_dtype}")
    (x,) = _floats("polygamma", x)
    n, x = promote("polygamma", jnp.asarray(n), x, dtype=_dtype(x))
    return jnp.asarray(_sf.polygamma(lax.stop_gradient(n), x))


def betaln(a: ArrayLike, b: ArrayLike) -> Array:
    """``log |B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)``.

    >>> import numpy as np
    >>> from ftrans.scipy.special import betaln
    >>> betaln(np.array([1.0, 2.0]), np.array([2.0, 3.0]))
    array([-0.69314718, -2.48490665])
    """
    a, b = _floats("betaln", a, b)
    return jnp.subtract(jnp.add(_sf.lgamma(a), _sf.lgamma(b)), _sf.lgamma(jnp.add(a, b)))


def multigammaln(a: ArrayLike, d: int) -> Array:
    """The log of the multivariate gamma function of dimension ``d`` (a static
    integer): ``d (d-1) / 4 log(pi) + sum_j gammaln(a - j / 2)``, ``j < d``.

    >>> from ftrans.scipy.special import multigammaln
    >>> multigammaln(3.0, 3)
    array(2.69492488)
    """
    if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1:
        raise ValueError(f"multigammaln: d must be a positive Python integer, got {d!r}")
    (a,) = _floats("multigammaln", a)
    total = d * (d - 1) / 4 * math.log(math.pi)
    out = _sf.lgamma(a)
    for j in range(1, int(d)):
        out = jnp.add(out, _sf.lgamma(jnp.subtract(a, j / 2)))
    return jnp.add(out, total)


# --- x log y --------------------------------------------------------------------------

@custom_jvp
def _xlogy(x, y):
    return jnp.where(jnp.not_equal(x, 0.0) | jnp.isnan(y), jnp.multiply(x, jnp.log(y)),
                     jnp.zeros_like(x))


@_xlogy.defjvp
def _xlogy_jvp(primals, tangents):
    (x, y), (x_dot, y_dot) = primals, tangents
    return _xlogy(x, y), x_dot * jnp.log(y) + y_dot * x / y


def xlogy(x: ArrayLike, y: ArrayLike) -> Array:
    """``x * log(y)``, and 0 where ``x == 0`` (unless ``y`` is nan); its
    derivative is JAX's: ``(log(y), x / y)`` everywhere.

    >>> import numpy as np
    >>> from ftrans.scipy.special import xlogy
    >>> xlogy(np.array([0.0, 2.0]), np.array([0.0, np.e]))
    array([0., 2.])
    """
    x, y = _floats("xlogy", x, y)
    return _xlogy(*jnp.broadcast_arrays(x, y))


@custom_jvp
def _xlog1py(x, y):
    return jnp.where(jnp.not_equal(x, 0.0) | jnp.isnan(y), jnp.multiply(x, jnp.log1p(y)),
                     jnp.zeros_like(x))


@_xlog1py.defjvp
def _xlog1py_jvp(primals, tangents):
    (x, y), (x_dot, y_dot) = primals, tangents
    return _xlog1py(x, y), x_dot * jnp.log1p(y) + y_dot * x / (1 + y)


def xlog1py(x: ArrayLike, y: ArrayLike) -> Array:
    """``x * log1p(y)``, and 0 where ``x == 0`` (unless ``y`` is nan); its
    derivative is JAX's: ``(log1p(y), x / (1 + y))`` everywhere.

    >>> import numpy as np
    >>> from ftrans.scipy.special import xlog1py
    >>> xlog1py(np.array([0.0, 2.0]), np.array([-1.0, 0.0]))
    array([0., 0.])
    """
    x, y = _floats("xlog1py", x, y)
    return _xlog1py(*jnp.broadcast_arrays(x, y))


@custom_jvp
def _xlogx(x):
    return _xlogy(x, x)


@_xlogx.defjvp
def _xlogx_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return _xlogx(x), x_dot * (jnp.log(x) + 1)


def entr(x: ArrayLike) -> Array:
    """The elementwise entropy ``-x log(x)``: 0 at 0, ``-inf`` for ``x < 0``
    (derivative ``-(log(x) + 1)``, ``inf`` at 0, as JAX).

    >>> import numpy as np
    >>> from ftrans.scipy.special import entr
    >>> entr(np.array([0.0, 0.5, -1.0]))
    array([-0.        ,  0.34657359,        -inf])
    """
    (x,) = _floats("entr", x)
    x = jnp.asarray(x)
    return jnp.where(jnp.less(x, 0.0), -np.inf, jnp.negative(_xlogx(x)))


# --- Bessel, zeta ---------------------------------------------------------------------

def i0e(x: ArrayLike) -> Array:
    """``exp(-|x|) I0(x)``, the exponentially scaled modified Bessel function
    of order 0.

    >>> from ftrans.scipy.special import i0e
    >>> i0e(1.0)
    array(0.46575961)
    """
    return _unary("i0e", _sf.bessel_i0e, x)


def i1e(x: ArrayLike) -> Array:
    """``exp(-|x|) I1(x)``, the exponentially scaled modified Bessel function
    of order 1.

    >>> from ftrans.scipy.special import i1e
    >>> i1e(1.0)
    array(0.20791042)
    """
    return _unary("i1e", _sf.bessel_i1e, x)


def zeta(x: ArrayLike, q: ArrayLike | None = None) -> Array:
    """The Hurwitz zeta function ``sum_k (q + k)^-x``; ``q`` is required (the
    Riemann zeta function is not implemented, as in JAX: pass ``q=1`` for
    ``x > 1``). Differentiable in ``q``.

    >>> import numpy as np
    >>> from ftrans.scipy.special import zeta
    >>> zeta(np.array([2.0, 4.0]), 1.0)
    array([1.64493407, 1.08232323])
    """
    if q is None:
        raise NotImplementedError("zeta: the Riemann zeta function is not implemented; "
                                  "pass q (q=1 gives it for x > 1) for the Hurwitz zeta "
                                  "function")
    x, q = _floats("zeta", x, q)
    return jnp.asarray(_sf.zeta(x, q))


# --- incomplete gamma and beta --------------------------------------------------------

def gammainc(a: ArrayLike, x: ArrayLike) -> Array:
    """The regularized lower incomplete gamma function ``P(a, x)``
    (differentiable in ``x``, and once in ``a``).

    >>> import numpy as np
    >>> from ftrans.scipy.special import gammainc
    >>> gammainc(np.array([1.0, 2.5]), np.array([1.0, 3.0]))
    array([0.63212056, 0.69378108])
    """
    a, x = _floats("gammainc", a, x)
    return jnp.asarray(_sf.igamma(a, x))


def gammaincc(a: ArrayLike, x: ArrayLike) -> Array:
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``,
    accurate where ``P`` rounds to 1.

    >>> import numpy as np
    >>> from ftrans.scipy.special import gammaincc
    >>> gammaincc(np.array([1.0, 1.0]), np.array([1.0, 40.0]))
    array([3.67879441e-01, 4.24835426e-18])
    """
    a, x = _floats("gammaincc", a, x)
    return jnp.asarray(_sf.igammac(a, x))


def betainc(a: ArrayLike, b: ArrayLike, x: ArrayLike) -> Array:
    """The regularized incomplete beta function ``I_x(a, b)``; differentiable
    in ``x`` only (as JAX: a ``ValueError`` for ``a`` and ``b``).

    >>> import numpy as np
    >>> from ftrans.scipy.special import betainc
    >>> betainc(np.array([1.0, 2.0]), np.array([1.0, 3.0]), np.array([0.3, 0.5]))
    array([0.3   , 0.6875])
    """
    a, b, x = _floats("betainc", a, b, x)
    return jnp.asarray(_sf.betainc(a, b, x))
