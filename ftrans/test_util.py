"""``check_grads``: derivatives checked against truth from outside the AD code.

JVPs are compared with float64 central differences along a random direction;
VJPs through the inner-product identity ``<u, J v> == <J^T u, v>`` with ``J v``
from finite differences; higher orders by recursion on the derivative
functions, as JAX documents it.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ftrans.tree_util import tree_flatten, tree_map
from ftrans.typing import PyTree

__all__ = ["check_grads", "check_jvp", "check_vjp", "numerical_jvp"]


def _float_leaf(x) -> bool:
    return np.issubdtype(np.asarray(x).dtype, np.inexact)


def _random_like(tree, rng):
    """A random tangent of each float leaf's shape and dtype."""
    return tree_map(lambda x: rng.standard_normal(np.shape(x)).astype(np.asarray(x).dtype)
                    if _float_leaf(x) else np.zeros(np.shape(x)), tree)


def _has_single_precision(tree) -> bool:
    return any(_float_leaf(x) and np.asarray(x).dtype.itemsize <= 4
               for x in tree_flatten(tree)[0])


def _axpy(a, v, x):
    return tree_map(lambda vi, xi: xi + a * vi if _float_leaf(xi) else xi, v, x)


def _vdot(a, b) -> float:
    la, lb = tree_flatten(a)[0], tree_flatten(b)[0]
    return float(sum(np.vdot(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
                     for x, y in zip(la, lb) if _float_leaf(x) and _float_leaf(y)))


def _sub(a, b):
    return tree_map(lambda x, y: np.asarray(x, float) - np.asarray(y, float), a, b)


def numerical_jvp(f: Callable, args: Sequence, tangents: Sequence,
                  eps: float = 1e-6) -> PyTree:
    """Central difference ``(f(x + eps v) - f(x - eps v)) / (2 eps)``.

    >>> import numpy as np
    >>> round(float(numerical_jvp(np.sin, (0.0,), (1.0,))), 6)
    1.0
    """
    hi = f(*_axpy(eps, tuple(tangents), tuple(args)))
    lo = f(*_axpy(-eps, tuple(tangents), tuple(args)))
    return tree_map(lambda h, lw: (np.asarray(h, float) - np.asarray(lw, float)) / (2 * eps),
                    hi, lo)


def _assert_close(name, got, want, atol, rtol, what):
    g, w = tree_flatten(got)[0], tree_flatten(want)[0]
    if len(g) != len(w):
        raise AssertionError(f"{name}: {what} has {len(g)} leaves, expected {len(w)}")
    for a, b in zip(g, w):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape or not np.allclose(a, b, atol=atol, rtol=rtol):
            err = np.max(np.abs(a - b)) if a.shape == b.shape else "shape"
            raise AssertionError(f"{name}: {what} differs (max abs error {err}):\n"
                                 f"  AD:        {a}\n  numerical: {b}")


def check_jvp(f: Callable, args: Sequence, atol: float = 1e-5, rtol: float = 1e-5,
              eps: float = 1e-6, rng: np.random.Generator | None = None) -> None:
    """Compare ``ftrans.jvp`` with central differences in a random direction.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> check_jvp(jnp.tanh, (np.array([0.1, 0.7]),))
    """
    from ftrans.api import jvp
    rng = rng if rng is not None else np.random.default_rng(0)
    v = _random_like(tuple(args), rng)
    _, t = jvp(f, tuple(args), v)
    _assert_close("check_jvp", t, numerical_jvp(f, args, v, eps), atol, rtol,
                  "J v (forward mode)")


def check_vjp(f: Callable, args: Sequence, atol: float = 1e-5, rtol: float = 1e-5,
              eps: float = 1e-6, rng: np.random.Generator | None = None) -> None:
    """Check ``<u, J v> == <J^T u, v>`` with ``J v`` by central differences.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> check_vjp(jnp.tanh, (np.array([0.1, 0.7]),))
    """
    from ftrans.api import vjp
    rng = rng if rng is not None else np.random.default_rng(1)
    out, f_vjp = vjp(f, *args)
    u = _random_like(out, rng)
    v = _random_like(tuple(args), rng)
    lhs = _vdot(u, numerical_jvp(f, args, v, eps))
    rhs = _vdot(f_vjp(u), v)
    scale = max(1.0, abs(lhs))
    if not abs(lhs - rhs) <= atol * scale + rtol * abs(lhs):
        raise AssertionError(f"check_vjp: <u, J v> = {lhs} (numerical) but "
                             f"<J^T u, v> = {rhs} (reverse mode)")


def check_grads(f: Callable, args: Sequence, order: int,
                modes: Sequence[str] = ("fwd", "rev"), atol: float | None = None,
                rtol: float | None = None, eps: float | None = None,
                seed: int = 0) -> None:
    """Check ``f``'s derivatives up to ``order`` in forward and/or reverse mode.

    Raises ``AssertionError`` on a wrong derivative.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> check_grads(jnp.sin, (np.array([0.3, 1.2]),), order=2)
    """
    single = _has_single_precision(tuple(args))  # float32 needs looser defaults
    atol = (1e-2 if single else 1e-5) if atol is None else atol
    rtol = (1e-2 if single else 1e-5) if rtol is None else rtol
    eps = (1e-3 if single else 1e-6) if eps is None else eps
    rng = np.random.default_rng(seed)
    args = tuple(args)
    from ftrans.api import jvp, vjp

    def check(f, args, order):
        if "fwd" in modes:
            check_jvp(f, args, atol, rtol, eps, rng)
            if order > 1:
                v = _random_like(args, rng)
                check(lambda *x: jvp(f, x, v)[1], args, order - 1)
        if "rev" in modes:
            check_vjp(f, args, atol, rtol, eps, rng)
            if order > 1:
                u = _random_like(f(*args), rng)
                check(lambda *x: vjp(f, *x)[1](u), args, order - 1)

    check(f, args, order)
