"""Factories for the families of primitives: each creates the ``Primitive``,
sets its ``impl`` and installs every rule the family shares, so that a
member of a family is declared in one line.

Elementwise (``prims/elementwise.py``):

- ``unary(name, impl, derivative=..., kinds=...)``: one operand, output type =
  input type; JVP ``x_dot * derivative(x, y)`` (``derivative=0``: piecewise
  constant, zero tangent).
- ``binary(name, impl, kinds=..., out_dtype=...)``: two operands of one dtype
  and equal shapes (a rank-0 operand broadcasts); the JVP is the member's own,
  built with ``binary_tangent`` (or ``derivative=0``).
- ``comparison(name, impl)``: a boolean ``binary`` with zero tangent.
- ``minmax(name, impl, x_wins)``: ``max``/``min``, ties splitting the tangent.

Every elementwise member batches by ``def_elementwise_batch``: the operands
meet on one batch axis, an unbatched rank-0 operand broadcasts itself.

Reductions (``prims/reductions.py``):

- ``reduction(name, impl)``: the shape rule of a reduction over ``axes``.
- ``reduce_extremum(name, impl)``: ``reduce_max``/``reduce_min``, ties sharing
  the tangent.
- ``arg_reduction(name, impl)``: ``argmax``/``argmin`` (integer outputs).
- ``cumulative(name, impl, combine=..., identity=...)``: running reductions
  along ``axis``, differentiated through a prefix scan of ``combine``.

They batch by renumbering ``axes``/``axis`` past the batch axis, which stays
where it is (moved left by the reduced axes before it).

Structural (``prims/shape.py``):

- ``scatter_op(name, impl)``: the shape rule of ``x`` updated at ``indices``.
- ``scatter_extremum(name, impl)``: ``scatter_min``/``scatter_max``.

Rules that several families share: ``def_linear`` (a primitive linear in
all its array inputs gets the JVP "apply it to the tangents", so only its
transpose is written), ``def_linear_in`` (the same for some operands),
``def_zero_jvp`` (piecewise constant) and ``def_identity_with`` (``x * 1`` and
``x + 0`` stage no equation).

The impls are passed in, never made here: each is a module-level function of
the primitive's module (or a numpy function), so generated code and profiles
can name it. A rule that needs other primitives imports their module when it
runs, as the prims modules import this one. ``exports`` gives each prims
module its ``__all__``.
"""

from __future__ import annotations

import inspect
from typing import Callable

import numpy as np

from ftrans.ad_util import Zero, add_tangents, instantiate
from ftrans.core import Primitive, ShapedArray, get_aval

_KIND_NAMES = {"b": "boolean", "i": "integer", "u": "integer", "f": "float",
               "c": "complex"}


def check_kinds(name: str, kinds: str, *avals: ShapedArray) -> None:
    """Raise a TypeError naming ``name`` and the operand types unless every
    operand's dtype kind (numpy's ``dtype.kind``) is in ``kinds``."""
    for a in avals:
        if a.dtype.kind not in kinds:
            break
    else:
        return
    wanted = " or ".join(dict.fromkeys(_KIND_NAMES[k] for k in kinds))
    got = " and ".join(a.str_short() for a in avals)
    fix = "; convert with x.astype(float)" if "f" in kinds and "i" not in kinds else ""
    what = "the operand" if len(avals) == 1 else "operands"
    raise TypeError(f"{name}: {what} must be {wanted}, got {got}{fix}")


def _is_zero(derivative) -> bool:
    """``derivative=0`` declares a piecewise-constant primitive."""
    if callable(derivative) or derivative is None:
        return False
    if derivative == 0:
        return True
    raise TypeError(f"derivative must be a function (x, y) -> dy/dx or 0, got "
                    f"{derivative!r}")


