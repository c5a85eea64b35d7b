"""Leaderboards: per dataset, measured jobs grouped over seeds and sample draws (mean ± sample std, n) and ranked by
one metric; published (reported) numbers kept in their own list, never averaged with measured ones.

At scope "dataset" the columns are metrics; at scope "scene", "video" or "kind" they are the dataset's scenes,
test videos or anomaly kinds, each holding the ranking metric measured there, and the rows rank by that metric's
mean over them."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from vadbench.errors import ConfigError
from vadbench.report.metric_display import kind
from vadbench.store import JobRecord, Store

DEFAULT_METRIC = "auc_micro"
DEFAULT_COLUMNS = ("ap", "auc_macro", "accuracy_oracle")
SCOPES = ("dataset", "scene", "video", "kind")
MEMBERS = {"scene": ("scene", "scenes"), "video": ("video", "videos"), "kind": ("anomaly kind", "kinds")}


@dataclass(frozen=True)
class Cell:
    """One metric of one row: mean and sample standard deviation (None for n < 2) over the n values."""

    mean: float
    std: float | None
    n: int

    @classmethod
    def of(cls, values: list[float]) -> Cell:
        values = [value for value in values if not math.isnan(value)]
        if not values:
            return cls(math.nan, None, 0)
        return cls(statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None, len(values))


@dataclass
class Row:
    """A leaderboard row: one settings group of measured jobs (all its seeds and sample draws), or one reported job.

    ``seeds`` and ``sample_seeds`` are the members', aligned, sorted by (seed, sample seed); ``n`` counts members.
    """

    source: str
    model: str
    masker: str | None
    scorer: str | None
    settings: dict[str, Any]
    differs: dict[str, Any]  # the settings that set this row apart from others of its model, masker and scorer
    group_key: str
    seeds: list[int | None]
    sample_seeds: list[int | None]  # None for deterministic models
    cells: dict[str, Cell]
    citation: str | None = None
    note: str | None = None
    rank: int | None = None
    measured_as: list[str] = field(default_factory=list)  # a reported row: the models on the board that reproduce it

    @property
    def n(self) -> int:
        return len(self.seeds)


@dataclass
class Board:
    """The leaderboard of one dataset: at a scope other than "dataset", ``columns`` are its members (scenes,
    videos, anomaly kinds) and the cell under ``metric`` is the mean over them."""

    dataset: str
    metric: str
    columns: list[str]
    scope: str = "dataset"
    measured: list[Row] = field(default_factory=list)
    reported: list[Row] = field(default_factory=list)

    @property
    def metrics(self) -> list[str]:
        return [self.metric, *self.columns]

    def metric_of(self, column: str) -> str:
        """The metric a column holds (its unit and direction): itself, or below scope "dataset" the board's metric."""
        return column if self.scope == "dataset" else self.metric


def leaderboards(store: Store, *, metric: str = DEFAULT_METRIC, columns: list[str] | None = None,
                 datasets: list[str] = (), models: list[str] = (), run_id: str | None = None,
                 reported: bool = True, scope: str = "dataset", limited: bool = False,
                 reported_as: Mapping[str, str] | None = None) -> list[Board]:
    """One board per dataset that has results, ranked by ``metric`` (the order its direction implies).

    ``scope`` "scene", "video" or "kind": the columns are the dataset's scenes, test videos or anomaly kinds
    (``columns`` must be None; at scope "video" the metrics are the per-video ``auc`` and ``ap``). Jobs run with
    ``--limit`` (a subset of the test set) are left out unless ``limited``. ``reported_as`` maps a model to the
    reported row it reproduces (its plugin's ``reported_as``): a reported row whose model has measured rows on the
    same board lists that model in ``measured_as``.
    """
    boards = _boards(store, metric, columns, datasets, models, run_id, reported, scope, limited)
    for board in boards:
        _label_reproductions(board, reported_as or {})
    return boards


def _label_reproductions(board: Board, reported_as: Mapping[str, str]) -> None:
    measured = {row.model for row in board.measured}
    for row in board.reported:
        row.measured_as = sorted(model for model, name in reported_as.items()
                                 if name == row.model and model in measured)


