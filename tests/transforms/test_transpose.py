"""``transpose_jaxpr``: the adjoint of a linear jaxpr. Truth is the
definition: <ct, L x> == <L^T ct, x>, and the matrix of L^T is the
transpose of the matrix of L (both built from basis vectors)."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.check import check_jaxpr
from ftrans.eval import eval_closed
from ftrans.transforms.transpose import transpose_jaxpr


def _prims(closed):
    return [e.primitive.name for e in closed.eqns]


A = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]])
C = np.array([0.5, -1.5, 2.0])

# name -> (linear function, input shapes); every input is linear
LINEAR = {
    "scale": (lambda x: 3.0 * x, [(3,)]),
    "neg": (lambda x: -x, [(2, 2)]),
    "sub_two_inputs": (lambda x, y: x - 2.0 * y, [(3,), (3,)]),
    "const_mul": (lambda x: x * C, [(3,)]),
    "const_div": (lambda x: x / C, [(3,)]),
    "fan_out": (lambda x: 2.0 * x + 3.0 * x + x * 4.0, [(3,)]),
    "fan_out_chain": (lambda x: (x + x) * C - x, [(3,)]),
    "reduce_sum": (lambda x: lax.reduce_sum(x, axes=(1,)), [(2, 3)]),
    "broadcast": (lambda x: lax.broadcast_in_dim(x, (4, 3), (1,)), [(3,)]),
    "broadcast_rank0": (lambda x: x * np.ones(3), [()]),
    "reshape": (lambda x: lax.reshape(x, (3, 2)), [(2, 3)]),
    "transpose": (lambda x: lax.transpose(x, (1, 0)), [(2, 3)]),
    "matvec": (lambda x: lax.dot(A, x), [(3,)]),
    "vecmat": (lambda y: lax.dot(y, A), [(2,)]),
    "two_outputs": (lambda x, y: (2.0 * x, x + y), [(3,), (3,)]),
    "unused_input": (lambda x, y: 2.0 * x, [(3,), (2,)]),
    "convert": (lambda x: lax.convert_element_type(x, np.float32) * np.float32(2.0),
                [(3,)]),
}


def _basis(shape):
    n = int(np.prod(shape))
    for k in range(n):
        e = np.zeros(n)
        e[k] = 1.0
        yield e.reshape(shape)


def _matrix(apply, in_shapes, out_shapes):
    """The matrix of a linear map on flat concatenated inputs -> outputs."""
    cols = []
    for i, s in enumerate(in_shapes):
        for e in _basis(s):
            args = [np.zeros(t) for t in in_shapes]
            args[i] = e
            cols.append(np.concatenate([np.ravel(o) for o in apply(*args)]))
    return np.stack(cols, axis=1)


def _transposed(f, shapes):
    closed = ftrans.make_jaxpr(f)(*[np.ones(s) for s in shapes])
    t = transpose_jaxpr(closed, [True] * len(shapes))
    check_jaxpr(t)
    return closed, t


@pytest.mark.parametrize("name", LINEAR)
def test_adjointness(name, rng):
    f, shapes = LINEAR[name]
    closed, t = _transposed(f, shapes)
    assert len(t.jaxpr.invars) == len(closed.out_avals)
    assert t.out_avals == [a for a in closed.in_avals]  # one cotangent per input
    x = [rng.standard_normal(s) for s in shapes]
    lx = eval_closed(closed, *x)
    ct = [rng.standard_normal(np.shape(o)).astype(np.asarray(o).dtype) for o in lx]
    lt_ct = eval_closed(t, *ct)
    lhs = sum(np.vdot(c, y) for c, y in zip(ct, lx))
    rhs = sum(np.vdot(c, xi) for c, xi in zip(lt_ct, x))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-6 if name == "convert" else 1e-12)


@pytest.mark.parametrize("name", ["scale", "sub_two_inputs", "fan_out", "reduce_sum",
                                  "broadcast", "transpose", "matvec", "two_outputs"])
def test_matrix_of_the_transpose_is_the_transposed_matrix(name):
    f, shapes = LINEAR[name]
    closed, t = _transposed(f, shapes)
    out_shapes = [a.shape for a in closed.out_avals]
    M = _matrix(lambda *x: eval_closed(closed, *x), shapes, out_shapes)
    Mt = _matrix(lambda *c: eval_closed(t, *c), out_shapes, shapes)
    np.testing.assert_allclose(Mt, M.T)


def test_fan_out_cotangents_are_summed():
    f, shapes = LINEAR["fan_out"]
    closed, t = _transposed(f, shapes)
    ct = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(eval_closed(t, ct)[0], 9.0 * ct)  # (2 + 3 + 4) ct
    # three contributions meet in two adds
    assert _prims(t).count("add") == 2 and _prims(t).count("mul") == 3


def test_unused_linear_input_gets_a_zero_cotangent():
    f, shapes = LINEAR["unused_input"]
    closed, t = _transposed(f, shapes)
    ct_x, ct_y = eval_closed(t, np.ones(3))
    np.testing.assert_allclose(ct_x, 2.0 * np.ones(3))
    np.testing.assert_array_equal(ct_y, np.zeros(2))
    assert ct_y.shape == (2,) and ct_y.dtype == np.float64


def test_nonlinear_inputs_are_coefficients():
    # linear in x only; c enters through sin(c), computed forwards
    def f(c, x):
        return jnp.sin(c) * x + x * c

    closed = ftrans.make_jaxpr(f)(np.ones(3), np.ones(3))
    t = transpose_jaxpr(closed, [False, True])
    check_jaxpr(t)
    assert len(t.jaxpr.invars) == 2 and len(t.out_avals) == 1  # (c, ct) -> ct_x
    c, ct = np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(eval_closed(t, c, ct)[0], (np.sin(c) + c) * ct)


def test_symbolic_zero_output_cotangent():
    # the second output does not depend on the linear input
    def f(c, x):
        return 2.0 * x, jnp.sin(c)

    closed = ftrans.make_jaxpr(f)(1.0, 1.0)
    t = transpose_jaxpr(closed, [False, True])
    np.testing.assert_allclose(eval_closed(t, 0.5, 3.0, 7.0)[0], 6.0)


def test_transpose_of_transpose_is_the_original():
    f, shapes = LINEAR["matvec"]
    closed, t = _transposed(f, shapes)
    tt = transpose_jaxpr(t, [True])
    check_jaxpr(tt)
    x = np.array([1.0, 2.0, -3.0])
    np.testing.assert_allclose(eval_closed(tt, x)[0], A @ x)


def test_transpose_is_itself_traceable():
    # the transposed jaxpr evaluated under grad: d/dc <L^T c, x> = L x
    f, shapes = LINEAR["matvec"]
    _, t = _transposed(f, shapes)
    x = np.array([1.0, 0.5, -1.0])
    g = ftrans.grad(lambda c: lax.reduce_sum(eval_closed(t, c)[0] * x, axes=(0,)))(np.ones(2))
    np.testing.assert_allclose(g, A @ x)
