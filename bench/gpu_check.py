"""The GPU check of the Mamba mixer, in one run of under 8 minutes on the H200 machine; prints everything.

1. Which paths exist: mamba-ssm's kernels load and pass their check (``vadbench.nn.mamba_kernels``)?
2. Fast path vs portable path on CUDA, same inputs: the selective scan (one direction, d_inner 1024, L = 7,680)
   and the BiMamba mixer (C = 512, 30 x 16 x 16 tokens, same weights): outputs and gradients agree within
   mamba-ssm's own tolerances (rtol 6e-4, atol 2e-3, float32), and time and peak memory of each.
3. The mixer scaling table of ``bench/mixers.py`` at the full preset's shape: C = 512, F x 16 x 16 tokens,
   F = 30 .. 480, attention (SDPA) and both Mamba paths, with the log-log slopes.
4. Whole models: ``bench/ramvid.py`` for the full preset with both mixers (bf16 training step, NFE, peak
   memory, longest window), in the time that is left.

On the H200 machine (Python 3.12, torch 2.11.0+cu130, no mamba-ssm, no network), from the repository root,
with the prebuilt wheel copied into an ignored folder that the run carries::

    mkdir -p .whl && cp ../shared/wheels/mamba_ssm-*.whl .whl/ && echo /.whl/ >> .git/info/exclude
    # run(carry=[".whl"], timeout_s=540, command=
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/mamba_ssm-*.whl &&
      PYTHONPATH=/tmp/site:. PYTHONUNBUFFERED=1 python3 bench/gpu_check.py 2>&1 | tee $OUT/gpu_check.txt

Without the wheel the check still runs: section 1 says why the kernels are missing and the rest measures the
portable path alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import mixers  # bench/mixers.py: the script's folder is on sys.path
import torch

from vadbench.nn.mamba import BiMamba
from vadbench.nn.mamba_kernels import ATOL, RTOL, kernels_for
from vadbench.nn.scan import selective_scan

START = time.monotonic()
BUDGET_S = 7.5 * 60
GiB = 2**30
CHANNELS, FRAMES, SIDE = 512, 30, 16  # the full preset's mixer: d_model 512 at the 16x16 level, 30-frame windows
SCAN = {"d_inner": 2 * CHANNELS, "d_state": 16, "length": FRAMES * SIDE * SIDE}


def elapsed() -> str:
    return f"[{time.monotonic() - START:.0f} s]"


def compare(label: str, got: torch.Tensor, want: torch.Tensor) -> bool:
    """Print max |diff| and max |want|; True when within mamba-ssm's tolerances."""
    got, want = got.float(), want.float()
    diff, scale = (got - want).abs().max().item(), want.abs().max().item()
    ok = torch.allclose(got, want, rtol=RTOL, atol=ATOL)
    print(f"| {label} | {diff:.3g} | {scale:.3g} | {'ok' if ok else 'DIFFERS'} |")
    return ok


def timed_peak(fn: Callable[[], object], device: torch.device, repeat: int = 5) -> tuple[float, float]:
    """Median ms of ``fn()`` after a warm-up, and its peak GiB allocated above the memory in use before."""
    seconds = mixers.timed(fn, device, repeat)
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    fn()
    torch.cuda.synchronize(device)
    return 1e3 * seconds, (torch.cuda.max_memory_allocated(device) - base) / GiB


def scan_inputs(device: torch.device, d_inner: int, d_state: int, length: int):
    """``u, delta, A, B, C, D, z, delta_bias`` like a Mamba layer's (leaves on ``device``), and an output weight."""
    gen = torch.Generator().manual_seed(0)
    u, delta, z = (torch.randn(1, d_inner, length, generator=gen) for _ in range(3))
    B, C = (torch.randn(1, d_state, length, generator=gen) for _ in range(2))
    A = -torch.arange(1.0, d_state + 1).repeat(d_inner, 1) * (1 + torch.rand(d_inner, 1, generator=gen))
    D, bias = 1 + 0.1 * torch.randn(d_inner, generator=gen), -4 + torch.randn(d_inner, generator=gen)
    weight = torch.randn(1, d_inner, length, generator=gen).to(device)
    return [t.to(device).requires_grad_() for t in (u, delta, A, B, C, D, z, bias)], weight


