"""``ftrans.dask``: gradients over data that does not fit in memory (DESIGN.md §10).

The optional extra ``ftrans[dask]``. A loss written for one batch of rows,
``loss(params, *batch)``, is traced once per chunk shape at the shape of a
chunk of the ``dask.array`` batch arguments, compiled with ``ftrans.jit``,
and the compiled per-chunk gradient runs with the ordinary numpy impls on
every chunk, on the threaded scheduler or on a ``dask.distributed`` cluster.
The per-chunk results are summed with a tree reduction. No primitive knows
about dask: the task graph has one task per chunk (plus the reduction tree),
the parameters enter it once, and batch-sized constants never enter it.

``eval_jaxpr`` is the other way in: it evaluates a whole jaxpr lazily on dask
arrays, calling each primitive's impl on them (dask implements numpy's API),
and names the primitive when dask cannot run it.

dask is imported only when a function here is called, so ``import
ftrans.dask`` works without it.
"""

from __future__ import annotations

import functools
import inspect
import operator
import sys
import threading
import uuid
from collections import OrderedDict
from typing import Any, Callable, Sequence

import numpy as np

from ftrans.core import ClosedJaxpr, Jaxpr, Var
from ftrans.tree_util import tree_flatten, tree_leaves, tree_map, tree_unflatten

__all__ = ["value_and_grad", "grad", "hvp", "map", "eval_jaxpr", "UNSUPPORTED"]


def _import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as e:  # pragma: no cover - exercised only without dask
        raise ImportError("ftrans.dask needs dask: pip install 'ftrans[dask]' "
                          "(or pip install 'dask[array,distributed]')") from e
    return dask, da


def _fun_name(fun: Callable) -> str:
    return getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)


def _arg_names(fun: Callable, n: int) -> list[str]:
    """Parameter names of ``fun`` for its first ``n`` positional arguments."""
    names = []
    try:
        for p in inspect.signature(fun).parameters.values():
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                names.append(p.name)
            elif p.kind is p.VAR_POSITIONAL:
                names += [f"{p.name}[{i}]" for i in range(n - len(names))]
    except (TypeError, ValueError):
        pass
    names += [f"argument {i}" for i in range(len(names), n)]
    return [f"{nm} (argument {i})" if not nm.startswith("argument") else nm
            for i, nm in enumerate(names[:n])]


def _as_tuple(x, what: str) -> tuple[int, ...]:
    if isinstance(x, int):
        return (x,)
    try:
        t = tuple(int(i) for i in x)
    except TypeError:
        raise TypeError(f"ftrans.dask: {what} must be an int or a tuple of ints, "
                        f"got {x!r}") from None
    return t


# --- the per-chunk kernel -------------------------------------------------------

_WORKER_KERNELS: OrderedDict = OrderedDict()   # token -> jitted, per process
_WORKER_LOCK = threading.Lock()


class _Kernel:
    """The compiled per-chunk function ``(params, *blocks) -> list of arrays``.

    In the process that built it, the ``ftrans.jit`` object is shared by every
    task, so each chunk shape is traced once. Sent to a worker process it
    pickles as its recipe (the user's function and the options); the worker
    rebuilds the jitted function once, keyed by a token, so each worker
    traces once per chunk shape too.
    """

    def __init__(self, build: Callable, recipe: tuple, token: str | None = None):
        self.build, self.recipe = build, recipe
        self.token = token or uuid.uuid4().hex
        self.store: dict = {}
        self._jitted = None
        self._lock = threading.Lock()

    @property
    def jitted(self):
        if self._jitted is None:
            with self._lock:  # worker threads share one jitted function
                if self._jitted is None:
                    from ftrans.jit import jit
                    self._jitted = jit(self.build(self.store, *self.recipe))
        return self._jitted

    def __call__(self, params, *blocks) -> list:
        return self.jitted(params, *blocks)

    def __dask_tokenize__(self):
        return ("ftrans-kernel", self.token)

    def __reduce__(self):
        return (_rebuild_kernel, (self.build, self.recipe, self.token))


def _rebuild_kernel(build, recipe, token):
    with _WORKER_LOCK:
        kernel = _WORKER_KERNELS.get(token)
        if kernel is None:
            kernel = _WORKER_KERNELS[token] = _Kernel(build, recipe, token)
            while len(_WORKER_KERNELS) > 64:
                _WORKER_KERNELS.popitem(last=False)
        else:
            _WORKER_KERNELS.move_to_end(token)
    return kernel


