"""Special primitives: ``stop_gradient``, the calls of user-defined derivative
rules (``custom_jvp_call``, ``custom_vjp_call`` and its linear part
``custom_lin``), ``remat`` (checkpointing, with its saving policy) and
``name`` (``checkpoint_name``, the identity that name-based policies read).

A custom function's equation carries its body (``call_jaxpr``) and its
user's rule as a ``JvpRule`` / ``VjpRule``, which traces the rule into jaxprs
(when the equation is staged with values, or on first use): transformations
read jaxprs and never call user code. Under ``vmap`` a custom function stays
custom (its body batched, its rule wrapped in a ``BatchedJvpRule`` /
``BatchedVjpRule`` whose jaxprs are the rule's, batched), so that derivatives
of the batched function still use the user's rule; ``remat`` batches its body
and stays a ``remat``.
"""

from __future__ import annotations

import numpy as np

from ftrans.ad_util import Zero, check_linear_in, instantiate, is_undefined
from ftrans.core import ClosedJaxpr, Eqn, Jaxpr, Primitive, Var, built, get_aval
from ftrans.eval import eval_closed
from ftrans.prims._batching import at_dim, batched_to
from ftrans.prims._families import def_zero_jvp, unary
from ftrans.prims.elementwise import mul
from ftrans.prims.reductions import reduce_sum
from ftrans.prims._subjaxpr import add_unused_inputs, custom_body, hoist_consts, in_custom_body
from ftrans.tracing import Tracer, current_trace, innermost_trace, trace_to_jaxpr
from ftrans.transforms.dce import dce_jaxpr
from ftrans.transforms.jvp import jvp_jaxpr
from ftrans.transforms.partial_eval import partial_eval_jaxpr
from ftrans.transforms.transpose import transpose_jaxpr
from ftrans.transforms.vmap import batched_aval, vmap_jaxpr
from ftrans.typing import PyTree

__all__ = ["stop_gradient"]



# --- stop_gradient ----------------------------------------------------------------

def _stop_gradient_impl(x):
    return x


stop_gradient_p = unary("stop_gradient", _stop_gradient_impl, kinds="biufc")


@stop_gradient_p.def_emit
def _stop_gradient_emit(ctx, out_names, in_exprs):
    return f"{out_names[0]} = {in_exprs[0]}"


def_zero_jvp(stop_gradient_p)


def stop_gradient(x: PyTree) -> PyTree:
    """The identity, whose derivative is zero (for every leaf of a pytree).

    >>> import ftrans, ftrans.lax as lax
    >>> float(ftrans.grad(lambda x: x * lax.stop_gradient(x))(3.0))
    3.0
    """
    from ftrans.prims._subjaxpr import as_operand
    from ftrans.tree_util import tree_map
    return tree_map(lambda leaf: stop_gradient_p.bind(as_operand(leaf)), x)


# --- custom rules as jaxprs ------------------------------------------------------------
# A custom_jvp_call / custom_vjp_call equation carries its user's rule as a rule
# object (``JvpRule`` / ``VjpRule``): the rule as a Python function of flat lists,
# ``static`` (everything that function depends on: the user's rule, the nondiff
# arguments, trees and types) and, once traced, the rule's jaxprs. The passes
# only read the jaxprs; user code runs when a rule is traced, never in a pass.
#
# When the equation is staged (its ``simplify`` hook, which runs first in every
# ``Trace.process``), the rule is specialized to the trace it enters:
# - *forced*: where the equation's inputs carry a derivative and have values
#   (``grad`` on concrete arrays), the rule is traced there and then, on those
#   values, so that Python control flow on them works (issue 8). Its jaxprs sit
#   in the params, their constants become operands of the equation, and their
#   structure is part of the derivation cache's key: a rule that took another
#   branch is another key. Where only some inputs have values (``grad`` inside
#   ``vmap``: the unmapped ones), the rule is traced on those, and is abstract
#   in the others.
# - *copy-only*: where the equation is not differentiated (no input carries a
#   derivative), or in the trace of a custom function's body or rule
#   (``custom_body``), the rule stays untraced. Such an equation is only copied
#   by the passes; the same rule is specialized anew wherever it is staged
#   again (higher-order derivatives evaluate a derived jaxpr in the enclosing
#   trace). This also lets a rule call the function it differentiates: the
#   call inside the rule does not trace the rule again. Its key is ``static``.
# - *lazy*: in an abstract trace (make_jaxpr, a scan body) the rule is traced
#   abstractly on first use, once per set of nonzero tangents, and kept in the
#   object. That tracing reads the user's globals at that moment, so programs
#   holding a lazy rule are not cached.


