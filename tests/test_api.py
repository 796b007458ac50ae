"""The public transformations with JAX's signatures and semantics: argnums,
has_aux, pytrees in and out, Jacobian layouts, and composition. Truth comes
from closed forms and float64 central differences."""

import collections

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans.core import all_eqns
from ftrans.test_util import check_grads, numerical_jvp
from ftrans.tree_util import tree_flatten, tree_map, tree_structure


def _close(a, b, **kw):
    kw.setdefault("rtol", 1e-6)
    kw.setdefault("atol", 1e-8)
    la, ta = tree_flatten(a)
    lb, tb = tree_flatten(b)
    assert ta == tb, (ta, tb)
    for x, y in zip(la, lb):
        assert np.shape(x) == np.shape(y), (np.shape(x), np.shape(y))
        np.testing.assert_allclose(x, y, **kw)


def _all_numpy(tree):
    return all(isinstance(x, np.ndarray) for x in tree_flatten(tree)[0])


def _count_prims(jaxpr, name) -> int:
    """Equations of primitive ``name``, counted inside sub-jaxprs too."""
    return sum(eqn.primitive.name == name for eqn in all_eqns(jaxpr))


def f_vec(x):  # R^3 -> R^2
    return jnp.stack([jnp.sin(x[0]) * x[1], x[2] ** 2 + x[0]])


def jac_f_vec(x):
    return np.array([[np.cos(x[0]) * x[1], np.sin(x[0]), 0.0],
                     [1.0, 0.0, 2 * x[2]]])


X3 = np.array([0.3, -1.2, 0.7])


# --- jvp / vjp / linearize / linear_transpose ---------------------------------------------

def test_jvp_closed_form_and_numpy_outputs():
    v = np.array([1.0, 2.0, -1.0])
    y, t = ftrans.jvp(f_vec, (X3,), (v,))
    assert _all_numpy((y, t))
    _close(y, np.array([np.sin(0.3) * -1.2, 0.49 + 0.3]))
    _close(t, jac_f_vec(X3) @ v)


def test_jvp_pytrees_and_has_aux(rng):
    def f(p, x):
        out = {"y": jnp.tanh(p["w"] * x + p["b"]), "z": (jnp.sum(x ** 2),)}
        return out, {"note": x * 0.0 + 1.0}

    p = {"w": rng.standard_normal(3), "b": rng.standard_normal(3)}
    x = rng.standard_normal(3)
    tp = tree_map(lambda a: rng.standard_normal(a.shape), p)
    tx = rng.standard_normal(3)
    y, t, aux = ftrans.jvp(f, (p, x), (tp, tx), has_aux=True)
    assert tree_structure(t) == tree_structure(y) == tree_structure(f(p, x)[0])
    _close(aux, {"note": np.ones(3)})
    _close(t, numerical_jvp(lambda p, x: f(p, x)[0], (p, x), (tp, tx)))


def test_vjp_closed_form_and_pytrees():
    y, f_vjp = ftrans.vjp(f_vec, X3)
    u = np.array([2.0, -1.0])
    (g,) = f_vjp(u)
    assert _all_numpy((y, g))
    _close(g, jac_f_vec(X3).T @ u)

    def f(a, bc):
        b, c = bc
        return {"s": a * b, "t": jnp.exp(c)}

    a, b, c = 2.0, np.array([1.0, 3.0]), np.array([0.5])
    out, f_vjp = ftrans.vjp(f, a, (b, c))
    ga, (gb, gc) = f_vjp({"s": np.array([1.0, 1.0]), "t": np.array([2.0])})
    _close(ga, np.array(4.0))
    _close(gb, np.array([2.0, 2.0]))
    _close(gc, 2.0 * np.exp(c))


def test_vjp_has_aux_and_repeated_calls():
    y, f_vjp, aux = ftrans.vjp(lambda x: (jnp.sin(x), x * 2.0), 0.5, has_aux=True)
    _close(aux, np.array(1.0))
    for ct in (1.0, 2.0, -3.0):  # the vjp function can be called many times
        _close(f_vjp(ct)[0], np.array(ct * np.cos(0.5)))


