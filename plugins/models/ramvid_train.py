"""Training a RaMViD model: the train loop (AdamW with warm-up and decay, clipping, EMA, bf16 on CUDA, DDP) over
clips from ``vadbench.data.clips``, the training log and checkpoints (``vadbench.checkpoints``: atomic writes,
``weights_only`` loads, resume from the last one).

Each step draws its clips, anchors, timesteps and noise from generators seeded by ``(seed, rank, step)``, and its
learning rate is a function of the step, so a resumed run takes bit-identical next steps without saving any random
state. Every step appends a line to ``train_log.jsonl`` beside the checkpoints (step, loss, learning rate, EMA
decay, steps/s); lines are written before the checkpoint that covers them, and a resume drops the lines past its
checkpoint, so an interrupted and resumed fit leaves the log of one uninterrupted fit (but for the rates).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from vadbench.checkpoints import (checkpoint_name, last_checkpoint, load_checkpoint, remove_orphaned_temporaries,
                                  save_checkpoint)
from vadbench.data.clips import ClipSampler
from vadbench.errors import ConfigError
from vadbench.nn.diffusion import GaussianDiffusion
from vadbench.nn.ema import ema_model, last_decay
from vadbench.nn.unet import UNet3D, UNetConfig
from vadbench.training_log import LOG_NAME, TrainingLog, read_log
from vadbench_plugins.models.ramvid import RamvidSettings, autocast

CHECKPOINT_FORMAT = 1


def total_steps(settings: RamvidSettings, clips: ClipSampler, world_size: int) -> int:
    """The step budget: ``train_steps``, or ``epochs`` passes over the training frames when ``epochs`` is set."""
    if settings.epochs is None:
        return settings.train_steps
    return max(1, math.ceil(settings.epochs * clips.windows_per_epoch / (settings.batch_size * world_size)))


def train(settings: RamvidSettings, unet: UNetConfig, diffusion: GaussianDiffusion, dataset, masker, ctx) -> Path:
    """Train (or resume) in ``ctx.workdir`` until the budget is spent; returns the final checkpoint's path."""
    rank, world_size, device = distributed_setup(ctx.device)
    workdir = Path(ctx.workdir)
    clips = ClipSampler(dataset, ctx.window)
    steps = total_steps(settings, clips, world_size)
    config = {"unet": unet.to_dict(), "settings": settings.to_dict(), "window": ctx.window,
              "total_steps": steps}

    torch.manual_seed(ctx.seed)
    net = UNet3D(unet, checkpointing=settings.checkpointing).to(device)
    ema = ema_model(net, settings.ema)
    optimizer = torch.optim.AdamW(net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    remove_orphaned_temporaries(workdir)
    start, last = 0, last_checkpoint(workdir)
    if last is not None:
        state = read_checkpoint(last)
        if state["config"]["unet"] != config["unet"]:
            raise ConfigError(f"{last} was trained with a different network ({state['config']['unet']}); "
                              f"delete {workdir} or evaluate that checkpoint with its own settings")
        net.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        start = int(state["step"])
        if start >= steps:
            return last
    model: nn.Module = net
    if world_size > 1:
        model = nn.parallel.DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)

    net.train()
    checkpoint = last
    log = TrainingLog(workdir / LOG_NAME, keep_through=start) if rank == 0 else None
    with ctx.progress(f"training {unet.mixer}-ramvid ({settings.preset})", steps) as task:
        task.advance(start)
        for step in range(start, steps):
            clock = time.perf_counter()
            lr = learning_rate(settings, step, steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss = train_step(model, net, ema, optimizer, diffusion, clips, masker, settings,
                              step_seed=(ctx.seed, rank, step), device=device)
            task.advance()
            task.update(loss=loss)
            if log is not None:
                record = {"step": step + 1, "loss": loss, "lr": lr,
                          "ema_decay": last_decay(int(ema.n_averaged), settings.ema),
                          "steps_per_s": 1.0 / max(time.perf_counter() - clock, 1e-9)}
                log.add(record)
                ctx.log(step + 1, {name: value for name, value in record.items() if name != "step"})
            if (step + 1) % settings.checkpoint_every == 0 or step + 1 == steps:
                if rank == 0:
                    log.flush()
                    checkpoint = write_checkpoint(workdir, step + 1, net, ema, optimizer, config,
                                                  keep_older=settings.keep_checkpoints)
                if world_size > 1:
                    torch.distributed.barrier()
    return checkpoint if rank == 0 else workdir / checkpoint_name(steps)


def learning_rate(settings: RamvidSettings, step: int, steps: int) -> float:
    """The learning rate of (0-based) ``step`` of ``steps``: linear warm-up over ``warmup_steps``, then constant
    or a cosine decay to zero at the last step."""
    if step < settings.warmup_steps:
        return settings.lr * (step + 1) / settings.warmup_steps
    if settings.lr_decay == "constant":
        return settings.lr
    span = max(steps - settings.warmup_steps, 1)
    return settings.lr * 0.5 * (1 + math.cos(math.pi * (step - settings.warmup_steps) / span))


def training_summary(workdir: Path, step: int) -> dict[str, float] | None:
    """What the store keeps of a fit's log up to ``step``: steps logged, final loss (mean of the last tenth of the
    steps), final learning rate and EMA decay, and the median steps/s; None without a log."""
    records = [record for record in read_log(workdir / LOG_NAME) if record["step"] <= step]
    if not records:
        return None
    tail = records[-max(1, len(records) // 10):]
    rates = sorted(record["steps_per_s"] for record in records)
    return {"steps": len(records), "final_loss": sum(r["loss"] for r in tail) / len(tail),
            "final_lr": records[-1]["lr"], "final_ema_decay": records[-1]["ema_decay"],
            "steps_per_s": rates[len(rates) // 2], "log": str(workdir / LOG_NAME)}


def train_step(model: nn.Module, net: UNet3D, ema, optimizer, diffusion: GaussianDiffusion, clips: ClipSampler,
               masker, settings: RamvidSettings, step_seed: tuple[int, int, int], device: torch.device) -> float:
    """One optimiser step on a fresh batch; returns the loss."""
    rng = np.random.default_rng(step_seed)
    batch = torch.from_numpy(clips.sample(rng, settings.batch_size)).to(device)
    x0 = batch.permute(0, 4, 1, 2, 3).float() / 127.5 - 1  # b l h w c -> b c l h w in [-1, 1]
    window = clips.window
    anchors = np.stack([masker.training_anchors(window, rng) for _ in range(len(batch))]).astype(bool)
    generator = torch.Generator(device=device).manual_seed(int(rng.integers(2**62)))
    t = torch.randint(0, diffusion.steps, (len(batch),), generator=generator, device=device)
    noise = torch.randn(x0.shape, generator=generator, device=device)
    with autocast(device):
        loss = diffusion.training_loss(model, x0, torch.from_numpy(anchors).to(device), t, noise)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(net.parameters(), settings.grad_clip)
    optimizer.step()
    ema.update_parameters(net)
    return float(loss.detach())


def distributed_setup(device: str) -> tuple[int, int, torch.device]:
    """(rank, world size, device): under torchrun join the process group and take the local GPU."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return 0, 1, torch.device(device)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    on_cuda = torch.device(device).type == "cuda"
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if on_cuda else "gloo")
    if on_cuda:
        torch.cuda.set_device(local_rank)
        return torch.distributed.get_rank(), world_size, torch.device("cuda", local_rank)
    return torch.distributed.get_rank(), world_size, torch.device(device)


def write_checkpoint(workdir: Path, step: int, net: UNet3D, ema, optimizer, config: dict[str, Any], *,
                     keep_older: bool = False) -> Path:
    """Write model, EMA, optimiser, step and config atomically (a temporary file of this process + rename); then
    drop older checkpoints unless ``keep_older`` (another process may have removed them already)."""
    state = {"format": CHECKPOINT_FORMAT, "step": step, "config": config, "model": net.state_dict(),
             "ema": ema.state_dict(), "optimizer": optimizer.state_dict()}
    return save_checkpoint(workdir, step, state, keep_older=keep_older)


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint written by ``write_checkpoint``, loaded with ``weights_only=True`` onto the CPU."""
    state = load_checkpoint(path, "RaMViD")
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ConfigError(f"checkpoint {path} is not a vadbench RaMViD checkpoint (format {CHECKPOINT_FORMAT})")
    return state
