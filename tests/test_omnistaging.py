"""Operations inside a trace are staged into it, even when none of their
arguments is traced (omnistaging): arrays built inside a transformation are
equations, not large constants, and are traced arrays (``.at``, traced
indices). Outside every trace nothing changes."""

import numpy as np
import pytest

import ftrans
import ftrans.lax as lax
import ftrans.numpy as jnp

BUILDERS = {
    "zeros": lambda x: jnp.zeros(50) + x,
    "ones": lambda x: jnp.ones((5, 10)) * x,
    "full": lambda x: jnp.full((50,), 3.0) * x,
    "zeros_like": lambda x: jnp.zeros_like(np.ones(50)) + x,
    "ones_like": lambda x: jnp.ones_like(np.ones(50)) + x,
    "arange_int": lambda x: jnp.arange(50) * x,
    "arange_float": lambda x: jnp.arange(0.5, 25.0, 0.5) * x,
    "eye": lambda x: jnp.eye(7) * x,
    "eye_rect": lambda x: jnp.eye(5, 10, 2) * x,
    "identity": lambda x: jnp.identity(7) * x,
    "tri": lambda x: jnp.tri(7, 8, -1) * x,
    "iota": lambda x: lax.iota(np.float64, (50,), 0) * x,
    "at_set": lambda x: jnp.zeros(50).at[3].set(x),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_arrays_built_inside_a_trace_are_equations_not_constants(name):
    f = BUILDERS[name]
    closed = ftrans.make_jaxpr(f)(2.0)
    assert all(np.size(c) <= 1 for c in closed.consts), [np.shape(c) for c in closed.consts]
    # the staged program computes what numpy computes
    np.testing.assert_array_equal(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, 2.0)[0],
                                  f(2.0))


@pytest.mark.parametrize("args", [(5,), (2, 9, 3), (0.5, 3.0, 0.25), (1.0, 2.0, 0.1),
                                  (-3, 3), (10, 0, -2), (0.1, 1.7, 0.3), (3,), (0,)])
def test_staged_arange_is_numpys_exactly(args):
    closed = ftrans.make_jaxpr(lambda: jnp.arange(*args))()
    got = ftrans.eval_jaxpr(closed.jaxpr, closed.consts)[0]
    want = np.arange(*args)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_at_on_a_fresh_array_works_under_every_transformation():
    def f(v):
        return jnp.sum(jnp.zeros(3).at[0].set(v) * jnp.arange(1.0, 4.0)) + jnp.eye(2)[0, 0] * v

    assert float(f(2.0)) == 4.0
    assert float(ftrans.grad(f)(2.0)) == 2.0
    assert float(ftrans.jvp(f, (2.0,), (1.0,))[1]) == 2.0
    assert float(ftrans.hessian(f)(2.0)) == 0.0
    closed = ftrans.make_jaxpr(f)(2.0)
    assert float(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, 5.0)[0]) == 10.0


def test_a_fresh_array_indexed_with_a_loop_counter():
    def body(i, acc):
        table = jnp.arange(5.0) ** 2
        return acc + table[i]

    assert float(lax.fori_loop(0, 5, body, 0.0)) == 30.0
    assert float(ftrans.grad(lambda s: lax.fori_loop(0, 5, body, s))(1.0)) == 1.0


def test_constant_computations_inside_an_abstract_trace_keep_their_values():
    # Python control flow on values computed from constants only still works
    def f(x):
        n = jnp.sum(jnp.ones(4))
        return x * 2.0 if n > 3 else x

    closed = ftrans.make_jaxpr(f)(1.0)
    assert float(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, 3.0)[0]) == 6.0


def test_outside_every_trace_results_are_numpy_arrays():
    for make, ref in [(lambda: jnp.zeros(3), np.zeros(3)), (lambda: jnp.arange(4), np.arange(4)),
                      (lambda: jnp.eye(3, 4, 1), np.eye(3, 4, 1)),
                      (lambda: lax.iota(np.int64, (3,), 0), np.arange(3))]:
        out = make()
        assert isinstance(out, np.ndarray)
        np.testing.assert_array_equal(out, ref)
        assert out.dtype == ref.dtype
    z = jnp.zeros(3)
    z[0] = 1.0  # an eager result is an ordinary, writeable numpy array
    assert z[0] == 1.0


def test_no_trace_is_left_current_after_an_error():
    with pytest.raises(ZeroDivisionError):
        ftrans.grad(lambda x: x / 0 if jnp.zeros(2)[0] == 0 and 1 / 0 else x)(1.0)
    from ftrans.tracing import current_trace
    assert current_trace() is None
    assert type(jnp.zeros(2)) is ftrans.Array
