"""Speed and scale of the sequence mixers: attention (SDPA) against bidirectional Mamba, each code path present.

Prints Markdown tables:

1. the selective scan alone (one direction, batch 1, d_state 16): the portable chunked scan, the same scan
   as one chunk (a plain sequential loop), and mamba-ssm's ``selective_scan_ref`` (CPU) or its CUDA
   ``selective_scan_fn`` (GPU), forward+backward;
2. per mixer and path, forward and forward+backward time and memory at ``C`` channels and ``F x S x S`` tokens;
3. the slope of log(time) against log(F) per mixer: 1 is linear in the window, 2 quadratic.

Memory: on CUDA the peak allocated above the inputs; on the CPU the bytes of the tensors autograd saves for
the backward pass (the activation memory), since the CPU allocator keeps no peak. On a GPU the defaults are
the full preset's mixer shape (C = 512, 16 x 16 tokens per frame, F = 30 .. 480)::

    python bench/mixers.py --threads 1      # CPU: C = 128, 8 x 8 tokens per frame, F = 15 .. 120
    python bench/mixers.py --device cuda    # the full preset's shapes
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import sys
import time
import types
from collections.abc import Callable

import numpy as np
import torch

from _timing import synchronize, timed
from vadbench.nn.mamba import BiMamba
from vadbench.nn.mixers import build_mixer
from vadbench.nn.scan import selective_scan

MiB = 2**20


def parse() -> argparse.Namespace:
    cuda = torch.cuda.is_available()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if cuda else "cpu")
    parser.add_argument("--channels", type=int, help="mixer width C (default 512 on CUDA, 128 on the CPU)")
    parser.add_argument("--side", type=int, help="tokens per frame side S (default 16 on CUDA, 8 on the CPU)")
    parser.add_argument("--frames", help="comma list of F (default 30..480 on CUDA, 15..120 on the CPU)")
    parser.add_argument("--scan-lengths", help="comma list of scan lengths (default 7680,30720 / 1024,4096)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, help="CPU threads (default: torch's; 1 is steadier on a busy machine)")
    args = parser.parse_args()
    gpu = args.device.startswith("cuda")
    args.channels = args.channels or (512 if gpu else 128)
    args.side = args.side or (16 if gpu else 8)
    args.frames = [int(f) for f in (args.frames or ("30,60,120,240,480" if gpu else "15,30,60,120")).split(",")]
    args.scan_lengths = [int(n) for n in (args.scan_lengths or ("7680,30720" if gpu else "1024,4096")).split(",")]
    args.device = torch.device(args.device)
    return args


def timed_once(fn: Callable[[], object], device: torch.device) -> float:
    """Wall seconds of one ``fn()`` call (for the slow reference)."""
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def memory_mib(fn: Callable[[], object], device: torch.device) -> float:
    """CUDA: peak allocated MiB above what was allocated before ``fn()``; CPU: MiB saved for backward."""
    if device.type == "cuda":
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn()
        synchronize(device)
        return (torch.cuda.max_memory_allocated(device) - base) / MiB
    storages: dict[int, int] = {}

    def keep(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda tensor: tensor):
        fn()
    return sum(storages.values()) / MiB


def fwd_bwd(module: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Callable[[], None]:
    """Forward with a graph, then backward of a fixed random projection of the output."""
    weight = torch.randn_like(x)

    def step() -> None:
        x.grad = None
        (module(x) * weight).sum().backward()

    return step


def fwd(module: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        with torch.no_grad():
            module(x)

    return step


def selective_scan_ref() -> Callable[..., torch.Tensor] | None:
    """mamba-ssm's CPU reference scan, imported around its missing CUDA module (None if not installed)."""
    spec = importlib.util.find_spec("mamba_ssm")
    if spec is None:
        return None
    sys.modules.setdefault("selective_scan_cuda", types.ModuleType("selective_scan_cuda"))
    sys.modules.setdefault("mamba_ssm", importlib.util.module_from_spec(spec))
    return importlib.import_module("mamba_ssm.ops.selective_scan_interface").selective_scan_ref


