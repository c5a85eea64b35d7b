"""ffp: settings (the flow loss), the paper networks on the meta device, the context rule and the losses, fit and
resume (with the discriminator), reconstruct, and the tiny recipe through ``vadbench run`` (configs/ffp.py)."""

from __future__ import annotations

import json

import pytest
import torch

from stored_metrics import dataset_metrics, job_column
from test_ramvid_run import home
from vadbench import plugin_host
from vadbench.components import FitContext
from vadbench.errors import ConfigError
from vadbench.progress import progress
from vadbench_plugins.classic.ffp import FFPSettings, context_indices, gradient_loss
from vadbench_plugins.classic.nets import PatchDiscriminator, UNetGenerator, parameter_count

WINDOW = 5
PREDICT = torch.tensor([True, True, True, True, False])


def build(kind, name, **settings):
    return plugin_host.catalog(kind).get(name).build(**settings)


@pytest.fixture(scope="module")
def dataset():
    return build("dataset", "synthetic", size=[16, 16], scenes=1, train_videos=1, test_videos=1, frames=60)


def fit(model, dataset, workdir, masker="predict", window=WINDOW):
    ctx = FitContext(workdir=workdir, seed=3, device="cpu", window=window, progress=progress)
    return model.fit(dataset, build("masker", masker), ctx)


def conv(c_in, c_out, k):
    return c_in * c_out * k * k + c_out


def test_the_paper_networks_have_the_papers_layers():
    settings = FFPSettings(preset="paper").resolved()
    assert settings.adversarial and settings.context == 4
    with torch.device("meta"):
        generator = UNetGenerator(settings.generator())
        discriminator = PatchDiscriminator(3, (128, 256, 512, 512))
        predicted = generator(torch.empty(1, 12, 256, 256))
        patches = discriminator(predicted)
    # U-Net (ano_pred_cvpr2018 unet.py, 4 layers): two 3x3 convs per level, 2x2 stride-2 transposed convs up,
    # concatenated skips, a 3x3 conv to RGB
    down = conv(12, 64, 3) + conv(64, 64, 3) + conv(64, 128, 3) + conv(128, 128, 3) + conv(128, 256, 3) + \
        conv(256, 256, 3) + conv(256, 512, 3) + conv(512, 512, 3)
    up = conv(512, 256, 2) + conv(512, 256, 3) + conv(256, 256, 3) + conv(256, 128, 2) + conv(256, 128, 3) + \
        conv(128, 128, 3) + conv(128, 64, 2) + conv(128, 64, 3) + conv(64, 64, 3) + conv(64, 3, 3)
    assert parameter_count(generator) == down + up == 7_704_195
    # pix2pix discriminator with 128-256-512-512 filters and a 1-channel 4x4 output
    critic = conv(3, 128, 4) + conv(128, 256, 4) + conv(256, 512, 4) + conv(512, 512, 4) + conv(512, 1, 4)
    assert parameter_count(discriminator) == critic == 6_831_489
    assert predicted.shape == (1, 3, 256, 256) and patches.shape == (1, 1, 35, 35)


def test_the_tiny_network_is_small():
    assert 1_000 < parameter_count(UNetGenerator(FFPSettings(preset="tiny").resolved().generator())) < 300_000


@pytest.mark.parametrize(("settings", "message"),
                         [({"flow_loss": True}, "flow_loss=True cannot be used: .*FlowNet2 weights"),
                          ({"preset": "huge"}, "valid presets: paper, tiny"),
                          ({"context": 0}, "context=0 must be an integer >= 1"),
                          ({"adversarial_weight": -1}, "adversarial_weight=-1 must be a number >= 0"),
                          ({"lr": 0}, "lr=0 must be a number > 0")])
def test_bad_settings_are_one_clear_error(settings, message):
    with pytest.raises(ConfigError, match=message):
        build("model", "ffp", **settings)


def test_a_short_past_repeats_the_windows_first_frame():
    indices = context_indices(torch.tensor([1, 2, 4, 7]), 4)
    assert indices.tolist() == [[0, 0, 0, 0], [0, 0, 0, 1], [0, 1, 2, 3], [3, 4, 5, 6]]


