"""Measured rows beside the published (reported) rows they reproduce.

A model plugin names the reported row it reproduces at registration (``reported_as``, the reported job's model
name). For every such model and every dataset where that reported row exists, each metric the reported row holds
(among the leaderboard's metrics) gives one comparison per measured settings group of the model on that dataset,
in leaderboard rank order, or one "not measured" comparison when the model has no jobs there yet. The measured
side is the leaderboard's row (mean ± sample std over seeds and sample draws, n, and the settings that set it
apart from the model's other groups), so the two reports never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from vadbench.errors import ConfigError
from vadbench.report.leaderboard import DEFAULT_METRIC, Board, Row, leaderboards
from vadbench.store import Store


@dataclass(frozen=True)
class Comparison:
    """One metric of one reported row against one measured row of the model that reproduces it (None: the model
    has not been measured on this dataset)."""

    dataset: str
    model: str
    metric: str
    reported: Row
    measured: Row | None

    @property
    def difference(self) -> float:
        """Measured mean minus the reported value, on the stored scale (0-1 for fractions); NaN where the measured
        row has no value of the metric or there is no measured row."""
        if self.measured is None:
            return math.nan
        return self.measured.cells[self.metric].mean - self.reported.cells[self.metric].mean


@dataclass
class Versus:
    """The comparisons, by dataset, model, metric and measured rank; ``unmatched``: the models whose
    ``reported_as`` names no reported row with these metrics on these datasets (model -> its ``reported_as``)."""

    comparisons: list[Comparison]
    datasets: list[str]
    metrics: list[str]
    unmatched: dict[str, str] = field(default_factory=dict)


def versus_reported(store: Store, reported_as: Mapping[str, str], *, metric: str = DEFAULT_METRIC,
                    columns: list[str] | None = None, datasets: list[str] = (), models: list[str] = (),
                    run_id: str | None = None, limited: bool = False) -> Versus:
    """The comparisons of every model in ``reported_as`` (model -> the reported row's model name), or of those among
    ``models``, on the leaderboard's datasets and metrics (``metric`` and ``columns``, as ``leaderboards`` takes
    them); ``run_id`` and ``limited`` select the measured jobs as they do there."""
    chosen = {model: name for model, name in sorted(reported_as.items()) if not models or model in models}
    if not chosen:
        declared = ", ".join(sorted(reported_as)) or "none"
        asked = f"model {', '.join(map(repr, models))} declares" if models else "no model plugin declares"
        raise ConfigError(f"{asked} the published row it reproduces (register(..., reported_as=\"FFP (CVPR'18)\")); "
                          f"models that do: {declared}")
    boards = leaderboards(store, metric=metric, columns=columns, datasets=datasets, run_id=run_id, limited=limited)
    comparisons = [comparison for board in boards for model, name in chosen.items()
                   for comparison in _compare(board, model, name)]
    shown = {row.model for board in boards for row in board.reported}
    versus = Versus(comparisons, [board.dataset for board in boards], boards[0].metrics,
                    {model: name for model, name in chosen.items() if name not in shown})
    if not comparisons:
        raise ConfigError("no reported row to compare with: " + "; ".join(unmatched_lines(versus)))
    return versus


def unmatched_lines(versus: Versus) -> list[str]:
    """One sentence per model whose ``reported_as`` matched no reported row shown."""
    where = f"with {', '.join(versus.metrics)} on {', '.join(versus.datasets)}"
    return [f"model {model} reproduces {name!r} (its reported_as), but no reported row of that name has a value "
            f"{where}; check the name against `vadbench report` (or widen --dataset / --columns)"
            for model, name in versus.unmatched.items()]


def _compare(board: Board, model: str, name: str) -> list[Comparison]:
    """The comparisons of ``model`` with its reported row ``name`` on one board (none if the board lacks the row)."""
    measured = [row for row in board.measured if row.model == model] or [None]
    return [Comparison(board.dataset, model, metric, reported, row)
            for reported in board.reported if reported.model == name
            for metric in board.metrics if _defined(reported, metric)
            for row in measured]


def _defined(row: Row, metric: str) -> bool:
    cell = row.cells.get(metric)
    return cell is not None and cell.n > 0
