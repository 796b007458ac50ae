"""``jit_call``: a call of a jitted function inside an enclosing trace.

``jit(f)`` applied to tracers (``grad(jit(f))``, ``vmap(jit(f))``, a jitted
function called in a ``scan`` body or in another jitted function) binds one
``jit_call`` whose param ``jaxpr`` is ``f``'s optimized jaxpr, so derived
functions stay whole: the JVP of a ``jit_call`` is a ``jit_call`` of the
sub-jaxpr's JVP, its partial evaluation a known and an unknown ``jit_call``
with residuals between them, its transpose a ``jit_call`` of the transposed
sub-jaxpr, its batched form a ``jit_call`` of the batched sub-jaxpr. The
sub-jaxpr has no constants: they are the first ``num_consts`` operands.

Params: ``jaxpr`` (a ClosedJaxpr without consts), ``num_consts`` (how many
leading operands are the function's captured constants) and ``name`` (the
function's name, a Python identifier: the generated code's name).

The impl runs the sub-jaxpr as generated numpy code, compiled once per
``jaxpr`` object; in generated code (a jitted function calling a jitted
function) the emit rule inlines the sub-jaxpr.
"""

from __future__ import annotations

import keyword
import re

from ftrans.ad_util import Zero, instantiate, is_undefined
from ftrans._identity_cache import IdentityCache
from ftrans.codegen import compile_jaxpr
from ftrans.core import ClosedJaxpr, Eqn, Primitive, Var
from ftrans.prims._subjaxpr import hoist_consts
from ftrans.transforms.dce import dce_prune, select_inputs
from ftrans.transforms.jvp import jvp_jaxpr
from ftrans.transforms.optimize import optimize
from ftrans.transforms.partial_eval import partial_eval_jaxpr
from ftrans.transforms.transpose import transpose_jaxpr
from ftrans.transforms.vmap import vmap_jaxpr

__all__: list[str] = []

# sub-jaxpr object -> its compiled code; bounded, least recently used first out
_compiled = IdentityCache(256)


def identifier(name: str) -> str:
    """``name`` as a Python identifier (``<lambda>`` -> ``lambda_``)."""
    out = re.sub(r"\W", "_", name).strip("_") or "jitted"
    out = out if not out[0].isdigit() else "f_" + out
    return out + "_" if keyword.iskeyword(out) else out


def compiled_for(closed: ClosedJaxpr, name: str):
    """The generated code of ``closed`` (optimized first), compiled on first
    use and kept for as long as ``closed`` is among the recently used."""
    fn = _compiled.get(closed)
    if fn is None:
        fn = compile_closed(optimize_closed(closed), name)
        _compiled.put(closed, fn)
    return fn


def optimize_closed(closed: ClosedJaxpr) -> ClosedJaxpr:
    """``closed`` through jit's optimization pipeline."""
    return optimize(closed)


def compile_closed(closed: ClosedJaxpr, name: str):
    """``closed`` as generated numpy code: ``fn(*args) -> list``, ``fn.source``."""
    return compile_jaxpr(closed, identifier(name))


def _bind_call(closed: ClosedJaxpr, operands, num_consts: int, name: str):
    """Bind ``jit_call`` of ``closed``, its constants hoisted into operands."""
    body, consts = hoist_consts(closed)
    return jit_call_p.bind(*consts, *operands, jaxpr=body,
                           num_consts=len(consts) + num_consts, name=name)


# --- jit_call ------------------------------------------------------------------------

jit_call_p = Primitive("jit_call", multiple_results=True)


@jit_call_p.def_impl
def _jit_call_impl(*args, jaxpr, num_consts, name):
    return compiled_for(jaxpr, name)(*args)


@jit_call_p.def_emit
def _jit_call_emit(ctx, out_names, in_exprs, jaxpr, num_consts, name):
    # generated code inlines the called function: no call, nothing interpreted
    body, outs = ctx.inline(jaxpr, in_exprs)
    return "\n".join(c for c in (body, ctx.assign(out_names, outs)) if c)


@jit_call_p.def_cost
def _jit_call_cost(*avals, jaxpr, num_consts, name):
    return dict(flops=0, transcendentals=0, bodies=[(jaxpr, 1)])


@jit_call_p.def_abstract_eval
def _jit_call_abstract_eval(*avals, jaxpr, num_consts, name):
    if list(avals) != jaxpr.in_avals:
        want = ", ".join(a.str_short() for a in jaxpr.in_avals)
        got = ", ".join(a.str_short() for a in avals)
        raise TypeError(f"jit_call of '{name}': the operands have types ({got}) but "
                        f"the jitted function was traced for ({want})")
    return jaxpr.out_avals