class _CustomRule:
    kind = ""
    __slots__ = ("fns", "in_avals", "out_avals", "static", "name", "copy_only", "forced",
                 "num_consts", "abstract_in")

    def __init__(self, fns: tuple, in_avals, out_avals, static, name: str,
                 copy_only: bool = True):
        self.fns = fns
        self.in_avals = tuple(in_avals)
        self.out_avals = tuple(out_avals)
        self.static = static  # None when the rule depends on an unhashable value
        self.name = name
        self.copy_only = copy_only
        self.forced = False
        self.num_consts = 0  # of a forced rule: its jaxprs' constants, as operands
        # of a lazy rule: the transformation that made its arguments abstract
        # (vmap, make_jaxpr, ...), which its tracing errors name
        self.abstract_in: str | None = None

    def _unforced(self, copy_only: bool):
        return type(self)(self.fns, self.in_avals, self.out_avals, self.static, self.name,
                          copy_only)

    def specialize(self, args):
        """``(rule, constants)`` for an equation on ``args`` staged now, or None
        to keep this rule (see the comment above)."""
        trace = innermost_trace(args) or current_trace()
        body = trace is None or in_custom_body(trace)
        differentiated = () if body else _differentiated(args, trace)
        if any(differentiated):
            if self.forced and self._covers(differentiated):
                return None
            vals = [a.val if type(a) is Tracer else a for a in args]  # computed now
            if any(v is not None for v in vals):
                return self._force(vals, differentiated, _abstract_in(args))
        copy_only = body or not any(_is_abstract(a) for a in args)
        if self.forced or self.copy_only == copy_only:
            return None
        new = self._unforced(copy_only)
        if not copy_only:
            new.abstract_in = _abstract_in(args)
        return new, []

    def cache_key(self, key_of):
        """The key of this param for the derivation cache, or None if uncacheable;
        ``key_of`` keys a sub-jaxpr."""
        if self.static is None or not (self.forced or self.copy_only):
            return None
        return (self.kind, self.static, self._forced_key(key_of) if self.forced else None)

    def with_mode(self, copy_only: bool):
        """This rule, or an untraced copy in the other (copy-only or lazy) mode."""
        if self.forced or self.copy_only == copy_only:
            return self
        return self._unforced(copy_only)

    def _trace(self, fn, in_avals, in_vals, abstract_in=None):
        # a trace abstract in some inputs is named after the transformation
        # that made them abstract (vmap, ...), so that its errors name it
        if abstract_in is None and in_vals is None:
            abstract_in = self.abstract_in
        transform = abstract_in or self.kind
        closed, out_vals = trace_to_jaxpr(custom_body(fn), list(in_avals), in_vals,
                                          transform=transform)
        return closed, out_vals

    def __repr__(self):
        return f"{type(self).__name__}({self.name})"


class JvpRule(_CustomRule):
    """A custom_jvp rule: ``jvp_jaxpr(nonzeros)`` is its jaxpr of ``(constants,
    primals, tangents) -> (outs, tangents)`` for inputs with a nonzero tangent."""

    kind = "custom_jvp"
    __slots__ = ("mask", "_jaxprs")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mask = None  # the tangents a forced rule was traced for
        self._jaxprs: dict = {}

    def _trace_jvp(self, mask, vals, abstract_in=None):
        (fn,) = self.fns
        n = len(self.in_avals)
        t_avals = [a for a, m in zip(self.in_avals, mask) if m]
        out_nz: list = []

        def rule(*xs):
            rest = iter(xs[n:])
            tangents = [next(rest) if m else Zero(a) for a, m in zip(self.in_avals, mask)]
            outs, out_t = fn(list(xs[:n]), tangents)
            out_nz[:] = [type(t) is not Zero for t in out_t]
            return [*outs, *[t for t in out_t if type(t) is not Zero]]

        in_vals = None if vals is None else [*vals, *[None] * len(t_avals)]
        closed, _ = self._trace(rule, [*self.in_avals, *t_avals], in_vals, abstract_in)
        return closed, tuple(out_nz)

    def _force(self, vals, mask, abstract_in=None):
        closed, out_nz = self._trace_jvp(mask, vals, abstract_in)
        jaxpr, consts = hoist_consts(closed)
        new = self._unforced(False)
        new.forced, new.mask, new.num_consts = True, mask, len(consts)
        new._jaxprs[mask] = (jaxpr, out_nz)
        return new, consts

    def _covers(self, nonzeros) -> bool:
        return all(m or not nz for m, nz in zip(self.mask, nonzeros))

    def _forced_key(self, key_of):
        jaxpr, out_nz = self._jaxprs[self.mask]
        return self.mask, out_nz, key_of(jaxpr)

    def jvp_jaxpr(self, nonzeros, abstract_in: str | None = None):
        """``(jaxpr, tangents it takes, out_nz)``: the tangents are a superset of
        ``nonzeros``; ``out_nz`` marks the outputs whose tangent it returns.
        ``abstract_in`` names the transformation tracing it abstractly, for errors."""
        nonzeros = tuple(nonzeros)
        if self.forced and self._covers(nonzeros):
            jaxpr, out_nz = self._jaxprs[self.mask]
            return jaxpr, self.mask, out_nz
        found = self._jaxprs.get(nonzeros)
        if found is None:  # traced abstractly, on first use
            closed, out_nz = self._trace_jvp(nonzeros, None, abstract_in)
            if self.forced:  # it takes the forced jaxpr's constants too, unused
                const_avals = self._jaxprs[self.mask][0].in_avals[:self.num_consts]
                closed = add_unused_inputs(closed, const_avals, at_end=False)
            found = self._jaxprs[nonzeros] = (closed, out_nz)
        return found[0], nonzeros, found[1]


