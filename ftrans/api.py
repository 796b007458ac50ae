"""The public transformations: thin wrappers that flatten pytrees, handle
``argnums`` and ``has_aux``, trace the user's function once, and hand the
jaxpr to the passes in ``ftrans.transforms``.
"""

from __future__ import annotations

import functools
import inspect
from typing import Callable, Sequence

import numpy as np

from ftrans.ad_util import is_differentiable
from ftrans.array import leave
from ftrans.core import ClosedJaxpr, ShapedArray, get_aval
from ftrans.derivatives import Derived, derivatives, run
from ftrans.dtypes import float0
from ftrans.errors import fn_name
from ftrans.eval import eval_closed
from ftrans.tracing import Tracer, trace_to_jaxpr
from ftrans.transforms.dce import dce_jaxpr
from ftrans.transforms.transpose import transpose_jaxpr
from ftrans.tree_util import tree_flatten, tree_unflatten
from ftrans.typing import PyTree

__all__ = ["make_jaxpr", "grad", "value_and_grad", "jvp", "vjp", "linearize",
           "linear_transpose", "jacfwd", "jacrev", "jacobian", "hessian"]


# --- tracing a user function ----------------------------------------------------

def _as_leaf(x, where: str):
    if type(x) is Tracer or isinstance(x, np.ndarray):
        return x
    if isinstance(x, (bool, int, float, complex, np.generic)):
        return np.asarray(x)
    if isinstance(x, ShapedArray):
        return x
    raise TypeError(f"{where}: argument leaves must be arrays or numbers, got "
                    f"{type(x).__name__} ({x!r:.60}); pass it as a static "
                    "argument or close over it instead")


def _value_of(x):
    if type(x) is Tracer:
        return x.val
    return None if isinstance(x, ShapedArray) else x


def _check_primals(transform: str, f: Callable, args: Sequence, idx=None) -> None:
    """Differentiated arguments (``args``, at positions ``idx``) are not None
    (an empty pytree, which would reach ``f`` and fail there): say so, rather
    than fail later in a rule. Float and complex leaves are differentiated."""
    idx = range(len(args)) if idx is None else idx
    for i, arg in zip(idx, args):
        if arg is None:
            raise TypeError(
                f"{transform}({fn_name(f)}): {_arg_name(f, i)} is None, so there is "
                "nothing to differentiate. Pass a float array or a pytree of them, "
                "or leave the argument out of argnums.")


def _check_output_dtypes(transform: str, f: Callable, avals, holomorphic: bool,
                         complex_ok: bool = False) -> None:
    """JAX's rules for the outputs of ``grad``/``jacrev`` (and, holomorphic,
    ``jacfwd``): complex outputs need ``holomorphic=True``, which needs them.
    ``complex_ok``: forward mode, where complex outputs of real inputs are fine."""
    for aval in avals:
        complex_out = aval.dtype.kind == "c"
        if holomorphic and not complex_out:
            raise TypeError(f"{transform} with holomorphic=True requires outputs with "
                            f"complex dtype, but got {aval.dtype.name}.")
        if not holomorphic and complex_out and not complex_ok:
            raise TypeError(
                f"{transform} requires real-valued outputs (output dtype that is a "
                f"sub-dtype of np.floating), but got {aval.dtype.name}. For holomorphic "
                "differentiation, pass holomorphic=True. For differentiation of "
                "non-holomorphic functions involving complex outputs, use "
                "ftrans.vjp directly.")


def _check_input_dtypes(transform: str, args, holomorphic: bool) -> None:
    """JAX's rules for differentiated inputs: ``holomorphic=True`` needs complex
    ones; ``jacfwd`` without it needs real ones (its basis would be real)."""
    for leaf in tree_flatten(args)[0]:
        dtype = get_aval(_as_leaf(leaf, transform)).dtype
        if holomorphic and dtype.kind != "c":
            raise TypeError(f"{transform} with holomorphic=True requires inputs with "
                            f"complex dtype, but got {dtype.name}.")
        if not holomorphic and transform == "jacfwd" and dtype.kind == "c":
            raise TypeError(
                "jacfwd requires real-valued inputs (input dtype that is a sub-dtype "
                f"of np.floating), but got {dtype.name}. For holomorphic "
                "differentiation, pass holomorphic=True. For differentiation of "
                "non-holomorphic functions involving complex inputs or integer "
                "inputs, use ftrans.jvp directly.")


