"""Shared fixtures: a tiny synthetic dataset (non-square, so height/width mix-ups show) written once in each real
layout; tests that damage a layout work on a copy."""

from __future__ import annotations

import shutil

import pytest

SIZE = (32, 40)


@pytest.fixture(autouse=True)
def frame_cache(tmp_path, monkeypatch):
    """Every test gets its own empty frame cache."""
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="session")
def synthetic():
    from vadbench_plugins.datasets.synthetic import SyntheticDataset

    return SyntheticDataset(seed=3, size=SIZE, scenes=2, train_videos=1, test_videos=5, frames=60)


@pytest.fixture(scope="session")
def written(synthetic, tmp_path_factory):
    """format -> (folder, synthetic id -> written id), each layout written once per session."""
    layouts = {}
    for key, format, layout in (("avenue", "avenue", None), ("avenue-frames", "avenue", "frames"),
                                ("stc", "stc", None), ("ubnormal", "ubnormal", None)):
        folder = tmp_path_factory.mktemp(key)
        layouts[key] = folder, synthetic.write_layout(format, folder, layout)
    return layouts


@pytest.fixture
def copy_of(written, tmp_path):
    """A writable copy of a written layout: ``copy_of("stc")`` -> folder."""

    def copy(key):
        target = tmp_path / key
        shutil.copytree(written[key][0], target)
        return target

    return copy
