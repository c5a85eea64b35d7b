"""Leaderboards group seeds, match numpy's mean and sample std, rank by direction and keep reported rows apart."""

from __future__ import annotations

import math

import pytest
from report_helpers import expected

from vadbench.errors import ConfigError
from vadbench.report.leaderboard import leaderboards


def _avenue(store, **options):
    return next(board for board in leaderboards(store, **options) if board.dataset == "avenue")


def test_rows_are_seed_groups_with_numpy_mean_and_std(filled):
    store, _ = filled
    board = _avenue(store, columns=["ap"])
    assert [(row.rank, row.model, row.differs, row.n) for row in board.measured] == [
        (1, "interp", {"protocol.sigma": 6}, 3), (2, "interp", {"protocol.sigma": 4}, 3),
        (3, "mamba-ramvid", {"protocol.sigma": 4}, 2)]  # the board mixes sigmas: every row says its own
    for row in board.measured:
        sigma = row.settings["protocol"]["sigma"]
        for column, metric in enumerate(("auc_micro", "ap")):
            mean, std = expected(row.model, sigma, column)
            assert math.isclose(row.cells[metric].mean, mean) and math.isclose(row.cells[metric].std, std)


def test_reported_rows_stay_apart_and_out_of_the_means(filled):
    store, _ = filled
    board = _avenue(store, columns=["accuracy_oracle"])
    assert {row.source for row in board.measured} == {"measured"}
    assert {row.source for row in board.reported} == {"reported"} and all(row.citation for row in board.reported)
    thesis = next(row for row in board.reported if row.model.startswith("Mamba-RaMViD"))
    assert board.reported[-1] is thesis  # it has no AUC, so it ranks below every reported AUC
    assert math.isclose(thesis.cells["accuracy_oracle"].mean, 0.85) and "auc_micro" not in thesis.cells
    assert all(row.cells["accuracy_oracle"].n == 0 for row in board.measured)
    assert not _avenue(store, reported=False).reported


def test_lower_is_better_metrics_rank_ascending(filled):
    store, _ = filled
    board = _avenue(store, metric="eer", columns=[])
    assert [row.cells["eer"].mean for row in board.measured] == sorted(row.cells["eer"].mean for row in board.measured)
    assert board.measured[0].differs == {"protocol.sigma": 6}


def test_filters_by_dataset_model_and_run(filled):
    store, run_id = filled
    assert [board.dataset for board in leaderboards(store, datasets=["avenue"])] == ["avenue"]
    board = _avenue(store, models=["mamba-ramvid"])
    assert [row.model for row in board.measured] == ["mamba-ramvid"] and not board.reported
    assert sum(row.n for row in _avenue(store, run_id=run_id).measured) == 8
    assert {board.dataset for board in leaderboards(store)} == {"avenue", "stc", "ubnormal"}


def test_empty_results_say_which_filter_left_nothing(filled):
    store, _ = filled
    with pytest.raises(ConfigError, match="no results for dataset 'ped2'; datasets in .*avenue"):
        leaderboards(store, datasets=["ped2"])
    with pytest.raises(ConfigError, match="no results have metric 'auc_mikro'"):
        leaderboards(store, metric="auc_mikro")
    with pytest.raises(ConfigError, match="cannot rank"):
        leaderboards(store, metric="frames_scored")
    with pytest.raises(ConfigError, match="no results match metric 'rbdc'"):
        leaderboards(store, metric="rbdc", models=["interp"])


def test_floor_verdict_compares_each_models_best_row_with_the_floors(filled):
    from vadbench.report.leaderboard import floor_verdict

    store, _ = filled
    board = _avenue(store)
    floor, _ = expected("interp", 6, 0)  # interp's best group is the floor
    mamba, spread = expected("mamba-ramvid", 4, 0)
    line = floor_verdict(board, "interp")
    assert line.startswith(f"avenue: the floor interp is {100 * floor:.1f} auc_micro at best (mse)")
    assert f"mamba-ramvid (mse) {100 * mamba:.1f} ± {100 * spread:.1f} over 2 jobs, " \
           f"{100 * (mamba - floor):+.1f} points: does not beat the floor" in line
    assert line.endswith("0 of 1 models beat the floor.")
    assert floor_verdict(board, "attention-ramvid") is None
