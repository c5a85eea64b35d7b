"""`vadbench run` on each real dataset format: the synthetic data written in the official layout, then evaluated."""

from __future__ import annotations

import json
import sqlite3

import pytest


SYNTH = ["-o", "size=[32,32]", "-o", "frames=60", "-o", "train_videos=1", "-o", "test_videos=2"]


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["avenue", "stc", "ubnormal"])
def test_run_on_an_official_layout(tmp_path, dataset, vadbench):
    written = vadbench("datasets", "synth", "--format", dataset, "--out", str(tmp_path / dataset), *SYNTH,
                       cwd=tmp_path)
    assert written.returncode == 0, written.stdout + written.stderr
    options = [f"dataset.{dataset}.root={tmp_path / dataset}", f"dataset.{dataset}.size=[32, 32]"]
    run = vadbench("run", "--model", "interp", "--scorer", "mse", "--dataset", dataset,
                   *[arg for option in options for arg in ("--cfg-options", option)], cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    with sqlite3.connect(tmp_path / "results.db") as connection:
        (value,) = connection.execute(
            "select m.value from metrics m join jobs j on m.job_id = j.id where j.dataset = ? and "
            "j.source = 'measured' and m.scope = 'dataset' and m.metric = 'auc_micro'", (dataset,)).fetchone()
    assert 0.5 < value <= 1.0  # interpolation error finds the synthetic anomalies in every layout


def test_config_file_sets_the_run_and_bad_config_is_one_clear_error(tmp_path, vadbench):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "base.py").write_text("protocol = dict(sigma=1.0)\n")
    (tmp_path / "configs" / "mine.py").write_text(
        "_base_ = ['./base.py']\nrun = dict(models=['interp'], scorers=['mse', 'l1'], seeds=[0, 1])\n"
        "dataset = {'synthetic': dict(size=[32, 32])}\n")
    planned = vadbench("run", "--config", "configs/mine.py", "--dry-run", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert "4 jobs" in planned.stdout
    ran = vadbench("run", "--config", "configs/mine.py", "--seed", "0", cwd=tmp_path)  # options override `run`
    assert ran.returncode == 0, ran.stderr
    with sqlite3.connect(tmp_path / "results.db") as connection:
        settings = [json.loads(text) for (text,) in connection.execute(
            "select settings from jobs where source = 'measured'")]
    assert len(settings) == 2  # one seed x two scorers
    assert all(s["protocol"]["sigma"] == 1.0 and s["dataset"]["settings"]["size"] == [32, 32] for s in settings)

    (tmp_path / "configs" / "bad.py").write_text("runs = dict(models=['interp'])\n")
    bad = vadbench("run", "--config", "configs/bad.py", cwd=tmp_path)
    assert bad.returncode == 1 and "unknown section(s) runs" in bad.stderr and "Traceback" not in bad.stderr
