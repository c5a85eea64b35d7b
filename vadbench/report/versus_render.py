"""Renderers of ``vadbench report --versus-reported``: rich and Markdown (values in %, measured − reported in
points, a table per dataset, the reported rows' sources and notes as numbered footnotes, as the leaderboards print
them), CSV and JSON (stored 0-1 values, full precision, one record per comparison)."""

from __future__ import annotations

import csv
import io
import json
from itertools import groupby
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from vadbench.report.leaderboard import Row
from vadbench.report.metric_display import arrow, fmt, fmt_delta
from vadbench.report.render import _md_table, _n, _number, _settings
from vadbench.report.versus import Comparison, Versus, unmatched_lines

NOT_MEASURED = "not measured"
NOTE = ("values in %; measured: mean ± sample std over the settings group's jobs (seeds × sample draws), n = jobs; "
        "measured − reported in percentage points; settings: what sets the group apart from the model's others")
HEADER = ["model", "masker", "scorer", "settings", "n", "metric", "measured", "reported", "measured − reported",
          "reported row"]


def _by_dataset(versus: Versus) -> list[tuple[str, list[Comparison]]]:
    return [(dataset, list(items)) for dataset, items in groupby(versus.comparisons, key=lambda c: c.dataset)]


def _sources(comparisons: list[Comparison]) -> dict[str, int]:
    """The reported rows of one dataset, numbered in order of appearance."""
    return {name: i for i, name in enumerate(dict.fromkeys(c.reported.model for c in comparisons), start=1)}


def _cells(comparison: Comparison, number: int) -> list[str]:
    """A comparison as the human renderers print it (the columns of ``HEADER``)."""
    metric, reported, measured = comparison.metric, comparison.reported, comparison.measured
    reported_value = fmt(metric, reported.cells[metric].mean)
    tail = [f"{reported.model} [{number}]"]
    label = f"{metric} {arrow(metric)}".rstrip()
    if measured is None:
        return [comparison.model, "", "", "", "", label, NOT_MEASURED, reported_value, "", *tail]
    cell = measured.cells[metric]
    n = _n(measured) if cell.n == measured.n else f"{cell.n} of {measured.n}"  # jobs with the metric, of the group's
    return [comparison.model, measured.masker or "", measured.scorer or "", _settings(measured), n, label,
            fmt(metric, cell.mean, cell.std), reported_value, fmt_delta(metric, comparison.difference), *tail]


def _footnotes(comparisons: list[Comparison]) -> list[str]:
    reported = {c.reported.model: c.reported for c in comparisons}
    return [f"[{i}] {name}: {reported[name].citation}" + (f" — {reported[name].note}" if reported[name].note else "")
            for name, i in _sources(comparisons).items()]


def to_rich(versus: Versus) -> RenderableType:
    """A table per dataset: each reproducing model's measured rows beside the reported row, then the sources."""
    parts: list[RenderableType] = []
    for dataset, comparisons in _by_dataset(versus):
        table = Table(title=f"{dataset} — measured vs reported", title_justify="left", caption=NOTE,
                      caption_justify="left")
        for name in HEADER:
            numeric = name in ("n", "measured", "reported", "measured − reported")
            table.add_column(name, justify="right" if numeric else "left")
        sources = _sources(comparisons)
        for comparison in comparisons:
            table.add_row(*_cells(comparison, sources[comparison.reported.model]),
                          style="dim" if comparison.measured is None else None)
        parts += [table, *(Text(line, style="dim") for line in _footnotes(comparisons)), Text("")]
    parts += [Text(line, style="yellow") for line in unmatched_lines(versus)]
    return Group(*parts)


def to_markdown(versus: Versus) -> str:
    """A section per dataset with the comparison table and the reported rows' sources."""
    lines: list[str] = []
    for dataset, comparisons in _by_dataset(versus):
        sources = _sources(comparisons)
        rows = [_cells(comparison, sources[comparison.reported.model]) for comparison in comparisons]
        lines += [f"### {dataset} — measured vs reported", "", f"_{NOTE}_", ""]
        lines += _md_table(HEADER, rows, numeric_from=len(HEADER))
        lines += [""] + [f"- {line}" for line in _footnotes(comparisons)] + [""]
    lines += [f"> {line}" for line in unmatched_lines(versus)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _record(comparison: Comparison) -> dict[str, Any]:
    """A comparison for machines: stored 0-1 values, None where undefined."""
    metric, reported, measured = comparison.metric, comparison.reported, comparison.measured
    record = {
        "dataset": comparison.dataset, "model": comparison.model, "metric": metric,
        "status": "measured" if measured else NOT_MEASURED,
        "reported_model": reported.model, "reported": _number(reported.cells[metric].mean),
        "citation": reported.citation, "note": reported.note, "difference": _number(comparison.difference),
    }
    return record | _measured_record(measured, metric)


def _measured_record(row: Row | None, metric: str) -> dict[str, Any]:
    if row is None:
        return {"masker": None, "scorer": None, "differs": {}, "group_key": None, "n": 0, "seeds": [],
                "sample_seeds": [], "measured": None, "measured_std": None, "measured_n": 0}
    cell = row.cells[metric]
    return {"masker": row.masker, "scorer": row.scorer, "differs": row.differs, "group_key": row.group_key,
            "n": row.n, "seeds": row.seeds, "sample_seeds": row.sample_seeds, "measured": _number(cell.mean),
            "measured_std": _number(cell.std), "measured_n": cell.n}


def to_json(versus: Versus) -> str:
    """``{"comparisons": [...], "unmatched": {model: reported_as}}``; ``difference`` = measured − reported on the
    stored 0-1 scale, null where the model is not measured or lacks the metric."""
    payload = {"comparisons": [_record(comparison) for comparison in versus.comparisons],
               "unmatched": versus.unmatched}
    return json.dumps(payload, indent=2, allow_nan=False, default=str)


CSV_FIELDS = ["dataset", "model", "metric", "status", "masker", "scorer", "settings", "n", "group_key", "measured",
              "measured_std", "measured_n", "reported_model", "reported", "difference", "citation", "note"]


def to_csv(versus: Versus) -> str:
    """One line per comparison, values on the stored 0-1 scale, empty where undefined; ``settings`` as the
    leaderboard's CSV writes them."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for comparison in versus.comparisons:
        settings = _settings(comparison.measured) if comparison.measured else ""
        writer.writerow(_record(comparison) | {"settings": settings})
    return buffer.getvalue()


TEXT_FORMATS = {"markdown": to_markdown, "csv": to_csv, "json": to_json}
