"""A recurrent network trained by backpropagation through time, through ``lax.scan``.

The model is the seed's RNN: a tanh hidden state ``h_t = tanh(Wi x_t + Wh
h_{t-1})`` and softmax outputs ``y_t = softmax(Wo h_t)``, with the
cross-entropy summed over time. The task, generated with numpy, needs one
step of memory: read a sequence of symbols from a small alphabet and, at
each step, output the symbol seen one step *before* (there is no target at
the first step).

The loss runs the recurrence with ``ftrans.lax.scan``, so ``value_and_grad``
differentiates it as one loop: the forward scan stores each step's
intermediates stacked along the time axis, and the backward pass is a single
reverse scan. Its jaxpr has the same number of equations for 10 steps as for
1000, which the script prints, along with the time of the gradient through
``scan`` against the same loss written as an unrolled Python loop (whose
jaxpr grows with the sequence length) and the largest difference between
the two gradients. Training is plain SGD with momentum; the loss is printed
every few steps and falls from about ``(T - 1) log K`` to near zero.

Run: python examples/rnn_bptt.py [--small]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import ftrans
import ftrans.nn
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.core import all_eqns
from ftrans.tree_util import tree_leaves, tree_map


def make_batch(rng, T: int, batch: int, K: int):
    """One-hot inputs ``xs`` and targets ``ys``, both of shape (T, batch, K):
    the target at step t is the input symbol at step t - 1 (none at t = 0)."""
    symbols = rng.integers(0, K, (T, batch))
    xs = np.eye(K)[symbols]
    ys = np.zeros_like(xs)
    ys[1:] = xs[:-1]
    return xs, ys


def init_params(rng, K: int, H: int) -> dict:
    return {"Wi": rng.standard_normal((H, K)) / np.sqrt(K),
            "Wh": rng.standard_normal((H, H)) / np.sqrt(H) * 0.5,
            "Wo": rng.standard_normal((K, H)) / np.sqrt(H)}


def rnn_step(params: dict, h, x, y):
    """One time step for a batch: the new hidden state and this step's loss."""
    h = jnp.tanh(x @ params["Wi"].T + h @ params["Wh"].T)
    log_p = ftrans.nn.log_softmax(h @ params["Wo"].T)
    return h, -jnp.sum(y * log_p) / x.shape[0]


def loss_scan(params: dict, xs, ys):
    """Cross-entropy summed over time (averaged over the batch), via ``scan``."""
    h0 = np.zeros((xs.shape[1], params["Wh"].shape[0]))
    _, losses = lax.scan(lambda h, xy: rnn_step(params, h, *xy), h0, (xs, ys))
    return jnp.sum(losses)


def predict(params: dict, xs):
    """The most likely symbol at each step, shape (T, batch)."""
    h0 = np.zeros((xs.shape[1], params["Wh"].shape[0]))

    def body(h, x):
        h, _ = rnn_step(params, h, x, x)  # (the loss term is not needed here)
        return h, h

    _, hs = lax.scan(body, h0, xs)
    return np.argmax(hs @ params["Wo"].T, axis=-1)


def loss_unrolled(params: dict, xs, ys):
    """The same loss as a Python loop: tracing unrolls it, one copy per step."""
    h = np.zeros((xs.shape[1], params["Wh"].shape[0]))
    total = 0.0
    for t in range(xs.shape[0]):
        h, loss = rnn_step(params, h, xs[t], ys[t])
        total = total + loss
    return total


def count_eqns(closed) -> int:
    """Equations of a jaxpr, counting those inside sub-jaxprs (scan bodies)."""
    return sum(1 for _ in all_eqns(closed))


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(T: int = 20, steps: int = 100, batch: int = 32, K: int = 4, H: int = 16,
         lr: float = 0.02, momentum: float = 0.9, timing_T: int = 100,
         timing_runs: int = 3, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    params = init_params(rng, K, H)
    velocity = tree_map(np.zeros_like, params)
    step_grad = ftrans.value_and_grad(loss_scan)
    print(f"task: repeat the previous symbol; alphabet {K}, sequences of {T}, "
          f"batches of {batch}; RNN with {H} tanh units; SGD with momentum {momentum}, "
          f"learning rate {lr}")

    losses = []
    every = max(1, steps // 10)
    for step in range(steps):
        xs, ys = make_batch(rng, T, batch, K)
        loss, grads = step_grad(params, xs, ys)
        velocity = tree_map(lambda v, g: momentum * v - lr * g, velocity, grads)
        params = tree_map(lambda p, v: p + v, params, velocity)
        losses.append(float(loss))
        if step % every == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {float(loss):8.4f}", flush=True)
    xs, ys = make_batch(rng, T, 256, K)
    accuracy = float(np.mean(predict(params, xs)[1:] == np.argmax(ys[1:], axis=-1)))
    print(f"final loss {losses[-1]:.4f} (first {losses[0]:.4f}); accuracy on new "
          f"sequences (steps 1..{T - 1}): {accuracy:.3f}")

    # The gradient's jaxpr does not grow with the sequence length.
    counts = {}
    for length in (10, 1000):
        xs, ys = make_batch(rng, length, 2, K)
        closed = ftrans.make_jaxpr(ftrans.grad(loss_scan))(params, xs, ys)
        counts[length] = (len(closed.eqns), count_eqns(closed))
        print(f"make_jaxpr(grad(loss)) for T={length:4d}: {counts[length][0]} equations "
              f"({counts[length][1]} counting the scan bodies)")

    # scan against the unrolled Python loop, same loss, T = timing_T
    xs, ys = make_batch(rng, timing_T, batch, K)
    g_scan = ftrans.grad(loss_scan)(params, xs, ys)
    g_loop = ftrans.grad(loss_unrolled)(params, xs, ys)
    diff = max(float(np.max(np.abs(a - b)))
               for a, b in zip(tree_leaves(g_scan), tree_leaves(g_loop)))
    print(f"scan vs unrolled gradients, T={timing_T}: max abs difference: {diff:.2e}")
    t_scan = median_time(lambda: ftrans.grad(loss_scan)(params, xs, ys), timing_runs)
    t_loop = median_time(lambda: ftrans.grad(loss_unrolled)(params, xs, ys), timing_runs)
    print(f"grad time, T={timing_T} (median of {timing_runs}): scan {1e3 * t_scan:.1f} ms, "
          f"unrolled Python loop {1e3 * t_loop:.1f} ms")
    return {"losses": losses, "accuracy": accuracy, "eqn_counts": counts,
            "grad_difference": diff, "times": (t_scan, t_loop)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true",
                        help="shorter training and timing (for the tests)")
    if parser.parse_args().small:
        main(T=10, steps=60, batch=16, timing_T=30, timing_runs=1)
    else:
        main()
