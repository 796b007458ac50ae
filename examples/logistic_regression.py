"""Multiclass logistic regression: the softmax cross-entropy gradient, checked.

For one example x with label y, logits z = W x + b, probabilities
p = softmax(z) and loss L = -log p_y, the gradient has a closed form:

    dL/dz = p - e_y,   dL/dW = (p - e_y) x^T,   dL/db = p - e_y

(e_y the one-hot vector of y). Over a batch the loss is the mean, and so are
the gradients. The script draws three Gaussian blobs in 2-D, checks
``ftrans.grad`` against the closed form (printing the max abs difference),
then trains with SGD and prints the loss falling and the accuracy rising. It
writes the graph of the loss and of its gradient with ``ftrans.viz``: ``.dot``
files always, ``.svg`` files too when Graphviz's ``dot`` is installed.

Run: python examples/logistic_regression.py [--small] [--out DIR]
(graphs go to ./graphs by default)
"""

import argparse
import shutil
from pathlib import Path

import numpy as np

import ftrans
import ftrans.numpy as jnp
import ftrans.nn
from ftrans import viz

CENTERS = np.array([[0.0, 2.5], [-2.5, -1.5], [2.5, -1.5]])


def blobs(n_per_class: int, rng):
    """``n_per_class`` points around each of three centres, and their labels."""
    X = np.concatenate([c + rng.standard_normal((n_per_class, 2)) for c in CENTERS])
    y = np.repeat(np.arange(len(CENTERS)), n_per_class)
    order = rng.permutation(len(y))
    return X[order], y[order]


def loss(W, b, X, Y):
    """Mean softmax cross-entropy of the logits X W^T + b against one-hot labels Y."""
    logits = X @ W.T + b
    return -jnp.mean(jnp.sum(Y * ftrans.nn.log_softmax(logits, axis=-1), axis=-1))


def closed_form_grads(W, b, X, Y):
    """dL/dW = mean over the batch of (p - e_y) x^T, dL/db = mean of (p - e_y), in numpy."""
    z = X @ W.T + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return (p - Y).T @ X / len(X), (p - Y).mean(axis=0)


def accuracy(W, b, X, y):
    return float(np.mean(np.argmax(X @ W.T + b, axis=1) == y))


def main(small: bool = False, out: str | None = None) -> float:
    rng = np.random.default_rng(0)
    n_per_class, epochs, batch, lr = (40, 10, 20, 0.05) if small else (200, 20, 32, 0.05)
    X, y = blobs(n_per_class, rng)
    Y = np.asarray(ftrans.nn.one_hot(y, 3))
    W, b = 0.1 * rng.standard_normal((3, 2)), np.zeros(3)

    # The gradient check, on the whole dataset at the random initial weights.
    gW, gb = ftrans.grad(loss, argnums=(0, 1))(W, b, X, Y)
    cW, cb = closed_form_grads(W, b, X, Y)
    diff = max(np.max(np.abs(gW - cW)), np.max(np.abs(gb - cb)))
    print(f"{len(X)} points in 3 classes; dL/dW from ftrans.grad:")
    print(np.round(gW, 6))
    print("dL/dW = mean (p - e_y) x^T, closed form:")
    print(np.round(cW, 6))
    print(f"dL/db ftrans {np.round(gb, 6)}, closed form {np.round(cb, 6)}")
    print(f"max abs difference: {diff:.2e}")
    assert diff < 1e-12

    step = ftrans.value_and_grad(loss, argnums=(0, 1))
    print(f"SGD, learning rate {lr}, mini-batches of {batch}:")
    print(f"  epoch  0: loss {float(loss(W, b, X, Y)):.4f}  accuracy {accuracy(W, b, X, y):.3f}")
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch):
            idx = order[start:start + batch]
            _, (gW, gb) = step(W, b, X[idx], Y[idx])
            W, b = W - lr * gW, b - lr * gb
        if epoch <= 3 or epoch % 5 == 0:
            print(f"  epoch {epoch:2d}: loss {float(loss(W, b, X, Y)):.4f}  "
                  f"accuracy {accuracy(W, b, X, y):.3f}")
    acc = accuracy(W, b, X, y)
    print(f"final training accuracy: {acc:.3f}")

    out_dir = Path(out) if out is not None else Path.cwd() / "graphs"
    # A batch of 4 draws the same graph as the whole dataset, with readable shapes.
    args = (W, b, X[:4], Y[:4])
    grad_loss = ftrans.grad(loss, argnums=(0, 1))
    written = viz.save_graphs({"loss": ftrans.make_jaxpr(loss)(*args),
                            "grad_loss": ftrans.make_jaxpr(grad_loss)(*args)}, out_dir)
    if not shutil.which("dot"):
        print("(Graphviz `dot` not found: wrote .dot files only)")
    print("graphs written:", ", ".join(str(p) for p in written))
    return acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="less data, fewer epochs")
    parser.add_argument("--out", default=None, help="directory for the graphs (default ./graphs)")
    args = parser.parse_args()
    main(small=args.small, out=args.out)