def test_linearize_matches_jvp(rng):
    f = lambda x, y: jnp.sin(x) * jnp.exp(y) + x * y  # noqa: E731
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    out, f_jvp = ftrans.linearize(f, x, y)
    _close(out, f(x, y))
    for _ in range(2):
        tx, ty = rng.standard_normal(4), rng.standard_normal(4)
        _close(f_jvp(tx, ty), ftrans.jvp(f, (x, y), (tx, ty))[1])
        _close(f_jvp(tx, ty), numerical_jvp(f, (x, y), (tx, ty)))
    # linear: f_jvp(2 t) == 2 f_jvp(t)
    _close(f_jvp(2 * tx, 2 * ty), 2 * f_jvp(tx, ty))


def test_linearize_pytree():
    out, f_jvp = ftrans.linearize(lambda p: p["a"] * jnp.sin(p["b"]), {"a": 2.0, "b": 0.5})
    _close(f_jvp({"a": 1.0, "b": 0.0}), np.array(np.sin(0.5)))
    _close(f_jvp({"a": 0.0, "b": 1.0}), np.array(2.0 * np.cos(0.5)))


def test_linear_transpose(rng):
    A = rng.standard_normal((2, 3))
    f_t = ftrans.linear_transpose(lambda x: A @ x, np.zeros(3))
    u = rng.standard_normal(2)
    (g,) = f_t(u)
    _close(g, A.T @ u)
    # pytrees: f(x, (y, z)) = {"p": x + 2y, "q": 3z}
    f = lambda x, yz: {"p": x + 2.0 * yz[0], "q": 3.0 * yz[1]}  # noqa: E731
    f_t = ftrans.linear_transpose(f, np.zeros(2), (np.zeros(2), 1.0))
    gx, (gy, gz) = f_t({"p": np.array([1.0, -1.0]), "q": 2.0})
    _close((gx, gy, gz), (np.array([1.0, -1.0]), np.array([2.0, -2.0]), np.array(6.0)))


# --- grad and value_and_grad ----------------------------------------------------------------

def loss3(a, b, c):
    return jnp.sum(a * b) + jnp.sin(c) * jnp.sum(b ** 2)


@pytest.mark.parametrize("argnums", [0, 1, 2, -1, (0,), (0, 2), (2, 0), (0, 1, 2)])
def test_grad_argnums(argnums):
    a, b, c = np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.3
    full = {0: b, 1: a + 2 * np.sin(c) * b, 2: np.array(np.cos(c) * np.sum(b ** 2))}
    g = ftrans.grad(loss3, argnums=argnums)(a, b, c)
    if isinstance(argnums, int):
        _close(g, full[argnums % 3])
    else:
        assert isinstance(g, tuple) and len(g) == len(argnums)
        _close(g, tuple(full[i] for i in argnums))


def test_grad_has_aux_and_value_and_grad():
    def f(x):
        return jnp.sum(x ** 2), {"mean": jnp.mean(x)}

    x = np.array([1.0, 2.0, 3.0])
    g, aux = ftrans.grad(f, has_aux=True)(x)
    _close(g, 2 * x)
    _close(aux, {"mean": np.array(2.0)})
    (v, aux), g = ftrans.value_and_grad(f, has_aux=True)(x)
    _close(v, np.array(14.0))
    _close(aux["mean"], np.array(2.0))
    v, g = ftrans.value_and_grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    _close((v, g), (np.array(10.0), (np.array(5.0), np.array(2.0))))
    assert _all_numpy((v, g))


def test_grad_pytree_params(rng):
    Layer = collections.namedtuple("Layer", "W b")
    params = {"layers": [Layer(rng.standard_normal((3, 2)), rng.standard_normal(3)),
                         Layer(rng.standard_normal((1, 3)), rng.standard_normal(1))],
              "scale": 1.5}

    def loss(p, x):
        h = x
        for layer in p["layers"]:
            h = jnp.tanh(layer.W @ h + layer.b)
        return p["scale"] * jnp.sum(h ** 2)

    x = rng.standard_normal(2)
    g = ftrans.grad(loss)(params, x)
    assert tree_structure(g) == tree_structure(params)
    assert isinstance(g["layers"][0], Layer)
    for leaf_g, leaf_p in zip(tree_flatten(g)[0], tree_flatten(params)[0]):
        assert np.shape(leaf_g) == np.shape(leaf_p)
    assert _all_numpy(g)
    # directional derivative against central differences
    v = tree_map(lambda a: rng.standard_normal(np.shape(a)), params)
    num = numerical_jvp(lambda p: loss(p, x), (params,), (v,))
    dot = sum(np.vdot(a, b) for a, b in zip(tree_flatten(g)[0], tree_flatten(v)[0]))
    np.testing.assert_allclose(dot, num, rtol=1e-6)