class _Traced:
    """A user function traced once: its jaxpr, trees, flat inputs and the
    concrete outputs (when traced on concrete values)."""

    def __init__(self, f: Callable, args: tuple, transform: str, concrete: bool,
                 has_aux: bool = False):
        flat, self.in_tree = tree_flatten(args)
        self.flat_in = [_as_leaf(x, f"{transform}({fn_name(f)})") for x in flat]
        avals = [x if isinstance(x, ShapedArray) else get_aval(x) for x in self.flat_in]
        self.has_aux = has_aux

        def flat_fn(*tracers):
            out = f(*tree_unflatten(self.in_tree, tracers))
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    got = out.aval.str_short() if type(out) is Tracer else type(out).__name__
                    raise TypeError(f"{transform}({fn_name(f)}, has_aux=True): the "
                                    f"function must return a pair (output, aux), got {got}")
                out, aux = out
                aux_flat, self.aux_tree = tree_flatten(aux)
            else:
                aux_flat = []
            out_flat, self.out_tree = tree_flatten(out)
            self.n_out = len(out_flat)
            return [*out_flat, *aux_flat]

        in_vals = [_value_of(x) for x in self.flat_in] if concrete else None
        self.values: dict = {}  # every variable's value, when traced concretely
        self.closed, _ = trace_to_jaxpr(flat_fn, avals, in_vals, transform, self.values,
                                        differentiated=concrete, lazy=concrete)

    def split(self, flat_outs):
        """``(outs, aux)`` as pytrees from the flat outputs."""
        out = tree_unflatten(self.out_tree, flat_outs[:self.n_out])
        if not self.has_aux:
            return out, None
        return out, tree_unflatten(self.aux_tree, flat_outs[self.n_out:])


def _out(x):
    """Values leaving ftrans are ``ftrans.Array``s, numpy arrays (tracers stay
    tracers)."""
    return leave(x)


def _outs(tree):
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [_out(x) for x in leaves])


def make_jaxpr(fun: Callable, static_argnums: int | Sequence[int] = ()
               ) -> Callable[..., ClosedJaxpr]:
    """A function that traces ``fun`` abstractly and returns its jaxpr.

    >>> import numpy as np, ftrans, ftrans.numpy as jnp
    >>> print(ftrans.make_jaxpr(lambda x: jnp.sin(x) * 2.0)(np.ones(3)))
    { lambda ; a:f64[3]. let
        b:f64[3] = sin a
        c:f64[3] = mul b 2.0
      in (c,) }
    """
    static = _as_tuple(static_argnums)

    @functools.wraps(fun)
    def make_jaxpr_f(*args, **kwargs) -> ClosedJaxpr:
        fixed = {i % len(args) for i in static if -len(args) <= i < len(args)}
        dyn_idx = [i for i in range(len(args)) if i not in fixed]

        def dyn_fun(*dyn):  # keyword arguments are traced too, after the others
            full = list(args)
            for i, d in zip(dyn_idx, dyn):
                full[i] = d
            return fun(*full, **(dyn[len(dyn_idx)] if kwargs else {}))

        dyn_fun.__name__ = fn_name(fun)
        dyn = tuple(args[i] for i in dyn_idx) + ((kwargs,) if kwargs else ())
        traced = _Traced(dyn_fun, dyn, "make_jaxpr", concrete=False)
        return traced.closed

    return make_jaxpr_f


# --- forward mode ------------------------------------------------------------------

def _diff_mask(flat) -> list[bool]:
    return [is_differentiable(get_aval(x)) for x in flat]


def _check_tangents(name, primals_flat, tangents, in_tree):
    t_flat, t_tree = tree_flatten(tangents)
    if t_tree != in_tree:
        raise TypeError(f"{name}: tangents must have the structure of the primals, "
                        f"got {t_tree} for primals {in_tree}")
    out = []
    for i, (p, t) in enumerate(zip(primals_flat, t_flat)):
        pa = get_aval(p)
        t = t if type(t) is Tracer else np.asarray(t)
        ta = get_aval(t)
        if is_differentiable(pa) and (ta.shape != pa.shape or ta.dtype != pa.dtype):
            raise TypeError(f"{name}: tangent {i} has type {ta.str_short()} but its "
                            f"primal has type {pa.str_short()}; they must match")
        out.append(t)
    return out


