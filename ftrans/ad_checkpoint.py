"""Checkpointing (rematerialization) and its policies, as ``jax.ad_checkpoint``.

``checkpoint(fun, policy=...)`` stages ``fun`` as one ``remat`` equation
(``ftrans/prims/special.py``). When reverse mode splits that equation into a
forward and a backward part (its partial-evaluation rule), the *policy* says
which of ``fun``'s forward values travel to the backward part as residuals;
every other value is recomputed there. A policy is a function
``policy(prim, *avals, **params) -> bool`` called on each equation of ``fun``
that depends only on known (primal) values: True saves its outputs.
``checkpoint_name(x, name)`` marks a value for the name-based policies.
``print_saved_residuals`` shows what a function's linearization saves.
"""

from __future__ import annotations

import types
from typing import Any, Callable

from ftrans.core import ClosedJaxpr, Var
from ftrans.custom_derivatives import checkpoint, remat
from ftrans.prims.special import _Policy, as_policy, name_p, remat_p
from ftrans.typing import PyTree

__all__ = ["checkpoint", "checkpoint_name", "checkpoint_policies", "print_saved_residuals",
           "remat", "saved_residuals"]


def checkpoint_name(x: PyTree, name: str) -> PyTree:
    """``x`` (every leaf of it), named ``name`` for the checkpoint policies.

    The identity, also for derivatives; ``save_only_these_names(name)`` saves
    it as a residual of a checkpointed function.

    >>> import ftrans, ftrans.numpy as jnp
    >>> print(ftrans.make_jaxpr(lambda x: checkpoint_name(jnp.sin(x), "h"))(1.0))
    { lambda ; a:f64[]. let
        b:f64[] = sin a
        c:f64[] = name[name='h'] b
      in (c,) }
    """
    from ftrans.prims._subjaxpr import as_operand
    from ftrans.tree_util import tree_map
    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name: name must be a str, got {name!r}")
    return tree_map(lambda leaf: name_p.bind(as_operand(leaf), name=name), x)


# --- policies ---------------------------------------------------------------------------

def _everything(prim, *avals, **params):
    return True


def _nothing(prim, *avals, **params):
    return False


def _dots(prim, *avals, **params):
    return prim.name == "dot_general"


def _dots_no_batch(prim, *avals, **params):
    if prim.name != "dot_general":
        return False
    (_, _), (lb, rb) = params["dimension_numbers"]
    return not lb and not rb


everything_saveable = _Policy(_everything, "everything_saveable", "everything_saveable")
nothing_saveable = _Policy(_nothing, "nothing_saveable", "nothing_saveable")
dots_saveable = _Policy(_dots, "dots_saveable", "dots_saveable")
dots_with_no_batch_dims_saveable = _Policy(_dots_no_batch, "dots_with_no_batch_dims_saveable",
                                           "dots_with_no_batch_dims_saveable")


def _check_names(fn: str, names) -> tuple:
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"{fn}: names must be str, got {n!r}")
    return tuple(names)


def save_only_these_names(*names: str) -> _Policy:
    """The policy saving the values named (``checkpoint_name``) in ``names``.

    >>> save_only_these_names("h")
    save_only_these_names('h')
    """
    names = _check_names("save_only_these_names", names)

    def policy(prim, *avals, **params):
        return prim is name_p and params["name"] in names

    return _Policy(policy, ("save_only_these_names", names),
                   f"save_only_these_names({', '.join(map(repr, names))})")


def save_any_names_but_these(*names: str) -> _Policy:
    """The policy saving every named value but those named in ``names``.

    >>> save_any_names_but_these("h")
    save_any_names_but_these('h')
    """
    names = _check_names("save_any_names_but_these", names)

    def policy(prim, *avals, **params):
        return prim is name_p and params["name"] not in names

    return _Policy(policy, ("save_any_names_but_these", names),
                   f"save_any_names_but_these({', '.join(map(repr, names))})")


def save_anything_except_these_names(*names: str) -> _Policy:
    """The policy saving every value but those named in ``names``.

    >>> save_anything_except_these_names("h")
    save_anything_except_these_names('h')
    """
    names = _check_names("save_anything_except_these_names", names)

    def policy(prim, *avals, **params):
        return not (prim is name_p and params["name"] in names)

    return _Policy(policy, ("save_anything_except_these_names", names),
                   f"save_anything_except_these_names({', '.join(map(repr, names))})")


def save_from_both_policies(policy_1: Callable, policy_2: Callable) -> _Policy:
    """The policy saving what either policy saves.

    >>> save_from_both_policies(dots_saveable, save_only_these_names("h"))
    save_from_both_policies(dots_saveable, save_only_these_names('h'))
    """
    p1, p2 = as_policy(policy_1), as_policy(policy_2)
    if p1 is None or p2 is None:
        raise TypeError("save_from_both_policies: both policies must be callables, not None")

    def policy(prim, *avals, **params):
        return p1(prim, *avals, **params) or p2(prim, *avals, **params)

    return _Policy(policy, ("save_from_both_policies", p1, p2),
                   f"save_from_both_policies({p1!r}, {p2!r})")


def save_and_offload_only_these_names(*, names_which_can_be_saved, names_which_can_be_offloaded,
                                      offload_src, offload_dst):
    """Not available: offloading moves residuals between device memory spaces
    (``offload_src`` to ``offload_dst``), and ftrans runs on numpy in host
    memory only. Use ``save_only_these_names`` instead."""
    raise NotImplementedError(
        "save_and_offload_only_these_names: ftrans runs on numpy, in host memory only, so "
        "there is no other memory space to offload residuals to; use "
        "save_only_these_names(*names_which_can_be_saved) instead")


