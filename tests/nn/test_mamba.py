"""The bidirectional Mamba mixer: mamba-ssm's parameter layout and numbers, both directions, the path taken."""

from __future__ import annotations

import io
import logging

import pytest
import torch
import torch.nn.functional as F

from vadbench.errors import ConfigError
from vadbench.nn import mamba_kernels
from vadbench.nn.mamba import BiMamba

# VideoMamba's bimamba (and Vim v2) state_dict keys; the unsuffixed ones are mamba_ssm.Mamba's.
VIDEOMAMBA_KEYS = {
    "in_proj.weight", "conv1d.weight", "conv1d.bias", "x_proj.weight", "dt_proj.weight", "dt_proj.bias",
    "A_log", "D", "out_proj.weight",
    "conv1d_b.weight", "conv1d_b.bias", "x_proj_b.weight", "dt_proj_b.weight", "dt_proj_b.bias", "A_b_log", "D_b",
}


def _mixer(d_model: int = 16, seed: int = 0, **options) -> BiMamba:
    torch.manual_seed(seed)
    return BiMamba(d_model, **options)


def _backward_name(name: str) -> str:
    """A ``mamba_ssm.Mamba`` parameter name in the backward direction: ``conv1d.weight`` -> ``conv1d_b.weight``."""
    return {"A_log": "A_b_log", "D": "D_b"}.get(name, name.replace(".", "_b.", 1))


def _shared(name: str) -> bool:
    return name.startswith(("in_proj", "out_proj"))


def _split_state(mixer: BiMamba) -> tuple[dict, dict]:
    """The forward and the backward direction as two ``mamba_ssm.Mamba`` state dicts (sharing the projections)."""
    state = mixer.state_dict()
    forward = {k: v for k, v in state.items() if "_b" not in k}
    return forward, {k: forward[k] if _shared(k) else state[_backward_name(k)] for k in forward}


def test_state_dict_has_videomambas_names_and_research_parameter_counts():
    with torch.device("meta"):
        assert set(BiMamba(256).state_dict()) == VIDEOMAMBA_KEYS
        assert sum(p.numel() for p in BiMamba(256).parameters()) == 482_304  # research note, mamba-ssm.md 5
        assert sum(p.numel() for p in BiMamba(512).parameters()) == 1_816_576  # ramvid-and-mamba.md 2.2


def test_both_directions_get_mambas_initialisation():
    mixer = _mixer(32, d_state=8)
    for suffix in ("", "_b"):
        A_log, D = getattr(mixer, f"A{suffix}_log"), getattr(mixer, f"D{suffix}")
        dt_proj = getattr(mixer, f"dt_proj{suffix}")
        torch.testing.assert_close(A_log, torch.log(torch.arange(1.0, 9).repeat(64, 1)))
        assert torch.equal(D, torch.ones(64))
        dt = F.softplus(dt_proj.bias)
        assert dt.min() >= 1e-3 * 0.999 and dt.max() <= 0.1 * 1.001 and dt.std() > 0
        assert dt_proj.weight.abs().max() <= mixer.dt_rank**-0.5
        assert A_log._no_weight_decay and D._no_weight_decay and dt_proj.bias._no_reinit


@pytest.mark.parametrize("fusion", ["sum", "mean"])
def test_equals_two_mamba_ssm_modules_and_its_gradients(mamba_oracle, monkeypatch, fusion):
    """Forward: mamba_ssm.Mamba on x; backward: a second one on the flipped sequence. Weights load both ways."""
    simple = mamba_oracle.mamba_simple
    monkeypatch.setattr(simple, "selective_scan_fn", mamba_oracle.selective_scan_ref)  # its slow path, on CPU
    mixer = _mixer(16, fusion=fusion)
    forward, backward = simple.Mamba(16, use_fast_path=False), simple.Mamba(16, use_fast_path=False)
    forward_state, backward_state = _split_state(mixer)
    forward.load_state_dict(forward_state)
    backward.load_state_dict(backward_state)

    x = torch.randn(2, 41, 16)
    weight = torch.randn(2, 41, 16)
    (mixer(x) * weight).sum().backward()
    scale = 0.5 if fusion == "mean" else 1.0
    want = (forward(x) + backward(x.flip(1)).flip(1)) * scale
    (want * weight).sum().backward()
    torch.testing.assert_close(mixer(x), want, rtol=1e-4, atol=1e-6)

    for name, p in forward.named_parameters():  # the shared projections collect both directions' gradients
        back = backward.get_parameter(name).grad
        want_grad = p.grad + back if _shared(name) else p.grad
        torch.testing.assert_close(mixer.get_parameter(name).grad, want_grad, rtol=1e-4, atol=1e-6)
        if not _shared(name):
            torch.testing.assert_close(mixer.get_parameter(_backward_name(name)).grad, back, rtol=1e-4, atol=1e-6)

    loaded = BiMamba(16, fusion=fusion)  # and back: two mamba_ssm.Mamba state dicts into one BiMamba
    loaded.load_state_dict({**forward.state_dict(), **{
        _backward_name(k): v for k, v in backward.state_dict().items() if not _shared(k)}})
    torch.testing.assert_close(loaded(x), mixer(x))


