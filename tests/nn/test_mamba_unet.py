"""The RaMViD U-Net with the bidirectional Mamba mixer: every preset builds, runs and trains both directions."""

from __future__ import annotations

import pytest
import torch

from vadbench.nn.mamba import BiMamba
from vadbench.nn.unet import UNet3D, preset


def _mamba_unet(name: str) -> UNet3D:
    torch.manual_seed(0)
    net = UNet3D(preset(name, mixer="mamba"))
    for module in net.modules():  # the zero-initialised output convs would stop every gradient at the start
        if isinstance(module, torch.nn.Conv3d) and not module.weight.any():
            torch.nn.init.normal_(module.weight, std=0.05)
    return net


@pytest.mark.parametrize(("name", "size", "frames"), [("tiny", 16, 5), ("small", 16, 2)])
def test_mamba_unet_shapes_values_and_gradients_of_both_directions(name, size, frames):
    net = _mamba_unet(name)
    mixers = [m for m in net.modules() if isinstance(m, BiMamba)]
    assert mixers
    x = torch.randn(1, 3, frames, size, size)
    out = net(x, torch.tensor([700]))
    assert out.shape == x.shape and torch.isfinite(out).all()
    out.square().mean().backward()
    for mixer in mixers:
        assert mixer.path_used == "portable"
        for prefix in ("conv1d", "x_proj", "dt_proj", "A", "D"):  # forward and backward (``_b``) parameters
            grads = [p.grad for n, p in mixer.named_parameters() if n.startswith(prefix)]
            assert len(grads) in (2, 4) and all(g is not None and torch.isfinite(g).all() and g.any() for g in grads)


def test_full_preset_with_mamba_matches_the_thesis_network():
    """310.3 M parameters and 8 Mamba blocks of d_model 512 (research note, ramvid-and-mamba.md 1.1 and 3.1)."""
    with torch.device("meta"):
        net = UNet3D(preset("full", mixer="mamba"))
    mixers = [m for m in net.modules() if isinstance(m, BiMamba)]
    assert len(mixers) == 8
    assert {(m.d_model, m.d_inner, m.dt_rank, m.d_state) for m in mixers} == {(512, 1024, 32, 16)}
    assert round(sum(p.numel() for p in net.parameters()) / 1e6, 1) == 310.3
