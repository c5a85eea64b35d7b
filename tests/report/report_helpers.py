"""A small store for the report tests: two models, three settings groups, two or three seeds each."""

from __future__ import annotations

import numpy as np

from vadbench.store import JobRecord

# auc_micro, ap per seed for two settings groups of one model, and one other model
VALUES = {
    ("interp", 4): [(0.71, 0.50), (0.74, 0.52), (0.69, 0.47)],
    ("interp", 6): [(0.75, 0.55), (0.77, 0.58), (0.80, 0.60)],
    ("mamba-ramvid", 4): [(0.66, 0.41), (0.64, 0.45)],
}


def fill(store) -> str:
    run_id = store.start_run(command="vadbench run", config={}, config_hash="h", versions={"vadbench": "0.1.0"},
                             git_commit="abc", device="cpu", host="test", seeds=[0, 1, 2])
    for (model, sigma), seeds in VALUES.items():
        for seed, (auc, ap) in enumerate(seeds):
            job = JobRecord(dataset="avenue", model=model, masker="selective", scorer="mse", seed=seed,
                            settings={"protocol": {"sigma": sigma}}, eval_key=f"{model}-{sigma}-{seed}")
            store.save_job(run_id, job, [("dataset", "avenue", "auc_micro", auc), ("dataset", "avenue", "ap", ap),
                                         ("dataset", "avenue", "eer", 1 - auc)])
    store.finish_run(run_id, status="done", wall_time=1.0)
    return run_id


def expected(model: str, sigma: int, column: int) -> tuple[float, float]:
    values = np.array([pair[column] for pair in VALUES[model, sigma]])
    return values.mean(), values.std(ddof=1)
