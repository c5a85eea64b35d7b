"""Localisation end to end on the synthetic dataset: error maps -> regions and pixel summaries -> metric rows.

A scores model reading maps equal to the ground-truth masks is perfect at every level (RBDC = TBDC = 1, pixel AUROC
= AUPRO = 1); maps of noise give a pixel AUROC of about one half; the interp floor's maps give rows of every
localisation metric, and the localise stage is cached apart from the evaluation."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from vadbench import plugin_host

SIZE = [32, 32]
OPTIONS = ["--cfg-options", f"dataset.synthetic.size={SIZE}"]
LOCALISATION = {"rbdc", "tbdc", "pixel_auroc", "pixel_ucsd_auc", "aupro", "gt_regions", "gt_tracks", "detections",
                "pixels_sampled"}


def dataset_values(db_path, model: str) -> dict[str, float]:
    with sqlite3.connect(db_path) as connection:
        return dict(connection.execute(
            "select m.metric, m.value from metrics m join jobs j on m.job_id = j.id where j.model = ? and "
            "j.status = 'done' and m.scope = 'dataset'", (model,)).fetchall())


def write_scores_and_maps(folder, maps_of):
    """Per synthetic test video: its labels as scores and ``maps_of(masks)`` as its error maps."""
    dataset = plugin_host.catalog("dataset").get("synthetic").build(size=SIZE)
    (folder / "scores").mkdir()
    (folder / "maps").mkdir()
    for video in dataset.videos("test"):
        np.save(folder / "scores" / f"{video.id}.npy", dataset.labels(video).astype(np.float64))
        np.save(folder / "maps" / f"{video.id}.npy", maps_of(dataset.masks(video)).astype(np.float32))


def run_scores(folder, vadbench, *extra):
    result = vadbench("run", "--model", "scores", "--dataset", "synthetic", *OPTIONS,
                      "--cfg-options", f"model.scores.path={folder / 'scores'}",
                      "--cfg-options", f"model.scores.maps={folder / 'maps'}", *extra, cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    return dataset_values(folder / "results.db", "scores")


def test_maps_equal_to_the_masks_are_perfect_at_every_level(tmp_path, vadbench):
    write_scores_and_maps(tmp_path, lambda masks: masks)
    values = run_scores(tmp_path, vadbench)
    assert LOCALISATION <= values.keys()
    for metric in ("rbdc", "tbdc", "pixel_auroc", "pixel_ucsd_auc", "aupro"):
        assert values[metric] == pytest.approx(1.0, abs=1e-12), metric
    assert values["gt_tracks"] >= 1 and values["gt_regions"] >= values["gt_tracks"]


def test_maps_of_noise_give_a_pixel_auroc_of_one_half(tmp_path, vadbench):
    rng = np.random.default_rng(0)
    write_scores_and_maps(tmp_path, lambda masks: rng.random(masks.shape))
    values = run_scores(tmp_path, vadbench)
    assert values["pixel_auroc"] == pytest.approx(0.5, abs=0.02)
    assert values["rbdc"] < 0.5


def test_a_pixel_budget_samples_and_stays_close(tmp_path, vadbench):
    rng = np.random.default_rng(1)
    write_scores_and_maps(tmp_path, lambda masks: masks + rng.normal(0, 0.8, masks.shape))
    full = run_scores(tmp_path, vadbench)
    sampled = run_scores(tmp_path, vadbench, "--cfg-options", "protocol.pixel_budget=40000")
    assert sampled["pixels_sampled"] < full["pixels_sampled"] and sampled["pixels_sampled"] >= 40000
    assert sampled["pixel_auroc"] == pytest.approx(full["pixel_auroc"], abs=0.01)
    assert sampled["rbdc"] == full["rbdc"]  # regions are cut from every pixel, whatever the budget


def test_the_interp_floor_localises_once_for_every_sigma(tmp_path, vadbench):
    home = {"VADBENCH_HOME": str(tmp_path / "home")}
    result = vadbench("run", "--model", "interp", "--scorer", "mse", "--dataset", "synthetic", "--sigma", "0,3",
                      *OPTIONS, cwd=tmp_path, env_extra=home)
    assert result.returncode == 0, result.stdout + result.stderr
    outcome = result.stdout[result.stdout.index("run "):]  # the job-outcome table: every axis, rbdc beside the AUCs
    assert "sigma" in outcome and "rbdc" in outcome and {"0", "3"} <= set(outcome.split())
    with sqlite3.connect(tmp_path / "results.db") as connection:
        rows = connection.execute(
            "select j.localise_key, count(distinct m.metric) from jobs j join metrics m on m.job_id = j.id where "
            "j.model = 'interp' and m.scope = 'dataset' and m.metric in (%s) group by j.id"
            % ",".join("?" * len(LOCALISATION)), sorted(LOCALISATION)).fetchall()
    assert len(rows) == 2 and {count for _, count in rows} == {len(LOCALISATION)}
    assert len({key for key, _ in rows}) == 1  # both sigmas share one localise stage
    assert [path.name for path in (tmp_path / "home" / "stages" / "localise").iterdir()] == [rows[0][0]]

    ranked = vadbench("report", "--metric", "rbdc", "--columns", "tbdc,pixel_auroc,aupro", "--no-reported",
                      "--format", "csv", cwd=tmp_path)
    assert ranked.returncode == 0, ranked.stderr
    header, *lines = ranked.stdout.strip().splitlines()
    assert {"rbdc", "tbdc", "pixel_auroc", "aupro"} <= set(header.split(",")) and len(lines) == 2

    with sqlite3.connect(tmp_path / "results.db") as connection:
        (run,) = connection.execute("select id from runs").fetchone()
    plotted = vadbench("plot", run, "--out", "plots", cwd=tmp_path, env_extra=home)
    assert plotted.returncode == 0, plotted.stdout + plotted.stderr
    assert len(list((tmp_path / "plots").glob("*_rbdc_tbdc.png"))) == 2
    assert len(list((tmp_path / "plots").glob("*_regions.png"))) == 2


def test_localise_false_skips_the_stage(tmp_path, vadbench):
    write_scores_and_maps(tmp_path, lambda masks: masks)
    values = run_scores(tmp_path, vadbench, "--cfg-options", "protocol.localise=false")
    assert "auc_micro" in values and not LOCALISATION & values.keys()


def test_a_bad_region_setting_is_one_clear_error(tmp_path, vadbench):
    result = vadbench("run", "--model", "interp", "--dataset", "synthetic", "--cfg-options",
                      "protocol.region_levels=[0.5, 1.5]", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "protocol.region_levels must be a non-empty list of numbers strictly between 0 and 1" in result.stderr
