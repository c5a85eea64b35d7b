"""RaMViD speed and scale: per preset and mixer, parameters, training step time and peak memory, the time of one
network evaluation (NFE) at batch 1 and at the inference batch, and the longest window that still trains.

Prints Markdown tables. On a GPU (bf16 autocast, as training and inference run there)::

    python bench/ramvid.py --presets full --size 128 --frames 30 --windows 30,60,90,120,150

On the CPU (float32) with the small presets::

    python bench/ramvid.py --presets tiny,small --size 32 --frames 30 --windows 30,60
"""

from __future__ import annotations

import argparse
import resource

import torch

from _timing import synchronize, timed
from vadbench.nn.diffusion import GaussianDiffusion
from vadbench.nn.unet import UNet3D, preset


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default="tiny,small")
    parser.add_argument("--mixers", default="attention,mamba")
    parser.add_argument("--size", type=int, default=32, help="frame height and width")
    parser.add_argument("--frames", type=int, default=30, help="window length for the step and NFE timings")
    parser.add_argument("--batch", type=int, default=2, help="training batch")
    parser.add_argument("--infer-batch", type=int, default=8, help="batch of the second NFE timing")
    parser.add_argument("--windows", default="", help="window lengths for the memory scan (empty: no scan)")
    parser.add_argument("--checkpointing", action="store_true", help="activation checkpointing in training")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return parser.parse_args()


def peak_gb(device: torch.device) -> float:
    """Peak memory in GB: allocated CUDA memory since the last reset, or the process's peak RSS on the CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 1e9
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def autocast(device: torch.device) -> torch.autocast:
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def train_step_fn(net: UNet3D, optimizer, diffusion: GaussianDiffusion, batch: int, frames: int, size: int,
                  device: torch.device):
    x0 = torch.rand(batch, 3, frames, size, size, device=device) * 2 - 1
    anchors = torch.zeros(batch, frames, dtype=torch.bool, device=device)
    anchors[:, :2] = True

    def step() -> None:
        t = torch.randint(0, diffusion.steps, (batch,), device=device)
        with autocast(device):
            loss = diffusion.training_loss(net, x0, anchors, t, torch.randn_like(x0))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()

    return step


def nfe_fn(net: UNet3D, batch: int, frames: int, size: int, device: torch.device):
    x = torch.randn(batch, 3, frames, size, size, device=device)
    t = torch.full((batch,), 500, device=device)

    @torch.no_grad()
    def evaluate() -> None:
        with autocast(device):
            net(x, t)

    return evaluate


def bench(name: str, mixer: str, args: argparse.Namespace, device: torch.device) -> tuple[str, str]:
    try:
        net = UNet3D(preset(name, mixer=mixer), checkpointing=args.checkpointing).to(device)
    except ImportError as error:
        return f"| {name} | {mixer} | unavailable: {error} | | | | |", ""
    params = sum(p.numel() for p in net.parameters()) / 1e6
    diffusion = GaussianDiffusion()
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-5)
    reset_peak(device)
    step = timed(train_step_fn(net, optimizer, diffusion, args.batch, args.frames, args.size, device), device,
                 args.repeat)
    memory = peak_gb(device)
    net.eval()
    nfe_1 = timed(nfe_fn(net, 1, args.frames, args.size, device), device, args.repeat)
    nfe_b = timed(nfe_fn(net, args.infer_batch, args.frames, args.size, device), device, args.repeat)
    paths = ",".join(sorted({str(m.path_used) for m in net.modules() if hasattr(m, "path_used")}))
    row = (f"| {name} | {mixer} ({paths}) | {params:.2f} M | {1000 * step:.0f} | {memory:.2f} | {1000 * nfe_1:.0f} "
           f"| {1000 * nfe_b / args.infer_batch:.0f} |")
    scan = ""
    if args.windows:
        net.train()
        results = []
        for frames in (int(value) for value in args.windows.split(",")):
            reset_peak(device)
            try:
                train_step_fn(net, optimizer, diffusion, 1, frames, args.size, device)()
                synchronize(device)
                results.append(f"{frames}: {peak_gb(device):.1f} GB")
            except torch.OutOfMemoryError:
                results.append(f"{frames}: OOM")
                break
        scan = f"| {name} | {mixer} | {'; '.join(results)} |"
    del net, optimizer
    return row, scan


def main() -> None:
    args = parse()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"device: {name}; frames {args.frames} at {args.size}x{args.size}; training batch {args.batch}"
          f"{', activation checkpointing' if args.checkpointing else ''}; "
          f"{'bf16 autocast' if device.type == 'cuda' else 'float32'}\n")
    memory = "peak GB (CUDA allocated)" if device.type == "cuda" else "peak GB (process RSS)"
    print(f"| preset | mixer (path) | params | ms / train step | {memory} | ms / NFE, batch 1 "
          f"| ms / NFE per window, batch {args.infer_batch} |")
    print("|---|---|---|---|---|---|---|")
    scans = []
    for preset_name in args.presets.split(","):
        for mixer in args.mixers.split(","):
            row, scan = bench(preset_name, mixer, args, device)
            print(row, flush=True)
            scans.append(scan)
    if args.windows:
        print(f"\nTraining memory by window length (batch 1, {args.size}x{args.size}; stops at the first OOM):\n")
        print("| preset | mixer | frames: peak |\n|---|---|---|")
        print("\n".join(scan for scan in scans if scan))


if __name__ == "__main__":
    main()
