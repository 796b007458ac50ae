"""Every public function and class has a docstring with a runnable example
(pytest runs them all with --doctest-modules)."""

import inspect

import pytest

import ftrans
import ftrans.lax
import ftrans.nn
import ftrans.numpy
import ftrans.numpy.fft
import ftrans.numpy.linalg
import ftrans.ad_checkpoint
import ftrans.dask
import ftrans.debug
import ftrans.flatten_util
import ftrans.random
import ftrans.scipy.linalg
import ftrans.scipy.optimize
import ftrans.scipy.signal
import ftrans.scipy.special
import ftrans.scipy.stats
import ftrans.test_util
import ftrans.tree
import ftrans.tree_util
import ftrans.viz

_STATS = [getattr(ftrans.scipy.stats, name) for name in ftrans.scipy.stats.__all__]
MODULES = [ftrans, ftrans.lax, ftrans.numpy, ftrans.numpy.linalg, ftrans.numpy.fft,
           ftrans.nn, ftrans.tree_util, ftrans.tree, ftrans.flatten_util, ftrans.test_util,
           ftrans.viz, ftrans.scipy.linalg, ftrans.scipy.special, ftrans.scipy.signal,
           ftrans.scipy.optimize, *_STATS, ftrans.random, ftrans.ad_checkpoint,
           ftrans.debug, ftrans.dask]


def _public(module):
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if (inspect.isfunction(obj) or inspect.isclass(obj) or callable(obj)) and \
                getattr(obj, "__module__", "").startswith("ftrans"):
            yield f"{module.__name__}.{name}", obj


PUBLIC = dict(item for m in MODULES for item in _public(m))


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_has_a_runnable_example(name):
    doc = inspect.getdoc(PUBLIC[name]) or ""
    assert ">>>" in doc, f"{name} has no docstring example"


def test_the_public_surface_is_large():
    assert len(PUBLIC) > 300
