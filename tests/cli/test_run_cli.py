"""End to end through the CLI on the synthetic dataset: run, resume, report, failures, kills, concurrency.

Kills and concurrent runs need real processes (``vadbench_process``); a killed run stops at a fixed point, after
its N-th stored job, from inside the run: a test plugin's ``job_finished`` hook signals its own process."""

from __future__ import annotations

import json
import signal
import sqlite3
import statistics
from dataclasses import dataclass

import pytest

SMALL = ["--cfg-options", "dataset.synthetic.size=[32, 32]"]

KILLER = '''
import os
import signal

from vadbench import hookimpl

finished = 0


@hookimpl
def job_finished(job, metrics):
    """After the $KILL_AFTER_JOBS-th stored job of this process, send this process $KILL_SIGNAL; without
    $KILL_AFTER_JOBS, nothing."""
    global finished
    finished += 1
    if os.environ.get("KILL_AFTER_JOBS") and finished == int(os.environ["KILL_AFTER_JOBS"]):
        os.kill(os.getpid(), getattr(signal, os.environ["KILL_SIGNAL"]))
'''


def stored_jobs(db_path):
    with sqlite3.connect(db_path) as connection:
        return connection.execute(
            "select eval_key, status, seed, scorer from jobs where source = 'measured'").fetchall()


def stored_values(db_path, metric: str) -> list[float]:
    """``metric`` at dataset scope of every measured done job, by seed."""
    with sqlite3.connect(db_path) as connection:
        return [value for (value,) in connection.execute(
            "select m.value from metrics m join jobs j on m.job_id = j.id where j.source = 'measured' and "
            "j.status = 'done' and m.scope = 'dataset' and m.metric = ? order by j.seed", (metric,))]


