"""``cache remove`` never takes an entry a running job holds, nor one another run shares unless asked."""

from __future__ import annotations

from typer.testing import CliRunner

from vadbench.cli.app import build_app
from vadbench import stage_cache
from vadbench.runner.run import RunRequest, execute, plan
from vadbench.store.db import open_store

OPTIONS = [("dataset.synthetic.size", [16, 16]), ("dataset.synthetic.scenes", 1),
           ("dataset.synthetic.test_videos", 2), ("dataset.synthetic.frames", 60)]


def run(store, scorers):
    the_plan = plan(RunRequest(models=["interp"], datasets=["synthetic"], scorers=scorers, cfg_options=OPTIONS,
                               device="cpu"), store)
    run_id, _ = execute(the_plan, store)
    return run_id, [planned.job for planned in the_plan.jobs]


def cli(*args):
    return CliRunner().invoke(build_app(), list(args), catch_exceptions=False)


def test_remove_by_run_keeps_what_other_runs_and_running_jobs_use(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    db = f"sqlite:///{tmp_path / 'results.db'}"
    store = open_store(db)
    run_a, (job_a,) = run(store, ["mse"])
    run_b, (job_b,) = run(store, ["l1"])  # shares the infer entry with run A
    infer = stage_cache.stage_dir("infer", job_a.keys["infer"])

    removed = cli("cache", "remove", "--run", run_a, "--db", db)
    assert f"kept infer/{job_a.keys['infer']}: runs {run_b} use it too" in removed.output
    assert f"removed score/{job_a.keys['score']}" in removed.output
    assert infer.is_dir() and cli("plot", run_b, "--out", str(tmp_path / "plots"), "--db", db).exit_code == 0

    with stage_cache.in_use({"infer": job_b.keys["infer"]}):  # a job of a running run holds it
        held = cli("cache", "remove", "--run", run_b, "--shared", "--db", db)
    assert f"kept infer/{job_b.keys['infer']}: a running job uses it" in held.output and infer.is_dir()
    assert f"removed infer/{job_b.keys['infer']}" in cli("cache", "remove", "--run", run_b, "--shared",
                                                         "--db", db).output
    assert not infer.exists()
