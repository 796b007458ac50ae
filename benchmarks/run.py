"""Benchmarks: medians of ftrans against hand-written numpy (and autograd or
JAX when installed). Prints a table; never run by the tests.

    python benchmarks/run.py [--quick]
"""

from __future__ import annotations

import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout
import ftrans  # noqa: E402
from ftrans.test_util import measured_peak_bytes  # noqa: E402
import ftrans.numpy as jnp  # noqa: E402
from ftrans import lax  # noqa: E402

QUICK = "--quick" in sys.argv
REPEATS = 5 if QUICK else 21


def median_ms(fn, repeats=REPEATS) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def optional(module):
    try:
        return __import__(module)
    except ImportError:
        return None


autograd = optional("autograd")
jax = optional("jax")


# --- 1. a chain of 200 elementwise operations on a 16-vector ------------------------

def chain(np_like, x, n=50):
    for _ in range(n):
        x = np_like.tanh(np_like.sin(x) * 1.01 + 0.1)
    return np_like.sum(x)


def chain_numpy_grad(x):
    saved = []
    for _ in range(50):
        s = np.sin(x)
        t = np.tanh(s * 1.01 + 0.1)
        saved.append((x, t))
        x = t
    g = np.ones_like(x)
    for x_in, t in reversed(saved):
        g = g * (1.0 - t * t) * 1.01 * np.cos(x_in)
    return g


# --- vmap: per-example gradients, batched Jacobians and Hessians ------------------

def logistic_example_loss(np_like, w, x, y):
    logit = np_like.dot(x, w)
    return np_like.logaddexp(0.0, logit) - y * logit


def logistic_per_example_numpy(w, xs, ys):
    p = 1.0 / (1.0 + np.exp(-(xs @ w)))
    return (p - ys)[:, None] * xs


def two_tanh(np_like, A, Bm, x):
    return np_like.tanh(A @ np_like.tanh(Bm @ x))


def two_tanh_jacobian_numpy(A, Bm, x):
    h = np.tanh(Bm @ x)
    y = np.tanh(A @ h)
    return ((1.0 - y * y)[:, None] * A) @ ((1.0 - h * h)[:, None] * Bm)


def hess_fn(np_like, A, x):
    return np_like.sum(np_like.tanh(A @ x))


def hess_numpy(A, x):
    t = np.tanh(A @ x)
    return (A.T * (-2.0 * t * (1.0 - t * t))) @ A


# --- jit ---------------------------------------------------------------------------

def mlp3_loss(np_like, params, x, y):
    (W1, W2, W3) = params
    h1 = np_like.tanh(x @ W1)
    h2 = np_like.tanh(h1 @ W2)
    return np_like.sum((h2 @ W3 - y) ** 2) / x.shape[0]


def mlp3_numpy_value_and_grad(params, x, y):
    W1, W2, W3 = params
    h1 = np.tanh(x @ W1)
    h2 = np.tanh(h1 @ W2)
    r = h2 @ W3 - y
    loss = np.sum(r * r) / x.shape[0]
    g = 2.0 * r / x.shape[0]
    dW3 = h2.T @ g
    d2 = (g @ W3.T) * (1.0 - h2 * h2)
    dW2 = h1.T @ d2
    d1 = (d2 @ W2.T) * (1.0 - h1 * h1)
    return loss, (x.T @ d1, dW2, dW3)


