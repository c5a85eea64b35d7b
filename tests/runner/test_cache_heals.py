"""The stage cache heals: a stage is complete only when all its files are there and readable; a missing or
broken file is redone with one note; a scorer's output is validated before it is cached."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

from vadbench import hookimpl, plugin_host
from vadbench import stage_cache
from vadbench.runner.run import RunRequest, execute, plan
from vadbench.store.db import open_store

OPTIONS = [("dataset.synthetic.size", [16, 16]), ("dataset.synthetic.scenes", 1),
           ("dataset.synthetic.train_videos", 1), ("dataset.synthetic.test_videos", 2),
           ("dataset.synthetic.frames", 60)]
RAMVID = [("preset", "tiny"), ("train_steps", 2), ("sampling_steps", 2)]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    return open_store(f"sqlite:///{tmp_path / 'results.db'}")


def run(store, model, scorer):
    options = OPTIONS + (RAMVID if model.endswith("ramvid") else [])
    the_plan = plan(RunRequest(models=[model], datasets=["synthetic"], scorers=[scorer], cfg_options=options,
                               device="cpu"), store)
    _, outcomes = execute(the_plan, store)
    return the_plan.jobs[0].job, outcomes[0]


def test_a_removed_reconstruction_is_redone(store, capsys):
    job, first = run(store, "interp", "mse")
    folder = stage_cache.stage_dir("infer", job.keys["infer"])
    (one, two) = sorted(folder.glob("*.npz"))
    expected = one.read_bytes()
    one.unlink()
    two.write_bytes(two.read_bytes()[:100])  # truncated by a full disk, say
    _, again = run(store, "interp", "l1")  # another job on the same reconstructions
    assert again.status == "done", again.error
    assert one.read_bytes() == expected and stage_cache.readable(two, ("recon",))
    assert "2 of 2 videos missing or unreadable" in capsys.readouterr().err


@pytest.mark.slow
def test_a_fit_whose_checkpoint_is_gone_trains_again(store, capsys):
    job, first = run(store, "attention-ramvid", "mse")
    folder = stage_cache.stage_dir("fit", job.keys["fit"])
    (checkpoint,) = folder.glob("ckpt-*.pt")
    weights = torch.load(checkpoint, weights_only=True)["model"]
    checkpoint.unlink()
    for infer in (folder.parent.parent / "infer").iterdir():  # nothing downstream of the fit is left either
        for path in infer.iterdir():
            path.unlink()
    _, again = run(store, "attention-ramvid", "l1")
    assert again.status == "done", again.error
    assert "is gone; training again" in capsys.readouterr().err
    retrained = torch.load(checkpoint, weights_only=True)["model"]
    assert all(torch.equal(weights[key], retrained[key]) for key in weights)


class NaNScorer:
    name = "nan-scorer"

    def __call__(self, frames, reconstructions):
        return torch.full((len(frames),), float("nan"))


def test_non_finite_scores_fail_the_job_and_are_not_cached(store, fresh_plugins):
    plugin = types.SimpleNamespace(register_scorers=hookimpl(
        lambda register: register("nan-scorer", NaNScorer, description="returns NaN")))
    plugin_host.host().add(plugin, "nan-plugin")
    job, outcome = run(store, "interp", "nan-scorer")
    assert outcome.status == "failed"
    assert "scorer 'nan-scorer' returned" in outcome.error and "non-finite" in outcome.error
    assert not (stage_cache.stage_dir("score", job.keys["score"]) / "errors.npz").exists()


def test_stage_keys_hold_the_plugins_distribution_and_version(store):
    job, _ = run(store, "interp", "mse")
    assert plugin_host.code_identity("scorer", "mse") == {"plugin": "vadbench_plugins.scorers",
                                                      "distribution": "vadbench", "version": "0.1.0"}
    the_plan = plan(RunRequest(models=["interp"], datasets=["synthetic"], scorers=["mse"], cfg_options=OPTIONS,
                               device="cpu"), store)
    planned = the_plan.jobs[0]
    planned.parts.code["scorer"] = {**planned.parts.code["scorer"], "version": "0.1.1"}
    from vadbench.runner.stages import assign_keys

    assign_keys(planned.job, planned.parts)
    assert planned.job.keys["infer"] == job.keys["infer"] and planned.job.keys["score"] != job.keys["score"]
    assert np.load(next(stage_cache.stage_dir("infer", job.keys["infer"]).glob("*.npz")))["recon"].ndim == 6
