"""The hooks a vadbench plugin can implement: the public plugin API.

Every ``register_*`` hook is called with a ``register(name, factory, *, settings=None, description="")``
callback. ``factory(**settings)`` builds the component; ``settings`` are its defaults (JSON values), which
``--cfg-options`` may override and which are stored with every result. Factories should import heavy
libraries (torch) inside their body so that listing plugins stays fast.
"""

from __future__ import annotations

from typing import Any

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("vadbench")
hookimpl = HookimplMarker("vadbench")


@hookspec
def register_datasets(register: Any) -> None:
    """Register datasets (``vadbench.components.Dataset``) with ``register(name, factory, ...)``."""


@hookspec
def register_models(register: Any) -> None:
    """Register models (``vadbench.components.Model``) with ``register(name, factory, ...)``."""


@hookspec
def register_maskers(register: Any) -> None:
    """Register maskers (``vadbench.components.Masker``) with ``register(name, factory, ...)``."""


@hookspec
def register_scorers(register: Any) -> None:
    """Register frame scorers (``vadbench.components.Scorer``) with ``register(name, factory, ...)``."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``vadbench`` typer application ``cli``."""


@hookspec
def job_finished(job: dict, metrics: list[dict]) -> None:
    """Called after a job's metrics are stored: ``job`` is its stored record, ``metrics`` its metric rows."""