class VjpRule(_CustomRule):
    """A custom_vjp rule: ``fwd_jaxpr()`` of ``(constants, primals) -> (outs,
    residuals)`` and ``bwd_jaxpr()`` of ``(constants, residuals, cotangents) ->
    cotangents`` of the inputs that get one (bwd returned None for the others)."""

    kind = "custom_vjp"
    __slots__ = ("n_fwd_consts", "_fwd", "_bwd")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.n_fwd_consts = 0
        self._fwd = None  # (jaxpr, residual tree)
        self._bwd = None  # (jaxpr, which inputs get a cotangent)

    def _trace_fwd(self, vals, abstract_in=None):
        store = {}

        def fwd(*primals):
            outs, res, store["tree"] = self.fns[0](list(primals))
            return [*outs, *res]

        closed, out_vals = self._trace(fwd, self.in_avals, vals, abstract_in)
        res_vals = None if out_vals is None else out_vals[len(self.out_avals):]
        return closed, store["tree"], res_vals

    def _trace_bwd(self, res_tree, res_avals, res_vals, abstract_in=None):
        n_res, ct_nz = len(res_avals), []

        def bwd(*xs):
            cts = self.fns[1](res_tree, list(xs[:n_res]), list(xs[n_res:]))
            ct_nz[:] = [type(c) is not Zero for c in cts]
            return [c for c in cts if type(c) is not Zero]

        in_vals = None if res_vals is None else [*res_vals, *[None] * len(self.out_avals)]
        closed, _ = self._trace(bwd, [*res_avals, *self.out_avals], in_vals, abstract_in)
        return closed, tuple(ct_nz)

    def _force(self, vals, mask, abstract_in=None):
        fwd, res_tree, res_vals = self._trace_fwd(vals, abstract_in)
        res_avals = fwd.out_avals[len(self.out_avals):]
        bwd, ct_nz = self._trace_bwd(res_tree, res_avals, res_vals, abstract_in)
        (fwd, fwd_consts), (bwd, bwd_consts) = hoist_consts(fwd), hoist_consts(bwd)
        new = self._unforced(False)
        new.forced, new._fwd, new._bwd = True, (fwd, res_tree), (bwd, ct_nz)
        new.n_fwd_consts, new.num_consts = len(fwd_consts), len(fwd_consts) + len(bwd_consts)
        return new, [*fwd_consts, *bwd_consts]

    def _covers(self, nonzeros) -> bool:
        return True

    def _forced_key(self, key_of):
        (fwd, res_tree), (bwd, ct_nz) = self._fwd, self._bwd
        return key_of(fwd), key_of(bwd), ct_nz, self.n_fwd_consts, res_tree

    def fwd_jaxpr(self, abstract_in: str | None = None):
        """``(jaxpr, number of constants it takes first)``."""
        if self._fwd is None:
            closed, res_tree, _ = self._trace_fwd(None, abstract_in)
            self._fwd = (closed, res_tree)
        return self._fwd[0], self.n_fwd_consts

    def bwd_jaxpr(self, abstract_in: str | None = None):
        """``(jaxpr, ct_nz)``; the jaxpr takes ``num_consts - n_fwd_consts``
        constants first."""
        if self._bwd is None:
            fwd, _ = self.fwd_jaxpr(abstract_in)
            res_avals = fwd.out_avals[len(self.out_avals):]
            self._bwd = self._trace_bwd(self._fwd[1], res_avals, None, abstract_in)
        return self._bwd


# --- custom rules under vmap -----------------------------------------------------------
# vmap of a custom function keeps it a custom function: its body is batched, and
# its rule is the user's rule batched (``BatchedJvpRule`` / ``BatchedVjpRule``,
# wrapping the rule object of the equation, which may be batched itself). The
# batched rule's jaxprs are the inner rule's jaxprs, batched on first use; every
# output of the batched function, its tangents and residuals, is batched along
# axis 0, so that the body and the rule agree on one layout. Where a batched
# rule would be forced, the user's rule is traced on one example: on the values
# of the unbatched arguments, abstract in the batched ones (as in JAX), so a
# Python branch on a batched argument raises ConcretizationError naming vmap.


class _BatchedRule:
    """The rule object ``inner`` of a custom function batched by vmap: ``dims``
    are the batch axes of its operands (the rule's constants, then the
    arguments; None for those of ``custom_lin``) and ``axis_size`` the batch size."""

    kind = ""
    __slots__ = ("inner", "dims", "axis_size", "_jaxprs")

    def __init__(self, inner, dims, axis_size: int):
        self.inner = inner
        self.dims = None if dims is None else tuple(dims)
        self.axis_size = axis_size
        self._jaxprs: dict = {}

    num_consts = property(lambda self: self.inner.num_consts)
    name = property(lambda self: self.inner.name)

    def _params(self) -> tuple:
        return (self.dims, self.axis_size)

    def _rebuilt(self, inner, dims=None):
        return type(self)(inner, self.dims if dims is None else dims, *self._params()[1:])

    def with_mode(self, copy_only: bool):
        inner = self.inner.with_mode(copy_only)
        return self if inner is self.inner else self._rebuilt(inner)

    def specialize(self, args):
        """As ``_CustomRule.specialize``, on the examples: where the arguments
        carry a derivative, the inner rule is traced on the values of the
        unbatched ones (the same for every example) and is abstract in the
        batched ones; where none has a value, or the inner rule is batched
        itself, it stays lazy."""
        trace = innermost_trace(args) or current_trace()
        if trace is None or in_custom_body(trace):
            new = self.with_mode(True)
        else:
            differentiated = _differentiated(args, trace)
            if any(differentiated):
                forced = self._force_inner(args, differentiated)
                if forced is not None:
                    return forced
            new = self.with_mode(not any(differentiated)
                                 and not any(_is_abstract(a) for a in args))
        return None if new is self else (new, [])

    def _force_inner(self, args, differentiated):
        inner = self.inner
        if isinstance(inner, _BatchedRule) or inner.forced:
            return None
        arg_dims = self.dims[inner.num_consts:]
        # one example's values: those of the unbatched arguments (computed now)
        example = [None if d is not None else a.val if type(a) is Tracer else a
                   for a, d in zip(args, arg_dims)]
        if all(v is None for v in example):
            return None
        new_inner, consts = inner._force(example, differentiated, "vmap")
        # the rule's constants come from tracing one example: unbatched
        return self._rebuilt(new_inner, (None,) * len(consts) + arg_dims), consts

    def cache_key(self, key_of):
        inner = self.inner.cache_key(key_of)
        return None if inner is None else ("vmap", inner, self._params())

    def __repr__(self):
        return f"vmap({self.inner!r}, axis_size={self.axis_size})"


