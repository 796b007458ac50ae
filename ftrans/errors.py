"""The errors ftrans raises, and helpers that phrase them in the user's terms.

Every message names what the user wrote (the function, the argument, the
shape and dtype as ``f64[3]``) and says what to do instead.
"""

from __future__ import annotations


class ConcretizationError(TypeError):
    """A Python-level value was needed from an abstract traced array.

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


def fn_name(f) -> str:
    """A readable name for a user function (``loss``, ``<lambda>``)."""
    return getattr(f, "__name__", None) or type(f).__name__
