"""An error outside any job closes the run as failed with the error stored; a job that raced stays one job."""

from __future__ import annotations

import pytest

from vadbench.errors import DuplicateJobError
from vadbench.runner.run import RunRequest, execute, plan
from vadbench.store.db import open_store

OPTIONS = [("dataset.synthetic.size", [16, 16]), ("dataset.synthetic.scenes", 1),
           ("dataset.synthetic.test_videos", 2), ("dataset.synthetic.frames", 60)]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    return open_store(f"sqlite:///{tmp_path / 'results.db'}")


def request():
    return RunRequest(models=["interp"], datasets=["synthetic"], scorers=["mse"], cfg_options=OPTIONS, device="cpu")


def test_an_error_outside_the_jobs_is_stored_with_the_run(store, monkeypatch):
    the_plan = plan(request(), store)

    def broken(*args, **kwargs):
        raise RuntimeError("the store went away")

    monkeypatch.setattr(store, "save_job", broken)
    with pytest.raises(RuntimeError, match="the store went away"):
        execute(the_plan, store)
    (run,) = store.runs()
    assert run.status == "failed" and run.error == "RuntimeError: the store went away"


def test_a_job_another_process_stored_first_is_reused(store, monkeypatch):
    the_plan = plan(request(), store)

    def raced(*args, **kwargs):
        raise DuplicateJobError("a done job with eval_key ... is already stored")

    monkeypatch.setattr(store, "save_job", raced)
    _, (outcome,) = execute(the_plan, store)
    assert outcome.status == "reused"
    assert store.runs()[0].status == "done"