checkpoint_policies = types.SimpleNamespace(
    everything_saveable=everything_saveable,
    nothing_saveable=nothing_saveable,
    dots_saveable=dots_saveable,
    checkpoint_dots=dots_saveable,
    dots_with_no_batch_dims_saveable=dots_with_no_batch_dims_saveable,
    checkpoint_dots_with_no_batch_dims=dots_with_no_batch_dims_saveable,
    save_only_these_names=save_only_these_names,
    save_any_names_but_these=save_any_names_but_these,
    save_anything_except_these_names=save_anything_except_these_names,
    save_from_both_policies=save_from_both_policies,
    save_and_offload_only_these_names=save_and_offload_only_these_names,
)


# --- what a linearization saves ---------------------------------------------------------

def _source(var: Var, jaxpr, invar_source: Callable[[int], str]) -> str:
    """Where ``var`` of ``jaxpr`` comes from, looking into remat bodies: the
    argument it is (``invar_source(i)`` for input ``i``), or the primitive
    whose output it is."""
    if var in jaxpr.invars:
        return invar_source(jaxpr.invars.index(var))
    eqn = next(e for e in jaxpr.eqns if var in e.outputs)
    if eqn.primitive is name_p:
        return f"named '{eqn.params['name']}'"
    if eqn.primitive is not remat_p:
        return f"output of {eqn.primitive.name}"
    body = eqn.params["jaxpr"].jaxpr
    inner = body.outvars[eqn.outputs.index(var)]

    def body_input(i: int) -> str:  # a body input is the remat's operand i
        x = eqn.inputs[i]
        return _source(x, jaxpr, invar_source) if type(x) is Var else "a literal"

    return _source(inner, body, body_input) if type(inner) is Var else "a literal"


def _arg_names(f: Callable, args: tuple) -> list[str]:
    """A name for each argument: its parameter's name if ``f`` has a signature."""
    import inspect
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(len(args)):
        p = params[i] if i < len(params) else None
        if p is not None and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p is not None and p.kind is p.VAR_POSITIONAL:
            names.append(f"{p.name}[{i - params.index(p)}]")
            params.insert(i, p)
        else:
            names.append(f"args[{i}]")
    return names


def saved_residuals(f: Callable, *args: PyTree) -> list[tuple[Any, str]]:
    """``(aval, source)`` for each residual the linearization of ``f`` at
    ``args`` saves (w.r.t. its float arguments), in order; ``source`` says
    where it comes from.

    >>> import ftrans.numpy as jnp
    >>> [(a.str_short(), s) for a, s in saved_residuals(lambda x: jnp.sin(x) * x, 1.0)]
    [('f64[]', 'output of cos'), ('f64[]', 'from the argument x'), ('f64[]', 'output of sin')]
    """
    from ftrans.api import _diff_mask, make_jaxpr
    from ftrans.core import Jaxpr
    from ftrans.prims._subjaxpr import as_operand
    from ftrans.transforms.dce import dce_jaxpr
    from ftrans.transforms.jvp import jvp_jaxpr
    from ftrans.transforms.partial_eval import partial_eval_jaxpr
    from ftrans.tree_util import keystr, tree_flatten_with_path, tree_unflatten

    path_leaves, in_tree = tree_flatten_with_path(args)
    flat = [as_operand(x) for _, x in path_leaves]
    arg_names = _arg_names(f, args)
    names = [arg_names[p[0].idx] + keystr(p[1:]) for p, _ in path_leaves]

    def flat_f(*leaves):
        return f(*tree_unflatten(in_tree, leaves))

    closed: ClosedJaxpr = make_jaxpr(flat_f)(*flat)
    j = closed.jaxpr
    n_c, n_out = len(j.constvars), len(j.outvars)
    mask = _diff_mask(flat)
    opened = ClosedJaxpr(Jaxpr([], j.constvars + j.invars, j.eqns, j.outvars), [])
    jvp_closed, out_nz = jvp_jaxpr(opened, [False] * n_c + mask, instantiate_zeros=False)
    known, linear, _, n_res = partial_eval_jaxpr(
        jvp_closed, [False] * (n_c + len(flat)) + [True] * sum(mask),
        instantiate=[False] * n_out + [True] * sum(out_nz))
    lj = dce_jaxpr(linear).jaxpr
    used = {v for e in lj.eqns for v in e.inputs if type(v) is Var}
    used.update(v for v in lj.outvars if type(v) is Var)
    kj = known.jaxpr
    out, seen = [], set()
    for r_in, r in zip(lj.invars[:n_res], kj.outvars[len(kj.outvars) - n_res:]):
        if r_in not in used or type(r) is not Var or r in seen:
            continue
        seen.add(r)
        sources = ["from a constant"] * n_c + [f"from the argument {n}" for n in names]
        out.append((r.aval, _source(r, kj, sources.__getitem__)))
    return out


def print_saved_residuals(f: Callable, *args: PyTree) -> None:
    """Print, one a line, the residuals the linearization of ``f`` saves: type
    and where each comes from (an argument, or the output of a primitive).

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> f = ftrans.checkpoint(lambda x: jnp.sin(jnp.sin(x)))
    >>> print_saved_residuals(f, np.ones(3))
    f64[3] from the argument x
    >>> g = ftrans.checkpoint(lambda x: jnp.sin(jnp.sin(x)),
    ...                       policy=checkpoint_policies.everything_saveable)
    >>> print_saved_residuals(g, np.ones(3))
    f64[3] output of cos
    f64[3] output of cos
    """
    for aval, src in saved_residuals(f, *args):
        print(f"{aval.str_short()} {src}")
