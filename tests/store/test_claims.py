"""Job claims: a running run's claim keeps every other run off the job; it is freed when the run releases it,
ends or dies; eight processes racing for one job leave one winner (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import multiprocessing

from vadbench.store import open_store


def _run(store, name: str) -> str:
    return store.start_run(command=name, config={}, config_hash="h", versions={}, git_commit=None, device="cpu",
                           host="test")


def test_a_claim_keeps_other_runs_off_until_released_or_ended(store):
    first, second = _run(store, "first"), _run(store, "second")
    assert store.claim(first, "job-a") is None
    assert store.claim(first, "job-a") is None  # its own claim again
    assert store.claim(second, "job-a") == first
    assert store.claim(second, "job-b") is None
    store.release(first, "job-a")
    assert store.claim(second, "job-a") is None and store.claim(first, "job-a") == second
    store.finish_run(second, status="done", wall_time=1.0)  # ending a run frees all its claims
    assert store.claim(first, "job-a") is None and store.claim(first, "job-b") is None


def test_a_claim_of_a_run_that_is_no_longer_running_is_taken_over(store):
    dead, alive = _run(store, "dead"), _run(store, "alive")
    assert store.claim(dead, "job") is None
    with store._writing() as session:  # as close_stale_runs leaves a run whose process died
        from vadbench.store import schema

        session.get(schema.Run, dead).status = "interrupted"
    assert store.claim(alive, "job") is None


def _race(url: str, name: str) -> bool:
    with open_store(url) as store:
        return store.claim(_run(store, name), "contested") is None


def test_eight_processes_racing_for_one_job_leave_one_winner(url):
    open_store(url).close()
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        won = pool.starmap(_race, [(url, f"racer {n}") for n in range(8)])
    assert sum(won) == 1