def jit_rows(rng, x16, pe, w, xs_lr, ys_lr, Ah, xh):
    rows = []
    jg = ftrans.jit(ftrans.grad(lambda x: chain(jnp, x)))
    assert np.allclose(jg(x16), chain_numpy_grad(x16))
    rows.append(["jit(grad), 200-op chain, f64[16]", median_ms(lambda: jg(x16)),
                 median_ms(lambda: chain_numpy_grad(x16)), None, 0.8])
    params = [rng.standard_normal(s) / np.sqrt(s[0]) for s in [(784, 256), (256, 256), (256, 10)]]
    x, y = rng.standard_normal((128, 784)), rng.standard_normal((128, 10))
    jvg = ftrans.jit(ftrans.value_and_grad(lambda p: mlp3_loss(jnp, p, x, y)))
    want = mlp3_numpy_value_and_grad(params, x, y)
    got = jvg(params)
    assert np.allclose(got[0], want[0]) and all(np.allclose(a, b) for a, b in zip(got[1], want[1]))
    rows.append(["jit(value_and_grad), MLP 784-256-256-10, B=128",
                 median_ms(lambda: jvg(params)),
                 median_ms(lambda: mlp3_numpy_value_and_grad(params, x, y)), None, 0.95])
    Wh, xs = rng.standard_normal((16, 16)) * 0.3, rng.standard_normal((100, 16))
    jr = ftrans.jit(ftrans.grad(rnn_scan_loss))
    assert np.allclose(jr(Wh, xs), ftrans.grad(rnn_unrolled_loss)(Wh, xs))
    rows.append(["jit(grad), RNN scan T=100 (vs unrolled numpy loop)",
                 median_ms(lambda: jr(Wh, xs)),
                 median_ms(lambda: rnn_numpy_grad(Wh, xs)), None, 1.1])
    jh = ftrans.jit(ftrans.hessian(lambda x: hess_fn(jnp, Ah, x)))
    assert np.allclose(jh(xh), hess_numpy(Ah, xh))
    rows.append(["jit(hessian), 200 inputs", median_ms(lambda: jh(xh)),
                 median_ms(lambda: hess_numpy(Ah, xh)), None, 2.0])
    jpe = ftrans.jit(pe)
    assert np.allclose(jpe(w, xs_lr, ys_lr), logistic_per_example_numpy(w, xs_lr, ys_lr))
    rows.append(["jit(vmap(grad)) logistic, B=256 F=100", median_ms(lambda: jpe(w, xs_lr, ys_lr)),
                 median_ms(lambda: logistic_per_example_numpy(w, xs_lr, ys_lr)), None, 1.15])
    start = time.perf_counter()
    fresh = ftrans.jit(ftrans.grad(lambda x: chain(jnp, x * 1.0001)))
    fresh(x16)
    rows.append(["first call of jit(grad), fresh 200-op f (ms)", 1e3 * (time.perf_counter() - start),
                 60.0, None])
    ident = ftrans.jit(lambda x: x)
    rows.append(["jit dispatch, cached call of identity (vs 10 us)",
                 median_ms(lambda: ident(x16)), 0.010, None])
    return rows


def rnn_numpy_grad(Wh, xs):
    hs, h = [], np.zeros(Wh.shape[0])
    for x in xs:
        h = np.tanh(Wh @ h + x)
        hs.append(h)
    g_W, g_h = np.zeros_like(Wh), np.zeros(Wh.shape[0])
    prev = [np.zeros(Wh.shape[0])] + hs[:-1]
    for h, hp in zip(reversed(hs), reversed(prev)):
        g_pre = (g_h + 1.0) * (1.0 - h * h)
        g_W += np.outer(g_pre, hp)
        g_h = Wh.T @ g_pre
    return g_W


# --- 2. a two-layer MLP loss ---------------------------------------------------------

def mlp_loss(np_like, W1, W2, x, y):
    h = np_like.tanh(x @ W1)
    return np_like.sum((h @ W2 - y) ** 2) / x.shape[0]


def mlp_numpy_grad(W1, W2, x, y):
    h = np.tanh(x @ W1)
    r = 2.0 * (h @ W2 - y) / x.shape[0]
    dW2 = h.T @ r
    dh = (r @ W2.T) * (1.0 - h * h)
    return x.T @ dh, dW2


# --- 3. an RNN loss through scan ------------------------------------------------------

def rnn_scan_loss(Wh, xs):
    def step(h, x):
        h = jnp.tanh(Wh @ h + x)
        return h, jnp.sum(h)
    _, ys = lax.scan(step, jnp.zeros(Wh.shape[0]), xs)
    return jnp.sum(ys)


def rnn_unrolled_loss(Wh, xs):
    h, total = jnp.zeros(Wh.shape[0]), 0.0
    for x in xs:
        h = jnp.tanh(Wh @ h + x)
        total = total + jnp.sum(h)
    return total


# --- 4. cost with nesting depth and program length -------------------------------------

