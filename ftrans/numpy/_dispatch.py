"""Plain numpy code on traced arrays: ``np.sin(x)`` inside ``grad`` (DESIGN.md §11).

numpy hands a call to the arguments' ``__array_ufunc__`` (NEP 13: ufuncs and
their ``reduce``/``accumulate``/``outer``/``at`` methods, and the operators of
``ndarray``) or ``__array_function__`` (NEP 18: the other public functions)
whenever one of them overrides it. ``_methods`` attaches the two functions
below to ``Tracer``, so a function written with ``import numpy as np`` is
traced exactly as its ``ftrans.numpy`` twin: the call is looked up in
``TABLE``, numpy's arguments are mapped onto the ``ftrans.numpy`` function,
and that function binds the primitives. Only a traced argument brings a call
here, so outside transformations numpy runs untouched.

``TABLE`` is the whole coverage, one row per numpy call. A call that is not in
it raises ``TypeError`` naming the call and the ``ftrans.numpy`` alternative,
never a silently wrong number. Keyword arguments that only concern numpy's
memory model (``out=None``, ``order=``, ``subok=``, ``like=``,
``casting=``, ``where=True`` of a ufunc, or any argument left at numpy's
default) are dropped; ``out=`` with an array is an error, since a numpy array
cannot hold a traced value. What no protocol dispatches (``np.asarray(x)``,
``np.array([x, y])``, ``np.random``, ``np.vectorize``) reaches
``Tracer.__array__`` instead, in ``ftrans/tracing.py``.
"""

from __future__ import annotations

import dis
import functools
import inspect
import sys
from typing import Any, Callable

import numpy as np

import ftrans.numpy as jnp
from ftrans.core import get_aval
from ftrans.errors import ConcretizationError
from ftrans.tracing import Tracer

__all__ = ["TABLE", "array_function", "array_ufunc"]

# numpy functions and ufuncs that ftrans.numpy implements under the same name
# (``linalg.`` and ``fft.`` names live in ``numpy.linalg`` / ``numpy.fft`` and
# ``ftrans.numpy.linalg`` / ``ftrans.numpy.fft``).
_SAME_NAME = """
    abs absolute acos acosh add arccos arccosh arcsin arcsinh arctan arctan2
    arctanh asin asinh atan atan2 atanh bitwise_and bitwise_invert bitwise_not
    bitwise_or bitwise_xor cbrt ceil conj conjugate copysign cos cosh deg2rad
    degrees divide divmod equal exp exp2 expm1 fabs float_power floor
    floor_divide fmax fmin fmod greater greater_equal heaviside hypot invert
    isfinite isinf isnan less less_equal log log10 log1p log2 logaddexp
    logaddexp2 logical_and logical_not logical_or logical_xor matmul maximum
    minimum mod multiply negative not_equal positive pow power rad2deg radians
    reciprocal remainder rint sign signbit sin sinh sqrt square subtract tan
    tanh true_divide trunc vecdot

    all allclose amax amin any append arange argmax argmin argsort argwhere
    around array array_equal array_split asarray ascontiguousarray astype
    atleast_1d atleast_2d atleast_3d average broadcast_arrays broadcast_to clip
    column_stack compress concat concatenate copy count_nonzero cross cumprod
    cumsum cumulative_sum diag diagflat diagonal diff dot dsplit dstack einsum
    empty empty_like expand_dims eye fix flatnonzero flip fliplr flipud full
    full_like geomspace hsplit hstack identity imag inner isclose isneginf
    angle iscomplex iscomplexobj isreal isrealobj
    isposinf ix_ kron linspace logspace matrix_transpose max mean median
    meshgrid min moveaxis nan_to_num nanmax nanmean nanmin nanprod nanstd
    nansum nanvar ndim nonzero ones ones_like outer pad percentile permute_dims
    polyval prod ptp put quantile ravel ravel_multi_index real repeat reshape
    result_type roll rot90 round searchsorted select shape sinc size sort split
    squeeze stack std sum swapaxes take take_along_axis tensordot tile trace
    transpose tri tril triu unravel_index unstack var vdot vsplit vstack where
    zeros zeros_like

    bitwise_count bitwise_left_shift bitwise_right_shift frexp gcd lcm ldexp
    left_shift matvec modf nextafter right_shift spacing vecmat

    apply_along_axis apply_over_axes argpartition array_equiv bincount block
    choose convolve corrcoef correlate cov cumulative_prod delete
    diag_indices_from digitize ediff1d einsum_path extract fromfunction gradient
    histogram histogram2d histogram_bin_edges histogramdd i0 insert interp
    intersect1d isin lexsort nanargmax nanargmin nancumprod nancumsum nanmedian
    nanpercentile nanquantile packbits partition piecewise poly polyadd polyder
    polyfit polyint polymul polysub resize rollaxis roots setdiff1d
    setxor1d sort_complex trapezoid tril_indices_from trim_zeros
    triu_indices_from union1d unique unique_all unique_counts unique_inverse
    unique_values unpackbits unwrap vander

    linalg.cholesky linalg.cond linalg.det linalg.eig linalg.eigh
    linalg.eigvals linalg.eigvalsh linalg.inv linalg.lstsq linalg.matrix_norm
    linalg.matrix_power linalg.matrix_rank linalg.matrix_transpose
    linalg.multi_dot linalg.norm linalg.pinv linalg.qr linalg.slogdet
    linalg.solve linalg.svd linalg.svdvals linalg.tensorinv linalg.tensorsolve
    linalg.vector_norm

    fft.fft fft.fft2 fft.fftn fft.fftshift fft.hfft fft.ifft fft.ifft2
    fft.ifftn fft.ifftshift fft.ihfft fft.irfft fft.irfft2 fft.irfftn fft.rfft
    fft.rfft2 fft.rfftn
"""

