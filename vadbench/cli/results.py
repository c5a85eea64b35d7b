"""The ``report``, ``show`` and ``compare`` commands: read the results store, never import torch."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from vadbench.cli.options import split_list
from vadbench.errors import VadbenchError

DB_HELP = "results store URL (default: $VADBENCH_DB, else sqlite:///results.db)"
DbOption = Annotated[Optional[str], typer.Option("--db", help=DB_HELP)]


class Scope(str, Enum):
    dataset = "dataset"
    scene = "scene"
    video = "video"
    kind = "kind"


class RunsFormat(str, Enum):
    rich = "rich"
    json = "json"


class Format(str, Enum):
    rich = "rich"
    markdown = "markdown"
    csv = "csv"
    json = "json"
    latex = "latex"
    html = "html"


def _columns(value: str | None) -> list[str] | None:
    return None if value is None else [name.strip() for name in value.split(",") if name.strip()]


def report(
    metric: Annotated[str, typer.Option(help="metric that ranks the rows")] = "auc_micro",
    scope: Annotated[Scope, typer.Option(help="dataset: metric columns over all test videos; scene, video, kind: "
                                              "the metric per scene, test video (its metrics: auc, ap) or anomaly "
                                              "kind, one column each, ranked by their mean")] = Scope.dataset,
    dataset: Annotated[Optional[list[str]], typer.Option(help="only these datasets (repeatable or a,b)")] = None,
    model: Annotated[Optional[list[str]], typer.Option(help="only these models (repeatable or a,b)")] = None,
    run: Annotated[Optional[str], typer.Option(help="only measured jobs of this run (id or prefix)")] = None,
    columns: Annotated[Optional[str], typer.Option(help="extra metric columns, comma-separated "
                                                        "[default: ap,auc_macro,accuracy_oracle]")] = None,
    reported: Annotated[bool, typer.Option(help="include published (reported) numbers, apart from measured "
                                                "ones")] = True,
    limited: Annotated[bool, typer.Option(help="include jobs run with --limit (a subset of the test set; left "
                                               "out by default)")] = False,
    format: Annotated[Format, typer.Option("--format", "-f", help="output format; html writes a page with the "
                                                                  "runs' provenance and figures into --output "
                                                                  "DIR")] = Format.rich,
    output: Annotated[Optional[Path], typer.Option("--output", "--out", help="write to this file (a folder for "
                                                                             "html) instead of stdout")] = None,
    floor: Annotated[Optional[str], typer.Option(help="after each board (rich and markdown), say whether each "
                                                      "model's best row beats this model's best row, e.g. "
                                                      "interp")] = None,
    versus_reported: Annotated[bool, typer.Option(
        "--versus-reported", help="instead of the leaderboards: each model whose plugin names the published row it "
                                  "reproduces (reported_as) beside that row, per dataset and metric of the row, "
                                  "with measured − reported in points ('not measured' until the model has run "
                                  "there); rich, markdown, csv or json")] = False,
    db: DbOption = None,
) -> None:
    """Leaderboards per dataset: mean ± std over seeds and sample draws, ranked by a metric; published numbers kept
    apart."""
    from rich.console import Group

    from vadbench.report.leaderboard import floor_verdict, leaderboards
    from vadbench.report.render import TEXT_FORMATS, to_rich
    from vadbench.store import open_store

    if versus_reported:
        _check_versus_options(scope, reported, floor, format)
        _versus(db, run, metric, columns, dataset, model, limited, format, output)
        return
    if format is Format.html and output is None:
        raise VadbenchError("--format html writes a page and its figures into a folder: add --output DIR")
    with open_store(db, create=False) as store:
        run_id = store.get_run(run).id if run else None
        boards = leaderboards(store, metric=metric, columns=_columns(columns), datasets=split_list(dataset) or [],
                              models=split_list(model) or [], run_id=run_id, reported=reported, scope=scope.value,
                              limited=limited, reported_as=_reported_as() if reported else None)
        if format is Format.html:
            _write_html(store, boards, run_id, output)
            return
    verdicts = [line for line in (floor_verdict(board, floor) for board in boards) if line] if floor else []
    if format is Format.rich:
        _print(Group(to_rich(boards), *verdicts), output)
    else:
        text = TEXT_FORMATS[format.value](boards)
        if verdicts and format is Format.markdown:
            text = text.rstrip("\n") + "\n\n" + "\n\n".join(verdicts) + "\n"
        if output is None:
            typer.echo(text, nl=not text.endswith("\n"))
        else:
            output.write_text(text)


def _reported_as() -> dict[str, str]:
    """The published row each model plugin says its model reproduces (``register(..., reported_as=...)``)."""
    from vadbench.plugin_host import catalog

    return {entry.name: entry.reported_as for entry in catalog("model").entries() if entry.reported_as}


VERSUS_FORMATS = (Format.rich, Format.markdown, Format.csv, Format.json)


def _check_versus_options(scope: Scope, reported: bool, floor: str | None, format: Format) -> None:
    """A ConfigError for an option ``--versus-reported`` cannot honour, naming it and the fix."""
    from vadbench.errors import ConfigError

    if scope is not Scope.dataset:
        raise ConfigError(f"--versus-reported compares dataset-level metrics (reported rows have no others): drop "
                          f"--scope {scope.value}")
    if not reported:
        raise ConfigError("--versus-reported compares with the reported rows: drop --no-reported")
    if floor is not None:
        raise ConfigError("--floor judges the leaderboards, not --versus-reported: drop one of them")
    if format not in VERSUS_FORMATS:
        raise ConfigError(f"--versus-reported writes {', '.join(f.value for f in VERSUS_FORMATS)}, not "
                          f"--format {format.value}")


def _versus(db: str | None, run: str | None, metric: str, columns: str | None, dataset: list[str] | None,
            model: list[str] | None, limited: bool, format: Format, output: Path | None) -> None:
    """``report --versus-reported``: the comparisons, printed or written to ``output``."""
    from vadbench.report.versus import unmatched_lines, versus_reported
    from vadbench.report.versus_render import TEXT_FORMATS, to_rich
    from vadbench.store import open_store

    with open_store(db, create=False) as store:
        run_id = store.get_run(run).id if run else None
        versus = versus_reported(store, _reported_as(), metric=metric, columns=_columns(columns),
                                 datasets=split_list(dataset) or [], models=split_list(model) or [], run_id=run_id,
                                 limited=limited)
    if format is Format.rich:
        _print(to_rich(versus), output)
        return
    if format is Format.csv:  # a CSV has no place for them: say them on stderr
        for line in unmatched_lines(versus):
            typer.echo(f"warning: {line}", err=True)
    text = TEXT_FORMATS[format.value](versus)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text)


def _write_html(store, boards, run_id: str | None, folder: Path) -> None:
    """The html report of ``boards`` into ``folder/index.html``, with the runs behind their measured rows (or the
    run ``run_id``): provenance, jobs, figures."""
    import tempfile

    from vadbench.report.html import html_report

    shown = {(row.model, board.dataset) for board in boards for row in board.measured}
    records = [store.get_run(run_id)] if run_id else store.runs(limit=None)
    runs = [(record, jobs) for record in records
            if (jobs := [job for job in store.jobs(record.id) if (job.model, job.dataset) in shown or run_id])]
    with tempfile.TemporaryDirectory() as scratch:
        page = html_report(boards, runs, lambda record, job: _figures(record, job, Path(scratch)))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(page)
    typer.echo(f"wrote {folder / 'index.html'}")


def _figures(run, jobs, scratch: Path) -> list[tuple[str, Path]]:
    """``vadbench plot``'s PNG figures of a run's done jobs, captioned: its ROC and PR curves, then each job's
    (jobs whose stage outputs are no longer cached are left out)."""
    from vadbench import paths, stage_cache
    from vadbench.plots import plot_job, plot_overlay

    with paths.home_of_run(run.home):
        cached = [(job, file) for job in jobs if (file := stage_cache.frame_scores_file(job.eval_key)).is_file()]
        figures = [(f"run {run.id}: {path.stem.replace('_', ' ')}", path)
                   for path in plot_overlay([job for job, _ in cached], [file for _, file in cached], scratch)]
        for job, file in cached:
            label = f"job {job.id}: {job.model} / {job.scorer or '-'} on {job.dataset}"
            figures += [(f"{label} — {path.stem.split(f'_seed{job.seed}_', 1)[-1].replace('_', ' ')}", path)
                        for path in plot_job(job, file, scratch, top=3)]
    return figures


class ShowScope(str, Enum):
    dataset = "dataset"
    scene = "scene"
    video = "video"
    kind = "kind"


def show(
    run: Annotated[str, typer.Argument(help="run id or a unique prefix")],
    scope: Annotated[ShowScope, typer.Option(help="the metrics of this scope: dataset, scene, video or anomaly "
                                                  "kind")] = ShowScope.dataset,
    format: Annotated[RunsFormat, typer.Option("--format", "-f", help="output format")] = RunsFormat.rich,
    db: DbOption = None,
) -> None:
    """A run's provenance, its jobs with status, error and how each ran, and their metrics at one scope."""
    from vadbench.report.runs import run_as_json, show_run
    from vadbench.store import open_store

    with open_store(db, create=False) as store:
        record = store.get_run(run)
        if format is RunsFormat.json:
            typer.echo(run_as_json(store, record, scope.value))
        else:
            _print(show_run(store, record, scope.value), None)