def exports(namespace: dict) -> list[str]:
    """A prims module's ``__all__``: the public functions and classes it
    defines (its functional forms), in the order of their definitions. Set at
    the end of the module, so that a new primitive's function is exported by
    being written; ``ftrans.lax`` re-exports every prims module's ``__all__``."""
    module = namespace["__name__"]
    return [name for name, obj in namespace.items()
            if not name.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module]


# --- shared rules ---------------------------------------------------------------

def def_zero_jvp(prim: Primitive) -> None:
    """The primitive is piecewise constant: its tangent is zero."""
    prim.zero_jvp = True

    @prim.def_jvp
    def _zero_jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        zero = ([Zero(get_aval(o)) for o in out] if prim.multiple_results
                else Zero(get_aval(out)))
        return out, zero


def def_linear(prim: Primitive) -> None:
    """JVP of a primitive linear in all its array inputs: apply it to tangents."""

    @prim.def_jvp
    def _linear_jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        return out, prim.bind(*[instantiate(t) for t in tangents], **params)


def _instantiate_scalar_literal(t):
    """``t`` as an array; a rank-0 zero becomes a literal, not an equation."""
    if type(t) is Zero and t.aval.shape == ():
        return np.zeros((), t.aval.dtype)
    return instantiate(t)


def def_linear_in(prim: Primitive, positions: tuple) -> None:
    """JVP of a primitive jointly linear in the operands at ``positions``; the
    other operands (integer indices) are passed through as they are."""

    @prim.def_jvp
    def _linear_in_jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(type(tangents[i]) is Zero for i in positions):
            return out, Zero(get_aval(out))
        args = [_instantiate_scalar_literal(t) if i in positions else p
                for i, (p, t) in enumerate(zip(primals, tangents))]
        return out, prim.bind(*args, **params)


def def_identity_with(prim: Primitive, value, positions) -> None:
    """Staging ``prim(x, c)`` with the constant ``c == value`` at one of
    ``positions`` returns ``x`` itself (``x * 1``, ``x + 0``): no equation."""
    from ftrans.tracing import Tracer

    def simplify(x, y):
        if type(x) is Tracer and type(y) is Tracer:
            return None
        for pos in positions:
            const, other = (x, y) if pos == 0 else (y, x)
            if (type(const) is not Tracer and type(other) is Tracer
                    and np.ndim(const) == 0 and np.asarray(const).dtype == other.dtype
                    and const == value):
                return other
        return None

    prim.simplify = simplify


# --- elementwise: helpers for the tangents of operands that broadcast from rank 0 --

def scalar(x, v):
    """The Python number ``v`` as a rank-0 literal of ``x``'s dtype."""
    return np.asarray(v, dtype=x.dtype)[()]


def bcast(t, shape):
    """Tangent ``t`` broadcast to the output ``shape`` (rank-0 operands)."""
    if type(t) is Zero:
        return Zero(t.aval.update(shape=shape))
    if t.shape == shape:
        return t
    from ftrans.prims.shape import broadcast_in_dim
    return broadcast_in_dim(t, shape=shape, broadcast_dimensions=())


def unbcast(ct, aval: ShapedArray):
    """Cotangent ``ct`` summed down to a rank-0 operand's shape."""
    if ct.shape == aval.shape:
        return ct
    from ftrans.prims.reductions import reduce_sum
    return reduce_sum(ct, axes=tuple(range(ct.ndim)))


def binary_tangent(out, x_dot, y_dot, fx, fy):
    """``fx(x_dot) + fy(y_dot)`` at ``out``'s shape; ``fx``/``fy`` are linear
    and are not called on a symbolic zero (so no coefficient is computed)."""
    a = x_dot if type(x_dot) is Zero else fx(x_dot)
    b = y_dot if type(y_dot) is Zero else fy(y_dot)
    return add_tangents(bcast(a, out.shape), bcast(b, out.shape))