# ufunc methods that ftrans.numpy expresses by another name. Every binary
# ufunc of the table also has ``.outer`` (see ``_outer``).
_RENAMED = {
    "add.reduce": "sum", "multiply.reduce": "prod", "maximum.reduce": "max",
    "minimum.reduce": "min", "fmax.reduce": "nanmax", "fmin.reduce": "nanmin",
    "logical_and.reduce": "all", "logical_or.reduce": "any",
    "add.accumulate": "cumsum", "multiply.accumulate": "cumprod",
}

#: numpy call (``"sin"``, ``"linalg.solve"``, ``"add.reduce"``) -> the
#: ``ftrans.numpy`` function it dispatches to, by name.
TABLE: dict[str, str] = {**{n: n for n in _SAME_NAME.split()}, **_RENAMED}

# Calls with a better hint than "ftrans.numpy has no ...": they write into a
# numpy array, or have a functional spelling elsewhere in ftrans.
_HINTS = {
    "copyto": "it writes into a numpy array, which cannot hold a traced value; "
              "use the value itself, or jnp.where(mask, src, dst)",
    "place": "it writes into its argument in place; use jnp.where(mask, vals, a)",
    "putmask": "it writes into its argument in place; use jnp.where(mask, values, a)",
    "fill_diagonal": "it writes into its argument in place; use "
                     "a.at[jnp.diag_indices(n)].set(v)",
    "put_along_axis": "it writes into its argument in place; use "
                      "jnp.put_along_axis(arr, indices, values, axis, inplace=False)",
    "save": "a traced array has no values to write yet; save the transformed "
            "function's result",
    "savez": "a traced array has no values to write yet; save the transformed "
             "function's result",
    "array_str": "a traced array has no values to format yet; use ftrans.debug.print "
                 "or format the transformed function's result",
    "array_repr": "a traced array has no values to format yet; use ftrans.debug.print "
                  "or format the transformed function's result",
}

