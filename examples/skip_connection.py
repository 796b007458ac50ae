"""A skip connection adds two gradient paths: y = W2 relu(W1 x) + x.

With an upstream gradient dy and L = <dy, y>, the gradient at x is the sum of
the contributions of x's two paths to y:

    dL/dx = W1^T R W2^T dy   (through the block, R = diag(relu'(W1 x)))
          + dy               (through the identity)

The script computes dL/dx with ``ftrans.grad``, prints both contributions and
their sum, and checks that they agree. It then stacks blocks with small
weights and compares the gradient norm at the input with and without the
identity path: without it the gradient shrinks with every block, with it
the identity carries dy through unchanged.

Run: python examples/skip_connection.py [--small]
"""

import argparse

import numpy as np

import ftrans
import ftrans.numpy as jnp
import ftrans.nn


def block(W1, W2, x):
    return W2 @ ftrans.nn.relu(W1 @ x)


def residual(W1, W2, x):
    """y = W2 relu(W1 x) + x."""
    return block(W1, W2, x) + x


def main(small: bool = False) -> float:
    rng = np.random.default_rng(0)
    n, h, depth = (4, 6, 5) if small else (8, 16, 20)
    W1, W2 = rng.standard_normal((h, n)), rng.standard_normal((n, h))
    x, dy = rng.standard_normal(n), rng.standard_normal(n)

    L = lambda x: jnp.sum(dy * residual(W1, W2, x))  # noqa: E731
    g = ftrans.grad(L)(x)

    R = np.diag((W1 @ x > 0).astype(float))  # relu'(W1 x) on the diagonal
    through_block = W1.T @ R @ W2.T @ dy
    through_identity = dy
    total = through_block + through_identity
    np.set_printoptions(precision=4, suppress=True)
    print(f"y = W2 relu(W1 x) + x with x in R^{n}, hidden width {h}; L = <dy, y>")
    print("through the block,    W1^T R W2^T dy:", through_block)
    print("through the identity, dy:            ", through_identity)
    print("sum of the two paths:                ", total)
    print("ftrans.grad(L)(x):                   ", g)
    diff = float(np.max(np.abs(g - total)))
    print(f"max abs difference: {diff:.2e}")
    assert diff < 1e-10

    # The same split, each path differentiated by ftrans on its own.
    g_block = ftrans.grad(lambda x: jnp.sum(dy * block(W1, W2, x)))(x)
    g_identity = ftrans.grad(lambda x: jnp.sum(dy * x))(x)
    assert np.allclose(g_block, through_block) and np.allclose(g_identity, through_identity)
    print("ftrans on each path alone agrees with both contributions")

    print(f"\n{depth} stacked blocks with small weights (std 0.1): |dL/dx| at the input")
    Ws = [(0.1 * rng.standard_normal((h, n)), 0.1 * rng.standard_normal((n, h)))
          for _ in range(depth)]

    def deep(x, skip):
        for W1_k, W2_k in Ws:
            x = residual(W1_k, W2_k, x) if skip else block(W1_k, W2_k, x)
        return jnp.sum(dy * x)

    x0 = rng.standard_normal(n)
    norms = {skip: float(np.linalg.norm(ftrans.grad(lambda x: deep(x, skip))(x0)))
             for skip in (False, True)}
    print(f"  without skip connections: {norms[False]:.3e}")
    print(f"  with skip connections:    {norms[True]:.3e}   (|dy| = {np.linalg.norm(dy):.3e})")
    assert norms[True] > 1e3 * norms[False]
    return diff


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="smaller sizes, fewer blocks")
    main(small=parser.parse_args().small)
