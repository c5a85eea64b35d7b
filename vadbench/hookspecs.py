"""The hooks a vadbench plugin can implement: the public plugin API.

Every ``register_*`` hook is called with a ``register(name, target, *, description="", aliases=None,
reported_as=None)`` callback. ``target`` is a ``"package.module:Class"`` string (imported when the component is
first built, so listing plugins never imports torch) or the factory itself; the factory's keyword parameters, or the
fields of its ``settings_type`` dataclass, are the component's settings and their defaults (JSON values), which
``--cfg-options`` may override and which are stored with every result (``vadbench.catalog``). ``aliases`` maps
kind-wide option names (``"sampler.steps"``) to the component's settings. ``reported_as`` (models only) is the
model name of the published row the model reproduces, a ``reported`` job in the store (``"FFP (CVPR'18)"``):
``vadbench report`` labels that row with the model, and ``vadbench report --versus-reported`` sets the model's
measured rows beside it with their difference. It is declared at registration, so ``report`` never builds the model.
"""

from __future__ import annotations

from typing import Any

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("vadbench")
hookimpl = HookimplMarker("vadbench")


@hookspec
def register_datasets(register: Any) -> None:
    """Register datasets (``vadbench.components.Dataset``) with ``register(name, target, ...)``."""


@hookspec
def register_models(register: Any) -> None:
    """Register models (``vadbench.components.ReconstructionModel`` or ``ScoresModel``, optionally ``Learned``) with
    ``register(name, target, ...)``."""


@hookspec
def register_maskers(register: Any) -> None:
    """Register maskers (``vadbench.components.Masker``) with ``register(name, target, ...)``."""


@hookspec
def register_scorers(register: Any) -> None:
    """Register frame scorers (``vadbench.components.Scorer``) with ``register(name, target, ...)``."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``vadbench`` typer application ``cli`` (``vadbench.cli.app.group(cli, name)`` is one of
    its command groups)."""


@hookspec
def job_finished(job: dict, metrics: list[dict]) -> None:
    """Called after a job's metrics are stored: ``job`` is its stored record, ``metrics`` its metric rows."""


@hookspec
def log_metrics(run: dict, job: dict, step: int | None, values: dict[str, float]) -> None:
    """An experiment tracker's feed. Called during a fit, once per training step (``step`` >= 1, ``values`` such as
    ``loss`` and ``lr``), and at each job's end (``step`` None, ``values`` its dataset-scope metrics). ``run`` holds
    the run's ``id``, ``command``, ``home`` (cache folder) and ``log`` (the names given to ``run --log``: a tracker
    writes when its name is among them); ``job`` its ``dataset``, ``model``, ``masker``, ``scorer``, ``seed``,
    ``sample_seed``, ``label`` and stage keys, and its stored ``id`` at the end."""