# Rows whose ``ftrans.numpy`` function needs a keyword to compute numpy's
# result (it follows JAX by default).
_NUMPY_KEYWORDS: dict[str, dict[str, Any]] = {
    "linalg.lstsq": {"numpy_resid": True},  # numpy: no residuals unless rank == n < m
}

_NO_VALUE = inspect.Parameter.empty  # "no default" in a signature
_UNSET = object()  # numpy's <no value>


def _reduce_signature(array, axis=0, dtype=None, out=None, keepdims=False,
                      initial=_UNSET, where=True):
    """numpy's ``ufunc.reduce`` (a C method, without a signature of its own)."""


def _accumulate_signature(array, axis=0, dtype=None, out=None):
    """numpy's ``ufunc.accumulate``."""


def _resolve(name: str) -> tuple[Any, str]:
    """``"linalg.solve"`` -> (np.linalg.solve, "__call__"); ``"add.reduce"`` ->
    (np.add, "reduce")."""
    obj = np
    for part in name.split("."):
        if isinstance(obj, np.ufunc):
            return obj, part
        obj = getattr(obj, part)
    return obj, "__call__"


def _jnp_attr(name: str):
    obj = jnp
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _twin(np_name: str) -> Callable:
    """The ``ftrans.numpy`` function a TABLE row calls (with the keywords of
    ``_NUMPY_KEYWORDS`` set, keeping its name and signature)."""
    fn = _jnp_attr(TABLE[np_name])
    fixed = _NUMPY_KEYWORDS.get(np_name)
    if not fixed:
        return fn
    spelled = ", ".join(f"{k}={v!r}" for k, v in fixed.items())

    @functools.wraps(fn)
    def numpy_rule(*args, **kwargs):
        try:
            return fn(*args, **fixed, **kwargs)
        except ConcretizationError as e:
            raise ConcretizationError(
                f"np.{np_name} computes numpy's result, as ftrans.numpy.{TABLE[np_name]}"
                f"(..., {spelled}), which needs concrete values; call "
                f"ftrans.numpy.{TABLE[np_name]} without {spelled} (JAX's rule) under jit. "
                f"{e}") from e
    return numpy_rule


# (numpy function or ufunc, method) -> ftrans.numpy function
_LOOKUP: dict[tuple[Any, str], Callable] = {_resolve(name): _twin(name) for name in TABLE}


def array_ufunc(self: Tracer, ufunc: np.ufunc, method: str, *inputs, **kwargs):
    """``Tracer.__array_ufunc__``: a numpy ufunc (or operator) on a traced array.

    >>> import numpy as np, ftrans
    >>> float(ftrans.grad(lambda x: np.sin(x) * np.float64(2.0))(0.0))
    2.0
    >>> print(ftrans.make_jaxpr(lambda x: np.add.reduce(x))(np.ones(3)))
    { lambda ; a:f64[3]. let
        b:f64[] = reduce_sum[axes=(0,)] a
      in (b,) }
    """
    if _foreign(inputs + tuple(kwargs.get("out") or ())):
        return NotImplemented
    if method == "__call__" and not kwargs:  # the common case, kept cheap
        fn = _LOOKUP.get((ufunc, "__call__"))
        if fn is not None:
            return fn(*inputs)
    label = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    out = kwargs.pop("out", None)
    if out is not None and any(o is not None for o in out) and not (
            method == "__call__" and len(out) == 1 and out[0] is inputs[0]
            and type(out[0]) is np.ndarray and _inplace_operator()):
        # (`a += x` on a numpy array `a` is fine: Python rebinds `a` to what
        # we return, the functional result, exactly what the user wrote.)
        raise _out_error(label, inputs)
    if method in ("reduce", "accumulate"):
        fn = _LOOKUP.get((ufunc, method))
        if fn is None:
            raise _unsupported_error(label, inputs, _method_hint(ufunc, method))
        signature = _reduce_signature if method == "reduce" else _accumulate_signature
        signature = inspect.signature(signature)
        if "axis" not in signature.bind(*inputs, **kwargs).arguments:
            kwargs["axis"] = 0  # numpy's default for the methods, not None
        args, kw = _bind(label, signature, fn, inputs, kwargs)
        return fn(*args, **kw)
    fn = _LOOKUP.get((ufunc, "__call__"))
    if fn is None or method not in ("__call__", "outer"):
        raise _unsupported_error(label, inputs, _method_hint(ufunc, method))
    kw = _keywords(label, fn, kwargs, inputs)
    if method == "outer":
        return _outer(label, fn, inputs, kw)
    return fn(*inputs, **kw)


