"""``check_grads``: derivatives checked against truth from outside the AD code.

JVPs are compared with central differences along a random direction; VJPs
through the inner-product identity ``<u, J v> == <J^T u, v>`` with ``J v``
from finite differences. Complex values stay complex, never cast to real: a
complex input gets random complex tangents (and the JVP is also checked along
its real and its imaginary direction alone, since a non-holomorphic map is
only real-linear), a complex output a complex cotangent; inner products are
``Re(sum(conj(a) * b))``, and the VJP is JAX's transpose ``w -> w^T J`` (no
conjugation), so ``conj(vjp(conj(u)))`` is ``J^H u``. A derivative whose
imaginary part is wrong fails.

Higher orders recurse as JAX and autograd do: the JVP function
``(primals, tangents) -> jvp(f, primals, tangents)`` and the VJP function
``(primals, cotangent) -> vjp(f, *primals)[1](cotangent)`` are checked in
turn, as functions of *all* their arguments, so a rule that is used only
inside a derivative (a transpose, a custom ``bwd``) is itself differentiated
and checked. A complex cotangent enters the VJP function as its real and
imaginary parts (the VJP is real-linear in it), so the recursion never asks
for a derivative with respect to a complex input.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ftrans.tree_util import tree_flatten, tree_map, tree_unflatten
from ftrans.core import ClosedJaxpr
from ftrans.typing import ArrayLike, PyTree

__all__ = ["check_grads", "check_jvp", "check_vjp", "numerical_jvp", "measured_peak_bytes"]


def _dtype(x) -> np.dtype:
    # a tracer has a dtype but must not be turned into a numpy array
    return x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype


def _float_leaf(x) -> bool:
    return np.issubdtype(_dtype(x), np.inexact)


def _complex_leaf(x) -> bool:
    return np.issubdtype(_dtype(x), np.complexfloating)


def _random_array(shape, dtype, rng) -> np.ndarray:
    """Standard normal of ``dtype``: both parts random if it is complex."""
    if np.issubdtype(dtype, np.complexfloating):
        z = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
        return np.asarray(z).astype(dtype)
    return np.asarray(rng.standard_normal(shape)).astype(dtype)


def _random_like(tree, rng):
    """A random tangent of each float or complex leaf's shape and dtype."""
    return tree_map(lambda x: _random_array(np.shape(x), _dtype(x), rng)
                    if _float_leaf(x) else np.zeros(np.shape(x)), tree)


def _has_single_precision(tree) -> bool:
    return any(_float_leaf(x) and _dtype(x).itemsize <= (8 if _complex_leaf(x) else 4)
               for x in tree_flatten(tree)[0])


def _axpy(a, v, x):
    return tree_map(lambda vi, xi: xi + a * vi if _float_leaf(xi) else xi, v, x)


def _wide(x) -> np.ndarray:
    """``x`` as float64, or complex128 if it is complex (never drops a part)."""
    x = np.asarray(x)
    return x.astype(np.result_type(x.dtype, np.float64))


def _vdot(a, b) -> float:
    """``Re(sum(conj(a) * b))`` over the float and complex leaves (JAX's inner product)."""
    la, lb = tree_flatten(a)[0], tree_flatten(b)[0]
    return float(sum(np.real(np.vdot(_wide(x), _wide(y)))
                     for x, y in zip(la, lb) if _float_leaf(x) and _float_leaf(y)))


def numerical_jvp(f: Callable, args: Sequence, tangents: Sequence,
                  eps: float = 1e-6) -> PyTree:
    """Central difference ``(f(x + eps v) - f(x - eps v)) / (2 eps)``.

    The difference is taken in float64 (complex128 for complex outputs).

    >>> import numpy as np
    >>> round(float(numerical_jvp(np.sin, (0.0,), (1.0,))), 6)
    1.0
    >>> complex(np.round(numerical_jvp(lambda x: x * (1 + 2j), (1.0,), (1.0,)), 6))
    (1+2j)
    """
    hi = f(*_axpy(eps, tuple(tangents), tuple(args)))
    lo = f(*_axpy(-eps, tuple(tangents), tuple(args)))
    return tree_map(lambda h, lw: (_wide(h) - _wide(lw)) / (2 * eps), hi, lo)


def _assert_close(name, got, want, atol, rtol, what):
    g, w = tree_flatten(got)[0], tree_flatten(want)[0]
    if len(g) != len(w):
        raise AssertionError(f"{name}: {what} has {len(g)} leaves, expected {len(w)}")
    for a, b in zip(g, w):
        a, b = _wide(a), _wide(b)  # complex stays complex: both parts compared
        if a.shape != b.shape or not np.allclose(a, b, atol=atol, rtol=rtol):
            err = np.max(np.abs(a - b), initial=0.0) if a.shape == b.shape else "shape"
            raise AssertionError(f"{name}: {what} differs (max abs error {err}):\n"
                                 f"  AD:        {a}\n  numerical: {b}")


