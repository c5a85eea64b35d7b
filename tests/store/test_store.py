"""Runs and jobs round-trip; save_job is one transaction; overwrite replaces; bad input is one clear error."""

from __future__ import annotations

import math
import multiprocessing
import os
from datetime import timezone

import pytest
from store_helpers import job, start
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vadbench.errors import StoreError
from vadbench.store import open_store, schema

METRICS = [("dataset", "avenue", "auc_micro", 0.8), ("video", "01", "auc", float("nan"))]


def _count(store, table) -> int:
    with Session(store.engine) as session:
        return session.scalar(select(func.count()).select_from(table))


def test_run_round_trip(store):
    run_id = start(store, seeds=[0, 1])
    run = store.get_run(run_id[:6])
    assert (run.id, run.status, run.seeds, run.created_at.tzinfo) == (run_id, "running", [0, 1], timezone.utc)
    store.finish_run(run_id, status="failed", wall_time=2.5, peak_memory=1024, error="boom")
    run = store.runs()[0]
    assert (run.status, run.wall_time, run.peak_memory, run.error) == ("failed", 2.5, 1024, "boom")
    with pytest.raises(StoreError, match="not one of"):
        store.finish_run(run_id, status="paused", wall_time=1.0)


def test_get_run_names_candidates_for_unknown_and_ambiguous_prefixes(store):
    ids = [start(store) for _ in range(17)]  # 17 ids over 16 hex digits: two share a first character
    first = next(run_id[0] for run_id in ids if sum(other[0] == run_id[0] for other in ids) > 1)
    with pytest.raises(StoreError, match="ambiguous") as error:
        store.get_run(first)
    assert all(run_id in str(error.value) for run_id in ids if run_id[0] == first)
    with pytest.raises(StoreError, match="recent runs: ") as error:
        store.get_run("zzz")
    assert ids[-1] in str(error.value)


def test_job_and_metrics_round_trip(store):
    run_id = start(store)
    job_id = store.save_job(run_id, job(seed=0), METRICS)
    store.save_job(run_id, job("e2", seed=1), METRICS)
    saved = store.jobs(run_id)
    assert [record.id for record in saved][0] == job_id and saved[0].run_id == run_id
    assert saved[0].group_key == saved[1].group_key == job().computed_group_key()
    assert job(settings={"protocol": {"sigma": 6}}).computed_group_key() != saved[0].group_key
    rows = store.job_metrics(job_id)
    assert rows[0] == ("dataset", "avenue", "auc_micro", 0.8) and math.isnan(rows[1].value)
    assert store.job_metrics(job_id, scope="video")[0].scope_id == "01"
    assert store.done_job("e1").id == job_id and store.done_job("missing") is None


def test_sample_seed_round_trips_and_stays_out_of_the_group_key(store):
    run_id = start(store)
    draws = [store.save_job(run_id, job(f"e{seed}-{draw}", seed=seed, sample_seed=draw),
                            [("kind", "running", "auc_micro", 0.7)]) for seed in (0, 1) for draw in (0, 2)]
    saved = store.jobs(run_id)
    assert [(record.id, record.seed, record.sample_seed) for record in saved] == [
        (draws[0], 0, 0), (draws[1], 0, 2), (draws[2], 1, 0), (draws[3], 1, 2)]
    assert {record.group_key for record in saved} == {job().computed_group_key()}
    assert store.job_metrics(draws[0], scope="kind") == [("kind", "running", "auc_micro", 0.7)]


def _metrics_then_crash():
    yield ("dataset", "avenue", "auc_micro", 0.8)
    raise RuntimeError("evaluation crashed")


def test_save_job_leaves_nothing_when_it_fails_midway(store):
    run_id = start(store)
    before = (_count(store, schema.Job), _count(store, schema.Metric))
    with pytest.raises(RuntimeError, match="evaluation crashed"):
        store.save_job(run_id, job(), _metrics_then_crash())
    with pytest.raises(StoreError, match="valid scopes"):
        store.save_job(run_id, job(), [*METRICS, ("frame", "1", "auc", 0.5)])
    assert (_count(store, schema.Job), _count(store, schema.Metric)) == before
    assert store.done_job("e1") is None


def test_overwrite_replaces_the_done_job_with_the_same_eval_key(store):
    run_id = start(store)
    old = store.save_job(run_id, job(), METRICS)
    with pytest.raises(StoreError, match="overwrite"):
        store.save_job(run_id, job(), METRICS)
    new = store.save_job(run_id, job(note="again"), [("dataset", "avenue", "auc_micro", 0.9)], overwrite=True)
    assert store.done_job("e1").id == new != old
    assert store.job_metrics(old) == [] and [row.value for row in store.job_metrics(new)] == [0.9]
    assert [record.id for record in store.jobs(run_id)] == [new]


def test_failed_jobs_keep_their_error_and_no_metrics(store):
    run_id = start(store)
    with pytest.raises(StoreError, match="error only"):
        store.save_job(run_id, job(status="failed", error="CUDA OOM"), METRICS)
    with pytest.raises(StoreError, match="has no error"):
        store.save_job(run_id, job(status="failed"))
    failed = store.save_job(run_id, job(status="failed", error="CUDA OOM"))
    assert store.done_job("e1") is None  # a failed job never lets a rerun skip the work
    done = store.save_job(run_id, job(), METRICS)
    assert [(record.id, record.status, record.error) for record in store.jobs(run_id)] == [
        (failed, "failed", "CUDA OOM"), (done, "done", None)]


