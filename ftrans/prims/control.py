"""Control flow: ``cond``/``switch``, ``scan``, ``while_loop``, ``fori_loop``.

These primitives carry sub-jaxprs as params. Their rules transform the
sub-jaxprs with the same passes as everything else: the JVP of a scan is a
scan of the JVP body; partial evaluation splits the body, stacking per-step
residuals along the scan axis so the forward pass runs once; the transpose is
a reverse scan of the transposed body. ``while_loop`` differentiates in
forward mode only (its trip count is not known before it runs). Batching
batches the sub-jaxprs (``vmap_jaxpr``) in one layout; a batched branch index
runs every branch and selects, a batched loop predicate runs the loop until
every example has finished, freezing the finished ones.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ftrans.ad_util import Zero, add_tangents, instantiate, is_undefined, zeros
from ftrans.core import (ClosedJaxpr, Eqn, Jaxpr, Literal, Primitive, ShapedArray, Var,
                         get_aval)
from ftrans.errors import fn_name
from ftrans.eval import eval_closed
from ftrans.prims._batching import at_dim, batched_to, move_axis
from ftrans.prims._subjaxpr import (add_unused_inputs, as_operand, groups,
                                    hoist_consts, reorder, trace_tree_fn)
from ftrans.prims.elementwise import (convert_element_type, max as max_, min as min_,
                                      ne, select_n)
from ftrans.prims.reductions import reduce_max
from ftrans.prims.shape import broadcast_in_dim, concatenate, reshape, slice as slice_
from ftrans.tracing import trace_to_jaxpr
from ftrans.transforms.dce import dce_jaxpr, dce_prune, select_inputs
from ftrans.transforms.jvp import jvp_jaxpr
from ftrans.transforms.partial_eval import partial_eval_jaxpr
from ftrans.transforms.transpose import backward_pass, transpose_jaxpr
from ftrans.transforms.vmap import vmap_jaxpr
from ftrans.tree_util import tree_flatten, tree_unflatten
from ftrans.typing import Array, ArrayLike, PyTree

__all__ = ["cond", "switch", "scan", "fori_loop", "while_loop"]



def _types(avals) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def _at0(flags) -> list:
    """Batch dims for values that are batched along axis 0 where ``flags``."""
    return [0 if f else None for f in flags]


def _batched_select(which, cases):
    """``select_n`` of cases batched along axis 0 by a batched scalar
    selector (one per example)."""
    shape = get_aval(cases[0]).shape
    if len(shape) > 1:
        which = broadcast_in_dim(which, shape, (0,))
    return select_n(which, *cases)


# --- cond / switch ------------------------------------------------------------------

cond_p = Primitive("cond", multiple_results=True)


@cond_p.def_impl
def _cond_impl(index, *ops, branches):
    return eval_closed(branches[int(np.clip(index, 0, len(branches) - 1))], *ops)


@cond_p.def_emit
def _cond_emit(ctx, out_names, in_exprs, branches):
    # an if/elif chain on the index, clamped to the branches as the impl does
    index, *ops = in_exprs
    lines, last = [], len(branches) - 1
    for k, branch in enumerate(branches):
        body, outs = ctx.inline(branch, ops)
        code = "\n".join(c for c in (body, ctx.assign(out_names, outs)) if c)
        if last == 0:
            return code
        test = (f"if {index} <= 0:" if k == 0 else "else:" if k == last
                else f"elif {index} == {k}:")
        lines += [test, ctx.indent(code)]
    return "\n".join(lines)


@cond_p.def_cost
def _cond_cost(index, *ops, branches):
    # the analysis counts the costliest branch (``bodies`` with ``combine="max"``)
    return dict(flops=0, transcendentals=0, bodies=[(b, 1) for b in branches], combine="max")


@cond_p.def_abstract_eval
def _cond_abstract_eval(index, *ops, branches):
    if index.shape != () or index.dtype.kind not in "iu":
        raise TypeError(f"cond: the branch index must be an integer scalar, got "
                        f"{index.str_short()}")
    for b in branches:
        if b.in_avals != list(ops):
            raise TypeError(f"cond: branch inputs {_types(b.in_avals)} differ from "
                            f"the operands {_types(ops)}")
        if b.out_avals != branches[0].out_avals:
            raise TypeError("cond: branches return different types: "
                            f"{_types(branches[0].out_avals)} and {_types(b.out_avals)}")
    return branches[0].out_avals


@cond_p.def_jvp
def _cond_jvp(primals, tangents, branches):
    index, *ops = primals
    nonzeros = [type(t) is not Zero for t in tangents[1:]]
    jvps = [jvp_jaxpr(b, nonzeros, instantiate_zeros=True) for b in branches]
    outs = cond_p.bind(index, *ops, *[t for t in tangents[1:] if type(t) is not Zero],
                       branches=tuple(j for j, _ in jvps))
    n = len(branches[0].out_avals)
    out_tangents = iter(outs[n:])
    return outs[:n], [next(out_tangents) if nz else Zero(a)
                      for nz, a in zip(jvps[0][1], branches[0].out_avals)]


def _cond_partial_eval(eqn, in_unknown):
    index_unknown, *ops_unknown = in_unknown
    if index_unknown:
        return [], [eqn]
    branches = eqn.params["branches"]
    out_unknown = [False] * len(eqn.outputs)
    for b in branches:  # an output unknown in any branch is unknown in all
        out_unknown = [a or b for a, b in
                       zip(out_unknown, partial_eval_jaxpr(b, ops_unknown)[2])]
    splits = [partial_eval_jaxpr(b, ops_unknown, instantiate=out_unknown)
              for b in branches]
    res_avals = [[v.aval for v in k.jaxpr.outvars[len(k.jaxpr.outvars) - n:]]
                 for k, _, _, n in splits]
    all_res = [a for avals in res_avals for a in avals]
    n_known_out = out_unknown.count(False)
    if len(all_res) > _PACK_OVER:
        return _cond_partial_eval_packed(eqn, ops_unknown, out_unknown, splits)
    known_branches, unknown_branches = [], []
    # Branch i's residuals travel in slots of their own; the other branches
    # fill those with zeros, and ignore them.
    for i, (known, unknown, _, n_res) in enumerate(splits):
        before = sum(len(r) for r in res_avals[:i])
        pad_before, pad_after = all_res[:before], all_res[before + n_res:]
        known_branches.append(_with_zero_outputs(known, n_known_out, pad_before, pad_after))
        u = unknown.jaxpr
        invars = ([Var(a) for a in pad_before] + u.invars[:n_res]
                  + [Var(a) for a in pad_after] + u.invars[n_res:])
        unknown_branches.append(ClosedJaxpr(Jaxpr(u.constvars, invars, u.eqns, u.outvars),
                                            unknown.consts))
    return _split_cond(eqn, ops_unknown, out_unknown, all_res, known_branches,
                       unknown_branches)


# A branch passes on the residuals of the conds nested in it, so without
# packing, the residuals of the outermost of d nested conds number O(d), and
# the linear part's size grows as d**2. Beyond this many, the residuals travel
# as one flat array per dtype, shared by the branches.
_PACK_OVER = 8


def _cond_partial_eval_packed(eqn, ops_unknown, out_unknown, splits):
    n_known_out = out_unknown.count(False)
    own = [k.out_avals[n_known_out:] for k, _, _, _ in splits]
    sizes: dict = {}  # dtype -> the buffer's length: the most any branch needs
    for avals in own:
        need: dict = {}
        for a in avals:
            need[a.dtype] = need.get(a.dtype, 0) + a.size
        for dt, n in need.items():
            sizes[dt] = max(sizes.get(dt, 0), n)
    buf_avals = [ShapedArray((n,), dt) for dt, n in sizes.items()]
    where = {dt: i for i, dt in enumerate(sizes)}
    known_branches, unknown_branches = [], []
    for known, unknown, _, n_res in splits:
        def known_fn(*ops, known=known):
            outs = eval_closed(known, *ops)
            parts: list[list] = [[] for _ in buf_avals]
            for r, a in zip(outs[n_known_out:], known.out_avals[n_known_out:]):
                parts[where[a.dtype]].append(reshape(r, (a.size,)))
            for ps, b in zip(parts, buf_avals):
                fill = b.size - sum(get_aval(x).size for x in ps)
                if fill or not ps:
                    ps.append(zeros(b.update(shape=(fill,))))
            return outs[:n_known_out] + [concatenate(ps, 0) for ps in parts]

        def unknown_fn(*args, unknown=unknown, n_res=n_res):
            bufs, ops = args[:len(buf_avals)], args[len(buf_avals):]
            offset = [0] * len(buf_avals)
            res = []
            for a in unknown.in_avals[:n_res]:
                i = where[a.dtype]
                piece = slice_(bufs[i], (offset[i],), (offset[i] + a.size,))
                res.append(reshape(piece, a.shape))
                offset[i] += a.size
            return eval_closed(unknown, *res, *ops)

        in_avals = splits[0][0].in_avals
        known_branches.append(trace_to_jaxpr(known_fn, in_avals)[0])
        unknown_avals = [a for a, u in zip(eqn.params["branches"][0].in_avals, ops_unknown)
                         if u]
        unknown_branches.append(trace_to_jaxpr(unknown_fn, buf_avals + unknown_avals)[0])
    return _split_cond(eqn, ops_unknown, out_unknown, buf_avals, known_branches,
                       unknown_branches)


def _split_cond(eqn, ops_unknown, out_unknown, res_avals, known_branches,
                unknown_branches):
    """The known and the unknown ``cond`` equations of a partially evaluated
    one, the residuals (of types ``res_avals``) passed from the first to the
    second."""
    index, *ops = eqn.inputs
    res_vars = [Var(a) for a in res_avals]
    known_eqn = Eqn(cond_p, [index] + [x for x, u in zip(ops, ops_unknown) if not u],
                    [v for v, u in zip(eqn.outputs, out_unknown) if not u] + res_vars,
                    {"branches": tuple(known_branches)})
    unknown_eqn = Eqn(cond_p, [index] + res_vars + [x for x, u in zip(ops, ops_unknown) if u],
                      [v for v, u in zip(eqn.outputs, out_unknown) if u],
                      {"branches": tuple(unknown_branches)})
    return [known_eqn], [unknown_eqn]


def _with_zero_outputs(closed, n_out, before, after):
    """``closed`` (outputs, then residuals) with zeros of types ``before``
    between its outputs and residuals, and of types ``after`` at the end: one
    zero per type, given as a literal (scalars) or a constant."""
    j = closed.jaxpr
    consts = dict(zip(j.constvars, closed.consts))
    zero_of: dict = {}

    def zero(aval):
        if aval not in zero_of:
            value = np.zeros(aval.shape, aval.dtype)
            zero_of[aval] = Literal(value[()], aval) if aval.shape == () else Var(aval)
            if aval.shape != ():
                consts[zero_of[aval]] = value
        return zero_of[aval]

    outvars = ([*j.outvars[:n_out], *map(zero, before), *j.outvars[n_out:],
                *map(zero, after)])
    return ClosedJaxpr(Jaxpr(list(consts), j.invars, j.eqns, outvars), list(consts.values()))


cond_p.partial_eval = _cond_partial_eval


@cond_p.def_transpose
def _cond_transpose(cts, index, *ops, branches):
    linear = [is_undefined(x) for x in ops]
    transposed = tuple(transpose_jaxpr(b, linear) for b in branches)
    outs = iter(cond_p.bind(index, *[x for x in ops if not is_undefined(x)],
                            *[instantiate(c) for c in cts], branches=transposed))
    return [None] + [next(outs) if lin else None for lin in linear]


def _cond_dce(eqn, used):
    branches = tuple(dce_jaxpr(b, used) for b in eqn.params["branches"])
    return Eqn(cond_p, eqn.inputs, [v for v, u in zip(eqn.outputs, used) if u],
               {"branches": branches})


cond_p.dce = _cond_dce


@cond_p.def_batch
def _cond_batch(axis_size, args, dims, branches):
    (index, *ops), (index_dim, *op_dims) = args, dims
    n_out = len(branches[0].out_avals)
    if index_dim is None:
        # one branch for the whole batch: batch every branch, in one layout (an
        # output whose batch axis differs between branches, or that only some
        # branches batch, goes at axis 0 in all)
        per_branch = [vmap_jaxpr(b, op_dims, axis_size)[1] for b in branches]
        out_dims = [ds[0] if all(d == ds[0] for d in ds) else 0 for ds in zip(*per_branch)]
        batched = tuple(batched_to(b, op_dims, axis_size, out_dims) for b in branches)
        return cond_p.bind(index, *ops, branches=batched), out_dims
    # one branch per example: every branch runs on the whole batch (branches
    # have no side effects) and each example's result is selected; the index
    # is clamped into range as the impl does
    outs = [eval_closed(batched_to(b, op_dims, axis_size, [0] * n_out), *ops)
            for b in branches]
    if len(branches) == 1:
        return outs[0], [0] * n_out
    dt = get_aval(index).dtype
    index = max_(min_(index, np.full((axis_size,), len(branches) - 1, dt)),
                 np.zeros((axis_size,), dt))
    return [_batched_select(index, cases) for cases in zip(*outs)], [0] * n_out


def switch(index: ArrayLike, branches: Sequence[Callable[..., PyTree]],
           *operands: PyTree) -> PyTree:
    """Apply ``branches[index](*operands)``; the index is clamped into range.

    Every branch is traced once; all must return the same types.

    >>> import ftrans.lax as lax
    >>> float(lax.switch(1, [lambda x: x + 1.0, lambda x: x * 10.0], 2.0))
    20.0
    """
    names = [f"branch {i} ({fn_name(b)})" for i, b in enumerate(branches)]
    return _switch(index, branches, names, operands)


def _switch(index, branches, names, operands):
    if not branches:
        raise ValueError("switch: needs at least one branch")
    ops_flat, in_tree = tree_flatten(operands)
    ops_flat = [as_operand(x) for x in ops_flat]
    avals = [get_aval(x) for x in ops_flat]
    traced = [trace_tree_fn(lambda ops, b=b: b(*ops), [in_tree], avals, "cond")
              for b in branches]
    jaxpr0, _, tree0 = traced[0]
    for name, (jaxpr, _, tree) in zip(names, traced):
        if tree != tree0 or jaxpr.out_avals != jaxpr0.out_avals:
            raise TypeError(
                f"cond/switch: branches must return the same types, but {names[0]} "
                f"returns {tree0} of types {_types(jaxpr0.out_avals)} and {name} "
                f"returns {tree} of types {_types(jaxpr.out_avals)}")
    # every branch takes the constants of all branches, then the operands
    all_consts = [c for _, consts, _ in traced for c in consts]
    const_avals = [get_aval(c) for c in all_consts]
    joined, start = [], 0
    for jaxpr, consts, _ in traced:
        j = jaxpr.jaxpr
        k = len(consts)
        fresh = [Var(a) for a in const_avals]
        invars = fresh[:start] + j.invars[:k] + fresh[start + k:] + j.invars[k:]
        joined.append(ClosedJaxpr(Jaxpr([], invars, j.eqns, j.outvars), []))
        start += k
    index = _branch_index(index, len(branches))
    outs = cond_p.bind(index, *all_consts, *ops_flat, branches=tuple(joined))
    return tree_unflatten(traced[0][2], outs)


def _branch_index(index, n):
    index = as_operand(index)
    if get_aval(index).shape != ():
        raise TypeError(f"cond/switch: the predicate or index must be a scalar, got "
                        f"{get_aval(index).str_short()}")
    index = convert_element_type(index, np.int32)
    return max_(min_(index, np.int32(n - 1)), np.int32(0)) if n > 2 else index


def cond(pred: ArrayLike, true_fun: Callable[..., PyTree], false_fun: Callable[..., PyTree],
         *operands: PyTree) -> PyTree:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``.

    Both branches are traced; under ``grad`` the derivative is the taken
    branch's.

    >>> import ftrans.lax as lax
    >>> float(lax.cond(True, lambda x: x + 1.0, lambda x: x - 1.0, 5.0))
    6.0
    """
    names = [f"false_fun ({fn_name(false_fun)})", f"true_fun ({fn_name(true_fun)})"]
    pred = as_operand(pred)
    aval = get_aval(pred)
    if aval.dtype.kind != "b" and aval.shape == ():
        if aval.dtype.kind not in "iuf":
            raise TypeError(f"cond: the predicate must be a boolean or a number, got "
                            f"{aval.str_short()}")
        pred = ne(pred, np.zeros((), aval.dtype))  # any nonzero number is true, as in JAX
    return _switch(pred, [false_fun, true_fun], names, operands)