def _merge(params: tuple, blocks: tuple, batch_argnums: tuple, n: int) -> list:
    """The loss's positional arguments from the non-batch and batch ones."""
    args, p, b = [], iter(params), dict(zip(batch_argnums, blocks))
    for i in range(n):
        args.append(b[i] if i in b else next(p))
    return args


def _check_scalar(out, fun, rows):
    shape = getattr(out, "shape", None)
    if shape is None:
        shape = np.shape(out) if isinstance(out, (int, float, complex, np.number)) else None
    if shape != ():
        what = f"shape {tuple(shape)}" if shape is not None else f"a {type(out).__name__}"
        raise TypeError(f"ftrans.dask: the loss {_fun_name(fun)} must return a scalar "
                        f"for each chunk (the sum or mean over its rows), but on a "
                        f"chunk of {rows} rows it returned {what}")


def _build_loss_chunk(store, fun, n, argnums, batch_argnums, order):
    """The per-chunk function of value_and_grad (order 1) or hvp (order 2)."""
    from ftrans import api

    def chunk(params, *blocks):
        if order == 2:
            params, tangents = params
        args = _merge(params, blocks, batch_argnums, n)
        rows = blocks[0].shape[0]

        def f(*diff):
            full = list(args)
            for i, d in zip(argnums, diff):
                full[i] = d
            out = fun(*full)
            _check_scalar(out, fun, rows)
            return out

        primals = tuple(args[i] for i in argnums)
        pos = tuple(range(len(argnums)))
        if order == 1:
            out = api.value_and_grad(f, argnums=pos)(*primals)
        else:
            _, out = api.jvp(api.grad(f, argnums=pos), primals, tangents)
        leaves, store["tree"] = tree_flatten(out)
        return leaves

    chunk.__name__ = chunk.__qualname__ = f"chunk_{_fun_name(fun).replace('.', '_')}"
    return chunk


def _build_map_chunk(store, fun, n, batch_argnums):
    def chunk(params, *blocks):
        out = fun(*_merge(params, blocks, batch_argnums, n))
        leaves, store["tree"] = tree_flatten(out)
        for leaf in leaves:
            if len(getattr(leaf, "shape", ())) == 0:
                raise TypeError(f"ftrans.dask.map: {_fun_name(fun)} must return arrays "
                                f"with a leading axis to concatenate over chunks, but on "
                                f"a chunk of {blocks[0].shape[0]} rows it returned a "
                                f"scalar output")
        return leaves

    chunk.__name__ = chunk.__qualname__ = f"chunk_{_fun_name(fun).replace('.', '_')}"
    return chunk


# --- checking and splitting the arguments --------------------------------------------

