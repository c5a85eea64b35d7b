"""``mnad`` (MNAD, prediction): settings, presets, the resumable fit, the per-video test-time memory, its score and
error maps, and the run through ``vadbench run`` that beats chance."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from stored_metrics import dataset_metrics
from vadbench import plugin_host
from vadbench.components import FitContext, Learned, ScoresModel
from vadbench.errors import ConfigError
from vadbench.evaluation.postprocess import minmax
from vadbench.progress import progress
from vadbench.runner.run import RunRequest, execute, plan
from vadbench.store.db import open_store
from vadbench_plugins.classic import mnad as mnad_module
from vadbench_plugins.classic.mnad import Mnad, MnadSettings
from vadbench_plugins.classic.mnad_net import MnadNet, MnadNetConfig

SMALL = dict(size=[16, 16], scenes=1, train_videos=1, test_videos=2, frames=60)


def synthetic(**settings):
    plugin_host.reset()
    return plugin_host.catalog("dataset").get("synthetic").build(**{**SMALL, **settings})


def context(workdir: Path, seed: int = 0) -> FitContext:
    return FitContext(workdir=workdir, seed=seed, device="cpu", window=30, progress=progress)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny MNAD fitted 40 steps on the small synthetic set: (checkpoint, dataset)."""
    dataset = synthetic()
    model = Mnad(preset="tiny", train_steps=40, batch_size=4)
    checkpoint = model.fit(dataset, None, context(tmp_path_factory.mktemp("fit")))
    return checkpoint, dataset


def loaded(checkpoint, **settings) -> Mnad:
    model = Mnad(preset="tiny", **settings)
    model.load(checkpoint, "cpu")
    return model


def test_mnad_is_a_learned_scores_model_with_its_inference_settings():
    model = Mnad(preset="tiny")
    assert isinstance(model, ScoresModel) and isinstance(model, Learned) and not hasattr(model, "reconstruct")
    assert model.inference_settings == {"alpha", "update_threshold", "infer_batch_size"}


def test_the_paper_preset_is_the_authors_network_and_recipe():
    settings = MnadSettings(preset="paper").resolved()
    assert (settings.context, settings.memory_items, settings.batch_size, settings.lr, settings.epochs,
            settings.train_steps) == (4, 10, 4, 2e-4, 60, None)
    assert (settings.lambda_compact, settings.lambda_separate, settings.alpha, settings.update_threshold) == \
        (0.1, 0.1, 0.6, 0.01)
    assert settings.net() == MnadNetConfig(context=4, channels=3, widths=(64, 128, 256, 512), memory_items=10)
    with torch.device("meta"):
        net = MnadNet(settings.net())
    # tests/models/test_mnad_memory.py derives this count block by block from the authors' convAE
    assert sum(p.numel() for p in net.parameters()) == 15_650_819
    # 60 epochs of one sample per frame that has 4 frames before it, 4 samples a step
    dataset = synthetic()
    samples = sum(video.num_frames - 4 for video in dataset.videos("train"))
    assert settings.steps(dataset) == math.ceil(60 * samples / 4)


def test_a_given_budget_replaces_the_presets():
    assert MnadSettings(preset="paper", train_steps=10).resolved().steps(synthetic()) == 10
    assert MnadSettings(preset="tiny", epochs=1.0).resolved().train_steps is None


def test_bad_settings_are_one_config_error_naming_each():
    with pytest.raises(ConfigError) as error:
        Mnad(preset="tiny", alpha=1.5, context=0, update_threshold=-1, memory_items=1)
    message = str(error.value)
    assert all(name in message for name in ("alpha=1.5", "context=0", "update_threshold=-1", "memory_items=1"))
    with pytest.raises(ConfigError, match="preset='huge' is unknown; valid presets: paper, tiny"):
        Mnad(preset="huge")
    with pytest.raises(ConfigError, match="give one of them"):
        Mnad(preset="tiny", train_steps=10, epochs=2.0)