def binary_shape(name: str, x: ShapedArray, y: ShapedArray) -> tuple:
    """Elementwise operands have equal shapes; a rank-0 operand broadcasts."""
    if x.shape == y.shape or y.shape == ():
        return x.shape
    if x.shape == ():
        return y.shape
    raise TypeError(f"{name}: operands have incompatible shapes {x.str_short()} "
                    f"and {y.str_short()}; elementwise primitives need equal "
                    "shapes (ftrans.numpy broadcasts for you, or use "
                    "ftrans.numpy.broadcast_to)")


# --- elementwise families -----------------------------------------------------------

def ufunc_emit(ufunc: np.ufunc) -> Callable:
    """The emit rule calling the numpy ufunc the impl is (``np.sin(a)``); it
    may write into a dead buffer of the output's type (``out=``)."""
    call = f"np.{ufunc.__name__}"

    def _ufunc_emit(ctx, out_names, in_exprs, **params):
        out = f", out={ctx.buffer}" if ctx.buffer else ""
        return f"{out_names[0]} = {call}({', '.join(ctx.short_in_exprs)}{out})"

    _ufunc_emit.accepts_out = True
    return _ufunc_emit


def def_ufunc_emit(prim: Primitive, impl) -> None:
    """Give ``prim`` the ufunc emit rule if its impl is a numpy ufunc by its
    own name (``np.sin``); other impls are called as they are."""
    if isinstance(impl, np.ufunc) and getattr(np, impl.__name__, None) is impl:
        prim.def_emit(ufunc_emit(impl))


def def_elementwise_batch(prim: Primitive) -> None:
    """The batch rule of an elementwise primitive: operands aligned on one
    batch axis (``_batching.elementwise_batch``), an unbatched rank-0 operand
    left to broadcast itself."""

    @prim.def_batch
    def _elementwise_batch(axis_size, args, dims, **params):
        from ftrans.prims._batching import elementwise_batch
        return elementwise_batch(prim)(axis_size, args, dims, **params)


# --- cost rules (read by ftrans.transforms.cost) ----------------------------------------
# A cost rule maps the input avals and params to ``dict(flops=..., transcendentals=...)``.

# elementwise functions counted in ``transcendentals`` as well as in ``flops``
TRANSCENDENTAL = frozenset({
    "exp", "expm1", "log", "log1p", "sin", "cos", "tan", "asin", "acos", "atan",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "logistic", "erf", "erfc",
    "pow", "sqrt", "rsqrt", "atan2"})


def _size(aval) -> int:
    return int(np.prod(aval.shape, dtype=np.int64))


def def_elementwise_cost(prim: Primitive) -> None:
    """One flop per output entry (the largest operand: a rank-0 operand
    broadcasts); transcendental functions count each entry there too."""
    transcendental = prim.name in TRANSCENDENTAL

    @prim.def_cost
    def _elementwise_cost(*avals, **params):
        n = max((_size(a) for a in avals), default=0)
        return dict(flops=n, transcendentals=n if transcendental else 0)


def def_input_size_cost(prim: Primitive) -> None:
    """One flop per entry of the first operand (reductions, cumulative ops)."""
    @prim.def_cost
    def _input_size_cost(x, *avals, **params):
        return dict(flops=_size(x), transcendentals=0)


def structural_cost(*avals, **params) -> dict:
    """The cost rule of data movement (reshape, slice, ...): no flops; the
    bytes read and written are counted from the avals by the analysis."""
    return dict(flops=0, transcendentals=0)


def view_cost(*avals, **params) -> dict:
    """The cost rule of an op whose numpy impl returns a view of its first
    operand (reshape, transpose, broadcast_in_dim, basic slices, ...): no
    flops, and ``view=True`` tells the liveness pass that the output holds no
    buffer of its own but keeps its operand's alive."""
    return dict(flops=0, transcendentals=0, view=True)


def _elementwise_rules(prim: Primitive, impl: Callable) -> None:
    """The rules every elementwise primitive shares: batch, cost and emit."""
    def_elementwise_batch(prim)
    def_elementwise_cost(prim)
    def_ufunc_emit(prim, impl)