def jvp(fun: Callable, primals: Sequence, tangents: Sequence,
        has_aux: bool = False) -> tuple[PyTree, ...]:
    """Forward-mode derivative: ``(fun(*primals), J @ tangents)``.

    >>> import ftrans, ftrans.numpy as jnp
    >>> y, y_dot = ftrans.jvp(jnp.sin, (0.0,), (2.0,))
    >>> float(y), float(y_dot)
    (0.0, 2.0)
    """
    primals, tangents = tuple(primals), tuple(tangents)
    _check_primals("jvp", fun, primals)
    traced = _Traced(fun, primals, "jvp", concrete=True, has_aux=has_aux)
    flat = traced.flat_in
    t_flat = _check_tangents("jvp", flat, tangents, traced.in_tree)
    mask = _diff_mask(flat)
    derived, out_nz = derivatives(traced.closed, mask, traced.n_out).jvp
    res = _eval_reusing_forward(traced, derived, [*traced.closed.consts, *flat,
                                                  *[t for t, m in zip(t_flat, mask) if m]])
    n_all = len(traced.closed.out_avals)
    outs, tans = res[:n_all], iter(res[n_all:])
    out_tans = [next(tans) if nz else np.zeros(o.shape, float0)
                for nz, o in zip(out_nz, traced.closed.out_avals)][:traced.n_out]
    out, aux = traced.split(outs)
    result = (_outs(out), _outs(tree_unflatten(traced.out_tree, out_tans)))
    return (*result, _outs(aux)) if has_aux else result


def _eval_reusing_forward(traced: _Traced, derived: Derived, args: list) -> list:
    """Evaluate a jaxpr derived from ``traced.closed``; the values the
    concrete trace already computed are passed in, not recomputed (DESIGN §1)."""
    values = traced.values
    if values and not any(type(x) is Tracer for x in args):
        eqns = traced.closed.jaxpr.eqns
        known = [values.get(eqns[i].outputs[k]) for i, k in derived.known]
        if not any(v is None for v in known):
            return run(derived.reusing, *args, *known)
    return run(derived.plain, *args)


# --- linearize: jvp + partial_eval -----------------------------------------------

class _Linearized:
    """The forward pass run once, and the linear jaxpr of the tangents."""

    def __init__(self, traced: _Traced):
        closed = traced.closed
        self.mask = _diff_mask(traced.flat_in)
        self.derivatives = derivatives(closed, self.mask, traced.n_out)
        lin = self.derivatives.linearized
        self.linear, self.n_res, self.out_nz = lin.linear, lin.n_res, lin.out_nz
        vals = _eval_reusing_forward(traced, lin.known, [*closed.consts, *traced.flat_in])
        traced.values.clear()  # keep only the residuals alive, not every intermediate
        n_all = len(closed.out_avals)
        self.outs, self.residuals = vals[:n_all], vals[n_all:]

    def jvp(self, tangents_flat):
        return run(self.linear, *self.residuals, *tangents_flat)


def linearize(fun: Callable, *primals: PyTree) -> tuple[PyTree, Callable[..., PyTree]]:
    """``(fun(*primals), f_jvp)`` with ``f_jvp(*tangents)`` the linear map.

    >>> import ftrans, ftrans.numpy as jnp
    >>> y, f_jvp = ftrans.linearize(jnp.exp, 0.0)
    >>> float(f_jvp(3.0))
    3.0
    """
    _check_primals("linearize", fun, primals)
    traced = _Traced(fun, primals, "linearize", concrete=True)
    lin = _Linearized(traced)
    out, _ = traced.split(lin.outs)

    def f_jvp(*tangents):
        t_flat = _check_tangents("linearize", traced.flat_in, tangents, traced.in_tree)
        tans = iter(lin.jvp([t for t, m in zip(t_flat, lin.mask) if m]))
        flat = [next(tans) if nz else np.zeros(a.shape, float0)
                for nz, a in zip(lin.out_nz, traced.closed.out_avals)]
        return _outs(tree_unflatten(traced.out_tree, flat))

    return _outs(out), f_jvp


