"""Leaderboard rows over seeds x sample draws, the per-kind board (``report --scope kind``) and ``show``'s kind table."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from vadbench.cli.results import register
from vadbench.errors import ConfigError
from vadbench.report.leaderboard import leaderboards
from vadbench.report.render import to_json, to_markdown
from vadbench.store import JobRecord, open_store

SEEDS, DRAWS = (0, 1), (0, 1, 2)


def _kinds(model: str, seed: int, draw: int | None) -> dict[str, float]:
    """auc_micro per anomaly kind of one job: a sampling model, and a deterministic floor below it."""
    if model == "interp":
        return {"running": 0.55, "vehicle": 0.65}
    return {"running": 0.60 + 0.01 * seed + 0.002 * draw, "vehicle": 0.80 - 0.01 * draw}


@pytest.fixture
def kinds_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'results.db'}"
    with open_store(url) as store:
        run_id = store.start_run(command="vadbench run", config={}, config_hash="h", versions={}, git_commit=None,
                                 device="cpu", host="test")
        members = [("ramvid", seed, draw) for seed in SEEDS for draw in reversed(DRAWS)] + [("interp", 0, None)]
        for model, seed, draw in members:
            values = _kinds(model, seed, draw)
            rows = [("kind", kind, "auc_micro", value) for kind, value in values.items()]
            rows.append(("dataset", "synthetic", "auc_micro", float(np.mean(list(values.values())))))
            store.save_job(run_id, JobRecord(dataset="synthetic", model=model, masker="selective", scorer="mse",
                                             seed=seed, sample_seed=draw, eval_key=f"{model}-{seed}-{draw}"), rows)
        yield store, run_id, url


def _expected(kind: str | None) -> tuple[float, float]:
    """numpy's mean and sample std over the sampling model's six jobs, of one kind or of each job's mean of kinds."""
    values = [_kinds("ramvid", s, d)[kind] if kind else np.mean(list(_kinds("ramvid", s, d).values()))
              for s in SEEDS for d in DRAWS]
    return float(np.mean(values)), float(np.std(values, ddof=1))


def test_rows_average_over_seeds_and_draws(kinds_store):
    store, _, _ = kinds_store
    board = leaderboards(store, datasets=["synthetic"], columns=[], reported=False)[0]
    ramvid, interp = board.measured
    assert ramvid.n == 6 and ramvid.seeds == [0, 0, 0, 1, 1, 1] and ramvid.sample_seeds == [0, 1, 2, 0, 1, 2]
    assert interp.sample_seeds == [None] and interp.n == 1
    mean, std = _expected(None)
    assert math.isclose(ramvid.cells["auc_micro"].mean, mean) and math.isclose(ramvid.cells["auc_micro"].std, std)
    text = to_markdown([board])
    assert "| 6 (seeds 0,1 × draws 0,1,2) |" in text and "| interp | selective | mse | 1 |" in text
    first = json.loads(to_json([board]))["boards"][0]["measured"][0]
    assert first["sample_seeds"] == [0, 1, 2, 0, 1, 2] and first["seeds"] == [0, 0, 0, 1, 1, 1]


def test_kind_board_has_one_column_per_kind_ranked_by_the_mean_of_kinds(kinds_store):
    store, _, _ = kinds_store
    board = leaderboards(store, scope="kind")[0]
    assert (board.dataset, board.scope, board.metric, board.columns) == ("synthetic", "kind", "auc_micro",
                                                                          ["running", "vehicle"])
    assert [row.model for row in board.measured] == ["ramvid", "interp"] and not board.reported
    ramvid = board.measured[0]
    for column, kind in (("running", "running"), ("vehicle", "vehicle"), ("auc_micro", None)):
        mean, std = _expected(kind)
        assert math.isclose(ramvid.cells[column].mean, mean) and math.isclose(ramvid.cells[column].std, std)
    text = to_markdown([board])
    assert "auc_micro per anomaly kind, ranked by the mean of kinds ↑" in text
    assert "| mean of kinds ↑ | running ↑ | vehicle ↑ |" in text and "| 60.0 | 55.0 | 65.0 |" in text
    payload = json.loads(to_json([board]))["boards"][0]
    assert payload["scope"] == "kind" and payload["columns"] == ["running", "vehicle"]


def test_kind_board_errors_name_the_fix(kinds_store, tmp_path):
    store, _, _ = kinds_store
    with pytest.raises(ConfigError, match="leave --columns out"):
        leaderboards(store, scope="kind", columns=["ap"])
    with pytest.raises(ConfigError, match="not one of dataset, scene, video, kind"):
        leaderboards(store, scope="camera")
    with pytest.raises(ConfigError, match="per scene .* metrics per scene: none stored"):
        leaderboards(store, scope="scene")
    with open_store(f"sqlite:///{tmp_path / 'empty.db'}") as empty:
        with pytest.raises(ConfigError, match="per anomaly kind .* use --scope dataset"):
            leaderboards(empty, scope="kind")


def test_report_scope_kind_and_show_print_the_kinds(kinds_store):
    _, run_id, url = kinds_store
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["report", "--db", url, "--scope", "kind", "-f", "csv"])
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split(",")
    assert {"auc_micro", "running", "running_std", "vehicle"} <= set(header) and "ap" not in header
    result = CliRunner().invoke(app, ["show", run_id, "--db", url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    kinds = result.output[result.output.index("synthetic: auc_micro per anomaly kind"):]
    assert "running" in kinds and "vehicle" in kinds and "0 draw 2" in kinds
    assert "55.0" in kinds and "80.0" in kinds  # interp's running, ramvid's vehicle at draw 0


@pytest.mark.parametrize(("scope", "metric", "members"), [("scene", "rbdc", {"01": 0.4, "02": 0.6}),
                                                         ("video", "auc", {"01_0014": 0.7, "01_0015": 0.9})])
def test_scene_and_video_boards_rank_by_the_mean_of_their_members(tmp_path, scope, metric, members):
    url = f"sqlite:///{tmp_path / 'results.db'}"
    with open_store(url) as store:
        run_id = store.start_run(command="vadbench run", config={}, config_hash="h", versions={}, git_commit=None,
                                 device="cpu", host="test")
        for model, shift in (("interp", 0.0), ("mamba-ramvid", 0.05)):
            rows = [(scope, member, metric, value + shift) for member, value in members.items()]
            store.save_job(run_id, JobRecord(dataset="stc", model=model, masker="selective", scorer="mse", seed=0,
                                             eval_key=f"{scope}-{model}"), rows)
        (board,) = leaderboards(store, metric=metric, scope=scope, reported=False)
        with pytest.raises(ConfigError, match=f"no results have metric 'auc_micro' per {scope}.*{metric}"):
            leaderboards(store, scope=scope)
    assert board.columns == sorted(members) and [row.model for row in board.measured] == ["mamba-ramvid", "interp"]
    assert board.measured[0].cells[metric].mean == pytest.approx(np.mean(list(members.values())) + 0.05)
    text = to_markdown([board])
    assert f"{metric} per {scope}, ranked by the mean of {scope}s" in text and f"mean of {scope}s" in text