def nested_cond(x, k):
    if k == 0:
        return jnp.sin(x)
    return lax.cond(jnp.sum(x) > -100.0, lambda u: nested_cond(u, k - 1) * 1.001,
                    lambda u: u, x)


def jacobian_auto_rows(rng):
    """``jacobian(mode="auto")`` on the tall, wide and square shapes, against
    the faster of ``jacfwd`` and ``jacrev`` (both timed in the same run)."""
    rows = []
    for name, n, m in [("tall 20->2000", 20, 2000), ("wide 2000->20", 2000, 20),
                       ("square 500->500", 500, 500)]:
        A, Bm = rng.standard_normal((m, 50)) / 7, rng.standard_normal((50, n)) / np.sqrt(n)
        v = rng.standard_normal(n)
        f = lambda x: two_tanh(jnp, A, Bm, x)  # noqa: E731
        auto, fwd, rev = ftrans.jacobian(f), ftrans.jacfwd(f), ftrans.jacrev(f)
        assert np.allclose(auto(v), fwd(v))
        times = interleaved([lambda: auto(v), lambda: fwd(v), lambda: rev(v)])
        faster = "jacfwd" if times[1] <= times[2] else "jacrev"
        rows.append([f"jacobian auto {name} (vs {faster}; chose {auto.plan(v).mode})",
                     times[0], min(times[1:]), None, 1.1])
    return rows


def interleaved(fns, repeats=REPEATS) -> list[float]:
    """Median ms of each of ``fns``, run in turn in one loop (fair on a noisy
    machine: drift hits every variant alike)."""
    for fn in fns:
        fn()
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for fn, out in zip(fns, samples):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1e3)
    return [float(np.median(s)) for s in samples]


def memory_rows(rng):
    """Predicted (``cost_analysis``) against measured peak memory of the
    intermediates, for the benchmark workloads' jaxprs."""
    W1, W2 = rng.standard_normal((256, 512)) / 16, rng.standard_normal((512, 10)) / 23
    x, y = rng.standard_normal((512, 256)), rng.standard_normal((512, 10))
    Wh, xs = rng.standard_normal((16, 16)) * 0.3, rng.standard_normal((100, 16))
    A, Bm = rng.standard_normal((2000, 50)) / 7, rng.standard_normal((50, 20)) / 4.5
    Aw, Bw = rng.standard_normal((20, 50)) / 7, rng.standard_normal((50, 2000)) / 45
    w = rng.standard_normal(100) * 0.1
    xs_lr, ys_lr = rng.standard_normal((256, 100)), (rng.random(256) > 0.5).astype(float)
    Ah, xh = rng.standard_normal((50, 200)) / 14, rng.standard_normal(200)
    work = [
        ("grad, MLP 512x256->512->10",
         ftrans.grad(lambda a, b: mlp_loss(jnp, a, b, x, y), argnums=(0, 1)), (W1, W2)),
        ("grad, RNN scan T=100", ftrans.grad(rnn_scan_loss), (Wh, xs)),
        ("vmap(grad) logistic, B=256 F=100",
         ftrans.vmap(ftrans.grad(lambda w, x, y: logistic_example_loss(jnp, w, x, y)),
                     in_axes=(None, 0, 0)), (w, xs_lr, ys_lr)),
        ("jacfwd tall 20->2000", ftrans.jacfwd(lambda v: two_tanh(jnp, A, Bm, v)),
         (rng.standard_normal(20),)),
        ("jacrev wide 2000->20", ftrans.jacrev(lambda v: two_tanh(jnp, Aw, Bw, v)),
         (rng.standard_normal(2000),)),
        ("hessian, 200 inputs", ftrans.hessian(lambda v: hess_fn(jnp, Ah, v)), (xh,)),
    ]
    rows = []
    for name, fn, args in work:
        closed = ftrans.make_jaxpr(fn)(*args)
        flat = ftrans.tree_util.tree_leaves(args)
        rows.append((name, ftrans.cost_analysis(fn, *args).peak_bytes,
                     measured_peak_bytes(closed, *flat)))
    return rows


