"""``custom_jvp``, ``custom_vjp`` and ``checkpoint``: user-defined derivative
rules and rematerialization, as in JAX.

Calling a decorated function traces the function into a jaxpr and binds one
primitive (see ``ftrans/prims/special.py``) that carries the user's rule; the
rule runs when, and only when, that equation is differentiated, so every
transformation, nested ones included, uses it.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

from ftrans.core import get_aval
from ftrans.errors import fn_name
from ftrans.eval import eval_jaxpr
from ftrans.prims._subjaxpr import as_operand, concrete_values, trace_tree_fn
from ftrans.prims.special import custom_jvp_call_p, custom_vjp_call_p, remat_p
from ftrans.tracing import trace_to_jaxpr
from ftrans.tree_util import tree_flatten, tree_unflatten

__all__ = ["custom_jvp", "custom_vjp", "checkpoint", "remat"]


def _merger(nondiff_argnums, n_args):
    """Rebuild the full argument tuple from the nondiff and diff arguments."""
    def merge(nondiff, diff):
        nd, d = iter(nondiff), iter(diff)
        return tuple(next(nd) if i in nondiff_argnums else next(d) for i in range(n_args))
    return merge


def _split_args(args, nondiff_argnums):
    nondiff = tuple(args[i] for i in nondiff_argnums)
    diff = tuple(a for i, a in enumerate(args) if i not in nondiff_argnums)
    return nondiff, diff


def _flatten_operands(tree_of_args):
    flat, tree = tree_flatten(tree_of_args)
    flat = [as_operand(x) for x in flat]
    return flat, tree, [get_aval(x) for x in flat]


def _check_types(who, what, tree, leaves, want_tree, want_avals):
    avals = [get_aval(as_operand(x)) for x in leaves]
    if tree != want_tree or avals != list(want_avals):
        raise TypeError(
            f"{who}: {what} must match the function's output: expected structure "
            f"{want_tree} with types {[a.str_short() for a in want_avals]}, got "
            f"{tree} with types {[a.str_short() for a in avals]}")


class _Traced:
    """A call of a decorated function: its arguments split into nondiff and
    differentiable ones, and the function traced on the latter. When their
    values are known (a plain call, or under ``grad`` on concrete inputs) the
    tracing is concrete, so Python control flow on them works, as in JAX."""

    def __init__(self, kind: str, fun: Callable, nondiff_argnums, args):
        self.merge = _merger(nondiff_argnums, len(args))
        self.nondiff, self.diff = _split_args(args, nondiff_argnums)
        self.flat, self.in_tree, avals = _flatten_operands(self.diff)
        self.vals = concrete_values(self.flat)
        self.call, self.consts, self.out_tree = trace_tree_fn(
            lambda d: fun(*self.merge(self.nondiff, d)), [self.in_tree], avals, kind,
            self.vals)


def _with_known_values(rule: Callable, n_out: int, known, args, kind: str):
    """``rule(*args)`` (two flat lists in, two flat lists out, the first
    ``n_out`` long) staged into the current trace. The first ``len(known)``
    arguments are traced with the values they had at the call, so that the
    user's rule may branch on them; returns ``(outs, rest, values)``."""
    avals = [get_aval(a) for a in args]
    n_known = len(known)

    def flat_rule(*xs):
        first, second = rule(list(xs[:n_known]), list(xs[n_known:]))
        return [*first, *second]

    closed, out_vals = trace_to_jaxpr(flat_rule, avals, [*known, *[None] * (len(args)
                                                                        - n_known)],
                                      transform=kind)
    outs = eval_jaxpr(closed.jaxpr, closed.consts, *args)
    return outs[:n_out], outs[n_out:], out_vals[n_out:]