# --- reverse mode: linearize + transpose --------------------------------------------

def vjp(fun: Callable, *primals: PyTree, has_aux: bool = False) -> tuple[PyTree, ...]:
    """``(fun(*primals), vjp_fn)`` with ``vjp_fn(ct)`` the cotangents of the primals.

    >>> import ftrans, ftrans.numpy as jnp
    >>> y, f_vjp = ftrans.vjp(lambda x, y: x * y, 2.0, 3.0)
    >>> [float(g) for g in f_vjp(1.0)]
    [3.0, 2.0]
    """
    _check_primals("vjp", fun, primals)
    return _vjp(fun, primals, has_aux, "vjp")


def _vjp(fun: Callable, primals: tuple, has_aux: bool, transform: str,
         holomorphic: bool = False):
    """``vjp``, with errors naming the public ``transform`` the user called."""
    traced = _Traced(fun, primals, transform, concrete=True, has_aux=has_aux)
    out_avals = traced.closed.out_avals[:traced.n_out]
    if transform == "grad":
        _check_output_dtypes("grad", fun, out_avals, holomorphic)
    lin = _Linearized(traced)
    transposed = lin.derivatives.transposed

    def vjp_fn(ct):
        ct_flat, ct_tree = tree_flatten(ct)
        if ct_tree != traced.out_tree:
            raise TypeError(f"vjp: the cotangent must have the structure of the "
                            f"output, {traced.out_tree}, got {ct_tree}")
        cts = []
        for i, (c, aval, nz) in enumerate(zip(ct_flat, out_avals, lin.out_nz)):
            if nz and aval.dtype.kind != "c" and get_aval(_as_leaf(c, "vjp")).dtype.kind == "c":
                raise TypeError(f"vjp: cotangent {i} is complex "
                                f"({get_aval(_as_leaf(c, 'vjp')).str_short()}) but the "
                                f"output is real ({aval.str_short()}); pass a real "
                                "cotangent")
            c = c if type(c) is Tracer else np.asarray(c, dtype=aval.dtype if nz else None)
            if nz and get_aval(c).shape != aval.shape:
                raise TypeError(f"vjp: cotangent {i} has shape {get_aval(c).shape}, "
                                f"expected the output's shape {aval.shape}")
            if nz:
                cts.append(c)
        in_cts = iter(run(transposed, *lin.residuals, *cts))
        flat = [next(in_cts) if m else np.zeros(get_aval(x).shape, float0)
                for x, m in zip(traced.flat_in, lin.mask)]
        return tuple(_outs(tree_unflatten(traced.in_tree, flat)))

    out, aux = traced.split(lin.outs)
    return (_outs(out), vjp_fn, _outs(aux)) if has_aux else (_outs(out), vjp_fn)


def _as_tuple(argnums) -> tuple:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _arg_name(fun, i: int) -> str:
    try:
        params = list(inspect.signature(fun).parameters)
        if i < len(params):
            return f"argument {i} ('{params[i]}')"
    except (TypeError, ValueError):
        pass
    return f"argument {i}"


def _partial_argnums(name, fun, args, argnums, kwargs=None):
    """``fun`` as a function of ``args[argnums]`` only, with the others (and
    the keyword arguments, which are not differentiated) fixed."""
    for i in argnums:
        if not -len(args) <= i < len(args):
            raise TypeError(f"{name}({fn_name(fun)}): argnums={argnums} but the "
                            f"function was called with {len(args)} positional "
                            "arguments")
    idx = [i % len(args) for i in argnums]
    if len(set(idx)) != len(idx):
        raise TypeError(f"{name}({fn_name(fun)}): argnums={argnums} names an "
                        "argument twice; list each argument once")

    def partial(*dyn):
        full = list(args)
        for i, d in zip(idx, dyn):
            full[i] = d
        return fun(*full, **(kwargs or {}))

    partial.__name__ = fn_name(fun)  # errors name the user's function
    return partial, tuple(args[i] for i in idx), idx


