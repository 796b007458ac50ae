"""ftrans.nn against closed forms in numpy: values (eager and traced), stability
at large inputs, the derivatives JAX specifies at kinks, and check_grads to
order 2 in both modes."""

import math

import numpy as np
import pytest

import ftrans
import ftrans.nn as nn
import ftrans.numpy as jnp
from ftrans.test_util import check_grads


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_erf = np.vectorize(math.erf)

CASES = [
    ("relu", nn.relu, lambda x: np.maximum(x, 0.0)),
    ("relu6", nn.relu6, lambda x: np.clip(x, 0.0, 6.0)),
    ("sigmoid", nn.sigmoid, _sigmoid),
    ("log_sigmoid", nn.log_sigmoid, lambda x: np.log(_sigmoid(x))),
    ("softplus", nn.softplus, lambda x: np.log1p(np.exp(x))),
    ("soft_sign", nn.soft_sign, lambda x: x / (1 + np.abs(x))),
    ("silu", nn.silu, lambda x: x * _sigmoid(x)),
    ("swish", nn.swish, lambda x: x * _sigmoid(x)),
    ("gelu", nn.gelu, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi)
                                                        * (x + 0.044715 * x ** 3)))),
    ("gelu-exact", lambda x: nn.gelu(x, approximate=False),
     lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    ("elu", nn.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("elu-alpha", lambda x: nn.elu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    ("celu", lambda x: nn.celu(x, 2.0), lambda x: np.where(x > 0, x, 2.0 * np.expm1(x / 2))),
    ("selu", nn.selu, lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(x))),
    ("leaky_relu", nn.leaky_relu, lambda x: np.where(x >= 0, x, 0.01 * x)),
    ("hard_tanh", nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    ("tanh", nn.tanh, np.tanh),
    ("softmax", nn.softmax, _softmax),
    ("softmax-axis0", lambda x: nn.softmax(x, axis=0), lambda x: _softmax(x, 0)),
    ("softmax-axes", lambda x: nn.softmax(x, axis=(0, 1)), lambda x: _softmax(x, (0, 1))),
    ("log_softmax", nn.log_softmax, lambda x: np.log(_softmax(x))),
    ("log_softmax-axis0", lambda x: nn.log_softmax(x, axis=0),
     lambda x: np.log(_softmax(x, 0))),
    ("logsumexp", nn.logsumexp, _logsumexp),
    ("logsumexp-axis", lambda x: nn.logsumexp(x, axis=1), lambda x: _logsumexp(x, 1)),
    ("logsumexp-keepdims", lambda x: nn.logsumexp(x, axis=-1, keepdims=True),
     lambda x: _logsumexp(x, -1, True)),
    ("logsumexp-b", lambda x: nn.logsumexp(x, axis=0, b=np.arange(1.0, 5.0)),
     lambda x: np.log(np.sum(np.arange(1.0, 5.0) * np.exp(x), axis=0))),
    ("standardize", nn.standardize,
     lambda x: (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)),
]
IDS = [c[0] for c in CASES]


def _x(seed=0):
    # away from the kinks at 0, -1, 1 and 6 so finite differences are valid
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 2.5, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    return x


@pytest.mark.parametrize("name,fn,ref", CASES, ids=IDS)
def test_values_eager_and_traced(name, fn, ref):
    x = _x()
    want = ref(x)
    got = fn(x)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    closed = ftrans.make_jaxpr(fn)(x)
    (traced,) = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x)
    np.testing.assert_allclose(traced, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,fn,ref", CASES, ids=IDS)
def test_derivatives(name, fn, ref):
    check_grads(fn, (_x(1),), order=2)


def test_derivatives_at_kinks_follow_jax():
    g = ftrans.grad(lambda x: jnp.sum(nn.relu(x)))(np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    # softplus'(0) = sigmoid(0) = 1/2 exactly
    assert float(ftrans.grad(nn.softplus)(0.0)) == 0.5
    g = ftrans.grad(lambda x: jnp.sum(nn.leaky_relu(x, 0.1)))(np.array([-1.0, 0.0]))
    np.testing.assert_allclose(g, [0.1, 1.0])


def test_stable_at_large_inputs():
    big = np.array([1000.0, -1000.0, 0.0])
    np.testing.assert_allclose(nn.softplus(big), [1000.0, 0.0, np.log(2.0)])
    np.testing.assert_allclose(nn.log_sigmoid(big), [0.0, -1000.0, -np.log(2.0)])
    np.testing.assert_allclose(nn.sigmoid(big), [1.0, 0.0, 0.5])
    np.testing.assert_allclose(nn.elu(big), [1000.0, -1.0, 0.0])
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1000.0]])
    np.testing.assert_allclose(nn.logsumexp(x, axis=1),
                               [1001.0 + np.log(1 + np.exp(-1) + np.exp(-2)),
                                -1000.0 + np.log(3.0)])
    np.testing.assert_allclose(nn.softmax(x, axis=1), _softmax(x, 1))
    np.testing.assert_allclose(nn.log_softmax(x, axis=1), np.log(_softmax(x, 1)), atol=1e-12)
    for f in (nn.softplus, nn.sigmoid, nn.log_sigmoid, nn.elu, nn.silu, nn.gelu):
        g = ftrans.grad(lambda v: jnp.sum(f(v)))(big)
        assert np.all(np.isfinite(g)), f.__name__
    g = ftrans.grad(lambda v: jnp.sum(nn.logsumexp(v, axis=1)))(x)
    np.testing.assert_allclose(g, _softmax(x, 1), rtol=1e-12)
    g = ftrans.grad(lambda v: nn.log_softmax(v, axis=1)[0, 0])(x)
    assert np.all(np.isfinite(g))


