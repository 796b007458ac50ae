"""``ftrans.scipy.stats``: probability distributions (as ``jax.scipy.stats``).

One module per distribution, each a set of functions with scipy's names and
arguments (``logpdf``/``pdf`` or ``logpmf``/``pmf``, ``cdf``, ``logcdf``,
``sf``, ``logsf``, ``ppf``, ``isf``; ``loc`` and ``scale`` as scipy). They
are compositions of ``ftrans.numpy`` and ``ftrans.scipy.special``, so they
differentiate in every argument, batch under ``vmap`` and compile under
``jit``. Outside the support a log density is ``-inf`` and a density 0;
invalid parameters (``scale <= 0``, ``p`` outside ``[0, 1]``, ...) give
``nan``, as scipy.

>>> from ftrans.scipy import stats
>>> round(float(stats.norm.logpdf(1.0, loc=1.0)), 6)
-0.918939
"""

from ftrans.scipy.stats import (bernoulli, beta, binom, cauchy, chi2, dirichlet,  # noqa: F401
                                expon, gamma, laplace, logistic, multivariate_normal, norm,
                                poisson, t, uniform)

__all__ = ["bernoulli", "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma",
           "laplace", "logistic", "multivariate_normal", "norm", "poisson", "t", "uniform"]


def _export_public():
    # as ftrans.numpy: lists of tracers are array-likes, results leave as Arrays
    from ftrans.numpy._ufuncs import public
    for name in __all__:
        module = globals()[name]
        for fname in module.__all__:
            setattr(module, fname, public(getattr(module, fname)))


_export_public()