def test_grad_keeps_float32():
    g = ftrans.grad(lambda x: jnp.sum(jnp.sin(x)))(np.ones(3, np.float32))
    assert g.dtype == np.float32


def test_grad_with_integer_argument_not_differentiated():
    g = ftrans.grad(lambda x, n: x ** 2 * n)(3.0, 4)
    _close(g, np.array(24.0))


# --- Jacobians and Hessians -----------------------------------------------------------------

@pytest.mark.parametrize("jac", [ftrans.jacfwd, ftrans.jacrev, ftrans.jacobian])
def test_jacobian_of_vector_function(jac):
    J = jac(f_vec)(X3)
    assert isinstance(J, np.ndarray) and J.shape == (2, 3)
    _close(J, jac_f_vec(X3))


@pytest.mark.parametrize("jac", [ftrans.jacfwd, ftrans.jacrev])
@pytest.mark.parametrize("in_shape, out_shape", [((), ()), ((3,), ()), ((), (2,)),
                                                 ((2, 3), (4,)), ((2,), (3, 2))])
def test_jacobian_leaf_shapes(jac, in_shape, out_shape, rng):
    M = rng.standard_normal(out_shape + in_shape)
    x = rng.standard_normal(in_shape)
    n_in = len(in_shape)
    axes = (list(range(len(out_shape), len(out_shape) + n_in)), list(range(n_in)))

    def f(x):  # linear-then-sin map with a known Jacobian
        return jnp.sin(jnp.tensordot(M, x, axes=axes)) if n_in else jnp.sin(M * x)

    J = jac(f)(x)
    assert J.shape == out_shape + in_shape
    lin = np.tensordot(M, x, axes=axes) if n_in else M * x
    expected = np.cos(lin).reshape(out_shape + (1,) * n_in) * M
    _close(J, expected)


@pytest.mark.parametrize("jac", [ftrans.jacfwd, ftrans.jacrev])
def test_jacobian_pytree_structure(jac):
    # JAX: an output tree whose leaves are input trees of arrays out.shape + in.shape
    def f(p):
        return (p["a"] * jnp.sum(p["b"]), jnp.sum(p["a"] ** 2))

    p = {"a": np.array([1.0, 2.0]), "b": np.array([0.5, -1.0, 2.0])}
    J = jac(f)(p)
    assert isinstance(J, tuple) and len(J) == 2
    assert set(J[0]) == {"a", "b"} and set(J[1]) == {"a", "b"}
    assert J[0]["a"].shape == (2, 2) and J[0]["b"].shape == (2, 3)
    assert J[1]["a"].shape == (2,) and J[1]["b"].shape == (3,)
    _close(J[0]["a"], np.eye(2) * 1.5)
    _close(J[0]["b"], np.outer(p["a"], np.ones(3)))
    _close(J[1]["a"], 2 * p["a"])
    _close(J[1]["b"], np.zeros(3))


@pytest.mark.parametrize("jac", [ftrans.jacfwd, ftrans.jacrev])
def test_jacobian_argnums_tuple_and_has_aux(jac):
    def f(x, y, z):
        return x * y + z, {"aux": x}

    x, y, z = np.array([1.0, 2.0]), 3.0, np.array([0.5, 0.5])
    J, aux = jac(f, argnums=(0, 1), has_aux=True)(x, y, z)
    assert isinstance(J, tuple) and len(J) == 2
    _close(J, (3.0 * np.eye(2), x))
    _close(aux, {"aux": x})
    J = jac(lambda x, y, z: f(x, y, z)[0], argnums=1)(x, y, z)
    _close(J, x)


