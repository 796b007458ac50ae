"""The functions of the numpy modules below the later additions, as one
namespace (``_more``, ``_sets``, ``_index_tricks``, ``_vectorize`` and
``_misc`` call ``jnp.<name>`` through it, without importing the
``ftrans.numpy`` package they are part of)."""

from ftrans.numpy._ufuncs import *  # noqa: F401,F403
from ftrans.numpy._reductions import *  # noqa: F401,F403
from ftrans.numpy._sorting import *  # noqa: F401,F403
from ftrans.numpy._shape import *  # noqa: F401,F403
from ftrans.numpy._creation import *  # noqa: F401,F403
from ftrans.numpy._indexing import *  # noqa: F401,F403
from ftrans.numpy._linalg_ops import *  # noqa: F401,F403
from ftrans.numpy import linalg  # noqa: F401
from ftrans.numpy._ufuncs import wrap_public as _wrap_public


# the boundary of the package: results are ftrans.Arrays, which take traced
# indices, as in the package's namespace
_wrap_public(globals())