def _check_diff_inputs(name, fun, dyn, idx, holomorphic: bool = False):
    _check_primals(name, fun, dyn, idx)
    _check_input_dtypes(name, dyn, holomorphic)
    for i, arg in zip(idx, dyn):
        for leaf in tree_flatten(arg)[0]:
            aval = get_aval(_as_leaf(leaf, name))
            if not is_differentiable(aval):
                raise TypeError(
                    f"{name}({fn_name(fun)}) requires float inputs, but "
                    f"{_arg_name(fun, i)} has type {aval.str_short()}. Pass it as "
                    "a float array (x.astype(float)), or leave it out of argnums.")


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0,
                   has_aux: bool = False, holomorphic: bool = False) -> Callable:
    """A function returning ``(fun(*args), grad(fun)(*args))``.

    ``holomorphic=True`` (complex inputs and output) gives ``f'(z)``; see ``grad``.

    >>> import ftrans, ftrans.numpy as jnp
    >>> v, g = ftrans.value_and_grad(lambda x: x ** 2)(3.0)
    >>> float(v), float(g)
    (9.0, 6.0)
    """
    nums = _as_tuple(argnums)

    @functools.wraps(fun)
    def value_and_grad_f(*args, **kwargs):
        partial, dyn, idx = _partial_argnums("grad", fun, args, nums, kwargs)
        _check_diff_inputs("grad", fun, dyn, idx, holomorphic)
        res = _vjp(partial, dyn, has_aux, "grad", holomorphic)
        out, f_vjp = res[0], res[1]
        aval = get_aval(out) if type(out) is Tracer or isinstance(out, np.ndarray) else None
        if aval is None or aval.shape != () or not is_differentiable(aval):
            desc = aval.str_short() if aval is not None else type(out).__name__
            raise TypeError(
                f"grad({fn_name(fun)}) requires a scalar float output, but the "
                f"function returned {desc}. For a non-scalar output use "
                "ftrans.jacrev (the full Jacobian) or ftrans.vjp (a "
                "vector-Jacobian product).")
        g = f_vjp(np.ones((), aval.dtype))
        g = g[0] if isinstance(argnums, int) else g
        return ((out, res[2]), g) if has_aux else (out, g)

    return value_and_grad_f


