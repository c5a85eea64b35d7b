"""Helpers of the store tests: a run and a job with test defaults."""

from __future__ import annotations

from vadbench.store import JobRecord


def start(store, **overrides):
    fields = dict(command="vadbench run", config={"model": "interp"}, config_hash="c" * 64,
                  versions={"vadbench": "0.1.0", "python": "3.11", "plugins": {}}, git_commit=None, device="cpu",
                  host="test")
    return store.start_run(**{**fields, **overrides})


def job(eval_key="e1", seed=0, **overrides):
    fields = dict(dataset="avenue", model="interp", masker="selective", scorer="mse", seed=seed,
                  settings={"protocol": {"sigma": 4}}, eval_key=eval_key)
    return JobRecord(**{**fields, **overrides})