def _boards(store: Store, metric: str, columns: list[str] | None, datasets: list[str], models: list[str],
            run_id: str | None, reported: bool, scope: str, limited: bool) -> list[Board]:
    if kind(metric).higher_is_better is None:
        raise ConfigError(f"metric {metric!r} cannot rank rows (it is a count or a threshold); "
                          f"rank by auc_micro, auc_macro, ap, eer, f1_best or accuracy_oracle")
    if scope not in SCOPES:
        raise ConfigError(f"leaderboard scope {scope!r} is not one of {', '.join(SCOPES)}")
    if scope != "dataset":
        if columns is not None:
            raise ConfigError(f"columns are metrics at scope dataset only; at scope {scope} they are the "
                              f"{MEMBERS[scope][1]}, so leave --columns out (pick their metric with --metric)")
        return _member_boards(store, scope, metric, datasets, models, run_id, limited)
    columns = [name for name in (DEFAULT_COLUMNS if columns is None else columns) if name != metric]
    rows = _counted(store.metric_rows(metrics=[metric, *columns], datasets=datasets, models=models, run_id=run_id,
                                      reported=reported), limited)
    if not any(name == metric for _, name, _ in rows):
        _explain_empty(store, metric, datasets, models, run_id)
    by_dataset: dict[str, dict[int, tuple[JobRecord, dict[str, float]]]] = defaultdict(dict)
    for job, name, value in rows:
        by_dataset[job.dataset].setdefault(job.id, (job, {}))[1][name] = value
    return [_board(dataset, metric, columns, list(jobs.values())) for dataset, jobs in sorted(by_dataset.items())]


def _counted(rows: list, limited: bool) -> list:
    """``rows`` (each led by its job) without the jobs run with ``--limit``, unless ``limited``."""
    return rows if limited else [row for row in rows if "limit" not in row[0].settings]


def _member_boards(store: Store, scope: str, metric: str, datasets: list[str], models: list[str],
                   run_id: str | None, limited: bool) -> list[Board]:
    """Per dataset: the metric per member of ``scope`` (scene, video, kind) of each job, and under ``metric`` its
    mean over the job's members."""
    rows = _counted(store.scope_rows(scope, metrics=[metric], datasets=datasets, models=models, run_id=run_id),
                    limited)
    if not rows:
        if not store.scope_rows(scope, metrics=[metric]):
            present = sorted({name for _, _, name, _ in store.scope_rows(scope)})
            why = ("only datasets that name their anomaly kinds (e.g. synthetic) have them" if scope == "kind"
                   else f"metrics per {MEMBERS[scope][0]}: {', '.join(present) or 'none stored'}")
            raise ConfigError(f"no results have metric {metric!r} per {MEMBERS[scope][0]} in {store.url}; {why}; "
                              "use --scope dataset or another --metric")
        _explain_empty(store, metric, datasets, models, run_id)
    by_dataset: dict[str, dict[int, tuple[JobRecord, dict[str, float]]]] = defaultdict(dict)
    for job, member, _, value in rows:
        by_dataset[job.dataset].setdefault(job.id, (job, {}))[1][member] = value
    boards = []
    for dataset, jobs in sorted(by_dataset.items()):
        names = sorted({name for _, values in jobs.values() for name in values})
        members = [(job, {**values, metric: _mean(values.values())}) for job, values in jobs.values()]
        boards.append(_board(dataset, metric, names, members, scope=scope))
    return boards


def _mean(values: Iterable[float]) -> float:
    defined = [value for value in values if not math.isnan(value)]
    return statistics.fmean(defined) if defined else math.nan


def _board(dataset: str, metric: str, columns: list[str], jobs: list[tuple[JobRecord, dict[str, float]]],
           scope: str = "dataset") -> Board:
    board = Board(dataset, metric, columns, scope)
    groups: dict[str, list[tuple[JobRecord, dict[str, float]]]] = defaultdict(list)
    for job, values in jobs:
        if job.source == "reported":
            board.reported.append(Row("reported", job.model, job.masker, job.scorer, job.settings, {}, "", [None],
                                      [None], {name: Cell.of([value]) for name, value in values.items()},
                                      citation=job.citation, note=job.note))
        else:
            groups[job.group_key].append((job, values))
    for group_key, members in groups.items():
        first = members[0][0]
        cells = {name: Cell.of([values[name] for _, values in members if name in values]) for name in board.metrics}
        ordered = sorted((job for job, _ in members), key=lambda job: (job.seed is None, job.seed or 0,
                                                                        job.sample_seed is None, job.sample_seed or 0))
        board.measured.append(Row("measured", first.model, first.masker, first.scorer, first.settings, {}, group_key,
                                  [job.seed for job in ordered], [job.sample_seed for job in ordered], cells))
    _mark_differences(board.measured)
    board.measured.sort(key=lambda row: _rank_key(row, metric))
    for rank, row in enumerate(board.measured, start=1):
        row.rank = rank
    board.reported.sort(key=lambda row: _rank_key(row, metric))
    return board


