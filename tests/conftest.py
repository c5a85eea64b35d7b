"""Every test runs against throw-away caches and stores, never the checkout's .vadbench or results.db."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from vadbench import plugin_host

_SESSION_HOME = tempfile.mkdtemp(prefix="vadbench-test-home-")


def pytest_configure(config):
    os.environ["VADBENCH_HOME"] = _SESSION_HOME  # shared: synthetic videos are generated once per session
    os.environ.pop("VADBENCH_DB", None)
    os.environ.pop("VADBENCH_REGISTRY", None)


@pytest.fixture
def fresh_plugins():
    """Forget loaded plugins before and after a test that changes what is registered."""
    plugin_host.reset()
    yield
    plugin_host.reset()


def run_vadbench(*args: str, cwd, env_extra=None, wait: bool = True):
    """The real CLI in a subprocess run from ``cwd`` (its results.db lives there); ``wait=False`` returns the
    running ``Popen`` (for kill and concurrency tests)."""
    env = {**os.environ, "COLUMNS": "200", **(env_extra or {})}
    command = [sys.executable, "-c", "from vadbench.cli import main; main()", *args]
    if not wait:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture
def vadbench():
    """``vadbench(*args, cwd=..., env_extra=None, wait=True)``: run the CLI as a user would."""
    return run_vadbench