def check_scan(scan_fn: Callable[..., torch.Tensor], device: torch.device) -> bool:
    print(f"\n## 2a. Selective scan, one direction, {SCAN}, fp32 {elapsed()}\n")
    inputs, weight = scan_inputs(device, **SCAN)
    results = {}
    for name, scan in (("cuda selective_scan_fn", scan_fn), ("portable", selective_scan)):
        def step(scan=scan) -> None:
            for t in inputs:
                t.grad = None
            (scan(*inputs, delta_softplus=True) * weight).sum().backward()

        ms, peak = timed_peak(step, device)
        results[name] = (scan(*inputs, delta_softplus=True).detach(), [t.grad.clone() for t in inputs])
        print(f"{name}: fwd+bwd {ms:.1f} ms, peak {peak:.2f} GiB")
    print("\n| tensor (cuda vs portable) | max abs diff | max abs | within tolerance |\n|---|---|---|---|")
    (y_fast, g_fast), (y_port, g_port) = results.values()
    ok = compare("y", y_fast, y_port)
    for name, a, b in zip(("du", "ddelta", "dA", "dB", "dC", "dD", "dz", "ddelta_bias"), g_fast, g_port, strict=True):
        ok &= compare(name, a, b)
    return ok


def check_mixer(device: torch.device) -> bool:
    print(f"\n## 2b. BiMamba({CHANNELS}), tokens {FRAMES} x {SIDE} x {SIDE}, same weights, fp32 {elapsed()}\n")
    torch.manual_seed(0)
    portable = BiMamba(CHANNELS, backend="portable").to(device)
    fast = BiMamba(CHANNELS, backend="cuda").to(device)
    fast.load_state_dict(portable.state_dict())
    x = torch.randn(1, FRAMES * SIDE * SIDE, CHANNELS, device=device, requires_grad=True)
    weight = torch.randn_like(x)
    results = {}
    for module in (fast, portable):
        def step(module=module) -> None:
            x.grad = None
            module.zero_grad(set_to_none=True)
            (module(x) * weight).sum().backward()

        ms, peak = timed_peak(step, device)
        results[module.path_used] = (module(x).detach(), x.grad.clone(),
                                     {n: p.grad.clone() for n, p in module.named_parameters()})
        print(f"{module.path_used}: fwd+bwd {ms:.1f} ms, peak {peak:.2f} GiB")
    print("\n| tensor (cuda-kernels vs portable) | max abs diff | max abs | within tolerance |\n|---|---|---|---|")
    (y_fast, dx_fast, g_fast), (y_port, dx_port, g_port) = results["cuda-kernels"], results["portable"]
    ok = compare("output", y_fast, y_port) & compare("d tokens", dx_fast, dx_port)
    for name in g_fast:
        ok &= compare(f"d {name}", g_fast[name], g_port[name])
    with torch.autocast("cuda", dtype=torch.bfloat16):
        bf16 = fast(x).float()
    error = ((bf16 - y_port).norm() / y_port.norm()).item()
    print(f"\nbf16 autocast, cuda-kernels vs fp32 portable: relative L2 error {error:.3g}")
    return ok


def whole_models(device: torch.device) -> None:
    left = BUDGET_S - (time.monotonic() - START)
    print(f"\n## 4. Whole models, full preset, bench/ramvid.py (bf16), {left:.0f} s left {elapsed()}\n", flush=True)
    if left < 60:
        print("skipped: less than a minute left")
        return
    command = [sys.executable, str(Path(__file__).with_name("ramvid.py")), "--presets", "full", "--size", "128",
               "--frames", "30", "--batch", "1", "--infer-batch", "2", "--repeat", "2", "--windows",
               "30,60,120,240", "--device", str(device)]
    try:
        subprocess.run(command, check=False, timeout=left, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    except subprocess.TimeoutExpired:
        print(f"\nbench/ramvid.py stopped at the time budget ({BUDGET_S:.0f} s in all)")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    if not torch.cuda.is_available():
        sys.exit("gpu_check: no CUDA device; run it on the GPU machine (see the docstring)")
    device = torch.device("cuda", torch.cuda.current_device())
    print(f"# GPU check: {torch.cuda.get_device_name(device)}, torch {torch.__version__}, "
          f"Python {sys.version.split()[0]}\n")
    print(f"## 1. Code paths {elapsed()}\n")
    kernels = kernels_for(device)
    if kernels is None:
        print("mamba-ssm kernels: unavailable (the log line above says why); only the portable path is measured")
    else:
        fused = "mamba_inner_fn (with causal-conv1d)" if kernels.mamba_inner_fn else "selective_scan_fn + torch conv1d"
        print(f"mamba-ssm kernels: loaded and checked; BiMamba's fast path uses {fused}")
        agree = check_scan(kernels.selective_scan_fn, device) & check_mixer(device)
        print(f"\nfast path agrees with the portable path: {'yes' if agree else 'NO'}")
    print(f"\n## 3. Mixer scaling, full-preset shape {elapsed()}")
    frames = [FRAMES * 2**k for k in range(5)]  # 30 .. 480
    args = argparse.Namespace(device=device, channels=CHANNELS, side=SIDE, frames=frames, repeat=3)
    mixers.slopes(args.frames, mixers.mixer_table(args))
    torch.cuda.empty_cache()
    whole_models(device)
    print(f"\ndone {elapsed()}")


if __name__ == "__main__":
    main()