class BatchedJvpRule(_BatchedRule):
    """A custom_jvp rule under vmap: ``jvp_jaxpr`` as ``JvpRule.jvp_jaxpr``, the
    inner rule's jaxpr batched (each tangent batched like its primal)."""

    kind = "custom_jvp"
    __slots__ = ()

    def jvp_jaxpr(self, nonzeros, abstract_in: str | None = None):
        nonzeros = tuple(nonzeros)
        found = self._jaxprs.get(nonzeros)
        if found is None:
            jaxpr, mask, out_nz = self.inner.jvp_jaxpr(nonzeros, abstract_in="vmap")
            arg_dims = self.dims[self.num_consts:]
            in_dims = [*self.dims, *[d for d, m in zip(arg_dims, mask) if m]]
            found = (batched_to(jaxpr, in_dims, self.axis_size), mask, out_nz)
            self._jaxprs[nonzeros] = found
        return found


class BatchedVjpRule(_BatchedRule):
    """A custom_vjp rule under vmap. ``fwd_jaxpr`` is the inner fwd batched
    along ``dims`` (its outputs and residuals along axis 0); ``bwd_jaxpr`` the
    inner bwd batched along ``res_dims`` (of its constants and residuals;
    None: the constants' ``dims``, residuals at 0) with the cotangents of the
    outputs along axis 0, each input's cotangent placed along ``ct_dims``
    (None: the argument's batch axis), or summed over the batch where that is
    None (an unbatched input shared by the whole batch). ``custom_lin`` under
    vmap makes one with only a bwd."""

    kind = "custom_vjp"
    __slots__ = ("n_out", "res_dims", "ct_dims")

    def __init__(self, inner, dims, axis_size: int, n_out: int, res_dims=None, ct_dims=None):
        super().__init__(inner, dims, axis_size)
        self.n_out = n_out
        self.res_dims = None if res_dims is None else tuple(res_dims)
        self.ct_dims = tuple(dims[inner.num_consts:]) if ct_dims is None else tuple(ct_dims)

    n_fwd_consts = property(lambda self: self.inner.n_fwd_consts)

    def _params(self) -> tuple:
        return (self.dims, self.axis_size, self.n_out, self.res_dims, self.ct_dims)

    def fwd_jaxpr(self, abstract_in: str | None = None):
        if "fwd" not in self._jaxprs:
            fwd, n_fwd_consts = self.inner.fwd_jaxpr(abstract_in="vmap")
            in_dims = [*self.dims[:n_fwd_consts], *self.dims[self.num_consts:]]
            self._jaxprs["fwd"] = batched_to(fwd, in_dims, self.axis_size)
        return self._jaxprs["fwd"], self.n_fwd_consts

    def bwd_jaxpr(self, abstract_in: str | None = None):
        if "bwd" not in self._jaxprs:
            bwd, ct_nz = self.inner.bwd_jaxpr(abstract_in="vmap")
            res_dims = self.res_dims
            if res_dims is None:
                consts = self.dims[self.n_fwd_consts:self.num_consts]
                n_res = len(bwd.in_avals) - len(consts) - self.n_out
                res_dims = (*consts, *[0] * n_res)
            batched, out_dims = vmap_jaxpr(bwd, [*res_dims, *[0] * self.n_out],
                                           self.axis_size)
            targets = [d for d, nz in zip(self.ct_dims, ct_nz) if nz]
            self._jaxprs["bwd"] = (_place_cotangents(batched, out_dims, targets,
                                                     self.axis_size), ct_nz)
        return self._jaxprs["bwd"]


def _place_cotangents(closed, dims, targets, axis_size: int):
    """The batched bwd ``closed`` (cotangent ``i`` batched along ``dims[i]``)
    with cotangent ``i`` batched along ``targets[i]``, or, where that is None,
    summed over the batch: the cotangent of an input shared by every example."""
    def placed(*args):
        outs = []
        for ct, d, to in zip(eval_closed(closed, *args), dims, targets):
            if to is not None:
                outs.append(ct if d == to else at_dim(ct, d, axis_size, to))
            elif d is not None:
                outs.append(reduce_sum(ct, axes=(d,)))
            else:  # the same cotangent from every example
                outs.append(mul(ct, np.asarray(axis_size, get_aval(ct).dtype)[()]))
        return outs

    if list(dims) == list(targets):
        return closed
    return trace_to_jaxpr(placed, closed.in_avals, transform="vmap")[0]


