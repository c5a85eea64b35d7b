"""Every test runs against throw-away caches and stores, never the checkout's .vadbench or results.db."""

from __future__ import annotations

import importlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


# -- the CLI in a real process ---------------------------------------------------------------------------------

def run_vadbench(*args: str, cwd, env_extra=None, wait: bool = True):
    """The real CLI in a subprocess run from ``cwd`` (its results.db lives there); ``wait=False`` returns the
    running ``Popen`` (for kill and concurrency tests)."""
    env = {**os.environ, "COLUMNS": "200", **(env_extra or {})}
    command = [sys.executable, "-c", "from vadbench.cli import main; main()", *args]
    if not wait:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture
def vadbench_process():
    """``vadbench_process(*args, cwd=..., env_extra=None, wait=True)``: the CLI in its own process, for what only a
    real process shows: signals and kills, concurrent processes (``wait=False``), output off a real pipe, and
    plugins installed on ``PYTHONPATH`` with their entry points."""
    return run_vadbench


# -- the CLI in this process -----------------------------------------------------------------------------------

def run_vadbench_in_process(*args: str, cwd, env_extra=None) -> subprocess.CompletedProcess:
    """``vadbench.cli.main()`` in this process, through typer's ``CliRunner``, as ``run_vadbench`` would run it.

    For the call only: the working directory is ``cwd`` (results.db and registry.yaml are read from there),
    ``os.environ`` has ``COLUMNS=200`` and ``env_extra`` (``PYTHONPATH`` entries also go on ``sys.path``, and the
    modules imported from them are forgotten afterwards, so two tests' ``my_plugin.py`` never mix), ``sys.argv``
    is the command's, the plugin host is reset before and after, the CLI's rich consoles are fresh ones made
    under this environment and writing to the captured streams, and the SIGTERM handler ``vadbench run`` sets is
    put back. ``main()`` itself turns a ``VadbenchError`` into one "Error: ..." line and exit code 1 and an
    interrupt into exit code 130; a ``SystemExit`` gives the return code as a process would. Any other exception
    is a bug in the command: it propagates, with the captured output attached as a note. (One difference from a
    process remains: ``CliRunner`` lays out click's ``--help`` text 80 columns wide, a process 78.)
    """
    from typer.testing import CliRunner

    from vadbench.cli import main

    env = {"COLUMNS": "200", **(env_extra or {})}
    extra_paths = [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]
    with CliRunner().isolation(env=env) as (stdout, stderr, _), _working_directory(cwd), \
            _on_sys_path(extra_paths), _argv(["vadbench", *args]), _sigterm_handler_kept(), _plugins_reset(), \
            _fresh_consoles():
        try:
            main()
            returncode = 0
        except SystemExit as exit:
            returncode = _exit_status(exit.code)
        except Exception as error:
            error.add_note(f"`vadbench {shlex.join(args)}` raised in process; its stdout:\n"
                           f"{_text(stdout)}\nits stderr:\n{_text(stderr)}")
            raise
        return subprocess.CompletedProcess(["vadbench", *args], returncode, _text(stdout), _text(stderr))


@pytest.fixture
def vadbench():
    """``vadbench(*args, cwd=..., env_extra=None)``: run the CLI as a user would, in this process (see
    ``run_vadbench_in_process``); ``.returncode``, ``.stdout`` and ``.stderr`` as from ``subprocess.run``.
    ``vadbench_process`` runs it in a real process."""
    return run_vadbench_in_process


def _text(stream) -> str:
    """What was written to one of ``CliRunner``'s streams (read before the isolation ends: it closes them)."""
    sys.stdout.flush()
    sys.stderr.flush()
    return stream.getvalue().decode("utf-8", "replace").replace("\r\n", "\n")


def _exit_status(code) -> int:
    """The exit status a process gets from ``sys.exit(code)``; a message is printed to stderr, as Python does."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


@contextmanager
def _working_directory(path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextmanager
def _argv(argv: list[str]) -> Iterator[None]:
    """``vadbench run`` stores ``sys.argv[1:]`` as the run's command."""
    before = sys.argv
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = before


@contextmanager
def _on_sys_path(entries: list[str]) -> Iterator[None]:
    """``entries`` first on ``sys.path`` (as ``PYTHONPATH`` puts them); afterwards they are taken off again and the
    modules imported from them are forgotten."""
    added = [str(Path(entry).resolve()) for entry in entries]
    sys.path[:0] = added
    importlib.invalidate_caches()  # a plugin module the test has just written
    try:
        yield
    finally:
        for entry in added:
            sys.path.remove(entry)
        for name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None)
            if isinstance(origin, str) and any(Path(origin).resolve().is_relative_to(entry) for entry in added):
                del sys.modules[name]


@contextmanager
def _sigterm_handler_kept() -> Iterator[None]:
    """``vadbench run`` sets a SIGTERM handler for its process; this process gets its own back."""
    before = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)


@contextmanager
def _plugins_reset() -> Iterator[None]:
    """A registry.yaml in the call's folder (and ``PYTHONPATH``) changes what is loaded."""
    plugin_host.reset()
    try:
        yield
    finally:
        plugin_host.reset()


@contextmanager
def _fresh_consoles() -> Iterator[None]:
    """The CLI's two rich consoles made anew for the call, as a new process would make them.

    The consoles are made once, at import (``vadbench.progress.console``, ``vadbench.cli.console.out``), and every
    CLI module binds them by name. They write to whatever ``sys.stdout`` / ``sys.stderr`` is when they print (so
    to ``CliRunner``'s streams), but fix their width (``$COLUMNS`` or unbounded) and colour system (a terminal or
    not) when made: under ``pytest -s`` on a terminal that would be a terminal's. So for the call every module
    global bound to one of them is rebound to a console made now (``make_console``, under the call's environment
    and streams), and afterwards every name bound to a fresh one (modules imported during the call too) is bound
    to the original again.
    """
    from vadbench import progress
    from vadbench.cli import console as cli_console

    originals = (progress.console, cli_console.out)
    fresh = (progress.make_console(stderr=True), progress.make_console())
    _rebind(zip(originals, fresh))
    try:
        yield
    finally:
        _rebind(zip(fresh, originals))


def _rebind(pairs) -> None:
    """Every module-level name bound to the first object of a pair (by identity) is bound to the second."""
    by_id = {id(old): new for old, new in pairs}
    for module in list(sys.modules.values()):
        try:
            namespace = vars(module)
        except TypeError:  # not a module (sys.modules may hold anything)
            continue
        for name, value in list(namespace.items()):
            if id(value) in by_id:
                namespace[name] = by_id[id(value)]
