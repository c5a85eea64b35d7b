"""Training a RaMViD model: clip sampling, the train loop (AdamW, clipping, EMA, bf16 on CUDA, DDP) and
checkpoints (atomic writes, ``weights_only`` loads, resume from the last one).

Each step draws its clips, anchors, timesteps and noise from generators seeded by ``(seed, rank, step)``, so a
resumed run takes bit-identical next steps without saving any random state.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from vadbench.errors import ConfigError, DatasetError
from vadbench.nn.diffusion import GaussianDiffusion
from vadbench.nn.ema import ema_model
from vadbench.nn.unet import UNet3D
from vadbench_plugins.models._ramvid import RamvidSettings, autocast

CHECKPOINT_FORMAT = 1


class ClipSampler:
    """Random windows of ``window`` consecutive frames from the training videos, each start equally likely."""

    def __init__(self, dataset, window: int) -> None:
        videos = dataset.videos("train")
        self.videos = [video for video in videos if video.num_frames >= window]
        if not self.videos:
            longest = max((video.num_frames for video in videos), default=0)
            raise DatasetError(f"dataset '{dataset.name}' has no training video of at least {window} frames "
                               f"(longest: {longest}); use a shorter window or check the dataset root")
        self.window = window
        self.starts = np.array([video.num_frames - window + 1 for video in self.videos])
        self.windows_per_epoch = sum(video.num_frames // window for video in self.videos)
        self._dataset = dataset
        self._frames: dict[str, np.ndarray] = {}

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """uint8 clips ``b l h w c``."""
        flat = rng.integers(0, self.starts.sum(), size=count)
        which = np.searchsorted(np.cumsum(self.starts), flat, side="right")
        offsets = flat - np.concatenate([[0], np.cumsum(self.starts)])[which]
        return np.stack([self._video(i)[o:o + self.window] for i, o in zip(which, offsets)])

    def _video(self, index: int) -> np.ndarray:
        video = self.videos[index]
        if video.id not in self._frames:
            self._frames[video.id] = self._dataset.frames(video)
        return self._frames[video.id]


def total_steps(settings: RamvidSettings, clips: ClipSampler, world_size: int) -> int:
    """The step budget: ``train_steps``, or ``epochs`` passes over the training frames when ``epochs`` is set."""
    if settings.epochs is None:
        return settings.train_steps
    return max(1, math.ceil(settings.epochs * clips.windows_per_epoch / (settings.batch_size * world_size)))


def train(settings: RamvidSettings, diffusion: GaussianDiffusion, dataset, masker, ctx) -> Path:
    """Train (or resume) in ``ctx.workdir`` until the budget is spent; returns the final checkpoint's path."""
    rank, world_size, device = distributed_setup(ctx.device)
    workdir = Path(ctx.workdir)
    clips = ClipSampler(dataset, ctx.window)
    steps = total_steps(settings, clips, world_size)
    config = {"unet": settings.unet().to_dict(), "settings": settings.to_dict(), "window": ctx.window,
              "total_steps": steps}

    torch.manual_seed(ctx.seed)
    net = UNet3D(settings.unet(), checkpointing=settings.checkpointing).to(device)
    ema = ema_model(net, settings.ema)
    optimizer = torch.optim.AdamW(net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
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
    with ctx.progress(f"training {settings.mixer}-ramvid ({settings.preset})", steps) as task:
        task.advance(start)
        for step in range(start, steps):
            loss = train_step(model, net, ema, optimizer, diffusion, clips, masker, settings,
                              step_seed=(ctx.seed, rank, step), device=device)
            task.advance()
            task.update(loss=loss)
            if (step + 1) % settings.checkpoint_every == 0 or step + 1 == steps:
                if rank == 0:
                    checkpoint = write_checkpoint(workdir, step + 1, net, ema, optimizer, config)
                if world_size > 1:
                    torch.distributed.barrier()
    return checkpoint if rank == 0 else workdir / checkpoint_name(steps)


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


def checkpoint_name(step: int) -> str:
    return f"ckpt-{step:08d}.pt"


def last_checkpoint(workdir: Path) -> Path | None:
    """The checkpoint with the highest step in ``workdir``, or None."""
    found = sorted(workdir.glob("ckpt-*.pt")) if workdir.is_dir() else []
    return found[-1] if found else None


def write_checkpoint(workdir: Path, step: int, net: UNet3D, ema, optimizer, config: dict[str, Any]) -> Path:
    """Write model, EMA, optimiser, step and config atomically (temp file + rename); drop older checkpoints."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / checkpoint_name(step)
    temp = path.with_suffix(".tmp")
    state = {"format": CHECKPOINT_FORMAT, "step": step, "config": config, "model": net.state_dict(),
             "ema": ema.state_dict(), "optimizer": optimizer.state_dict()}
    torch.save(state, temp)
    os.replace(temp, path)
    for old in workdir.glob("ckpt-*.pt"):
        if old != path:
            old.unlink()
    return path


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint written by ``write_checkpoint``, loaded with ``weights_only=True`` onto the CPU."""
    if not path.is_file():
        raise ConfigError(f"checkpoint {path} does not exist; pass the path of a ckpt-*.pt file written by fit")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ConfigError(f"checkpoint {path} cannot be read ({type(error).__name__}: {error}); "
                          f"it is truncated or not a vadbench RaMViD checkpoint") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ConfigError(f"checkpoint {path} is not a vadbench RaMViD checkpoint (format {CHECKPOINT_FORMAT})")
    return state