class custom_jvp:
    """A function with a user-defined JVP rule (``defjvp`` or ``defjvps``).

    >>> import ftrans, ftrans.numpy as jnp, ftrans.nn
    >>> @custom_jvp
    ... def log1pexp(x):
    ...     return jnp.log1p(jnp.exp(x))
    >>> @log1pexp.defjvp
    ... def _(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), t * ftrans.nn.sigmoid(x)
    >>> float(ftrans.grad(log1pexp)(100.0))
    1.0
    """

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp: Callable | None = None

    def defjvp(self, jvp: Callable) -> Callable:
        """Set the rule ``jvp(*nondiff_args, primals, tangents) -> (out, out_tangent)``."""
        self.jvp = jvp
        return jvp

    def defjvps(self, *tangent_fns: Callable | None) -> None:
        """Set one rule per argument, ``fn(t_i, out, *primals)``; contributions add."""
        def jvp(*args):
            *nondiff, primals, tangents = args
            merge = _merger(self.nondiff_argnums, len(primals) + len(nondiff))
            out = self.fun(*merge(nondiff, primals))
            terms = [fn(t, out, *primals) for fn, t in zip(tangent_fns, tangents)
                     if fn is not None]
            return out, functools.reduce(lambda a, b: a + b, terms) if terms else out * 0.0
        self.jvp = jvp

    def __call__(self, *args):
        name = fn_name(self.fun)
        if self.jvp is None:
            raise TypeError(f"custom_jvp {name} has no JVP rule: define one with "
                            f"@{name}.defjvp")
        t = _Traced("custom_jvp", self.fun, self.nondiff_argnums, args)

        def jvp(primals_flat, tangents_flat):
            primals = tree_unflatten(t.in_tree, primals_flat)
            tangents = tree_unflatten(t.in_tree, tangents_flat)
            out, out_t = self.jvp(*t.nondiff, primals, tangents)
            out_flat, tree = tree_flatten(out)
            t_flat, t_tree = tree_flatten(out_t)
            who, want = f"custom_jvp rule of {name}", t.call.out_avals
            _check_types(who, "the primal output", tree, out_flat, t.out_tree, want)
            _check_types(who, "the tangent output", t_tree, t_flat, t.out_tree, want)
            return out_flat, t_flat

        def jvp_with_values(primals_flat, tangents_flat):
            if t.vals is None:
                return jvp(primals_flat, tangents_flat)
            outs, out_t, _ = _with_known_values(jvp, len(t.call.out_avals), t.vals,
                                                [*primals_flat, *tangents_flat],
                                                "custom_jvp")
            return outs, out_t

        outs = custom_jvp_call_p.bind(*t.consts, *t.flat, call_jaxpr=t.call,
                                      jvp=jvp_with_values, num_consts=len(t.consts))
        return tree_unflatten(t.out_tree, outs)


