"""``ftrans.config``: global switches, set as attributes or with ``update``.

>>> import ftrans
>>> ftrans.config.explain_cache_misses = True     # or:
>>> ftrans.config.update("explain_cache_misses", False)
>>> ftrans.config.explain_cache_misses
False

- ``explain_cache_misses`` (default False): when ``jit`` traces a function
  again, log (``logging``, logger ``ftrans.jit``, level WARNING) which part of
  the cache key changed (the number of arguments, the tree structure, an
  argument's shape or dtype, a static argument's value) and from what to what.
- ``log_compiles`` (default False): log every trace + compile of ``jit``,
  with the argument types and the time it took.
- ``jit_cache_size`` (default 64): how many traced versions (cache entries)
  each jitted function keeps; beyond it the least recently used one goes.
"""

from __future__ import annotations

explain_cache_misses: bool = False
log_compiles: bool = False
jit_cache_size: int = 64

_NAMES = ("explain_cache_misses", "log_compiles", "jit_cache_size")


def update(name: str, value) -> None:
    """Set option ``name`` (JAX's spelling ``jax_log_compiles`` works too).

    >>> update("jax_log_compiles", False)
    """
    for prefix in ("jax_", "ftrans_"):
        if name.startswith(prefix) and name[len(prefix):] in _NAMES:
            name = name[len(prefix):]
    if name not in _NAMES:
        raise AttributeError(f"ftrans.config has no option '{name}'; the options are "
                             f"{', '.join(_NAMES)}")
    if name == "jit_cache_size" and (not isinstance(value, int) or value < 1):
        raise ValueError(f"jit_cache_size must be a positive int, got {value!r}")
    globals()[name] = value


def values() -> dict:
    """The current options, ``{name: value}``."""
    return {n: globals()[n] for n in _NAMES}
