"""Special primitives: ``stop_gradient``, the calls of user-defined derivative
rules (``custom_jvp_call``, ``custom_vjp_call`` and its linear part
``custom_lin``), and ``remat`` (checkpointing).

The user's rules are traced into jaxprs when the decorated function is
called, and stored as params: transformations still never call user code.
"""

from __future__ import annotations

from ftrans.ad_util import Zero, instantiate, is_undefined
from ftrans.core import Eqn, Primitive
from ftrans.eval import eval_closed
from ftrans.prims._families import def_zero_jvp, unary
from ftrans.transforms.dce import dce_jaxpr
from ftrans.transforms.jvp import jvp_jaxpr
from ftrans.transforms.partial_eval import partial_eval_jaxpr
from ftrans.transforms.transpose import transpose_jaxpr
from ftrans.typing import PyTree

__all__ = ["stop_gradient"]



# --- stop_gradient ----------------------------------------------------------------

stop_gradient_p = unary("stop_gradient", lambda x: x, float_only=False)
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


# --- custom_jvp ----------------------------------------------------------------------
# ``jvp`` is the user's rule wrapped to take and return flat lists; it is called
# (and so traced into the current trace) only when the equation is
# differentiated, so a rule may call the function it differentiates.

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)


@custom_jvp_call_p.def_impl
def _custom_jvp_call_impl(*args, call_jaxpr, jvp, num_consts):
    return eval_closed(call_jaxpr, *args)


@custom_jvp_call_p.def_abstract_eval
def _custom_jvp_call_abstract_eval(*avals, call_jaxpr, jvp, num_consts):
    return call_jaxpr.out_avals


@custom_jvp_call_p.def_jvp
def _custom_jvp_call_jvp(primals, tangents, call_jaxpr, jvp, num_consts):
    _check_no_closure_tangents("custom_jvp", tangents[:num_consts])
    return jvp(primals[num_consts:], [instantiate(t) for t in tangents[num_consts:]])


def _check_no_closure_tangents(kind, tangents):
    if any(type(t) is not Zero for t in tangents):
        raise TypeError(
            f"A {kind} function closes over a value that is being differentiated; "
            "its rule only covers the explicit arguments. Pass that value as an "
            "argument of the decorated function instead.")


# --- custom_vjp: forward pass, and a linear primitive whose transpose is bwd -----

custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)


@custom_vjp_call_p.def_impl
def _custom_vjp_call_impl(*args, call_jaxpr, fwd, bwd, num_consts):
    return eval_closed(call_jaxpr, *args)


@custom_vjp_call_p.def_abstract_eval
def _custom_vjp_call_abstract_eval(*avals, call_jaxpr, fwd, bwd, num_consts):
    return call_jaxpr.out_avals


@custom_vjp_call_p.def_jvp
def _custom_vjp_call_jvp(primals, tangents, call_jaxpr, fwd, bwd, num_consts):
    _check_no_closure_tangents("custom_vjp", tangents[:num_consts])
    outs, res = fwd(primals[num_consts:])
    lin = custom_lin_p.bind(*res, *[instantiate(t) for t in tangents[num_consts:]],
                            bwd=bwd, num_res=len(res),
                            out_avals=tuple(call_jaxpr.out_avals))
    return outs, lin


custom_lin_p = Primitive("custom_lin", multiple_results=True)


@custom_lin_p.def_abstract_eval
def _custom_lin_abstract_eval(*avals, bwd, num_res, out_avals):
    return list(out_avals)


@custom_lin_p.def_impl
def _custom_lin_impl(*args, **params):
    raise TypeError(
        "can't apply forward-mode differentiation (jvp, jacfwd, linearize) to a "
        "custom_vjp function: it only defines a reverse-mode rule. Use grad, vjp or "
        "jacrev, or define the function with custom_jvp.")


@custom_lin_p.def_transpose
def _custom_lin_transpose(cts, *args, bwd, num_res, out_avals):
    res = args[:num_res]
    return [None] * num_res + bwd(res, [instantiate(c) for c in cts])


# --- remat (checkpoint) --------------------------------------------------------------

remat_p = Primitive("remat", multiple_results=True)


@remat_p.def_impl
def _remat_impl(*args, jaxpr, prevent_cse):
    return eval_closed(jaxpr, *args)


@remat_p.def_abstract_eval
def _remat_abstract_eval(*avals, jaxpr, prevent_cse):
    return jaxpr.out_avals


@remat_p.def_jvp
def _remat_jvp(primals, tangents, jaxpr, prevent_cse):
    nonzeros = [type(t) is not Zero for t in tangents]
    jvp_closed, out_nz = jvp_jaxpr(jaxpr, nonzeros, instantiate_zeros=False)
    outs = remat_p.bind(*primals, *[t for t in tangents if type(t) is not Zero],
                        jaxpr=jvp_closed, prevent_cse=prevent_cse)
    n = len(jaxpr.out_avals)
    out_t = iter(outs[n:])
    return outs[:n], [next(out_t) if nz else Zero(a)
                      for nz, a in zip(out_nz, jaxpr.out_avals)]


def _remat_partial_eval(eqn, in_unknown):
    """The known part computes only the known outputs; the unknown part takes
    the known *inputs* as its only residuals and recomputes the rest."""
    jaxpr = eqn.params["jaxpr"]
    known, _, out_unknown, n_res = partial_eval_jaxpr(jaxpr, in_unknown)
    n_known = out_unknown.count(False)
    known = dce_jaxpr(known, [True] * n_known + [False] * n_res)
    known_eqns = [Eqn(remat_p, [x for x, u in zip(eqn.inputs, in_unknown) if not u],
                      [v for v, u in zip(eqn.outputs, out_unknown) if not u],
                      dict(eqn.params, jaxpr=known))] if n_known else []
    unknown_eqns = [Eqn(remat_p, eqn.inputs,
                        [v for v, u in zip(eqn.outputs, out_unknown) if u],
                        dict(eqn.params, jaxpr=dce_jaxpr(jaxpr, out_unknown)))]
    return known_eqns, unknown_eqns


remat_p.partial_eval = _remat_partial_eval


@remat_p.def_transpose
def _remat_transpose(cts, *args, jaxpr, prevent_cse):
    linear = [is_undefined(x) for x in args]
    transposed = transpose_jaxpr(jaxpr, linear)
    outs = iter(remat_p.bind(*[x for x in args if not is_undefined(x)],
                             *[instantiate(c) for c in cts],
                             jaxpr=transposed, prevent_cse=prevent_cse))
    return [next(outs) if lin else None for lin in linear]


def _remat_dce(eqn, used):
    return Eqn(remat_p, eqn.inputs, [v for v, u in zip(eqn.outputs, used) if u],
               dict(eqn.params, jaxpr=dce_jaxpr(eqn.params["jaxpr"], used)))


remat_p.dce = _remat_dce