def test_every_token_sees_earlier_and_later_tokens_and_the_future_comes_from_the_backward_direction():
    mixer = _mixer(8)
    x = torch.randn(1, 12, 8, requires_grad=True)
    mixer(x)[0, 6].sum().backward()
    reach = x.grad[0].abs().sum(-1)
    assert (reach[:6] > 0).all() and (reach[7:] > 0).all()

    with torch.no_grad():  # silence the backward direction: its B, C and D projections to zero
        mixer.x_proj_b.weight.zero_()
        mixer.D_b.zero_()
    x.grad = None
    mixer(x)[0, 6].sum().backward()
    reach = x.grad[0].abs().sum(-1)
    assert (reach[:6] > 0).all() and (reach[7:] == 0).all()


def test_flipping_the_sequence_swaps_the_two_directions():
    mixer = _mixer(8, seed=1)
    swapped = BiMamba(8)
    state = mixer.state_dict()
    names = {k: _backward_name(k) for k in state if not _shared(k) and "_b" not in k}
    names |= {v: k for k, v in names.items()}
    swapped.load_state_dict({names.get(k, k): v for k, v in state.items()})
    x = torch.randn(2, 15, 8)
    torch.testing.assert_close(swapped(x), mixer(x.flip(1)).flip(1), rtol=1e-5, atol=1e-6)


def test_gradient_reaches_every_parameter_of_both_directions():
    mixer = _mixer(8)
    mixer(torch.randn(2, 9, 8)).square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in mixer.parameters())


@pytest.mark.parametrize("length", [1, 3])
def test_sequences_shorter_than_the_conv_kernel(length):
    out = _mixer(8)(torch.randn(2, length, 8))
    assert out.shape == (2, length, 8) and torch.isfinite(out).all()


def test_checkpoint_round_trip_and_path_recorded():
    mixer = _mixer(8, fusion="mean")
    assert mixer.path_used is None
    x = torch.randn(1, 10, 8)
    want = mixer(x)
    assert mixer.path_used == "portable"
    buffer = io.BytesIO()
    torch.save(mixer.state_dict(), buffer)
    buffer.seek(0)
    restored = BiMamba(8, fusion="mean", backend="portable")
    restored.load_state_dict(torch.load(buffer))
    torch.testing.assert_close(restored(x), want, rtol=0, atol=0)
    assert restored.path_used == "portable"


def test_cuda_backend_without_a_gpu_is_one_clear_error():
    with pytest.raises(ConfigError, match=r"backend='cuda' needs tensors on a GPU, got tensors on cpu"):
        _mixer(8, backend="cuda")(torch.randn(1, 4, 8))


@pytest.mark.parametrize(("option", "value", "message"), [
    ("fusion", "max", "fusion must be one of sum, mean, got 'max'"),
    ("backend", "triton", "backend must be one of auto, portable, cuda, got 'triton'"),
    ("dt_rank", 0, "dt_rank must be 'auto' or a positive integer, got 0"),
])
def test_bad_options_are_config_errors(option, value, message):
    with pytest.raises(ConfigError, match=message):
        BiMamba(8, **{option: value})


def test_missing_kernels_fall_back_with_one_log_line(caplog):
    """Here mamba-ssm has no compiled kernels (absent, or the oracle's placeholder): None, logged once."""
    mamba_kernels._interface.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="vadbench.nn.mamba_kernels"):
            assert mamba_kernels._interface() is None
            assert mamba_kernels._interface() is None
    finally:
        mamba_kernels._interface.cache_clear()
    assert len(caplog.records) == 1
    assert "using the portable scan" in caplog.records[0].getMessage()
