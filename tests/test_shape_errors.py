"""Shape rules of the structural and reduction primitives: bad shapes, axes
and index types raise at trace time with a message naming the primitive, the
operand types as ``f64[3,4]`` and what is expected."""

import numpy as np
import pytest

import ftrans
from ftrans import lax

X34 = np.zeros((3, 4))


def _raises(exc, fn, *fragments):
    """``fn()`` raises ``exc`` eagerly and under ``make_jaxpr``, with every
    fragment in the message."""
    for run in (fn, lambda: ftrans.make_jaxpr(lambda: fn())()):
        with pytest.raises(exc) as info:
            run()
        for frag in fragments:
            assert frag in str(info.value), (frag, str(info.value))


def _traced(fn, *args):
    """Call ``fn`` on tracers of ``args`` (shape errors raised while tracing)."""
    return lambda: ftrans.make_jaxpr(fn)(*args)


def test_concatenate_mismatched_shapes():
    _raises(TypeError, lambda: lax.concatenate([X34, np.zeros((2, 5))], 0),
            "concatenate", "f64[3,4]", "f64[2,5]", "except along dimension 0")
    _raises(TypeError, _traced(lambda a, b: lax.concatenate([a, b], 1), X34,
                               np.zeros((2, 4))),
            "concatenate", "f64[3,4]", "f64[2,4]")


def test_concatenate_dtypes_and_rank():
    _raises(TypeError, lambda: lax.concatenate([X34, X34.astype(np.int64)], 0),
            "concatenate", "one dtype", "i64[3,4]")
    _raises(TypeError, lambda: lax.concatenate([X34, np.zeros(4)], 0),
            "concatenate", "rank", "f64[4]")
    with pytest.raises(ValueError, match="concatenate: needs at least one"):
        lax.concatenate([], 0)


@pytest.mark.parametrize("fn, name", [
    (lambda x: lax.concatenate([x, x], 2), "concatenate"),
    (lambda x: lax.gather(x, np.array([0]), -3), "gather"),
    (lambda x: lax.squeeze(x, (5,)), "squeeze"),
    (lambda x: lax.rev(x, (2,)), "rev"),
    (lambda x: lax.reduce_sum(x, (2,)), "reduce_sum"),
    (lambda x: lax.reduce_max(x, (0, -3)), "reduce_max"),
    (lambda x: lax.argmax(x, 2, np.int64), "argmax"),
    (lambda x: lax.cumsum(x, -3), "cumsum"),
])
def test_axis_out_of_range(fn, name):
    _raises(ValueError, _traced(fn, X34), name, "out of bounds", "rank 2")


def test_repeated_axis():
    _raises(ValueError, _traced(lambda x: lax.reduce_sum(x, (1, -1)), X34),
            "reduce_sum", "repeated axis")


def test_bad_reshape():
    _raises(TypeError, _traced(lambda x: lax.reshape(x, (5,)), X34),
            "reshape", "f64[3,4]", "12 elements", "(5,)")
    _raises(TypeError, lambda: lax.reshape(X34, (-1, 4)), "reshape", "negative",
            "ftrans.numpy.reshape")


def test_bad_transpose_and_broadcast():
    _raises(TypeError, lambda: lax.transpose(X34, (0, 0)), "transpose", "(0, 0)",
            "f64[3,4]")
    _raises(TypeError, lambda: lax.broadcast_in_dim(X34, (3, 5), (0, 1)),
            "broadcast_in_dim", "f64[3,4]", "(3, 5)")
    _raises(TypeError, lambda: lax.broadcast_in_dim(X34, (4, 3), (1, 0)),
            "broadcast_in_dim", "strictly increasing")


def test_bad_pad():
    _raises(TypeError, lambda: lax.pad(X34, 0.0, [(1, 1, 0)]), "pad",
            "1 entries", "f64[3,4]")
    _raises(ValueError, lambda: lax.pad(X34, 0.0, [(0, 0, 0), (-3, -2, 0)]),
            "pad", "removes more than")
    _raises(TypeError, lambda: lax.pad(X34, np.zeros(2), [(0, 0, 0)] * 2),
            "pad", "rank-0", "f64[2]")
    _raises(ValueError, lambda: lax.pad(X34, 0.0, [(0, 0, -1)] * 2), "pad",
            "interior")


def test_bad_slices():
    _raises(TypeError, lambda: lax.slice(X34, (0, 2), (3, 5)), "slice",
            "out of bounds", "f64[3,4]")
    _raises(ValueError, lambda: lax.slice(X34, (0, 0), (3, 4), (1, 0)),
            "slice", "strides")
    _raises(TypeError, lambda: lax.dynamic_slice(X34, [0], (2, 2)),
            "dynamic_slice", "1 start indices", "one per axis")
    _raises(TypeError, lambda: lax.dynamic_slice(X34, [0, 1.5], (2, 2)),
            "dynamic_slice", "rank-0 integers", "f64[]")
    _raises(TypeError, lambda: lax.dynamic_slice(X34, [0, 0], (2, 5)),
            "dynamic_slice", "(2, 5)", "f64[3,4]")
    _raises(TypeError, lambda: lax.dynamic_update_slice(X34, np.ones((4, 1)), [0, 0]),
            "dynamic_update_slice", "f64[4,1]", "f64[3,4]")


def test_bad_gather_and_scatter():
    _raises(TypeError, lambda: lax.gather(X34, np.array([0.0, 1.0]), 0), "gather",
            "integer", "f64[2]")
    _raises(TypeError, lambda: lax.scatter_add(X34, np.array([0, 1]), np.ones((2, 3)), 0),
            "scatter_add", "f64[2,4]", "f64[2,3]")
    _raises(TypeError, lambda: lax.scatter(X34, np.array([0]), np.ones((1, 4), np.float32), 0),
            "scatter", "f32[1,4]")
    _raises(TypeError, lambda: lax.gather(np.zeros((0, 2)), np.array([0]), 0),
            "gather", "size 0")


def test_bad_reductions():
    _raises(TypeError, lambda: lax.reduce_sum(np.ones(3, bool), (0,)), "reduce_sum",
            "bool[3]")
    _raises(ValueError, lambda: lax.argmin(np.zeros((0, 2)), 0, np.int64), "argmin",
            "empty")
    _raises(TypeError, lambda: lax.argmax(X34, 0, np.float64), "argmax",
            "index_dtype")


def test_tracing_works_after_a_shape_error():
    with pytest.raises(TypeError):
        ftrans.make_jaxpr(lambda x: lax.reshape(x, (7,)))(X34)
    closed = ftrans.make_jaxpr(lambda x: lax.reshape(x, (12,)))(X34)
    assert closed.out_avals[0].shape == (12,)


def test_empty_extremum_is_the_identity():
    assert lax.reduce_max(np.zeros((0, 2)), (0,)).tolist() == [-np.inf, -np.inf]
    assert lax.reduce_min(np.zeros((2, 0), np.int32), (1,)).tolist() == [2**31 - 1] * 2
