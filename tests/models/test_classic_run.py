"""conv-ae and ffp through ``vadbench run``: under vadbench's default protocol (30-frame windows, the selective
masker), under their papers' protocols (windows with no anchor at all; the frames no window masks), and FFP's
config on an official Avenue layout."""

from __future__ import annotations

import json
import sqlite3

import pytest

from stored_metrics import dataset_metrics
from test_ramvid_run import home

SMALL = ["dataset.synthetic.size=[16, 16]", "dataset.synthetic.scenes=1", "dataset.synthetic.train_videos=1",
         "dataset.synthetic.test_videos=2", "dataset.synthetic.frames=60", "preset=tiny", "train_steps=2"]


def options(*items: str) -> list[str]:
    return [arg for item in items for arg in ("--cfg-options", item)]


def test_both_run_under_the_default_protocol(tmp_path, vadbench):
    result = vadbench("run", "--model", "conv-ae,ffp", "--scorer", "mse", "--dataset", "synthetic", *options(*SMALL),
                      cwd=tmp_path, env_extra=home(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(tmp_path / "results.db") as connection:
        jobs = connection.execute("select model, masker, status, settings from jobs where source = 'measured'"
                                  ).fetchall()
    assert sorted((model, masker, status) for model, masker, status, _ in jobs) == [
        ("conv-ae", "selective", "done"), ("ffp", "selective", "done")]
    assert all(json.loads(settings)["protocol"]["window"] == 30 for *_, settings in jobs)
    for model in ("conv-ae", "ffp"):
        assert 0 <= dataset_metrics(tmp_path / "results.db", model)["auc_micro"] <= 1


def test_the_papers_protocols_score_windows_without_anchors_and_count_the_frames_no_window_masks(tmp_path, vadbench):
    ae = vadbench("run", "--model", "conv-ae", "--masker", "autoencode", "--dataset", "synthetic",
                  *options(*SMALL, "protocol.window=10", "protocol.stride=1", "protocol.aggregate=mean"),
                  cwd=tmp_path, env_extra=home(tmp_path))
    assert ae.returncode == 0, ae.stdout + ae.stderr
    ffp = vadbench("run", "--model", "ffp", "--masker", "predict", "--scorer", "psnr", "--dataset", "synthetic",
                   *options(*SMALL, "protocol.window=5", "protocol.stride=1", "protocol.normalize=true",
                            "protocol.sigma=0"), cwd=tmp_path, env_extra=home(tmp_path))
    assert ffp.returncode == 0, ffp.stdout + ffp.stderr
    conv_ae, predicted = (dataset_metrics(tmp_path / "results.db", model) for model in ("conv-ae", "ffp"))
    assert conv_ae["frames_excluded"] == 0 and conv_ae["frames_scored"] == 2 * 60  # no anchors: every frame
    assert predicted["frames_excluded"] == 2 * 4 and predicted["frames_scored"] == 2 * 56  # the first 4 of each


SYNTH = ["-o", "size=[32,32]", "-o", "frames=60", "-o", "train_videos=1", "-o", "test_videos=2"]


@pytest.mark.slow
def test_the_ffp_config_runs_on_an_official_avenue_layout(tmp_path, vadbench):
    written = vadbench("datasets", "synth", "--format", "avenue", "--out", str(tmp_path / "avenue"), *SYNTH,
                       cwd=tmp_path)
    assert written.returncode == 0, written.stdout + written.stderr
    run = vadbench("run", "--config", "ffp", "--dataset", "avenue", "--seed", "0",
                   *options(f"dataset.avenue.root={tmp_path / 'avenue'}", "dataset.avenue.size=[32, 32]",
                            "model.ffp.train_steps=3"), cwd=tmp_path, env_extra=home(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    metrics = dataset_metrics(tmp_path / "results.db", "ffp")
    assert 0 <= metrics["auc_micro"] <= 1 and metrics["frames_excluded"] == 4 * metrics["videos"]
