"""jacfwd vs jacrev: the cost argument of forward and reverse mode, measured.

For f: R^n -> R^m, forward mode builds the Jacobian column by column (n
Jacobian-vector products), reverse mode row by row (m vector-Jacobian
products). So forward mode wins for tall Jacobians (m >> n) and reverse mode
for wide ones (n >> m). Run: python examples/jacobians.py [--small]
"""

import sys
import time

import numpy as np

import ftrans
import ftrans.numpy as jnp


def make_f(n, m, rng):
    """A two-layer map R^n -> R^m with a hidden width of 32."""
    A = rng.standard_normal((32, n)) / np.sqrt(n)
    B = rng.standard_normal((m, 32)) / np.sqrt(32)
    return lambda x: jnp.tanh(B @ jnp.sin(A @ x))


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(small: bool = False):
    rng = np.random.default_rng(0)
    big, little, repeats = (60, 4, 3) if small else (400, 10, 5)
    cases = [("tall", little, big), ("square", big // 4, big // 4), ("wide", big, little)]
    print(f"{'case':8} {'n':>5} {'m':>5} {'jacfwd ms':>10} {'jacrev ms':>10}  faster")
    for name, n, m in cases:
        f, x = make_f(n, m, rng), rng.standard_normal(n)
        J_fwd, J_rev = ftrans.jacfwd(f)(x), ftrans.jacrev(f)(x)
        assert J_fwd.shape == (m, n) and np.allclose(J_fwd, J_rev)
        t_fwd = median_time(lambda: ftrans.jacfwd(f)(x), repeats)
        t_rev = median_time(lambda: ftrans.jacrev(f)(x), repeats)
        faster = "forward" if t_fwd < t_rev else "reverse"
        print(f"{name:8} {n:5d} {m:5d} {t_fwd * 1e3:10.2f} {t_rev * 1e3:10.2f}  {faster}")


if __name__ == "__main__":
    main(small="--small" in sys.argv)