def _is_abstract(a) -> bool:
    """Whether ``a`` has no value (a value pending in a lazy trace is not
    computed to tell)."""
    return type(a) is Tracer and a._val is None


def _differentiated(args, trace) -> tuple:
    """Which of ``args`` carry a derivative of ``trace``."""
    return tuple(type(a) is Tracer and a._trace is trace and a.diff is not None for a in args)


def _abstract_in(args) -> str | None:
    """The transformation that made the first abstract one of ``args`` abstract."""
    for a in args:
        if _is_abstract(a):
            return a._abstract_because()[0]
    return None


def _check_no_closure_tangents(kind, tangents):
    if any(type(t) is not Zero for t in tangents):
        raise TypeError(
            f"A {kind} function closes over a value that is being differentiated; "
            "its rule only covers the explicit arguments. Pass that value as an "
            "argument of the decorated function instead.")


# --- custom_jvp ----------------------------------------------------------------------
# Operands: the function's constants (``num_consts``), the rule's constants
# (``jvp_rule.num_consts``, when forced), the arguments.

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)


@custom_jvp_call_p.def_impl
def _custom_jvp_call_impl(*args, call_jaxpr, jvp_rule, num_consts):
    return eval_closed(call_jaxpr, *args[:num_consts], *args[num_consts + jvp_rule.num_consts:])


@custom_jvp_call_p.def_emit
def _custom_jvp_call_emit(ctx, out_names, in_exprs, call_jaxpr, jvp_rule, num_consts):
    # the function itself, inlined (its rule's operands are not read)
    body, outs = ctx.inline(call_jaxpr, in_exprs[:num_consts]
                            + in_exprs[num_consts + jvp_rule.num_consts:])
    return "\n".join(c for c in (body, ctx.assign(out_names, outs)) if c)


@custom_jvp_call_p.def_cost
def _custom_jvp_call_cost(*avals, call_jaxpr, jvp_rule, num_consts):
    return dict(flops=0, transcendentals=0, bodies=[(call_jaxpr, 1)])


@custom_jvp_call_p.def_abstract_eval
def _custom_jvp_call_abstract_eval(*avals, call_jaxpr, jvp_rule, num_consts):
    return call_jaxpr.out_avals


def _specialize_at_staging(prim, rule_param: str) -> None:
    """Install the staging-time hook of a custom call: when its rule can be
    specialized at the operands' known values (``rule.specialize``), the
    equation is staged again with the specialized rule and its constants."""

    def simplify(*args, call_jaxpr, num_consts, **params):
        rule = params[rule_param]
        n_fixed = num_consts + rule.num_consts
        specialized = rule.specialize(args[n_fixed:])
        if specialized is None:
            return None
        new_rule, consts = specialized
        return prim.bind(*args[:num_consts], *consts, *args[n_fixed:],
                         call_jaxpr=call_jaxpr, num_consts=num_consts,
                         **{rule_param: new_rule})

    prim.simplify = simplify


_specialize_at_staging(custom_jvp_call_p, "jvp_rule")


@custom_jvp_call_p.def_jvp
def _custom_jvp_call_jvp(primals, tangents, call_jaxpr, jvp_rule, num_consts):
    n_fixed = num_consts + jvp_rule.num_consts
    _check_no_closure_tangents("custom_jvp", tangents[:n_fixed])
    arg_tangents = tangents[n_fixed:]
    jaxpr, mask, out_nz = jvp_rule.jvp_jaxpr([type(t) is not Zero for t in arg_tangents])
    outs = eval_closed(jaxpr, *primals[num_consts:],
                       *[instantiate(t) for t, m in zip(arg_tangents, mask) if m])
    n = len(call_jaxpr.out_avals)
    out_t = iter(outs[n:])
    return outs[:n], [next(out_t) if nz else Zero(a)
                      for nz, a in zip(out_nz, call_jaxpr.out_avals)]


@custom_jvp_call_p.def_transpose
def _custom_jvp_call_transpose(cts, *args, call_jaxpr, jvp_rule, num_consts):
    """Applied to tangents (a rule may call a custom function on them), the call
    is transposed through the function itself: a JVP rule defines derivatives,
    not adjoints (as in JAX)."""
    n_fixed = num_consts + jvp_rule.num_consts
    ins = [*args[:num_consts], *args[n_fixed:]]
    linear = [is_undefined(x) for x in ins]
    transposed = transpose_jaxpr(call_jaxpr, linear)
    outs = iter(eval_closed(transposed, *[x for x in ins if not is_undefined(x)],
                            *[instantiate(c) for c in cts]))
    ins_cts = [next(outs) if lin else None for lin in linear]
    rule_cts = [Zero(x.aval) if is_undefined(x) else None for x in args[num_consts:n_fixed]]
    return [*ins_cts[:num_consts], *rule_cts, *ins_cts[num_consts:]]


