"""conv-ae: settings, the paper network on the meta device, fit and resume, reconstruct, and the tiny recipe through
``vadbench run`` (configs/convae.py)."""

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
from vadbench_plugins.classic.convae import ConvAESettings
from vadbench_plugins.classic.nets import ConvAENet, parameter_count

WINDOW = 10


def build(kind, name, **settings):
    return plugin_host.catalog(kind).get(name).build(**settings)


@pytest.fixture(scope="module")
def dataset():
    return build("dataset", "synthetic", size=[16, 16], scenes=1, train_videos=1, test_videos=1, frames=60)


def fit(model, dataset, workdir, window=WINDOW):
    ctx = FitContext(workdir=workdir, seed=3, device="cpu", window=window, progress=progress)
    return model.fit(dataset, build("masker", "autoencode"), ctx)


def test_the_paper_network_has_the_papers_layers():
    with torch.device("meta"):
        net = ConvAENet(ConvAESettings(preset="paper").resolved().network(10))
        out = net(torch.empty(2, 10, 227, 227))
    # conv 11x11/4 10->512, 5x5 512->256, 3x3 256->128, then the mirror: 3x3 128->256, 5x5 256->512, 11x11/4 512->10
    weights = [10 * 512 * 11 * 11, 512 * 256 * 5 * 5, 256 * 128 * 3 * 3, 128 * 256 * 3 * 3, 256 * 512 * 5 * 5,
               512 * 10 * 11 * 11]
    biases = [512, 256, 128, 256, 512, 10]
    assert parameter_count(net) == sum(weights) + sum(biases) == 8_384_138
    assert out.shape == (2, 10, 227, 227)


def test_the_tiny_network_is_small():
    net = ConvAENet(ConvAESettings(preset="tiny").resolved().network(10))
    assert 1_000 < parameter_count(net) < 300_000


@pytest.mark.parametrize(("settings", "message"), [({"preset": "huge"}, "valid presets: paper, tiny"),
                                                   ({"optimizer": "sgd"}, "valid optimizers: adagrad, adam"),
                                                   ({"batch_size": 0}, "batch_size=0 must be an integer >= 1"),
                                                   ({"grayscale": "yes"}, "grayscale='yes' must be true or false")])
def test_bad_settings_are_one_clear_error(settings, message):
    with pytest.raises(ConfigError, match=message):
        build("model", "conv-ae", **settings)


@pytest.mark.parametrize(("preset", "size", "message"), [("tiny", [17, 17], r"17x17 frames: each side must be 4 \+ 2n"),
                                                         ("paper", [128, 128], r"11 \+ 4n .* e\.g\. 127")])
def test_a_frame_size_the_network_cannot_take_is_refused_before_training(preset, size, message, tmp_path):
    frames = build("dataset", "synthetic", size=size, scenes=1, train_videos=1, test_videos=1, frames=60)
    with pytest.raises(ConfigError, match=message):
        fit(build("model", "conv-ae", preset=preset), frames, tmp_path)
    assert not list(tmp_path.glob("ckpt-*"))


def test_fit_resume_takes_bit_identical_next_steps(dataset, tmp_path):
    straight = fit(build("model", "conv-ae", preset="tiny", train_steps=4), dataset, tmp_path / "a")
    fit(build("model", "conv-ae", preset="tiny", train_steps=2), dataset, tmp_path / "b")
    resumed = fit(build("model", "conv-ae", preset="tiny", train_steps=4), dataset, tmp_path / "b")
    assert straight.name == resumed.name == "ckpt-00000004.pt"
    a, b = (torch.load(path, weights_only=True)["state"] for path in (straight, resumed))
    assert a["net"].keys() == b["net"].keys()
    assert all(torch.equal(a["net"][key], b["net"][key]) for key in a["net"])
    first = torch.load(tmp_path / "b" / "ckpt-00000004.pt", weights_only=True)
    assert first["step"] == 4 and first["method"] == "conv-ae"
    losses = [[json.loads(line)["loss"] for line in (folder / "train_log.jsonl").read_text().splitlines()]
              for folder in (tmp_path / "a", tmp_path / "b")]
    assert losses[0] == losses[1] and len(losses[0]) == 4
    with pytest.raises(ConfigError, match="trained with other settings"):
        fit(build("model", "conv-ae", preset="tiny", train_steps=6, lr=0.5), dataset, tmp_path / "b")


def test_reconstructs_every_frame_from_the_window_and_keeps_the_anchors(dataset, tmp_path):
    model = build("model", "conv-ae", preset="tiny", train_steps=2)
    with pytest.raises(ConfigError, match="has no weights"):
        model.reconstruct(torch.rand(1, WINDOW, 3, 16, 16), torch.zeros(WINDOW, dtype=torch.bool))
    fit(model, dataset, tmp_path)
    clips = torch.rand(3, WINDOW, 3, 16, 16)
    none = torch.zeros(WINDOW, dtype=torch.bool)
    filled = model.reconstruct(clips, none)
    assert filled.shape == clips.shape and 0 <= filled.min() and filled.max() <= 1
    assert not torch.equal(filled, clips)
    some = torch.arange(WINDOW) % 3 == 0
    assert torch.equal(model.reconstruct(clips, some)[:, some], clips[:, some])
    # a gray model changes the three channels of a pixel alike: the frame's colour is carried over
    change = filled - clips
    inside = ((filled > 0) & (filled < 1)).all(dim=2)
    assert torch.allclose(change[:, :, 0][inside], change[:, :, 2][inside], atol=1e-6)
    with pytest.raises(ConfigError, match="protocol.window=10"):
        model.reconstruct(torch.rand(1, 30, 3, 16, 16), torch.zeros(30, dtype=torch.bool))
    facts = model.provenance()
    assert facts["step"] == 2 and facts["input"] == "gray" and facts["network"]["frames"] == WINDOW


def test_a_checkpoint_that_is_missing_unreadable_or_another_methods_is_refused(dataset, tmp_path):
    model = build("model", "conv-ae", preset="tiny")
    with pytest.raises(ConfigError, match="does not exist"):
        model.load(tmp_path / "missing.pt", "cpu")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="cannot be read"):
        model.load(tmp_path / "junk.pt", "cpu")
    ffp = build("model", "ffp", preset="tiny", train_steps=1)
    checkpoint = ffp.fit(dataset, build("masker", "predict"),
                         FitContext(workdir=tmp_path / "ffp", seed=0, device="cpu", window=5, progress=progress))
    with pytest.raises(ConfigError, match="holds a 'ffp' model, not 'conv-ae'"):
        model.load(checkpoint, "cpu")


@pytest.mark.slow
def test_the_tiny_recipe_beats_chance_under_the_papers_protocol(tmp_path, vadbench):
    result = vadbench("run", "--config", "convae", "--seed", "0", cwd=tmp_path, env_extra=home(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = dataset_metrics(tmp_path / "results.db", "conv-ae")
    assert rows["auc_micro"] > 0.55, rows  # chance is 0.5; docs/models.md has the 3-seed table
    assert rows["frames_excluded"] == 0  # no anchors: every frame of every test video is reconstructed and scored
    protocol = job_column(tmp_path / "results.db", "conv-ae", "settings")["protocol"]
    assert (protocol["window"], protocol["stride"], protocol["sigma"], protocol["normalize"]) == (10, 1, 0.0, True)
