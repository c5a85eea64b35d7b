"""``vadbench report --format html``: one self-contained page a person opens in a browser.

The leaderboards per dataset (measured rows ranked, reported rows apart with their sources), then each run: its
provenance, its jobs and their figures (``vadbench.plots``: per-video score curves, ROC and PR curves, training
curves, reconstructions, regions), embedded as PNG data so the file travels alone. No script, no external
resource.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from html import escape
from pathlib import Path

from vadbench.report.leaderboard import Board
from vadbench.report.render import NOTE, _cell, _citations, _header, _heading, _n, _settings
from vadbench.store.records import JobRecord, RunRecord

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 78rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; } h3 { margin-top: 1.5rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; vertical-align: top; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.reported td { font-style: italic; color: #555; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: .3rem 0; }
.note, .sources { color: #666; font-size: .9em; } figure { margin: 1rem 0; } img { max-width: 100%; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; } dt { font-weight: 600; }
"""

FigureMaker = Callable[[RunRecord, Sequence[JobRecord]], Sequence[tuple[str, Path]]]


def html_report(boards: Sequence[Board], runs: Sequence[tuple[RunRecord, Sequence[JobRecord]]],
                figures: FigureMaker) -> str:
    """The page: ``boards`` as tables, then each run with its jobs and the (caption, PNG) figures
    ``figures(run, done jobs)`` writes."""
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"<h1>vadbench report</h1><p class='note'>made {made}; {escape(NOTE)}</p>", "<h2>Leaderboards</h2>"]
    parts += [_board(board) for board in boards] or ["<p>No results match.</p>"]
    if runs:
        parts.append("<h2>Runs</h2>")
        parts += [_run(run, jobs, figures) for run, jobs in runs]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>vadbench report</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n")


def _table(caption: str, header: list[str], rows: list[list[str]], numeric_from: int,
           row_class: str = "") -> str:
    def cells(values: list[str], tag: str) -> str:
        return "".join(f"<{tag}{' class=number' if i >= numeric_from else ''}>{escape(value)}</{tag}>"
                       for i, value in enumerate(values))

    body = "".join(f"<tr{f' class={row_class}' if row_class else ''}>{cells(row, 'td')}</tr>" for row in rows)
    return f"<table><caption>{escape(caption)}</caption><thead><tr>{cells(header, 'th')}</tr></thead>" \
           f"<tbody>{body}</tbody></table>"


def _board(board: Board) -> str:
    """A dataset's measured table, then its reported table and their sources."""
    metrics = [_header(board, metric) for metric in board.metrics]
    settings = any(row.differs for row in board.measured)
    header = ["#", "model", "masker", "scorer", *(["settings"] if settings else []), "n", *metrics]
    rows = [[str(row.rank), row.model, row.masker or "", row.scorer or "", *([_settings(row)] if settings else []),
             _n(row), *(_cell(board, row, metric) for metric in board.metrics)] for row in board.measured]
    parts = [f"<h3>{escape(_heading(board))}</h3>"]
    parts.append(_table("Measured", header, rows, len(header) - len(metrics) - 1) if rows
                 else "<p>No measured rows.</p>")
    if board.reported:
        rows = [[row.model, *(_cell(board, row, metric) for metric in board.metrics), f"[{i}]"]
                for i, row in enumerate(board.reported, start=1)]
        parts.append(_table("Reported (published numbers, not measured here)", ["model", *metrics, "source"], rows,
                            1, row_class="reported"))
        parts.append("<ol class='sources'>" + "".join(f"<li>{escape(line.split('] ', 1)[1])}</li>"
                                                       for line in _citations(board)) + "</ol>")
    return "".join(parts)


def _run(run: RunRecord, jobs: Sequence[JobRecord], figures: FigureMaker) -> str:
    """A run's provenance, its jobs and each done job's figures."""
    versions = ", ".join(f"{key} {value}" for key, value in run.versions.items() if key != "plugins")
    facts = [("status", run.status), ("created", f"{run.created_at:%Y-%m-%d %H:%M:%S} UTC"),
             ("command", run.command), ("config hash", run.config_hash), ("git commit", run.git_commit or "–"),
             ("device", run.device), ("host", run.host), ("cache", run.home or "–"), ("versions", versions or "–"),
             ("wall time", f"{run.wall_time:.1f} s" if run.wall_time is not None else "–")]
    parts = [f"<h3 id='run-{escape(run.id)}'>run {escape(run.id)}</h3>",
             "<dl>" + "".join(f"<dt>{escape(label)}</dt><dd>{escape(str(value))}</dd>" for label, value in facts)
             + "</dl>"]
    rows = [[str(job.id), job.dataset, job.model, job.masker or "-", job.scorer or "-", str(job.seed), job.status,
             job.error or ""] for job in jobs]
    parts.append(_table("Jobs", ["job", "dataset", "model", "masker", "scorer", "seed", "status", "error"], rows,
                        len(rows[0]) if rows else 0))
    for caption, path in figures(run, [job for job in jobs if job.status == "done"]):
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(f"<figure><img alt='{escape(caption)}' src='data:image/png;base64,{data}'>"
                     f"<figcaption class='note'>{escape(caption)}</figcaption></figure>")
    return "".join(parts)