def unary(name: str, impl: Callable, *, derivative: Callable | int | None = None,
          kinds: str = "fc") -> Primitive:
    """An elementwise one-operand primitive whose output type is its input type.

    Operands must have a dtype kind (numpy's ``dtype.kind``) in ``kinds``:
    ``"fc"`` (float or complex, the default), ``"f"``, ``"iuf"``, ``"biufc"``
    (any), .... The JVP is ``x_dot * derivative(x, y)``, the derivative
    written with primitives from the operand ``x`` and the output ``y``;
    ``derivative=0`` makes the tangent zero (piecewise-constant functions such
    as ``floor``); without ``derivative`` the caller writes the JVP.
    """
    prim = Primitive(name)
    prim.def_impl(impl)

    @prim.def_abstract_eval
    def _unary_abstract_eval(x: ShapedArray, **params) -> ShapedArray:
        check_kinds(name, kinds, x)
        return x

    _elementwise_rules(prim, impl)
    if _is_zero(derivative):
        def_zero_jvp(prim)
    elif derivative is not None:
        @prim.def_jvp
        def _unary_jvp(primals, tangents):
            from ftrans.prims.elementwise import mul
            (x,), (x_dot,) = primals, tangents
            y = prim.bind(x)
            return y, mul(x_dot, derivative(x, y))

    return prim


def binary(name: str, impl: Callable, *, kinds: str = "biufc", out_dtype=None,
           derivative: int | None = None) -> Primitive:
    """An elementwise two-operand primitive on operands of one dtype (of a kind
    in ``kinds``, default any); the output has ``out_dtype`` (default the
    operands'). ``derivative=0`` makes the tangent zero; otherwise the caller
    writes the JVP, with ``binary_tangent``."""
    prim = Primitive(name)
    prim.def_impl(impl)

    @prim.def_abstract_eval
    def _binary_abstract_eval(x: ShapedArray, y: ShapedArray) -> ShapedArray:
        if x.dtype != y.dtype:
            raise TypeError(f"{name}: operands must have the same dtype, got "
                            f"{x.str_short()} and {y.str_short()}; promote first "
                            "(ftrans.numpy does this for you)")
        check_kinds(name, kinds, x, y)
        return ShapedArray(binary_shape(name, x, y), out_dtype or x.dtype)

    _elementwise_rules(prim, impl)
    if _is_zero(derivative):
        def_zero_jvp(prim)
    elif derivative is not None:
        raise TypeError(f"{name}: binary() takes derivative=0 or none (write the "
                        "JVP with binary_tangent)")
    return prim


def comparison(name: str, impl: Callable) -> Primitive:
    """A comparison: ``binary`` with a boolean output and a zero tangent."""
    return binary(name, impl, out_dtype=np.bool_, derivative=0)


def minmax(name: str, impl: Callable, x_wins: Callable) -> Primitive:
    """``max`` or ``min``: weight 1 on the winner's tangent (``x_wins(x, y)``,
    a comparison) and 1/2 on each at ties, as JAX."""
    prim = binary(name, impl)

    @prim.def_jvp
    def _minmax_jvp(primals, tangents):
        from ftrans.prims.elementwise import add, convert_element_type, eq, mul, sub
        x, y = primals
        out = prim.bind(x, y)
        cx = add(convert_element_type(x_wins(x, y), x.dtype),
                 mul(convert_element_type(eq(x, y), x.dtype), scalar(x, 0.5)))
        cy = sub(scalar(x, 1), cx)
        return out, binary_tangent(out, *tangents, lambda t: mul(t, cx),
                                   lambda t: mul(t, cy))

    return prim


# --- reductions ----------------------------------------------------------------------

def reduced_aval(name, x: ShapedArray, axes, dtype=None) -> ShapedArray:
    """The type of ``x`` reduced over the normalized ``axes``."""
    if any(not 0 <= a < x.ndim for a in axes) or list(axes) != sorted(set(axes)):
        raise TypeError(f"{name}: axes {axes} are invalid for {x.str_short()}; give "
                        f"distinct axes in [0, {x.ndim}), sorted")
    return ShapedArray([s for i, s in enumerate(x.shape) if i not in axes],
                       dtype or x.dtype)