@pytest.mark.parametrize("argnums", [0, 1])
def test_hessian(argnums, rng):
    A = rng.standard_normal((3, 3))

    def f(x, y):
        return x @ A @ y + jnp.sum(x ** 3) + jnp.sum(jnp.sin(y))

    x, y = rng.standard_normal(3), rng.standard_normal(3)
    H = ftrans.hessian(f, argnums=argnums)(x, y)
    assert H.shape == (3, 3)
    expected = np.diag(6 * x) if argnums == 0 else np.diag(-np.sin(y))
    _close(H, expected)
    H = ftrans.hessian(f, argnums=(0, 1))(x, y)
    _close(H, ((np.diag(6 * x), A), (A.T, np.diag(-np.sin(y)))))


def test_hessian_pytree_input():
    f = lambda p: p["a"] ** 2 * p["b"]  # noqa: E731
    H = ftrans.hessian(f)({"a": 3.0, "b": 2.0})
    _close(H, {"a": {"a": np.array(4.0), "b": np.array(6.0)},
               "b": {"a": np.array(6.0), "b": np.array(0.0)}})


# --- composition ---------------------------------------------------------------------------

def test_grad_of_grad():
    f = lambda x: x ** 4 * jnp.sin(x)  # noqa: E731
    d2 = lambda x: 12 * x ** 2 * np.sin(x) + 8 * x ** 3 * np.cos(x) - x ** 4 * np.sin(x)  # noqa
    _close(ftrans.grad(ftrans.grad(f))(0.7), np.array(d2(0.7)))
    d3 = ftrans.grad(ftrans.grad(ftrans.grad(jnp.exp)))(0.3)
    _close(d3, np.array(np.exp(0.3)))


def test_jacfwd_of_jacrev_and_friends(rng):
    f = lambda x: jnp.sum(jnp.sin(x) * x[::-1])  # noqa: E731
    x = rng.standard_normal(4)
    H = ftrans.jacfwd(ftrans.jacrev(f))(x)
    expected = np.diag(-np.sin(x) * x[::-1]) + np.fliplr(np.diag(np.cos(x)))
    expected = expected + np.fliplr(np.diag(np.cos(x))).T
    # d2/dxi dxj sum_k sin(x_k) x_{n-1-k}
    _close(H, expected)
    _close(ftrans.jacrev(ftrans.jacfwd(f))(x), expected)
    _close(ftrans.jacrev(ftrans.grad(f))(x), expected)


def test_jvp_of_grad_is_hessian_vector_product(rng):
    A = rng.standard_normal((3, 3))
    f = lambda x: jnp.sum(jnp.tanh(A @ x))  # noqa: E731
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    _, hvp = ftrans.jvp(ftrans.grad(f), (x,), (v,))
    t = np.tanh(A @ x)
    H = A.T @ np.diag(-2 * t * (1 - t ** 2)) @ A
    _close(hvp, H @ v)


def test_grad_of_jvp():
    # d/dx [d/dt sin(x + t x^2)|_{t=0}] = d/dx [cos(x) x^2]
    g = ftrans.grad(lambda x: ftrans.jvp(jnp.sin, (x,), (x ** 2,))[1])(0.4)
    _close(g, np.array(-np.sin(0.4) * 0.16 + np.cos(0.4) * 0.8))


def test_vjp_of_vjp(rng):
    # the vjp function is linear in its cotangent: its vjp is the forward map
    A = rng.standard_normal((2, 3))
    f = lambda x: jnp.sin(A @ x)  # noqa: E731
    x = rng.standard_normal(3)
    J = np.cos(A @ x)[:, None] * A

    def vjp_fn(u):
        return ftrans.vjp(f, x)[1](u)[0]

    u, w = rng.standard_normal(2), rng.standard_normal(3)
    _, vjp_of_vjp = ftrans.vjp(vjp_fn, u)
    _close(vjp_of_vjp(w)[0], J @ w)
    # and differentiating the vjp w.r.t. the primal gives second derivatives
    g = ftrans.grad(lambda x: jnp.sum(ftrans.vjp(f, x)[1](u)[0]))(x)
    check = numerical_jvp(lambda x: np.sum(J_of(A, x).T @ u), (x,), (np.eye(3)[0],))
    np.testing.assert_allclose(g[0], check, rtol=1e-6)