@jit_call_p.def_jvp
def _jit_call_jvp(primals, tangents, jaxpr, num_consts, name):
    nonzeros = [type(t) is not Zero for t in tangents]
    jvp_closed, out_nz = jvp_jaxpr(jaxpr, nonzeros, instantiate_zeros=False)
    outs = _bind_call(jvp_closed, [*primals, *[t for t in tangents if type(t) is not Zero]],
                      num_consts, f"jvp_{name}")
    n = len(jaxpr.out_avals)
    out_t = iter(outs[n:])
    return outs[:n], [next(out_t) if nz else Zero(a)
                      for nz, a in zip(out_nz, jaxpr.out_avals)]


def _jit_call_partial_eval(eqn, in_unknown):
    """A known ``jit_call`` (known inputs -> known outputs + residuals) and an
    unknown one (residuals + unknown inputs -> unknown outputs). A residual
    that is a known input of the call is passed to the unknown call directly."""
    p = eqn.params
    known, unknown, out_unknown, n_res = partial_eval_jaxpr(p["jaxpr"], in_unknown)
    n_known_out = out_unknown.count(False)
    known_ins = [x for x, u in zip(eqn.inputs, in_unknown) if not u]
    # residuals that are inputs of the known part: forwarded, not computed
    k = known.jaxpr
    position = {v: i for i, v in enumerate(k.invars)}
    res_out = k.outvars[n_known_out:]
    forwarded = [type(v) is Var and v in position for v in res_out]
    keep = [True] * n_known_out + [not f for f in forwarded]
    known, used_in = dce_prune(known, keep)
    known = select_inputs(known, used_in)
    res_vars = [Var(v.aval) for v, f in zip(res_out, forwarded) if not f]
    it = iter(res_vars)
    res_atoms = [known_ins[position[v]] if f else next(it)
                 for v, f in zip(res_out, forwarded)]
    known_nc = sum(not u for u in in_unknown[:p["num_consts"]])
    known_eqns = []
    known_outs = [v for v, u in zip(eqn.outputs, out_unknown) if not u]
    if known_outs or res_vars:
        known_eqns.append(Eqn(jit_call_p, [x for x, u in zip(known_ins, used_in) if u],
                              known_outs + res_vars,
                              dict(jaxpr=known, name=p["name"],
                                   num_consts=sum(used_in[:known_nc]))))
    unknown_outs = [v for v, u in zip(eqn.outputs, out_unknown) if u]
    if not unknown_outs:
        return known_eqns, []
    unknown_eqn = Eqn(jit_call_p,
                      res_atoms + [x for x, u in zip(eqn.inputs, in_unknown) if u],
                      unknown_outs,
                      dict(jaxpr=unknown, name=f"{p['name']}_unknown", num_consts=0))
    return known_eqns, [unknown_eqn]


jit_call_p.partial_eval = _jit_call_partial_eval


@jit_call_p.def_transpose
def _jit_call_transpose(cts, *args, jaxpr, num_consts, name):
    linear = [is_undefined(x) for x in args]
    transposed = transpose_jaxpr(jaxpr, linear)
    nonlinear = [x for x in args if not is_undefined(x)]
    outs = iter(_bind_call(transposed, [*nonlinear, *[instantiate(c) for c in cts]],
                           sum(not lin for lin in linear[:num_consts]),
                           f"transpose_{name}"))
    return [next(outs) if lin else None for lin in linear]


@jit_call_p.def_batch
def _jit_call_batch(axis_size, args, dims, jaxpr, num_consts, name):
    batched, out_dims = vmap_jaxpr(jaxpr, dims, axis_size)
    return _bind_call(batched, args, num_consts, f"vmap_{name}"), out_dims


def _jit_call_dce(eqn, used):
    """Drop the unused outputs, then the inputs nothing reads any more."""
    p = eqn.params
    pruned, used_in = dce_prune(p["jaxpr"], used)
    return Eqn(jit_call_p, [x for x, u in zip(eqn.inputs, used_in) if u],
               [v for v, u in zip(eqn.outputs, used) if u],
               dict(p, jaxpr=select_inputs(pruned, used_in),
                    num_consts=sum(used_in[:p["num_consts"]])))


jit_call_p.dce = _jit_call_dce
