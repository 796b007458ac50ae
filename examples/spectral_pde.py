"""A spectral method for the periodic Poisson equation, differentiated with grad.

On [0, 2 pi) the equation ``-u'' = f`` with ``f = sin(x) + cos(3 x)`` has the
solution ``u = sin(x) + cos(3 x) / 9`` (up to a constant, fixed by asking for
zero mean). Derivatives are spectral: ``u'' = irfft(-(k^2) rfft(u))``. The
residual's squared norm is a quadratic in the grid values ``u``; its gradient
and Hessian come from ftrans through ``rfft``/``irfft``, and one Newton step
solves the discretized equation to rounding. A few gradient-descent steps on
the same loss, preconditioned in Fourier space, show the gradient at work.

Run: python examples/spectral_pde.py [--small]
"""

import sys

import numpy as np

import ftrans
import ftrans.numpy as jnp

n = 16 if "--small" in sys.argv else 64
x = 2 * np.pi * np.arange(n) / n
k = np.fft.rfftfreq(n, 1 / n)          # wavenumbers 0, 1, ..., n/2
f = np.sin(x) + np.cos(3 * x)
exact = np.sin(x) + np.cos(3 * x) / 9


def second_derivative(u):
    return jnp.fft.irfft(-(k ** 2) * jnp.fft.rfft(u), n=n)


def loss(u):
    residual = -second_derivative(u) - f
    return jnp.mean(residual ** 2) + jnp.mean(u) ** 2


u0 = np.zeros(n)
print(f"n = {n}, initial loss {float(loss(u0)):.3e}")

# one Newton step: the loss is quadratic, so it lands on the minimum
g, H = ftrans.grad(loss)(u0), ftrans.hessian(loss)(u0)
u = u0 - np.linalg.solve(H, g)
print(f"after one Newton step: loss {float(loss(u)):.3e}, "
      f"max error vs exact {np.max(np.abs(u - exact)):.3e}")

# gradient descent, preconditioned by 1/(1 + k^4) in Fourier space
step = ftrans.jit(lambda u: u - 0.5 * n * jnp.fft.irfft(
    jnp.fft.rfft(ftrans.grad(loss)(u)) / (1 + k ** 4), n=n))
u = u0
for i in range(30):
    u = step(u)
print(f"after 30 preconditioned gradient steps: loss {float(loss(u)):.3e}, "
      f"max error vs exact {np.max(np.abs(u - exact)):.3e}")

# the gradient agrees with central finite differences
e = np.zeros(n)
e[3] = 1e-6
fd = (loss(u0 + e) - loss(u0 - e)) / 2e-6
print(f"d loss / d u[3]: grad {float(g[3]):.8f}, finite difference {float(fd):.8f}")