def J_of(A, x):
    return np.cos(A @ x)[:, None] * A


def test_perturbation_confusion():
    # the inner derivative d/dy (x + y) is 1, so the outer is d/dx x = 1
    _close(ftrans.grad(lambda x: x * ftrans.grad(lambda y: x + y)(1.0))(2.0), np.array(1.0))
    # Siskind & Pearlmutter: d/dx [x * d/dy (x * y)] = d/dx x^2 = 2x
    _close(ftrans.grad(lambda x: x * ftrans.grad(lambda y: x * y)(3.0))(2.0), np.array(4.0))
    _, t = ftrans.jvp(lambda x: x * ftrans.jvp(lambda y: x + y, (1.0,), (1.0,))[1],
                      (2.0,), (1.0,))
    _close(t, np.array(1.0))


@pytest.mark.parametrize("f", [lambda x: jnp.sum(jnp.tanh(x) ** 2),
                               lambda x: jnp.prod(jnp.exp(x * 0.3) + 1.0)])
def test_check_grads_composites(f, rng):
    check_grads(f, (rng.standard_normal(3),), order=2)
    check_grads(ftrans.grad(f), (rng.standard_normal(3),), order=1)


# --- jaxprs of derivatives ------------------------------------------------------------------

def test_make_jaxpr_of_grad_prints_the_backward_pass():
    closed = ftrans.make_jaxpr(ftrans.grad(lambda x: jnp.sum(jnp.sin(x) ** 2)))(np.ones(3))
    names = [e.primitive.name for e in closed.eqns]
    assert "sin" in names and "cos" in names
    # the transpose of the sum: a broadcast, staged or folded into a constant
    assert "broadcast_in_dim" in names or closed.jaxpr.constvars
    assert closed.out_avals == closed.in_avals
    x = np.array([0.1, 0.5, 1.0])
    _close(ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x)[0], 2 * np.sin(x) * np.cos(x))


def test_mlp_grad_has_exactly_five_dot_generals(rng):
    # 2 products forward (W1 @ x, W2 @ h) and 3 backward (dW2 = d h^T,
    # dh = W2^T d, dW1 = dh1 x^T); x and y are not differentiated.
    def loss(W1, W2, x, y):
        return jnp.sum((W2 @ ftrans.nn.relu(W1 @ x) - y) ** 2)

    import ftrans.nn  # noqa: F401
    W1, W2 = rng.standard_normal((5, 3)), rng.standard_normal((2, 5))
    x, y = rng.standard_normal(3), rng.standard_normal(2)
    closed = ftrans.make_jaxpr(ftrans.grad(loss, argnums=(0, 1)))(W1, W2, x, y)
    assert _count_prims(closed, "dot_general") == 5, str(closed)
    # and the numbers: closed-form backprop
    h_pre = W1 @ x
    h = np.maximum(h_pre, 0)
    d = 2 * (W2 @ h - y)
    dW2 = np.outer(d, h)
    dW1 = np.outer((W2.T @ d) * (h_pre > 0), x)
    g1, g2 = ftrans.eval_jaxpr(closed.jaxpr, closed.consts, W1, W2, x, y)
    _close((g1, g2), (dW1, dW2))
    _close(ftrans.grad(loss, argnums=(0, 1))(W1, W2, x, y), (dW1, dW2))


# --- keyword arguments ----------------------------------------------------------------------

def test_keyword_arguments_pass_through_undifferentiated():
    def f(x, scale=1.0, *, shift=0.0):
        return jnp.sin(x) * scale + shift

    _close(ftrans.grad(f)(0.5, scale=2.0, shift=3.0), np.array(2 * np.cos(0.5)))
    v, g = ftrans.value_and_grad(f)(0.5, shift=1.0)
    _close((v, g), (np.array(np.sin(0.5) + 1.0), np.array(np.cos(0.5))))
    x = np.array([0.1, 0.2])
    _close(ftrans.jacfwd(f)(x, scale=3.0), np.diag(3 * np.cos(x)))
    _close(ftrans.jacrev(f)(x, scale=3.0), np.diag(3 * np.cos(x)))
    _close(ftrans.hessian(lambda x, c: jnp.sum(c * x ** 3))(x, c=2.0), np.diag(12 * x))