def test_a_bad_setting_at_the_cli_is_one_error_line(tmp_path, vadbench):
    result = vadbench("run", "--model", "mnad", "--dataset", "synthetic", "--cfg-options", "model.mnad.alpha=2",
                      "--dry-run", cwd=tmp_path, env_extra={"VADBENCH_HOME": str(tmp_path / "home")})
    assert result.returncode == 1
    assert "alpha=2 must be a number from 0 to 1" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_frame_sides_must_be_multiples_of_8(tmp_path):
    with pytest.raises(ConfigError, match=r"divisible by 8.*20x20.*dataset.synthetic.size"):
        Mnad(preset="tiny", train_steps=1).fit(synthetic(size=[20, 20]), None, context(tmp_path))


def test_a_resumed_fit_is_bit_identical_to_an_uninterrupted_one(tmp_path, monkeypatch):
    dataset = synthetic()
    settings = dict(preset="tiny", train_steps=6, checkpoint_every=3, batch_size=2)
    uninterrupted = Mnad(**settings).fit(dataset, None, context(tmp_path / "a"))

    real_step, calls = mnad_module.MnadTrainer.step, []

    def interrupted_step(self, clips, anchors=None):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt  # the fit dies during step 4, after the checkpoint of step 3
        return real_step(self, clips, anchors)

    monkeypatch.setattr(mnad_module.MnadTrainer, "step", interrupted_step)
    with pytest.raises(KeyboardInterrupt):
        Mnad(**settings).fit(dataset, None, context(tmp_path / "b"))
    assert [path.name for path in (tmp_path / "b").glob("ckpt-*.pt")] == ["ckpt-00000003.pt"]
    monkeypatch.setattr(mnad_module.MnadTrainer, "step", real_step)
    resumed = Mnad(**settings).fit(dataset, None, context(tmp_path / "b"))

    first, second = (torch.load(path, weights_only=True) for path in (uninterrupted, resumed))
    assert first["step"] == second["step"] == 6
    for name, tensor in first["state"]["net"].items():
        assert torch.equal(tensor, second["state"]["net"][name]), name
    torch.manual_seed(0)  # the fit's initial weights and items (seed 0)
    initial = MnadNet(MnadSettings(**settings).resolved().net()).memory.items
    assert not torch.allclose(first["state"]["net"]["memory.items"], initial)  # the items moved in training
    assert first["state"]["optimizer"]["state"].keys() == second["state"]["optimizer"]["state"].keys()
    for key, values in first["state"]["optimizer"]["state"].items():
        assert all(torch.equal(values[name], second["state"]["optimizer"]["state"][key][name]) for name in values)
    logs = [(path.parent / "train_log.jsonl").read_text().splitlines() for path in (uninterrupted, resumed)]
    assert [line.split('"steps_per_s"')[0] for line in logs[0]] == [line.split('"steps_per_s"')[0]
                                                                   for line in logs[1]]


def test_scores_are_mnads_combination_per_video_nan_before_the_context(trained):
    checkpoint, dataset = trained
    video = dataset.videos("test")[0]
    maps = loaded(checkpoint).error_maps(dataset, video)
    assert maps.shape == (video.num_frames, 16, 16) and maps.dtype == np.float32
    assert np.isnan(maps[:4]).all() and np.isfinite(maps[4:]).all() and (maps[4:] >= 0).all()
    # alpha = 1: the score is 1 - minmax(PSNR), and a frame's PSNR is that of the mean of its error map
    psnr = 10 * np.log10(1 / maps[4:].astype(np.float64).mean(axis=(1, 2)))
    only_psnr = loaded(checkpoint, alpha=1.0).score_video(dataset, video)
    assert np.isnan(only_psnr[:4]).all()
    np.testing.assert_allclose(only_psnr[4:], 1 - minmax(psnr), atol=1e-4)
    # alpha = 0: the min-max feature distance alone; alpha = 0.6 mixes the two linearly
    only_distance = loaded(checkpoint, alpha=0.0).score_video(dataset, video)
    mixed = loaded(checkpoint).score_video(dataset, video)
    np.testing.assert_allclose(mixed[4:], 0.6 * only_psnr[4:] + 0.4 * only_distance[4:], atol=1e-12)
    assert np.nanmin(only_distance) == 0 and np.nanmax(only_distance) == 1
    assert not np.allclose(only_distance[4:], only_psnr[4:])


