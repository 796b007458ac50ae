"""``custom_jvp``, ``custom_vjp`` and ``checkpoint``: user-defined derivative
rules and rematerialization, as in JAX.

Calling a decorated function traces the function into a jaxpr and binds one
primitive (see ``ftrans/prims/special.py``) whose params carry that jaxpr and
the user's rule as a rule object. The rule is traced into jaxprs by that
object: right away, with the values of the arguments, when the call is
differentiated on concrete values (so that a Python ``if`` in the rule works
under ``grad``, as in JAX's tutorial), and otherwise on first use. Every
transformation, nested ones included, then uses those jaxprs.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

from ftrans.ad_util import Zero, instantiate
from ftrans.core import get_aval
from ftrans.errors import fn_name
from ftrans.prims._subjaxpr import as_operand, concrete_values, custom_body, trace_tree_fn
from ftrans.prims.special import (JvpRule, VjpRule, as_policy, custom_jvp_call_p,
                                  custom_vjp_call_p, remat_p)
from ftrans.tracing import Tracer
from ftrans.tree_util import tree_flatten, tree_map, tree_structure, tree_unflatten

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


def _aval(x):
    return x.aval if type(x) is Zero else get_aval(as_operand(x))


def _check_types(who, what, tree, leaves, want_tree, want_avals):
    avals = [_aval(x) for x in leaves]
    if tree != want_tree or avals != list(want_avals):
        raise TypeError(
            f"{who}: {what} must match the function's output: expected structure "
            f"{want_tree} with types {[a.str_short() for a in want_avals]}, got "
            f"{tree} with types {[a.str_short() for a in avals]}")


def _known_value(x):
    """A nondiff argument's leaf: a tracer whose value is known and carries no
    derivative is passed by its value. The rule, traced maybe after the
    tracer's trace is gone, then does not hold it (an unmapped argument of
    ``vmap`` is such a tracer, and its rule is traced by ``grad(vmap(f))``)."""
    if type(x) is Tracer and x.val is not None and not x.diff:
        return x.val
    return x


def _static_args(values) -> tuple | None:
    """The nondiff arguments as part of a cache key (None if one is an array,
    which has no reliable key)."""
    if any(type(v) is Tracer or isinstance(v, np.ndarray) for v in values):
        return None
    return tuple((type(v), v) for v in values)


class _Traced:
    """A call of a decorated function: its arguments split into nondiff and
    differentiable ones, and the function traced on the latter. When their
    values are known (a plain call, or under ``grad`` on concrete inputs) the
    tracing is concrete, so Python control flow on them works, as in JAX."""

    def __init__(self, kind: str, fun: Callable, nondiff_argnums, args):
        self.merge = merge = _merger(nondiff_argnums, len(args))
        nondiff, diff = _split_args(args, nondiff_argnums)
        self.nondiff = tuple(tree_map(_known_value, v) for v in nondiff)
        self.flat, self.in_tree, self.avals = _flatten_operands(diff)
        self.arg_trees = [tree_structure(d) for d in diff]
        nondiff = self.nondiff
        self.call, self.consts, self.out_tree = trace_tree_fn(
            custom_body(lambda d: fun(*merge(nondiff, d))), [self.in_tree], self.avals, kind,
            concrete_values(self.flat))
        self.out_avals = self.call.out_avals

    def static(self, *rules):
        """What the rule function built for this call depends on, as a key."""
        nondiff = _static_args(self.nondiff)
        if nondiff is None:
            return None
        return (*rules, nondiff, self.in_tree, self.out_tree, tuple(self.avals),
                tuple(self.out_avals))


def _jvp_rule_fn(jvp: Callable, takes_zeros: bool, nondiff, in_tree, out_tree, out_avals,
                 name: str) -> Callable:
    """The user's JVP rule on flat lists; tangents may be symbolic ``Zero``s,
    which ``jvp`` sees as zero arrays unless it ``takes_zeros``."""
    who = f"custom_jvp rule of {name}"

    def rule(primals_flat, tangents_flat):
        if not takes_zeros:
            tangents_flat = [instantiate(t) for t in tangents_flat]
        pair = jvp(*nondiff, tree_unflatten(in_tree, primals_flat),
                   tree_unflatten(in_tree, tangents_flat))
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(f"{who} must return a pair (primal output, tangent output), "
                            f"got {type(pair).__name__}")
        out, out_t = pair
        out_flat, tree = tree_flatten(out)
        t_flat, t_tree = tree_flatten(out_t)
        _check_types(who, "the primal output", tree, out_flat, out_tree, out_avals)
        _check_types(who, "the tangent output", t_tree, t_flat, out_tree, out_avals)
        return out_flat, [t if type(t) is Zero else as_operand(t) for t in t_flat]

    return rule


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
        self._takes_zeros = False  # the rule handles symbolic zero tangents itself

    def defjvp(self, jvp: Callable) -> Callable:
        """Set the rule ``jvp(*nondiff_args, primals, tangents) -> (out, out_tangent)``."""
        self.jvp, self._takes_zeros = jvp, False
        return jvp

    def defjvps(self, *tangent_fns: Callable | None) -> None:
        """Set one rule per argument, ``fn(t_i, out, *primals)``; contributions add.
        An argument without a tangent (or without a rule) contributes nothing:
        no zeros are computed for it."""
        def jvp(*args):
            *nondiff, primals, tangents = args
            merge = _merger(self.nondiff_argnums, len(primals) + len(nondiff))
            out = self(*merge(nondiff, primals))
            out_leaves, out_tree = tree_flatten(out)
            total = None
            for fn, t in zip(tangent_fns, tangents):
                leaves, t_tree = tree_flatten(t)
                if fn is None or all(type(x) is Zero for x in leaves):
                    continue
                term = fn(tree_unflatten(t_tree, [instantiate(x) for x in leaves]), out,
                          *primals)
                term_leaves, term_tree = tree_flatten(term)
                if term_tree != out_tree:
                    return out, term  # the rule's check names the mismatch
                total = term_leaves if total is None else [
                    a + b for a, b in zip(total, term_leaves)]
            if total is None:
                total = [Zero(_aval(o)) for o in out_leaves]
            return out, tree_unflatten(out_tree, total)

        self.jvp, self._takes_zeros = jvp, True

    def __call__(self, *args):
        name = fn_name(self.fun)
        if self.jvp is None:
            raise TypeError(f"custom_jvp {name} has no JVP rule: define one with "
                            f"@{name}.defjvp")
        t = _Traced("custom_jvp", self.fun, self.nondiff_argnums, args)
        fn = _jvp_rule_fn(self.jvp, self._takes_zeros, t.nondiff, t.in_tree, t.out_tree,
                          t.out_avals, name)
        rule = JvpRule((fn,), t.avals, t.out_avals, t.static(self.jvp, self._takes_zeros),
                       name)
        outs = custom_jvp_call_p.bind(*t.consts, *t.flat, call_jaxpr=t.call, jvp_rule=rule,
                                      num_consts=len(t.consts))
        return tree_unflatten(t.out_tree, outs)


def _fwd_fn(fwd: Callable, merge, nondiff, in_tree, out_tree, out_avals, name: str):
    """The user's fwd on flat lists: ``primals -> (outs, residuals, residual tree)``."""
    def flat_fwd(primals_flat):
        pair = fwd(*merge(nondiff, tree_unflatten(in_tree, primals_flat)))
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"custom_vjp fwd of {name} must return (output, residuals)")
        out, res = pair
        out_flat, tree = tree_flatten(out)
        _check_types(f"custom_vjp fwd of {name}", "its output", tree, out_flat, out_tree,
                     out_avals)
        res_flat, res_tree = tree_flatten(res)
        return out_flat, [as_operand(r) for r in res_flat], res_tree
    return flat_fwd


