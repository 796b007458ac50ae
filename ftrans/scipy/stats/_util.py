"""Helpers shared by the distributions of ``ftrans.scipy.stats``: argument
promotion (one inexact dtype, numpy broadcasting; Python numbers stay weak),
the lazy import of ``ftrans.scipy.special`` and scipy's ``nan`` for invalid
parameters."""

from __future__ import annotations

import ftrans.numpy as jnp
from ftrans.numpy._ufuncs import promote


def promote_args(name, *args):
    """``args`` promoted to one inexact dtype and broadcast (rank-0 kept rank 0)."""
    return promote(name, *args, inexact=True)


def special():
    from ftrans.scipy import special as _special
    return _special


def nan_unless(valid, out):
    """``out`` where the parameters are ``valid``, else ``nan`` (as scipy)."""
    return jnp.where(valid, out, jnp.nan)


def standardize(name, x, loc, scale):
    """Promoted ``x, loc, scale`` and ``z = (x - loc) / scale``."""
    x, loc, scale = promote_args(name, x, loc, scale)
    return x, loc, scale, (x - loc) / scale
