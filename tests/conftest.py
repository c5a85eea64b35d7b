"""Every test runs against throw-away caches and stores, never the checkout's .vadbench or results.db."""

from __future__ import annotations

import os
import tempfile

import pytest

from vadbench import plugins

_SESSION_HOME = tempfile.mkdtemp(prefix="vadbench-test-home-")


def pytest_configure(config):
    os.environ["VADBENCH_HOME"] = _SESSION_HOME  # shared: synthetic videos are generated once per session
    os.environ.pop("VADBENCH_DB", None)
    os.environ.pop("VADBENCH_REGISTRY", None)


@pytest.fixture
def fresh_plugins():
    """Forget loaded plugins before and after a test that changes what is registered."""
    plugins.reset()
    yield
    plugins.reset()