def first_call_ms(fn) -> float:
    """One call with the derivation cache empty: tracing plus every pass."""
    from ftrans.derivatives import cache_clear
    times = []
    for _ in range(3):
        cache_clear()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main():
    rng = np.random.default_rng(0)
    rows = []

    x16 = rng.uniform(0.1, 0.9, 16)
    g = ftrans.grad(lambda x: chain(jnp, x))
    assert np.allclose(g(x16), chain_numpy_grad(x16))
    row = ["grad, 200-op chain, f64[16]", median_ms(lambda: g(x16)),
           median_ms(lambda: chain_numpy_grad(x16))]
    row.append(median_ms(lambda: autograd.grad(lambda x: chain(autograd.numpy, x))(x16))
               if autograd else None)
    rows.append(row)

    closed = ftrans.make_jaxpr(lambda x: chain(jnp, x))(x16)
    n_eqns = len(closed.eqns)
    t_eval = median_ms(lambda: ftrans.eval_jaxpr(closed.jaxpr, closed.consts, x16))
    t_np = median_ms(lambda: chain(np, x16))
    rows.append([f"eval_jaxpr, {n_eqns} eqns, f64[16]", t_eval, t_np, None])

    for batch, d, hidden in [(64, 32, 64), (512, 256, 512)]:
        W1 = rng.standard_normal((d, hidden)) / np.sqrt(d)
        W2 = rng.standard_normal((hidden, 10)) / np.sqrt(hidden)
        x, y = rng.standard_normal((batch, d)), rng.standard_normal((batch, 10))
        g = ftrans.grad(lambda a, b: mlp_loss(jnp, a, b, x, y), argnums=(0, 1))
        for got, want in zip(g(W1, W2), mlp_numpy_grad(W1, W2, x, y)):
            assert np.allclose(got, want)
        row = [f"grad, MLP {batch}x{d}->{hidden}->10", median_ms(lambda: g(W1, W2)),
               median_ms(lambda: mlp_numpy_grad(W1, W2, x, y))]
        row.append(median_ms(lambda: autograd.grad(
            lambda a, b: mlp_loss(autograd.numpy, a, b, x, y), argnum=(0, 1))(W1, W2))
            if autograd else None)
        rows.append(row)

    Wh, xs = rng.standard_normal((16, 16)) * 0.3, rng.standard_normal((100, 16))
    g_scan, g_unrolled = ftrans.grad(rnn_scan_loss), ftrans.grad(rnn_unrolled_loss)
    assert np.allclose(g_scan(Wh, xs), g_unrolled(Wh, xs))
    rows.append(["grad, RNN scan T=100 (vs unrolled loop)", median_ms(lambda: g_scan(Wh, xs)),
                 median_ms(lambda: g_unrolled(Wh, xs)), None])

    for name, n, m in [("tall", 8, 256), ("wide", 256, 8)]:
        A = rng.standard_normal((m, n)) / np.sqrt(n)
        f = lambda v: jnp.tanh(A @ jnp.sin(v))  # noqa: E731
        v = rng.standard_normal(n)
        rows.append([f"jacfwd {name} {m}x{n} (vs jacrev)", median_ms(lambda: ftrans.jacfwd(f)(v)),
                     median_ms(lambda: ftrans.jacrev(f)(v)), None])

    # vmap (issue 10): targets are ratios to hand-written numpy
    feats = 100
    w = rng.standard_normal(feats) * 0.1
    xs_lr, ys_lr = rng.standard_normal((256, feats)), (rng.random(256) > 0.5).astype(float)
    pe = ftrans.vmap(ftrans.grad(lambda w, x, y: logistic_example_loss(jnp, w, x, y)),
                     in_axes=(None, 0, 0))
    assert np.allclose(pe(w, xs_lr, ys_lr), logistic_per_example_numpy(w, xs_lr, ys_lr))
    rows.append(["vmap(grad) logistic, B=256 F=100", median_ms(lambda: pe(w, xs_lr, ys_lr)),
                 median_ms(lambda: logistic_per_example_numpy(w, xs_lr, ys_lr)), None, 1.5])
    for name, n, m, jac in [("jacfwd tall 20->2000", 20, 2000, ftrans.jacfwd),
                            ("jacrev wide 2000->20", 2000, 20, ftrans.jacrev)]:
        A, Bm = rng.standard_normal((m, 50)) / 7, rng.standard_normal((50, n)) / np.sqrt(n)
        v = rng.standard_normal(n)
        jf = jac(lambda x: two_tanh(jnp, A, Bm, x))
        assert np.allclose(jf(v), two_tanh_jacobian_numpy(A, Bm, v))
        rows.append([f"{name}, tanh(A tanh(B x))", median_ms(lambda: jf(v)),
                     median_ms(lambda: two_tanh_jacobian_numpy(A, Bm, v)), None, 1.5])
    if hasattr(ftrans, "jacobian"):  # cost analysis (issue 12): auto vs the faster mode
        rows.extend(jacobian_auto_rows(rng))
    Ah, xh = rng.standard_normal((50, 200)) / 14, rng.standard_normal(200)
    hf = ftrans.hessian(lambda x: hess_fn(jnp, Ah, x))
    assert np.allclose(hf(xh), hess_numpy(Ah, xh))
    rows.append(["hessian, 200 inputs, sum tanh(A x)", median_ms(lambda: hf(xh)),
                 median_ms(lambda: hess_numpy(Ah, xh)), None, 3.0])

    if hasattr(ftrans, "jit"):  # jit (issue 11): targets are ratios to hand-written numpy
        rows.extend(jit_rows(rng, x16, pe, w, xs_lr, ys_lr, Ah, xh))

    # what the ftrans.Array subclass costs: ftrans.numpy's eager boundary, and
    # numpy's own operations and indexing on an Array (1000 calls each)
    a = jnp.sin(x16)
    plain = np.asarray(a)
    thousand = range(1000)
    rows.append(["eager jnp.sin x1000, f64[16] (vs np.sin)",
                 median_ms(lambda: [jnp.sin(x16) for _ in thousand]),
                 median_ms(lambda: [np.sin(x16) for _ in thousand]), None])
    rows.append(["np.sin on an ftrans.Array x1000 (vs ndarray)",
                 median_ms(lambda: [np.sin(a) for _ in thousand]),
                 median_ms(lambda: [np.sin(plain) for _ in thousand]), None])
    rows.append(["ftrans.Array[3] x1000 (vs ndarray)",
                 median_ms(lambda: [a[3] for _ in thousand]),
                 median_ms(lambda: [plain[3] for _ in thousand]), None])

    x2 = np.array([0.3, 0.7])
    rows.append(["first grad, 16 nested conds (vs depth 4)",
                 first_call_ms(lambda: ftrans.grad(lambda x: jnp.sum(nested_cond(x, 16)))(x2)),
                 first_call_ms(lambda: ftrans.grad(lambda x: jnp.sum(nested_cond(x, 4)))(x2)),
                 None])
    rows.append(["first grad, 10k-op chain (vs 1k ops)",
                 first_call_ms(lambda: ftrans.grad(lambda x: chain(jnp, x, 2500))(x16)),
                 first_call_ms(lambda: ftrans.grad(lambda x: chain(jnp, x, 250))(x16)), None])

    print(f"{'benchmark':44} {'ftrans ms':>10} {'baseline ms':>12} {'ratio':>7} "
          f"{'target':>7} {'autograd ms':>12}")
    for name, ours, base, ag, *target in rows:
        ag_text = f"{ag:12.3f}" if ag is not None else f"{'-':>12}"
        goal = f"{'<=' + format(target[0], 'g'):>7}" if target else f"{'':>7}"
        print(f"{name:44} {ours:10.3f} {base:12.3f} {ours / base:7.2f} {goal} {ag_text}")
    if hasattr(ftrans, "cost_analysis"):
        print(f"\n{'peak memory of intermediates':44} {'predicted MB':>12} "
              f"{'measured MB':>12} {'ratio':>7} {'target':>7}")
        for name, predicted, measured in memory_rows(rng):
            print(f"{name:44} {predicted / 1e6:12.3f} {measured / 1e6:12.3f} "
                  f"{measured / predicted:7.2f} {'0.75-1.25':>9}")
        print("measured: tracemalloc's peak while eval_jaxpr runs the jaxpr.")
    print("baseline: hand-written numpy, except where the name says '(vs ...)'."
          + ("" if autograd else " autograd not installed.")
          + ("" if jax else " JAX not installed."))


if __name__ == "__main__":
    main()
