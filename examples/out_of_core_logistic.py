"""Logistic regression on data that is never in memory, with ftrans.dask.

The design matrix (10^7 x 100 by default: 8 GB of float64) is generated chunk
by chunk from a per-chunk seed, inside the dask graph, every time a pass over
the data needs it; it is never materialized. ``ftrans.dask.value_and_grad``
traces the loss once per chunk shape, runs the compiled per-chunk gradient on
every chunk and sums the results with a tree reduction;
``ftrans.dask.hvp`` does the same for Hessian-vector products, which is all
Newton-CG needs. Peak memory stays a few chunks' worth.

    python examples/out_of_core_logistic.py              # 10^7 x 100
    python examples/out_of_core_logistic.py --rows 200000 --chunk 20000
    python examples/out_of_core_logistic.py --small      # what the tests run
    python examples/out_of_core_logistic.py --workers 2  # a 2-process LocalCluster
"""

import argparse
import resource
import time

import numpy as np

import ftrans
import ftrans.dask
import ftrans.numpy as jnp

LAMBDA = 1e-3  # L2 penalty on the mean loss, keeps Newton's system well conditioned


def true_weights(d: int) -> np.ndarray:
    return np.random.default_rng(12345).standard_normal(d) / np.sqrt(d) * 3.0


def make_block(index: int, rows: int, d: int, seed: int) -> tuple:
    """Rows ``index`` of the data set: features and 0/1 labels from the seed."""
    rng = np.random.default_rng([seed, index])
    X = rng.standard_normal((rows, d))
    p = 1.0 / (1.0 + np.exp(-(X @ true_weights(d))))
    y = (rng.uniform(size=rows) < p).astype(np.float64)
    return X, y


def make_data(n: int, d: int, chunk: int, seed: int = 0):
    """X (n x d) and y (n) as dask arrays whose chunks are generated on demand."""
    import dask
    import dask.array as da

    xs, ys = [], []
    for i, start in enumerate(range(0, n, chunk)):
        rows = min(chunk, n - start)
        block = dask.delayed(make_block, pure=True)(i, rows, d, seed)
        xs.append(da.from_delayed(block[0], (rows, d), np.float64))
        ys.append(da.from_delayed(block[1], (rows,), np.float64))
    return da.concatenate(xs), da.concatenate(ys)


def loss(w, X, y):
    """Sum over the chunk's rows of the logistic loss (reduce="mean" divides)."""
    z = X @ w
    return jnp.sum(jnp.logaddexp(0.0, z) - y * z)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def report(what: str, it: int, value: float, g: np.ndarray, t0: float) -> None:
    print(f"{what} {it:2d}: loss {value:.6f}  |grad| {np.linalg.norm(g):.3e}  "
          f"{time.perf_counter() - t0:7.1f} s  peak RSS {peak_rss_mb():7.0f} MB", flush=True)


def objective(value_and_grad, w, X, y):
    value, g = value_and_grad(w, X, y)
    return value + 0.5 * LAMBDA * w @ w, g + LAMBDA * w


def gradient_descent(value_and_grad, w, X, y, steps: int, lr: float, t0: float):
    for it in range(steps):
        value, g = objective(value_and_grad, w, X, y)
        report("gd    ", it, value, g, t0)
        w = w - lr * g
    return w


def newton_cg(value_and_grad, hvp, w, X, y, steps: int, cg_iters: int, t0: float):
    """Newton's method, each step's system H p = -g solved by conjugate
    gradients using only Hessian-vector products (one pass over the data each)."""
    for it in range(steps):
        value, g = objective(value_and_grad, w, X, y)
        report("newton", it, value, g, t0)
        p, r = np.zeros_like(w), -g
        q = r.copy()
        for _ in range(cg_iters):
            Hq = hvp(q, w, X, y) + LAMBDA * q
            alpha = (r @ r) / (q @ Hq)
            p, r_new = p + alpha * q, r - alpha * Hq
            if np.linalg.norm(r_new) < 1e-10 * np.linalg.norm(g):
                r = r_new
                break
            q, r = r_new + (r_new @ r_new) / (r @ r) * q, r_new
        w = w + p
    value, g = objective(value_and_grad, w, X, y)
    report("newton", steps, value, g, t0)
    return w


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--gd-steps", type=int, default=3)
    parser.add_argument("--newton-steps", type=int, default=2)
    parser.add_argument("--cg-iters", type=int, default=4)
    parser.add_argument("--workers", type=int, default=0,
                        help="0: the threaded scheduler; k: a k-process LocalCluster")
    parser.add_argument("--small", action="store_true", help="a quick run (the tests)")
    args = parser.parse_args(argv)
    if args.small:
        args.rows, args.cols, args.chunk = 20_003, 10, 2_000
        args.newton_steps, args.cg_iters = 5, 10

    import dask

    client = cluster = None
    if args.workers:
        from distributed import Client, LocalCluster
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1,
                               processes=True, host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    else:
        dask.config.set(scheduler="threads")

    n, d = args.rows, args.cols
    X, y = make_data(n, d, args.chunk)
    print(f"data: {n} x {d} float64 ({n * d * 8 / 1e9:.2f} GB, never materialized) in "
          f"{X.numblocks[0]} chunks of {args.chunk} rows")
    value_and_grad = ftrans.dask.value_and_grad(loss, batch_argnums=(1, 2), reduce="mean")
    hvp = ftrans.dask.hvp(loss, batch_argnums=(1, 2), reduce="mean")

    if n * d <= 10**7:  # small enough to check against the in-memory gradient
        Xm, ym = dask.compute(X, y)
        w = np.full(d, 0.1)
        got = value_and_grad(w, X, y)[1]
        want = ftrans.grad(loss)(w, Xm, ym) / n
        print(f"gradient vs in-memory: max abs difference: "
              f"{np.max(np.abs(got - want)):.2e}")
        del Xm, ym

    t0 = time.perf_counter()
    w = gradient_descent(value_and_grad, np.zeros(d), X, y, args.gd_steps, lr=2.0, t0=t0)
    w = newton_cg(value_and_grad, hvp, np.zeros(d), X, y, args.newton_steps,
                  args.cg_iters, t0)
    cos = w @ true_weights(d) / (np.linalg.norm(w) * np.linalg.norm(true_weights(d)))
    print(f"cosine(fitted, true weights): {cos:.4f}")
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
    if client is not None:
        client.close()
        cluster.close()


if __name__ == "__main__":  # worker processes import this module: start nothing there
    main()
