"""The interpolation floor: exact on anchors, linear in between, nearest copies."""

from __future__ import annotations

import pytest
import torch

from vadbench.errors import ConfigError
from vadbench.evaluation.windows import selective_anchors
from vadbench_plugins.models.interp import TemporalInterpolation, interpolation_weights

ANCHORS = torch.from_numpy(selective_anchors(30))


def test_anchor_frames_are_returned_unchanged():
    clips = torch.rand(2, 30, 3, 8, 8)
    filled = TemporalInterpolation().reconstruct(clips, ANCHORS)
    assert torch.equal(filled[:, ANCHORS], clips[:, ANCHORS])


def test_linear_interpolation_of_a_linear_ramp_is_exact():
    ramp = torch.arange(30, dtype=torch.float32).view(1, 30, 1, 1, 1).expand(1, 30, 3, 4, 4) / 29
    filled = TemporalInterpolation("linear").reconstruct(ramp, ANCHORS)
    torch.testing.assert_close(filled, ramp)


def test_nearest_copies_the_closer_anchor():
    weights = interpolation_weights(ANCHORS, "nearest")
    assert weights[4].argmax() == 1 and weights[8].argmax() == 10  # frame 4 is nearer anchor 1, frame 8 anchor 10
    assert torch.equal(weights.sum(1), torch.ones(30))


def test_masked_frames_after_the_last_anchor_copy_it():
    anchors = torch.zeros(6, dtype=torch.bool)
    anchors[1] = True
    weights = interpolation_weights(anchors, "linear")
    assert torch.equal(weights[:, 1], torch.ones(6))


def test_unknown_mode_is_a_clear_error():
    with pytest.raises(ConfigError, match="mode 'cubic' is not one of linear, nearest"):
        TemporalInterpolation("cubic")


def test_a_window_without_anchors_is_a_clear_error():
    with pytest.raises(ConfigError, match="masker gives a window none .*selective, random or predict"):
        interpolation_weights(torch.zeros(6, dtype=torch.bool), "linear")
