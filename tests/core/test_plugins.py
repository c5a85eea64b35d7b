"""Plugin discovery and the registries: entry points, registry.yaml, clashes, unknown names, broken plugins."""

from __future__ import annotations

import sys
import textwrap

import pytest

from vadbench import plugins
from vadbench.errors import ConfigError, NameClashError, UnknownComponentError

BUILT_IN = {
    "dataset": {"synthetic", "avenue", "stc", "ubnormal"},
    "model": {"interp", "scores", "attention-ramvid", "mamba-ramvid"},
    "masker": {"selective", "random"},
    "scorer": {"mse", "l1", "psnr", "ssim", "ms-ssim", "cw-ssim", "wmse"},
}


def write_registry(tmp_path, monkeypatch, modules, source=None):
    """A registry.yaml listing ``modules``; ``source`` maps a module name to its code, importable from tmp_path."""
    for name, code in (source or {}).items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(code))
    monkeypatch.syspath_prepend(str(tmp_path))
    listed = "\n".join(f"  - {module}" for module in modules)
    (tmp_path / "registry.yaml").write_text(f"plugins:\n{listed}\n")
    monkeypatch.setenv("VADBENCH_REGISTRY", str(tmp_path / "registry.yaml"))


@pytest.mark.parametrize("kind", sorted(BUILT_IN))
def test_every_built_in_component_is_registered(fresh_plugins, kind):
    assert BUILT_IN[kind] <= set(plugins.registry(kind).names())


def test_built_in_plugins_load_through_entry_points_without_failures(fresh_plugins):
    loaded = {info.module: info for info in plugins.host().plugins}
    assert not plugins.failures(), plugins.failures()
    assert loaded["vadbench_plugins.scorers.pixel"].distribution == "vadbench"


def test_a_module_arriving_by_entry_point_and_registry_yaml_is_registered_once(fresh_plugins, tmp_path, monkeypatch):
    write_registry(tmp_path, monkeypatch, ["vadbench_plugins.models.interp"])
    assert plugins.registry("model").get("interp").plugin == "vadbench_plugins.models.interp"
    modules = [info.module for info in plugins.host().plugins]
    assert modules.count("vadbench_plugins.models.interp") == 1


def test_unknown_name_lists_the_valid_ones(fresh_plugins):
    with pytest.raises(UnknownComponentError) as caught:
        plugins.registry("scorer").get("mse2")
    message = str(caught.value)
    assert "unknown scorer 'mse2'" in message and "did you mean 'mse'" in message and "wmse" in message


def test_name_clash_names_both_plugins(fresh_plugins, tmp_path, monkeypatch):
    write_registry(tmp_path, monkeypatch, ["clashing_plugin"], {"clashing_plugin": """
        from vadbench import hookimpl

        @hookimpl
        def register_scorers(register):
            register("mse", lambda: None)
    """})
    with pytest.raises(NameClashError) as caught:
        plugins.registry("scorer")
    assert "vadbench_plugins.scorers.pixel" in str(caught.value) and "clashing_plugin" in str(caught.value)


def test_a_plugin_that_raises_at_import_is_reported_and_the_rest_works(fresh_plugins, tmp_path, monkeypatch):
    write_registry(tmp_path, monkeypatch, ["broken_plugin"], {"broken_plugin": "raise RuntimeError('boom')\n"})
    failures = {info.module: info.error for info in plugins.failures()}
    assert "RuntimeError: boom" in failures["broken_plugin"]
    assert "interp" in plugins.registry("model")


def test_a_plugin_whose_register_hook_raises_is_reported(fresh_plugins, tmp_path, monkeypatch):
    write_registry(tmp_path, monkeypatch, ["half_broken"], {"half_broken": """
        from vadbench import hookimpl

        @hookimpl
        def register_models(register):
            raise ValueError("bad settings table")
    """})
    assert "interp" in plugins.registry("model")
    assert "ValueError: bad settings table" in {i.module: i.error for i in plugins.failures()}["half_broken"]


def test_entry_build_rejects_unknown_settings(fresh_plugins):
    with pytest.raises(ConfigError, match="has no setting 'colour'.*valid settings: mode"):
        plugins.registry("model").get("interp").build(colour="red")


def test_registry_file_that_does_not_exist_is_a_clear_error(fresh_plugins, monkeypatch, tmp_path):
    monkeypatch.setenv("VADBENCH_REGISTRY", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="missing.yaml"):
        plugins.host()


def test_listing_plugins_does_not_import_torch(fresh_plugins):
    import subprocess

    code = "import sys, vadbench.plugins as p; p.registry('model'); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