def no_bool(name, x: ShapedArray) -> None:
    if x.dtype == np.bool_:
        raise TypeError(f"{name}: operand {x.str_short()} is boolean; convert it to "
                        "an integer or float dtype first")


def keep_dims(x_shape, axes):
    """Where the kept axes of a reduction go when broadcasting back."""
    return tuple(i for i in range(len(x_shape)) if i not in axes)


def reduction(name: str, impl: Callable, *, allow_bool: bool = False) -> Primitive:
    """A reduction of one operand over static ``axes`` (normalized: distinct,
    sorted); the caller writes the JVP (or ``def_linear`` for a sum)."""
    prim = Primitive(name)
    prim.def_impl(impl)
    def_input_size_cost(prim)

    @prim.def_abstract_eval
    def _reduction_abstract_eval(x: ShapedArray, axes) -> ShapedArray:
        if not allow_bool:
            no_bool(name, x)
        return reduced_aval(name, x, axes)

    @prim.def_batch
    def _reduction_batch(axis_size, args, dims, axes):
        from ftrans.prims._batching import shift_axis
        (x,), (d,) = args, dims
        out_d = d - sum(a < d for a in axes)  # the reduced axes before the batch's
        return prim.bind(x, axes=tuple(shift_axis(a, d) for a in axes)), out_d

    return prim


def reduce_extremum(name: str, impl: Callable) -> Primitive:
    """``reduce_max`` or ``reduce_min``: ties share the tangent evenly, as JAX,
    ``t = sum(x_dot * mask) / count``."""
    prim = reduction(name, impl, allow_bool=True)

    @prim.def_jvp
    def _reduce_extremum_jvp(primals, tangents, axes):
        from ftrans.prims.elementwise import convert_element_type, div, eq, max_p, mul
        from ftrans.prims.reductions import reduce_sum
        from ftrans.prims.shape import broadcast_in_dim
        (x,), (x_dot,) = primals, tangents
        out = prim.bind(x, axes=axes)
        keep = keep_dims(x.shape, axes)
        mask = convert_element_type(eq(x, broadcast_in_dim(out, x.shape, keep)),
                                    new_dtype=x.dtype)
        # at least 1, so an empty reduction has tangent 0 rather than 0 / 0
        count = max_p.bind(reduce_sum(mask, axes), np.ones((), x.dtype))
        return out, div(reduce_sum(mul(x_dot, mask), axes), count)

    return prim


def arg_reduction(name: str, impl: Callable) -> Primitive:
    """``argmax`` or ``argmin`` along ``axis``: integer indices (of
    ``index_dtype``), so the tangent is zero."""
    prim = Primitive(name)
    prim.def_impl(impl)
    def_input_size_cost(prim)

    @prim.def_abstract_eval
    def _arg_reduction_abstract_eval(x, axis, index_dtype):
        if not 0 <= axis < x.ndim:
            raise ValueError(f"{name}: axis {axis} is out of bounds for {x.str_short()}")
        if x.shape[axis] == 0:
            raise ValueError(f"{name}: axis {axis} of {x.str_short()} is empty; "
                             "there is no entry to point to")
        if np.dtype(index_dtype).kind not in "iu":
            raise TypeError(f"{name}: index_dtype must be an integer dtype, got "
                            f"{np.dtype(index_dtype)}")
        return ShapedArray(x.shape[:axis] + x.shape[axis + 1:], index_dtype)

    @prim.def_batch
    def _arg_reduction_batch(axis_size, args, dims, axis, index_dtype):
        from ftrans.prims._batching import shift_axis
        (x,), (d,) = args, dims
        out = prim.bind(x, axis=shift_axis(axis, d), index_dtype=index_dtype)
        return out, d - (axis < d)

    def_zero_jvp(prim)
    return prim


