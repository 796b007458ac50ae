"""``custom_jvp``, ``custom_vjp`` and ``checkpoint``: user-defined derivative
rules and rematerialization, as in JAX.

Calling a decorated function traces the function and its rules into jaxprs
and binds one primitive (see ``ftrans/prims/special.py``), so every
transformation, nested ones included, uses the user's rule.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

from ftrans.core import get_aval
from ftrans.errors import fn_name
from ftrans.prims._subjaxpr import as_operand, trace_tree_fn
from ftrans.prims.special import custom_jvp_call_p, custom_vjp_call_p, remat_p
from ftrans.tree_util import tree_flatten, tree_unflatten

__all__ = ["custom_jvp", "custom_vjp", "checkpoint", "remat"]


def _split_args(args, nondiff_argnums):
    nondiff = tuple(args[i] for i in nondiff_argnums)
    diff = tuple(a for i, a in enumerate(args) if i not in nondiff_argnums)
    return nondiff, diff


def _merger(nondiff_argnums, n_args):
    def merge(nondiff, diff):
        nd, d = iter(nondiff), iter(diff)
        return tuple(next(nd) if i in nondiff_argnums else next(d) for i in range(n_args))
    return merge


def _flatten_operands(diff):
    flat, tree = tree_flatten(diff)
    flat = [as_operand(x) for x in flat]
    return flat, tree, [get_aval(x) for x in flat]


def _check_same_types(who, what, got_tree, got_avals, want_tree, want_avals):
    if got_tree != want_tree or list(got_avals) != list(want_avals):
        raise TypeError(
            f"{who}: {what} must match the function's output: expected structure "
            f"{want_tree} with types {[a.str_short() for a in want_avals]}, got "
            f"{got_tree} with types {[a.str_short() for a in got_avals]}")


class custom_jvp:
    """A function with a user-defined JVP rule.

    >>> import ftrans, ftrans.numpy as jnp
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
        """Set the rule ``jvp(*nondiff, primals, tangents) -> (out, out_tangent)``."""
        self.jvp = jvp
        return jvp

    def defjvps(self, *tangent_fns: Callable | None) -> None:
        """Set one rule per argument: ``fn(t_i, out, *primals) -> contribution``."""
        def jvp(*args):
            *nondiff, primals, tangents = args
            out = self.fun(*_merger(self.nondiff_argnums, len(primals) + len(nondiff))(
                nondiff, primals))
            total = None
            for fn, t in zip(tangent_fns, tangents):
                if fn is not None:
                    c = fn(t, out, *primals)
                    total = c if total is None else total + c
            return out, total if total is not None else out * 0.0
        self.jvp = jvp

    def __call__(self, *args):
        if self.jvp is None:
            raise TypeError(f"custom_jvp {fn_name(self.fun)} has no JVP rule: "
                            "define one with @f.defjvp")
        merge = _merger(self.nondiff_argnums, len(args))
        nondiff, diff = _split_args(args, self.nondiff_argnums)
        flat, in_tree, avals = _flatten_operands(diff)
        call, consts, out_tree = trace_tree_fn(
            lambda d: self.fun(*merge(nondiff, d)), [in_tree], avals, "custom_jvp")

        def jvp_fn(primals, tangents):
            out, out_t = self.jvp(*nondiff, primals, tangents)
            out_flat, tree = tree_flatten(out)
            t_flat, t_tree = tree_flatten(out_t)
            _check_same_types(f"custom_jvp rule of {fn_name(self.fun)}", "the primal output",
                              tree, [get_aval(o) for o in out_flat], out_tree, call.out_avals)
            _check_same_types(f"custom_jvp rule of {fn_name(self.fun)}", "the tangent output",
                              t_tree, [get_aval(o) for o in t_flat], out_tree, call.out_avals)
            return tuple(out_flat) + tuple(t_flat)

        jvp, jvp_consts, _ = trace_tree_fn(jvp_fn, [in_tree, in_tree], avals + avals,
                                           "custom_jvp")
        # operands: the constants of the function and of its rule, then the
        # arguments; each jaxpr ignores the other's constants
        call_j, jvp_j = _with_shared_consts([call, jvp], [consts, jvp_consts])
        outs = custom_jvp_call_p.bind(*consts, *jvp_consts, *flat, call_jaxpr=call_j,
                                      jvp_jaxpr=jvp_j,
                                      num_consts=len(consts) + len(jvp_consts))
        return tree_unflatten(out_tree, outs)


