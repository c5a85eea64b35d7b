"""End to end through the CLI on the synthetic dataset: run, resume, report, failures, kills, concurrency."""

from __future__ import annotations

import json
import signal
import sqlite3
import time

import pytest

SMALL = ["--cfg-options", "dataset.synthetic.size=[32, 32]"]


def stored_jobs(db_path):
    with sqlite3.connect(db_path) as connection:
        return connection.execute(
            "select eval_key, status, seed, scorer from jobs where source = 'measured'").fetchall()


def stored_count_while_running(db_path) -> int:
    """Jobs stored so far by a process that may still be creating the schema."""
    try:
        return len(stored_jobs(db_path)) if db_path.exists() else 0
    except sqlite3.OperationalError:  # the store is being created and migrated right now
        return 0


@pytest.fixture
def workdir(tmp_path):
    return tmp_path


def test_run_then_rerun_does_no_work_and_report_shows_mean_and_std(workdir, vadbench):
    first = vadbench("run", "--model", "interp", "--scorer", "mse", "--dataset", "synthetic", "--seed", "0,1",
                     *SMALL, cwd=workdir)
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(stored_jobs(workdir / "results.db")) == 2

    second = vadbench("run", "--model", "interp", "--scorer", "mse", "--dataset", "synthetic", "--seed", "0,1",
                      *SMALL, cwd=workdir)
    assert second.returncode == 0
    assert "Nothing to do" in second.stdout
    assert len(stored_jobs(workdir / "results.db")) == 2

    report = vadbench("report", "--dataset", "synthetic", "--format", "json", cwd=workdir)
    assert report.returncode == 0, report.stderr
    text = report.stdout
    assert "interp" in text and json.loads(text)


def test_dry_run_prints_the_job_table_and_stores_nothing(workdir, vadbench):
    result = vadbench("run", "--model", "interp", "--scorer", "mse,l1", "--dataset", "synthetic", "--seed", "0,1,2",
                      "--dry-run", *SMALL, cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "6 jobs" in result.stdout
    assert stored_jobs(workdir / "results.db") == []


def test_unknown_names_and_keys_are_one_clear_error(workdir, vadbench):
    result = vadbench("run", "--model", "interpp", cwd=workdir)
    assert result.returncode == 1
    assert "unknown model 'interpp'" in result.stderr and "Traceback" not in result.stderr
    result = vadbench("run", "--model", "interp", "--cfg-options", "model.interp.colour=red", cwd=workdir)
    assert result.returncode == 1 and "valid keys" in result.stderr


def test_a_failing_job_is_recorded_and_the_others_go_on(workdir, vadbench):
    scores = workdir / "scores"
    scores.mkdir()  # no score files: the `scores` model fails on its first video
    result = vadbench("run", "--model", "scores,interp", "--scorer", "mse", "--dataset", "synthetic",
                      "--cfg-options", f"model.scores.path={scores}", *SMALL, cwd=workdir)
    assert result.returncode == 1
    statuses = sorted(status for _, status, _, _ in stored_jobs(workdir / "results.db"))
    assert statuses == ["done", "failed"]
    assert "1 of 2 jobs failed" in result.stdout


def test_killing_a_run_midway_then_rerunning_leaves_no_duplicate_or_partial_rows(workdir, vadbench):
    args = ["run", "--model", "interp", "--scorer", "mse,l1,psnr", "--dataset", "synthetic", "--seed", "0,1,2,3",
            *SMALL]
    process = vadbench(*args, cwd=workdir, wait=False)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if stored_count_while_running(workdir / "results.db") >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    landed = len(stored_jobs(workdir / "results.db"))
    assert landed < 12, "the run finished before it could be killed; give it more jobs"

    rerun = vadbench(*args, cwd=workdir)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    rows = stored_jobs(workdir / "results.db")
    assert len(rows) == 12 and len({key for key, *_ in rows}) == 12
    with sqlite3.connect(workdir / "results.db") as connection:
        orphans = connection.execute(
            "select count(*) from metrics where job_id not in (select id from jobs)").fetchone()[0]
        empty = connection.execute("select count(*) from jobs j where j.source = 'measured' and j.status = 'done' "
                                   "and not exists (select 1 from metrics m where m.job_id = j.id)").fetchone()[0]
    assert orphans == 0 and empty == 0


def test_four_concurrent_runs_on_one_store_all_land(workdir, vadbench):
    processes = [vadbench("run", "--model", "interp", "--scorer", "mse", "--dataset", "synthetic", "--seed", str(seed),
                          *SMALL, cwd=workdir, wait=False) for seed in range(4)]
    outputs = [process.communicate() for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    assert sorted(seed for _, _, seed, _ in stored_jobs(workdir / "results.db")) == [0, 1, 2, 3]


def test_two_processes_on_the_same_job_both_succeed_with_one_stored_job(workdir, vadbench):
    args = ["run", "--model", "interp", "--scorer", "mse,l1", "--dataset", "synthetic", *SMALL]
    processes = [vadbench(*args, cwd=workdir, wait=False) for _ in range(2)]
    outputs = [process.communicate() for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert len(stored_jobs(workdir / "results.db")) == 2
    # a process that plans after the other stored everything says "Nothing to do" and records no run
    with sqlite3.connect(workdir / "results.db") as connection:
        statuses = [status for (status,) in connection.execute("select status from runs")]
    assert statuses in (["done"], ["done", "done"]), statuses


def test_a_terminated_run_is_closed_as_interrupted_and_resumes(workdir, vadbench):
    args = ["run", "--model", "interp", "--scorer", "mse,l1", "--dataset", "synthetic", "--seed", "0,1,2", *SMALL]
    process = vadbench(*args, cwd=workdir, wait=False)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None and stored_count_while_running(workdir / "results.db") < 1:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate()
    assert process.returncode == 130, stderr
    assert "rerun the same command to resume" in stderr and "Traceback" not in stderr
    with sqlite3.connect(workdir / "results.db") as connection:
        (status,) = connection.execute("select status from runs").fetchone()
    assert status == "interrupted"
    assert vadbench(*args, cwd=workdir).returncode == 0
    assert len(stored_jobs(workdir / "results.db")) == 6
