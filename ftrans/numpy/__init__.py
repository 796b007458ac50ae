"""``ftrans.numpy``: numpy's API on traced and concrete arrays (as ``jax.numpy``).

Functions promote and broadcast their arguments explicitly, then bind
primitives. Outside any transformation they run eagerly and return
``numpy.ndarray``.
"""

from numpy import (bool_, complex64, complex128, dtype, e, float16, float32,  # noqa: F401
                   float64, inf, int8, int16, int32, int64, nan, newaxis, pi,
                   uint8, uint16, uint32, uint64)

from ftrans.numpy._ufuncs import *  # noqa: F401,F403
from ftrans.numpy import _methods  # noqa: F401  (attaches operators to Tracer)