def test_unusable_urls_are_one_clear_error(tmp_path):
    with pytest.raises(StoreError, match="nosuchdialect://x.*VADBENCH_DB"):
        open_store("nosuchdialect://x")
    with pytest.raises(StoreError, match=f"folder {tmp_path / 'missing'} does not exist"):
        open_store(f"sqlite:///{tmp_path / 'missing' / 'results.db'}")


def test_default_url_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_DB", f"sqlite:///{tmp_path / 'env.db'}")
    with open_store() as store:
        assert store.url.endswith("env.db") and (tmp_path / "env.db").exists()
    with open_store("sqlite://") as memory:  # in-memory works too, reported rows included
        assert memory.metric_rows(models=["MA-PDM (AAAI'25)"])


def _writer(url: str, worker: int, barrier) -> None:
    barrier.wait()
    with open_store(url) as store:
        run_id = start(store)
        for index in range(8):
            metrics = [("dataset", "avenue", name, index / 10) for name in ("auc_micro", "ap", "auc_macro")]
            store.save_job(run_id, job(f"w{worker}-{index}", seed=index), metrics)
        store.finish_run(run_id, status="done", wall_time=0.1)


def test_four_processes_opening_a_fresh_file_at_once_all_land(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    workers = [context.Process(target=_writer, args=(url, worker, barrier)) for worker in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]
    with open_store(url) as store:
        runs = store.runs()
        assert len(runs) == 4 and {run.status for run in runs} == {"done"}
        assert sum(len(store.jobs(run.id)) for run in runs) == 32
        assert len(store.metric_rows(run_id=runs[0].id, reported=False)) == 24


def test_a_run_whose_process_died_is_closed_as_interrupted_by_the_next_start(tmp_path):
    import subprocess
    import sys
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from vadbench.store import open_store, schema

    url = f"sqlite:///{tmp_path / 'results.db'}"
    args = dict(command="vadbench run", config={}, config_hash="h", versions={}, git_commit=None, device="cpu")
    code = (f"from vadbench.store import open_store; s = open_store({url!r}); "
            f"print(s.start_run(command='killed', config={{}}, config_hash='h', versions={{}}, git_commit=None, "
            f"device='cpu', host='this-host'))")
    dead = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    with open_store(url) as store:
        alive = store.start_run(host="this-host", **args)  # this process: still running
        silent = store.start_run(host="other-host", **args)
        with store.engine.begin() as connection:
            connection.execute(update(schema.Run.__table__).where(schema.Run.__table__.c.id == silent).values(
                heartbeat_at=datetime.now(timezone.utc) - timedelta(hours=1)))
        assert store.get_run(dead).status == "interrupted"  # closed when `alive` started
        assert sorted(store.close_stale_runs("this-host")) == [silent]
        statuses = {run.id: (run.status, run.error) for run in store.runs()}
    assert statuses[alive] == ("running", None)
    assert statuses[silent][0] == "interrupted" and "no heartbeat since" in statuses[silent][1]
    assert "is gone" in statuses[dead][1]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MiB tmpfs (needs root, as CI and the dev machines have)."""
    import subprocess

    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_is_one_clear_error_and_loses_nothing_stored(tiny_disk):
    from vadbench.errors import StoreError
    from vadbench.store import JobRecord, open_store

    store = open_store(f"sqlite:///{tiny_disk / 'results.db'}")
    run_id = store.start_run(command="vadbench run", config={}, config_hash="h", versions={}, git_commit=None,
                             device="cpu", host="test")
    kept = store.save_job(run_id, JobRecord(dataset="avenue", model="interp", eval_key="kept"),
                          [("dataset", "avenue", "auc_micro", 0.8)])
    filler = tiny_disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(descriptor, b"\0" * 4096):
            pass
    except OSError:  # ENOSPC: the disk is full
        pass
    finally:
        os.close(descriptor)
    rows = [("video", f"v{i:05d}", "auc_micro", 0.5) for i in range(5000)]
    with pytest.raises(StoreError, match=r"cannot write to the results store .*results.db.*free disk space"):
        store.save_job(run_id, JobRecord(dataset="avenue", model="interp", eval_key="lost"), rows)
    big = {"note": "x" * 400_000}  # a run start or finish that does not fit either
    with pytest.raises(StoreError, match="cannot write to the results store"):
        store.start_run(command="vadbench run", config=big, config_hash="h", versions={}, git_commit=None,
                        device="cpu", host="test")
    with pytest.raises(StoreError, match="cannot write to the results store"):
        store.finish_run(run_id, status="done", wall_time=1.0, error="y" * 400_000)
    filler.unlink()
    store.close()
    with open_store(f"sqlite:///{tiny_disk / 'results.db'}") as again:
        assert [job.id for job in again.jobs(run_id)] == [kept]
        assert again.job_metrics(kept) == [("dataset", "avenue", "auc_micro", 0.8)]


def test_a_read_only_store_reads_and_refuses_writes_in_one_line(tiny_disk):
    import subprocess

    from vadbench.errors import StoreError
    from vadbench.store import JobRecord, open_store

    url = f"sqlite:///{tiny_disk / 'results.db'}"
    with open_store(url) as store:
        run_id = store.start_run(command="vadbench run", config={}, config_hash="h", versions={}, git_commit=None,
                                 device="cpu", host="test")
        store.save_job(run_id, JobRecord(dataset="avenue", model="interp", eval_key="kept"))
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    try:
        with open_store(url, create=False) as store:
            assert [job.eval_key for job in store.jobs(run_id)] == ["kept"]
            with pytest.raises(StoreError, match="cannot write to the results store .*make the database writable"):
                store.start_run(command="vadbench run", config={}, config_hash="h", versions={}, git_commit=None,
                                device="cpu", host="test")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tiny_disk)], check=True)
