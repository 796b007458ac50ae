"""Plain numpy code, differentiated: a Lennard-Jones cluster relaxed by Newton's method.

The energy below is written with ``import numpy as np`` only: no ftrans in
sight. Under ``ftrans.grad`` and ``ftrans.hessian`` its numpy calls reach the
traced arrays' ``__array_ufunc__`` / ``__array_function__`` and are traced
like their ``ftrans.numpy`` twins, so the same function gives energies on
plain arrays and exact derivatives under the transformations.

Four atoms start from a distorted square and relax into the regular
tetrahedron: energy -6 (in units of the well depth), every pair at distance
2^(1/6). The Hessian of a free cluster is singular (translations and
rotations cost no energy), so each Newton step solves (H + lam I) p = -g and
adapts the damping lam (Levenberg-Marquardt). Run: python examples/plain_numpy.py
"""

import numpy as np

import ftrans

N_ATOMS = 4
PAIRS = np.triu_indices(N_ATOMS, 1)  # each pair once: i < j


def energy(x):
    """Lennard-Jones energy sum_{i<j} 4 (r^-12 - r^-6) of flat coordinates."""
    pos = np.reshape(x, (N_ATOMS, 3))
    diff = pos[PAIRS[0]] - pos[PAIRS[1]]
    inv_r6 = 1.0 / np.sum(diff ** 2, axis=1) ** 3
    return np.sum(4.0 * (inv_r6 ** 2 - inv_r6))


def energy_gradient_by_hand(x):
    """The same gradient derived on paper, to check ftrans.grad against."""
    pos = x.reshape(N_ATOMS, 3)
    diff = pos[PAIRS[0]] - pos[PAIRS[1]]
    r2 = np.sum(diff ** 2, axis=1)
    de_dr2 = 4.0 * (-6.0 / r2 ** 7 + 3.0 / r2 ** 4)
    force = 2.0 * de_dr2[:, None] * diff
    grad = np.zeros_like(pos)
    np.add.at(grad, PAIRS[0], force)
    np.add.at(grad, PAIRS[1], -force)
    return grad.ravel()


def newton(x, steps=50, tol=1e-9):
    """Damped Newton: a step that lowers the energy is taken and the damping
    relaxed; one that does not is retried with more damping."""
    grad_e, hess_e = ftrans.grad(energy), ftrans.hessian(energy)
    lam = 1.0
    print(f"{'iter':>4} {'energy':>12} {'|grad|':>10} {'damping':>9}")
    for it in range(steps):
        e, g = energy(x), grad_e(x)
        print(f"{it:4d} {e:12.8f} {np.linalg.norm(g):10.2e} {lam:9.1e}")
        if np.linalg.norm(g) < tol:
            break
        H = hess_e(x)
        while lam < 1e12:
            step = np.linalg.solve(H + lam * np.eye(x.size), -g)
            if energy(x + step) <= e:
                x, lam = x + step, max(lam / 3.0, 1e-12)
                break
            lam *= 4.0
        else:
            break  # no step lowers the energy any more: converged to rounding
    return x


def main():
    start = np.array([[0.0, 0.0, 0.0], [1.2, 0.1, 0.0], [1.1, 1.3, 0.2],
                      [-0.1, 1.1, 0.3]]).ravel()
    diff = np.max(np.abs(ftrans.grad(energy)(start) - energy_gradient_by_hand(start)))
    print(f"ftrans.grad vs the gradient by hand, max abs difference: {diff:.2e}")
    x = newton(start)
    pos = x.reshape(N_ATOMS, 3)
    r = np.linalg.norm(pos[PAIRS[0]] - pos[PAIRS[1]], axis=1)
    print(f"final energy {energy(x):.8f} (tetrahedron: -6)")
    print(f"pair distances {np.array2string(r, precision=6)} (2^(1/6) = {2 ** (1 / 6):.6f})")


if __name__ == "__main__":
    main()