class _Plan:
    """The call's arguments split into parameters and batch blocks."""

    def __init__(self, where: str, fun: Callable, args: tuple, batch_argnums: tuple,
                 argnums: tuple = ()):
        dask, da = _import_dask()
        n = len(args)
        names = _arg_names(fun, n)
        batch = tuple(i + n if i < 0 else i for i in batch_argnums)
        if not batch:
            raise ValueError(f"{where}: batch_argnums is empty; name at least one "
                             f"dask.array argument of {_fun_name(fun)}")
        for i in batch:
            if not 0 <= i < n:
                raise ValueError(f"{where}: batch_argnums {batch_argnums} out of range "
                                 f"for {n} positional arguments of {_fun_name(fun)}")
        for i in argnums:
            if i in batch:
                raise ValueError(f"{where}: argnums {argnums} and batch_argnums "
                                 f"{batch_argnums} overlap at {names[i]}: "
                                 f"differentiate with respect to parameters, not data")
            if not 0 <= i < n:
                raise ValueError(f"{where}: argnums {argnums} out of range for {n} "
                                 f"positional arguments of {_fun_name(fun)}")
        arrays = []
        for i in batch:
            x = args[i]
            if not isinstance(x, da.Array):
                raise TypeError(f"{where}: batch argument {names[i]} of {_fun_name(fun)} "
                                f"must be a dask.array chunked along axis 0, got "
                                f"{type(x).__module__}.{type(x).__name__}"
                                f"{' of shape ' + str(np.shape(x)) if hasattr(x, 'shape') else ''}"
                                f"; wrap it with dask.array.from_array(x, chunks=(rows, ...))")
            if x.ndim == 0:
                raise ValueError(f"{where}: batch argument {names[i]} is a 0-d dask "
                                 f"array; batch arguments need a leading row axis")
            if any(np.isnan(c) for c in x.chunks[0]):
                raise ValueError(f"{where}: batch argument {names[i]} has unknown chunk "
                                 f"sizes {x.chunks[0]}; call compute_chunk_sizes() first")
            extra = [ax for ax in range(1, x.ndim) if len(x.chunks[ax]) > 1]
            if extra:
                raise ValueError(f"{where}: batch argument {names[i]} is chunked along "
                                 f"axis {extra[0]} (chunks {x.chunks}); batch arguments "
                                 f"must be chunked along axis 0 only: "
                                 f"x.rechunk({{{', '.join(f'{a}: -1' for a in extra)}}})")
            arrays.append(x)
        first = arrays[0]
        for i, x in zip(batch[1:], arrays[1:]):
            if x.shape[0] != first.shape[0]:
                raise ValueError(f"{where}: batch arguments {names[batch[0]]} and "
                                 f"{names[i]} have different lengths "
                                 f"({first.shape[0]} and {x.shape[0]} rows)")
            if x.chunks[0] != first.chunks[0]:
                raise ValueError(f"{where}: batch arguments {names[batch[0]]} and "
                                 f"{names[i]} have different chunks along axis 0 "
                                 f"({_short_chunks(first.chunks[0])} and "
                                 f"{_short_chunks(x.chunks[0])}); rechunk one to the "
                                 f"other: {names[i].split(' ')[0]}.rechunk({{0: "
                                 f"{names[batch[0]].split(' ')[0]}.chunks[0]}})")
        params = []
        for i in range(n):
            if i in batch:
                continue
            for leaf in tree_leaves(args[i]):
                if isinstance(leaf, da.Array):
                    raise TypeError(f"{where}: {names[i]} of {_fun_name(fun)} holds a "
                                    f"dask.array but is not in batch_argnums "
                                    f"{batch_argnums}; parameters must be in memory "
                                    f"(compute them, or add the argument to batch_argnums)")
            params.append(tree_map(np.asarray, args[i]))
        self.n, self.names, self.batch, self.arrays = n, names, batch, arrays
        self.params = tuple(params)
        self.row_chunks = tuple(int(c) for c in first.chunks[0])
        self.rows = int(sum(self.row_chunks))
        if not self.rows:
            raise ValueError(f"{where}: batch argument {names[batch[0]]} has no rows")

    def lower(self, kernel: _Kernel, params) -> dict:
        """Trace (and compile) the kernel once per distinct chunk length, on
        zero-stride stand-ins for a chunk; returns {rows: output avals}."""
        avals = {}
        for rows in dict.fromkeys(self.row_chunks):
            stand_ins = [np.broadcast_to(np.zeros((), x.dtype), (rows,) + x.shape[1:])
                         for x in self.arrays]
            avals[rows] = kernel.jitted.lower(params, *stand_ins).jaxpr.out_avals
        return avals

    def blocks(self) -> list[tuple]:
        """Per chunk, the tuple of delayed blocks of every batch argument. The
        arrays' graphs are not optimized: dask's fusion would copy a task that
        makes the chunks of two arguments at once (X and y from one generator)
        into each of them, and run it twice."""
        cols = [x.to_delayed(optimize_graph=False).reshape(-1) for x in self.arrays]
        return list(zip(*cols))


def _short_chunks(c: tuple) -> str:
    return str(c) if len(c) <= 6 else f"({', '.join(str(n) for n in c[:3])}, ..., {c[-1]}; {len(c)} chunks)"


def _params_node(params):
    """The parameters as ONE node of the graph: scattered to every worker of
    the user's distributed Client when that is the scheduler in use, else one
    delayed key. Never starts a cluster."""
    dask, _ = _import_dask()
    from dask.base import tokenize
    client = _active_client()
    if client is not None:
        return client.scatter([params], broadcast=True, hash=False)[0]
    return dask.delayed(params, name="ftrans-params-" + tokenize(params), traverse=False)


def _active_client():
    """The user's distributed Client if it is the scheduler in use, else None."""
    from dask.base import get_scheduler
    owner = getattr(get_scheduler(), "__self__", None)
    if owner is None or "distributed" not in sys.modules:
        return None
    from distributed import Client
    return owner if isinstance(owner, Client) else None


def _sum_parts(*parts):
    """Elementwise sum of lists of arrays (one node of the reduction tree)."""
    return [functools.reduce(np.add, xs) for xs in zip(*parts)]


def _tree_sum(parts: list, split_every: int):
    dask, _ = _import_dask()
    while len(parts) > 1:
        parts = [dask.delayed(_sum_parts, pure=True)(*parts[i:i + split_every])
                 for i in range(0, len(parts), split_every)]
    return parts[0]


def _finish(leaves, tree, scale, shapes_dtypes):
    out = []
    for leaf, (shape, dtype) in zip(leaves, shapes_dtypes):
        leaf = np.asarray(leaf)
        if scale is not None:
            leaf = np.asarray(leaf * np.asarray(scale, leaf.dtype))
        out.append(leaf.reshape(shape).astype(dtype, copy=False))
    return tree_unflatten(tree, out)