def test_a_videos_score_depends_on_that_video_alone(trained):
    checkpoint, dataset = trained
    first, second = dataset.videos("test")
    always = dict(update_threshold=1.0)  # every frame updates the memory
    fresh = loaded(checkpoint, **always).score_video(dataset, second)
    model = loaded(checkpoint, **always)
    model.score_video(dataset, first)
    assert np.array_equal(model.score_video(dataset, second), fresh, equal_nan=True)
    # the test-time update is real: with it off, the same video scores differently
    never = loaded(checkpoint, update_threshold=0.0).score_video(dataset, second)
    assert not np.allclose(never[4:], fresh[4:])
    # and the encoder batch does not change what the memory sees
    batched = loaded(checkpoint, update_threshold=1.0, infer_batch_size=5).score_video(dataset, second)
    np.testing.assert_allclose(batched, fresh, atol=1e-6)


OPTIONS = [("dataset.synthetic.size", [16, 16]), ("dataset.synthetic.scenes", 1),
           ("dataset.synthetic.train_videos", 1), ("dataset.synthetic.test_videos", 3),
           ("dataset.synthetic.frames", 60), ("preset", "tiny"), ("train_steps", 20), ("protocol.sigma", 0.0)]


def request(*extra, overwrite: bool = False) -> RunRequest:
    return RunRequest(models=["mnad"], datasets=["synthetic"], cfg_options=[*OPTIONS, *extra], device="cpu",
                      overwrite=overwrite)


def test_a_resumed_inference_gives_the_same_stored_metrics(tmp_path, monkeypatch):
    from vadbench import stage_cache

    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    store = open_store(f"sqlite:///{tmp_path / 'results.db'}")
    first = plan(request(), store)
    execute(first, store)
    folder = stage_cache.stage_dir("infer", first.jobs[0].job.keys["infer"])
    files = sorted(folder.glob("*.npz"))
    assert len(files) == 3
    uninterrupted = {path.name: path.read_bytes() for path in files}
    metrics = {(row.metric, row.scope, row.scope_id): row.value
               for row in store.job_metrics(store.jobs(store.runs()[0].id)[0].id, "dataset")}

    (folder / "done.json").unlink()
    files[1].unlink()  # the middle video: the runner resumes it after the first, in a fresh model
    again = plan(request(overwrite=True), store)
    execute(again, store)
    assert {path.name: path.read_bytes() for path in sorted(folder.glob("*.npz"))} == uninterrupted
    resumed = {(row.metric, row.scope, row.scope_id): row.value
               for row in store.job_metrics(store.jobs(store.runs()[0].id)[0].id, "dataset")}
    assert resumed == metrics and metrics[("frames_excluded", "dataset", "synthetic")] == 3 * 4


def test_inference_settings_reuse_the_fit(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    store = open_store(f"sqlite:///{tmp_path / 'results.db'}")
    base = plan(request(), store).jobs[0].job.keys
    for setting in [("alpha", 0.7), ("update_threshold", 0.0), ("infer_batch_size", 4)]:
        keys = plan(request(setting), store).jobs[0].job.keys
        assert keys["fit"] == base["fit"] and keys["infer"] != base["infer"], setting
    for setting in [("lambda_compact", 0.01), ("memory_items", 5), ("context", 3)]:
        assert plan(request(setting), store).jobs[0].job.keys["fit"] != base["fit"], setting


@pytest.mark.slow
def test_tiny_mnad_separates_anomalies_better_than_chance(tmp_path, vadbench):
    config = Path(__file__).parents[2] / "configs" / "mnad.py"
    result = vadbench("run", "--config", str(config), "--seed", "0", cwd=tmp_path,
                      env_extra={"VADBENCH_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stdout + result.stderr
    rows = dataset_metrics(tmp_path / "results.db", "mnad")
    assert rows["auc_micro"] > 0.55, rows  # chance is 0.5; docs/models.md has what the 3-seed run measures
    assert rows["frames_excluded"] == 8 * 4  # 8 test videos, the first 4 frames of each unscored
    assert all(0 <= rows[metric] <= 1 for metric in ("pixel_auroc", "aupro", "rbdc", "tbdc"))  # from error_maps