def grad(fun: Callable, argnums: int | Sequence[int] = 0,
         has_aux: bool = False, holomorphic: bool = False) -> Callable:
    """The gradient of a scalar function w.r.t. the arguments ``argnums``.

    As in JAX, a real-valued ``f`` of a complex ``z = x + i y`` gets
    ``vjp(f, z)[1](1.0)``, which is ``df/dx - i df/dy`` (so
    ``grad(abs(z) ** 2) = 2 conj(z)``); a complex-valued ``f`` needs
    ``holomorphic=True`` (and complex inputs), and then gets ``f'(z)``.

    >>> import ftrans, ftrans.numpy as jnp
    >>> float(ftrans.grad(jnp.sin)(0.0))
    1.0
    >>> float(ftrans.grad(ftrans.grad(lambda x: x ** 3))(2.0))
    12.0
    >>> complex(ftrans.grad(lambda z: jnp.abs(z) ** 2)(1 + 1j))
    (2-2j)
    >>> complex(ftrans.grad(lambda z: z ** 2, holomorphic=True)(1 + 1j))
    (2+2j)
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic)

    @functools.wraps(fun)
    def grad_f(*args, **kwargs):
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return grad_f


def linear_transpose(fun: Callable, *primals) -> Callable:
    """The transpose of the linear function ``fun`` at the shapes of ``primals``.

    >>> import ftrans, numpy as np
    >>> f_t = ftrans.linear_transpose(lambda x: 3.0 * x, 1.0)
    >>> float(f_t(1.0)[0])
    3.0
    """
    traced = _Traced(fun, primals, "linear_transpose", concrete=False)
    n_in = len(traced.flat_in)
    transposed = dce_jaxpr(transpose_jaxpr(traced.closed, [True] * n_in))

    def transposed_fn(ct):
        ct_flat, ct_tree = tree_flatten(ct)
        if ct_tree != traced.out_tree:
            raise TypeError(f"linear_transpose: cotangent structure {ct_tree} does "
                            f"not match the output structure {traced.out_tree}")
        flat = eval_closed(transposed, *ct_flat)
        return tuple(_outs(tree_unflatten(traced.in_tree, flat)))

    return transposed_fn


# --- Jacobians and Hessians ------------------------------------------------------

def _basis_batch(avals) -> list:
    """The standard basis of the product of the spaces ``avals``, as one
    batch per space: ``n = sum of sizes`` vectors, the ``k``-th nonzero (1)
    only at entry ``k`` of the concatenation."""
    n = sum(a.size for a in avals)
    out, offset = [], 0
    for a in avals:
        e = np.zeros((n, a.size), a.dtype)
        e[offset:offset + a.size] = np.eye(a.size, dtype=a.dtype)
        out.append(e.reshape((n,) + a.shape))
        offset += a.size
    return out


def _all_products(linear: ClosedJaxpr, residuals, avals, out_avals, chunk_size):
    """``linear(*residuals, *v)`` for every basis vector ``v`` of the spaces
    ``avals``, in one batched pass (``vmap`` over the basis, of width
    ``n = sum of sizes``): per output, an array of shape ``(n, *out_shape)``."""
    from ftrans.batching import _run_batched
    from ftrans.prims._batching import at_dim
    n = sum(a.size for a in avals)
    if n == 0:
        return [np.zeros((0,) + o.shape, o.dtype) for o in out_avals]
    dims = [None] * len(residuals) + [0] * len(avals)
    outs, out_dims = _run_batched(linear, [*residuals, *_basis_batch(avals)], dims, n,
                                  chunk_size)
    return [at_dim(x, d, n) for x, d in zip(outs, out_dims)]


def _blocks(stacked, avals):
    """Split a batch over the concatenated basis of ``avals`` into one block
    per space: ``(size_k, ...)``."""
    out, offset = [], 0
    for a in avals:
        out.append(stacked[offset:offset + a.size])
        offset += a.size
    return out


def _check_float_outputs(name, fun, avals):
    for a in avals:
        if not is_differentiable(a):
            raise TypeError(f"{name}({fn_name(fun)}) requires float outputs, got "
                            f"{a.str_short()}")


def _jacobian(name: str, fun: Callable, argnums, has_aux: bool, reverse: bool,
              chunk_size: int | None, holomorphic: bool = False, planner=None):
    """``jacfwd``/``jacrev`` (``reverse``); with a ``planner``
    (``derivatives, in_avals, live out_avals -> JacobianPlan``) the mode and
    chunk size are decided on this very trace's jaxprs (``jacobian``)."""
    import ftrans.numpy as jnp
    nums = _as_tuple(argnums)

    @functools.wraps(fun)
    def jacobian_f(*args, **kwargs):
        partial, dyn, idx = _partial_argnums(name, fun, args, nums, kwargs)
        _check_diff_inputs(name, fun, dyn, idx, holomorphic)
        traced = _Traced(partial, dyn, name, concrete=True, has_aux=has_aux)
        out_avals = traced.closed.out_avals[:traced.n_out]
        _check_float_outputs(name, fun, out_avals)
        in_avals = [get_aval(x) for x in traced.flat_in]
        # not holomorphic, complex values fix the mode that ``jacobian`` may
        # choose: complex inputs reverse (as jacrev), complex outputs forward
        complex_in = not holomorphic and any(a.dtype.kind == "c" for a in in_avals)
        complex_out = not holomorphic and any(a.dtype.kind == "c" for a in out_avals)
        forward_ok = name == "jacfwd" or (name in ("jacobian", "hessian") and not complex_in)
        _check_output_dtypes(name, fun, out_avals, holomorphic, complex_ok=forward_ok)
        lin = _Linearized(traced)
        # outputs whose derivative is zero by construction are left out of the
        # linear map; their blocks are zeros
        live = [o for o, nz in zip(out_avals, lin.out_nz) if nz]
        rev, chunk = reverse, chunk_size
        if planner is not None:
            plan = planner(lin.derivatives, in_avals, live)
            rev, chunk = plan.mode == "rev", plan.chunk_size
            if complex_in or complex_out:
                rev = complex_in
        blocks: dict = {}
        if rev:  # all rows at once: the transpose, batched over the output basis
            per_in = _all_products(lin.derivatives.transposed, lin.residuals, live,
                                   in_avals, chunk)
            for j, a in enumerate(in_avals):
                for k, r in enumerate(_blocks(per_in[j], live)):
                    blocks[k, j] = jnp.reshape(r, live[k].shape + a.shape)
        else:  # all columns at once: the linear map, batched over the input basis
            per_out = _all_products(lin.linear, lin.residuals, in_avals, live, chunk)
            for k, o in enumerate(live):
                for j, (b, a) in enumerate(zip(_blocks(per_out[k], in_avals), in_avals)):
                    blocks[k, j] = _columns(b, o.shape, a.shape)
        live_index = iter(range(len(live)))
        jac = []
        for o, nz in zip(out_avals, lin.out_nz):
            k = next(live_index) if nz else None
            jac.append([blocks[k, j] if nz else
                        np.zeros(o.shape + a.shape, np.result_type(o.dtype, a.dtype))
                        for j, a in enumerate(in_avals)])
        jac = [[_out(b) for b in row] for row in jac]
        return _jac_tree(traced, jac, isinstance(argnums, int), has_aux, lin.outs)

    return jacobian_f


