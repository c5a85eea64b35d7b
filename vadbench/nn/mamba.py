"""Bidirectional Mamba token mixer (VideoMamba / Vim "v2"), with mamba-ssm's parameter names on both code paths.

One shared input projection gives ``x`` and the gate ``z``; each direction has its own depthwise causal conv1d,
``x_proj``, ``dt_proj``, ``A_log`` and ``D`` (the backward ones named ``conv1d_b``, ``x_proj_b``, ``dt_proj_b``,
``A_b_log``, ``D_b`` as in VideoMamba); the backward direction runs on the sequence flipped in time and is
flipped back, so together the two see the whole sequence. Their gated outputs are fused (summed, or averaged)
and go through one shared output projection. A ``mamba_ssm.Mamba`` checkpoint loads into the forward direction
and the shared projections; VideoMamba's and Vim's bidirectional checkpoints load as they are.

Two code paths, one set of weights: on CUDA tensors, mamba-ssm's kernels when they import and pass a check
(``vadbench.nn.mamba_kernels``); otherwise the portable PyTorch scan of ``vadbench.nn.scan``. ``path_used``
says which one the last forward took.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import torch
import torch.nn.functional as F
from einops import rearrange, repeat
from torch import nn

from vadbench.errors import ConfigError
from vadbench.nn.scan import causal_conv1d, selective_scan

if TYPE_CHECKING:
    from vadbench.nn.mamba_kernels import Kernels

FUSIONS = {"sum": 1.0, "mean": 0.5}  # VideoMamba sums the two directions; Vim (if_devide_out) averages them
BACKENDS = ("auto", "portable", "cuda")
DT_MIN, DT_MAX, DT_FLOOR = 1e-3, 0.1, 1e-4  # Mamba's dt initialisation: softplus(dt bias) log-uniform in range


class _Direction(NamedTuple):
    conv1d: nn.Conv1d
    x_proj: nn.Linear
    dt_proj: nn.Linear
    A_log: nn.Parameter
    D: nn.Parameter


def _init_ssm(dt_proj: nn.Linear, A_log: nn.Parameter, D: nn.Parameter, dt_rank: int) -> None:
    """Mamba's initialisation: dt weight U(+-dt_rank^-1/2), dt bias = softplus^-1(dt), A = -(1..N), D = 1."""
    with torch.no_grad():
        nn.init.uniform_(dt_proj.weight, -dt_rank**-0.5, dt_rank**-0.5)
        d_inner, d_state = A_log.shape
        dt = torch.exp(torch.rand(d_inner) * (math.log(DT_MAX) - math.log(DT_MIN)) + math.log(DT_MIN))
        dt = dt.clamp(min=DT_FLOOR)
        dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))
        A_log.copy_(torch.log(repeat(torch.arange(1, d_state + 1, dtype=torch.float32), "n -> d n", d=d_inner)))
        D.fill_(1.0)
    dt_proj.bias._no_reinit = True
    A_log._no_weight_decay = True
    D._no_weight_decay = True


