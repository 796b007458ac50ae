"""The Threefry-2x32 block cipher: the one primitive under ``ftrans.random``.

Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror and Shaw, "Parallel random
numbers: as easy as 1, 2, 3", SC 2011) maps a key of two 32-bit words and a
counter of two 32-bit words to two pseudo-random 32-bit words. It is a pure
function of its inputs, which is what makes the keys of ``ftrans.random``
functional: splitting a key, folding data into it and drawing bits are all
this cipher applied to counters (``0, 1, 2, ...``), as in JAX.

The primitive is elementwise over its four uint32 operands (a rank-0 operand
broadcasts, so one key encrypts a whole array of counters). Its outputs are
integers, so its tangent is zero; under ``vmap`` a batch of keys meets the
counters on one batch axis, exactly as a Python loop over the keys would.
"""

from __future__ import annotations

import numpy as np

from ftrans.core import Primitive, ShapedArray
from ftrans.prims._families import def_elementwise_batch, def_zero_jvp, exports
from ftrans.typing import Array, ArrayLike

# Rotation constants of Threefry-2x32 (Random123's R_32x2): the rounds use the
# first four and the next four in turn, with a key injection after each four.
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
# The parity constant of the Threefish key schedule (32-bit form).
_KS_PARITY = 0x1BD11BDA


def _rotl(x, r: int):
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _threefry2x32_impl(k0, k1, x0, x1):
    out_shape = np.broadcast_shapes(*[np.shape(a) for a in (k0, k1, x0, x1)])
    k0, k1, x0, x1 = np.broadcast_arrays(
        *[np.atleast_1d(np.asarray(a, np.uint32)) for a in (k0, k1, x0, x1)])
    ks = (k0, k1, k0 ^ k1 ^ np.uint32(_KS_PARITY))
    # arrays (never numpy scalars): uint32 sums wrap modulo 2**32 silently
    y0, y1 = x0 + ks[0], x1 + ks[1]
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            y0 = y0 + y1
            y1 = _rotl(y1, r) ^ y0
        y0 = y0 + ks[(i + 1) % 3]
        y1 = y1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return [y0.reshape(out_shape), y1.reshape(out_shape)]


threefry2x32_p = Primitive("threefry2x32", multiple_results=True)
threefry2x32_p.def_impl(_threefry2x32_impl)


def threefry2x32(k0: ArrayLike, k1: ArrayLike, x0: ArrayLike, x1: ArrayLike
                 ) -> tuple[Array, Array]:
    """Threefry-2x32 (20 rounds) of the counter words ``(x0, x1)`` under the
    key words ``(k0, k1)``, elementwise: two uint32 arrays. All operands are
    uint32; a rank-0 operand broadcasts to the others' shape.

    The known-answer vector of the Random123 distribution (key and counter 0):

    >>> import numpy as np
    >>> z = np.uint32(0)
    >>> [hex(int(w)) for w in threefry2x32(z, z, z, z)]
    ['0x6b200159', '0x99ba4efe']
    """
    y0, y1 = threefry2x32_p.bind(k0, k1, x0, x1)
    return y0, y1


@threefry2x32_p.def_abstract_eval
def _threefry2x32_abstract_eval(k0, k1, x0, x1):
    args = (k0, k1, x0, x1)
    names = ("k0", "k1", "x0", "x1")
    for name, a in zip(names, args):
        if a.dtype != np.uint32:
            raise TypeError(f"threefry2x32: operand {name} must be uint32, got "
                            f"{a.str_short()}; keys and counters are 32-bit words")
    shapes = {a.shape for a in args if a.shape != ()}
    if len(shapes) > 1:
        raise TypeError("threefry2x32: operands must have equal shapes (or be rank 0), "
                        f"got {', '.join(a.str_short() for a in args)}")
    shape = shapes.pop() if shapes else ()
    out = ShapedArray(shape, np.dtype(np.uint32))
    return [out, out]


def_zero_jvp(threefry2x32_p)  # integer outputs: no derivative (as JAX)


# a batch of keys (or of counters) is one elementwise call on a batch axis
def_elementwise_batch(threefry2x32_p)


@threefry2x32_p.def_emit
def _threefry2x32_emit(ctx, out_names, in_exprs):
    # the cipher inlined as numpy statements over (at least 1-d) uint32 arrays
    k0, k1, y0, y1, ks2, t = (ctx.fresh(h) for h in ("k", "k", "y", "y", "k", "t"))
    shape = ctx.out_avals[0].shape
    u = "np.uint32"
    lines = [
        f"{k0}, {k1}, {y0}, {y1} = np.broadcast_arrays(*[np.atleast_1d(np.asarray(a, "
        f"{u})) for a in ({', '.join(in_exprs)})])",
        f"{ks2} = {k0} ^ {k1} ^ {u}({_KS_PARITY})",
        f"{y0} = {y0} + {k0}",
        f"{y1} = {y1} + {k1}",
    ]
    ks = (k0, k1, ks2)
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            lines += [f"{y0} = {y0} + {y1}",
                      f"{t} = ({y1} << {u}({r})) | ({y1} >> {u}({32 - r}))",
                      f"{y1} = {t} ^ {y0}"]
        lines += [f"{y0} = {y0} + {ks[(i + 1) % 3]}",
                  f"{y1} = {y1} + {ks[(i + 2) % 3]} + {u}({i + 1})"]
    lines.append(f"{out_names[0]}, {out_names[1]} = {y0}.reshape({shape!r}), "
                 f"{y1}.reshape({shape!r})")
    lines.append(f"del {k0}, {k1}, {y0}, {y1}, {ks2}, {t}")
    return "\n".join(lines)


@threefry2x32_p.def_cost
def _threefry2x32_cost(k0, k1, x0, x1):
    # per output pair: 20 rounds of add, rotate (2 shifts, an or) and xor, and
    # 5 key injections of 3 adds, besides the 2 initial adds and 2 xors
    n = int(np.prod(np.broadcast_shapes(k0.shape, k1.shape, x0.shape, x1.shape),
                    dtype=np.int64))
    return dict(flops=n * (20 * 5 + 5 * 3 + 4), transcendentals=0)


__all__ = exports(globals())  # the public functions above: ftrans.lax exports them