def _bwd_fn(bwd: Callable, nondiff, out_tree, arg_trees, avals, name: str):
    """The user's bwd on flat lists: ``(residual tree, residuals, cotangents) ->
    one cotangent per input leaf`` (``Zero`` where bwd returned None)."""
    arg_avals, i = [], 0
    for tree in arg_trees:
        arg_avals.append(avals[i:i + tree.num_leaves])
        i += tree.num_leaves

    def flat_bwd(res_tree, res_flat, cts_flat):
        cts = bwd(*nondiff, tree_unflatten(res_tree, res_flat),
                  tree_unflatten(out_tree, cts_flat))
        if not isinstance(cts, tuple) or len(cts) != len(arg_trees):
            raise TypeError(f"custom_vjp bwd of {name} must return a tuple with one "
                            f"cotangent per differentiable argument ({len(arg_trees)})")
        return _flat_cotangents(arg_trees, arg_avals, cts, name)
    return flat_bwd


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
        fwd = _fwd_fn(self.fwd, t.merge, t.nondiff, t.in_tree, t.out_tree, t.out_avals, name)
        bwd = _bwd_fn(self.bwd, t.nondiff, t.out_tree, t.arg_trees, t.avals, name)
        rule = VjpRule((fwd, bwd), t.avals, t.out_avals, t.static(self.fwd, self.bwd), name)
        outs = custom_vjp_call_p.bind(*t.consts, *t.flat, call_jaxpr=t.call, vjp_rule=rule,
                                      num_consts=len(t.consts))
        return tree_unflatten(t.out_tree, outs)