class BiMamba(nn.Module):
    """Bidirectional Mamba mixer, tokens ``b n c -> b n c`` (``c = d_model``; ``n`` in the caller's order).

    ``d_inner = expand * d_model``; ``dt_rank = ceil(d_model / 16)`` when "auto". ``fusion``: "sum"
    (VideoMamba) or "mean" (Vim's divide-out) of the two gated directions before ``out_proj``. ``backend``:
    "auto" (kernels on CUDA when they work, else portable), "portable", or "cuda" (kernels or an error).
    Both directions get Mamba's initialisation (VideoMamba leaves ``dt_proj_b`` at PyTorch's default).
    """

    path_used: str | None

    def __init__(self, d_model: int, d_state: int = 16, d_conv: int = 4, expand: int = 2,
                 dt_rank: int | str = "auto", fusion: str = "sum", backend: str = "auto") -> None:
        super().__init__()
        if fusion not in FUSIONS:
            raise ConfigError(f"BiMamba fusion must be one of {', '.join(FUSIONS)}, got {fusion!r}")
        if backend not in BACKENDS:
            raise ConfigError(f"BiMamba backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        if dt_rank != "auto" and not (isinstance(dt_rank, int) and dt_rank > 0):
            raise ConfigError(f"BiMamba dt_rank must be 'auto' or a positive integer, got {dt_rank!r}")
        self.d_model, self.d_state, self.d_conv, self.expand = d_model, d_state, d_conv, expand
        self.d_inner = expand * d_model
        self.dt_rank = math.ceil(d_model / 16) if dt_rank == "auto" else dt_rank
        self.fusion, self.backend = fusion, backend
        self.path_used = None

        self.in_proj = nn.Linear(d_model, 2 * self.d_inner, bias=False)
        for suffix in ("", "_b"):
            conv = nn.Conv1d(self.d_inner, self.d_inner, d_conv, groups=self.d_inner, padding=d_conv - 1)
            setattr(self, f"conv1d{suffix}", conv)
            setattr(self, f"x_proj{suffix}", nn.Linear(self.d_inner, self.dt_rank + 2 * d_state, bias=False))
            setattr(self, f"dt_proj{suffix}", nn.Linear(self.dt_rank, self.d_inner))
            setattr(self, f"A{suffix}_log", nn.Parameter(torch.empty(self.d_inner, d_state)))
            setattr(self, f"D{suffix}", nn.Parameter(torch.empty(self.d_inner)))
        self.out_proj = nn.Linear(self.d_inner, d_model, bias=False)
        for direction in (self._direction(False), self._direction(True)):
            _init_ssm(direction.dt_proj, direction.A_log, direction.D, self.dt_rank)

    def _direction(self, backward: bool) -> _Direction:
        suffix = "_b" if backward else ""
        return _Direction(getattr(self, f"conv1d{suffix}"), getattr(self, f"x_proj{suffix}"),
                          getattr(self, f"dt_proj{suffix}"), getattr(self, f"A{suffix}_log"),
                          getattr(self, f"D{suffix}"))

    def extra_repr(self) -> str:
        return (f"d_model={self.d_model}, d_state={self.d_state}, d_conv={self.d_conv}, expand={self.expand}, "
                f"dt_rank={self.dt_rank}, fusion={self.fusion!r}, backend={self.backend!r}")

    def _kernels(self, tokens: torch.Tensor) -> Kernels | None:
        """The CUDA kernels to use for ``tokens``, or None for the portable path."""
        if self.backend == "portable" or (self.backend == "auto" and not tokens.is_cuda):
            return None
        if not tokens.is_cuda:
            raise ConfigError(f"BiMamba backend='cuda' needs tensors on a GPU, got tensors on {tokens.device}; "
                              "use backend='auto' (the kernels when they work, else the portable scan) or 'portable'")
        from vadbench.nn.mamba_kernels import kernels_for

        kernels = kernels_for(tokens.device)
        if kernels is None and self.backend == "cuda":
            raise ConfigError("BiMamba backend='cuda' needs mamba-ssm's CUDA kernels, which do not work here (the "
                              "warning logged above says why); use backend='auto' or install them (docs/models.md)")
        return kernels

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``tokens``: ``b l c`` -> ``b l c``; sets ``path_used`` to "cuda-kernels" or "portable"."""
        length = tokens.shape[1]
        xz = rearrange(self.in_proj.weight @ rearrange(tokens, "b l c -> c (b l)"), "e (b l) -> b e l", l=length)
        kernels = self._kernels(tokens)
        self.path_used = "portable" if kernels is None else "cuda-kernels"
        scale = FUSIONS[self.fusion]
        if kernels is not None and kernels.mamba_inner_fn is not None:
            forward = self._fused(kernels.mamba_inner_fn, xz, self._direction(False))
            backward = self._fused(kernels.mamba_inner_fn, xz.flip(-1), self._direction(True))
            return (forward + backward.flip(1)) * scale  # out_proj is linear: out_proj(a + b) = out_proj(a) + ...
        scan = selective_scan if kernels is None else kernels.selective_scan_fn
        forward = self._gated(scan, xz, self._direction(False))
        backward = self._gated(scan, xz.flip(-1), self._direction(True)).flip(-1)
        y = forward + backward
        return self.out_proj(rearrange(y * scale, "b d l -> b l d"))

    def _gated(self, scan: Callable[..., torch.Tensor], xz: torch.Tensor, p: _Direction) -> torch.Tensor:
        """One direction, causal in ``xz``'s order: ``xz``: ``b (2 d) l`` -> ``y * silu(z)``: ``b d l``."""
        x, z = xz.chunk(2, dim=1)
        x = causal_conv1d(x, rearrange(p.conv1d.weight, "d 1 w -> d w"), p.conv1d.bias, activation="silu")
        dt, B, C = p.x_proj(rearrange(x, "b d l -> b l d")).split([self.dt_rank, self.d_state, self.d_state], -1)
        delta = rearrange(F.linear(dt, p.dt_proj.weight), "b l d -> b d l")
        B, C = (rearrange(t, "b l n -> b n l").to(x.dtype).contiguous() for t in (B, C))
        return scan(x, delta.to(x.dtype), -torch.exp(p.A_log.float()), B, C, p.D.float(), z=z.to(x.dtype),
                    delta_bias=p.dt_proj.bias.float(), delta_softplus=True)

    def _fused(self, inner: Callable[..., torch.Tensor], xz: torch.Tensor, p: _Direction) -> torch.Tensor:
        """One direction through mamba-ssm's fused ``mamba_inner_fn``, shared ``out_proj`` included: ``b l c``."""
        return inner(xz, p.conv1d.weight, p.conv1d.bias, p.x_proj.weight, p.dt_proj.weight, self.out_proj.weight,
                     None, -torch.exp(p.A_log.float()), None, None, p.D.float(),
                     delta_bias=p.dt_proj.bias.float(), delta_softplus=True)
