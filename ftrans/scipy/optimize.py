"""``ftrans.scipy.optimize``: unconstrained minimization (as ``jax.scipy.optimize``).

``minimize(fun, x0, method="BFGS")`` runs the BFGS quasi-Newton method
(Nocedal & Wright, *Numerical Optimization*, Algorithm 6.1) with a line
search satisfying the strong Wolfe conditions (their Algorithms 3.5 and 3.6,
cubic interpolation in the zoom phase). Gradients come from
``ftrans.value_and_grad``, so ``fun`` only needs to be written with
``ftrans.numpy``. Both loops are ``lax.while_loop``s, so ``minimize`` runs
eagerly, under ``jit`` (``fun`` is then traced, as in JAX) and under
``vmap`` over ``x0`` or over arguments in ``args``. It is not itself
differentiable (``while_loop`` is forward-mode only), as in JAX.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple

import numpy as np

import ftrans.numpy as jnp
from ftrans import api, lax

__all__ = ["OptimizeResults", "minimize"]


class OptimizeResults(NamedTuple):
    """The result of :func:`minimize` (as ``jax.scipy.optimize.OptimizeResults``).

    ``status``: 0 converged, 1 maximum BFGS iterations reached, 3 the zoom
    phase of the line search failed, 4 a saddle point or non-descent
    direction was reached, 5 maximum line-search iterations reached.

    >>> r = OptimizeResults(x=1.0, success=True, status=0, fun=0.0, jac=0.0,
    ...                     hess_inv=1.0, nfev=1, njev=1, nit=0)
    >>> r.success
    True
    """
    x: np.ndarray
    success: bool
    status: int
    fun: np.ndarray
    jac: np.ndarray
    hess_inv: np.ndarray | None
    nfev: int
    njev: int
    nit: int


_ZOOM_FAILED, _SADDLE, _LS_MAXITER = 1, 2, 3  # line-search codes; BFGS status = 2 + code


class _Search(NamedTuple):
    """The state of the line search (one loop for both of its phases)."""
    ok: Any            # a step satisfying both Wolfe conditions was found
    done: Any
    status: Any
    zooming: Any       # False: bracketing (Algorithm 3.5); True: zoom (3.6)
    i: Any             # bracketing trials
    j: Any             # zoom trials
    a_next: Any        # the next bracketing trial
    prev: tuple        # the last bracketing trial: (a, phi, dphi)
    lo: tuple          # zoom: the end with sufficient decrease
    hi: tuple
    a: Any             # the accepted step, its value and gradient
    f: Any
    g: Any
    nfev: Any


def _cubic_min(a, fa, da, b, fb, db):
    """The minimizer of the cubic matching values and slopes at ``a`` and ``b``
    (Nocedal & Wright eq. 3.59), and whether it exists."""
    ab = jnp.where(a == b, 1.0, a - b)
    d1 = da + db - 3.0 * (fa - fb) / ab
    disc = d1 * d1 - da * db
    d2 = jnp.sign(b - a) * jnp.sqrt(jnp.maximum(disc, 0.0))
    denom = db - da + 2.0 * d2
    ok = (disc >= 0) & (denom != 0) & (a != b)
    c = b - (b - a) * (db + d2 - d1) / jnp.where(denom == 0, 1.0, denom)
    return c, ok & jnp.isfinite(c)


def _line_search(value_and_grad, x, p, f0, g0, old_old_fval, maxiter, c1=1e-4, c2=0.9):
    """A step ``a`` along ``p`` with ``phi(a) <= phi(0) + c1 a phi'(0)`` and
    ``|phi'(a)| <= c2 |phi'(0)|``, where ``phi(a) = fun(x + a p)``: bracketing
    by doubling, then zooming by safeguarded cubic interpolation. One
    ``while_loop``, so it traces under ``jit`` and ``vmap``."""
    dphi0 = jnp.vdot(g0, p)
    phi0 = f0
    if old_old_fval is None:
        old_old_fval = jnp.inf
    guess = 1.01 * 2.0 * (phi0 - old_old_fval) / jnp.where(dphi0 == 0, -1.0, dphi0)
    a1 = jnp.where(jnp.isfinite(guess) & (guess > 0), jnp.minimum(1.0, guess), 1.0)
    descent = dphi0 < 0
    zero = jnp.zeros_like(phi0)
    point = (zero, phi0, dphi0)
    init = _Search(ok=jnp.asarray(False), done=~descent,
                   status=jnp.where(descent, 0, _SADDLE), zooming=jnp.asarray(False),
                   i=jnp.asarray(0), j=jnp.asarray(0), a_next=a1 + zero, prev=point,
                   lo=point, hi=point, a=zero, f=phi0, g=g0, nfev=jnp.asarray(0))

    def cond(s):
        return ~s.done

    def body(s):
        a_lo, f_lo, d_lo = s.lo
        a_hi, f_hi, d_hi = s.hi
        width = a_hi - a_lo
        c, c_ok = _cubic_min(a_lo, f_lo, d_lo, a_hi, f_hi, d_hi)
        inner_lo = jnp.minimum(a_lo + 0.1 * width, a_hi - 0.1 * width)
        inner_hi = jnp.maximum(a_lo + 0.1 * width, a_hi - 0.1 * width)
        c_ok = c_ok & (c >= inner_lo) & (c <= inner_hi)
        a_zoom = jnp.where(c_ok, c, a_lo + 0.5 * width)  # bisect when the cubic is unsafe
        a = jnp.where(s.zooming, a_zoom, s.a_next)
        f, g = value_and_grad(x + a * p)
        d = jnp.vdot(g, p)
        finite = jnp.isfinite(f)
        f = jnp.where(finite, f, jnp.inf)
        d = jnp.where(finite, d, jnp.inf)
        trial = (a, f, d)
        sufficient = f <= phi0 + c1 * a * dphi0
        curvature = jnp.abs(d) <= -c2 * dphi0
        # bracketing: [prev, trial] or [trial, prev] holds an acceptable step
        to_zoom_up = ~sufficient | ((s.i > 0) & (f >= s.prev[1]))
        to_zoom_down = ~to_zoom_up & ~curvature & (d >= 0)
        b_ok = ~to_zoom_up & curvature
        # zoom: shrink [lo, hi] keeping sufficient decrease at lo
        z_hi = ~sufficient | (f >= f_lo)
        z_ok = ~z_hi & curvature
        z_flip = ~z_hi & ~curvature & (d * width >= 0)
        ok = jnp.where(s.zooming, z_ok, b_ok)

        def pick(cond, new, old):
            return tuple(jnp.where(cond, n, o) for n, o in zip(new, old))

        lo = pick(s.zooming, pick(z_hi, s.lo, trial),
                  pick(to_zoom_up, s.prev, pick(to_zoom_down, trial, s.lo)))
        hi = pick(s.zooming, pick(z_hi, trial, pick(z_flip, s.lo, s.hi)),
                  pick(to_zoom_up, trial, pick(to_zoom_down, s.prev, s.hi)))
        zooming = s.zooming | to_zoom_up | to_zoom_down
        i = s.i + jnp.where(s.zooming, 0, 1)
        j = s.j + jnp.where(s.zooming, 1, 0)
        tiny = zooming & (jnp.abs(hi[0] - lo[0]) <= 1e-12 * jnp.maximum(1.0, jnp.abs(lo[0])))
        out_of_steps = jnp.where(zooming, j >= maxiter, i >= maxiter)
        fail = ~ok & (tiny | out_of_steps)
        status = jnp.where(ok, 0, jnp.where(tiny, _ZOOM_FAILED,
                                            jnp.where(out_of_steps, _LS_MAXITER, 0)))
        return _Search(ok=ok, done=ok | fail, status=status, zooming=zooming, i=i, j=j,
                       a_next=jnp.where(s.zooming, s.a_next, 2.0 * a),
                       prev=pick(s.zooming, s.prev, trial), lo=lo, hi=hi,
                       a=jnp.where(ok, a, s.a), f=jnp.where(ok, f, s.f),
                       g=jnp.where(ok, g, s.g), nfev=s.nfev + 1)

    return lax.while_loop(cond, body, init)


class _BFGS(NamedTuple):
    k: Any
    nfev: Any
    converged: Any
    failed: Any
    status: Any
    x: Any
    f: Any
    g: Any
    H: Any
    old_old_fval: Any


def _minimize_bfgs(value_and_grad, x0, maxiter=None, norm=np.inf, gtol=1e-5,
                   line_search_maxiter=10):
    n = x0.shape[0]
    maxiter = 200 * n if maxiter is None else int(maxiter)
    f0, g0 = value_and_grad(x0)
    init = _BFGS(k=jnp.asarray(0), nfev=jnp.asarray(1),
                 converged=jnp.linalg.norm(g0, ord=norm) < gtol, failed=jnp.asarray(False),
                 status=jnp.asarray(0), x=x0, f=f0, g=g0, H=jnp.eye(n, dtype=x0.dtype),
                 old_old_fval=f0 + jnp.linalg.norm(g0) / 2.0)

    def cond(s):
        return ~s.converged & ~s.failed & (s.k < maxiter)

    def body(s):
        p = -(s.H @ s.g)
        ls = _line_search(value_and_grad, s.x, p, s.f, s.g, s.old_old_fval,
                          line_search_maxiter)
        step = ls.a * p
        y = ls.g - s.g
        sy = jnp.vdot(y, step)
        rho = 1.0 / jnp.where(sy > 0, sy, 1.0)
        Hy = s.H @ y
        # H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T, skipped unless y^T s > 0
        H_new = (s.H - rho * (jnp.outer(step, Hy) + jnp.outer(Hy, step))
                 + (rho * rho * jnp.vdot(y, Hy) + rho) * jnp.outer(step, step))
        update = ls.ok & (sy > 0) & jnp.isfinite(rho)
        return _BFGS(k=s.k + jnp.where(ls.ok, 1, 0), nfev=s.nfev + ls.nfev,
                     converged=ls.ok & (jnp.linalg.norm(ls.g, ord=norm) < gtol),
                     failed=~ls.ok, status=jnp.where(ls.ok, s.status, 2 + ls.status),
                     x=jnp.where(ls.ok, s.x + step, s.x), f=jnp.where(ls.ok, ls.f, s.f),
                     g=jnp.where(ls.ok, ls.g, s.g), H=jnp.where(update, H_new, s.H),
                     old_old_fval=jnp.where(ls.ok, s.f, s.old_old_fval))

    s = lax.while_loop(cond, body, init)
    status = jnp.where(s.converged, 0,
                       jnp.where(s.failed, s.status, jnp.where(s.k >= maxiter, 1, -1)))
    return OptimizeResults(x=s.x, success=s.converged, status=status, fun=s.f, jac=s.g,
                           hess_inv=s.H, nfev=s.nfev, njev=s.nfev, nit=s.k)


def minimize(fun: Callable[..., Any], x0: Any, args: tuple = (), *, method: str = "BFGS",
             tol: float | None = None, options: Mapping[str, Any] | None = None
             ) -> OptimizeResults:
    """Minimize a scalar function of a 1-d array (as ``jax.scipy.optimize.minimize``).

    Args:
      fun: ``fun(x, *args) -> scalar``, written with ``ftrans.numpy`` (its
        gradient is computed with ``ftrans.value_and_grad``).
      x0: the initial guess, a real 1-d array of shape ``(n,)``.
      args: extra positional arguments of ``fun`` (a tuple).
      method: ``"BFGS"`` (the only method).
      tol: if given, the gradient-norm tolerance ``gtol`` (as scipy's BFGS).
      options: ``maxiter`` (default ``200 * n``), ``norm`` (order of the
        gradient norm, default ``inf``), ``gtol`` (default ``1e-5``) and
        ``line_search_maxiter`` (default 10).

    Returns:
      An :class:`OptimizeResults`: ``x``, ``success``, ``status``, ``fun``,
      ``jac``, ``hess_inv``, ``nfev``, ``njev`` and ``nit``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> from ftrans.scipy.optimize import minimize
    >>> def rosen(x):
    ...     return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    >>> res = minimize(rosen, np.array([-1.2, 1.0]), method="BFGS")
    >>> bool(res.success), np.round(res.x, 4)
    (True, array([1., 1.]))
    """
    if not isinstance(args, tuple):
        raise TypeError(f"minimize: args must be a tuple, got {type(args).__name__}")
    if not isinstance(method, str) or method.lower() != "bfgs":
        raise ValueError(f"minimize: method {method!r} not recognized; only 'BFGS' is "
                         "implemented")
    options = dict(options or {})
    known = {"maxiter", "norm", "gtol", "line_search_maxiter"}
    unknown = set(options) - known
    if unknown:
        raise TypeError(f"minimize: unknown options {sorted(unknown)}; BFGS takes "
                        f"{sorted(known)}")
    if tol is not None:
        options.setdefault("gtol", tol)
    x0 = jnp.asarray(x0)
    if x0.ndim != 1:
        raise ValueError(f"minimize: x0 must be a 1-d array of shape (n,), got shape "
                         f"{tuple(x0.shape)}")
    if not np.issubdtype(x0.dtype, np.floating):
        if np.issubdtype(x0.dtype, np.complexfloating):
            raise TypeError(f"minimize: x0 must be real, got dtype {x0.dtype}")
        x0 = x0.astype(np.float64)
    value_and_grad = api.value_and_grad(lambda x: fun(x, *args))
    return _minimize_bfgs(value_and_grad, x0, **options)