def test_the_gradient_loss_compares_absolute_neighbour_differences():
    image = torch.tensor([[[[0.0, 1.0], [1.0, 3.0]]]])
    assert gradient_loss(image, image) == 0
    assert gradient_loss(image, -image) == 0  # absolute differences: a sign flip has the same gradients
    # x: |1-0|, |0-1| (the edge), |3-1|, |0-3| against zeros -> mean 7/4; y likewise: |1-0|, |3-1|, |0-1|, |0-3|
    assert gradient_loss(image, torch.zeros_like(image)).item() == pytest.approx(7 / 4 + 7 / 4)


def test_fit_resume_with_the_discriminator_takes_bit_identical_next_steps(dataset, tmp_path):
    settings = {"preset": "tiny", "adversarial": True}
    straight = fit(build("model", "ffp", train_steps=4, **settings), dataset, tmp_path / "a")
    fit(build("model", "ffp", train_steps=2, **settings), dataset, tmp_path / "b")
    resumed = fit(build("model", "ffp", train_steps=4, **settings), dataset, tmp_path / "b")
    a, b = (torch.load(path, weights_only=True)["state"] for path in (straight, resumed))
    for part in ("generator", "discriminator"):
        assert a[part].keys() == b[part].keys()
        assert all(torch.equal(a[part][key], b[part][key]) for key in a[part])
    log = [json.loads(line) for line in (tmp_path / "b" / "train_log.jsonl").read_text().splitlines()]
    assert [record["step"] for record in log] == [1, 2, 3, 4]
    assert {"loss", "intensity", "gradient", "adversarial", "discriminator"} <= set(log[-1])


def test_predicts_each_masked_frame_from_the_real_frames_before_it(dataset, tmp_path):
    model = build("model", "ffp", preset="tiny", train_steps=2)
    fit(model, dataset, tmp_path)
    clips = torch.rand(2, WINDOW, 3, 16, 16)
    filled = model.reconstruct(clips, PREDICT)
    assert filled.shape == clips.shape and torch.equal(filled[:, :4], clips[:, :4])
    assert 0 <= filled.min() and filled.max() <= 1
    later = clips.clone()
    later[:, 4] = 1 - later[:, 4]  # the predicted frame itself is never an input
    assert torch.equal(model.reconstruct(later, PREDICT)[:, 4], filled[:, 4])
    earlier = clips.clone()
    earlier[:, 3] = 1 - earlier[:, 3]
    assert not torch.equal(model.reconstruct(earlier, PREDICT)[:, 4], filled[:, 4])
    selective = torch.zeros(30, dtype=torch.bool)
    selective[[0, 1, 10, 11, 20, 21, 28, 29]] = True
    long = torch.rand(1, 30, 3, 16, 16)
    assert torch.equal(model.reconstruct(long, selective)[:, selective], long[:, selective])
    with pytest.raises(ConfigError, match="frame 0 of a window has none"):
        model.reconstruct(long, torch.zeros(30, dtype=torch.bool))
    facts = model.provenance()
    assert facts["flow_loss"] is False and "FlowNet2" in facts["flow_loss_off"] and facts["adversarial"] is False


def test_a_masker_that_masks_the_first_frame_or_a_size_the_unet_cannot_halve_is_refused(dataset, tmp_path):
    with pytest.raises(ConfigError, match="masker 'autoencode' masks frame 0"):
        fit(build("model", "ffp", preset="tiny"), dataset, tmp_path, masker="autoencode")
    odd = build("dataset", "synthetic", size=[20, 20], scenes=1, train_videos=1, test_videos=1, frames=60)
    with pytest.raises(ConfigError, match="20x20 frames: .* multiples of 8"):
        fit(build("model", "ffp", preset="tiny"), odd, tmp_path)
    assert not list(tmp_path.glob("ckpt-*"))


@pytest.mark.slow
def test_the_tiny_recipe_beats_chance_under_the_papers_protocol(tmp_path, vadbench):
    result = vadbench("run", "--config", "ffp", "--seed", "0", cwd=tmp_path, env_extra=home(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = dataset_metrics(tmp_path / "results.db", "ffp")
    assert rows["auc_micro"] > 0.55, rows  # chance is 0.5; docs/models.md has the 3-seed table
    assert rows["frames_excluded"] == 4 * rows["videos"]  # FFP's undecidable first 4 frames of each video
    assert job_column(tmp_path / "results.db", "ffp", "provenance")["flow_loss"] is False
