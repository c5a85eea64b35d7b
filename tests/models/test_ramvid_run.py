"""attention-ramvid end to end through ``vadbench run``: fit, infer, score, store; then ``--checkpoint``."""

from __future__ import annotations

import sqlite3

import pytest

OPTIONS = ["dataset.synthetic.size=[16, 16]", "dataset.synthetic.scenes=1", "dataset.synthetic.train_videos=1",
           "dataset.synthetic.test_videos=2", "dataset.synthetic.frames=60", "preset=tiny", "train_steps=2",
           "sampling_steps=2"]
SMALL = [arg for option in OPTIONS for arg in ("--cfg-options", option)]


def home(cwd):
    """Each test's own caches (``cwd/home``), beside its store (``cwd/results.db``)."""
    return {"VADBENCH_HOME": str(cwd / "home")}


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
        (run,) = connection.execute("select id from runs").fetchone()
    plotted = vadbench("plot", run, "--out", "plots", cwd=tmp_path, env_extra=home(tmp_path))
    assert plotted.returncode == 0, plotted.stderr
    assert len(list((tmp_path / "plots").glob("*_training.png"))) == 2  # one loss curve per fit (per masker)

    checkpoint = next((tmp_path / "home").rglob("ckpt-00000002.pt"))
    again = vadbench("run", "--model", "attention-ramvid", "--scorer", "l1", "--dataset", "synthetic",
                     "--checkpoint", str(checkpoint), *SMALL, cwd=tmp_path, env_extra=home(tmp_path))
    assert again.returncode == 0, again.stdout + again.stderr