def _outer(label, fn, inputs, kw):
    """``ufunc.outer(a, b)[i..., j...] = ufunc(a[i...], b[j...])``: broadcast
    ``a`` against ``b`` with ``b.ndim`` new trailing axes."""
    if len(inputs) != 2:
        raise TypeError(f"{label}: outer needs two arguments, got {len(inputs)}")
    a, b = inputs
    a = jnp.reshape(jnp.asarray(a), jnp.shape(a) + (1,) * jnp.ndim(b))
    return fn(a, b, **kw)


def array_function(self: Tracer, func: Callable, types, args: tuple, kwargs: dict):
    """``Tracer.__array_function__``: a numpy function called on a traced array.

    >>> import numpy as np, ftrans
    >>> ftrans.grad(lambda x: np.sum(np.square(x), axis=None, out=None))(np.ones(2))
    array([2., 2.])
    """
    if any(not issubclass(t, (Tracer, np.ndarray)) for t in types):
        return NotImplemented
    fn = _LOOKUP.get((func, "__call__"))
    if fn is not None and not kwargs and len(args) <= _plain_positional(func, fn):
        return fn(*args)  # the common case, kept cheap
    label = _np_label(func)
    if fn is None:
        raise _unsupported_error(label, args, _HINTS.get(func.__name__))
    try:
        signature = _numpy_signature(func)
    except (TypeError, ValueError):
        signature = None
    if signature is None:  # keywords only: positions cannot be checked
        if not _changes_nothing("out", kwargs.get("out"), None):
            raise _out_error(label, args)
        return fn(*args, **_keywords(label, fn, kwargs, args))
    args, kw = _bind(label, signature, fn, args, kwargs)
    return fn(*args, **kw)


def _keywords(label, fn, kwargs, values) -> dict:
    """The keyword arguments ``fn`` takes; numpy-only ones that change nothing
    are dropped, any other is an error."""
    kw = {}
    for name, value in kwargs.items():
        if name in _accepted(fn):
            kw[name] = value
        elif not _changes_nothing(name, value, _NO_VALUE):
            raise _kwarg_error(label, name, value, _jnp_name(fn), values)
    return kw