def _assert_same_kind(name, derivs, values, what):
    """A derivative of a complex value is complex, of a real value real."""
    for d, x in zip(tree_flatten(derivs)[0], tree_flatten(values)[0]):
        if _float_leaf(x) and _float_leaf(d) and _complex_leaf(d) != _complex_leaf(x):
            raise AssertionError(f"{name}: {what} has dtype {_dtype(d)} for a value of "
                                 f"dtype {_dtype(x)} (complex and real do not mix)")


def _directions(v):
    """``v``, and for complex leaves also ``Re v`` and ``i Im v`` alone: a
    real-linear ``J`` is checked on both the real and the imaginary axis."""
    leaves = tree_flatten(v)[0]
    if not any(_float_leaf(x) and _complex_leaf(x) for x in leaves):
        return [("", v)]
    part = lambda fn: tree_map(  # noqa: E731
        lambda x: fn(x).astype(_dtype(x)) if _complex_leaf(x) else x, v)
    return [("", v), (" (real direction)", part(np.real)),
            (" (imaginary direction)", part(lambda x: 1j * np.imag(x)))]


def _check_jvp(f, args, atol, rtol, eps, rng, name):
    from ftrans.api import jvp
    for where, v in _directions(_random_like(args, rng)):
        out, t = jvp(f, args, v)
        _assert_close(name, out, f(*args), atol, rtol, "primal output")
        _assert_same_kind(name, t, out, "the tangent output")
        _assert_close(name, t, numerical_jvp(f, args, v, eps), atol, rtol,
                      "J v (forward mode)" + where)


def _check_vjp(f, args, atol, rtol, eps, rng, name):
    from ftrans.api import vjp
    out, f_vjp = vjp(f, *args)
    _assert_close(name, out, f(*args), atol, rtol, "primal output")
    u = _random_like(out, rng)
    v = _random_like(args, rng)
    # conj(vjp(conj(u))) is J^H u under JAX's convention (vjp(w) = w^T J)
    conj = lambda x: np.conj(x) if _float_leaf(x) else x  # noqa: E731 (not float0)
    ct = tree_map(conj, f_vjp(tree_map(conj, u)))
    _assert_same_kind(name, ct, args, "the cotangent of an input")
    lhs = _vdot(numerical_jvp(f, args, v, eps), u)   # Re <J v, u>
    rhs = _vdot(v, ct)                               # Re <v, J^H u>
    scale = max(1.0, abs(lhs))
    if not abs(lhs - rhs) <= atol * scale + rtol * abs(lhs):
        raise AssertionError(f"{name}: Re <u, J v> = {lhs} (numerical) but "
                             f"Re <J^H u, v> = {rhs} (reverse mode)")


