"""The derivation cache (ftrans/derivatives.py): derived jaxprs are reused for
a traced jaxpr of the same structure, and never for a different one; values
of inputs and of closed-over constants always come from the current call."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import derivatives as d
from ftrans import lax
from ftrans.test_util import numerical_jvp


@pytest.fixture(autouse=True)
def _empty_cache():
    d.cache_clear()
    yield
    d.cache_clear()


def _derivations_for(f, *args):
    traced = ftrans.make_jaxpr(f)(*args)
    return d.derivatives(traced, [True] * len(args), 1)


def test_same_structure_new_values_reuses_the_derivation():
    f = lambda x: jnp.sum(jnp.sin(x) * x)  # noqa: E731
    assert _derivations_for(f, np.ones(3)) is _derivations_for(f, np.zeros(3))
    g = ftrans.grad(f)
    for x in (np.array([0.1, 0.2, 0.3]), np.array([-1.0, 2.0, 0.5])):
        np.testing.assert_allclose(g(x), np.cos(x) * x + np.sin(x), rtol=1e-14)


def test_closed_over_constants_are_not_baked_into_the_cache():
    x = np.array([0.3, -0.7])
    for W in (np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]]), -np.ones((2, 2))):
        g = ftrans.grad(lambda x: jnp.sum(jnp.tanh(W @ x)))(x)
        np.testing.assert_allclose(g, W.T @ (1 - np.tanh(W @ x) ** 2), rtol=1e-13)
    assert len(d._cache) == 1  # one structure, three sets of values


def test_a_different_literal_or_shape_is_a_different_structure():
    f2, f3 = (lambda x: x * 2.0), (lambda x: x * 3.0)
    assert _derivations_for(f2, 1.0) is not _derivations_for(f3, 1.0)
    assert ftrans.grad(f2)(1.0) == 2.0 and ftrans.grad(f3)(1.0) == 3.0
    f = lambda x: jnp.sum(x * x)  # noqa: E731
    assert _derivations_for(f, np.ones(2)) is not _derivations_for(f, np.ones(3))


def test_python_control_flow_takes_its_own_derivation():
    f = lambda x: jnp.sin(x) if x > 0 else x ** 3  # noqa: E731
    g = ftrans.grad(f)
    for x in (0.5, -0.5, 0.7, -0.2):
        expected = np.cos(x) if x > 0 else 3 * x ** 2
        np.testing.assert_allclose(g(x), expected, rtol=1e-14)
    assert len(d._cache) == 2


def test_scan_bodies_are_part_of_the_structure():
    def loss(w, xs):
        return jnp.sum(lax.scan(lambda h, x: (jnp.tanh(w * h + x), h), 0.0, xs)[1])
    xs = np.array([0.5, -0.3, 0.8])
    first = ftrans.grad(loss)(0.7, xs)
    second = ftrans.grad(loss)(0.7, 2 * xs)  # same structure, new values
    np.testing.assert_allclose(first, numerical_jvp(
        lambda w: loss(w, xs), (0.7,), (1.0,)), rtol=1e-6)
    np.testing.assert_allclose(second, numerical_jvp(
        lambda w: loss(w, 2 * xs), (0.7,), (1.0,)), rtol=1e-6)
    assert len(d._cache) == 1


def test_custom_rules_are_cached_and_still_used():
    @ftrans.custom_jvp
    def f(x):
        return jnp.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), 2.0 * t[0]))
    assert ftrans.grad(f)(0.3) == 2.0 and ftrans.grad(f)(0.9) == 2.0
    assert len(d._cache) == 1


def test_the_cache_is_bounded():
    for n in range(d._CACHE_SIZE + 10):
        ftrans.grad(lambda x: jnp.sum(x * x))(np.ones(n + 1))
    assert len(d._cache) == d._CACHE_SIZE


def test_eager_grad_runs_generated_code_from_the_second_call():
    f = lambda x: jnp.sum(jnp.tanh(jnp.sin(x) * 1.5) ** 2)  # noqa: E731
    x = np.linspace(-1.0, 1.0, 5)
    first = ftrans.grad(f)(x)  # interpreted: compiling would cost more than one run
    assert all(entry[2] is None for entry in d._compiled.values())
    second = ftrans.grad(f)(x)
    compiled = [entry[2] for entry in d._compiled.values() if entry[2] is not None]
    assert compiled and all("np." in c.source for c in compiled)
    np.testing.assert_array_equal(first, second)
    t = np.tanh(np.sin(x + 0.5) * 1.5)  # new values through the compiled code
    np.testing.assert_allclose(ftrans.grad(f)(x + 0.5),
                               2 * t * (1 - t * t) * 1.5 * np.cos(x + 0.5), rtol=1e-13)
