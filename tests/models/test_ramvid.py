"""The RaMViD model plugins and the random masker: registration, settings, fit/resume, load, reconstruct."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from vadbench import plugin_host
from vadbench.components import FitContext, WindowSeeds
from vadbench.errors import ConfigError, DatasetError
from vadbench.evaluation.windows import selective_anchors
from vadbench.progress import progress

WINDOW = 8
FAST = {"preset": "tiny", "batch_size": 2, "sampling_steps": 3}


def build(kind, name, **settings):
    return plugin_host.catalog(kind).get(name).build(**settings)


def seeds(count, first=0):
    return WindowSeeds(shared=99, windows=tuple(range(first, first + count)))


@pytest.fixture(scope="module")
def dataset():
    return build("dataset", "synthetic", size=[16, 16], scenes=1, train_videos=1, test_videos=1, frames=60)


def fit(model, dataset, workdir, masker="random"):
    ctx = FitContext(workdir=workdir, seed=3, device="cpu", window=WINDOW, progress=progress)
    return model.fit(dataset, build("masker", masker), ctx)


def test_both_models_register_json_settings():
    for name in ("attention-ramvid", "mamba-ramvid"):
        entry = plugin_host.catalog("model").get(name)
        json.dumps(entry.settings)
        for key in ("preset", "train_steps", "batch_size", "lr", "ema", "sampler", "sampling_steps", "eta",
                    "infer_batch_size", "checkpointing", "use_ema"):
            assert key in entry.settings


def test_null_settings_take_the_presets_values():
    model = build("model", "attention-ramvid", preset="tiny", lr=0.5)
    assert model.settings.lr == 0.5 and model.settings.sampler == "ddim" and model.settings.sampling_steps == 10
    assert build("model", "attention-ramvid").settings.lr == 2e-5


@pytest.mark.parametrize(("settings", "message"), [({"preset": "huge"}, "valid presets: full, small, cpu, tiny"),
                                                   ({"sampler": "euler"}, "valid samplers: ddim, ddpm"),
                                                   ({"sampling_steps": 0}, "sampling_steps=0")])
def test_bad_settings_are_one_clear_error(settings, message):
    with pytest.raises(ConfigError, match=message):
        build("model", "attention-ramvid", **settings)


def test_fit_resume_takes_bit_identical_next_steps(dataset, tmp_path):
    straight = fit(build("model", "attention-ramvid", train_steps=4, **FAST), dataset, tmp_path / "a")
    fit(build("model", "attention-ramvid", train_steps=2, **FAST), dataset, tmp_path / "b")
    resumed = fit(build("model", "attention-ramvid", train_steps=4, **FAST), dataset, tmp_path / "b")
    assert straight.name == resumed.name == "ckpt-00000004.pt"
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["ckpt-00000004.pt", "train_log.jsonl"]
    a, b = (torch.load(path, weights_only=True) for path in (straight, resumed))
    for part in ("model", "ema"):
        assert a[part].keys() == b[part].keys()
        assert all(torch.equal(a[part][key], b[part][key]) for key in a[part])
    assert not torch.equal(a["model"]["out.2.weight"], torch.zeros_like(a["model"]["out.2.weight"]))


def test_finished_run_is_not_trained_again(dataset, tmp_path):
    first = fit(build("model", "attention-ramvid", train_steps=1, **FAST), dataset, tmp_path)
    stamp = first.stat().st_mtime_ns
    assert fit(build("model", "attention-ramvid", train_steps=1, **FAST), dataset, tmp_path) == first
    assert first.stat().st_mtime_ns == stamp


def test_reconstruct_keeps_anchors_and_reports_provenance(dataset, tmp_path):
    model = build("model", "attention-ramvid", train_steps=2, infer_batch_size=2, **FAST)
    checkpoint = fit(model, dataset, tmp_path)
    clips = torch.rand(3, WINDOW, 3, 16, 16)
    anchors = torch.from_numpy(selective_anchors(WINDOW))
    out = model.reconstruct(clips, anchors, seeds(3))
    assert out.shape == clips.shape and out.min() >= 0 and out.max() <= 1
    assert torch.equal(out[:, anchors], clips[:, anchors])
    assert not torch.equal(out[:, ~anchors], clips[:, ~anchors])
    facts = model.provenance()
    assert facts["weights"] == "ema" and facts["sampler"] == "ddim" and facts["sampling_steps"] == 3
    assert facts["mixer_path"] == ["sdpa"] and facts["device"] == "cpu" and facts["checkpoint"] == str(checkpoint)

    raw = build("model", "attention-ramvid", use_ema=False, **FAST)
    raw.load(checkpoint, "cpu")
    assert raw.provenance()["weights"] == "raw"
    assert not all(torch.equal(a, b) for a, b in zip(raw.net.parameters(), model.net.parameters()))


def test_resumed_fit_continues_the_same_log(dataset, tmp_path):
    from vadbench.training_log import LOG_NAME, read_log

    recipe = dict(FAST, warmup_steps=2, lr_decay="cosine", lr=0.01, checkpoint_every=2)
    fit(build("model", "attention-ramvid", train_steps=4, **recipe), dataset, tmp_path / "a")
    fit(build("model", "attention-ramvid", train_steps=2, **recipe), dataset, tmp_path / "b")
    with open(tmp_path / "b" / LOG_NAME, "a") as log:  # a kill after step 3 leaves a line past the checkpoint
        log.write('{"step": 3, "loss": 9.0, "lr": 0, "ema_decay": 0, "steps_per_s": 1}\n{"step": 4, "lo')
    model = build("model", "attention-ramvid", train_steps=4, **recipe)
    fit(model, dataset, tmp_path / "b")
    straight, resumed = (read_log(tmp_path / run / LOG_NAME) for run in ("a", "b"))
    assert [r["step"] for r in resumed] == [1, 2, 3, 4]
    for a, b in zip(straight, resumed):
        assert (a["loss"], a["lr"], a["ema_decay"]) == (b["loss"], b["lr"], b["ema_decay"])
    # warm-up 0.005, 0.01, then cosine from 0.01 to 0.005 at the last of the two remaining steps
    assert [r["lr"] for r in straight] == pytest.approx([0.005, 0.01, 0.01, 0.005])
    assert straight[0]["ema_decay"] == 0.0 and straight[1]["ema_decay"] == pytest.approx(2 / 11)
    summary = model.provenance()["training"]
    assert summary["steps"] == 4 and summary["final_loss"] == pytest.approx(straight[-1]["loss"])


def test_keep_checkpoints_keeps_every_intermediate_one(dataset, tmp_path):
    fit(build("model", "attention-ramvid", train_steps=4, checkpoint_every=2, keep_checkpoints=True, **FAST),
        dataset, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("ckpt-*.pt")) == ["ckpt-00000002.pt", "ckpt-00000004.pt"]


@pytest.mark.parametrize("recipe", [{"parameterisation": "x0", "anchor_channel": True},
                                    {"parameterisation": "v", "anchor_channel": False}])
def test_recipes_train_and_fill_windows(dataset, tmp_path, recipe):
    model = build("model", "attention-ramvid", train_steps=2, **FAST, **recipe)
    checkpoint = fit(model, dataset, tmp_path, masker="selective")
    anchors = torch.from_numpy(selective_anchors(WINDOW))
    clips = torch.rand(2, WINDOW, 3, 16, 16)
    out = model.reconstruct(clips, anchors, seeds(2))
    assert torch.equal(out[:, anchors], clips[:, anchors]) and out.min() >= 0 and out.max() <= 1
    assert model.provenance()["parameterisation"] == recipe["parameterisation"]
    # the checkpoint decides the parameterisation and the network, whatever the evaluating model's settings say
    other = build("model", "attention-ramvid", **FAST)
    other.load(checkpoint, "cpu")
    assert torch.equal(other.reconstruct(clips, anchors, seeds(2)), out)


def test_draws_are_seeded_per_window(dataset, tmp_path):
    """K = 1 is draw 0 of K draws; a window's draws do not depend on its batch; common noise is one draw."""
    single = build("model", "attention-ramvid", train_steps=2, infer_batch_size=2, **FAST)
    checkpoint = fit(single, dataset, tmp_path)
    anchors = torch.from_numpy(selective_anchors(WINDOW))
    clips = torch.rand(3, WINDOW, 3, 16, 16)
    one = single.reconstruct(clips, anchors, seeds(3))
    # the same noise alone as in a batch (equal up to the float round-off of other batch sizes' kernels)
    torch.testing.assert_close(single.reconstruct(clips[1:2], anchors, seeds(1, first=1)), one[1:2])
    assert torch.equal(single.reconstruct(clips, anchors, seeds(3)), one)

    def loaded(**settings):
        model = build("model", "attention-ramvid", infer_batch_size=2, **FAST, **settings)
        model.load(checkpoint, "cpu")
        return model

    draws = loaded(samples=3).reconstruct(clips, anchors, seeds(3))
    assert draws.shape == (3, 3, *clips.shape[1:]) and torch.equal(draws[:, 0], one)
    assert not torch.equal(draws[:, 1], draws[:, 0])
    mean = loaded(samples=3, combine="mean").reconstruct(clips, anchors, seeds(3))
    torch.testing.assert_close(mean, draws.mean(dim=1))
    same = clips[:1].expand(2, -1, -1, -1, -1)
    common = loaded(noise="common").reconstruct(same, anchors, seeds(2))
    assert torch.equal(common[0], common[1])
    assert not torch.equal(*single.reconstruct(same, anchors, seeds(2)))
    assert loaded(samples=3).provenance()["nfe_per_window"] == 9


