"""Jobs: one (dataset, model, masker, scorer, seed, sample seed, protocol) combination, and the cross-product that
makes them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vadbench.settings import Selected

if TYPE_CHECKING:
    from vadbench.evaluation.protocol import Protocol


@dataclass
class Job:
    """One benchmark job and the content keys of its stages (filled in by the runner)."""

    dataset: Selected
    model: Selected
    masker: Selected | None
    scorer: Selected | None
    protocol: Protocol
    seed: int
    sample_seed: int | None = None  # the sampling noise's seed (stochastic models only)
    keys: dict[str, str] = field(default_factory=dict)  # fit, infer, score, localise, evaluate

    @property
    def label(self) -> str:
        parts = [self.model.name, self.masker.name if self.masker else "-", self.scorer.name if self.scorer else "-",
                 self.dataset.name, f"seed {self.seed}"]
        if self.sample_seed is not None:
            parts.append(f"draw {self.sample_seed}")
        return " / ".join(parts)

    def settings(self) -> dict[str, Any]:
        """Everything that determines the job's result except its seeds, as stored with it."""
        def component(selected: Selected | None) -> dict[str, Any] | None:
            return None if selected is None else {"name": selected.name, "settings": selected.settings}

        return {"dataset": component(self.dataset), "model": component(self.model), "masker": component(self.masker),
                "scorer": component(self.scorer), "protocol": self.protocol.as_dict()}


def expand(resolved: dict[tuple[str, str], Selected], selection: dict[str, list[str]], protocol: Protocol,
           seeds: list[int], sigmas: list[float] | None, model_shapes: dict[str, tuple[bool, bool]],
           sample_seeds: list[int] | None = None) -> list[Job]:
    """The cross-product datasets x models x maskers x scorers x seeds x sample seeds x sigmas.

    ``model_shapes`` maps each model to (uses a masker, stochastic). Maskers and scorers only apply to models that
    use a masker (reconstruction models); the others get one job per dataset, seed and sigma with neither. Sample
    seeds only apply to stochastic models; the others get one job with ``sample_seed`` None. Each ``--sigma`` is
    validated as the protocol's own setting.
    """
    protocols = [protocol.with_sigma(sigma) for sigma in sigmas] if sigmas else [protocol]
    jobs = []
    for dataset, model, seed, job_protocol in itertools.product(selection["dataset"], selection["model"], seeds,
                                                                protocols):
        uses_masker, stochastic = model_shapes[model]
        pairs: list[tuple[str | None, str | None]] = (list(itertools.product(selection["masker"], selection["scorer"]))
                                                      if uses_masker else [(None, None)])
        draws: list[int | None] = list(sample_seeds or [0]) if stochastic else [None]
        for (masker, scorer), sample_seed in itertools.product(pairs, draws):
            jobs.append(Job(
                dataset=resolved[("dataset", dataset)], model=resolved[("model", model)],
                masker=resolved[("masker", masker)] if masker else None,
                scorer=resolved[("scorer", scorer)] if scorer else None,
                protocol=job_protocol, seed=seed, sample_seed=sample_seed))
    return jobs