def _batched_body(call_jaxpr, dims, num_consts, n_fixed, axis_size):
    """The body of a custom function batched (outputs along axis 0), with its
    new constants hoisted: ``(jaxpr, constants)``, the constants to be put in
    front of the equation's operands."""
    return hoist_consts(batched_to(call_jaxpr, [*dims[:num_consts], *dims[n_fixed:]],
                                  axis_size))


@custom_jvp_call_p.def_batch
def _custom_jvp_call_batch(axis_size, args, dims, call_jaxpr, jvp_rule, num_consts):
    n_fixed = num_consts + jvp_rule.num_consts
    body, consts = _batched_body(call_jaxpr, dims, num_consts, n_fixed, axis_size)
    rule = BatchedJvpRule(jvp_rule, dims[num_consts:], axis_size)
    outs = custom_jvp_call_p.bind(*consts, *args, call_jaxpr=body, jvp_rule=rule,
                                  num_consts=len(consts) + num_consts)
    return outs, [0] * len(outs)


# --- custom_vjp: forward pass, and a linear primitive whose transpose is bwd -----
# Operands: the function's constants, fwd's and bwd's constants (when forced),
# the arguments. ``custom_lin`` takes bwd's constants and the residuals
# (``num_res`` in all), then the nonzero tangents (``in_nz``).

custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)


@custom_vjp_call_p.def_impl
def _custom_vjp_call_impl(*args, call_jaxpr, vjp_rule, num_consts):
    return eval_closed(call_jaxpr, *args[:num_consts], *args[num_consts + vjp_rule.num_consts:])


@custom_vjp_call_p.def_emit
def _custom_vjp_call_emit(ctx, out_names, in_exprs, call_jaxpr, vjp_rule, num_consts):
    body, outs = ctx.inline(call_jaxpr, in_exprs[:num_consts]
                            + in_exprs[num_consts + vjp_rule.num_consts:])
    return "\n".join(c for c in (body, ctx.assign(out_names, outs)) if c)


@custom_vjp_call_p.def_cost
def _custom_vjp_call_cost(*avals, call_jaxpr, vjp_rule, num_consts):
    return dict(flops=0, transcendentals=0, bodies=[(call_jaxpr, 1)])


@custom_vjp_call_p.def_abstract_eval
def _custom_vjp_call_abstract_eval(*avals, call_jaxpr, vjp_rule, num_consts):
    return call_jaxpr.out_avals


_specialize_at_staging(custom_vjp_call_p, "vjp_rule")


@custom_vjp_call_p.def_jvp
def _custom_vjp_call_jvp(primals, tangents, call_jaxpr, vjp_rule, num_consts):
    n_fixed = num_consts + vjp_rule.num_consts
    _check_no_closure_tangents("custom_vjp", tangents[:n_fixed])
    fwd, n_fwd_consts = vjp_rule.fwd_jaxpr()
    fwd_consts = primals[num_consts:num_consts + n_fwd_consts]
    bwd_consts = primals[num_consts + n_fwd_consts:n_fixed]
    outs = eval_closed(fwd, *fwd_consts, *primals[n_fixed:])
    n = len(call_jaxpr.out_avals)
    res = [*bwd_consts, *outs[n:]]
    arg_tangents = tangents[n_fixed:]
    lin = custom_lin_p.bind(*res, *[t for t in arg_tangents if type(t) is not Zero],
                            vjp_rule=vjp_rule, num_res=len(res),
                            in_nz=tuple(type(t) is not Zero for t in arg_tangents),
                            out_avals=tuple(call_jaxpr.out_avals))
    return outs[:n], lin


@custom_vjp_call_p.def_batch
def _custom_vjp_call_batch(axis_size, args, dims, call_jaxpr, vjp_rule, num_consts):
    n_fixed = num_consts + vjp_rule.num_consts
    body, consts = _batched_body(call_jaxpr, dims, num_consts, n_fixed, axis_size)
    rule = BatchedVjpRule(vjp_rule, dims[num_consts:], axis_size,
                          n_out=len(call_jaxpr.out_avals))
    outs = custom_vjp_call_p.bind(*consts, *args, call_jaxpr=body, vjp_rule=rule,
                                  num_consts=len(consts) + num_consts)
    return outs, [0] * len(outs)


custom_lin_p = Primitive("custom_lin", multiple_results=True)


@custom_lin_p.def_cost
def _custom_lin_cost(*avals, vjp_rule, num_res, in_nz, out_avals):
    # a stand-in that transposition replaces by the user's vjp: nothing to count
    return dict(flops=0, transcendentals=0)


@custom_lin_p.def_abstract_eval
def _custom_lin_abstract_eval(*avals, vjp_rule, num_res, in_nz, out_avals):
    return list(out_avals)


@custom_lin_p.def_impl
def _custom_lin_impl(*args, **params):
    raise TypeError(
        "can't apply forward-mode differentiation (jvp, jacfwd, linearize) to a "
        "custom_vjp function: it only defines a reverse-mode rule. Use grad, vjp or "
        "jacrev, or define the function with custom_jvp.")


@custom_lin_p.def_transpose
def _custom_lin_transpose(cts, *args, vjp_rule, num_res, in_nz, out_avals):
    check_linear_in(f"the custom_vjp function {vjp_rule.name}", *args[:num_res])
    bwd, ct_nz = vjp_rule.bwd_jaxpr()
    in_cts = iter(eval_closed(bwd, *args[:num_res], *[instantiate(c) for c in cts]))
    arg_cts = [next(in_cts) if nz else None for nz in ct_nz]
    linear = iter(args[num_res:])
    out = [None] * num_res
    for ct, nz in zip(arg_cts, in_nz):
        if nz:
            x = next(linear)
            out.append(Zero(x.aval) if ct is None else ct)
    return out


