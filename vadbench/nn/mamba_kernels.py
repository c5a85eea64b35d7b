"""mamba-ssm's CUDA kernels for BiMamba's fast path: imported lazily, checked once per GPU, else ``None``.

``kernels_for(device)`` returns the kernels when mamba-ssm's compiled ``selective_scan_cuda`` imports and, on
that GPU, gives the portable scan's result on a small input (upstream tolerances); causal-conv1d's kernel is
used as well when it imports and passes the same check. Anything else (not installed, a CPU-only build, a
wheel built for another GPU or another torch, a wrong result) logs one line saying why and returns ``None``,
and BiMamba runs the portable scan. Never imported at module level of anything: importing mamba-ssm costs
seconds.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import torch

from vadbench.nn.scan import causal_conv1d, selective_scan

logger = logging.getLogger(__name__)

INTERFACE = "mamba_ssm.ops.selective_scan_interface"
# The tolerances of mamba-ssm's own test of selective_scan_fn against selective_scan_ref (float32).
RTOL, ATOL = 6e-4, 2e-3


@dataclass(frozen=True)
class Kernels:
    """``selective_scan_fn`` (always) and ``mamba_inner_fn`` (only with causal-conv1d's kernel)."""

    selective_scan_fn: Callable[..., torch.Tensor]
    mamba_inner_fn: Callable[..., torch.Tensor] | None


def _import_interface() -> ModuleType:
    """mamba-ssm's scan interface module, without its package ``__init__`` if that one cannot import.

    ``mamba_ssm/__init__.py`` imports every model of the package, and with them optional dependencies
    (huggingface_hub, transformers, tilelang) that the scan interface does not need; a ``--no-deps`` install
    (the GPU machine's wheel) lacks them. Then the package is registered as a bare package module, whose
    submodules import normally.
    """
    try:
        return importlib.import_module(INTERFACE)
    except ImportError as error:
        spec = importlib.util.find_spec("mamba_ssm")
        if spec is None or error.name == "selective_scan_cuda" or "mamba_ssm" in sys.modules:
            raise
        sys.modules["mamba_ssm"] = importlib.util.module_from_spec(spec)
        try:
            return importlib.import_module(INTERFACE)
        except ImportError:
            del sys.modules["mamba_ssm"]
            raise


@functools.cache
def _interface() -> ModuleType | None:
    """The scan interface with compiled kernels, or None after logging why not (once per process)."""
    try:
        interface = _import_interface()
    except ImportError as error:
        logger.warning("BiMamba: mamba-ssm's CUDA kernels are not importable (%s); using the portable scan", error)
        return None
    if not hasattr(interface.selective_scan_cuda, "fwd"):
        logger.warning("BiMamba: selective_scan_cuda has no kernels (mamba-ssm was built without CUDA); "
                       "using the portable scan")
        return None
    return interface


def _check(name: str, got: torch.Tensor, expected: torch.Tensor) -> None:
    if not torch.allclose(got.cpu(), expected, rtol=RTOL, atol=ATOL):
        raise RuntimeError(f"{name} differs from the portable result by {(got.cpu() - expected).abs().max():.3g}")


def _probe_scan(fn: Callable[..., torch.Tensor], device: torch.device) -> None:
    """Run ``fn`` as ``selective_scan_fn`` on a small input on ``device``; raise if it fails or disagrees."""
    gen = torch.Generator().manual_seed(0)
    d, n, length = 8, 4, 37
    u, delta, z = (torch.randn(1, d, length, generator=gen) for _ in range(3))
    B, C = (torch.randn(1, n, length, generator=gen) for _ in range(2))
    A = -torch.arange(1, n + 1, dtype=torch.float32).repeat(d, 1)
    D, bias = torch.ones(d), torch.full((d,), -2.0)
    args = (u, delta, A, B, C, D, z, bias)
    expected = selective_scan(*args, delta_softplus=True)
    _check("selective_scan_fn", fn(*(t.to(device) for t in args), delta_softplus=True), expected)


def _probe_conv(fn: Callable[..., torch.Tensor], device: torch.device) -> None:
    """Run ``fn`` as ``causal_conv1d_fn`` on a small input on ``device``; raise if it fails or disagrees."""
    gen = torch.Generator().manual_seed(0)
    x, weight, bias = torch.randn(1, 8, 37, generator=gen), torch.randn(8, 4, generator=gen), torch.randn(8)
    expected = causal_conv1d(x, weight, bias, "silu")
    _check("causal_conv1d_fn", fn(x.to(device), weight.to(device), bias.to(device), activation="silu"), expected)


@functools.cache
def kernels_for(device: torch.device) -> Kernels | None:
    """The kernels that work on the CUDA ``device`` (checked once per device), or None after one log line."""
    interface = _interface()
    if interface is None:
        return None
    try:
        with torch.cuda.device(device):
            _probe_scan(interface.selective_scan_fn, device)
    except Exception as error:  # a kernel image for another GPU, an ABI mismatch, a wrong result, ...
        logger.warning("BiMamba: mamba-ssm's selective_scan_fn fails on %s (%s); using the portable scan",
                       device, error)
        return None
    inner = None
    if interface.causal_conv1d_fn is not None:
        try:
            with torch.cuda.device(device):
                _probe_conv(interface.causal_conv1d_fn, device)
            inner = interface.mamba_inner_fn
        except Exception as error:
            logger.warning("BiMamba: causal-conv1d fails on %s (%s); using selective_scan_fn with a torch conv1d",
                           device, error)
    return Kernels(interface.selective_scan_fn, inner)
