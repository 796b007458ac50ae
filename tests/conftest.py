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
