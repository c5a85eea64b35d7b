"""Jobs: one (dataset, model, masker, scorer, seed, protocol) combination, and the cross-product that makes them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from vadbench.settings import Selected

# Protocol settings that shape the windows the model fills (infer stage); the rest only post-process scores.
WINDOW_SETTINGS = ("window", "stride")


@dataclass
class Job:
    """One benchmark job and the content keys of its stages (filled in by the runner)."""

    dataset: Selected
    model: Selected
    masker: Selected | None
    scorer: Selected | None
    protocol: dict[str, Any]
    seed: int
    keys: dict[str, str] = field(default_factory=dict)  # fit, infer, score, evaluate

    @property
    def label(self) -> str:
        parts = [self.model.name, self.masker.name if self.masker else "-", self.scorer.name if self.scorer else "-",
                 self.dataset.name, f"seed {self.seed}"]
        return " / ".join(parts)

    def settings(self) -> dict[str, Any]:
        """Everything that determines the job's result except its seed, as stored with it."""
        def component(selected: Selected | None) -> dict[str, Any] | None:
            return None if selected is None else {"name": selected.name, "settings": selected.settings}

        return {"dataset": component(self.dataset), "model": component(self.model), "masker": component(self.masker),
                "scorer": component(self.scorer), "protocol": self.protocol}


def expand(resolved: dict[tuple[str, str], Selected], selection: dict[str, list[str]], seeds: list[int],
           sigmas: list[float] | None, model_outputs: dict[str, str]) -> list[Job]:
    """The cross-product datasets x models x maskers x scorers x seeds x sigmas.

    Maskers and scorers only apply to reconstruction models; a "scores" model gets one job per dataset, seed and
    sigma with neither.
    """
    protocol = resolved[("protocol", "protocol")].settings
    sigma_values = sigmas if sigmas else [protocol["sigma"]]
    jobs = []
    for dataset, model, seed, sigma in itertools.product(selection["dataset"], selection["model"], seeds,
                                                         sigma_values):
        job_protocol = {**protocol, "sigma": float(sigma)}
        if model_outputs[model] == "scores":
            pairs: list[tuple[str | None, str | None]] = [(None, None)]
        else:
            pairs = list(itertools.product(selection["masker"], selection["scorer"]))
        for masker, scorer in pairs:
            jobs.append(Job(
                dataset=resolved[("dataset", dataset)], model=resolved[("model", model)],
                masker=resolved[("masker", masker)] if masker else None,
                scorer=resolved[("scorer", scorer)] if scorer else None,
                protocol=job_protocol, seed=seed))
    return jobs
