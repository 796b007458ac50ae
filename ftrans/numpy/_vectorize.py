"""``ftrans.numpy.vectorize``: a function of core arrays mapped over broadcast
loop dimensions by nested ``vmap`` (as ``jax.numpy.vectorize``).

Without a ``signature`` every argument's core is a scalar; with a
generalized-ufunc signature such as ``"(n,m),(m)->(n)"`` the trailing axes
named there are the core, their sizes are checked to agree, and the leading
(loop) axes of all arguments broadcast together. ``excluded`` names
positional indices or keyword names passed through unmapped. The result is
one batched computation, so it differentiates and nests like ``vmap``.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Collection

import numpy as np

from ftrans.core import get_aval

__all__ = ["vectorize"]

_DIMS = r"\((?:\w+(?:,\w+)*)?\)"
_ARGS = rf"{_DIMS}(?:,{_DIMS})*"
_SIGNATURE = re.compile(rf"^({_ARGS})->({_ARGS})$")


def _parse_signature(signature: str):
    sig = signature.replace(" ", "")
    m = _SIGNATURE.match(sig)
    if m is None:
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r} "
                         "(expected e.g. '(n,m),(m)->(n)')")

    def groups(s):
        return [tuple(d for d in g.split(",") if d) for g in re.findall(r"\(([^)]*)\)", s)]

    return groups(m.group(1)), groups(m.group(2))


def vectorize(pyfunc: Callable, *, excluded: Collection[int | str] = frozenset(),
              signature: str | None = None) -> Callable:
    """``pyfunc`` (written for core arrays) mapped over the broadcast leading
    axes of its arguments, as ``jax.numpy.vectorize``.

    >>> import numpy as np, ftrans.numpy as jnp
    >>> f = jnp.vectorize(lambda a, b: a @ b, signature="(n,m),(m)->(n)")
    >>> f(np.ones((4, 2, 3)), np.ones(3)).shape
    (4, 2)
    >>> jnp.vectorize(lambda x, y: x + y)(np.arange(3.0), np.ones((2, 1))).shape
    (2, 3)
    """
    if not callable(pyfunc):
        raise TypeError(f"vectorize: pyfunc must be callable, got {type(pyfunc).__name__}")
    excluded = frozenset(excluded)
    for e in excluded:
        if not isinstance(e, (int, str)):
            raise TypeError(f"vectorize: excluded must hold ints and strs, got {e!r}")
    in_core = out_core = None
    if signature is not None:
        in_core, out_core = _parse_signature(signature)

    @functools.wraps(pyfunc)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from ftrans.numpy import _ns as jnp
        from ftrans.batching import vmap

        static_kw = {k: v for k, v in kwargs.items() if k in excluded}
        mapped_kw = [k for k in kwargs if k not in excluded]
        positions = [i for i in range(len(args)) if i not in excluded]
        operands = [jnp.asarray(args[i]) for i in positions] + \
                   [jnp.asarray(kwargs[k]) for k in mapped_kw]
        n_pos = len(positions)

        def call(*ops):
            full = list(args)
            for i, x in zip(positions, ops[:n_pos]):
                full[i] = x
            kw = dict(static_kw)
            kw.update(zip(mapped_kw, ops[n_pos:]))
            return pyfunc(*full, **kw)

        cores = in_core if in_core is not None else [()] * len(operands)
        if len(cores) != len(operands):
            raise TypeError(f"vectorize: the signature {signature!r} has {len(cores)} "
                            f"input(s), but {len(operands)} mapped argument(s) were given")
        sizes: dict = {}
        loop_shapes = []
        for k, (x, core) in enumerate(zip(operands, cores)):
            shape = get_aval(x).shape
            if len(shape) < len(core):
                raise ValueError(f"vectorize: argument {k} has shape {shape}, fewer axes "
                                 f"than its core dimensions {core} in {signature!r}")
            for name, n in zip(core, shape[len(shape) - len(core):]):
                if sizes.setdefault(name, n) != n:
                    raise ValueError(f"vectorize: core dimension '{name}' has inconsistent "
                                     f"sizes {sizes[name]} and {n} (argument {k})")
            loop_shapes.append(shape[:len(shape) - len(core)])
        try:
            loop = tuple(np.broadcast_shapes(*loop_shapes))
        except ValueError:
            raise ValueError("vectorize: the loop dimensions of the arguments do not "
                             f"broadcast: {loop_shapes}") from None
        operands = [jnp.broadcast_to(x, loop + get_aval(x).shape[len(ls):])
                    for x, ls in zip(operands, loop_shapes)]

        def checked(*ops):
            out = call(*ops)
            if out_core is not None:
                outs = out if len(out_core) > 1 else (out,)
                if len(out_core) > 1 and (not isinstance(out, tuple)
                                          or len(out) != len(out_core)):
                    raise ValueError(f"vectorize: the signature {signature!r} has "
                                     f"{len(out_core)} outputs; the function returned "
                                     f"{type(out).__name__}")
                for o, core in zip(outs, out_core):
                    shape = get_aval(jnp.asarray(o)).shape
                    if len(shape) != len(core):
                        raise ValueError(f"vectorize: an output has shape {shape}; the "
                                         f"signature {signature!r} says core dims {core}")
                    for name, n in zip(core, shape):
                        if sizes.setdefault(name, n) != n:
                            raise ValueError(f"vectorize: output core dimension '{name}' "
                                             f"is {n}, expected {sizes[name]}")
            return out

        f = checked
        for _ in loop:
            f = vmap(f)
        return f(*operands)

    return wrapped
