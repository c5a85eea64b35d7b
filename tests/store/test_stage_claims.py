"""Stage claims (``vadbench.runner.stage_claims``): a fit or inference another running run holds is waited for,
never computed twice; it is computed here once the holder finishes it, and taken over when the holder dies
(SQLite and PostgreSQL alike)."""

from __future__ import annotations

import threading
import time

from vadbench.runner.stage_claims import StageClaims, stage_claim_key


def _run(store, name: str, host: str = "elsewhere") -> str:
    return store.start_run(command=name, config={}, config_hash="h", versions={}, git_commit=None, device="cpu",
                           host=host)


def test_a_stage_held_by_a_running_run_is_waited_for_and_not_computed_again(store):
    holder, waiter = _run(store, "holder"), _run(store, "waiter")
    finished = threading.Event()
    entered = []
    with StageClaims(store, holder).hold("fit", "key", finished.is_set):
        waiting = StageClaims(store, waiter, poll=0.05)
        thread = threading.Thread(target=lambda: _enter(waiting, "fit", finished, entered))
        thread.start()
        time.sleep(0.3)
        assert not entered, "the waiter must not compute a fit another running run holds"
        finished.set()  # the holder's fit is done (its DONE file exists)
    thread.join(timeout=10)
    assert entered == ["done"]  # it went on with the finished stage, without claiming it
    assert store.claim(waiter, stage_claim_key("fit", "key")) is None  # the holder released its claim


def test_a_stage_is_computed_here_when_its_holder_dies_without_finishing_it(store):
    holder, waiter = _run(store, "holder"), _run(store, "waiter")
    assert store.claim(holder, stage_claim_key("infer", "key")) is None
    entered = []
    thread = threading.Thread(target=lambda: _enter(StageClaims(store, waiter, poll=0.05), "infer",
                                                    threading.Event(), entered))
    thread.start()
    time.sleep(0.3)
    assert not entered
    store.finish_run(holder, status="interrupted", wall_time=1.0)  # what close_stale_runs does to a dead run
    thread.join(timeout=10)
    assert entered == ["claimed"]


def test_stage_claim_keys_never_meet_job_keys_or_other_stages():
    assert len({stage_claim_key("fit", "k"), stage_claim_key("infer", "k"), "k"}) == 3
    assert len(stage_claim_key("fit", "k")) <= 64  # fits the claims table's key column


def _enter(claims: StageClaims, stage: str, done: threading.Event, entered: list[str]) -> None:
    with claims.hold(stage, "key", done.is_set):
        entered.append("done" if done.is_set() else "claimed")
