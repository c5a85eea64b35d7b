"""Contract tests run over every registered component (scorers also in tests/scorers): each satisfies its protocol
in ``vadbench.components`` by ``isinstance``, and does what the protocol says."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vadbench import plugin_host
from vadbench.errors import ConfigError
from vadbench.components import (CheckReport, Dataset, Learned, Masker, ReconstructionModel, Scorer, ScoresModel,
                                 Video, model_shape)
from vadbench.evaluation.windows import selective_anchors


def names(kind):
    plugin_host.reset()
    return plugin_host.catalog(kind).names()


def build(kind, name, **overrides):
    return plugin_host.catalog(kind).get(name).build(**overrides)


@pytest.mark.parametrize("name", names("masker"))
@pytest.mark.parametrize("length", [16, 30, 45])
def test_masker_contract(name, length):
    masker = build("masker", name)
    assert isinstance(masker, Masker) and masker.name == name
    inference = np.asarray(masker.inference_anchors(length))
    assert inference.dtype == bool and inference.shape == (length,) and not inference.all(), "a frame to score"
    if name in ("selective", "random"):
        assert np.array_equal(inference, selective_anchors(length)), "the RaMViD maskers infer on equal terms"
    rng = np.random.default_rng(0)
    for _ in range(50):
        training = np.asarray(masker.training_anchors(length, rng))
        assert training.dtype == bool and training.shape == (length,) and not training.all()


def datasets_read_from_disk():
    return [name for name in names("dataset") if "root" in plugin_host.catalog("dataset").get(name).settings]


@pytest.mark.parametrize("name", datasets_read_from_disk())
def test_dataset_check_on_an_empty_root_reports_problems_without_raising(name, tmp_path):
    dataset = build("dataset", name, root=str(tmp_path))
    assert isinstance(dataset, Dataset) and dataset.name == name
    result = dataset.check()
    assert isinstance(result, CheckReport) and not result.ok and result.problems
    assert all(isinstance(problem, str) and problem for problem in result.problems)


def test_synthetic_dataset_contract():
    dataset = build("dataset", "synthetic", size=[24, 24], scenes=1, train_videos=1, test_videos=2, frames=60)
    assert isinstance(dataset, Dataset)
    fingerprint = dataset.fingerprint()
    assert fingerprint == build("dataset", "synthetic", size=[24, 24], scenes=1, train_videos=1, test_videos=2,
                                frames=60).fingerprint()
    assert fingerprint != build("dataset", "synthetic", size=[32, 32], scenes=1, train_videos=1, test_videos=2,
                                frames=60).fingerprint()
    for split in ("train", "test"):
        for video in dataset.videos(split):
            assert isinstance(video, Video) and video.split == split
            frames = dataset.frames(video)
            assert frames.dtype == np.uint8 and frames.shape == (video.num_frames, 24, 24, 3)
    for video in dataset.videos("test"):
        labels = dataset.labels(video)
        masks = dataset.masks(video)
        assert labels.dtype == np.uint8 and labels.shape == (video.num_frames,) and set(np.unique(labels)) <= {0, 1}
        assert masks.dtype == bool and masks.shape == (video.num_frames, 24, 24)
        assert np.array_equal(masks.any(axis=(1, 2)), labels.astype(bool))
        assert all(0 <= track.start <= track.end < video.num_frames for track in dataset.tracks(video))


@pytest.mark.parametrize("name", names("model"))
def test_model_contract(name, tmp_path):
    overrides = {"path": str(tmp_path)} if name == "scores" else {}
    model = build("model", name, **overrides)
    shape = model_shape(model)  # exactly one of the two shapes
    assert isinstance(model, ReconstructionModel if shape == "reconstruction" else ScoresModel)
    assert model.name == name and isinstance(model.provenance(), dict)
    if isinstance(model, Learned):
        assert set(getattr(model, "inference_settings", ())) <= set(plugin_host.catalog("model").get(name).settings)
        return  # reconstruct needs trained weights: tests/models trains them
    assert not hasattr(model, "load"), "a model that learns nothing loads nothing"
    if shape == "scores":
        return  # score_video needs score files: tests/baselines/test_scores_model.py
    clips, anchors = torch.rand(2, 30, 3, 8, 8), torch.from_numpy(selective_anchors(30))
    filled = model.reconstruct(clips, anchors)
    assert filled.shape == clips.shape and torch.equal(filled[:, anchors], clips[:, anchors])
    assert filled.min() >= 0 and filled.max() <= 1


@pytest.mark.parametrize("name", names("scorer"))
def test_scorer_satisfies_its_protocol(name):
    assert isinstance(build("scorer", name), Scorer)


def test_a_model_of_both_shapes_or_neither_is_refused():
    class Both:
        name = "both"

        def reconstruct(self, clips, anchors): ...

        def score_video(self, dataset, video): ...

        def provenance(self): ...

    with pytest.raises(ConfigError, match="both reconstruct and score_video"):
        model_shape(Both())
    with pytest.raises(ConfigError, match="neither"):
        model_shape(object())