def _reduced_call(kernel, plan, params, reduce, split_every, compute):
    dask, _ = _import_dask()
    avals = plan.lower(kernel, params)
    pnode = _params_node(params)
    parts = [dask.delayed(kernel, pure=True)(pnode, *blk) for blk in plan.blocks()]
    total = _tree_sum(parts, split_every)
    scale = 1.0 / plan.rows if reduce == "mean" else None
    some = next(iter(avals.values()))
    lazy = dask.delayed(_finish, pure=True)(total, kernel.store["tree"], scale,
                                           [(a.shape, a.dtype) for a in some])
    return lazy.compute() if compute else lazy


def _check_reduce(where, reduce):
    if reduce not in ("sum", "mean"):
        raise ValueError(f"{where}: reduce must be 'sum' or 'mean', got {reduce!r}")


# --- the public transformations ---------------------------------------------------

def value_and_grad(loss: Callable, argnums: int | Sequence[int] = 0,
                   batch_argnums: int | Sequence[int] = (1,), reduce: str = "sum",
                   compute: bool = True, split_every: int = 8) -> Callable:
    """``loss`` and its gradient summed over the chunks of dask.array batch arguments.

    ``loss(params, *batch)`` is an ordinary ftrans function returning a scalar
    for one chunk of rows: the *sum* over those rows (``reduce="sum"`` adds the
    chunks; ``reduce="mean"`` divides the total by the number of rows). The
    batch arguments (positions ``batch_argnums``) are dask arrays chunked
    along axis 0 only, all with the same chunks; the other arguments are
    parameters, in memory, sent to the workers once per call. The per-chunk
    value and gradient are traced once per chunk shape -- the ragged last
    chunk gets its own trace, no padding; on a distributed cluster each worker
    process traces once per chunk shape too -- compiled with ``ftrans.jit`` and
    run on every chunk; the results are summed with a tree reduction of
    ``split_every`` inputs per node, so the graph has O(number of chunks)
    tasks.

    Args:
      loss: the per-chunk loss.
      argnums: which non-batch argument(s) to differentiate (int or tuple).
      batch_argnums: positions of the dask.array batch arguments.
      reduce: ``"sum"`` or ``"mean"`` (divide by the total row count).
      compute: ``False`` returns one lazy ``dask.delayed`` value instead.
      split_every: fan-in of the reduction tree.

    Returns:
      A function of ``loss``'s arguments returning ``(value, grads)`` as
      numpy arrays, ``grads`` shaped like the argument(s) in ``argnums``.

    >>> import numpy as np, dask.array as da, ftrans.numpy as jnp, ftrans.dask
    >>> X = da.from_array(np.arange(12.0).reshape(6, 2), chunks=(4, 2))
    >>> loss = lambda w, X: jnp.sum((X @ w) ** 2)
    >>> value, g = ftrans.dask.value_and_grad(loss)(np.ones(2), X)
    >>> float(value), g.tolist()
    (1006.0, [940.0, 1072.0])
    """
    where = f"ftrans.dask.value_and_grad({_fun_name(loss)})"
    _check_reduce(where, reduce)
    diff = _as_tuple(argnums, "argnums")
    batch_argnums = _as_tuple(batch_argnums, "batch_argnums")
    single = isinstance(argnums, int)
    kernels: dict = {}

    def wrapped(*args):
        plan = _Plan(where, loss, args, batch_argnums, diff)
        key = (plan.n, plan.batch)
        if key not in kernels:
            kernels[key] = _Kernel(_build_loss_chunk, (loss, plan.n, diff, plan.batch, 1))
        out = _reduced_call(kernels[key], plan, plan.params, reduce, split_every, compute)
        if compute:
            return (out[0], out[1][0]) if single else out
        dask, _ = _import_dask()
        return dask.delayed(_first_grad, pure=True)(out) if single else out

    wrapped.__name__ = f"value_and_grad_{getattr(loss, '__name__', 'loss')}"
    wrapped.__doc__ = f"Chunked value and gradient of {_fun_name(loss)} (ftrans.dask)."
    return wrapped


def _first_grad(value_grads):
    return value_grads[0], value_grads[1][0]