def test_logsumexp_gradient_is_exactly_softmax():
    x = _x(2)
    g = ftrans.grad(lambda v: nn.logsumexp(v))(x)
    np.testing.assert_allclose(g, _softmax(x.reshape(-1)).reshape(x.shape), rtol=1e-13)
    # with ties at the maximum too: the max's derivative cancels analytically
    t = np.array([2.0, 2.0, 1.0])
    g = ftrans.grad(lambda v: nn.logsumexp(v))(t)
    np.testing.assert_allclose(g, _softmax(t), rtol=1e-13)


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")
def test_logsumexp_infinite_rows_and_empty():
    x = np.array([[-np.inf, -np.inf], [0.0, -np.inf]])
    np.testing.assert_allclose(nn.logsumexp(x, axis=1), [-np.inf, 0.0])
    np.testing.assert_allclose(nn.softmax(x[1:], axis=1), [[1.0, 0.0]])
    assert nn.logsumexp(np.zeros((0, 3)), axis=0).tolist() == [-np.inf] * 3


def test_logsumexp_return_sign():
    x = np.array([0.0, 1.0])
    b = np.array([1.0, -2.0])
    out, sign = nn.logsumexp(x, b=b, return_sign=True)
    total = np.sum(b * np.exp(x))
    np.testing.assert_allclose(out, np.log(abs(total)))
    assert sign == np.sign(total)


def test_softmax_where():
    x = _x(3)
    mask = np.array([True, False, True, True])
    got = nn.softmax(x, axis=-1, where=mask)
    want = np.where(mask, np.exp(x), 0.0)
    want = want / want.sum(-1, keepdims=True)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    check_grads(lambda v: nn.softmax(v, where=mask), (x,), order=2)


def test_softmax_rows_sum_to_one_and_are_shift_invariant():
    x = _x(4)
    s = nn.softmax(x, axis=1)
    np.testing.assert_allclose(s.sum(axis=1), 1.0)
    np.testing.assert_allclose(nn.softmax(x + 100.0, axis=1), s, rtol=1e-12)
    # the Jacobian of softmax is diag(s) - s s^T
    J = ftrans.jacfwd(lambda v: nn.softmax(v))(x[0])
    np.testing.assert_allclose(J, np.diag(s[0]) - np.outer(s[0], s[0]), atol=1e-14)


def test_one_hot():
    labels = np.array([0, 2, 1, 5, -1])
    got = nn.one_hot(labels, 3)
    want = np.zeros((5, 3))
    want[0, 0] = want[1, 2] = want[2, 1] = 1.0
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.float64
    assert nn.one_hot(labels, 3, dtype=np.int32).dtype == np.int32
    np.testing.assert_array_equal(nn.one_hot(labels, 3, axis=0), want.T)
    closed = ftrans.make_jaxpr(lambda l: nn.one_hot(l, 4))(np.array([[1, 3]]))
    assert closed.out_avals[0].shape == (1, 2, 4)
    # cross-entropy through one_hot: the gradient is softmax - labels
    logits = _x(5)[:, :3]
    y = np.array([0, 2, 1])
    loss = lambda z: -jnp.sum(nn.one_hot(y, 3) * nn.log_softmax(z))  # noqa: E731
    np.testing.assert_allclose(ftrans.grad(loss)(logits),
                               _softmax(logits) - nn.one_hot(y, 3), atol=1e-12)


def test_float32_inputs_stay_float32():
    x = _x().astype(np.float32)
    for f in (nn.relu, nn.sigmoid, nn.softplus, nn.softmax, nn.log_softmax, nn.gelu,
              nn.elu, nn.leaky_relu, nn.silu):
        assert f(x).dtype == np.float32, f.__name__
    assert nn.logsumexp(x, axis=0).dtype == np.float32
    assert nn.relu(np.array([1, -2])).dtype == np.float64  # integers become floats
