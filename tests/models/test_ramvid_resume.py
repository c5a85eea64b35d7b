"""A resumed infer stage writes the same bytes as an uninterrupted one, for each learned model, and the
inference regimes key the infer stage without retraining."""

from __future__ import annotations

import numpy as np
import pytest

from vadbench.runner.run import RunRequest, execute, plan
from vadbench.store.db import open_store

OPTIONS = [("dataset.synthetic.size", [16, 16]), ("dataset.synthetic.scenes", 1),
           ("dataset.synthetic.train_videos", 1), ("dataset.synthetic.test_videos", 3),
           ("dataset.synthetic.frames", 60), ("preset", "tiny"), ("train_steps", 2), ("sampling_steps", 2)]


def request(model: str, *extra: tuple[str, object], sample_seeds=(1,)) -> RunRequest:
    return RunRequest(models=[model], datasets=["synthetic"], scorers=["mse"], sample_seeds=list(sample_seeds),
                      cfg_options=[*OPTIONS, *extra], device="cpu")


def run(the_request: RunRequest, store):
    the_plan = plan(the_request, store)
    execute(the_plan, store)
    return the_plan


def infer_folder(the_plan):
    from vadbench import stage_cache

    return stage_cache.stage_dir("infer", the_plan.jobs[0].job.keys["infer"])


@pytest.mark.slow
@pytest.mark.parametrize("model", ["attention-ramvid", "mamba-ramvid"])
def test_resumed_inference_equals_an_uninterrupted_one(model, tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    store = open_store(f"sqlite:///{tmp_path / 'results.db'}")
    # ddpm draws fresh noise at every step: the regime in which a shared generator showed the bug
    first = run(request(model, ("sampler", "ddpm")), store)
    folder = infer_folder(first)
    files = sorted(folder.glob("*.npz"))
    assert len(files) == 3
    uninterrupted = {path.name: path.read_bytes() for path in files}
    auc = store.job_metrics(store.jobs(store.runs()[0].id)[0].id, "dataset")

    # an interrupted run: the stage marker and the last two videos' files are missing; a fresh process resumes
    (folder / "done.json").unlink()
    for path in files[1:]:
        path.unlink()
    again = run(RunRequest(**{**vars(request(model, ("sampler", "ddpm"))), "overwrite": True}), store)
    assert infer_folder(again) == folder
    assert {path.name: path.read_bytes() for path in sorted(folder.glob("*.npz"))} == uninterrupted
    resumed_auc = store.job_metrics(store.jobs(store.runs()[0].id)[0].id, "dataset")
    assert [row.value for row in resumed_auc if row.metric == "auc_micro"] == \
        [row.value for row in auc if row.metric == "auc_micro"]


@pytest.mark.slow
def test_inference_regimes_change_the_infer_key_not_the_fit_key(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    store = open_store(f"sqlite:///{tmp_path / 'results.db'}")
    base = plan(request("attention-ramvid"), store).jobs[0].job.keys
    for regime in [("samples", 2), ("combine", "mean"), ("noise", "common"), ("start_step", 200),
                   ("sampling_steps", 3)]:
        keys = plan(request("attention-ramvid", regime), store).jobs[0].job.keys
        assert keys["fit"] == base["fit"] and keys["infer"] != base["infer"], regime
    other_draw = plan(request("attention-ramvid", sample_seeds=(2,)), store).jobs[0].job.keys
    assert other_draw["fit"] == base["fit"] and other_draw["infer"] != base["infer"]
    for recipe in [("parameterisation", "x0"), ("anchor_channel", True), ("warmup_steps", 5)]:
        assert plan(request("attention-ramvid", recipe), store).jobs[0].job.keys["fit"] != base["fit"], recipe


@pytest.mark.slow
def test_k_draws_average_the_errors_of_each(tmp_path, monkeypatch):
    """With samples = 3 the stored reconstructions hold 3 draws, the first of which is the samples = 1 one."""
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    store = open_store(f"sqlite:///{tmp_path / 'results.db'}")
    single = infer_folder(run(request("attention-ramvid"), store))
    triple = infer_folder(run(request("attention-ramvid", ("samples", 3)), store))
    for path in sorted(single.glob("*.npz")):
        one, three = np.load(path)["recon"], np.load(triple / path.name)["recon"]
        assert one.shape[1] == 1 and three.shape[1] == 3
        assert np.array_equal(three[:, :1], one)
    jobs = [job for run_record in store.runs() for job in store.jobs(run_record.id)]
    assert sorted(job.sample_seed for job in jobs) == [1, 1]
    nfe = {job.provenance["samples"]: [row.value for row in store.job_metrics(job.id, "dataset")
                                       if row.metric == "nfe_per_frame"][0] for job in jobs}
    assert nfe[3] == pytest.approx(3 * nfe[1]) and nfe[1] > 0