def grad(loss: Callable, argnums: int | Sequence[int] = 0,
         batch_argnums: int | Sequence[int] = (1,), reduce: str = "sum",
         compute: bool = True, split_every: int = 8) -> Callable:
    """The gradient of ``loss`` summed (or averaged) over the chunks of the
    batch arguments: ``value_and_grad`` without the value.

    >>> import numpy as np, dask.array as da, ftrans.numpy as jnp, ftrans.dask
    >>> X = da.from_array(np.arange(12.0).reshape(6, 2), chunks=(4, 2))
    >>> g = ftrans.dask.grad(lambda w, X: jnp.sum(X @ w), reduce="mean")(np.ones(2), X)
    >>> g.tolist()
    [5.0, 6.0]
    """
    vg = value_and_grad(loss, argnums, batch_argnums, reduce, compute, split_every)

    def wrapped(*args):
        out = vg(*args)
        if compute:
            return out[1]
        dask, _ = _import_dask()
        return dask.delayed(operator.itemgetter(1), pure=True)(out)

    wrapped.__name__ = f"grad_{getattr(loss, '__name__', 'loss')}"
    return wrapped


def hvp(loss: Callable, argnums: int | Sequence[int] = 0,
        batch_argnums: int | Sequence[int] = (1,), reduce: str = "sum",
        compute: bool = True, split_every: int = 8) -> Callable:
    """Hessian-vector products of ``loss`` summed over the chunks (for Newton-CG).

    Returns ``f(tangents, *args)``: the Hessian of the total (or mean) loss
    with respect to the argument(s) ``argnums`` of ``args``, applied to
    ``tangents`` (shaped like those arguments; a tuple for a tuple
    ``argnums``). Each chunk computes forward-over-reverse
    ``jvp(grad(loss))``, traced once per chunk shape; the parameters and the
    tangents enter the graph once.

    >>> import numpy as np, dask.array as da, ftrans.numpy as jnp, ftrans.dask
    >>> X = da.from_array(np.eye(3), chunks=(2, 3))
    >>> f = ftrans.dask.hvp(lambda w, X: jnp.sum((X @ w) ** 2))
    >>> f(np.array([1.0, 2.0, 3.0]), np.zeros(3), X).tolist()
    [2.0, 4.0, 6.0]
    """
    where = f"ftrans.dask.hvp({_fun_name(loss)})"
    _check_reduce(where, reduce)
    diff = _as_tuple(argnums, "argnums")
    batch_argnums = _as_tuple(batch_argnums, "batch_argnums")
    single = isinstance(argnums, int)
    kernels: dict = {}

    def wrapped(tangents, *args):
        plan = _Plan(where, loss, args, batch_argnums, diff)
        primals = [args[i] for i in diff]
        tans = (tangents,) if single else tuple(tangents)
        if len(tans) != len(diff):
            raise ValueError(f"{where}: {len(diff)} tangents needed for argnums "
                             f"{argnums}, got {len(tans)}")
        checked = []
        for i, (p, t) in enumerate(zip(primals, tans)):
            t = tree_map(np.asarray, t)
            pl, pt = tree_flatten(tree_map(np.asarray, p))
            tl, tt = tree_flatten(t)
            if pt != tt or any(a.shape != b.shape for a, b in zip(pl, tl)):
                raise ValueError(f"{where}: tangents for {plan.names[diff[i]]} must have "
                                 f"its structure and shapes "
                                 f"{[a.shape for a in pl]}, got {[b.shape for b in tl]}")
            checked.append(tree_map(lambda b, a: b.astype(a.dtype, copy=False), t, p)
                           if pt == tt else t)
        key = (plan.n, plan.batch)
        if key not in kernels:
            kernels[key] = _Kernel(_build_loss_chunk, (loss, plan.n, diff, plan.batch, 2))
        params = (plan.params, tuple(checked))
        out = _reduced_call(kernels[key], plan, params, reduce, split_every, compute)
        if compute:
            return out[0] if single else out
        dask, _ = _import_dask()
        return dask.delayed(operator.itemgetter(0), pure=True)(out) if single else out

    wrapped.__name__ = f"hvp_{getattr(loss, '__name__', 'loss')}"
    return wrapped


