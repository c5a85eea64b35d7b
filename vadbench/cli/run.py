"""``vadbench run``: expand the options into jobs and run them (resuming by default)."""

from __future__ import annotations

import shlex
import signal
import socket
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from vadbench.errors import ConfigError
from vadbench.cli.console import err
from vadbench.cli.console import out as console
from vadbench.cli.options import ListOption, split_list

def register(app: typer.Typer) -> None:
    @app.command("run", context_settings={"allow_extra_args": True})
    def run_command(
        ctx: typer.Context,
        model: ListOption = typer.Option(None, "--model", "-m", help="Model name(s), comma-separated or repeated."),
        masker: ListOption = typer.Option(None, "--masker", help="Masker name(s) [default: selective]."),
        scorer: ListOption = typer.Option(None, "--scorer", "-s", help="Scorer name(s) [default: mse]."),
        dataset: ListOption = typer.Option(None, "--dataset", "-d", help="Dataset name(s) [default: synthetic]."),
        seed: ListOption = typer.Option(None, "--seed", help="Seed(s) [default: 0]; each seed is its own job."),
        sample_seed: ListOption = typer.Option(
            None, "--sample-seed", help="Sampling-noise seed(s) of stochastic models [default: 0]; each is its own "
                                        "job on the same checkpoint, and the leaderboard averages over them."),
        sigma: ListOption = typer.Option(None, "--sigma", help="Smoothing sigma(s) in frames [default: protocol]."),
        config: Optional[Path] = typer.Option(None, "--config", "-c", help="An mmengine config file, or the name "
                                              "of a shipped one (demo, synthetic32)."),
        cfg_options: ListOption = typer.Option(None, "--cfg-options", "-o",
                                               help="key=value overrides, e.g. preset=tiny scorer.wmse.tau=0.1."),
        checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="Evaluate this checkpoint; no fitting."),
        limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N videos of each split, for "
                                            "a quick check; such jobs are marked and `report` leaves them out "
                                            "unless --limited."),
        log: ListOption = typer.Option(None, "--log", help="Feed these experiment trackers (the log_metrics hook): "
                                       "tensorboard, built in, or a tracker plugin's name."),
        device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N."),
        executor: Optional[str] = typer.Option(None, "--executor", help="Where the stages run: local (this "
                                               "process, the default), ray or slurm (docs/scale.md)."),
        ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Join this Ray cluster (e.g. auto or "
                                                  "ray://head:10001); without it --executor ray starts a local "
                                                  "one."),
        workers: Optional[int] = typer.Option(None, "--workers", min=1, help="CPUs of the local Ray cluster "
                                              "[default: all]."),
        db: Optional[str] = typer.Option(None, "--db", help="SQLAlchemy URL [default: $VADBENCH_DB or results.db]."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Redo jobs already in the store."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the job table and exit."),
    ) -> None:
        """Run the cross-product of models x maskers x scorers x datasets x seeds x sample seeds x sigmas."""
        from vadbench.cli.tables import job_table, outcome_table
        from vadbench.runner.executors import ExecutorSettings, make_executor
        from vadbench.runner.run import RunRequest, distributed_rank, execute, plan
        from vadbench.settings import parse_cfg_options
        from vadbench.store.db import open_store

        file_config = {}
        if config is not None:
            from vadbench.config import load_config

            file_config = load_config(config)
        defaults = {key: _as_list(value, key) for key, value in file_config.pop("run", {}).items()}
        executor_settings = ExecutorSettings.from_config(file_config.pop("executor", None))
        models = split_list(model) or defaults.get("models")
        if not models:
            from vadbench.plugin_host import catalog

            raise ConfigError(f"choose a model with --model; available: {', '.join(catalog('model').names())}")
        request = RunRequest(
            models=models,
            datasets=split_list(dataset) or defaults.get("datasets") or ["synthetic"],
            maskers=split_list(masker) or defaults.get("maskers") or ["selective"],
            scorers=split_list(scorer) or defaults.get("scorers") or ["mse"],
            seeds=[_number(int, s, "--seed") for s in split_list(seed) or defaults.get("seeds") or [0]],
            sample_seeds=[_number(int, s, "--sample-seed")
                          for s in split_list(sample_seed) or defaults.get("sample_seeds") or [0]],
            sigmas=[_number(float, s, "--sigma") for s in split_list(sigma) or defaults.get("sigmas") or []] or None,
            config=file_config, cfg_options=_executor_options(
                parse_cfg_options([*(cfg_options or []), *_trailing_options(ctx.args)]), executor_settings),
            checkpoint=checkpoint, limit=limit, log=split_list(log) or [], device=device, overwrite=overwrite,
            command=shlex.join(["vadbench", *sys.argv[1:]]))
        executor_settings.name = executor or executor_settings.name
        if ray_address is not None:
            executor_settings.ray["address"] = ray_address
        if workers is not None:
            executor_settings.ray["workers"] = workers
        chosen = make_executor(executor_settings)
        store = open_store(db)
        the_plan = plan(request, store)
        leader = distributed_rank() == 0  # under torchrun only rank 0 reports (and writes the store)
        if leader:
            console.print(job_table(the_plan))
            if limit is not None:
                console.print(f"[yellow]--limit {limit}[/]: the first {limit} videos of each split only; these jobs are "
                              "marked as limited and `vadbench report` shows them only with --limited")
        if dry_run:
            return
        if not the_plan.todo:
            console.print(f"[green]Nothing to do:[/] all {len(the_plan.jobs)} jobs are already in the store "
                          "(use --overwrite to redo them); see `vadbench report`.")
            closed = store.close_stale_runs(socket.gethostname())  # as a started run would: `runs` stays true
            if closed:
                console.print(f"closed {len(closed)} run(s) whose process is gone as interrupted: {', '.join(closed)}")
            return
        previous = signal.signal(signal.SIGTERM, _interrupt)  # a terminated run closes as "interrupted", like Ctrl-C
        try:
            run_id, outcomes = execute(the_plan, store, on_job=lambda o: console.print(_outcome_line(o)),
                                       executor=chosen)
        except KeyboardInterrupt:
            err.print("[yellow]interrupted[/]: the run is closed as interrupted and its finished jobs are stored; "
                      "rerun the same command to resume")
            raise typer.Exit(130) from None
        finally:
            signal.signal(signal.SIGTERM, previous)  # an application that embeds the CLI keeps its own handler
        if not leader:
            return
        console.print(outcome_table(run_id, outcomes))
        if "tensorboard" in request.log:
            from vadbench import paths

            console.print(f"TensorBoard: tensorboard --logdir {paths.home().resolve() / 'tensorboard' / run_id}")
        elsewhere = [o for o in outcomes if o.status == "elsewhere"]
        if elsewhere:
            console.print(f"[yellow]{len(elsewhere)} of {len(outcomes)} jobs[/] were being computed by another "
                          "running run and were left to it (vadbench runs); rerun this command after it ends to find "
                          "them stored")
        failed = [o for o in outcomes if o.status == "failed"]
        if failed:
            console.print(f"[red]{len(failed)} of {len(outcomes)} jobs failed[/]; details: vadbench show {run_id}")
            raise typer.Exit(1)