def _rank_key(row: Row, metric: str) -> tuple:
    cell = row.cells.get(metric)
    missing = cell is None or math.isnan(cell.mean)
    signed = 0.0 if missing else (-cell.mean if kind(metric).higher_is_better else cell.mean)
    return missing, signed, row.model, row.masker or "", row.scorer or "", repr(sorted(row.differs.items()))


def flatten(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as dotted keys: ``{"protocol": {"sigma": 4}}`` -> ``{"protocol.sigma": 4}``."""
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _mark_differences(rows: list[Row]) -> None:
    """Fill ``differs`` with the settings whose values vary among rows of the same model, masker and scorer, and
    with the protocol settings that vary among all the rows: every row then says which protocol it was judged
    under whenever the board mixes protocols (a method's paper protocol beside vadbench's default)."""
    def varying(flats: list[dict[str, Any]]) -> list[str]:
        keys = sorted({key for flat in flats for key in flat})
        return [key for key in keys if len({repr(flat.get(key)) for flat in flats}) > 1]

    flats = {id(row): flatten(row.settings) for row in rows}
    protocol = [key for key in varying(list(flats.values())) if key.startswith("protocol.")]
    families: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        families[row.model, row.masker, row.scorer].append(row)
    for family in families.values():
        keys = sorted({*protocol, *varying([flats[id(row)] for row in family])})
        for row in family:
            row.differs = {key: flats[id(row)].get(key) for key in keys}


def _explain_empty(store: Store, metric: str, datasets: list[str], models: list[str], run_id: str | None) -> NoReturn:
    """Raise a ConfigError that says why no row has ``metric``: naming the filter that left nothing, if one did."""
    everything = store.metric_rows()
    present = sorted({name for _, name, _ in everything})
    if metric not in present:
        raise ConfigError(f"no results have metric {metric!r}; metrics in {store.url}: {', '.join(present)}")
    for label, wanted, have in (("dataset", datasets, {job.dataset for job, _, _ in everything}),
                                ("model", models, {job.model for job, _, _ in everything})):
        missing = sorted(set(wanted) - have)
        if missing:
            raise ConfigError(f"no results for {label} {', '.join(map(repr, missing))}; "
                              f"{label}s in {store.url}: {', '.join(sorted(have))}")
    if any("limit" in job.settings for job, name, _ in everything if name == metric):
        raise ConfigError(f"the results with metric {metric!r} that match come from runs with --limit (a subset of "
                          "the test set); add --limited to see them")
    raise ConfigError(f"no results match metric {metric!r}"
                      + (f", run {run_id}" if run_id else "") + "; widen the filters")


def floor_verdict(board: Board, floor: str) -> str | None:
    """One sentence per board: the best measured row of each model against the best row of the ``floor`` model
    (e.g. ``interp``) by the board's metric, in points; None when the floor has no row on this board."""
    better = kind(board.metric).higher_is_better
    best: dict[str, Row] = {}
    for row in board.measured:  # already ranked, best first
        if row.cells.get(board.metric) and not math.isnan(row.cells[board.metric].mean):
            best.setdefault(row.model, row)
    if floor not in best:
        return None
    base = best.pop(floor)
    floor_mean = base.cells[board.metric].mean
    parts = []
    for model, row in best.items():
        cell = row.cells[board.metric]
        delta = 100 * (cell.mean - floor_mean) * (1 if better else -1)
        spread = "" if cell.std is None else f" ± {100 * cell.std:.1f}"
        verdict = "beats the floor" if delta > 0 else "does not beat the floor"
        jobs = f"{cell.n} job" + "s" * (cell.n != 1)
        parts.append(f"{model} ({row.scorer or '-'}) {100 * cell.mean:.1f}{spread} over {jobs}, "
                     f"{delta:+.1f} points: {verdict}")
    beating = sum(1 for part in parts if part.endswith(": beats the floor"))
    return (f"{board.dataset}: the floor {floor} is {100 * floor_mean:.1f} {board.metric} at best "
            f"({base.scorer or '-'}); best row of each model: " + "; ".join(parts) +
            f". {beating} of {len(parts)} models beat the floor.")