def compare(
    run_a: Annotated[str, typer.Argument(help="run A (id or prefix)")],
    run_b: Annotated[str, typer.Argument(help="run B (id or prefix)")],
    metric: Annotated[Optional[list[str]], typer.Option(help="only these metrics (repeatable) [default: all]")] = None,
    db: DbOption = None,
) -> None:
    """Two runs side by side: what differs between them, then every metric per dataset with B − A."""
    from vadbench.report.runs import compare_runs, render_comparison
    from vadbench.store import open_store

    with open_store(db, create=False) as store:
        comparison = compare_runs(store, store.get_run(run_a), store.get_run(run_b), metric or None)
    _print(render_comparison(comparison), None)


def runs(
    model: Annotated[Optional[str], typer.Option(help="only runs with jobs of these models (comma-separated)")] = None,
    dataset: Annotated[Optional[str], typer.Option(help="only runs with jobs on these datasets (comma-separated)")]
    = None,
    status: Annotated[Optional[str], typer.Option(help="only runs with this status: running, done, failed, "
                                                       "interrupted")] = None,
    latest: Annotated[bool, typer.Option("--latest", help="only the newest matching run")] = False,
    limit: Annotated[int, typer.Option(help="at most this many runs")] = 20,
    format: Annotated[RunsFormat, typer.Option("--format", "-f", help="output format")] = RunsFormat.rich,
    db: DbOption = None,
) -> None:
    """The runs in the store, newest first: id, start, status, jobs done and failed, wall time, command."""
    from vadbench.errors import ConfigError
    from vadbench.report.run_list import runs_json, runs_table
    from vadbench.store import open_store
    from vadbench.store.schema import RUN_STATUSES

    if status is not None and status not in RUN_STATUSES:
        raise ConfigError(f"--status {status!r} is not a run status; valid: {', '.join(RUN_STATUSES)}")
    with open_store(db, create=False) as store:
        summaries = store.run_summaries(limit=1 if latest else limit, status=status,
                                        models=_columns(model) or [], datasets=_columns(dataset) or [])
    if format is RunsFormat.json:
        typer.echo(runs_json(summaries))
    else:
        _print(runs_table(summaries), None)


def _print(renderable: object, output: Path | None) -> None:
    from vadbench.cli.console import make_console

    if output is None:
        make_console().print(renderable)
        return
    with output.open("w") as handle:
        make_console(file=handle).print(renderable)


def register(app: typer.Typer) -> None:
    """Add ``report``, ``runs``, ``show`` and ``compare`` to the vadbench CLI."""
    app.command()(report)
    app.command()(runs)
    app.command()(show)
    app.command()(compare)