def _trailing_options(args: list[str]) -> list[str]:
    """The ``key=value`` words after the options, so ``--cfg-options a=1 b=2`` works as in mmengine; any other
    stray word is an error."""
    stray = [arg for arg in args if "=" not in arg or arg.startswith("-")]
    if stray:
        raise ConfigError(f"unexpected argument {stray[0]!r}; settings go as key=value after --cfg-options "
                          f"(e.g. --cfg-options preset=tiny sampler.steps=20)")
    return list(args)


def _executor_options(options: list[tuple[str, object]], settings) -> list[tuple[str, object]]:
    """Apply the ``executor.*`` items of ``--cfg-options`` to the executor settings; return the others."""
    for key, value in options:
        if key.split(".")[0] == "executor":
            settings.with_option(key, value)
    return [(key, value) for key, value in options if key.split(".")[0] != "executor"]


def _as_list(value: object, key: str) -> list:
    """A config file's ``run.<key>``: a list, or one value (``seeds=3``, ``models="interp"``) or a comma list."""
    if isinstance(value, str):
        return split_list([value]) or []
    if isinstance(value, (int, float)):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ConfigError(f"config run.{key}={value!r} must be a list (e.g. {key}=[0, 1]) or one value")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _number(kind: type, text: object, option: str):
    try:
        return kind(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{option} {text!r} is not a {kind.__name__}") from None


def _outcome_line(outcome) -> str:
    colour = {"done": "green", "failed": "red", "reused": "dim", "elsewhere": "yellow"}[outcome.status]
    detail = f"auc_micro={outcome.metrics['auc_micro']:.4f}" if "auc_micro" in outcome.metrics else outcome.error
    return f"[{colour}]{outcome.status:>6}[/] {escape(outcome.job.label)}  {escape(detail)}"
