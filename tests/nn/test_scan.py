"""The portable selective scan against mamba-ssm's ``selective_scan_ref``, and the torch causal conv1d."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from vadbench.nn.scan import causal_conv1d, linear_scan, selective_scan


def _assert_close(got: torch.Tensor, want: torch.Tensor) -> None:
    """Equal to float32 round-off, relative to the tensor's own scale."""
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5 * float(want.detach().abs().max()) + 1e-7)


def _inputs(batch: int, length: int, d_inner: int, d_state: int, bc: str = "bnl", seed: int = 0):
    """Leaf tensors like a Mamba layer's: ``u, delta, A, B, C, D, z, delta_bias``."""
    gen = torch.Generator().manual_seed(seed)
    shapes = {"dn": (d_inner, d_state), "bnl": (batch, d_state, length), "bgnl": (batch, 2, d_state, length)}
    tensors = [
        torch.randn(batch, d_inner, length, generator=gen),
        0.5 * torch.randn(batch, d_inner, length, generator=gen),
        -torch.arange(1.0, d_state + 1).repeat(d_inner, 1) * (1 + torch.rand(d_inner, 1, generator=gen)),
        torch.randn(*shapes[bc], generator=gen),
        torch.randn(*shapes[bc], generator=gen),
        1 + 0.1 * torch.randn(d_inner, generator=gen),
        torch.randn(batch, d_inner, length, generator=gen),
        -3 + torch.randn(d_inner, generator=gen),
    ]
    return [t.requires_grad_() for t in tensors]


def _outputs_and_grads(scan, inputs, **options):
    """``scan``'s output, last state and the gradients of a random projection of both to every input."""
    y, last = scan(*inputs, return_last_state=True, **options)
    gen = torch.Generator().manual_seed(1)
    loss = (y * torch.randn(y.shape, generator=gen)).sum() + (last * torch.randn(last.shape, generator=gen)).sum()
    grads = torch.autograd.grad(loss, [t for t in inputs if t is not None])
    return y, last, grads


@pytest.mark.parametrize(("length", "d_inner", "d_state", "chunk"), [
    (1, 4, 2, None),
    (37, 8, 4, 8),      # 37 = 4 chunks of 8 + 5 left over
    (64, 16, 16, None),
    (100, 8, 16, 7),    # 14 chunks of 7 + 2 left over
    (130, 24, 16, None),  # default chunk 8: 16 chunks + 2
    (50, 8, 4, 200),    # a chunk longer than the sequence: one chunk of 50
])
def test_matches_selective_scan_ref_outputs_and_gradients(mamba_oracle, length, d_inner, d_state, chunk):
    inputs = _inputs(2, length, d_inner, d_state)
    want = _outputs_and_grads(mamba_oracle.selective_scan_ref, inputs, delta_softplus=True)
    got = _outputs_and_grads(selective_scan, inputs, delta_softplus=True, chunk=chunk)
    for g, w in zip((got[0], got[1], *got[2]), (want[0], want[1], *want[2]), strict=True):
        _assert_close(g, w)


@pytest.mark.parametrize("bc", ["dn", "bgnl"])
def test_matches_selective_scan_ref_for_constant_and_grouped_B_C(mamba_oracle, bc):
    inputs = _inputs(2, 29, 8, 4, bc=bc)
    inputs[5] = inputs[6] = inputs[7] = None  # no D, no gate, no delta bias, no softplus
    want = _outputs_and_grads(mamba_oracle.selective_scan_ref, inputs)
    got = _outputs_and_grads(selective_scan, inputs, chunk=4)
    for g, w in zip((got[0], got[1], *got[2]), (want[0], want[1], *want[2]), strict=True):
        _assert_close(g, w)


def test_keeps_the_input_dtype_and_computes_in_float32():
    inputs = [t.detach() for t in _inputs(1, 20, 8, 4)]
    half = [inputs[0].bfloat16(), inputs[1].bfloat16(), *inputs[2:6], inputs[6].bfloat16(), inputs[7]]
    y = selective_scan(*half, delta_softplus=True)
    assert y.dtype == torch.bfloat16
    want = selective_scan(*[t.float() for t in half], delta_softplus=True)
    torch.testing.assert_close(y.float(), want, rtol=1e-2, atol=1e-2 * float(want.abs().max()))


def _naive_scan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    state, states = torch.zeros_like(b[:, 0]), []
    for t in range(a.shape[1]):
        state = a[:, t] * state + b[:, t]
        states.append(state)
    return torch.stack(states, 1)


@pytest.mark.parametrize("chunk", [1, 3, 23, 40])
def test_linear_scan_and_its_gradients_match_a_plain_loop(chunk):
    gen = torch.Generator().manual_seed(0)
    a, b = torch.rand(2, 23, 5, 3, generator=gen), torch.randn(2, 23, 5, 3, generator=gen)
    weight = torch.randn(2, 23, 5, 3, generator=gen)
    grads = []
    for scan in (_naive_scan, lambda a, b: linear_scan(a, b, chunk)):
        a_, b_ = a.clone().requires_grad_(), b.clone().requires_grad_()
        h = scan(a_, b_)
        grads.append((h, *torch.autograd.grad((h * weight).sum(), (a_, b_))))
    for got, want in zip(grads[1], grads[0], strict=True):
        _assert_close(got, want)


def test_linear_scan_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"one shape, got \(1, 4, 2\) and \(1, 4, 3\)"):
        linear_scan(torch.ones(1, 4, 2), torch.ones(1, 4, 3))


def test_rejects_complex_A():
    u = torch.randn(1, 2, 5)
    with pytest.raises(ValueError, match="real A only"):
        selective_scan(u, u, torch.ones(2, 2, dtype=torch.complex64), torch.randn(1, 2, 5), torch.randn(1, 2, 5))


def test_causal_conv1d_matches_mambas_padded_conv_and_is_causal():
    gen = torch.Generator().manual_seed(0)
    conv = torch.nn.Conv1d(6, 6, 4, groups=6, padding=3)
    x = torch.randn(2, 6, 11, generator=gen)
    out = causal_conv1d(x, conv.weight[:, 0], conv.bias, activation="silu")
    torch.testing.assert_close(out, F.silu(conv(x)[..., :11]))  # mamba-ssm's path without causal-conv1d
    changed = x.clone()
    changed[..., 7] += 1
    moved = causal_conv1d(changed, conv.weight[:, 0], conv.bias) != causal_conv1d(x, conv.weight[:, 0], conv.bias)
    assert not moved[..., :7].any() and moved[..., 7:].any()


def test_causal_conv1d_rejects_unknown_activation():
    with pytest.raises(ValueError, match="'relu'"):
        causal_conv1d(torch.ones(1, 2, 3), torch.ones(2, 2), activation="relu")
