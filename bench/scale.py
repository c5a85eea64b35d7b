"""Executors and claims, measured: jobs per minute and per-job overhead of the synthetic interp grid under the local
executor and under Ray with 1 and 2 workers (a local cluster started for each run), and the time one job claim
takes on SQLite and on a real PostgreSQL server.

Every run computes the same 15 jobs (interp x mse, l1, psnr, ssim, wmse x seeds 0, 1, 2 on the synthetic dataset at
32x32) from an empty stage cache; the decoded frames are shared, so no run pays for generating the dataset. The
overhead per job is the worker-seconds a job costs beyond what it costs in the local executor:
``(wall x workers - local wall) / jobs``; Ray's figure includes starting and stopping its cluster, which the last
column times on its own (a cluster up, one task run, the cluster down).

    .venv/bin/python bench/scale.py [--claims 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from vadbench.runner.executors.ray import RayExecutor
from vadbench.runner.run import RunRequest, execute, plan
from vadbench.store.db import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "store"))
from postgres_server import PostgresServer  # noqa: E402  (the server the store tests start)

GRID = RunRequest(models=["interp"], datasets=["synthetic"], scorers=["mse", "l1", "psnr", "ssim", "wmse"],
                  seeds=[0, 1, 2], cfg_options=[("dataset.synthetic.size", [32, 32])], device="cpu")


def run_grid(folder: Path, frames: Path, executor) -> tuple[float, int]:
    """(wall seconds, jobs done) of the grid in a fresh store and stage cache that share ``frames``."""
    folder.mkdir(parents=True)
    (folder / "home").mkdir()
    (folder / "home" / "frames").symlink_to(frames)
    os.environ["VADBENCH_HOME"] = str(folder / "home")
    with open_store(f"sqlite:///{folder / 'results.db'}") as store:
        the_plan = plan(GRID, store)
        start = time.perf_counter()
        _, outcomes = execute(the_plan, store, executor=executor)
        wall = time.perf_counter() - start
    return wall, sum(outcome.status == "done" for outcome in outcomes)


def cluster_start(workers: int) -> float:
    """Seconds to start and stop a local Ray cluster of ``workers`` CPUs, with one task run on it (a worker
    process up and importing vadbench's task module)."""
    import ray

    from vadbench.runner.executors import tasks

    start = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, configure_logging=False)
    ray.get(ray.remote(tasks.absolute_url).remote("sqlite:///x.db"))
    ray.shutdown()
    return time.perf_counter() - start


def claim_times(url: str, count: int) -> list[float]:
    """Seconds of each of ``count`` claims (each of a fresh job key, then released) by one running run."""
    with open_store(url) as store:
        run_id = store.start_run(command="bench", config={}, config_hash="h", versions={}, git_commit=None,
                                 device="cpu", host="bench")
        times = []
        for index in range(count):
            start = time.perf_counter()
            assert store.claim(run_id, f"bench-job-{index:06d}") is None
            times.append(time.perf_counter() - start)
            store.release(run_id, f"bench-job-{index:06d}")
        store.finish_run(run_id, status="done", wall_time=0.0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=300, help="claims timed per store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        os.environ["VADBENCH_HOME"] = str(root / "warm")
        with open_store(f"sqlite:///{root / 'warm.db'}") as store:  # decode the frames once, for every run below
            dataset = plan(GRID, store).jobs[0].parts.dataset
            for split in ("train", "test"):
                for video in dataset.videos(split):
                    dataset.frames(video)
        frames = root / "warm" / "frames"
        rows = []
        local_wall, jobs = run_grid(root / "local", frames, None)
        rows.append(("local", 1, local_wall, jobs, 0.0, 0.0))
        for workers in (1, 2):
            wall, done = run_grid(root / f"ray{workers}", frames, RayExecutor(workers=workers))
            rows.append(("ray", workers, wall, done, (wall * workers - local_wall) / done, cluster_start(workers)))
        print(f"synthetic interp grid ({jobs} jobs, 32x32), {os.cpu_count()} CPUs")
        print(f"{'executor':<10}{'workers':>8}{'wall s':>9}{'jobs/min':>10}{'overhead worker-s/job':>23}"
              f"{'cluster start+stop s':>22}")
        for name, workers, wall, done, overhead, start in rows:
            print(f"{name:<10}{workers:>8}{wall:>9.1f}{done / wall * 60:>10.1f}{overhead:>23.2f}{start:>22.1f}")

        server = PostgresServer().start()
        try:
            stores = {"sqlite": f"sqlite:///{root / 'claims.db'}", "postgresql": server.database()}
            print(f"\none job claim ({args.claims} claims, each released), milliseconds")
            print(f"{'store':<12}{'median':>8}{'p90':>8}")
            for name, url in stores.items():
                times = sorted(claim_times(url, args.claims))
                print(f"{name:<12}{statistics.median(times) * 1e3:>8.2f}{times[int(len(times) * 0.9)] * 1e3:>8.2f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