def map(fun: Callable, batch_argnums: int | Sequence[int] = (1,),  # noqa: A001
        compute: bool = True) -> Callable:
    """Run ``fun(params, *batch)`` on every chunk and concatenate its outputs along axis 0.

    ``fun`` is any ftrans function of in-memory parameters and chunks of
    the batch arguments (dask arrays chunked along axis 0 with equal chunks);
    it is traced once per chunk shape (the ragged last chunk gets its own
    trace) and compiled with ``ftrans.jit``. Every output leaf needs a leading
    axis. Returns numpy arrays shaped like ``fun``'s output, or dask arrays
    with ``compute=False``.

    >>> import numpy as np, dask.array as da, ftrans.numpy as jnp, ftrans.dask
    >>> X = da.from_array(np.arange(6.0).reshape(3, 2), chunks=(2, 2))
    >>> ftrans.dask.map(lambda w, X: jnp.tanh(X @ w))(np.zeros(2), X).tolist()
    [0.0, 0.0, 0.0]
    """
    where = f"ftrans.dask.map({_fun_name(fun)})"
    batch_argnums = _as_tuple(batch_argnums, "batch_argnums")
    kernels: dict = {}

    def wrapped(*args):
        dask, da = _import_dask()
        plan = _Plan(where, fun, args, batch_argnums)
        key = (plan.n, plan.batch)
        if key not in kernels:
            kernels[key] = _Kernel(_build_map_chunk, (fun, plan.n, plan.batch))
        kernel = kernels[key]
        avals = plan.lower(kernel, plan.params)
        pnode = _params_node(plan.params)
        cols = []
        for rows, blk in zip(plan.row_chunks, plan.blocks()):
            part = dask.delayed(kernel, pure=True)(pnode, *blk)
            cols.append([da.from_delayed(part[k], shape=a.shape, dtype=a.dtype)
                         for k, a in enumerate(avals[rows])])
        leaves = [da.concatenate(list(col), axis=0) for col in zip(*cols)]
        if compute:
            leaves = list(dask.compute(*leaves))
        return tree_unflatten(kernel.store["tree"], leaves)

    wrapped.__name__ = f"map_{getattr(fun, '__name__', 'fun')}"
    return wrapped


# --- whole-jaxpr lazy evaluation -------------------------------------------------

#: Primitives that ``eval_jaxpr`` cannot run on dask arrays, with the reason.
UNSUPPORTED: dict[str, str] = {
    "while": "its loop condition would be computed at every step",
    "debug_callback": "the callback would force its operands",
    "gather": "dask's take has no mode= (clipping or filling out-of-range indices)",
    "argsort": "dask has no argsort",
    "searchsorted": "dask's searchsorted needs a 1-d sorted array in one chunk and "
                    "array-valued queries",
    "threefry2x32": "random bits are cheap to make per chunk: generate them with "
                    "dask.array.random or map_blocks",
    "fft": "dask.array.fft needs the transformed axes in one chunk",
    **{p: f"numpy's ufunc.at (unbuffered in-place {op}) has no dask equivalent"
       for p, op in (("scatter_add", "add"), ("scatter_mul", "multiply"),
                     ("scatter_min", "minimum"), ("scatter_max", "maximum"))},
    "scatter": "an in-place indexed store into a copy, which dask cannot do lazily",
    **{p: f"numpy's ufunc.accumulate ({op}) has no dask equivalent"
       for p, op in (("cumprod", "multiply"), ("cummax", "maximum"),
                     ("cummin", "minimum"))},
    **{p: "dask.array.linalg lacks it for batched matrices or needs one square chunk "
          "(the matrix is usually small: compute it and use ftrans.eval_jaxpr)"
       for p in ("cholesky", "triangular_solve", "solve", "det", "slogdet", "eigh",
                 "svd", "qr", "eig", "lu", "expm", "expm_frechet")},
}

# Elementwise primitives whose impls index or assign into numpy buffers: run
# per block (their impl on each chunk), which is exact for elementwise maps.
_BLOCKWISE = frozenset({
    "erf", "erfc", "real", "imag", "complex", "lgamma", "digamma", "polygamma",
    "zeta", "erf_inv", "ndtri", "igamma", "igammac", "igamma_grad_a", "betainc",
    "bessel_i0e", "bessel_i1e"})


def _walk_prims(jaxpr: Jaxpr, seen: set) -> None:
    for eqn in jaxpr.eqns:
        seen.add(eqn.primitive.name)
        for v in eqn.params.values():
            for sub in (v if isinstance(v, (tuple, list)) else (v,)):
                if isinstance(sub, ClosedJaxpr):
                    _walk_prims(sub.jaxpr, seen)
                elif isinstance(sub, Jaxpr):
                    _walk_prims(sub, seen)