def scan_table(args: argparse.Namespace) -> None:
    device, d_inner, d_state = args.device, 2 * args.channels, 16
    print(f"\n## Selective scan, one direction: d_inner {d_inner}, d_state {d_state}, batch 1, fp32, {device}\n")
    print("| L | implementation | fwd+bwd ms | memory MiB |")
    print("|---|---|---|---|")
    # (name, scan, lengths, timed once: the reference is too slow for repeats)
    scans: list[tuple[str, Callable[..., torch.Tensor], list[int], bool]] = [
        ("portable, chunked (default)", selective_scan, args.scan_lengths, False),
        ("portable, one chunk (sequential)", lambda *a, **k: selective_scan(*a, chunk=a[0].shape[-1], **k),
         args.scan_lengths, False),
    ]
    if device.type == "cuda":
        from vadbench.nn.mamba_kernels import kernels_for

        kernels = kernels_for(device)
        if kernels is not None:
            scans.append(("mamba-ssm selective_scan_fn (CUDA)", kernels.selective_scan_fn, args.scan_lengths, False))
    elif (ref := selective_scan_ref()) is not None:  # its backward grows as L^2: only the shortest length
        scans.append(("mamba-ssm selective_scan_ref", ref, args.scan_lengths[:1], True))
    for length in args.scan_lengths:
        gen = torch.Generator().manual_seed(0)
        u, delta, z = (torch.randn(1, d_inner, length, generator=gen).to(device).requires_grad_() for _ in range(3))
        B, C = (torch.randn(1, d_state, length, generator=gen).to(device).requires_grad_() for _ in range(2))
        A = (-torch.arange(1.0, d_state + 1).repeat(d_inner, 1)).to(device).requires_grad_()
        D, bias = torch.ones(d_inner, device=device), torch.full((d_inner,), -4.0, device=device)
        inputs = (u, delta, A, B, C, D, z, bias)
        weight = torch.randn(1, d_inner, length, generator=gen).to(device)
        for name, scan, lengths, once in scans:
            if length not in lengths:
                continue

            def step(scan=scan) -> None:
                (scan(*inputs, delta_softplus=True) * weight).sum().backward()

            mib = memory_mib(step, device)  # also the warm-up
            seconds = timed_once(step, device) if once else timed(step, device, args.repeat)
            print(f"| {length} | {name} | {seconds * 1e3:.1f} | {mib:.0f} |", flush=True)


def mixers(args: argparse.Namespace) -> list[tuple[str, Callable[[], torch.nn.Module]]]:
    """(label, constructor) of every mixer and code path present on this device."""
    c = args.channels
    found = [("attention (SDPA)", lambda: build_mixer("attention", c)),
             ("mamba, portable", lambda: BiMamba(c, backend="portable"))]
    if args.device.type == "cuda":
        from vadbench.nn.mamba_kernels import kernels_for

        if kernels_for(args.device) is not None:
            found.append(("mamba, cuda-kernels", lambda: BiMamba(c, backend="cuda")))
    return found


def mixer_table(args: argparse.Namespace) -> dict[str, list[float]]:
    """Prints the mixer table; returns the forward+backward seconds per mixer, one per F (nan: out of memory)."""
    device = args.device
    memory = "peak MiB" if device.type == "cuda" else "saved MiB"
    print(f"\n## Mixers: C = {args.channels}, tokens = F x {args.side} x {args.side}, batch 1, fp32, {device}\n")
    print(f"| mixer | F | tokens | fwd ms | fwd+bwd ms | fwd+bwd {memory} |")
    print("|---|---|---|---|---|---|")
    curves: dict[str, list[float]] = {}
    for label, make in mixers(args):
        torch.manual_seed(0)
        module = make().to(device)
        curves[label] = []
        for frames in args.frames:
            tokens = frames * args.side**2
            x = torch.randn(1, tokens, args.channels, device=device, requires_grad=True)
            try:
                forward_s = timed(fwd(module, x), device, args.repeat)
                both_s = timed(fwd_bwd(module, x), device, args.repeat)
                mem = memory_mib(fwd_bwd(module, x), device)
            except torch.cuda.OutOfMemoryError:
                print(f"| {label} | {frames} | {tokens} | out of memory | | |", flush=True)
                curves[label].append(math.nan)
                torch.cuda.empty_cache()
                continue
            print(f"| {label} | {frames} | {tokens} | {forward_s * 1e3:.1f} | {both_s * 1e3:.1f} | {mem:.0f} |",
                  flush=True)
            curves[label].append(both_s)
    return curves


def slopes(frames: list[int], curves: dict[str, list[float]]) -> None:
    print("\n## Growth of forward+backward time with F (log-log slope; 1 = linear, 2 = quadratic)\n")
    print("| mixer | slope | F range |")
    print("|---|---|---|")
    for label, seconds in curves.items():
        points = [(f, s) for f, s in zip(frames, seconds, strict=True) if not math.isnan(s)]
        if len(points) < 2:
            print(f"| {label} | (fewer than 2 points) | |")
            continue
        f, s = np.log([p[0] for p in points]), np.log([p[1] for p in points])
        print(f"| {label} | {np.polyfit(f, s, 1)[0]:.2f} | {points[0][0]}..{points[-1][0]} |")


def main() -> None:
    args = parse()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device.type == "cpu":
        print(f"CPU threads: {torch.get_num_threads()}")
    scan_table(args)
    slopes(args.frames, mixer_table(args))


if __name__ == "__main__":
    main()
