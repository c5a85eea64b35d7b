"""The ``scores`` model: per-frame scores from .npy/.txt files or one .npz, checked against frame counts."""

from __future__ import annotations

import numpy as np
import pytest

from vadbench.components import Video
from vadbench.errors import ConfigError
from vadbench_plugins.models.scores import ExternalScores

VIDEO = Video(id="01_0014", split="test", scene="01", num_frames=5, fps=25.0, source="x")


def test_reads_npy_and_txt_files(tmp_path):
    np.save(tmp_path / "01_0014.npy", np.arange(5.0))
    assert np.array_equal(ExternalScores(str(tmp_path)).score_video(None, VIDEO), np.arange(5.0))
    (tmp_path / "01_0014.npy").unlink()
    (tmp_path / "01_0014.txt").write_text("# psnr\n1\n2\n3\n4\n5\n")
    assert np.array_equal(ExternalScores(str(tmp_path), invert=True).score_video(None, VIDEO), -np.arange(1.0, 6.0))


def test_reads_an_npz_keyed_by_video_id(tmp_path):
    np.savez(tmp_path / "scores.npz", **{"01_0014": np.ones(5)})
    assert ExternalScores(str(tmp_path / "scores.npz")).score_video(None, VIDEO).sum() == 5


def test_wrong_length_names_the_file_and_both_counts(tmp_path):
    np.save(tmp_path / "01_0014.npy", np.zeros(4))
    with pytest.raises(ConfigError, match=r"01_0014.npy: expected 5 scores .* found shape \(4,\)"):
        ExternalScores(str(tmp_path)).score_video(None, VIDEO)


def test_missing_video_and_missing_path_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="no scores for test video '01_0014'"):
        ExternalScores(str(tmp_path)).score_video(None, VIDEO)
    with pytest.raises(ConfigError, match="model.scores.path"):
        ExternalScores("")
    with pytest.raises(ConfigError, match="does not exist"):
        ExternalScores(str(tmp_path / "nope"))


def test_fingerprint_changes_when_a_file_changes(tmp_path):
    np.save(tmp_path / "01_0014.npy", np.zeros(5))
    model = ExternalScores(str(tmp_path))
    before = model.fingerprint()
    np.save(tmp_path / "01_0014.npy", np.zeros(6))
    assert model.fingerprint() != before


def test_error_maps_are_read_checked_and_fingerprinted(tmp_path):
    np.save(tmp_path / "01_0014.npy", np.arange(5.0))
    (tmp_path / "maps").mkdir()
    assert ExternalScores(str(tmp_path)).error_maps is None  # no maps: the job does not localise
    before = ExternalScores(str(tmp_path), maps=str(tmp_path / "maps")).fingerprint()
    np.save(tmp_path / "maps" / "01_0014.npy", np.ones((5, 4, 6), np.float32))
    model = ExternalScores(str(tmp_path), invert=True, maps=str(tmp_path / "maps"))
    assert np.array_equal(model.error_maps(None, VIDEO), -np.ones((5, 4, 6)))
    assert model.fingerprint() != before
    np.save(tmp_path / "maps" / "01_0014.npy", np.ones((4, 4, 6), np.float32))
    with pytest.raises(ConfigError, match=r"01_0014.npy: expected error maps of shape \(5, h, w\)"):
        model.error_maps(None, VIDEO)
    with pytest.raises(ConfigError, match="maps folder .* does not exist"):
        ExternalScores(str(tmp_path), maps=str(tmp_path / "nope"))
