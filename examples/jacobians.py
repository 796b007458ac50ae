"""jacfwd vs jacrev vs jacobian(mode="auto"): the cost argument of forward
and reverse mode, predicted from the jaxprs and then measured.

For f: R^n -> R^m, forward mode builds the Jacobian column by column (n
Jacobian-vector products), reverse mode row by row (m vector-Jacobian
products) and keeps the forward pass's residuals. So forward mode wins for
tall Jacobians (m >> n) and reverse mode for wide ones (n >> m).
``ftrans.jacobian`` analyses the cost of both plans before running either
(``jacobian(f).plan(x)``) and runs the cheaper one.
Run: python examples/jacobians.py [--small]
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
    big, little, repeats = (200, 10, 3) if small else (2000, 20, 5)
    cases = [("tall", little, big), ("square", big // 4, big // 4), ("wide", big, little)]
    for name, n, m in cases:
        f, x = make_f(n, m, rng), rng.standard_normal(n)
        plan = ftrans.jacobian(f).plan(x)
        J_fwd, J_rev, J_auto = ftrans.jacfwd(f)(x), ftrans.jacrev(f)(x), ftrans.jacobian(f)(x)
        assert J_fwd.shape == (m, n) and np.allclose(J_fwd, J_rev)
        assert np.array_equal(J_auto, J_fwd if plan.mode == "fwd" else J_rev)
        t_fwd = median_time(lambda: ftrans.jacfwd(f)(x), repeats)
        t_rev = median_time(lambda: ftrans.jacrev(f)(x), repeats)
        t_auto = median_time(lambda: ftrans.jacobian(f)(x), repeats)
        print(f"{name} (n={n}, m={m})")
        print(f"  predicted {plan.forward}")
        print(f"  predicted {plan.reverse}")
        print(f"  chosen: {plan.mode}")
        print(f"  measured: jacfwd {t_fwd * 1e3:.2f} ms, jacrev {t_rev * 1e3:.2f} ms, "
              f"jacobian(auto) {t_auto * 1e3:.2f} ms; faster: "
              f"{'fwd' if t_fwd < t_rev else 'rev'}")


if __name__ == "__main__":
    main(small="--small" in sys.argv)