def _bind(label, signature, fn, args, kwargs):
    """numpy's arguments as a call of ``fn``. Arguments given by position stay
    positional up to the first one dropped or named differently by ``fn``
    (``np.histogram(a, bins, range, density)`` against ``jnp.histogram(a,
    bins, range, weights, density)``); the others go by name. A numpy-only
    argument that changes nothing is dropped; any other that ``fn`` does not
    take is an error."""
    bound = signature.bind(*args, **kwargs)
    accepted = _accepted(fn)
    pos, kw = [], {}
    for index, p in enumerate(signature.parameters.values()):
        if p.name not in bound.arguments:
            continue
        value = bound.arguments[p.name]
        if p.kind is p.VAR_POSITIONAL:
            pos.extend(value)
            continue
        items = value.items() if p.kind is p.VAR_KEYWORD else [(p.name, value)]
        for name, v in items:
            if name == "out" and not _changes_nothing("out", v, None):
                raise _out_error(label, args)
            if name not in accepted and _changes_nothing(name, v, p.default):
                continue
            if index < len(args) and index == len(pos) and p.kind in (
                    p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and _same_place(
                    fn, index, name):
                pos.append(v)  # by position
            elif name in accepted:
                kw[name] = v
            else:
                raise _kwarg_error(label, name, v, _jnp_name(fn), args)
    return pos, kw


# numpy-only keyword arguments, and the values at which they change nothing
# for an immutable array computed by ftrans.
_NUMPY_ONLY: dict[str, Callable[[Any], bool]] = {
    "out": lambda v: v is None or (isinstance(v, tuple) and all(o is None for o in v)),
    "order": lambda v: v in (None, "K", "A", "C"),
    "subok": lambda v: True,
    "like": lambda v: True,
    "casting": lambda v: True,
    "copy": lambda v: True,
    "overwrite_input": lambda v: True,
    "device": lambda v: v in (None, "cpu"),
    "where": lambda v: v is True,
    "dtype": lambda v: v is None,
    "signature": lambda v: v is None,
    # what `a @= x` passes to np.matmul: the default axes
    "axes": lambda v: isinstance(v, list) and [tuple(a) for a in v] == [(-2, -1)] * 3,
}


def _changes_nothing(name: str, value, default) -> bool:
    check = _NUMPY_ONLY.get(name)
    if check is not None and check(value):
        return True
    if default is _NO_VALUE or isinstance(value, (np.ndarray, Tracer)):
        return False
    try:
        return value is default or bool(type(value) is type(default) and value == default)
    except (TypeError, ValueError):
        return False


@functools.lru_cache(maxsize=None)
def _accepted(fn) -> frozenset | _Everything:
    """The keyword names ``fn`` takes (everything if it has ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return _Everything()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return _Everything()
    return frozenset(p.name for p in params if p.kind is not p.VAR_POSITIONAL)


class _Everything:
    def __contains__(self, name) -> bool:
        return True


@functools.lru_cache(maxsize=None)
def _positional_names(fn) -> tuple[str, ...] | None:
    """``fn``'s positional parameters up to its ``*args`` (None: unknown)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    names = []
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            names.append("*")
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    return tuple(names)


def _same_place(fn, index: int, name: str) -> bool:
    """Whether numpy's positional parameter ``name`` at ``index`` is ``fn``'s
    parameter at that place: the same name, ``fn``'s ``*args``, or the first
    (``np.real(val)`` is ``jnp.real(x)``)."""
    names = _positional_names(fn)
    if names is None or index == 0:
        return True
    if "*" in names[:index + 1]:
        return True
    return index < len(names) and names[index] == name


@functools.lru_cache(maxsize=None)
def _numpy_signature(func) -> inspect.Signature:
    return inspect.signature(func)


@functools.lru_cache(maxsize=None)
def _plain_positional(func, fn) -> int:
    """How many leading positional arguments of ``func`` pass to ``fn``
    unchanged (up to the first numpy-only one ``fn`` does not take)."""
    try:
        params = list(_numpy_signature(func).parameters.values())
    except (TypeError, ValueError):
        return 0
    count = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return sys.maxsize
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) or p.name == "out" or (
                p.name in _NUMPY_ONLY and p.name not in _accepted(fn)) or not _same_place(
                fn, count, p.name):
            break
        count += 1
    return count


@functools.lru_cache(maxsize=256)
def _is_inplace_instruction(code, offset: int) -> bool:
    for ins in dis.get_instructions(code):
        if ins.offset == offset:
            # Python >= 3.11: BINARY_OP with argrepr "+="; 3.10: INPLACE_ADD
            return ins.opname.startswith("INPLACE_") or (
                ins.opname == "BINARY_OP" and ins.argrepr.endswith("=")
                and ins.argrepr not in ("==", "!=", "<=", ">="))
    return False