def _columns(block, out_shape, in_shape):
    """A ``(in_size, *out_shape)`` block of columns as ``out_shape + in_shape``."""
    import ftrans.numpy as jnp
    cols = jnp.reshape(block, in_shape + out_shape)
    k = len(in_shape)
    return jnp.moveaxis(cols, tuple(range(k)), tuple(range(-k, 0))) if k else cols


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, *, chunk_size: int | None = None) -> Callable:
    """The Jacobian by forward mode: the JVP evaluated once, batched over all
    ``n`` input basis vectors (all columns in one pass of width ``n``;
    ``chunk_size`` columns at a time if given). Cheap when inputs are few.
    As in JAX, inputs must be real unless ``holomorphic=True`` (complex inputs
    and outputs, Jacobian ``f'(z)``); use ``jvp`` for other complex functions.

    >>> import ftrans, ftrans.numpy as jnp, numpy as np
    >>> ftrans.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> ftrans.jacfwd(lambda z: z ** 2, holomorphic=True)(np.array([1j]))
    array([[0.+2.j]])
    """
    return _jacobian("jacfwd", fun, argnums, has_aux, False, chunk_size, holomorphic)


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, *, chunk_size: int | None = None) -> Callable:
    """The Jacobian by reverse mode: the VJP evaluated once, batched over all
    ``m`` output basis vectors (all rows in one pass of width ``m``;
    ``chunk_size`` rows at a time if given). Cheap when outputs are few.
    As in JAX, outputs must be real unless ``holomorphic=True`` (complex inputs
    and outputs, Jacobian ``f'(z)``); use ``vjp`` for other complex functions.

    >>> import ftrans, ftrans.numpy as jnp, numpy as np
    >>> ftrans.jacrev(lambda x: jnp.sum(x ** 2))(np.array([1.0, 2.0]))
    array([2., 4.])
    >>> ftrans.jacrev(lambda z: z ** 2, holomorphic=True)(np.array([1j]))
    array([[0.+2.j]])
    """
    return _jacobian("jacrev", fun, argnums, has_aux, True, chunk_size, holomorphic)


def _jac_tree(traced: _Traced, jac, single_arg: bool, has_aux: bool, outs):
    """Output pytree of input pytrees, leaf shapes ``out.shape + in.shape``."""
    per_out = [tree_unflatten(traced.in_tree, row) for row in jac]
    if single_arg:
        per_out = [p[0] for p in per_out]
    tree = tree_unflatten(traced.out_tree, per_out)
    if has_aux:
        return tree, _outs(traced.split(outs)[1])
    return tree


