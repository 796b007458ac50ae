"""``ftrans.scipy``: the parts of scipy's API that ftrans provides (as
``jax.scipy``), built on ``ftrans.numpy`` and the primitives; scipy itself is
not needed.

>>> import numpy as np, ftrans.scipy
>>> ftrans.scipy.linalg.block_diag(np.ones((1, 1)), 2 * np.ones((1, 1)))
array([[1., 0.],
       [0., 2.]])
"""

from ftrans.scipy import linalg  # noqa: F401
from ftrans.scipy import special  # noqa: F401
from ftrans.scipy import optimize, signal, stats  # noqa: F401

__all__ = ["linalg", "special", "optimize", "signal", "stats"]