# --- scan --------------------------------------------------------------------------

scan_p = Primitive("scan", multiple_results=True)


@scan_p.def_impl
def _scan_impl(*args, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = groups(args, num_consts, num_carry)
    ys_avals = jaxpr.out_avals[num_carry:]
    ys = [np.empty((length,) + a.shape, a.dtype) for a in ys_avals]
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        outs = eval_closed(jaxpr, *consts, *carry, *[x[i] for x in xs])
        carry = outs[:num_carry]
        for y, o in zip(ys, outs[num_carry:]):
            y[i] = o
    return [np.asarray(c) for c in carry] + ys


@scan_p.def_emit
def _scan_emit(ctx, out_names, in_exprs, jaxpr, num_consts, num_carry, length, reverse):
    # a for loop: the carry lives in the scan's own outputs, the stacked
    # outputs are preallocated and filled one row per step
    consts, init, xs = groups(in_exprs, num_consts, num_carry)
    carry, ys = out_names[:num_carry], out_names[num_carry:]
    i = ctx.fresh("i")
    x_names = [ctx.fresh("x") for _ in xs]
    with ctx.loop(consts) as before:  # loop-invariant work goes before the loop
        body, outs = ctx.inline(jaxpr, consts + carry + x_names)
    lines = [ctx.assign(carry, init)] + before
    lines += [f"{y} = np.empty({a.shape}, np.{a.dtype.name})"
              for y, a in zip(ys, ctx.out_avals[num_carry:])]
    steps = f"range({length - 1}, -1, -1)" if reverse else f"range({length})"
    step = [f"{x} = {xs_}[{i}]" for x, xs_ in zip(x_names, xs)]
    step += [body] + [f"{y}[{i}] = {o}" for y, o in zip(ys, outs[num_carry:])]
    step += [ctx.assign(carry, outs[:num_carry])]  # last: the rows may read the old carry
    lines += [f"for {i} in {steps}:", ctx.indent("\n".join(c for c in step if c))]
    return "\n".join(c for c in lines if c)


@scan_p.def_cost
def _scan_cost(*avals, jaxpr, num_consts, num_carry, length, reverse):
    return dict(flops=0, transcendentals=0, bodies=[(jaxpr, length)])


@scan_p.def_abstract_eval
def _scan_abstract_eval(*avals, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = groups(avals, num_consts, num_carry)
    if any(x.ndim == 0 or x.shape[0] != length for x in xs):
        raise TypeError(f"scan: every xs must have leading axis {length}, got "
                        f"{_types(xs)}")
    x_slices = [x.update(shape=x.shape[1:]) for x in xs]
    if jaxpr.in_avals != consts + carry + x_slices:
        raise TypeError(f"scan: the body takes {_types(jaxpr.in_avals)}, but is given "
                        f"{_types(consts + carry + x_slices)}")
    carry_out = jaxpr.out_avals[:num_carry]
    if carry_out != carry:
        raise TypeError(f"scan: the body returns a carry of types {_types(carry_out)} "
                        f"but the initial carry has types {_types(carry)}; they must "
                        "match exactly (same shapes and dtypes)")
    return carry + [y.update(shape=(length,) + y.shape)
                    for y in jaxpr.out_avals[num_carry:]]


def _fixpoint(flags_fn, carry_flags):
    """Grow the carry's flags until the body maps them into themselves."""
    while True:
        new = [a or b for a, b in zip(carry_flags, flags_fn(carry_flags))]
        if new == carry_flags:
            return carry_flags
        carry_flags = new


@scan_p.def_jvp
def _scan_jvp(primals, tangents, jaxpr, num_consts, num_carry, length, reverse):
    nz = [type(t) is not Zero for t in tangents]
    const_nz, carry_nz, xs_nz = groups(nz, num_consts, num_carry)
    n_ys = len(jaxpr.out_avals) - num_carry

    def body_jvp(carry_nz):
        return jvp_jaxpr(jaxpr, const_nz + carry_nz + xs_nz,
                         instantiate_zeros=carry_nz + [False] * n_ys)

    carry_nz = _fixpoint(lambda c: body_jvp(c)[1][:num_carry], carry_nz)
    body, out_nz = body_jvp(carry_nz)
    nc, ncar, nx = num_consts, num_carry, len(xs_nz)
    tc, tcar = sum(const_nz), sum(carry_nz)
    # body inputs: consts, carry, xs, const tangents, carry tangents, xs tangents
    # scan wants:  consts + const tangents, carry + carry tangents, xs + xs tangents
    n_in = nc + ncar + nx
    in_order = (list(range(nc)) + list(range(n_in, n_in + tc))
                + list(range(nc, nc + ncar)) + list(range(n_in + tc, n_in + tc + tcar))
                + list(range(nc + ncar, n_in)) + list(range(n_in + tc + tcar, len(body.in_avals))))
    n_out = ncar + n_ys
    ty = sum(out_nz[ncar:])
    out_order = (list(range(ncar)) + list(range(n_out, n_out + tcar))
                 + list(range(ncar, n_out)) + list(range(n_out + tcar, n_out + tcar + ty)))
    body = reorder(body, in_order, out_order)
    consts, carry, xs = groups(primals, nc, ncar)
    c_t, carry_t, xs_t = groups(tangents, nc, ncar)
    outs = scan_p.bind(
        *consts, *[t for t in c_t if type(t) is not Zero],
        *carry, *[instantiate(t) for t, z in zip(carry_t, carry_nz) if z],
        *xs, *[t for t in xs_t if type(t) is not Zero],
        jaxpr=body, num_consts=nc + tc, num_carry=ncar + tcar, length=length,
        reverse=reverse)
    carry_out, carry_t_out, ys, ys_t = groups(outs, ncar, tcar, n_ys)
    carry_t_out, ys_t = iter(carry_t_out), iter(ys_t)
    out_avals = _scan_abstract_eval(*[get_aval(p) for p in primals], jaxpr=jaxpr,
                                    num_consts=nc, num_carry=ncar, length=length,
                                    reverse=reverse)
    tangents_out = [next(carry_t_out) if z else Zero(a)
                    for z, a in zip(carry_nz, out_avals[:ncar])]
    tangents_out += [next(ys_t) if z else Zero(a)
                     for z, a in zip(out_nz[ncar:], out_avals[ncar:])]
    return carry_out + ys, tangents_out


def _scan_partial_eval(eqn, in_unknown):
    p = eqn.params
    jaxpr, nc, ncar = p["jaxpr"], p["num_consts"], p["num_carry"]
    const_uk, carry_uk, xs_uk = groups(in_unknown, nc, ncar)
    n_ys = len(jaxpr.out_avals) - ncar

    def split(carry_uk):
        return partial_eval_jaxpr(jaxpr, const_uk + carry_uk + xs_uk,
                                  instantiate=carry_uk + [False] * n_ys)

    carry_uk = _fixpoint(lambda c: split(c)[2][:ncar], carry_uk)
    known, unknown, out_uk, n_res = split(carry_uk)
    in_uk = const_uk + carry_uk + xs_uk
    n_known_out = out_uk.count(False)
    residuals = known.jaxpr.outvars[n_known_out:]
    body_in = jaxpr.jaxpr.invars
    outer_of = dict(zip(body_in, eqn.inputs))
    # residuals that are known constants or known xs are forwarded from the
    # outer equation; the others are computed per step and stacked
    const_res = [r for r in residuals if r in body_in[:nc]]
    xs_res = [r for r in residuals if r in body_in[nc + ncar:]]
    step_res = [r for r in residuals if r not in set(const_res) | set(xs_res)]
    keep = [True] * n_known_out + [r in step_res for r in residuals]
    known = dce_jaxpr(known, keep)
    stacked = [Var(r.aval.update(shape=(p["length"],) + r.aval.shape)) for r in step_res]
    known_in = [x for x, u in zip(eqn.inputs, in_uk) if not u]
    known_out = [v for v, u in zip(eqn.outputs, out_uk) if not u] + stacked
    known_eqn = Eqn(scan_p, known_in, known_out, dict(
        p, jaxpr=known, num_consts=const_uk.count(False), num_carry=carry_uk.count(False)))
    u_consts, u_carry, u_xs = groups(unknown.jaxpr.invars[n_res:], const_uk.count(True),
                                     carry_uk.count(True))
    uj = unknown.jaxpr
    unknown = ClosedJaxpr(Jaxpr(uj.constvars, const_res + u_consts + u_carry + step_res
                                + xs_res + u_xs, uj.eqns, uj.outvars), unknown.consts)
    unknown_in = ([outer_of[r] for r in const_res]
                  + [x for x, u in zip(eqn.inputs[:nc], const_uk) if u]
                  + [x for x, u in zip(eqn.inputs[nc:nc + ncar], carry_uk) if u]
                  + stacked + [outer_of[r] for r in xs_res]
                  + [x for x, u in zip(eqn.inputs[nc + ncar:], xs_uk) if u])
    unknown_eqn = Eqn(scan_p, unknown_in, [v for v, u in zip(eqn.outputs, out_uk) if u],
                      dict(p, jaxpr=unknown, num_consts=len(const_res) + len(u_consts),
                           num_carry=len(u_carry)))
    return [known_eqn], [unknown_eqn]


scan_p.partial_eval = _scan_partial_eval


@scan_p.def_transpose
def _scan_transpose(cts, *args, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = groups(args, num_consts, num_carry)
    # A carry with a known initial value here is a tangent carry started from
    # instantiated zeros: it is treated as linear and its cotangent dropped.
    const_lin = [is_undefined(c) for c in consts]
    xs_lin = [is_undefined(x) for x in xs]
    res_c = [c for c in consts if not is_undefined(c)]
    res_x = [x for x in xs if not is_undefined(x)]
    lin_c_avals = [c.aval for c in consts if is_undefined(c)]
    carry_avals = [get_aval(c) if not is_undefined(c) else c.aval for c in carry]
    ct_carry, ct_ys = [instantiate(c) for c in cts[:num_carry]], \
        [instantiate(c) for c in cts[num_carry:]]
    n_rc, n_lc, n_rx = len(res_c), len(lin_c_avals), len(res_x)
    linear = const_lin + [True] * num_carry + xs_lin

    def transposed_body(*a):
        rc, acc, ctc, rx, cty = groups(a, n_rc, n_lc, num_carry, n_rx)
        ct_in = backward_pass(jaxpr.jaxpr, jaxpr.consts, linear, rc + rx, ctc + cty)
        ct_lc, ct_carry_in, ct_lx = groups(ct_in, n_lc, num_carry)
        return ([instantiate(add_tangents(s, c)) for s, c in zip(acc, ct_lc)]
                + [instantiate(c) for c in ct_carry_in + ct_lx])

    slice_avals = [get_aval(x).update(shape=get_aval(x).shape[1:]) for x in res_x + ct_ys]
    body, body_consts = hoist_consts(trace_to_jaxpr(
        transposed_body, [get_aval(c) for c in res_c] + lin_c_avals + carry_avals
        + slice_avals, transform="transpose")[0])
    outs = scan_p.bind(*body_consts, *res_c, *[zeros(a) for a in lin_c_avals],
                       *ct_carry, *res_x, *ct_ys, jaxpr=body,
                       num_consts=len(body_consts) + n_rc, num_carry=n_lc + num_carry,
                       length=length, reverse=not reverse)
    ct_consts, ct_init, ct_xs = groups(outs, n_lc, num_carry)
    ct_consts, ct_xs = iter(ct_consts), iter(ct_xs)
    return ([next(ct_consts) if lin else None for lin in const_lin]
            + [ct if is_undefined(c) else None for ct, c in zip(ct_init, carry)]
            + [next(ct_xs) if lin else None for lin in xs_lin])


def _scan_dce(eqn, used):
    p = eqn.params
    nc, ncar = p["num_consts"], p["num_carry"]
    used_carry, used_ys = list(used[:ncar]), list(used[ncar:])

    def live_carry(used_carry):
        return dce_prune(p["jaxpr"], used_carry + used_ys)[1][nc:nc + ncar]

    used_carry = _fixpoint(live_carry, used_carry)
    body, used_in = dce_prune(p["jaxpr"], used_carry + used_ys)
    keep_in = used_in[:nc] + used_carry + used_in[nc + ncar:]
    return Eqn(scan_p, [x for x, k in zip(eqn.inputs, keep_in) if k],
               [v for v, u in zip(eqn.outputs, used_carry + used_ys) if u],
               dict(p, jaxpr=select_inputs(body, keep_in),
                    num_consts=sum(keep_in[:nc]), num_carry=sum(used_carry)))


scan_p.dce = _scan_dce


@scan_p.def_batch
def _scan_batch(axis_size, args, dims, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = groups(args, num_consts, num_carry)
    const_dims, carry_dims, xs_dims = groups(dims, num_consts, num_carry)
    # the scan walks axis 0 of xs, so a batch there moves to axis 1; a slice of
    # xs batched along d is batched along d - 1
    xs = [move_axis(x, 0, 1) if d == 0 else x for x, d in zip(xs, xs_dims)]
    x_dims = [None if d is None else max(d - 1, 0) for d in xs_dims]

    def carry_batched(flags):  # a carry made batched by the body is batched
        out_dims = vmap_jaxpr(jaxpr, const_dims + _at0(flags) + x_dims, axis_size)[1]
        return [d is not None for d in out_dims[:num_carry]]

    carry_dims_in = _at0(_fixpoint(carry_batched, [d is not None for d in carry_dims]))
    in_dims = const_dims + carry_dims_in + x_dims
    y_dims = vmap_jaxpr(jaxpr, in_dims, axis_size)[1][num_carry:]
    body = batched_to(jaxpr, in_dims, axis_size, carry_dims_in + y_dims)
    carry = [c if want is None else at_dim(c, d, axis_size)
             for c, d, want in zip(carry, carry_dims, carry_dims_in)]
    outs = scan_p.bind(*consts, *carry, *xs, jaxpr=body, num_consts=num_consts,
                       num_carry=num_carry, length=length, reverse=reverse)
    # ys are stacked along axis 0, before the body's batch axis
    return outs, carry_dims_in + [None if d is None else d + 1 for d in y_dims]


def scan(f: Callable[[PyTree, PyTree], tuple[PyTree, PyTree]], init: PyTree,
         xs: PyTree = None, length: int | None = None,
         reverse: bool = False, unroll: int | bool = 1,
         _split_transpose: bool = False) -> tuple[PyTree, PyTree]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``.

    Returns ``(final carry, stacked ys)``. ``carry`` and ``xs``/``ys`` are
    pytrees. Reverse mode stores one set of residuals per step and runs the
    body's transpose in a reverse scan. ``unroll`` (a positive int, or a bool:
    True unrolls fully) is accepted as in JAX and changes no result: ftrans
    has no compiler for which unrolling would pay.

    >>> import numpy as np, ftrans.lax as lax
    >>> total, partial_sums = lax.scan(lambda c, x: (c + x, c + x), 0.0, np.arange(4.0))
    >>> float(total), partial_sums
    (6.0, array([0., 1., 3., 6.]))
    """
    if not isinstance(unroll, bool) and (not isinstance(unroll, (int, np.integer))
                                         or unroll < 1):
        raise ValueError(f"scan: unroll must be a positive int or a bool, got {unroll!r}")
    init_flat, init_tree = tree_flatten(init)
    init_flat = [as_operand(x) for x in init_flat]
    xs_flat, xs_tree = tree_flatten(xs)
    xs_flat = [as_operand(x) for x in xs_flat]
    lengths = {get_aval(x).shape[0] if get_aval(x).shape else None for x in xs_flat}
    if None in lengths:
        raise TypeError("scan: every leaf of xs must have a leading axis to scan over")
    if length is not None:
        lengths.add(int(length))
    if len(lengths) != 1:
        raise ValueError("scan: " + ("length must be given when xs is None"
                                     if not lengths else
                                     f"inconsistent lengths {sorted(lengths)} of xs / length"))
    length = lengths.pop()
    carry_avals = [get_aval(x) for x in init_flat]
    x_avals = [get_aval(x).update(shape=get_aval(x).shape[1:]) for x in xs_flat]
    store = {}

    def body(carry, x):
        out = f(carry, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"scan: {fn_name(f)} must return a pair (carry, y), got "
                            f"{type(out).__name__}")
        new_carry, y = out
        if tree_flatten(new_carry)[1] != init_tree:
            raise TypeError(f"scan: {fn_name(f)} returned a carry of structure "
                            f"{tree_flatten(new_carry)[1]}, but init has structure "
                            f"{init_tree}")
        store["y_tree"] = tree_flatten(y)[1]
        return tree_flatten(new_carry)[0] + tree_flatten(y)[0]

    jaxpr, consts, _ = trace_tree_fn(body, [init_tree, xs_tree], carry_avals + x_avals, "scan")
    carry_out = jaxpr.out_avals[:len(init_flat)]
    if carry_out != carry_avals:
        raise TypeError(f"scan: {fn_name(f)} returns a carry of types {_types(carry_out)} "
                        f"but init has types {_types(carry_avals)}; they must match "
                        "(cast init with jnp.asarray(init, dtype) or fix the body)")
    outs = scan_p.bind(*consts, *init_flat, *xs_flat, jaxpr=jaxpr,
                       num_consts=len(consts), num_carry=len(init_flat), length=length,
                       reverse=bool(reverse))
    n = len(init_flat)
    return tree_unflatten(init_tree, outs[:n]), tree_unflatten(store["y_tree"], outs[n:])


# --- while_loop and fori_loop --------------------------------------------------------

while_p = Primitive("while", multiple_results=True)


@while_p.def_impl
def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cond_consts, body_consts, carry = groups(args, cond_nconsts, body_nconsts)
    while eval_closed(cond_jaxpr, *cond_consts, *carry)[0]:
        carry = eval_closed(body_jaxpr, *body_consts, *carry)
    return [np.asarray(c) for c in carry]


@while_p.def_emit
def _while_emit(ctx, out_names, in_exprs, cond_jaxpr, body_jaxpr, cond_nconsts,
                body_nconsts):
    # a while loop over the loop's own outputs as the carry
    cond_consts, body_consts, init = groups(in_exprs, cond_nconsts, body_nconsts)
    test, (pred,) = ctx.inline(cond_jaxpr, cond_consts + out_names)
    body, outs = ctx.inline(body_jaxpr, body_consts + out_names)
    step = "\n".join(c for c in (body, ctx.assign(out_names, outs)) if c)
    if test:  # the predicate takes statements: test it inside the loop
        loop = ["while True:", ctx.indent(f"{test}\nif not {pred}:\n    break\n{step}")]
    else:
        loop = [f"while {pred}:", ctx.indent(step)]
    return "\n".join(c for c in [ctx.assign(out_names, init)] + loop if c)


@while_p.def_cost
def _while_cost(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    # the trip count is known only when it runs: one iteration, flagged
    return dict(flops=0, transcendentals=0, bodies=[(cond_jaxpr, 1), (body_jaxpr, 1)],
                trip_count_unknown=True)


@while_p.def_abstract_eval
def _while_abstract_eval(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    _, _, carry = groups(avals, cond_nconsts, body_nconsts)
    if cond_jaxpr.out_avals != [ShapedArray((), np.bool_)]:
        raise TypeError(f"while_loop: cond_fun must return a boolean scalar, got "
                        f"{_types(cond_jaxpr.out_avals)}")
    if body_jaxpr.out_avals != carry:
        raise TypeError(f"while_loop: body_fun returns {_types(body_jaxpr.out_avals)} "
                        f"but the loop carry has types {_types(carry)}")
    return carry


@while_p.def_jvp
def _while_jvp(primals, tangents, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    _, bconst_t, carry_t = groups(tangents, cond_nconsts, body_nconsts)
    cconsts, bconsts, carry = groups(primals, cond_nconsts, body_nconsts)
    bc_nz = [type(t) is not Zero for t in bconst_t]
    carry_nz = [type(t) is not Zero for t in carry_t]

    def body_jvp(carry_nz):
        return jvp_jaxpr(body_jaxpr, bc_nz + carry_nz, instantiate_zeros=carry_nz)

    carry_nz = _fixpoint(lambda c: body_jvp(c)[1], carry_nz)
    body, _ = body_jvp(carry_nz)
    nb, ncar, tb, tc = len(bconsts), len(carry), sum(bc_nz), sum(carry_nz)
    # inputs: bconsts, carry, bconst tangents, carry tangents -> bconsts+t, carry+t
    body = reorder(body, list(range(nb)) + list(range(nb + ncar, nb + ncar + tb))
                   + list(range(nb, nb + ncar)) + list(range(nb + ncar + tb, nb + ncar + tb + tc)))
    carry_t_avals = [a for a, z in zip(body_jaxpr.out_avals, carry_nz) if z]
    cond = add_unused_inputs(cond_jaxpr, carry_t_avals)
    outs = while_p.bind(*cconsts, *bconsts, *[t for t in bconst_t if type(t) is not Zero],
                        *carry, *[instantiate(t) for t, z in zip(carry_t, carry_nz) if z],
                        cond_jaxpr=cond, body_jaxpr=body, cond_nconsts=cond_nconsts,
                        body_nconsts=nb + tb)
    out_t = iter(outs[ncar:])
    return outs[:ncar], [next(out_t) if z else Zero(a)
                         for z, a in zip(carry_nz, body_jaxpr.out_avals)]


def _while_partial_eval(eqn, in_unknown):
    """The known part runs the loop on the known carry (the primal); the
    unknown part reruns the whole loop, as JAX does: a while loop has no
    per-step residuals to save, so linearize recomputes the primal."""
    p = eqn.params
    cond_uk, bconst_uk, carry_uk = groups(in_unknown, p["cond_nconsts"],
                                          p["body_nconsts"])
    body = p["body_jaxpr"]
    carry_uk = _fixpoint(lambda c: partial_eval_jaxpr(body, bconst_uk + c)[2], carry_uk)
    cond_used = dce_prune(p["cond_jaxpr"], [True])[1]
    if any(cond_uk) or all(carry_uk) or any(
            u and k for u, k in zip(carry_uk, cond_used[len(cond_uk):])):
        return [], [eqn]
    known = [not u for u in carry_uk]
    keep_body = [not u for u in bconst_uk] + known
    known_eqn = Eqn(while_p, [x for x, k in zip(eqn.inputs, [True] * len(cond_uk)
                                                + keep_body) if k],
                    [v for v, k in zip(eqn.outputs, known) if k],
                    dict(p, cond_jaxpr=select_inputs(p["cond_jaxpr"], [True] * len(cond_uk)
                                                     + known),
                         body_jaxpr=select_inputs(dce_jaxpr(body, known), keep_body),
                         body_nconsts=bconst_uk.count(False)))
    # the unknown part's copies of the known outputs are not used
    unknown_eqn = Eqn(while_p, eqn.inputs,
                      [v if u else Var(v.aval) for v, u in zip(eqn.outputs, carry_uk)], p)
    return [known_eqn], [unknown_eqn]


while_p.partial_eval = _while_partial_eval


@while_p.def_transpose
def _while_transpose(cts, *args, **params):
    raise ValueError(
        "Reverse-mode differentiation does not work for ftrans.lax.while_loop (nor "
        "fori_loop with traced bounds): its number of iterations is only known when "
        "it runs, so the values of each step cannot be saved for the backward pass. "
        "Use ftrans.lax.scan, or fori_loop with Python int bounds (which lowers to "
        "scan), or forward mode (jvp, jacfwd).")


@while_p.def_batch
def _while_batch(axis_size, args, dims, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cconsts, bconsts, carry = groups(args, cond_nconsts, body_nconsts)
    cc_dims, bc_dims, carry_dims = groups(dims, cond_nconsts, body_nconsts)

    def carry_batched(flags):  # a carry made batched by the body is batched
        return [d is not None for d in vmap_jaxpr(body_jaxpr, bc_dims + _at0(flags),
                                                  axis_size)[1]]

    flags = _fixpoint(carry_batched, [d is not None for d in carry_dims])
    pred_dim = vmap_jaxpr(cond_jaxpr, cc_dims + _at0(flags), axis_size)[1][0]
    if pred_dim is not None:  # examples finish at different steps: all of them differ
        flags = [True] * len(carry)
    c_dims = _at0(flags)
    body = batched_to(body_jaxpr, bc_dims + c_dims, axis_size, c_dims)
    cond = batched_to(cond_jaxpr, cc_dims + c_dims, axis_size, [pred_dim])
    carry = [c if want is None else at_dim(c, d, axis_size)
             for c, d, want in zip(carry, carry_dims, c_dims)]
    if pred_dim is None:
        outs = while_p.bind(*cconsts, *bconsts, *carry, cond_jaxpr=cond, body_jaxpr=body,
                            cond_nconsts=cond_nconsts, body_nconsts=body_nconsts)
        return outs, c_dims
    # A batched predicate: the loop runs while any example runs; it carries
    # each example's predicate, and an example that has finished keeps its
    # carry (the body's result on it is discarded).
    pred = eval_closed(cond, *cconsts, *carry)[0]
    ncc, nbc = len(cconsts), len(bconsts)

    def any_running(pred, *carry):
        return [reduce_max(pred, (0,))]

    def step(*args):
        cc, bc, (pred, *carry) = groups(args, ncc, nbc)
        new = eval_closed(body, *bc, *carry)
        new = [_batched_select(pred, [old, x]) for old, x in zip(carry, new)]
        return eval_closed(cond, *cc, *new)[:1] + new

    avals = [get_aval(x) for x in [pred, *carry]]
    outs = while_p.bind(
        *cconsts, *bconsts, pred, *carry,
        cond_jaxpr=trace_to_jaxpr(any_running, avals, transform="vmap")[0],
        body_jaxpr=trace_to_jaxpr(step, [get_aval(x) for x in cconsts + bconsts] + avals,
                                  transform="vmap")[0],
        cond_nconsts=0, body_nconsts=ncc + nbc)
    return outs[1:], c_dims


def while_loop(cond_fun: Callable[[PyTree], ArrayLike], body_fun: Callable[[PyTree], PyTree],
               init_val: PyTree) -> PyTree:
    """``while cond_fun(val): val = body_fun(val)``; returns the final ``val``.

    Differentiable in forward mode only.

    >>> import ftrans.lax as lax
    >>> int(lax.while_loop(lambda i: i < 10, lambda i: i + 3, 0))
    12
    """
    init_flat, tree = tree_flatten(init_val)
    init_flat = [as_operand(x) for x in init_flat]
    avals = [get_aval(x) for x in init_flat]
    cond_j, cond_consts, _ = trace_tree_fn(cond_fun, [tree], avals, "while_loop")
    body_j, body_consts, out_tree = trace_tree_fn(body_fun, [tree], avals, "while_loop")
    if out_tree != tree:
        raise TypeError(f"while_loop: body_fun returns structure {out_tree}, but the "
                        f"initial value has structure {tree}")
    outs = while_p.bind(*cond_consts, *body_consts, *init_flat, cond_jaxpr=cond_j,
                        body_jaxpr=body_j, cond_nconsts=len(cond_consts),
                        body_nconsts=len(body_consts))
    return tree_unflatten(tree, outs)


def _static_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def fori_loop(lower: ArrayLike, upper: ArrayLike, body_fun: Callable[[Array, PyTree], PyTree],
              init_val: PyTree) -> PyTree:
    """``for i in range(lower, upper): val = body_fun(i, val)``.

    With Python int bounds it lowers to ``scan`` (reverse-mode
    differentiable); with traced bounds to ``while_loop``.

    >>> import ftrans.lax as lax
    >>> float(lax.fori_loop(0, 4, lambda i, x: x * 2.0, 1.0))
    16.0
    """
    if _static_int(lower) and _static_int(upper):
        def step(carry, _):
            i, val = carry
            return (i + 1, body_fun(i, val)), None
        (_, out), _ = scan(step, (np.int64(lower), init_val), None,
                           length=max(int(upper) - int(lower), 0))
        return out

    def cond_fun(carry):
        return carry[0] < upper

    def body(carry):
        i, val = carry
        return i + 1, body_fun(i, val)

    return while_loop(cond_fun, body, (as_operand(lower), init_val))[1]