class custom_vjp:
    """A function with a user-defined VJP rule: ``defvjp(fwd, bwd)``.

    >>> import ftrans
    >>> @custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> def fwd(x):
    ...     return x, None
    >>> def bwd(res, g):
    ...     return (ftrans.numpy.clip(g, -1.0, 1.0),)
    >>> clip_gradient.defvjp(fwd, bwd)
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
        """``fwd(*args) -> (out, residuals)``; ``bwd(*nondiff, residuals, ct) -> cts``."""
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args):
        if self.fwd is None:
            raise TypeError(f"custom_vjp {fn_name(self.fun)} has no rule: define one "
                            "with f.defvjp(fwd, bwd)")
        name = fn_name(self.fun)
        merge = _merger(self.nondiff_argnums, len(args))
        nondiff, diff = _split_args(args, self.nondiff_argnums)
        flat, in_tree, avals = _flatten_operands(diff)
        call, call_consts, out_tree = trace_tree_fn(
            lambda d: self.fun(*merge(nondiff, d)), [in_tree], avals, "custom_vjp")
        res_store = {}

        def fwd_fn(d):
            pair = self.fwd(*merge(nondiff, d))
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise TypeError(f"custom_vjp fwd of {name} must return (output, residuals)")
            out, res = pair
            out_flat, tree = tree_flatten(out)
            _check_same_types(f"custom_vjp fwd of {name}", "its output", tree,
                              [get_aval(as_operand(o)) for o in out_flat], out_tree,
                              call.out_avals)
            res_flat, res_store["tree"] = tree_flatten(res)
            res_store["n"] = len(res_flat)
            return (*out_flat, *res_flat)

        fwd, fwd_consts, _ = trace_tree_fn(fwd_fn, [in_tree], avals, "custom_vjp")
        res_avals = fwd.out_avals[len(call.out_avals):]

        def bwd_fn(res_flat, ct_flat):
            res = tree_unflatten(res_store["tree"], res_flat)
            ct = tree_unflatten(out_tree, ct_flat)
            cts = self.bwd(*nondiff, res, ct)
            if not isinstance(cts, tuple) or len(cts) != len(diff):
                raise TypeError(f"custom_vjp bwd of {name} must return a tuple with one "
                                f"cotangent per differentiable argument ({len(diff)})")
            cts_flat = []
            for arg, c in zip(diff, cts):
                leaves = tree_flatten(arg)[0]
                c_leaves = (tree_flatten(c)[0] if c is not None
                            else [None] * len(leaves))
                for leaf, cl in zip(leaves, c_leaves):
                    cts_flat.append(_zeros_like(leaf) if cl is None else cl)
            return cts_flat

        res_tree = res_store["tree"]
        bwd, bwd_consts, _ = trace_tree_fn(
            lambda r, c: bwd_fn(tree_flatten(r)[0], tree_flatten(c)[0]),
            [res_tree, out_tree], list(res_avals) + call.out_avals, "custom_vjp")
        n_c = len(call_consts) + len(fwd_consts) + len(bwd_consts)
        # operands: constants of call, fwd and bwd, then the arguments; each
        # jaxpr ignores the constants of the others
        call_j, fwd_j, bwd_j = _with_shared_consts(
            [call, fwd, bwd], [call_consts, fwd_consts, bwd_consts])
        outs = custom_vjp_call_p.bind(*call_consts, *fwd_consts, *bwd_consts, *flat,
                                      call_jaxpr=call_j, fwd_jaxpr=fwd_j,
                                      bwd_jaxpr=bwd_j, num_consts=n_c,
                                      num_res=len(res_avals))
        return tree_unflatten(out_tree, outs)


def _zeros_like(leaf):
    from ftrans.ad_util import zeros
    return zeros(get_aval(as_operand(leaf)))


def _with_shared_consts(jaxprs, consts_lists):
    """Each jaxpr re-typed to take all constants (of every jaxpr) first."""
    from ftrans.core import ClosedJaxpr, Jaxpr, Var
    all_avals = [get_aval(c) for cs in consts_lists for c in cs]
    out, start = [], 0
    for closed, cs in zip(jaxprs, consts_lists):
        j, k = closed.jaxpr, len(cs)
        fresh = [Var(a) for a in all_avals]
        invars = fresh[:start] + j.invars[:k] + fresh[start + k:] + j.invars[k:]
        out.append(ClosedJaxpr(Jaxpr(j.constvars, invars, j.eqns, j.outvars), closed.consts))
        start += k
    return out


def checkpoint(fun: Callable, prevent_cse: bool = True,
               static_argnums: Sequence[int] = ()) -> Callable:
    """``fun`` whose intermediates are recomputed in the backward pass
    instead of saved (only its inputs are kept as residuals).

    >>> import ftrans, ftrans.numpy as jnp
    >>> f = checkpoint(lambda x: jnp.sin(jnp.sin(x)))
    >>> round(float(ftrans.grad(f)(1.0)), 6)
    0.36003
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
