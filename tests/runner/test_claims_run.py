"""The runner honours job claims: a job another running run has claimed is left to it ("elsewhere"), and once that
run ends a rerun computes what it did not store."""

from __future__ import annotations

import threading
import time

import pytest

from vadbench.runner.run import RunRequest, execute, plan
from vadbench.store.db import open_store

SMALL = [("dataset.synthetic.size", [16, 16]), ("dataset.synthetic.scenes", 1),
         ("dataset.synthetic.train_videos", 1), ("dataset.synthetic.test_videos", 2),
         ("dataset.synthetic.frames", 60), ("protocol.localise", False)]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    return open_store(f"sqlite:///{tmp_path / 'results.db'}")


def _plan(store):
    return plan(RunRequest(models=["interp"], datasets=["synthetic"], scorers=["mse", "l1", "psnr"],
                           cfg_options=SMALL, device="cpu"), store)


def test_a_job_claimed_by_a_running_run_is_left_to_it_then_picked_up(store):
    the_plan = _plan(store)
    other = store.start_run(command="vadbench run (elsewhere)", config={}, config_hash="h", versions={},
                            git_commit=None, device="cpu", host="elsewhere")
    taken = the_plan.jobs[1].job.keys["evaluate"]
    assert store.claim(other, taken) is None
    run_id, outcomes = execute(the_plan, store)
    assert [outcome.status for outcome in outcomes] == ["done", "elsewhere", "done"]
    assert outcomes[1].error == f"run {other} is computing it"
    assert [job.eval_key for job in store.jobs(run_id)] == [p.job.keys["evaluate"] for p in the_plan.jobs
                                                             if p.job.keys["evaluate"] != taken]
    third = store.start_run(command="a third run", config={}, config_hash="h", versions={}, git_commit=None,
                            device="cpu", host="elsewhere")
    assert store.claim(third, the_plan.jobs[0].job.keys["evaluate"]) is None  # the finished run kept no claim
    assert store.claim(third, taken) == other
    store.finish_run(third, status="done", wall_time=0.0)

    store.finish_run(other, status="interrupted", wall_time=1.0)  # the other run died without storing the job
    again = _plan(store)
    _, outcomes = execute(again, store)
    assert [outcome.status for outcome in outcomes] == ["reused", "done", "reused"]


def test_a_fit_another_running_run_holds_is_waited_for_then_taken_over_when_that_run_dies(store, tmp_path):
    from vadbench import stage_cache
    from vadbench.runner.stage_claims import stage_claim_key

    options = [*SMALL, ("preset", "tiny"), ("train_steps", 4), ("checkpoint_every", 2), ("sampling_steps", 2)]
    the_plan = plan(RunRequest(models=["attention-ramvid"], datasets=["synthetic"], scorers=["mse", "l1"],
                               cfg_options=options, device="cpu"), store)
    fit_key = the_plan.jobs[0].job.keys["fit"]
    assert {p.job.keys["fit"] for p in the_plan.jobs} == {fit_key}
    other = store.start_run(command="vadbench run (training elsewhere)", config={}, config_hash="h", versions={},
                            git_commit=None, device="cpu", host="elsewhere")
    assert store.claim(other, stage_claim_key("fit", fit_key)) is None
    result = {}
    runner = threading.Thread(target=lambda: result.update(outcomes=execute(the_plan, store)[1]))
    runner.start()
    time.sleep(5)
    assert runner.is_alive() and not list(stage_cache.folder("fit", fit_key).glob("ckpt-*.pt"))  # waiting
    store.finish_run(other, status="interrupted", wall_time=1.0)  # the trainer died
    runner.join(timeout=300)
    assert [o.status for o in result["outcomes"]] == ["done", "done"]
    assert list(stage_cache.folder("fit", fit_key).glob("ckpt-*.pt"))
