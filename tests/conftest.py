"""Shared test setup: every jaxpr built during the tests is type-checked, and
each test gets a seeded float64 random generator."""

import numpy as np
import pytest

import ftrans.core


@pytest.fixture(autouse=True)
def _check_every_jaxpr():
    ftrans.core.enable_checks = True
    yield
    ftrans.core.enable_checks = False


@pytest.fixture
def rng():
    return np.random.default_rng(0)