def cumulative(name: str, impl: Callable, *, combine: Primitive | None = None,
               identity: Callable | None = None, allow_bool: bool = False) -> Primitive:
    """A running reduction along ``axis`` (from the end with ``reverse``).

    With ``combine`` (the binary primitive accumulated, e.g. ``mul_p``) and
    ``identity`` (dtype -> the value before the first entry), the JVP goes
    through a Hillis-Steele prefix scan: at level l each entry combines with
    the one 2**l before it, by ``combine`` and its own JVP rule. Each level
    joins disjoint windows, so the result is exact (zeros in a product
    included) and differentiable again. Without ``combine`` the caller writes
    the JVP (``def_linear`` for ``cumsum``).
    """
    prim = Primitive(name)
    prim.def_impl(impl)
    def_input_size_cost(prim)

    @prim.def_abstract_eval
    def _cumulative_abstract_eval(x, axis, reverse):
        if not allow_bool:
            no_bool(name, x)
        if not 0 <= axis < x.ndim:
            raise ValueError(f"{name}: axis {axis} is out of bounds for {x.str_short()}")
        return x

    @prim.def_batch
    def _cumulative_batch(axis_size, args, dims, axis, reverse):
        from ftrans.prims._batching import shift_axis
        (x,), (d,) = args, dims
        return prim.bind(x, axis=shift_axis(axis, d), reverse=reverse), d

    if combine is not None:
        @prim.def_jvp
        def _cumulative_jvp(primals, tangents, axis, reverse):
            from ftrans.prims.shape import pad, rev
            (x,), (x_dot,) = primals, tangents
            out = prim.bind(x, axis=axis, reverse=reverse)
            y, t = (rev(x, (axis,)), rev(x_dot, (axis,))) if reverse else (x, x_dot)
            n, shift = y.shape[axis], 1
            while shift < n:
                cfg = [(0, 0, 0)] * y.ndim
                cfg[axis] = (shift, -shift, 0)  # shift right by `shift` along axis
                y_before = pad(y, np.asarray(identity(y.dtype), y.dtype), cfg)
                t_before = pad(t, np.zeros((), y.dtype), cfg)
                y, t = combine.rule("jvp")((y, y_before), (t, t_before))
                shift *= 2
            return out, rev(t, (axis,)) if reverse else t

    return prim


# --- scatters --------------------------------------------------------------------------

def check_indices(name, x: ShapedArray, indices: ShapedArray, axis: int) -> None:
    """``indices`` index axis ``axis`` of ``x`` (gathers and scatters)."""
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be an integer array, got "
                        f"{indices.str_short()}; convert them with .astype(int)")
    if not 0 <= axis < x.ndim:
        raise ValueError(f"{name}: axis {axis} is out of bounds for {x.str_short()}")
    if x.shape[axis] == 0 and indices.size:
        raise TypeError(f"{name}: cannot index axis {axis} of {x.str_short()}, "
                        "which has size 0")


def taken_shape(x: ShapedArray, indices: ShapedArray, axis: int) -> tuple:
    """``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``."""
    return x.shape[:axis] + indices.shape + x.shape[axis + 1:]


