"""``ftrans.numpy``: numpy's API on traced and concrete arrays (as ``jax.numpy``).

Functions promote and broadcast their arguments explicitly, then bind
primitives. Outside any transformation they run eagerly and return
``ftrans.Array``s (``numpy.ndarray``s with ``.at``). The modules:
``_ufuncs`` (elementwise functions, the promotion every function applies
and the ``public`` boundary every exported function passes), ``_reductions``, ``_shape``,
``_creation``, ``_sorting`` (``sort``, ``median``, ``quantile``, ...),
``_indexing`` (``x[idx]``, ``x.at[idx]``), ``_linalg_ops``
(``dot``, ``matmul``, ``einsum``, ...), ``linalg``, and ``_methods``, which
attaches the operators and array methods to traced arrays, and ``x.at`` and
traced indexing to ``ftrans.Array``.
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
from ftrans.numpy._more import *  # noqa: F401,F403
from ftrans.numpy._sets import *  # noqa: F401,F403
from ftrans.numpy._index_tricks import *  # noqa: F401,F403
from ftrans.numpy._vectorize import *  # noqa: F401,F403
from ftrans.numpy._misc import *  # noqa: F401,F403
from ftrans.numpy._misc import (ComplexWarning, cdouble, character, complex_, csingle,  # noqa: F401
                                double, flexible, float_, int_, object_, single, uint)
from ftrans.numpy._einsum import einsum  # noqa: F401  (adds the sublist form)
from ftrans.numpy._signal import *  # noqa: F401,F403
from ftrans.numpy import _indexing  # noqa: F401  (x[idx] and x.at on tracers)
from ftrans.numpy import linalg  # noqa: F401
from ftrans.numpy import fft  # noqa: F401,E402


def _export_public():
    # every function of the namespace takes lists of tracers as array-likes and
    # returns ftrans.Arrays: one rule at the boundary (_ufuncs.public), not per
    # function; aliases (asin, arcsin) stay one object
    import inspect
    from ftrans.numpy._ufuncs import public, wrap_public
    wrap_public(globals())
    for name in linalg.__all__:
        f = getattr(linalg, name)
        if inspect.isfunction(f):
            setattr(linalg, name, public(f))


_export_public()

from ftrans.numpy import _methods  # noqa: F401,E402  (operators on Tracer, .at on Array)

bool = bool_  # noqa: A001  (jnp.bool, as numpy 2 and the array API)