def test_epochs_set_the_budget(dataset, tmp_path):
    model = build("model", "attention-ramvid", epochs=1, **FAST)
    checkpoint = fit(model, dataset, tmp_path)
    # one epoch = 60 // 8 = 7 windows of the single training video, at batch 2
    assert checkpoint.name == "ckpt-00000004.pt"


def test_unusable_inputs_are_clear_errors(dataset, tmp_path):
    model = build("model", "attention-ramvid", **FAST)
    with pytest.raises(ConfigError, match="has no weights"):
        model.reconstruct(torch.rand(1, WINDOW, 3, 16, 16), torch.ones(WINDOW, dtype=torch.bool), seeds(1))
    with pytest.raises(ConfigError, match="does not exist"):
        model.load(tmp_path / "missing.pt", "cpu")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="cannot be read"):
        model.load(tmp_path / "junk.pt", "cpu")
    ctx = FitContext(workdir=tmp_path, seed=0, device="cpu", window=61, progress=progress)
    with pytest.raises(DatasetError, match="no training video of at least 61 frames"):
        model.fit(dataset, build("masker", "selective"), ctx)


def test_mamba_ramvid_trains_and_reconstructs(dataset, tmp_path):
    model = build("model", "mamba-ramvid", train_steps=2, **FAST)
    fit(model, dataset, tmp_path, masker="selective")
    anchors = torch.from_numpy(selective_anchors(WINDOW))
    clips = torch.rand(1, WINDOW, 3, 16, 16)
    assert torch.equal(model.reconstruct(clips, anchors, seeds(1))[:, anchors], clips[:, anchors])
    facts = model.provenance()
    assert facts["mixer"] == "mamba" and facts["mixer_path"] == ["portable"]
    with pytest.raises(ConfigError, match="holds a 'mamba' model"):
        build("model", "attention-ramvid", **FAST).load(facts["checkpoint"], "cpu")


