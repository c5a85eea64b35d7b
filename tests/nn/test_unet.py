"""The 3D U-Net: shapes per preset, the full preset's size, the mixer block and the attention mixer."""

from __future__ import annotations

import pytest
import torch
from einops import rearrange

from vadbench.errors import ConfigError
from vadbench.nn.mixers import Attention, MixerBlock, build_mixer
from vadbench.nn.unet import UNet3D, preset


@pytest.mark.parametrize(("name", "size", "frames"), [("tiny", 16, 6), ("tiny", 24, 5), ("small", 16, 3)])
def test_unet_maps_videos_to_same_shape(name, size, frames):
    torch.manual_seed(0)
    net = UNet3D(preset(name))
    for module in net.modules():  # zero-initialised output layers would hide a broken graph
        if isinstance(module, torch.nn.Conv3d | torch.nn.Linear):
            torch.nn.init.normal_(module.weight, std=0.05)
    x = torch.randn(2, 3, frames, size, size)
    out = net(x, torch.tensor([3, 900]))
    assert out.shape == x.shape
    assert torch.isfinite(out).all()
    assert not torch.allclose(out[0], out[1])


def test_fresh_unet_predicts_zero_noise():
    """The output conv starts at zero, as RaMViD's."""
    net = UNet3D(preset("tiny"))
    assert net(torch.randn(1, 3, 4, 16, 16), torch.tensor([10])).abs().max() == 0


def test_unet_rejects_frame_sizes_not_divisible_by_its_downsampling():
    net = UNet3D(preset("tiny"))
    with pytest.raises(ConfigError, match=r"frame size \(18, 18\) is not divisible by 4"):
        net(torch.randn(1, 3, 4, 18, 18), torch.tensor([0]))


def test_full_preset_matches_the_thesis_network_size():
    """304.2 M parameters for RaMViD at 128 px, 3 res blocks, attention at the 16x16 level (research note 1.1)."""
    with torch.device("meta"):
        net = UNet3D(preset("full"))
    assert round(sum(p.numel() for p in net.parameters()) / 1e6, 1) == 304.2
    mixers = [m for m in net.modules() if isinstance(m, MixerBlock)]
    assert len(mixers) == 8 and {m.norm.num_channels for m in mixers} == {512}


def test_checkpointing_gives_the_same_gradients():
    torch.manual_seed(0)
    plain = UNet3D(preset("tiny"))
    for module in plain.modules():
        if isinstance(module, torch.nn.Conv3d):
            torch.nn.init.normal_(module.weight, std=0.05)
    saving = UNet3D(preset("tiny"), checkpointing=True)
    saving.load_state_dict(plain.state_dict())
    x, t = torch.randn(1, 3, 4, 16, 16), torch.tensor([500])
    plain(x, t).square().mean().backward()
    saving(x, t).square().mean().backward()
    for a, b in zip(plain.parameters(), saving.parameters()):
        torch.testing.assert_close(a.grad, b.grad)


def test_attention_equals_explicit_softmax_attention():
    torch.manual_seed(0)
    attention = Attention(16, heads=4)
    torch.nn.init.normal_(attention.to_out.weight)
    x = torch.randn(2, 10, 16)
    q, k, v = rearrange(attention.to_qkv(x), "b n (three h d) -> three b h n d", three=3, h=4)
    weights = torch.softmax(torch.einsum("bhid,bhjd->bhij", q, k) / 4**0.5, dim=-1)
    expected = attention.to_out(rearrange(torch.einsum("bhij,bhjd->bhid", weights, v), "b h n d -> b n (h d)"))
    torch.testing.assert_close(attention(x), expected)


def test_mixer_block_transposes_back_and_adds_the_raw_input():
    """With a mixer that doubles tokens, the block must return x + 2 GN(x) position by position."""

    class Double(torch.nn.Module):
        def forward(self, tokens):
            return 2 * tokens

    block = MixerBlock(8, Double(), groups=4)
    x = torch.randn(2, 8, 3, 4, 5) * 3 + 1
    torch.testing.assert_close(block(x), x + 2 * block.norm(x))


def test_mixer_block_mixes_across_frames():
    torch.manual_seed(0)
    attention = Attention(8, heads=2)
    torch.nn.init.normal_(attention.to_out.weight)
    block = MixerBlock(8, attention, groups=4)
    x = torch.randn(1, 8, 3, 2, 2)
    changed = x.clone()
    changed[:, :, 2] += 1
    assert not torch.allclose(block(x)[:, :, 0], block(changed)[:, :, 0])


def test_unknown_mixer_names_the_valid_ones():
    with pytest.raises(ConfigError, match="valid mixers: attention, mamba"):
        build_mixer("conv", 8)
