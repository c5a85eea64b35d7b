"""--cfg-options resolution: namespaced, kind-wide and unqualified keys, layers, and clear errors."""

from __future__ import annotations

import pytest

from vadbench.errors import ConfigError
from vadbench.settings import parse_cfg_options, resolve

PROTOCOL = {"window": 30, "sigma": 3.0}


def selection(**names):
    return {"model": ["interp"], "scorer": ["mse", "wmse"], "dataset": ["synthetic"], **names}


def resolved_with(*options, config=None, **names):
    return resolve(selection(**names), config=config, cfg_options=parse_cfg_options(options),
                   protocol_defaults=dict(PROTOCOL))


def test_exponent_numbers_are_floats_as_in_python_unless_quoted():
    assert parse_cfg_options(["lr=5e-4", "b=[1E3, 2]", "c=-2.5e+1", 'd="5e-4"', "e=e5"]) == [
        ("lr", 5e-4), ("b", [1000.0, 2]), ("c", -25.0), ("d", "5e-4"), ("e", "e5")]


def test_values_are_parsed_as_yaml():
    assert parse_cfg_options(["a=3", "b=[32, 32]", "c=true", "d=ddim", "e=0.5"]) == [
        ("a", 3), ("b", [32, 32]), ("c", True), ("d", "ddim"), ("e", 0.5)]


def test_malformed_item_is_an_error():
    with pytest.raises(ConfigError, match="'preset' is not key=value"):
        parse_cfg_options(["preset"])


def test_fully_qualified_key_sets_one_component():
    resolved = resolved_with("model.interp.mode=nearest")
    assert resolved[("model", "interp")].settings["mode"] == "nearest"


def test_protocol_key():
    assert resolved_with("protocol.sigma=0")[("protocol", "protocol")].settings["sigma"] == 0


def test_unqualified_key_applies_to_every_component_that_has_it():
    resolved = resolved_with("mode=nearest", "sigma=5")
    assert resolved[("model", "interp")].settings["mode"] == "nearest"
    assert resolved[("protocol", "protocol")].settings["sigma"] == 5


def test_unknown_key_names_the_valid_keys():
    with pytest.raises(ConfigError) as caught:
        resolved_with("model.interp.colour=red")
    assert "no selected component has the setting 'colour'" in str(caught.value)
    assert "model.interp.mode" in str(caught.value)


def test_a_component_that_is_not_selected_is_an_error():
    with pytest.raises(ConfigError, match="scorer 'ssim' is not selected"):
        resolved_with("scorer.ssim.window=7")


def test_config_file_layer_and_cfg_options_on_top():
    config = {"model": {"interp": {"mode": "nearest"}}, "protocol": {"sigma": 1.0}}
    resolved = resolved_with("protocol.sigma=2", config=config)
    assert resolved[("model", "interp")].settings["mode"] == "nearest"
    assert resolved[("protocol", "protocol")].settings["sigma"] == 2


def test_config_file_with_an_unknown_setting_is_an_error():
    with pytest.raises(ConfigError, match="model 'interp' has no setting 'speed'"):
        resolved_with(config={"model": {"interp": {"speed": 2}}})


def test_dataset_root_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VADBENCH_AVENUE_ROOT", str(tmp_path))
    resolved = resolve({"dataset": ["avenue"]})
    assert resolved[("dataset", "avenue")].settings["root"] == str(tmp_path)
