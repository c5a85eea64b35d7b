"""What keys each stage: the infer stage keys on the anchor set (not the masker's name), each protocol setting
keys the stages it declares, registered aliases reach the settings they name, and infer reports its provenance."""

from __future__ import annotations

import pytest

from vadbench import stage_cache
from vadbench.errors import ConfigError
from vadbench.evaluation.protocol import Protocol
from vadbench.runner.run import RunRequest, execute, plan
from vadbench.store.db import open_store

SMALL = [("dataset.synthetic.size", [16, 16]), ("dataset.synthetic.scenes", 1),
         ("dataset.synthetic.train_videos", 1), ("dataset.synthetic.test_videos", 2),
         ("dataset.synthetic.frames", 60)]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("VADBENCH_HOME", str(tmp_path / "home"))
    return open_store(f"sqlite:///{tmp_path / 'results.db'}")


def planned(store, models, maskers=("selective",), options=(), sigmas=None):
    request = RunRequest(models=list(models), datasets=["synthetic"], maskers=list(maskers), scorers=["mse"],
                         cfg_options=[*SMALL, *options], sigmas=sigmas, device="cpu")
    return plan(request, store)


def test_maskers_with_one_anchor_set_share_the_reconstruction_but_not_the_job(store):
    the_plan = planned(store, ["interp"], maskers=["selective", "random"])
    selective, random = (p.job for p in sorted(the_plan.jobs, key=lambda p: p.job.masker.name, reverse=True))
    assert selective.keys["infer"] == random.keys["infer"] and selective.keys["score"] == random.keys["score"]
    assert selective.keys["evaluate"] != random.keys["evaluate"]  # two jobs, two stored rows
    _, outcomes = execute(the_plan, store)
    assert [outcome.status for outcome in outcomes] == ["done", "done"]
    assert sorted(stage for stage, *_ in stage_cache.entries()) == ["evaluate", "evaluate", "infer", "localise",
                                                                  "score"]  # two jobs on one reconstruction


def test_learned_models_still_fit_once_per_masker(store):
    the_plan = planned(store, ["mamba-ramvid"], maskers=["selective", "random"], options=[("preset", "tiny")])
    fits = {p.job.keys["fit"] for p in the_plan.jobs}
    assert len(fits) == 2, "the masker shapes training, so it keys the fit"


def test_each_protocol_setting_keys_the_stages_it_declares():
    protocol = Protocol()
    assert protocol.keyed_by("fit") == {"window": 30}
    assert protocol.keyed_by("infer") == {"window": 30, "stride": 15}
    localisation = {"aggregate", "localise", "region_sigma", "region_levels", "region_min_area",
                    "region_max_per_frame", "pixel_budget", "pixel_seed"}
    assert set(protocol.keyed_by("localise")) == localisation
    assert set(protocol.keyed_by("evaluate")) == {"unscored", "sigma", "smoothing_boundary", "normalize",
                                                "macro_rule"} | localisation
    with pytest.raises(ValueError, match="stages: fit, infer, localise, evaluate"):
        protocol.keyed_by("score")


def test_sigma_reuses_the_localise_key_and_region_settings_change_it(store):
    jobs = [p.job for p in planned(store, ["interp"], sigmas=[0, 5]).jobs]
    assert jobs[0].keys["localise"] == jobs[1].keys["localise"] != "none"
    other = [p.job for p in planned(store, ["interp"], options=[("protocol.region_sigma", 2.0)]).jobs]
    assert other[0].keys["localise"] != jobs[0].keys["localise"]
    assert other[0].keys["score"] == jobs[0].keys["score"]


def test_sigma_changes_only_the_evaluate_key_and_is_validated(store):
    jobs = [p.job for p in planned(store, ["interp"], sigmas=[0, 5]).jobs]
    assert jobs[0].keys["score"] == jobs[1].keys["score"] and jobs[0].keys["evaluate"] != jobs[1].keys["evaluate"]
    assert {job.protocol.sigma for job in jobs} == {0.0, 5.0}
    with pytest.raises(ConfigError, match="protocol.sigma must be a number of frames >= 0"):
        planned(store, ["interp"], sigmas=[-1])


def test_a_registered_alias_sets_the_setting_it_names(store):
    the_plan = planned(store, ["mamba-ramvid", "interp"], options=[("preset", "tiny"), ("sampler.steps", 3)])
    settings = {p.job.model.name: p.job.model.settings for p in the_plan.jobs}
    assert settings["mamba-ramvid"]["sampling_steps"] == 3 and "sampling_steps" not in settings["interp"]
    with pytest.raises(ConfigError, match="no selected component has the setting 'sampler.steps'"):
        planned(store, ["interp"], options=[("sampler.steps", 3)])


def test_infer_reports_its_provenance_whether_it_ran_or_was_cached(store):
    the_plan = planned(store, ["interp"])
    _, (first,) = execute(the_plan, store)
    (job,) = store.jobs(store.runs()[0].id)
    assert job.provenance["mode"] == "linear" and job.provenance["checkpoint"] is None
    rerun = planned(store, ["interp"], options=[("protocol.sigma", 1.0)])  # infer cached, evaluate new
    execute(rerun, store)
    again = next(j for j in store.jobs(store.runs()[0].id))
    assert again.provenance["mode"] == "linear"