def _inplace_operator() -> bool:
    """Whether this ufunc call is numpy's ``ndarray.__iadd__`` & co running an
    in-place operator (``a += x``) of the caller, rather than an explicit
    ``np.add(a, x, out=a)``: both arrive with the same arguments, but only
    the operator assigns our result back to the name the user wrote. The
    caller's current instruction tells them apart."""
    frame = sys._getframe(2)  # the user's frame (array_ufunc <- numpy's C code)
    return _is_inplace_instruction(frame.f_code, frame.f_lasti)


def _foreign(values) -> bool:
    """An argument of a third type that overrides ``__array_ufunc__``: it
    gets its turn (NEP 13), so we answer ``NotImplemented``."""
    for v in values:
        override = getattr(type(v), "__array_ufunc__", None)
        if override is not None and type(v) is not Tracer and (
                override is not np.ndarray.__array_ufunc__):
            return True
    return False


def _np_label(func) -> str:
    module = [m for m in (getattr(func, "__module__", None) or "numpy").split(".")[1:]
              if not m.startswith("_")]
    return "np." + ".".join(module + [func.__name__])


def _jnp_name(fn) -> str:
    return "ftrans.numpy." + getattr(fn, "__name__", "?")


def _first_tracer(values):
    for v in values:
        if type(v) is Tracer:
            return v
        if isinstance(v, (list, tuple)):
            t = _first_tracer(v)
            if t is not None:
                return t
    return None


def _about(values) -> str:
    """`` (a traced array of type f64[3] under `grad`)``, for messages."""
    t = _first_tracer(values)
    if t is None:
        return " (on a traced array)"
    where = f" under `{t._trace.transform}`" if t._trace.transform else ""
    return f" (a traced array of type {t.aval.str_short()}{where})"


# ufunc.at -> the x.at[...] update doing the same without mutation
_AT_UPDATES = {"add": "add", "subtract": "subtract", "multiply": "multiply",
               "divide": "divide", "maximum": "max", "minimum": "min"}


def _method_hint(ufunc, method) -> str:
    if method == "at":
        update = _AT_UPDATES.get(ufunc.__name__)
        spelled = (f"a = jnp.asarray(a).at[indices].{update}(b)" if update
                   else "a = jnp.asarray(a).at[indices].set(...)")
        return ("it modifies its first argument in place, and traced arrays are "
                f"immutable; use the functional form `{spelled}`")
    if method in ("reduce", "accumulate", "reduceat"):
        have = sorted("np." + k for k in TABLE if k.endswith("." + method))
        return f"ftrans.numpy covers {', '.join(have) or 'none of these'}"
    return f"ftrans.numpy has no {ufunc.__name__}"


def _unsupported_error(label: str, values, hint: str | None = None) -> TypeError:
    name = label[len("np."):]
    twin = _jnp_attr(name)
    if hint is None:
        hint = (f"use ftrans.numpy.{name}" if twin is not None else
                f"ftrans.numpy has no {name}; write it with ftrans.numpy "
                "functions (import ftrans.numpy as jnp)")
    return TypeError(
        f"{label} is not supported on traced arrays{_about(values)}: {hint}. "
        "The numpy calls that work on traced arrays are listed in "
        "ftrans.numpy._dispatch.TABLE.")


def _out_error(label: str, values) -> TypeError:
    return TypeError(
        f"{label}(..., out=...) cannot write into an array{_about(values)}: traced "
        "arrays are immutable and a numpy array cannot hold a traced value. Use the "
        f"result instead: `y = {label}(...)` without out=.")


def _kwarg_error(label: str, name: str, value, jnp_name: str, values) -> TypeError:
    if isinstance(value, (np.ndarray, Tracer)):
        shown = f"<array of type {get_aval(value).str_short()}>"
    else:
        shown = repr(value)
    fix = ("use jnp.where(mask, result, other) on the full result" if name == "where"
           else "call it without, or compute the same with ftrans.numpy")
    return TypeError(
        f"{label}(..., {name}={shown}) is not supported on traced "
        f"arrays{_about(values)}: {jnp_name} has no `{name}` argument, and this "
        f"value changes the result; {fix}.")