def jacobian(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
             mode: str = "auto", chunk_size: int | None = None,
             memory_limit: int | None = None, holomorphic: bool = False) -> Callable:
    """The Jacobian, by the mode that the cost analysis predicts cheaper.

    ``mode="fwd"``/``"rev"`` is ``jacfwd``/``jacrev``. ``"auto"`` costs both
    plans on the function's jaxprs (``ftrans.jacobian_plan``): forward mode
    batches the linear jaxpr over the ``n`` input basis vectors, reverse mode
    the transposed one over the ``m`` output basis vectors; it runs the one
    with fewer flops whose predicted peak memory fits ``memory_limit``
    (bytes; the largest fitting ``chunk_size`` is chosen). The values are
    those of ``jacfwd``/``jacrev``. ``jacobian(f).plan(*args)`` returns the
    decision with both plans' predicted costs, without computing anything.

    >>> import ftrans, ftrans.numpy as jnp, numpy as np
    >>> ftrans.jacobian(lambda x: jnp.sum(x ** 2))(np.array([1.0, 2.0]))
    array([2., 4.])
    >>> ftrans.jacobian(lambda x: x ** 2).plan(np.array([1.0, 2.0])).mode in ("fwd", "rev")
    True
    """
    return _planned_jacobian("jacobian", fun, argnums, has_aux, mode, chunk_size,
                             memory_limit, holomorphic)


def _planned_jacobian(name: str, fun: Callable, argnums, has_aux: bool, mode: str,
                      chunk_size: int | None, memory_limit: int | None, holomorphic: bool):
    """``jacobian`` (and each level of ``hessian``), with errors naming ``name``."""
    from ftrans.jacobian_plan import MODES, plan_jacobian
    if mode not in MODES:
        raise ValueError(f"{name}({fn_name(fun)}): mode must be one of {MODES}, got {mode!r}")
    nums = _as_tuple(argnums)

    def plan(*args, **kwargs):
        partial, dyn, idx = _partial_argnums(name, fun, args, nums, kwargs)
        _check_diff_inputs(name, fun, dyn, idx, holomorphic)
        traced = _Traced(partial, dyn, name, concrete=True, has_aux=has_aux)
        traced.values.clear()
        out_avals = traced.closed.out_avals[:traced.n_out]
        _check_float_outputs(name, fun, out_avals)
        derived = derivatives(traced.closed, _diff_mask(traced.flat_in), traced.n_out)
        live = [o for o, nz in zip(out_avals, derived.linearized.out_nz) if nz]
        return plan_jacobian(derived, [get_aval(x) for x in traced.flat_in], live, mode,
                             chunk_size, memory_limit)

    planner = None
    if mode == "auto" or memory_limit is not None:
        def planner(derived, in_avals, live):
            return plan_jacobian(derived, in_avals, live, mode, chunk_size, memory_limit)
    jacobian_f = _jacobian(name, fun, argnums, has_aux, mode == "rev", chunk_size,
                           holomorphic, planner)
    jacobian_f.plan = plan
    return jacobian_f


def hessian(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False, *, chunk_size: int | None = None,
            mode: str | tuple[str, str] = "auto") -> Callable:
    """The Hessian: the Jacobian of the Jacobian, two batched passes.

    ``mode="auto"`` lets the cost analysis choose each level's mode, as
    ``jacobian`` does (for a scalar ``fun`` it picks reverse inside, then
    forward over the gradient: JAX's ``jacfwd(jacrev(fun))``);
    ``mode=(outer, inner)``, e.g. ``("fwd", "rev")``, fixes them. The values
    are the same in every mode. ``hessian(f).plan(*args)`` returns the
    ``(outer, inner)`` plans.

    >>> import ftrans, ftrans.numpy as jnp, numpy as np
    >>> ftrans.hessian(lambda x: jnp.sum(x ** 3))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    outer, inner = (mode, mode) if isinstance(mode, str) else mode
    gradient = _planned_jacobian("hessian", fun, argnums, has_aux, inner, chunk_size, None,
                                 holomorphic)
    hessian_f = _planned_jacobian("hessian", gradient, argnums, has_aux, outer, chunk_size,
                                  None, holomorphic)
    outer_plan = hessian_f.plan
    hessian_f.plan = lambda *args, **kwargs: (outer_plan(*args, **kwargs),
                                              gradient.plan(*args, **kwargs))
    return hessian_f
