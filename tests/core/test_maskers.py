"""The ``predict`` and ``autoencode`` maskers: which frames of a window they mask, in training and inference."""

from __future__ import annotations

import numpy as np
import pytest

from vadbench import plugin_host
from vadbench.errors import ConfigError


def build(name, **settings):
    return plugin_host.catalog("masker").get(name).build(**settings)


@pytest.mark.parametrize(("frames", "length", "expected"),
                         [(1, 5, [1, 1, 1, 1, 0]), (2, 5, [1, 1, 1, 0, 0]), (1, 30, [1] * 29 + [0])])
def test_predict_masks_the_last_frames_in_training_and_inference(frames, length, expected):
    masker = build("predict", frames=frames)
    rng = np.random.default_rng(0)
    for anchors in (masker.inference_anchors(length), masker.training_anchors(length, rng)):
        assert anchors.dtype == bool and anchors.tolist() == [bool(v) for v in expected]


@pytest.mark.parametrize(("settings", "length", "message"),
                         [({"frames": 0}, 5, "frames must be an integer >= 1"),
                          ({"frames": 1.5}, 5, "frames must be an integer >= 1"),
                          ({"frames": 5}, 5, "leaves no past frame in a window of 5")])
def test_predict_rejects_a_window_it_cannot_split(settings, length, message):
    with pytest.raises(ConfigError, match=message):
        build("predict", **settings).inference_anchors(length)


def test_autoencode_has_no_anchors():
    masker = build("autoencode")
    rng = np.random.default_rng(0)
    for length in (5, 10, 30):
        for anchors in (masker.inference_anchors(length), masker.training_anchors(length, rng)):
            assert anchors.dtype == bool and anchors.shape == (length,) and not anchors.any()
