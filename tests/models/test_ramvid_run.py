"""attention-ramvid end to end through ``vadbench run``: fit, infer, score, store; then ``--checkpoint``."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

OPTIONS = ["dataset.synthetic.size=[16, 16]", "dataset.synthetic.scenes=1", "dataset.synthetic.train_videos=1",
           "dataset.synthetic.test_videos=2", "dataset.synthetic.frames=60", "preset=tiny", "train_steps=2",
           "sampling_steps=2"]
SMALL = [arg for option in OPTIONS for arg in ("--cfg-options", option)]


def home(cwd):
    """Each test's own caches (``cwd/home``), beside its store (``cwd/results.db``)."""
    return {"VADBENCH_HOME": str(cwd / "home")}


def exported_auc_micro(npz_file) -> float:
    """The micro AUC of an exported job, recomputed from its per-frame scores and labels: every video's scored
    frames pooled (unscored frames, NaN, left out with their labels), as docs/metrics.md defines it."""
    arrays = np.load(npz_file)
    videos = sorted(key.split("/", 1)[1] for key in arrays.files if key.startswith("scores/"))
    assert videos and all(f"labels/{video}" in arrays.files for video in videos)
    scores = np.concatenate([arrays[f"scores/{video}"] for video in videos])
    labels = np.concatenate([arrays[f"labels/{video}"] for video in videos])
    assert scores.shape == labels.shape and np.isnan(scores).any()  # the protocol leaves some frames unscored
    scored = ~np.isnan(scores)
    return float(roc_auc_score(labels[scored], scores[scored]))


@pytest.mark.slow
def test_attention_ramvid_run_lands_in_the_store(tmp_path, vadbench):
    result = vadbench("run", "--model", "attention-ramvid", "--masker", "selective,random", "--scorer", "mse",
                      "--dataset", "synthetic", *SMALL, cwd=tmp_path, env_extra=home(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(tmp_path / "results.db") as connection:
        jobs = connection.execute("select id, masker, status, provenance from jobs where model = 'attention-ramvid'"
                                  ).fetchall()
        aucs = connection.execute("select m.value from metrics m join jobs j on m.job_id = j.id where "
                                  "j.model = 'attention-ramvid' and m.metric = 'auc_micro' and m.scope = 'dataset'"
                                  ).fetchall()
    assert sorted((masker, status) for _, masker, status, _ in jobs) == [("random", "done"), ("selective", "done")]
    assert all('"sdpa"' in provenance and '"ema"' in provenance for *_, provenance in jobs)
    assert len(aucs) == 2 and all(0.0 <= value <= 1.0 for (value,) in aucs)
    with sqlite3.connect(tmp_path / "results.db") as connection:
        located = connection.execute(
            "select m.metric, count(*) from metrics m join jobs j on m.job_id = j.id where j.model = "
            "'attention-ramvid' and m.scope = 'dataset' and m.metric in ('rbdc', 'tbdc', 'pixel_auroc', 'aupro') "
            "and m.value between 0 and 1 group by m.metric").fetchall()
    assert dict(located) == {"rbdc": 2, "tbdc": 2, "pixel_auroc": 2, "aupro": 2}  # from the scorer's error maps

    with sqlite3.connect(tmp_path / "results.db") as connection:
        (run,) = connection.execute("select id from runs").fetchone()
    plotted = vadbench("plot", run, "--out", "plots", cwd=tmp_path, env_extra=home(tmp_path))
    assert plotted.returncode == 0, plotted.stderr
    assert len(list((tmp_path / "plots").glob("*_training.png"))) == 2  # one loss curve per fit (per masker)
    assert len(list((tmp_path / "plots").glob("*_rbdc_tbdc.png"))) == 2

    fits = tmp_path / "home" / "stages" / "fit"
    fitted = sorted(path.name for path in fits.iterdir())
    assert len(fitted) == 2  # one fit per masker
    checkpoint = next((tmp_path / "home").rglob("ckpt-00000002.pt"))
    given = ["run", "--model", "attention-ramvid", "--scorer", "l1", "--dataset", "synthetic",
             "--checkpoint", str(checkpoint), *SMALL]
    planned = vadbench(*given, "--dry-run", cwd=tmp_path, env_extra=home(tmp_path))
    assert planned.returncode == 0, planned.stdout + planned.stderr
    (row,) = [line for line in planned.stdout.splitlines() if "attention-ramvid" in line]
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells[4] == "l1" and cells[8:] == ["given", "to do", "to do"], cells  # fit, infer, job

    again = vadbench(*given, cwd=tmp_path, env_extra=home(tmp_path))
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(path.name for path in fits.iterdir()) == fitted  # the given checkpoint trained nothing
    with sqlite3.connect(tmp_path / "results.db") as connection:
        (fit_key, settings, provenance, given_run) = connection.execute(
            "select fit_key, settings, provenance, run_id from jobs where scorer = 'l1'").fetchone()
    assert fit_key.startswith("checkpoint-") and fit_key == f"checkpoint-{json.loads(settings)['checkpoint']}"
    assert json.loads(provenance)["checkpoint"] == str(checkpoint)

    # every stored micro AUC is the one its exported per-frame scores give
    for run_id in (run, given_run):
        exported = vadbench("export", run_id, "--out", "export", "--format", "npz", cwd=tmp_path,
                            env_extra=home(tmp_path))
        assert exported.returncode == 0, exported.stderr
    with sqlite3.connect(tmp_path / "results.db") as connection:
        stored = dict(connection.execute(
            "select j.id, m.value from metrics m join jobs j on m.job_id = j.id where j.source = 'measured' and "
            "m.metric = 'auc_micro' and m.scope = 'dataset'").fetchall())
    assert len(stored) == 3
    for job_id, value in stored.items():
        (npz_file,) = (tmp_path / "export").glob(f"job{job_id}_*.npz")
        assert exported_auc_micro(npz_file) == pytest.approx(value, abs=1e-9), npz_file.name
