"""Leaderboard renderers: rich (terminal), Markdown, LaTeX (for humans: fractions in %, mean ± std) and CSV, JSON
(for machines: raw 0-1 values, full precision). Reported rows always sit apart from measured ones; one that a
measured model on the board reproduces (its plugin's ``reported_as``) is labelled ``= <model>``."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from vadbench.report.leaderboard import MEMBERS, Board, Row
from vadbench.report.metric_display import arrow, fmt, kind

NOTE = "values in %; measured rows: mean ± sample std over the group's jobs (seeds × sample draws), n = jobs"


def _mean_of(board: Board) -> str:
    """The ranking column's label below scope "dataset": "mean of scenes", "mean of videos", "mean of kinds"."""
    return f"mean of {MEMBERS[board.scope][1]}"


def _heading(board: Board) -> str:
    if board.scope != "dataset":
        return (f"{board.dataset} — {board.metric} per {MEMBERS[board.scope][0]}, ranked by the {_mean_of(board)} "
                f"{arrow(board.metric)}")
    return f"{board.dataset} — ranked by {board.metric} {arrow(board.metric)}"


def _settings(row: Row) -> str:
    return ", ".join(f"{key}={value}" for key, value in row.differs.items())


def _listed(values: list[int | None]) -> str:
    return ",".join("–" if value is None else str(value) for value in dict.fromkeys(values))


def _n(row: Row) -> str:
    """The number of jobs averaged, with the seeds and sample draws they span where the model samples."""
    if all(draw is None for draw in row.sample_seeds):
        return str(row.n)
    return f"{row.n} (seeds {_listed(row.seeds)} × draws {_listed(sorted(set(row.sample_seeds) - {None}))})"


def _cell(board: Board, row: Row, column: str) -> str:
    cell, metric = row.cells.get(column), board.metric_of(column)
    return fmt(metric, None) if cell is None else fmt(metric, cell.mean, cell.std)


def _header(board: Board, column: str) -> str:
    label = _mean_of(board) if board.scope != "dataset" and column == board.metric else column
    return f"{label} {arrow(board.metric_of(column))}".rstrip()


def _has_settings(board: Board) -> bool:
    return any(row.differs for row in board.measured)


def _measured_as(row: Row) -> str:
    """``= ffp`` for a reported row that the board's measured model ``ffp`` reproduces; empty otherwise."""
    return f"= {', '.join(row.measured_as)}" if row.measured_as else ""


def _citations(board: Board) -> list[str]:
    """Footnotes for the reported rows, numbered in row order: citation, then the row's note."""
    return [f"[{i}] {row.model}: {row.citation}" + (f" — {row.note}" if row.note else "")
            for i, row in enumerate(board.reported, start=1)]


# -- rich ------------------------------------------------------------------------------------------------------

def to_rich(boards: list[Board]) -> RenderableType:
    """One rich table per dataset: ranked measured rows, then a section of reported rows with numbered sources."""
    parts: list[RenderableType] = []
    for board in boards:
        table = Table(title=_heading(board), title_justify="left", caption=NOTE, caption_justify="left")
        components = ["masker", "scorer", *(["settings"] if _has_settings(board) else []), "n"]
        components = components if board.measured else []
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("model", min_width=12)
        for name in components:
            table.add_column(name, justify="right" if name == "n" else "left")
        for metric in board.metrics:
            table.add_column(_header(board, metric), justify="right", min_width=10)
        table.add_column("source")
        for row in board.measured:
            fields = {"masker": row.masker or "", "scorer": row.scorer or "", "settings": _settings(row),
                      "n": _n(row)}
            table.add_row(str(row.rank), row.model, *(fields[name] for name in components),
                          *(_cell(board, row, metric) for metric in board.metrics), "measured")
        if board.reported:
            table.add_section()
            for i, row in enumerate(board.reported, start=1):
                table.add_row(f"[{i}]", row.model, *[""] * len(components),
                              *(_cell(board, row, metric) for metric in board.metrics),
                              f"reported {_measured_as(row)}".rstrip(), style="italic dim")
        parts.append(table)
        parts.extend(Text(line, style="dim") for line in _citations(board))
        parts.append(Text(""))
    return Group(*parts)


# -- Markdown --------------------------------------------------------------------------------------------------

def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _md_table(header: list[str], rows: list[list[str]], numeric_from: int) -> list[str]:
    align = ["---" if i < numeric_from else "---:" for i in range(len(header))]
    return [_md_row(header), "|" + "|".join(align) + "|", *(_md_row(row) for row in rows)]


def to_markdown(boards: list[Board]) -> str:
    """A section per dataset: the measured table, then the reported table with its sources."""
    lines: list[str] = []
    for board in boards:
        lines += [f"### {_heading(board)}", "", f"_{NOTE}_", ""]
        settings = _has_settings(board)
        header = ["#", "model", "masker", "scorer", *(["settings"] if settings else []), "n",
                  *(_header(board, metric) for metric in board.metrics)]
        rows = [[str(row.rank), row.model, row.masker or "", row.scorer or "", *([_settings(row)] if settings else []),
                 _n(row), *(_cell(board, row, metric) for metric in board.metrics)] for row in board.measured]
        lines += ["**Measured**", ""]
        lines += _md_table(header, rows, numeric_from=len(header) - len(board.metrics) - 1) if rows else ["(none)"]
        if board.reported:
            labelled = any(row.measured_as for row in board.reported)
            header = ["model", *(_header(board, metric) for metric in board.metrics), "source",
                      *(["reproduced here by"] if labelled else [])]
            rows = [[row.model, *(_cell(board, row, metric) for metric in board.metrics), f"[{i}]",
                     *([_measured_as(row)] if labelled else [])]
                    for i, row in enumerate(board.reported, start=1)]
            lines += ["", "**Reported** (published numbers, not measured here)", ""]
            lines += _md_table(header, rows, numeric_from=1)
            lines += [""] + [f"- {line}" for line in _citations(board)]
        lines.append("")
    return "\n".join(lines)


