"""Shared test setup: every jaxpr built during the tests is type-checked, and
each test gets a seeded float64 random generator.

Cases marked ``@pytest.mark.long`` (the extra seeds of the randomized tests)
are skipped unless the environment variable ``FTRANS_LONG_TESTS=1`` is set:
the default run keeps CI fast, the long run checks every case."""

import os

import numpy as np
import pytest

import ftrans.check

LONG_TESTS = os.environ.get("FTRANS_LONG_TESTS", "") not in ("", "0")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "long: a case run only in the long run (FTRANS_LONG_TESTS=1)")


def pytest_collection_modifyitems(config, items):
    if LONG_TESTS:
        return
    skip = pytest.mark.skip(reason="long run only: set FTRANS_LONG_TESTS=1 to run it")
    for item in items:
        if item.get_closest_marker("long") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _check_every_jaxpr():
    with ftrans.check.enable_checks():
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _restore_primitive_registry():
    """Primitives a test makes leave ``Primitive.registry`` with the test, so
    that their names can be used again (names are unique) and the coverage
    gate sees only the library's. Library primitives first registered during
    the test (a module imported late) stay."""
    from ftrans.core import Primitive
    registry = Primitive.registry
    before = dict(registry)
    yield
    added = {n: p for n, p in registry.items() if n not in before and p.in_library}
    registry.clear()
    registry.update(before)
    registry.update(added)