def eval_jaxpr(closed: ClosedJaxpr, *args: Any) -> list:
    """Evaluate ``closed`` lazily on dask arrays: each primitive's impl runs
    on the dask arrays (dask implements numpy's API), building a graph; nothing
    is computed. Returns the list of outputs (dask arrays, or numpy arrays for
    outputs that depend on no argument).

    Elementwise primitives whose impls index into numpy buffers (``erf``,
    the special functions, ``real``/``imag``/``complex``) run per block;
    ``cond`` on a predicate computed from dask arrays runs every branch and
    selects, as ``vmap`` does; ``scan`` unrolls into the graph. A primitive
    dask cannot run lazily (``ftrans.dask.UNSUPPORTED`` lists them with the
    reason) raises ``NotImplementedError`` naming it, before anything is
    evaluated.

    >>> import numpy as np, dask.array as da, ftrans, ftrans.numpy as jnp
    >>> closed = ftrans.make_jaxpr(lambda x: jnp.sin(x).sum(0))(np.zeros((4, 2)))
    >>> (y,) = ftrans.dask.eval_jaxpr(closed, da.ones((4, 2), chunks=2))
    >>> type(y).__name__, y.compute().round(3).tolist()
    ('Array', [3.366, 3.366])
    """
    _import_dask()
    if not isinstance(closed, ClosedJaxpr):
        raise TypeError(f"ftrans.dask.eval_jaxpr: expected a ClosedJaxpr (from "
                        f"ftrans.make_jaxpr), got {type(closed).__name__}")
    jaxpr = closed.jaxpr
    if len(args) != len(jaxpr.invars):
        raise TypeError(f"ftrans.dask.eval_jaxpr: the jaxpr takes {len(jaxpr.invars)} "
                        f"arguments, got {len(args)}")
    prims: set = set()
    _walk_prims(jaxpr, prims)
    bad = sorted(p for p in prims if p in UNSUPPORTED)
    if bad:
        raise NotImplementedError(
            "ftrans.dask.eval_jaxpr: dask cannot evaluate "
            + "; ".join(f"primitive '{p}' lazily ({UNSUPPORTED[p]})" for p in bad)
            + ". Compute the arrays first and use ftrans.eval_jaxpr, or map the "
              "function over chunks with ftrans.dask.map")
    return _eval(jaxpr, closed.consts, args)


def _eval(jaxpr: Jaxpr, consts, args) -> list:
    env = dict(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, args))
    for eqn in jaxpr.eqns:
        prim = eqn.primitive
        ins = [env[v] if type(v) is Var else v.val for v in eqn.inputs]
        special = _SPECIAL.get(prim.name)
        if special is not None:
            out = special(ins, **eqn.params)
        elif prim.name in _BLOCKWISE and any(_is_dask(x) for x in ins):
            out = _blockwise(prim, ins, eqn.outputs[0].aval, eqn.params)
        else:
            out = prim.impl(*ins, **eqn.params)
        if prim.multiple_results:
            env.update(zip(eqn.outputs, out))
        else:
            env[eqn.outputs[0]] = out
    return [env[v] if type(v) is Var else v.val for v in jaxpr.outvars]


def _eval_closed(closed: ClosedJaxpr, *args) -> list:
    return _eval(closed.jaxpr, closed.consts, args)


def _is_dask(x) -> bool:
    return type(x).__module__.startswith("dask")


def _jit_call(ins, *, jaxpr, num_consts, name):
    # run the sub-jaxpr lazily rather than as compiled code (whose emitted
    # numpy source may convert its inputs)
    return _eval_closed(jaxpr, *ins)


def _cond(ins, *, branches):
    index, *ops = ins
    if _is_dask(index):
        # a lazy predicate: every branch runs, and the index selects (as vmap's
        # rule for a batched predicate does); branches are pure
        which = np.clip(index, 0, len(branches) - 1)
        outs = [_eval_closed(b, *ops) for b in branches]
        selected = list(outs[0])
        for j in range(1, len(branches)):
            selected = [np.where(which == j, o, s) for o, s in zip(outs[j], selected)]
        return selected
    return _eval_closed(branches[int(np.clip(index, 0, len(branches) - 1))], *ops)


def _scan(ins, *, jaxpr, num_consts, num_carry, length, reverse):
    _, da = _import_dask()
    consts, carry = ins[:num_consts], ins[num_consts:num_consts + num_carry]
    xs = ins[num_consts + num_carry:]
    ys: list = [None] * length
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        outs = _eval_closed(jaxpr, *consts, *carry, *[x[i] for x in xs])
        carry, ys[i] = outs[:num_carry], outs[num_carry:]
    stacked = []
    for k, a in enumerate(jaxpr.out_avals[num_carry:]):
        stacked.append(da.stack([da.asarray(y[k]) for y in ys]) if length
                       else np.empty((0,) + a.shape, a.dtype))
    return list(carry) + stacked


def _custom_call(ins, *, call_jaxpr, num_consts, **rule):
    (r,) = rule.values()
    return _eval_closed(call_jaxpr, *ins[:num_consts], *ins[num_consts + r.num_consts:])


def _remat(ins, *, jaxpr, **_):
    return _eval_closed(jaxpr, *ins)


