"""The trainer the classic methods share: a seeded step loop over training clips, the training log and resumable
checkpoints. A method supplies a ``StepTrainer`` (its networks, optimisers and one optimiser step); ``train``
drives it.

Step ``k`` (0-based) draws its clips and anchors from ``numpy.random.default_rng((seed, k))`` and runs with torch
seeded by ``vadbench.hashing.seed(seed, "step", k)``, so a fit resumed from a checkpoint takes bit-identical next
steps without saving any random state. Every step appends a line to ``train_log.jsonl`` (``vadbench.training_log``:
step, loss, the method's named loss parts, steps/s); lines are written before the checkpoint that covers them, and
a resume drops the lines past its checkpoint. Checkpoints are ``vadbench.checkpoints`` files holding
``{"format", "method", "step", "config", "state"}``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np
import torch

from vadbench.checkpoints import last_checkpoint, load_checkpoint, remove_orphaned_temporaries, save_checkpoint
from vadbench.data.clips import ClipSampler
from vadbench.errors import ConfigError
from vadbench.hashing import seed
from vadbench.training_log import LOG_NAME, TrainingLog, read_log
from vadbench_plugins.classic.nets import parameter_count

CHECKPOINT_FORMAT = 1


class StepTrainer(Protocol):
    """A method's networks and optimisers; the trainer loop drives it."""

    def step(self, clips: torch.Tensor, anchors: torch.Tensor) -> dict[str, float]:
        """One optimiser step on clips float b l c h w in [0, 1] (on the fit device), anchors bool b l (the
        masker's training anchors); returns {"loss": total, ...named loss parts}."""

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...


def train(trainer: StepTrainer, *, method: str, config: dict, steps: int, batch_size: int,
          checkpoint_every: int, dataset, masker, ctx, window: int | None = None) -> Path:
    """Train (or resume from ctx.workdir) until `steps`; returns the final checkpoint path. Each step's clips
    (ClipSampler over ctx.window) and anchors come from a generator seeded by (ctx.seed, step) and torch is
    seeded per step, so a resumed fit is bit-identical to an uninterrupted one; logs every step to
    train_log.jsonl (vadbench.training_log) and ctx.log(step, values); progress via ctx.progress.

    ``config`` (JSON) is what rebuilds the method's networks from a checkpoint: it is stored in each one, and a
    checkpoint in ``ctx.workdir`` with another config is a ConfigError (leave the step budget out of it, so a fit
    can be resumed to more steps). ``window`` (None: ``ctx.window``) is the clip length; with ``masker=None`` the
    anchors are all False.
    """
    workdir = Path(ctx.workdir)
    length = ctx.window if window is None else window
    clips = ClipSampler(dataset, length)
    device = torch.device(ctx.device)
    remove_orphaned_temporaries(workdir)
    start, checkpoint = 0, last_checkpoint(workdir)
    if checkpoint is not None:
        state = read_checkpoint(checkpoint, method)
        if state["config"] != config:
            raise ConfigError(f"{checkpoint} was trained with other settings ({state['config']}, now {config}); "
                              f"delete {workdir} or evaluate that checkpoint with its own settings")
        trainer.load_state_dict(state["state"])
        start = int(state["step"])
        if start >= steps:
            return checkpoint
    log = TrainingLog(workdir / LOG_NAME, keep_through=start)
    with ctx.progress(f"training {method}", steps) as task:
        task.advance(start)
        for step in range(start, steps):
            clock = time.perf_counter()
            batch, anchors = training_batch(clips, masker, batch_size, (ctx.seed, step))
            torch.manual_seed(seed(ctx.seed, "step", step))
            values = {name: float(value) for name, value in trainer.step(batch.to(device), anchors.to(device)).items()}
            task.advance()
            task.update(loss=values["loss"])
            record = {"step": step + 1, **values, "steps_per_s": 1.0 / max(time.perf_counter() - clock, 1e-9)}
            log.add(record)
            ctx.log(step + 1, {name: value for name, value in record.items() if name != "step"})
            if (step + 1) % checkpoint_every == 0 or step + 1 == steps:
                log.flush()
                checkpoint = save_checkpoint(workdir, step + 1, {
                    "format": CHECKPOINT_FORMAT, "method": method, "step": step + 1, "config": config,
                    "state": trainer.state_dict()})
    return checkpoint


def training_batch(clips: ClipSampler, masker, batch_size: int,
                   step_seed: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """One step's clips, float ``b l c h w`` in [0, 1], and anchors, bool ``b l`` (all False without a masker),
    drawn from a generator seeded by ``step_seed``."""
    rng = np.random.default_rng(step_seed)
    frames = torch.from_numpy(clips.sample(rng, batch_size)).permute(0, 1, 4, 2, 3).float().div_(255)
    if masker is None:
        anchors = np.zeros((batch_size, clips.window), dtype=bool)
    else:
        anchors = np.stack([np.asarray(masker.training_anchors(clips.window, rng), dtype=bool)
                            for _ in range(batch_size)])
    return frames, torch.from_numpy(anchors)


def read_checkpoint(path: Path, method: str) -> dict[str, Any]:
    """``{"step", "config", "state"}`` of a checkpoint ``train`` wrote for ``method``; a missing or unreadable file,
    or one of another method, is a ConfigError."""
    state = load_checkpoint(Path(path), method)
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT or "method" not in state:
        raise ConfigError(f"checkpoint {path} is not a vadbench {method} checkpoint (format {CHECKPOINT_FORMAT} of "
                          "vadbench_plugins.classic.training)")
    if state["method"] != method:
        raise ConfigError(f"checkpoint {path} holds a '{state['method']}' model, not '{method}'; evaluate it with "
                          f"the {state['method']} model")
    return {"step": int(state["step"]), "config": state["config"], "state": state["state"]}


def load_trained(checkpoint: Path, method: str, build: Callable[[dict[str, Any]], torch.nn.Module], weights: str,
                 device: str) -> tuple[torch.nn.Module, dict[str, Any], dict[str, Any]]:
    """``method``'s network from ``checkpoint``: built by ``build(config)`` from the checkpoint's own config, with
    the weights ``state[weights]``, on ``device`` in eval mode. Returns (network, the checkpoint as
    ``read_checkpoint`` gives it, provenance: checkpoint, step, parameters and the training summary)."""
    state = read_checkpoint(Path(checkpoint), method)
    net = build(state["config"])
    net.load_state_dict(state["state"][weights])
    net = net.to(torch.device(device)).eval()
    provenance = {"checkpoint": str(checkpoint), "step": state["step"],
                  "parameters": parameter_count(net),
                  "training": training_summary(Path(checkpoint).parent, state["step"])}
    return net, state, provenance


def training_summary(workdir: Path, step: int) -> dict[str, Any] | None:
    """What the store keeps of a fit's log up to ``step``: steps logged, the final value of each logged loss (mean
    over the last tenth of the steps) and the median steps/s; None without a log."""
    records = [record for record in read_log(Path(workdir) / LOG_NAME) if record["step"] <= step]
    if not records:
        return None
    tail = records[-max(1, len(records) // 10):]
    losses = [name for name in records[-1] if name not in ("step", "steps_per_s")]
    rates = sorted(record["steps_per_s"] for record in records)
    return {"steps": len(records), **{f"final_{name}": sum(r[name] for r in tail) / len(tail) for name in losses},
            "steps_per_s": rates[len(rates) // 2], "log": str(Path(workdir) / LOG_NAME)}