def scatter_op(name: str, impl: Callable) -> Primitive:
    """``x`` combined with ``updates`` at ``indices`` along ``axis``; the
    caller writes the JVP (``def_linear_in(prim, (0, 2))`` for the linear ones)."""
    prim = Primitive(name)
    prim.def_impl(impl)

    @prim.def_cost
    def _scatter_cost(x, indices, updates, axis):
        return dict(flops=_size(updates), transcendentals=0)

    @prim.def_abstract_eval
    def _scatter_abstract_eval(x, indices, updates, axis):
        check_indices(name, x, indices, axis)
        want = taken_shape(x, indices, axis)
        if updates.dtype != x.dtype or updates.shape != want:
            raise TypeError(
                f"{name}: updates must have type "
                f"{x.update(shape=want).str_short()} (x.shape[:axis] + "
                f"indices.shape + x.shape[axis+1:] for x {x.str_short()}, indices "
                f"{indices.str_short()}, axis {axis}), got {updates.str_short()}")
        return x

    @prim.def_batch
    def _scatter_batch(axis_size, args, dims, axis):
        from ftrans.prims._batching import at_dim, fold_batch, fold_indices
        from ftrans.prims.shape import reshape
        (x, indices, updates), (xd, idd, ud) = args, dims
        k = get_aval(indices).ndim - (idd is not None)
        if idd is None:
            # one batch axis p of x, and the matching axis of the updates
            # (x.shape[:axis] + indices.shape + x.shape[axis+1:])
            if xd is not None:
                p = xd
            elif ud < axis or ud >= axis + k:
                p = ud if ud < axis else ud - k + 1
            else:  # the updates are batched inside the index axes
                p = 0
            ax = axis + (p <= axis)
            x = at_dim(x, xd, axis_size, p)
            updates = at_dim(updates, ud, axis_size, p if p < ax else p - 1 + k)
            return prim.bind(x, indices, updates, axis=ax), p
        # indices differing between examples: example b writes block b of the
        # axis with the batch folded into it (each example's updates keep
        # their order, so repeated indices combine as in the loop)
        shape = list(get_aval(x).shape)
        if xd is not None:
            del shape[xd]
        out = prim.bind(fold_batch(x, xd, axis, axis_size),
                        fold_indices(indices, idd, shape[axis], axis_size),
                        at_dim(updates, ud, axis_size, axis), axis=axis)
        return reshape(out, shape[:axis] + [axis_size] + shape[axis:]), axis

    return prim


def index_ids(indices, shape, axis):
    """An int64 array of ``shape`` (an updates shape) holding, at each update,
    the flat position of its index in ``indices``."""
    from ftrans.prims.shape import broadcast_in_dim, iota, reshape
    idx_shape = get_aval(indices).shape
    k = int(np.prod(idx_shape, dtype=np.int64))
    ids = reshape(iota(np.int64, (k,), 0), idx_shape)
    return broadcast_in_dim(ids, shape, tuple(range(axis, axis + len(idx_shape))))


def scatter_extremum(name: str, impl: Callable) -> Primitive:
    """``scatter_min`` or ``scatter_max``. The tangent of each entry comes from
    whichever of x or the updates produced it; on ties x is preferred, then
    the last tied update."""
    prim = scatter_op(name, impl)

    @prim.def_jvp
    def _scatter_extremum_jvp(primals, tangents, axis):
        from ftrans.ad_util import zeros
        from ftrans.prims.elementwise import bitwise_and, bitwise_not, eq, select_n
        from ftrans.prims.shape import full, gather, scatter_add, scatter_max
        (x, indices, u), (x_dot, _, u_dot) = primals, tangents
        out = prim.bind(x, indices, u, axis=axis)
        x_aval, u_aval = get_aval(x), get_aval(u)
        x_wins = eq(x, out)
        t_x = (Zero(x_aval) if type(x_dot) is Zero
               else select_n(x_wins, zeros(x_aval), x_dot))
        if type(u_dot) is Zero:
            return out, t_x
        tied = bitwise_and(eq(u, gather(out, indices, axis)),
                           bitwise_not(gather(x_wins, indices, axis)))
        ids = index_ids(indices, u_aval.shape, axis)
        none = full(u_aval.shape, -1, np.int64)
        owner = scatter_max(full(x_aval.shape, -1, np.int64), indices,
                            select_n(tied, none, ids), axis)
        chosen = eq(gather(owner, indices, axis), ids)
        t_u = scatter_add(zeros(x_aval), indices,
                          select_n(chosen, zeros(u_aval), u_dot), axis)
        return out, add_tangents(t_x, t_u)

    return prim
