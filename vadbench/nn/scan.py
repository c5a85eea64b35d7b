"""The selective scan of Mamba and its causal depthwise conv1d in plain PyTorch: the portable path.

``selective_scan`` has the signature and semantics of mamba-ssm's ``selective_scan_ref`` (the test oracle) for
real ``A``. It differs in how it runs: the recurrence ``h_t = a_t * h_{t-1} + b_t`` is one autograd node
(``linear_scan``) whose backward is the same scan run in reverse, and each scan is a two-level chunked loop of
about ``2 * sqrt(2 L)`` Python steps. ``selective_scan_ref`` steps ``L`` times and its backward grows as
``L^2`` (3.8 s at L = 1024, 271 s at L = 4096 on this project's CPU); the figures for this scan are printed by
``bench/mixers.py``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from einops import rearrange, repeat

Tensor = torch.Tensor


def default_chunk(length: int) -> int:
    """The chunk length that minimises the Python steps ``2 * chunk + length / chunk`` of one scan."""
    return max(1, round(math.sqrt(length / 2)))


@torch.no_grad()
def _scan(a: Tensor, b: Tensor, *, reverse: bool = False, init: Tensor | None = None, chunk: int | None = None,
          out: Tensor | None = None) -> Tensor:
    """``h_t = a_t * h_{t-1} + b_t`` along dim 1 of ``a, b: batch l ...``, from ``h_{-1} = init`` (default 0).

    With ``reverse`` the recurrence runs from the end: ``h_t = a_t * h_{t+1} + b_t``, ``h_L = init``. The
    sequence splits into ``nc`` chunks of ``chunk`` steps and a remainder at the far end. Pass 1 runs all chunks
    at once from a zero state to get each chunk's final state, pass 2 carries the states from chunk to chunk,
    pass 3 reruns all chunks from their carried-in states and writes ``h``; the remainder steps one by one.
    """
    length = a.shape[1]
    chunk = min(chunk or default_chunk(length), length)
    nc, rest = divmod(length, chunk)
    h = torch.empty_like(b) if out is None else out
    main = slice(rest, length) if reverse else slice(0, length - rest)
    steps = range(chunk - 1, -1, -1) if reverse else range(chunk)
    state = torch.zeros_like(b[:, 0]) if init is None else init.to(b.dtype)

    ac, bc, hc = (t[:, main].unflatten(1, (nc, chunk)) for t in (a, b, h))  # batch nc chunk ...
    final = torch.zeros_like(bc[:, :, 0])
    for t in steps:  # pass 1
        final = torch.addcmul(bc[:, :, t], final, ac[:, :, t])
    decay = ac.prod(dim=2)
    carried = torch.empty_like(final)
    for c in range(nc - 1, -1, -1) if reverse else range(nc):  # pass 2
        carried[:, c] = state
        state = torch.addcmul(final[:, c], state, decay[:, c])
    inner = carried
    for t in steps:  # pass 3
        torch.addcmul(bc[:, :, t], inner, ac[:, :, t], out=hc[:, :, t])
        inner = hc[:, :, t]

    for i in range(rest - 1, -1, -1) if reverse else range(length - rest, length):  # the remainder
        torch.addcmul(b[:, i], state, a[:, i], out=h[:, i])
        state = h[:, i]
    return h


class _LinearScan(torch.autograd.Function):
    """``h = scan(a, b)``; backward: ``g_t = dh_t + a_{t+1} g_{t+1}`` (a reverse scan), ``da_t = g_t h_{t-1}``."""

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, chunk: int | None) -> Tensor:
        h = _scan(a, b, chunk=chunk)
        ctx.save_for_backward(a, h)
        ctx.chunk = chunk
        return h

    @staticmethod
    def backward(ctx, dh: Tensor) -> tuple[Tensor, Tensor, None]:
        a, h = ctx.saved_tensors
        dh = dh.contiguous()
        g = torch.empty_like(dh)
        g[:, -1] = dh[:, -1]
        if a.shape[1] > 1:
            _scan(a[:, 1:], dh[:, :-1], reverse=True, init=dh[:, -1], chunk=ctx.chunk, out=g[:, :-1])
        da = torch.empty_like(a)
        da[:, 0] = 0
        torch.mul(g[:, 1:], h[:, :-1], out=da[:, 1:])
        return da, g, None


def linear_scan(a: Tensor, b: Tensor, chunk: int | None = None) -> Tensor:
    """The first-order linear recurrence ``h_t = a_t * h_{t-1} + b_t, h_{-1} = 0`` along dim 1, differentiable.

    ``a, b``: ``batch l ...`` (same shape) -> ``h``: ``batch l ...``. ``chunk`` is the inner chunk length
    (default ``default_chunk(l)``); it changes speed, not results beyond float round-off.
    """
    if a.shape != b.shape:
        raise ValueError(f"linear_scan needs a and b of one shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return _LinearScan.apply(a.contiguous(), b.contiguous(), chunk)


def _per_step(X: Tensor, dim: int) -> Tensor:
    """B or C of ``selective_scan_ref`` (``d n`` | ``b n l`` | ``b g n l``) broadcastable to ``b l d n``."""
    if X.dim() == 2:  # constant over time and batch
        return X.float()
    if X.dim() == 3:  # one per step, shared by all channels
        return rearrange(X.float(), "b n l -> b l 1 n")
    return repeat(X.float(), "b g n l -> b l (g r) n", r=dim // X.shape[1])  # one per step and channel group


def selective_scan(u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor, D: Tensor | None = None,
                   z: Tensor | None = None, delta_bias: Tensor | None = None, delta_softplus: bool = False,
                   return_last_state: bool = False, chunk: int | None = None) -> Tensor | tuple[Tensor, Tensor]:
    """Mamba's selective scan, ``selective_scan_ref``'s contract for real ``A``, computed in float32.

    ``u, delta, z``: ``b d l``; ``A``: ``d n``; ``B, C``: ``d n`` | ``b n l`` | ``b g n l``; ``D, delta_bias``:
    ``d``. With ``Δ = softplus(delta + delta_bias)`` (softplus if ``delta_softplus``):
    ``h_t = exp(Δ_t A) h_{t-1} + Δ_t u_t B_t``, ``y_t = <h_t, C_t> + D u_t``, then ``y * silu(z)``.
    Returns ``y``: ``b d l`` in ``u``'s dtype, and with ``return_last_state`` also ``h_L``: ``b d n`` (float32).
    """
    if A.is_complex():
        raise ValueError("the portable selective scan supports real A only (Mamba's S4D-real A = -exp(A_log))")
    dtype_in = u.dtype
    u, delta = u.float(), delta.float()
    if delta_bias is not None:
        delta = delta + delta_bias.float()[:, None]
    if delta_softplus:
        delta = F.softplus(delta)
    decay = torch.exp(rearrange(delta, "b d l -> b l d 1") * A.float())
    drive = rearrange(delta * u, "b d l -> b l d 1") * _per_step(B, A.shape[0])
    h = linear_scan(decay, drive, chunk)  # b l d n
    if C.dim() == 3:  # a batched matrix-vector product; einsum, or a strided C, would copy once per step
        y = torch.matmul(h, rearrange(C.float(), "b n l -> b l n 1").contiguous()).squeeze(-1)
    else:
        y = (h * _per_step(C, A.shape[0])).sum(-1)
    y = rearrange(y, "b l d -> b d l")
    if D is not None:
        y = y + u * D.float()[:, None]
    if z is not None:
        y = y * F.silu(z.float())
    y = y.to(dtype_in)
    return (y, h[:, -1]) if return_last_state else y


def causal_conv1d(x: Tensor, weight: Tensor, bias: Tensor | None = None, activation: str | None = None) -> Tensor:
    """Depthwise causal conv1d, ``causal_conv1d_fn``'s contract: ``x``: ``b d l``, ``weight``: ``d w`` -> ``b d l``.

    Output ``t`` sees inputs ``t - w + 1 .. t`` (zero before the start); ``activation`` is None or "silu".
    """
    if activation not in (None, "silu", "swish"):
        raise ValueError(f"causal_conv1d activation must be None or 'silu', got {activation!r}")
    width = weight.shape[-1]
    out = F.conv1d(F.pad(x, (width - 1, 0)), rearrange(weight, "d w -> d 1 w"), bias, groups=x.shape[1])
    return F.silu(out) if activation else out
