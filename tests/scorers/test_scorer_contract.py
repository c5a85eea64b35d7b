"""The scorer contract, checked on every scorer in the catalog (built-in and third-party alike)."""

import json

import numpy as np
import pytest
import torch
from scorer_pairs import PAIR_NAMES, pairs

from vadbench import plugin_host

BUILT_IN = {"mse", "l1", "psnr", "ssim", "ms-ssim", "cw-ssim", "wmse"}
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
# Three seeds of the six pairs: 18 frames, more than one CPU chunk of the chunked scorers.
FRAMES, RECONS = (torch.tensor(np.concatenate(p), dtype=torch.float32) for p in zip(*(pairs(seed=s) for s in range(3))))
IDENTICAL = [seed * len(PAIR_NAMES) + PAIR_NAMES.index("identical") for seed in range(3)]


def scorer_names():
    return plugin_host.catalog("scorer").names()


def test_the_seven_built_in_scorers_are_registered_with_json_settings():
    catalog = plugin_host.catalog("scorer")
    assert BUILT_IN <= set(catalog.names())
    for name in BUILT_IN:
        entry = catalog.get(name)
        json.dumps(entry.settings)
        assert entry.description
        assert entry.build().name == name


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", scorer_names())
def test_scorer_contract(name, device):
    scorer = plugin_host.catalog("scorer").get(name).build()
    x, y = FRAMES.to(device), RECONS.to(device)
    scores = scorer(x, y)
    assert scores.shape == (len(x),) and scores.dtype == torch.float32 and scores.device == x.device
    assert not scores.isnan().any()
    assert (scores[IDENTICAL].max() <= scores).all()
    one_by_one = torch.cat([scorer(x[i:i + 1], y[i:i + 1]) for i in range(len(x))])
    torch.testing.assert_close(scores, one_by_one, rtol=1e-5, atol=1e-6)  # BLAS blocking may differ


def test_settings_override_through_the_catalog():
    scorer = plugin_host.catalog("scorer").get("wmse").build(tau=0.2, weight="one")
    assert (scorer.tau, scorer.weight) == (0.2, "one")