def test_random_masker_draws_ramvid_anchor_sets():
    masker = build("masker", "random")
    rng = np.random.default_rng(0)
    draws = np.stack([masker.training_anchors(30, rng) for _ in range(2000)])
    counts = draws.sum(axis=1)
    assert (counts == 0).mean() == pytest.approx(0.25, abs=0.03)
    assert set(counts[counts > 0]) == {1, 2, 3, 4}
    assert draws[counts > 0].mean(axis=0).std() < 0.02  # every frame equally likely to be an anchor
    assert np.array_equal(masker.inference_anchors(30), selective_anchors(30))
    short = build("masker", "random", p_uncond=0.0, max_anchors=9)
    assert max(short.training_anchors(3, rng).sum() for _ in range(50)) == 2  # always one frame to learn from


@pytest.mark.parametrize(("settings", "message"),
                         [({"p_uncond": 1.5}, "p_uncond"), ({"max_anchors": 0}, "max_anchors")])
def test_random_masker_rejects_bad_settings(settings, message):
    with pytest.raises(ConfigError, match=message):
        build("masker", "random", **settings)


def _write_checkpoints(workdir, first_step):
    from vadbench_plugins.models.ramvid_train import write_checkpoint

    net = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    for step in range(first_step, first_step + 30, 3):
        write_checkpoint(workdir, step, net, torch.optim.swa_utils.AveragedModel(net), optimizer, {})


def test_concurrent_checkpoint_writers_never_collide(tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_checkpoints, args=(tmp_path, first)) for first in (1, 2, 3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert [writer.exitcode for writer in writers] == [0, 0, 0]
    assert not list(tmp_path.glob(".tmp-*"))
    assert len(list(tmp_path.glob("ckpt-*.pt"))) >= 1


def test_a_killed_writers_temporary_is_removed_by_the_next_fit(dataset, tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = tmp_path / f".tmp-ckpt-{dead.stdout.strip()}-abc.pt"
    orphan.write_bytes(b"half a checkpoint")
    live = tmp_path / f".tmp-ckpt-{__import__('os').getpid()}-def.pt"  # a writer that still runs keeps its file
    live.write_bytes(b"being written")
    fit(build("model", "attention-ramvid", train_steps=1, **FAST), dataset, tmp_path)
    assert not orphan.exists() and live.exists()
