"""ftrans: JAX-style functional transformations on numpy.

>>> import ftrans, ftrans.numpy as jnp
>>> float(ftrans.grad(lambda x: jnp.sin(x) * x)(0.0))
0.0
"""

from ftrans.api import (grad, hessian, jacfwd, jacobian, jacrev, jvp, linear_transpose,  # noqa: F401
                        linearize, make_jaxpr, value_and_grad, vjp)
from ftrans.custom_derivatives import checkpoint, custom_jvp, custom_vjp, remat  # noqa: F401
from ftrans.batching import vmap  # noqa: F401
from ftrans.jit import ShapeDtypeStruct, cost_analysis, eval_shape, jit  # noqa: F401
from ftrans import config  # noqa: F401
from ftrans.prims.special import stop_gradient  # noqa: F401
from ftrans.array import Array  # noqa: F401
from ftrans.core import ClosedJaxpr, Jaxpr, ShapedArray  # noqa: F401
from ftrans.errors import ConcretizationError, TracerLeakError  # noqa: F401
from ftrans.eval import eval_jaxpr  # noqa: F401
from ftrans.check import check_jaxpr  # noqa: F401
from ftrans import lax, nn, numpy, tree_util, viz  # noqa: F401
from ftrans import ad_checkpoint, flatten_util, tree  # noqa: F401
from ftrans.ad_checkpoint import checkpoint_policies  # noqa: F401
from ftrans import debug  # noqa: F401,E402
from ftrans._api_extras import block_until_ready  # noqa: F401,E402
from ftrans import scipy  # noqa: F401,E402
from ftrans import random  # noqa: F401,E402

__version__ = "0.1.0"
