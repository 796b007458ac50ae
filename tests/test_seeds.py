"""The seed derivations: gradients of small models against their closed
forms, written out in numpy (softmax cross-entropy, a skip connection, a
computational graph with a shared input, parameter sharing, backprop's delta
recursion), Jacobians of tall and wide functions, and Hessians."""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.test_util import check_grads


def _nn():
    import ftrans.nn
    return ftrans.nn


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- softmax cross-entropy --------------------------------------------------------------

def ce_log_softmax(W, b, x, y):
    return -_nn().log_softmax(W @ x + b)[y]


def ce_softmax(W, b, x, y):
    return -jnp.log(_nn().softmax(W @ x + b)[y])


def ce_logsumexp(W, b, x, y):
    z = W @ x + b
    return _nn().logsumexp(z) - z[y]


@pytest.mark.parametrize("loss", [ce_log_softmax, ce_softmax, ce_logsumexp])
@pytest.mark.parametrize("seed, y", [(0, 0), (1, 3), (2, 4)])
def test_softmax_cross_entropy(loss, seed, y):
    rng = np.random.default_rng(seed)
    W, b, x = rng.standard_normal((5, 3)), rng.standard_normal(5), rng.standard_normal(3)
    p = _softmax(W @ x + b)
    e_y = np.eye(5)[y]
    np.testing.assert_allclose(loss(W, b, x, y), -np.log(p[y]), rtol=1e-12)
    dW, db, dx = ftrans.grad(loss, argnums=(0, 1, 2))(W, b, x, y)
    np.testing.assert_allclose(dW, np.outer(p - e_y, x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db, p - e_y, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, W.T @ (p - e_y), rtol=1e-10, atol=1e-12)
    # the same gradient by forward mode
    np.testing.assert_allclose(ftrans.jacfwd(loss, argnums=1)(W, b, x, y), p - e_y,
                               rtol=1e-10, atol=1e-12)


def test_softmax_cross_entropy_check_grads(rng):
    W, b, x = rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal(3)
    check_grads(lambda W, b, x: ce_log_softmax(W, b, x, 2), (W, b, x), order=2)


# --- skip connection --------------------------------------------------------------------

def skip(W1, W2, x):
    return W2 @ _nn().relu(W1 @ x) + x


def test_skip_connection(rng):
    n, h = 4, 6
    W1, W2 = rng.standard_normal((h, n)), rng.standard_normal((n, h))
    x, dy = rng.standard_normal(n), rng.standard_normal(n)
    pre = W1 @ x
    R = np.diag((pre > 0).astype(float))

    def L(W1, W2, x):
        return jnp.sum(dy * skip(W1, W2, x))

    gW1, gW2, gx = ftrans.grad(L, argnums=(0, 1, 2))(W1, W2, x)
    np.testing.assert_allclose(gx, W1.T @ R @ W2.T @ dy + dy, rtol=1e-10)
    np.testing.assert_allclose(gW2, np.outer(dy, np.maximum(pre, 0)), rtol=1e-10)
    np.testing.assert_allclose(gW1, np.outer(R @ W2.T @ dy, x), rtol=1e-10, atol=1e-14)
    # the vjp with cotangent dy is the same thing
    (vx,) = ftrans.vjp(lambda x: skip(W1, W2, x), x)[1](dy)
    np.testing.assert_allclose(vx, gx, rtol=1e-10)
    # and the Jacobian is W2 R W1 + I in both modes
    J = W2 @ R @ W1 + np.eye(n)
    np.testing.assert_allclose(ftrans.jacfwd(lambda x: skip(W1, W2, x))(x), J, rtol=1e-10)
    np.testing.assert_allclose(ftrans.jacrev(lambda x: skip(W1, W2, x))(x), J, rtol=1e-10)
    # relu is piecewise linear: order 1 away from its kink
    check_grads(skip, (W1, W2, x), order=1)


# --- a graph with a shared input; parameter sharing -------------------------------------

def test_shared_input_graph():
    e = lambda a, b: (a + b) * (b + 1.0)  # noqa: E731
    da, db = ftrans.grad(e, argnums=(0, 1))(3.0, 2.0)
    assert float(da) == 3.0 and float(db) == 8.0
    (_, t) = ftrans.jvp(e, (3.0, 2.0), (1.0, 0.0))
    assert float(t) == 3.0
    (_, t) = ftrans.jvp(e, (3.0, 2.0), (0.0, 1.0))
    assert float(t) == 8.0
    check_grads(e, (3.0, 2.0), order=2)


@pytest.mark.parametrize("x", [-1.3, -0.2, 0.0, 0.5, 1.1])
def test_parameter_sharing(x):
    y = lambda x: x * jnp.exp(x ** 2)  # noqa: E731
    expected = np.exp(x ** 2) * (1 + 2 * x ** 2)
    np.testing.assert_allclose(ftrans.grad(y)(x), expected, rtol=1e-12)
    np.testing.assert_allclose(ftrans.jvp(y, (x,), (1.0,))[1], expected, rtol=1e-12)
    # second derivative: d/dx exp(x^2)(1 + 2x^2) = exp(x^2)(6x + 4x^3)
    np.testing.assert_allclose(ftrans.grad(ftrans.grad(y))(x),
                               np.exp(x ** 2) * (6 * x + 4 * x ** 3), rtol=1e-10, atol=1e-12)


def test_parameter_sharing_vectorized(rng):
    x = rng.uniform(-1, 1, 5)
    J = ftrans.jacrev(lambda x: x * jnp.exp(x ** 2))(x)
    np.testing.assert_allclose(J, np.diag(np.exp(x ** 2) * (1 + 2 * x ** 2)), rtol=1e-12)
    check_grads(lambda x: x * jnp.exp(x ** 2), (x,), order=2)


# --- a 3-layer MLP: the backprop recursion ----------------------------------------------

def mlp_loss(params, x, t):
    h1 = jnp.tanh(params["W1"] @ x + params["b1"])
    h2 = _nn().sigmoid(params["W2"] @ h1 + params["b2"])
    out = params["W3"] @ h2 + params["b3"]
    return 0.5 * jnp.sum((out - t) ** 2)


def _mlp_params(rng, sizes=(3, 5, 4, 2)):
    p = {}
    for i, (m, n) in enumerate(zip(sizes[1:], sizes[:-1]), start=1):
        p[f"W{i}"] = rng.standard_normal((m, n)) / np.sqrt(n)
        p[f"b{i}"] = 0.1 * rng.standard_normal(m)
    return p


def _backprop(p, x, t):
    """The textbook delta recursion, in numpy."""
    h1 = np.tanh(p["W1"] @ x + p["b1"])
    h2 = _sigmoid(p["W2"] @ h1 + p["b2"])
    out = p["W3"] @ h2 + p["b3"]
    d3 = out - t
    d2 = (p["W3"].T @ d3) * h2 * (1 - h2)
    d1 = (p["W2"].T @ d2) * (1 - h1 ** 2)
    return {"W3": np.outer(d3, h2), "b3": d3, "W2": np.outer(d2, h1), "b2": d2,
            "W1": np.outer(d1, x), "b1": d1}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_backprop_recursion(seed):
    rng = np.random.default_rng(seed)
    p, x, t = _mlp_params(rng), rng.standard_normal(3), rng.standard_normal(2)
    g = ftrans.grad(mlp_loss)(p, x, t)
    expected = _backprop(p, x, t)
    assert set(g) == set(expected)
    for k in expected:
        assert g[k].shape == p[k].shape
        np.testing.assert_allclose(g[k], expected[k], rtol=1e-10, atol=1e-13, err_msg=k)


def test_mlp_check_grads(rng):
    p, x, t = _mlp_params(rng), rng.standard_normal(3), rng.standard_normal(2)
    check_grads(lambda p, x: mlp_loss(p, x, t), (p, x), order=2)


# --- Jacobians: tall and wide -----------------------------------------------------------

def test_tall_jacobian(rng):
    A = rng.standard_normal((50, 3))
    f = lambda x: A @ jnp.tanh(x)  # noqa: E731
    x = rng.standard_normal(3)
    J = A * (1 - np.tanh(x) ** 2)
    Jf, Jr = ftrans.jacfwd(f)(x), ftrans.jacrev(f)(x)
    assert Jf.shape == Jr.shape == (50, 3)
    np.testing.assert_allclose(Jf, J, rtol=1e-12)
    np.testing.assert_allclose(Jr, J, rtol=1e-12)
    np.testing.assert_allclose(Jf, Jr, rtol=1e-12)


def test_wide_jacobian(rng):
    B = rng.standard_normal((2, 40))
    f = lambda x: jnp.stack([B[0] @ jnp.sin(x), jnp.sum(x ** 2) * B[1, 0]])  # noqa: E731
    x = rng.standard_normal(40)
    J = np.stack([B[0] * np.cos(x), 2 * x * B[1, 0]])
    Jf, Jr = ftrans.jacfwd(f)(x), ftrans.jacrev(f)(x)
    assert Jf.shape == Jr.shape == (2, 40)
    np.testing.assert_allclose(Jf, J, rtol=1e-12)
    np.testing.assert_allclose(Jr, J, rtol=1e-12)
    np.testing.assert_allclose(Jf, Jr, rtol=1e-12)


# --- Hessians ---------------------------------------------------------------------------

def quad(A):
    return lambda x: x @ A @ x


def _all_hessians(f, x):
    return {"hessian": ftrans.hessian(f)(x),
            "jacfwd(jacrev)": ftrans.jacfwd(ftrans.jacrev(f))(x),
            "jacrev(jacfwd)": ftrans.jacrev(ftrans.jacfwd(f))(x),
            "jacrev(jacrev)": ftrans.jacrev(ftrans.jacrev(f))(x),
            "jacfwd(jacfwd)": ftrans.jacfwd(ftrans.jacfwd(f))(x)}


def test_hessian_of_quadratic_form(rng):
    A = rng.standard_normal((4, 4))  # not symmetric
    x = rng.standard_normal(4)
    for name, H in _all_hessians(quad(A), x).items():
        np.testing.assert_allclose(H, A + A.T, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(ftrans.grad(quad(A))(x), (A + A.T) @ x, rtol=1e-12)
    check_grads(quad(A), (x,), order=2, modes=("fwd",))
    check_grads(quad(A), (x,), order=2, modes=("rev",))


def test_hessian_of_logsumexp(rng):
    x = rng.standard_normal(5)
    p = _softmax(x)
    expected = np.diag(p) - np.outer(p, p)
    lse = lambda x: _nn().logsumexp(x)  # noqa: E731
    np.testing.assert_allclose(ftrans.grad(lse)(x), p, rtol=1e-12)
    for name, H in _all_hessians(lse, x).items():
        np.testing.assert_allclose(H, expected, rtol=1e-10, atol=1e-14, err_msg=name)
    check_grads(lse, (x,), order=2, modes=("fwd",))
    check_grads(lse, (x,), order=2, modes=("rev",))


@pytest.mark.parametrize("name", ["skip", "mlp", "sharing", "ce"])
def test_hessian_modes_agree_on_composites(name, rng):
    W1, W2 = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    fs = {
        "skip": lambda x: jnp.sum(jnp.tanh(skip(W1, W2, x)) ** 2),
        "mlp": lambda x: mlp_loss(_mlp_params(np.random.default_rng(5)), x, np.ones(2)),
        "sharing": lambda x: jnp.sum(x * jnp.exp(x ** 2)),
        "ce": lambda x: ce_log_softmax(W1, np.zeros(3), x, 1),
    }
    f, x = fs[name], rng.uniform(-0.8, 0.8, 3)
    hs = _all_hessians(f, x)
    for k, H in hs.items():
        assert H.shape == (3, 3)
        np.testing.assert_allclose(H, hs["hessian"], rtol=1e-9, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(hs["hessian"], hs["hessian"].T, rtol=1e-9, atol=1e-12)
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))
