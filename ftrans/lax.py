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
from ftrans.prims.fft import *  # noqa: F401,F403
from ftrans.prims.fft import __all__ as _fft
from ftrans.prims.special_functions import *  # noqa: F401,F403
from ftrans.prims.special_functions import __all__ as _special_functions
from ftrans.prims.random import threefry2x32  # noqa: F401  (ftrans.random's cipher)
from ftrans.prims.control import cond, fori_loop, scan, switch, while_loop  # noqa: F401
from ftrans.prims.special import stop_gradient  # noqa: F401
from ftrans._lax_extras import *  # noqa: F401,F403,E402
from ftrans._lax_extras import __all__ as _extras

__all__ = [*_elementwise, *_reductions, *_shape, *_sorting, *_linalg, *_fft,
           *_special_functions, "cond", "switch",
           "scan", "fori_loop", "while_loop", "stop_gradient", *_extras]
