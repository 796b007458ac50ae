"""``ftrans.numpy``: numpy's API on traced and concrete arrays (as ``jax.numpy``).

Functions promote and broadcast their arguments explicitly, then bind
primitives. Outside any transformation they run eagerly and return
``numpy.ndarray``. The modules: ``_ufuncs`` (elementwise functions and the
promotion every function applies), ``_reductions``, ``_shape``,
``_creation``, ``_sorting`` (``sort``, ``median``, ``quantile``, ...),
``_indexing`` (``x[idx]``, ``x.at[idx]``), ``_linalg_ops``
(``dot``, ``matmul``, ``einsum``, ...), ``linalg``, and ``_methods``, which
attaches the operators and array methods to traced arrays.
"""

from numpy import (bool_, complex64, complex128, complexfloating, dtype, e, euler_gamma,  # noqa: F401
                   finfo, float16, float32, float64, floating, generic, iinfo, inexact, inf,
                   int8, int16, int32, int64, integer, issubdtype, nan, ndarray, newaxis,
                   number, pi, promote_types, signedinteger, uint8, uint16, uint32, uint64,
                   unsignedinteger)

from ftrans.numpy._ufuncs import *  # noqa: F401,F403
from ftrans.numpy._reductions import *  # noqa: F401,F403
from ftrans.numpy._sorting import *  # noqa: F401,F403
from ftrans.numpy._shape import *  # noqa: F401,F403
from ftrans.numpy._creation import *  # noqa: F401,F403
from ftrans.numpy._indexing import *  # noqa: F401,F403
from ftrans.numpy._linalg_ops import *  # noqa: F401,F403
from ftrans.numpy import _indexing  # noqa: F401  (x[idx] and x.at on tracers)
from ftrans.numpy import linalg  # noqa: F401
from ftrans.numpy import _methods  # noqa: F401  (attaches operators to Tracer)

bool = bool_  # noqa: A001  (jnp.bool, as numpy 2 and the array API)
