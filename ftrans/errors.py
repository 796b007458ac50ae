"""The errors ftrans raises, and helpers that phrase them in the user's terms.

Every message names what the user wrote (the function, the argument, the
shape and dtype as ``f64[3]``) and says what to do instead.
"""

from __future__ import annotations


class ConcretizationError(TypeError):
    """A Python-level value was needed from an abstract traced array, or a
    value that carries a derivative was turned into a Python or numpy number.
    (Storing such a value into a numpy array, ``y[0] = x``, raises numpy's
    ``ValueError``, whose ``__cause__`` is this error.)

    >>> import ftrans
    >>> try:
    ...     ftrans.make_jaxpr(lambda x: 1.0 if x > 0 else -1.0)(2.0)
    ... except ConcretizationError as e:
    ...     print(str(e)[:27])
    bool(x) (e.g. `if x:` or `x
    """


class TracerLeakError(RuntimeError):
    """A tracer was used after the transformation that made it ended.

    >>> import ftrans
    >>> leaked = []
    >>> _ = ftrans.make_jaxpr(lambda x: leaked.append(x) or x)(1.0)
    >>> try:
    ...     leaked[0] + 1.0
    ... except TracerLeakError:
    ...     print("leaked")
    leaked
    """


def concretization_message(op: str, aval, transform: str | None,
                           inner: str | None = None) -> str:
    where = f"under `{transform}`" if transform else "while tracing"
    if inner:
        where += f" (which traces `{inner}` on abstract values too)"
    return (
        f"{op} needs a concrete value, but got an abstract traced array of type "
        f"{aval.str_short()} {where}. Its value is not known until the traced "
        "function runs. Use ftrans.lax.cond / ftrans.numpy.where for "
        "value-dependent branches, or mark the argument static "
        "(static_argnums=...) if it is a Python constant."
    )


def derivative_cut_message(op: str, aval, transform: str) -> str:
    return (
        f"{op} would turn a traced array of type {aval.str_short()} into a Python "
        f"or numpy number, but the value depends on an input that `{transform}` is "
        "differentiating: the conversion would silently drop its derivative and "
        "give a wrong result. Compute with ftrans.numpy (import ftrans.numpy as "
        "jnp; e.g. jnp.exp instead of math.exp, jnp.asarray instead of "
        "np.asarray), or use ftrans.lax.stop_gradient(x) if the derivative is "
        "meant to be cut."
    )


def fn_name(f) -> str:
    """A readable name for a user function (``loss``, ``<lambda>``)."""
    return getattr(f, "__name__", None) or type(f).__name__


def traced_index_hint() -> str:
    """What to do when numpy indexes a plain array with an abstract traced
    index (``a[i]`` calls ``i.__index__``): the sentence ``Tracer.__index__``
    appends to its ``ConcretizationError``.

    >>> print(traced_index_hint()[:46])
    To index a numpy array `a` with a traced value
    """
    return ("To index a numpy array `a` with a traced value `i`, use "
            "`jnp.asarray(a)[i]` or `jnp.take(a, i)` (import ftrans.numpy as jnp): "
            "numpy needs a concrete integer, while arrays made by ftrans.numpy "
            "(ftrans.Array) and traced arrays accept traced indices.")