@custom_lin_p.def_batch
def _custom_lin_batch(axis_size, args, dims, vjp_rule, num_res, in_nz, out_avals):
    # each input's cotangent goes where its tangent is batched (those without a
    # tangent are dropped by the transpose: any axis will do)
    t_dims = iter(dims[num_res:])
    ct_dims = [next(t_dims) if nz else 0 for nz in in_nz]
    rule = BatchedVjpRule(vjp_rule, None, axis_size, n_out=len(out_avals),
                          res_dims=dims[:num_res], ct_dims=ct_dims)
    outs = custom_lin_p.bind(*args, vjp_rule=rule, num_res=num_res, in_nz=in_nz,
                             out_avals=tuple(batched_aval(a, 0, axis_size)
                                             for a in out_avals))
    return outs, [0] * len(outs)


# --- remat (checkpoint) --------------------------------------------------------------
# ``policy`` (None, or a callable ``policy(prim, *avals, **params) -> bool``)
# decides, when a remat is split into its forward and backward parts, which of
# the body's forward values are saved as residuals: the outputs of an equation
# it marks saveable travel from the forward remat to the backward one; every
# other value is recomputed there from the saved ones and the inputs. None
# saves nothing (only the inputs), as JAX's default.

class _Policy:
    """A checkpoint policy as a ``remat`` param: callable as ``policy(prim,
    *avals, **params)``, hashed and compared by ``key``, so that jaxprs
    carrying it can key caches (``ftrans.ad_checkpoint`` makes the named ones)."""

    __slots__ = ("fn", "key", "name")

    def __init__(self, fn, key, name: str):
        self.fn, self.key, self.name = fn, key, name

    def __call__(self, prim, *avals, **params) -> bool:
        return bool(self.fn(prim, *avals, **params))

    def __eq__(self, other):
        return type(other) is _Policy and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    def cache_key(self, key_of):
        return ("policy", self.key)

    def __repr__(self):
        return self.name


def as_policy(policy) -> _Policy | None:
    """``policy`` as a param of a ``remat`` equation (None stays None)."""
    if policy is None or type(policy) is _Policy:
        return policy
    if not callable(policy):
        raise TypeError(f"checkpoint: policy must be a callable "
                        f"policy(prim, *avals, **params) -> bool or None, got {policy!r}")
    return _Policy(policy, ("user", policy), getattr(policy, "__name__", repr(policy)))


remat_p = Primitive("remat", multiple_results=True)


@remat_p.def_impl
def _remat_impl(*args, jaxpr, prevent_cse, policy=None):
    return eval_closed(jaxpr, *args)


@remat_p.def_emit
def _remat_emit(ctx, out_names, in_exprs, jaxpr, prevent_cse, policy=None):
    body, outs = ctx.inline(jaxpr, in_exprs)
    return "\n".join(c for c in (body, ctx.assign(out_names, outs)) if c)


@remat_p.def_cost
def _remat_cost(*avals, jaxpr, prevent_cse, policy=None):
    return dict(flops=0, transcendentals=0, bodies=[(jaxpr, 1)])


@remat_p.def_abstract_eval
def _remat_abstract_eval(*avals, jaxpr, prevent_cse, policy=None):
    return jaxpr.out_avals


@remat_p.def_jvp
def _remat_jvp(primals, tangents, jaxpr, prevent_cse, policy=None):
    nonzeros = [type(t) is not Zero for t in tangents]
    jvp_closed, out_nz = jvp_jaxpr(jaxpr, nonzeros, instantiate_zeros=False)
    outs = remat_p.bind(*primals, *[t for t in tangents if type(t) is not Zero],
                        jaxpr=jvp_closed, prevent_cse=prevent_cse, policy=policy)
    n = len(jaxpr.out_avals)
    out_t = iter(outs[n:])
    return outs[:n], [next(out_t) if nz else Zero(a)
                      for nz, a in zip(out_nz, jaxpr.out_avals)]


def _saveable(jaxpr, in_unknown, policy) -> list:
    """The body's forward values that ``policy`` saves: the outputs of the
    equations on known values only that it marks saveable."""
    if policy is None:
        return []
    unknown = {v for v, u in zip(jaxpr.invars, in_unknown) if u}
    saved = []
    for e in jaxpr.eqns:
        if any(type(v) is Var and v in unknown for v in e.inputs):
            unknown.update(e.outputs)
        elif policy(e.primitive, *[v.aval for v in e.inputs], **e.params):
            saved.extend(e.outputs)
    return saved


def _used_invars(closed) -> list[bool]:
    j = closed.jaxpr
    used = {v for e in j.eqns for v in e.inputs if type(v) is Var}
    used.update(v for v in j.outvars if type(v) is Var)
    return [v in used for v in j.invars]


