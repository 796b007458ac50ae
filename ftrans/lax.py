"""``ftrans.lax``: the primitives' functional forms (as ``jax.lax``).

Each function binds one primitive; operands must already have matching
dtypes and shapes (rank-0 operands broadcast). ``ftrans.numpy`` is the
friendlier layer on top.
"""

from ftrans.prims.elementwise import *  # noqa: F401,F403
from ftrans.prims.elementwise import __all__ as _elementwise
from ftrans.prims.reductions import *  # noqa: F401,F403
from ftrans.prims.reductions import __all__ as _reductions
from ftrans.prims.shape import *  # noqa: F401,F403
from ftrans.prims.shape import __all__ as _shape
from ftrans.prims.sorting import *  # noqa: F401,F403
from ftrans.prims.sorting import __all__ as _sorting
from ftrans.prims.linalg import *  # noqa: F401,F403
from ftrans.prims.linalg import __all__ as _linalg
from ftrans.prims import linalg  # noqa: F401  (ftrans.lax.linalg.triangular_solve)
from ftrans.prims.control import cond, fori_loop, scan, switch, while_loop  # noqa: F401
from ftrans.prims.special import stop_gradient  # noqa: F401

__all__ = [*_elementwise, *_reductions, *_shape, *_sorting, *_linalg, "cond", "switch",
           "scan", "fori_loop", "while_loop", "stop_gradient"]