def _blockwise(prim, ins, aval, params):
    """An elementwise primitive's impl on every block of its (broadcast,
    chunk-aligned) operands."""
    _, da = _import_dask()
    chunks = next((x.chunks for x in ins if _is_dask(x) and x.shape == aval.shape),
                  None) or "auto"
    ops = [da.broadcast_to(da.asarray(x), aval.shape, chunks=chunks) for x in ins]
    fn = functools.partial(prim.impl, **params) if params else prim.impl
    return da.map_blocks(fn, *ops, dtype=aval.dtype, meta=np.empty((0,) * aval.ndim,
                                                                   aval.dtype))


def _static_starts(name, starts):
    if any(_is_dask(s) for s in starts):
        raise NotImplementedError(
            f"ftrans.dask.eval_jaxpr: primitive '{name}' with start indices computed "
            f"from dask arrays would force them; compute the indices first")


def _dynamic_slice(ins, *, slice_sizes):
    from ftrans.prims.shape import dynamic_slice_p
    _static_starts("dynamic_slice", ins[1:])
    return dynamic_slice_p.impl(*ins, slice_sizes=slice_sizes)


def _dynamic_update_slice(ins):
    from ftrans.prims.shape import _clamped_starts
    _, da = _import_dask()
    x, update, *starts = ins
    _static_starts("dynamic_update_slice", starts)
    begin = _clamped_starts(starts, x.shape, np.shape(update))
    out = da.asarray(x).copy()
    out[tuple(slice(b, b + k) for b, k in zip(begin, np.shape(update)))] = update
    return out


def _pad(ins, *, padding_config):
    _, da = _import_dask()
    x, value = ins
    x = da.asarray(x)
    for ax, (_, _, interior) in enumerate(padding_config):
        n = x.shape[ax]
        if interior and n > 1:  # interleave: stack after each element, merge, trim
            fill = da.broadcast_to(da.asarray(value), x.shape, chunks=x.chunks)
            y = da.stack([x] + [fill] * interior, axis=ax + 1)
            y = _reshape([y], new_sizes=x.shape[:ax] + (n * (interior + 1),) + x.shape[ax + 1:])
            x = y[(slice(None),) * ax + (slice(0, n * (interior + 1) - interior),)]
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi, _ in padding_config]
    if _is_dask(value):  # a lazy padding value: pad with zeros, then select
        inside = da.pad(da.ones(x.shape, bool, chunks=x.chunks), widths, mode="constant")
        grown = da.where(inside, da.pad(x, widths, mode="constant"), value)
    else:
        grown = da.pad(x, widths, mode="constant", constant_values=np.asarray(value)[()])
    crop = tuple(slice(max(-lo, 0), g - max(-hi, 0))
                 for g, (lo, hi, _) in zip(grown.shape, padding_config))
    return grown[crop]


def _select_n(ins):
    which, *cases = ins
    if len(cases) == 1:  # the impl copies with np.asarray; dask arrays are immutable
        return cases[0]
    if len(cases) == 2 or not _is_dask(which):
        from ftrans.prims.elementwise import select_n_p
        return select_n_p.impl(*ins)
    return np.choose(which.astype(np.int64), cases)  # dask's choose (NEP 18)


def _reshape(ins, *, new_sizes):
    (x,) = ins
    if not _is_dask(x):
        return np.reshape(x, new_sizes)
    try:
        return x.reshape(new_sizes)
    except (ValueError, NotImplementedError):
        pass  # dask reshapes only where chunks split or merge evenly
    try:
        return x.rechunk({ax: -1 for ax in range(1, x.ndim)}).reshape(new_sizes)
    except (ValueError, NotImplementedError):
        return x.rechunk(-1).reshape(new_sizes)


_SPECIAL: dict[str, Callable] = {
    "jit_call": _jit_call, "cond": _cond, "scan": _scan, "remat": _remat,
    "custom_jvp_call": _custom_call, "custom_vjp_call": _custom_call,
    "dynamic_slice": _dynamic_slice, "dynamic_update_slice": _dynamic_update_slice,
    "pad": _pad, "select_n": _select_n, "reshape": _reshape,
}


def _skip_examples_without_dask() -> None:
    """Without dask the examples above cannot run: mark them skipped (pytest
    runs ``--doctest-modules`` over ftrans/, where dask is optional)."""
    import importlib.util
    if importlib.util.find_spec("dask") is not None:
        return
    for fn in (value_and_grad, grad, hvp, map, eval_jaxpr):
        fn.__doc__ = "\n".join(line + "  # doctest: +SKIP" if line.lstrip().startswith(">>>")
                               else line for line in fn.__doc__.splitlines())


_skip_examples_without_dask()
