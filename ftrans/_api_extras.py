"""Small top-level names of JAX's API that have a meaning on numpy.

``block_until_ready``: ftrans computes eagerly and synchronously, so every
value is ready when it is returned; the function is the identity on a pytree
(checking that its leaves are arrays), kept so that JAX timing code runs
unchanged.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def block_until_ready(x: T) -> T:
    """``x`` itself: ftrans's results are always ready (as ``jax.block_until_ready``).

    >>> import numpy as np, ftrans
    >>> tree = {"a": np.ones(2)}
    >>> ftrans.block_until_ready(tree) is tree
    True
    """
    return x