def check_jvp(f: Callable, args: Sequence, atol: float = 1e-5, rtol: float = 1e-5,
              eps: float = 1e-6, rng: np.random.Generator | None = None) -> None:
    """Compare ``ftrans.jvp`` with central differences in a random direction.

    Raises ``AssertionError`` if the primal output or the tangent differs.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> check_jvp(jnp.tanh, (np.array([0.1, 0.7]),))
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    _check_jvp(f, tuple(args), atol, rtol, eps, rng, "check_jvp")


def check_vjp(f: Callable, args: Sequence, atol: float = 1e-5, rtol: float = 1e-5,
              eps: float = 1e-6, rng: np.random.Generator | None = None) -> None:
    """Check ``Re <u, J v> == Re <J^H u, v>`` with ``J v`` by central differences.

    ``u`` is complex where the output is; ``J^H u`` is ``conj(vjp(conj(u)))``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> check_vjp(jnp.tanh, (np.array([0.1, 0.7]),))
    """
    rng = rng if rng is not None else np.random.default_rng(1)
    _check_vjp(f, tuple(args), atol, rtol, eps, rng, "check_vjp")


def _differentiable(tree):
    """The float leaves of ``tree``, and a function putting new ones in their place."""
    leaves, treedef = tree_flatten(tree)
    pos = [i for i, x in enumerate(leaves) if _float_leaf(x)]

    def rebuild(new, base=leaves):
        full = list(base)
        for i, x in zip(pos, new):
            full[i] = x
        return tree_unflatten(treedef, full)

    return [leaves[i] for i in pos], rebuild


def _jvp_function(f, args, rng):
    """``(primals, tangents) -> jvp(f, primals, tangents)`` on flat float leaves.

    Returns it with a point to check it at: ``args`` and a random tangent.
    The outputs are the float primal outputs, then their tangents.
    """
    from ftrans.api import jvp
    xs, rebuild = _differentiable(args)
    # an integer leaf keeps the zero tangent check_jvp gives it
    zeros = tree_flatten(tree_map(lambda x: np.zeros(np.shape(x)), args))[0]
    n = len(xs)

    def f_jvp(*xs_and_ts):
        primals = rebuild(xs_and_ts[:n])
        tangents = rebuild(xs_and_ts[n:], zeros)
        out, t = jvp(f, tuple(primals), tuple(tangents))
        outs, t_outs = tree_flatten(out)[0], tree_flatten(t)[0]
        keep = [i for i, o in enumerate(outs) if _float_leaf(o)]
        return tuple(outs[i] for i in keep) + tuple(t_outs[i] for i in keep)

    ts = [_random_array(np.shape(x), _dtype(x), rng) for x in xs]
    return f_jvp, tuple(xs) + tuple(ts)


def _vjp_function(f, args, rng):
    """``(primals, cotangent) -> vjp(f, *primals)[1](cotangent)`` on flat float leaves.

    A complex output's cotangent is passed as two real arrays (its real and
    imaginary parts); the outputs are the cotangents of the float inputs.
    """
    from ftrans.api import vjp
    xs, rebuild = _differentiable(args)
    out_leaves, out_tree = tree_flatten(f(*args))
    u = tree_flatten(_random_like(tree_unflatten(out_tree, out_leaves), rng))[0]
    n = len(xs)
    parts = []                                   # (output leaf index, complex?)
    ct_args = []
    for i, o in enumerate(out_leaves):
        if _complex_leaf(o):
            parts.append((i, True))
            ct_args += [np.real(u[i]), np.imag(u[i])]
        elif _float_leaf(o):
            parts.append((i, False))
            ct_args.append(u[i])

    def f_vjp(*xs_and_cts):
        primals = rebuild(xs_and_cts[:n])
        cts, k = list(u), n
        for i, is_complex in parts:
            if is_complex:
                re, im = xs_and_cts[k], xs_and_cts[k + 1]
                cts[i], k = (re + 1j * im).astype(_dtype(out_leaves[i])), k + 2
            else:
                cts[i], k = xs_and_cts[k], k + 1
        _, pullback = vjp(f, *primals)
        ct_in = tree_flatten(pullback(tree_unflatten(out_tree, cts)))[0]
        return tuple(ct_in[i] for i, x in enumerate(tree_flatten(args)[0]) if _float_leaf(x))

    return f_vjp, tuple(xs) + tuple(ct_args)


def check_grads(f: Callable, args: Sequence, order: int,
                modes: Sequence[str] = ("fwd", "rev"), atol: float | None = None,
                rtol: float | None = None, eps: float | None = None,
                seed: int = 0) -> None:
    """Check ``f``'s derivatives up to ``order`` in forward and/or reverse mode.

    Order 1 checks ``jvp`` and ``vjp`` of ``f`` at ``args``; order ``k``
    then checks the JVP function ``(primals, tangents) -> jvp(f, ...)`` and
    the VJP function ``(primals, cotangents) -> vjp(f, ...)[1](...)`` to
    order ``k - 1``, with respect to all their arguments. Defaults are
    looser (1e-2, eps 1e-3) when an argument is float32 or complex64.

    Raises ``AssertionError`` on a wrong derivative, naming the chain of
    derivative functions where it was found (``"VJP of JVP"``: the VJP
    check of the JVP function). Complex inputs and outputs are checked with
    complex directions and cotangents (see the module docstring).

    >>> import numpy as np, ftrans.numpy as jnp
    >>> check_grads(jnp.sin, (np.array([0.3, 1.2]),), order=2)
    >>> check_grads(lambda x: jnp.exp(x) * (1 + 0.2j), (np.array([0.5]),), order=2)
    >>> check_grads(lambda z: jnp.conj(z) * jnp.sin(z), (np.array([0.5 + 1j]),), order=2)
    """
    single = _has_single_precision(tuple(args))  # float32 needs looser defaults
    atol = (1e-2 if single else 1e-5) if atol is None else atol
    rtol = (1e-2 if single else 1e-5) if rtol is None else rtol
    eps = (1e-3 if single else 1e-6) if eps is None else eps
    rng = np.random.default_rng(seed)

    def check(f, args, order, of):
        if "fwd" in modes:
            name = "check_grads: JVP" + of
            _check_jvp(f, args, atol, rtol, eps, rng, name)
            if order > 1:
                f_jvp, at = _jvp_function(f, args, rng)
                check(f_jvp, at, order - 1, " of JVP" + of)
        if "rev" in modes:
            name = "check_grads: VJP" + of
            _check_vjp(f, args, atol, rtol, eps, rng, name)
            if order > 1:
                f_vjp, at = _vjp_function(f, args, rng)
                check(f_vjp, at, order - 1, " of VJP" + of)

    check(f, tuple(args), order, "")


def measured_peak_bytes(closed: ClosedJaxpr, *args: ArrayLike) -> int:
    """The peak of memory that ``tracemalloc`` traces while ``eval_jaxpr`` runs
    ``closed`` (a ``ClosedJaxpr``) on the flat ``args``: what
    ``cost_analysis(...).peak_bytes`` predicts, measured.

    >>> import numpy as np, ftrans
    >>> closed = ftrans.make_jaxpr(lambda x: (x * 2.0) * 3.0)(np.ones(10_000))
    >>> measured_peak_bytes(closed, np.ones(10_000)) >= 2 * 80_000  # two live f64[10000]
    True
    """
    import tracemalloc

    from ftrans.eval import eval_jaxpr
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = eval_jaxpr(closed.jaxpr, closed.consts, *args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del out
    return peak
