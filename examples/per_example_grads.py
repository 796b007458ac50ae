"""Per-example gradients with ``vmap(grad(...))``, and what they are for:
clipping each example's gradient before averaging, as differentially private
SGD does.

A logistic-regression loss is written for ONE example; ``grad`` gives its
gradient, ``vmap`` runs that gradient on every example of a batch at once.
The result is checked against a Python loop over the examples.

    python examples/per_example_grads.py
"""

import time

import numpy as np

import ftrans
import ftrans.numpy as jnp


def example_loss(params, x, y):
    """Logistic loss of one example ``x`` (features) with label ``y`` in {0, 1}."""
    w, b = params
    logit = jnp.dot(x, w) + b
    return jnp.logaddexp(0.0, logit) - y * logit


per_example_grads = ftrans.vmap(ftrans.grad(example_loss), in_axes=(None, 0, 0))


def clipped_mean_gradient(params, xs, ys, clip_norm):
    """Each example's gradient scaled to norm at most ``clip_norm``, then averaged."""
    gw, gb = per_example_grads(params, xs, ys)
    norms = jnp.sqrt(jnp.sum(gw ** 2, axis=1) + gb ** 2)
    scale = jnp.minimum(1.0, clip_norm / norms)
    return (jnp.mean(gw * scale[:, None], axis=0), jnp.mean(gb * scale)), norms


def main():
    rng = np.random.default_rng(0)
    batch, features = 256, 100
    xs = rng.standard_normal((batch, features))
    true_w = rng.standard_normal(features)
    ys = (xs @ true_w + 0.5 * rng.standard_normal(batch) > 0).astype(float)
    params = (0.1 * rng.standard_normal(features), 0.0)

    gw, gb = per_example_grads(params, xs, ys)
    loop_gw = np.stack([ftrans.grad(example_loss)(params, x, y)[0] for x, y in zip(xs, ys)])
    loop_gb = np.array([ftrans.grad(example_loss)(params, x, y)[1] for x, y in zip(xs, ys)])
    err = max(np.max(np.abs(gw - loop_gw)), np.max(np.abs(gb - loop_gb)))
    print(f"per-example gradients: {gw.shape}, max difference from the loop {err:.1e}")
    assert err < 1e-12

    t0 = time.perf_counter()
    per_example_grads(params, xs, ys)
    t_vmap = time.perf_counter() - t0
    t0 = time.perf_counter()
    for x, y in zip(xs, ys):
        ftrans.grad(example_loss)(params, x, y)
    t_loop = time.perf_counter() - t0
    print(f"vmap(grad): {1e3 * t_vmap:.1f} ms, a Python loop of grad: {1e3 * t_loop:.1f} ms")

    # a few steps of clipped-gradient descent
    lr, clip_norm = 0.5, 1.0
    for step in range(5):
        (gw, gb), norms = clipped_mean_gradient(params, xs, ys, clip_norm)
        params = (params[0] - lr * gw, params[1] - lr * gb)
        loss = float(jnp.mean(ftrans.vmap(example_loss, in_axes=(None, 0, 0))(params, xs, ys)))
        print(f"step {step}: loss {loss:.4f}, per-example gradient norms "
              f"median {np.median(norms):.3f}, max {np.max(norms):.3f}, "
              f"clipped {int(np.sum(norms > clip_norm))} of {batch}")


if __name__ == "__main__":
    main()
