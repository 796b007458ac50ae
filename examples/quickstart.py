"""ftrans in a minute: grad, value_and_grad, jvp, vjp, jacfwd, jacrev, hessian
and make_jaxpr, each on a few lines. Run: python examples/quickstart.py"""

import numpy as np

import ftrans
import ftrans.numpy as jnp


def loss(w, x, y):
    """Mean squared error of a linear model."""
    return jnp.mean((x @ w - y) ** 2)


def main():
    rng = np.random.default_rng(0)
    x, w_true = rng.standard_normal((32, 3)), np.array([1.0, -2.0, 0.5])
    y = x @ w_true
    w = np.zeros(3)

    print("grad of the loss at w = 0:", ftrans.grad(loss)(w, x, y))
    value, g = ftrans.value_and_grad(loss)(w, x, y)
    print(f"value_and_grad: loss = {float(value):.4f}")
    for _ in range(100):  # plain gradient descent
        w = w - 0.1 * ftrans.grad(loss)(w, x, y)
    print("after 100 steps of gradient descent, w =", w.round(4))

    f = lambda v: jnp.sin(v) * v ** 2  # noqa: E731
    v = np.array([0.5, 1.0, 2.0])
    out, tangent = ftrans.jvp(f, (v,), (np.ones(3),))
    print("jvp (forward mode, J @ 1):", tangent.round(4))
    out, f_vjp = ftrans.vjp(f, v)
    print("vjp (reverse mode, 1 @ J):", f_vjp(np.ones(3))[0].round(4))
    print("jacfwd == jacrev:", np.allclose(ftrans.jacfwd(f)(v), ftrans.jacrev(f)(v)))
    print("hessian of sum(v**3):\n", ftrans.hessian(lambda v: jnp.sum(v ** 3))(v))
    print("the jaxpr of f and of its gradient:")
    print(ftrans.make_jaxpr(f)(v))
    print(ftrans.make_jaxpr(ftrans.grad(lambda v: jnp.sum(f(v))))(v))


if __name__ == "__main__":
    main()