# -- LaTeX -----------------------------------------------------------------------------------------------------

_LATEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


_LATEX_ESCAPES |= {"±": r"$\pm$", "↑": r"$\uparrow$", "↓": r"$\downarrow$", "–": "--", "—": "---"}


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped and ±, arrows and dashes as LaTeX."""
    return "".join(_LATEX_ESCAPES.get(char, char) for char in text)


def _latex_cell(board: Board, row: Row, column: str) -> str:
    return latex_escape(_cell(board, row, column))


def _latex_header(board: Board, column: str) -> str:
    return latex_escape(_header(board, column))


def to_latex(boards: list[Board]) -> str:
    """A booktabs table per dataset; reported rows under their own rule, in italics, with numbered sources."""
    out: list[str] = []
    for board in boards:
        settings = _has_settings(board)
        labels = ["model", "masker", "scorer", *(["settings"] if settings else []), "n"]
        spec = "l" * len(labels) + "r" * len(board.metrics)
        width = len(labels) + len(board.metrics)
        out += [r"\begin{table}[t]", r"\centering", rf"\caption{{{latex_escape(f'{_heading(board)} ({NOTE})')}}}",
                rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
                " & ".join([*labels, *(_latex_header(board, m) for m in board.metrics)]) + r" \\", r"\midrule"]
        for row in board.measured:
            cells = [row.model, row.masker or "", row.scorer or "", *([_settings(row)] if settings else []), _n(row)]
            out.append(" & ".join([*map(latex_escape, cells), *(_latex_cell(board, row, m) for m in board.metrics)])
                       + r" \\")
        if board.reported:
            title = r"\emph{Reported (published, not measured here)}"
            out += [r"\midrule", rf"\multicolumn{{{width}}}{{l}}{{{title}}} \\"]
            for i, row in enumerate(board.reported, start=1):
                name = rf"\emph{{{latex_escape(row.model)}}} [{i}] {latex_escape(_measured_as(row))}".rstrip()
                cells = [name, *[""] * (len(labels) - 1), *(_latex_cell(board, row, m) for m in board.metrics)]
                out.append(" & ".join(cells) + r" \\")
        out += [r"\bottomrule", r"\end{tabular}"]
        if board.reported:
            out += [r"\par\footnotesize", *(latex_escape(line) + r"\\" for line in _citations(board))]
        out += [r"\end{table}", ""]
    return "\n".join(out)


# -- CSV and JSON ----------------------------------------------------------------------------------------------

def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def _row_dict(board: Board, row: Row) -> dict[str, Any]:
    return {
        "dataset": board.dataset, "source": row.source, "rank": row.rank, "model": row.model, "masker": row.masker,
        "scorer": row.scorer, "group_key": row.group_key or None, "n": row.n, "seeds": row.seeds,
        "sample_seeds": row.sample_seeds,
        "settings": row.settings, "differs": row.differs, "citation": row.citation, "note": row.note,
        "measured_as": row.measured_as,
        "values": {metric: {"mean": _number(cell.mean), "std": _number(cell.std), "n": cell.n}
                   for metric, cell in row.cells.items() if metric in board.metrics},
    }


def to_json(boards: list[Board]) -> str:
    """``{"boards": [{dataset, metric, scope, higher_is_better, columns, measured: [...], reported: [...]}]}``;
    NaN -> null. At scope "kind" the columns are anomaly kinds and ``values[metric]`` is the mean of kinds."""
    payload = {"boards": [{
        "dataset": board.dataset, "metric": board.metric, "scope": board.scope,
        "higher_is_better": kind(board.metric).higher_is_better, "columns": board.columns,
        "measured": [_row_dict(board, row) for row in board.measured],
        "reported": [_row_dict(board, row) for row in board.reported],
    } for board in boards]}
    return json.dumps(payload, indent=2, allow_nan=False, default=str)


def to_csv(boards: list[Board]) -> str:
    """One line per row (measured first, then reported) of every board; metric columns ``<m>``, ``<m>_std``,
    ``<m>_n`` on the stored 0-1 scale; empty where undefined; ``measured_as``: the measured models that reproduce a
    reported row, comma-separated. At scope "kind" the columns are the anomaly kinds, and the metric's column holds
    the mean of kinds."""
    metrics = list(dict.fromkeys(metric for board in boards for metric in board.metrics))
    fields = ["dataset", "source", "rank", "model", "masker", "scorer", "settings", "n", "group_key"]
    fields += [f"{metric}{suffix}" for metric in metrics for suffix in ("", "_std", "_n")]
    fields += ["citation", "note", "measured_as"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for board in boards:
        for row in [*board.measured, *board.reported]:
            record = {"dataset": board.dataset, "source": row.source, "rank": row.rank, "model": row.model,
                      "masker": row.masker, "scorer": row.scorer, "settings": _settings(row), "n": row.n,
                      "group_key": row.group_key, "citation": row.citation, "note": row.note,
                      "measured_as": ",".join(row.measured_as)}
            for metric, cell in row.cells.items():
                if metric in board.metrics:
                    record |= {metric: _number(cell.mean), f"{metric}_std": _number(cell.std), f"{metric}_n": cell.n}
            writer.writerow(record)
    return buffer.getvalue()


TEXT_FORMATS = {"markdown": to_markdown, "csv": to_csv, "json": to_json, "latex": to_latex}