def _flat_cotangents(arg_trees, arg_avals, cts, name):
    """Flatten ``cts`` like the arguments; ``None`` stands for zeros."""
    out = []
    for tree, avals, ct in zip(arg_trees, arg_avals, cts):
        if ct is None:
            out.extend(Zero(a) for a in avals)
            continue
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != tree:
            raise TypeError(f"custom_vjp bwd of {name}: a cotangent has structure "
                            f"{ct_tree}, but its argument has structure {tree}")
        for want, c in zip(avals, ct_leaves):
            got = get_aval(as_operand(c))
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


def checkpoint(fun: Callable, *, prevent_cse: bool = True, policy: Callable | None = None,
               static_argnums: int | Sequence[int] = ()) -> Callable:
    """``fun`` whose intermediates are recomputed in the backward pass instead
    of saved (``jax.checkpoint``, also named ``remat``).

    Args:
      fun: the function to checkpoint (pytrees in and out).
      prevent_cse: keep common-subexpression elimination from merging the
        recomputation with the forward pass (and two calls with each other).
      policy: ``policy(prim, *avals, **params) -> bool`` marks the equations
        of ``fun`` whose outputs are saved as residuals; the others are
        recomputed. None (the default) saves only ``fun``'s inputs. See
        ``ftrans.ad_checkpoint.checkpoint_policies``.
      static_argnums: positions of arguments that are Python values, not traced.

    >>> import ftrans, ftrans.numpy as jnp
    >>> f = checkpoint(lambda x: jnp.sin(jnp.sin(x)))
    >>> round(float(ftrans.grad(f)(1.0)), 6)
    0.360039
    """
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    policy = as_policy(policy)

    @functools.wraps(fun)
    def remat_f(*args):
        fixed = {i % len(args) for i in static if -len(args) <= i < len(args)}
        dyn_idx = [i for i in range(len(args)) if i not in fixed]
        flat, in_tree, avals = _flatten_operands(tuple(args[i] for i in dyn_idx))

        def dyn_fun(dyn):
            full = list(args)
            for i, d in zip(dyn_idx, dyn):
                full[i] = d
            return fun(*full)

        jaxpr, consts, out_tree = trace_tree_fn(dyn_fun, [in_tree], avals, "checkpoint")
        outs = remat_p.bind(*consts, *flat, jaxpr=jaxpr, prevent_cse=prevent_cse,
                            policy=policy)
        return tree_unflatten(out_tree, outs)

    return remat_f


remat = checkpoint
