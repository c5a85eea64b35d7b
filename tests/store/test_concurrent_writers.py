"""Eight processes writing one store at once, on SQLite and on a real PostgreSQL server: every job lands once, a
job that several of them race to store lands once and the others are told, and ``report`` reads the result."""

from __future__ import annotations

import multiprocessing

from typer.testing import CliRunner

from vadbench.errors import DuplicateJobError
from vadbench.store import JobRecord, open_store

WRITERS, JOBS = 8, 5


def _write(url: str, writer: int) -> int:
    """Store ``JOBS`` jobs of its own and race for the shared one; returns how many times it lost that race."""
    with open_store(url) as store:
        run_id = store.start_run(command=f"writer {writer}", config={}, config_hash="h", versions={},
                                 git_commit=None, device="cpu", host="test")
        for number in range(JOBS):
            store.save_job(run_id, JobRecord(dataset="synthetic", model="interp", masker="selective", scorer="mse",
                                             seed=writer, eval_key=f"w{writer}-{number}"),
                           [("dataset", "synthetic", "auc_micro", 0.5 + writer / 100)])
        try:
            store.save_job(run_id, JobRecord(dataset="synthetic", model="interp", eval_key="shared"),
                           [("dataset", "synthetic", "auc_micro", 0.9)])
        except DuplicateJobError:
            return 1
        finally:
            store.finish_run(run_id, status="done", wall_time=0.0, peak_memory=None, error=None)
    return 0


def test_eight_concurrent_writers_all_land_once(url):
    open_store(url).close()  # migrated once, before the race
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        lost = pool.starmap(_write, [(url, writer) for writer in range(WRITERS)])
    assert sum(lost) == WRITERS - 1  # one writer stored the shared job, the seven others were told
    with open_store(url) as store:
        runs = store.runs(limit=None)
        assert len(runs) == WRITERS and {run.status for run in runs} == {"done"}
        keys = [job.eval_key for run in runs for job in store.jobs(run.id)]
    assert sorted(keys) == sorted([f"w{w}-{n}" for w in range(WRITERS) for n in range(JOBS)] + ["shared"])

    import typer

    from vadbench.cli.results import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["report", "--db", url, "--dataset", "synthetic", "--no-reported",
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.count("interp") == 2  # two groups: the 40 jobs of the writers (over seeds), the shared one