class custom_vjp:
    """A function with a user-defined VJP rule, set with ``defvjp(fwd, bwd)``.

    >>> import ftrans, ftrans.numpy as jnp
    >>> @custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None),
    ...                      lambda res, g: (jnp.clip(g, -1.0, 1.0),))
    >>> float(ftrans.grad(lambda x: 5.0 * clip_gradient(x))(2.0))
    1.0
    """

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """``fwd(*args) -> (out, residuals)``; ``bwd(*nondiff_args, residuals, ct)``
        returns a tuple with one cotangent per differentiable argument."""
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args):
        name = fn_name(self.fun)
        if self.fwd is None:
            raise TypeError(f"custom_vjp {name} has no rule: define one with "
                            f"{name}.defvjp(fwd, bwd)")
        t = _Traced("custom_vjp", self.fun, self.nondiff_argnums, args)
        res_tree = {}

        def fwd(primals_flat):
            pair = self.fwd(*t.merge(t.nondiff, tree_unflatten(t.in_tree, primals_flat)))
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise TypeError(f"custom_vjp fwd of {name} must return (output, residuals)")
            out, res = pair
            out_flat, tree = tree_flatten(out)
            _check_types(f"custom_vjp fwd of {name}", "its output", tree, out_flat,
                         t.out_tree, t.call.out_avals)
            res_flat, res_tree["tree"] = tree_flatten(res)
            return out_flat, [as_operand(r) for r in res_flat]

        def bwd(res_flat, cts_flat):
            res = tree_unflatten(res_tree["tree"], res_flat)
            cts = self.bwd(*t.nondiff, res, tree_unflatten(t.out_tree, cts_flat))
            if not isinstance(cts, tuple) or len(cts) != len(t.diff):
                raise TypeError(f"custom_vjp bwd of {name} must return a tuple with one "
                                f"cotangent per differentiable argument ({len(t.diff)})")
            return _flat_cotangents(t.diff, cts, name)

        res_vals = {}  # the residuals' values, when fwd was traced on known values

        def fwd_with_values(primals_flat):
            if t.vals is None:
                return fwd(primals_flat)
            outs, res, res_vals["res"] = _with_known_values(
                lambda p, _: fwd(p), len(t.call.out_avals), t.vals, primals_flat,
                "custom_vjp")
            return outs, res

        def bwd_with_values(res_flat, cts_flat):
            known = res_vals.get("res")
            if known is None or any(v is None for v in known):
                return bwd(res_flat, cts_flat)
            _, cts, _ = _with_known_values(lambda r, c: ([], bwd(r, c)), 0, known,
                                           [*res_flat, *cts_flat], "custom_vjp")
            return cts

        outs = custom_vjp_call_p.bind(*t.consts, *t.flat, call_jaxpr=t.call,
                                      fwd=fwd_with_values, bwd=bwd_with_values,
                                      num_consts=len(t.consts))
        return tree_unflatten(t.out_tree, outs)


def _flat_cotangents(args, cts, name):
    """Flatten ``cts`` like ``args``; ``None`` stands for zeros."""
    from ftrans.ad_util import zeros
    out = []
    for arg, ct in zip(args, cts):
        leaves, tree = tree_flatten(arg)
        if ct is None:
            out.extend(zeros(get_aval(as_operand(x))) for x in leaves)
            continue
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != tree:
            raise TypeError(f"custom_vjp bwd of {name}: a cotangent has structure "
                            f"{ct_tree}, but its argument has structure {tree}")
        for x, c in zip(leaves, ct_leaves):
            want, got = get_aval(as_operand(x)), get_aval(as_operand(c))
            if want.shape != got.shape:
                raise TypeError(f"custom_vjp bwd of {name}: a cotangent has type "
                                f"{got.str_short()}, but its argument has type "
                                f"{want.str_short()}")
            if got.dtype.kind == "c" and want.dtype.kind != "c":
                raise TypeError(f"custom_vjp bwd of {name}: a cotangent is complex "
                                f"({got.str_short()}) for a real argument of type "
                                f"{want.str_short()}; return its real part if that is "
                                f"the derivative you mean")
            out.append(as_operand(c))
    return out


def checkpoint(fun: Callable, prevent_cse: bool = True,
               static_argnums: Sequence[int] = ()) -> Callable:
    """``fun`` whose intermediates are recomputed in the backward pass instead
    of saved: only its inputs are kept as residuals.

    >>> import ftrans, ftrans.numpy as jnp
    >>> f = checkpoint(lambda x: jnp.sin(jnp.sin(x)))
    >>> round(float(ftrans.grad(f)(1.0)), 6)
    0.360039
    """
    static = tuple(static_argnums)

    @functools.wraps(fun)
    def remat_f(*args):
        dyn_idx = [i for i in range(len(args)) if i not in static]
        flat, in_tree, avals = _flatten_operands(tuple(args[i] for i in dyn_idx))

        def dyn_fun(dyn):
            full = list(args)
            for i, d in zip(dyn_idx, dyn):
                full[i] = d
            return fun(*full)

        jaxpr, consts, out_tree = trace_tree_fn(dyn_fun, [in_tree], avals, "checkpoint")
        outs = remat_p.bind(*consts, *flat, jaxpr=jaxpr, prevent_cse=prevent_cse)
        return tree_unflatten(out_tree, outs)

    return remat_f


remat = checkpoint