def _recompute_then_linear(closed, unknowns):
    """``closed`` as its recomputation (the equations on known inputs only),
    then its part that reads the unknown inputs: split by partial evaluation,
    so that an equation mixing both (the JVP of a ``scan``) is split too, and
    transposing the backward remat meets only known or linear equations."""
    known, unknown, _, _ = partial_eval_jaxpr(closed, unknowns, instantiate=True)
    known_at = [i for i, u in enumerate(unknowns) if not u]
    unknown_at = [i for i, u in enumerate(unknowns) if u]

    def body(*ins):
        res = eval_closed(known, *[ins[i] for i in known_at])
        return eval_closed(unknown, *res, *[ins[i] for i in unknown_at])

    return trace_to_jaxpr(body, list(closed.in_avals), transform="checkpoint")[0]


def _remat_partial_eval(eqn, in_unknown):
    """The known part computes the known outputs and the values the policy
    saves; the unknown part takes those and the known inputs it needs as its
    only residuals, and recomputes the rest."""
    closed, policy = eqn.params["jaxpr"], eqn.params.get("policy")
    body = closed.jaxpr
    known, _, out_unknown, _ = partial_eval_jaxpr(closed, in_unknown)
    n_known = out_unknown.count(False)
    saved = _saveable(body, in_unknown, policy)
    # the backward body: saved values become inputs, their equations go
    saved_set = set(saved)
    eqns = [e for e in body.eqns if not any(v in saved_set for v in e.outputs)]
    unknown = dce_jaxpr(ClosedJaxpr(
        Jaxpr(body.constvars, [*body.invars, *saved], eqns, body.outvars), closed.consts),
        out_unknown)
    used = _used_invars(unknown)
    n_in = len(body.invars)
    keep_in = [u or unk for u, unk in zip(used[:n_in], in_unknown)]
    used_saved = [v for v, u in zip(saved, used[n_in:]) if u]
    uj = unknown.jaxpr
    unknown = _recompute_then_linear(built(ClosedJaxpr(Jaxpr(uj.constvars, [
        *[v for v, k in zip(body.invars, keep_in) if k], *used_saved], uj.eqns, uj.outvars),
        unknown.consts)), [u for u, k in zip(in_unknown, keep_in) if k] + [False] * len(used_saved))
    # the forward body: the known outputs, then the saved values
    kj = known.jaxpr
    known = dce_jaxpr(built(ClosedJaxpr(
        Jaxpr(kj.constvars, kj.invars, kj.eqns, kj.outvars[:n_known] + used_saved),
        known.consts)))
    res_vars = [Var(v.aval) for v in used_saved]
    known_eqns = [Eqn(remat_p, [x for x, u in zip(eqn.inputs, in_unknown) if not u],
                      [v for v, u in zip(eqn.outputs, out_unknown) if not u] + res_vars,
                      dict(eqn.params, jaxpr=known))] if n_known or res_vars else []
    unknown_eqns = [Eqn(remat_p, [x for x, k in zip(eqn.inputs, keep_in) if k] + res_vars,
                        [v for v, u in zip(eqn.outputs, out_unknown) if u],
                        dict(eqn.params, jaxpr=unknown))]
    return known_eqns, unknown_eqns


remat_p.partial_eval = _remat_partial_eval


@remat_p.def_transpose
def _remat_transpose(cts, *args, jaxpr, prevent_cse, policy=None):
    linear = [is_undefined(x) for x in args]
    transposed = transpose_jaxpr(jaxpr, linear)
    outs = iter(remat_p.bind(*[x for x in args if not is_undefined(x)],
                             *[instantiate(c) for c in cts],
                             jaxpr=transposed, prevent_cse=prevent_cse, policy=policy))
    return [next(outs) if lin else None for lin in linear]


def _remat_dce(eqn, used):
    return Eqn(remat_p, eqn.inputs, [v for v, u in zip(eqn.outputs, used) if u],
               dict(eqn.params, jaxpr=dce_jaxpr(eqn.params["jaxpr"], used)))


remat_p.dce = _remat_dce


@remat_p.def_batch
def _remat_batch(axis_size, args, dims, jaxpr, prevent_cse, policy=None):
    batched, out_dims = vmap_jaxpr(jaxpr, dims, axis_size)
    body, consts = hoist_consts(batched)
    return remat_p.bind(*consts, *args, jaxpr=body, prevent_cse=prevent_cse,
                        policy=policy), out_dims


# --- name (checkpoint_name) ------------------------------------------------------------
# The identity, carrying a name that checkpoint policies read
# (``save_only_these_names``). Transparent to differentiation, as in JAX: the
# primal output is named, its tangent is not.

def _name_impl(x, name):
    return x


name_p = Primitive("name")
name_p.def_impl(_name_impl)


@name_p.def_abstract_eval
def _name_abstract_eval(x, name):
    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name: the name must be a str, got {name!r}")
    return x


@name_p.def_jvp
def _name_jvp(primals, tangents, name):
    (x,), (x_dot,) = primals, tangents
    return name_p.bind(x, name=name), x_dot


@name_p.def_transpose
def _name_transpose(ct, x, name):
    return [ct]


@name_p.def_batch
def _name_batch(axis_size, args, dims, name):
    return name_p.bind(args[0], name=name), dims[0]


@name_p.def_emit
def _name_emit(ctx, out_names, in_exprs, name):
    return f"{out_names[0]} = {in_exprs[0]}"


@name_p.def_cost
def _name_cost(x, name):
    return dict(flops=0, transcendentals=0)
