"""Claims on the shared stages (fit, infer): a fit or an inference that several jobs, runs or machines need is
computed by one of them while the others wait for its output.

A stage claim is a row of the store's ``claims`` table, like a job claim, under a key derived from the stage and
its content key (``stage_claim_key``), so it is taken as atomically on SQLite and PostgreSQL. It counts while its
run is ``running``; a run whose process died or whose heartbeat stopped is closed as interrupted by the waiter
(``Store.close_stale_runs``), which frees the claim, and the waiter then computes the stage itself (a fit resumes
from the last checkpoint the dead run left).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from vadbench.hashing import digest
from vadbench.progress import notice

POLL_SECONDS = 2.0  # between two looks at a stage another run holds


def stage_claim_key(stage: str, key: str) -> str:
    """The claims-table key of ``stage`` with content key ``key`` (never equal to a job's evaluation key)."""
    return digest({"claim": stage, "key": key})


class StageClaims:
    """The stage claims of one run in one store."""

    def __init__(self, store: Any, run_id: str, poll: float = POLL_SECONDS) -> None:
        self.store, self.run_id, self.poll = store, run_id, poll

    @contextmanager
    def hold(self, stage: str, key: str, done: Callable[[], bool]) -> Iterator[None]:
        """Enter once ``stage`` ``key`` is ``done()`` or claimed by this run (released on exit); while another
        running run holds it, wait for that run to finish it or die."""
        claim = stage_claim_key(stage, key)
        waiting_for = None
        while not done():
            owner = self.store.claim(self.run_id, claim)
            if owner is None:
                try:
                    yield
                finally:
                    self.store.release(self.run_id, claim)
                return
            if owner != waiting_for:
                notice(f"{stage} {key[:12]} is being computed by run {owner}; waiting for it")
                waiting_for = owner
            time.sleep(self.poll)
            self.store.close_stale_runs(socket.gethostname())
        yield