def runs(db_path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(db_path) as connection:
        return connection.execute("select id, status, error from runs order by created_at").fetchall()


@pytest.fixture
def workdir(tmp_path):
    return tmp_path


@dataclass(frozen=True)
class Killer:
    """The environments of a ``vadbench run`` in ``workdir`` whose ``registry.yaml`` lists the ``KILLER`` plugin."""

    plugin_env: dict[str, str]  # the plugin loads and sends nothing (a rerun)

    def after(self, jobs: int, signal_name: str) -> dict[str, str]:
        """The run sends itself ``signal_name`` right after storing its ``jobs``-th job."""
        return {**self.plugin_env, "KILL_AFTER_JOBS": str(jobs), "KILL_SIGNAL": signal_name}


@pytest.fixture
def killer(tmp_path, workdir) -> Killer:
    plugins = tmp_path / "killer_plugins"
    plugins.mkdir()
    (plugins / "kill_after_jobs.py").write_text(KILLER)
    (workdir / "registry.yaml").write_text("plugins:\n  - kill_after_jobs\n")
    return Killer({"PYTHONPATH": str(plugins)})


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
    assert "closed" not in second.stdout

    with sqlite3.connect(workdir / "results.db") as connection:  # the first run's process died before closing it
        connection.execute("update runs set status = 'running', pid = 2147483646")
    third = vadbench("run", "--model", "interp", "--scorer", "mse", "--dataset", "synthetic", "--seed", "0,1",
                     *SMALL, cwd=workdir)
    assert "Nothing to do" in third.stdout and "closed 1 run(s) whose process is gone as interrupted" in third.stdout
    with sqlite3.connect(workdir / "results.db") as connection:
        assert connection.execute("select status from runs").fetchall() == [("interrupted",)]

    report = vadbench("report", "--dataset", "synthetic", "--format", "json", cwd=workdir)
    assert report.returncode == 0, report.stderr
    text = report.stdout
    assert "interp" in text and json.loads(text)
    (board,) = [board for board in json.loads(text)["boards"] if board["metric"] == "auc_micro"]
    (row,) = board["measured"]
    assert row["model"] == "interp" and row["seeds"] == [0, 1] and row["n"] == 2
    assert {"auc_micro", "ap", "auc_macro", "accuracy_oracle"} <= set(row["values"])
    for metric, cell in row["values"].items():  # each the mean and sample std of the two seeds' stored values
        values = stored_values(workdir / "results.db", metric)
        assert len(values) == 2 and cell["n"] == 2, metric
        assert cell["mean"] == pytest.approx(statistics.fmean(values), rel=1e-12, abs=1e-15), metric
        assert cell["std"] == pytest.approx(statistics.stdev(values), rel=1e-12, abs=1e-15), metric

    # interp is deterministic, so both seeds stored the same values, whose std is 0 whatever the ddof: give seed 1
    # another auc_micro in the store, and the report must show the two values' mean and sample (n - 1) std
    with sqlite3.connect(workdir / "results.db") as connection:
        connection.execute("update metrics set value = value - 0.1 where metric = 'auc_micro' and scope = 'dataset' "
                           "and job_id = (select id from jobs where source = 'measured' and seed = 1)")
    auc = stored_values(workdir / "results.db", "auc_micro")
    assert auc[0] - auc[1] == pytest.approx(0.1)
    report = vadbench("report", "--dataset", "synthetic", "--format", "json", cwd=workdir)
    (board,) = [board for board in json.loads(report.stdout)["boards"] if board["metric"] == "auc_micro"]
    cell = board["measured"][0]["values"]["auc_micro"]
    assert cell["mean"] == pytest.approx(statistics.fmean(auc), rel=1e-12)
    assert cell["std"] == pytest.approx(statistics.stdev(auc), rel=1e-12)
    assert cell["std"] != pytest.approx(statistics.pstdev(auc))  # not the population std
    shown = vadbench("report", "--dataset", "synthetic", "--format", "markdown", cwd=workdir)
    assert shown.returncode == 0, shown.stderr
    assert f"| {100 * statistics.fmean(auc):.1f} ± {100 * statistics.stdev(auc):.1f} |" in shown.stdout, shown.stdout


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


def test_killing_a_run_midway_then_rerunning_leaves_no_duplicate_or_partial_rows(workdir, vadbench,
                                                                                   vadbench_process, killer):
    args = ["run", "--model", "interp", "--scorer", "mse,l1,psnr", "--dataset", "synthetic", "--seed", "0,1,2,3",
            *SMALL]
    killed = vadbench_process(*args, cwd=workdir, env_extra=killer.after(2, "SIGKILL"))
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert len(stored_jobs(workdir / "results.db")) == 2  # killed right after its second job was stored
    ((run_id, status, _),) = runs(workdir / "results.db")
    assert status == "running"  # a killed process closes nothing

    rerun = vadbench(*args, cwd=workdir, env_extra=killer.plugin_env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    rows = stored_jobs(workdir / "results.db")
    assert len(rows) == 12 and len({key for key, *_ in rows}) == 12
    with sqlite3.connect(workdir / "results.db") as connection:
        orphans = connection.execute(
            "select count(*) from metrics where job_id not in (select id from jobs)").fetchone()[0]
        empty = connection.execute("select count(*) from jobs j where j.source = 'measured' and j.status = 'done' "
                                   "and not exists (select 1 from metrics m where m.job_id = j.id)").fetchone()[0]
    assert orphans == 0 and empty == 0
    (killed_run, rerun_run) = runs(workdir / "results.db")
    assert killed_run[:2] == (run_id, "interrupted") and "is gone" in killed_run[2]  # closed by the rerun
    assert rerun_run[1] == "done"
    with sqlite3.connect(workdir / "results.db") as connection:
        per_run = dict(connection.execute(
            "select run_id, count(*) from jobs where source = 'measured' group by run_id").fetchall())
    assert per_run == {run_id: 2, rerun_run[0]: 10}  # the rerun reused the two and ran the other ten


def test_four_concurrent_runs_on_one_store_all_land(workdir, vadbench_process):
    processes = [vadbench_process("run", "--model", "interp", "--scorer", "mse", "--dataset", "synthetic",
                                  "--seed", str(seed), *SMALL, cwd=workdir, wait=False) for seed in range(4)]
    outputs = [process.communicate() for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    assert sorted(seed for _, _, seed, _ in stored_jobs(workdir / "results.db")) == [0, 1, 2, 3]


def test_two_processes_on_the_same_job_both_succeed_with_one_stored_job(workdir, vadbench_process):
    args = ["run", "--model", "interp", "--scorer", "mse,l1", "--dataset", "synthetic", *SMALL]
    processes = [vadbench_process(*args, cwd=workdir, wait=False) for _ in range(2)]
    outputs = [process.communicate() for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert len(stored_jobs(workdir / "results.db")) == 2
    # a process that plans after the other stored everything says "Nothing to do" and records no run
    with sqlite3.connect(workdir / "results.db") as connection:
        statuses = [status for (status,) in connection.execute("select status from runs")]
    assert statuses in (["done"], ["done", "done"]), statuses


def test_a_terminated_run_is_closed_as_interrupted_and_resumes(workdir, vadbench, vadbench_process, killer):
    args = ["run", "--model", "interp", "--scorer", "mse,l1", "--dataset", "synthetic", "--seed", "0,1,2", *SMALL]
    terminated = vadbench_process(*args, cwd=workdir, env_extra=killer.after(1, "SIGTERM"))
    assert terminated.returncode == 130, terminated.stderr
    stderr = terminated.stderr
    assert "rerun the same command to resume" in stderr and "Traceback" not in stderr
    with sqlite3.connect(workdir / "results.db") as connection:
        (status,) = connection.execute("select status from runs").fetchone()
    assert status == "interrupted"
    assert len(stored_jobs(workdir / "results.db")) == 1  # terminated right after its first job was stored
    assert vadbench(*args, cwd=workdir, env_extra=killer.plugin_env).returncode == 0
    assert len(stored_jobs(workdir / "results.db")) == 6


def test_run_puts_back_the_sigterm_handler_it_found(workdir, monkeypatch):
    """Called without the ``vadbench`` fixture, which restores the handler itself and would hide a leak."""
    import signal as signals

    from typer.testing import CliRunner

    from vadbench.cli.app import build_app

    def mine(signum, frame):
        pass

    monkeypatch.chdir(workdir)
    previous = signals.signal(signals.SIGTERM, mine)
    try:
        result = CliRunner().invoke(build_app(), ["run", "--model", "interp", "--scorer", "mse", "--dataset",
                                                  "synthetic", *SMALL])
        assert result.exit_code == 0, result.output
        assert signals.getsignal(signals.SIGTERM) is mine
    finally:
        signals.signal(signals.SIGTERM, previous)


def test_limit_runs_a_quick_check_that_report_keeps_apart(workdir, vadbench):
    result = vadbench("run", "--model", "interp", "--dataset", "synthetic", "--limit", "1", *SMALL, cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--limit 1" in result.stdout and "--limited" in result.stdout
    with sqlite3.connect(workdir / "results.db") as connection:
        ((settings,),) = connection.execute("select settings from jobs where source = 'measured'").fetchall()
    assert json.loads(settings)["limit"] == 1
    assert stored_values(workdir / "results.db", "videos") == [1.0]  # one test video of the synthetic dataset's 8

    hidden = vadbench("report", "--no-reported", "--format", "json", cwd=workdir)
    assert hidden.returncode == 1 and "add --limited to see them" in hidden.stderr
    shown = vadbench("report", "--no-reported", "--limited", "--format", "json", cwd=workdir)
    assert shown.returncode == 0, shown.stderr
    assert [row["model"] for row in json.loads(shown.stdout)["boards"][0]["measured"]] == ["interp"]

    full = vadbench("run", "--model", "interp", "--dataset", "synthetic", *SMALL, cwd=workdir)
    assert full.returncode == 0 and "Nothing to do" not in full.stdout  # a limited job never stands for a full one
    assert sorted(stored_values(workdir / "results.db", "videos")) == [1.0, 8.0]


def test_limit_must_be_positive(workdir, vadbench):
    result = vadbench("run", "--model", "interp", "--limit", "0", cwd=workdir)
    assert result.returncode == 2 and "--limit" in result.stderr and "Traceback" not in result.stderr
