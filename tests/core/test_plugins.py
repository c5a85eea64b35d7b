"""Plugin discovery and the catalogs: entry points, registry.yaml, clashes, unknown names, broken plugins."""

from __future__ import annotations

import sys
import textwrap

import pytest

from vadbench import plugin_host
from vadbench.errors import ConfigError, NameClashError, UnknownComponentError

BUILT_IN = {
    "dataset": {"synthetic", "avenue", "stc", "ubnormal"},
    "model": {"interp", "scores", "attention-ramvid", "mamba-ramvid"},
    "masker": {"selective", "random"},
    "scorer": {"mse", "l1", "psnr", "ssim", "ms-ssim", "cw-ssim", "wmse"},
}


def write_registry_file(tmp_path, monkeypatch, modules, source=None):
    """A registry.yaml listing ``modules``; ``source`` maps a module name to its code, importable from tmp_path."""
    for name, code in (source or {}).items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(code))
    monkeypatch.syspath_prepend(str(tmp_path))
    listed = "\n".join(f"  - {module}" for module in modules)
    (tmp_path / "registry.yaml").write_text(f"plugins:\n{listed}\n")
    monkeypatch.setenv("VADBENCH_REGISTRY", str(tmp_path / "registry.yaml"))


@pytest.mark.parametrize("kind", sorted(BUILT_IN))
def test_every_built_in_component_is_registered(fresh_plugins, kind):
    assert BUILT_IN[kind] <= set(plugin_host.catalog(kind).names())


def test_built_in_plugins_load_through_entry_points_without_failures(fresh_plugins):
    loaded = {info.module: info for info in plugin_host.host().plugins}
    assert not plugin_host.failures(), plugin_host.failures()
    assert loaded["vadbench_plugins.scorers"].distribution == "vadbench"


def test_a_module_arriving_by_entry_point_and_registry_yaml_is_registered_once(fresh_plugins, tmp_path, monkeypatch):
    write_registry_file(tmp_path, monkeypatch, ["vadbench_plugins.models"])
    assert plugin_host.catalog("model").get("interp").plugin == "vadbench_plugins.models"
    modules = [info.module for info in plugin_host.host().plugins]
    assert modules.count("vadbench_plugins.models") == 1


def test_each_register_hook_of_a_plugin_fills_its_own_catalog(fresh_plugins, tmp_path, monkeypatch):
    write_registry_file(tmp_path, monkeypatch, ["every_kind_plugin"], {"every_kind_plugin": """
        from vadbench import hookimpl

        def component(kind, size=4):
            return (kind, size)

        @hookimpl
        def register_datasets(register):
            register("my-dataset", lambda size=4: component("dataset", size), description="a dataset")

        @hookimpl
        def register_models(register):
            register("my-model", lambda size=4: component("model", size), description="a model")

        @hookimpl
        def register_maskers(register):
            register("my-masker", lambda size=4: component("masker", size), description="a masker")

        @hookimpl
        def register_scorers(register):
            register("my-scorer", lambda size=4: component("scorer", size), description="a scorer")
    """})
    for kind in sorted(BUILT_IN):
        entry = plugin_host.catalog(kind).get(f"my-{kind}")
        assert (entry.kind, entry.plugin, entry.description) == (kind, "every_kind_plugin", f"a {kind}")
        assert entry.settings == {"size": 4} and entry.build(size=2) == (kind, 2)
        assert BUILT_IN[kind] <= set(plugin_host.catalog(kind).names())  # beside the built-in ones
        others = {f"my-{other}" for other in BUILT_IN if other != kind}
        assert not others & set(plugin_host.catalog(kind).names())  # and in no other kind's catalog
    assert not plugin_host.failures()


def test_unknown_name_lists_the_valid_ones(fresh_plugins):
    with pytest.raises(UnknownComponentError) as caught:
        plugin_host.catalog("scorer").get("mse2")
    message = str(caught.value)
    assert "unknown scorer 'mse2'" in message and "did you mean 'mse'" in message and "wmse" in message


def test_name_clash_names_both_plugins(fresh_plugins, tmp_path, monkeypatch):
    write_registry_file(tmp_path, monkeypatch, ["clashing_plugin"], {"clashing_plugin": """
        from vadbench import hookimpl

        @hookimpl
        def register_scorers(register):
            register("mse", lambda: None)
    """})
    scorers = plugin_host.catalog("scorer")  # the built-in keeps its name; the later plugin is skipped whole
    assert scorers.get("mse").plugin == "vadbench_plugins.scorers"
    error = {info.module: info.error for info in plugin_host.failures()}["clashing_plugin"]
    assert "NameClashError" in error and "vadbench_plugins.scorers" in error and "clashing_plugin" in error


def test_one_plugin_registers_all_its_components_or_none(fresh_plugins):
    from vadbench.catalog import Catalog, Entry

    catalog = Catalog("scorer")
    catalog.add_all([Entry("scorer", "a", dict, plugin="first")])
    with pytest.raises(NameClashError, match="by plugin 'first' and by plugin 'second'"):
        catalog.add_all([Entry("scorer", "b", dict, plugin="second"), Entry("scorer", "a", dict, plugin="second")])
    assert catalog.names() == ["a"]


@pytest.mark.parametrize("body", ["import sys\nsys.exit(3)\n", "raise SystemExit('bye')\n"])
def test_a_plugin_that_exits_at_import_is_reported(fresh_plugins, tmp_path, monkeypatch, body):
    write_registry_file(tmp_path, monkeypatch, ["exiting_plugin"], {"exiting_plugin": body})
    assert "SystemExit" in {info.module: info.error for info in plugin_host.failures()}["exiting_plugin"]
    assert "interp" in plugin_host.catalog("model")


def test_a_hook_that_raises_is_reported_and_the_others_run(fresh_plugins, tmp_path, monkeypatch):
    write_registry_file(tmp_path, monkeypatch, ["loud_plugin", "quiet_plugin"], {"loud_plugin": """
        from vadbench import hookimpl

        @hookimpl
        def job_finished(job, metrics):
            raise RuntimeError("cannot reach the tracker")
    """, "quiet_plugin": """
        from vadbench import hookimpl

        HEARD = []

        @hookimpl
        def job_finished(job):
            HEARD.append(job["model"])
    """})
    failed = plugin_host.host().call_hook("job_finished", job={"model": "interp"}, metrics=[])
    assert failed == ["loud_plugin: RuntimeError: cannot reach the tracker (loud_plugin.py:6)"]
    assert sys.modules["quiet_plugin"].HEARD == ["interp"]
    assert "in job_finished: RuntimeError" in {i.module: i.error for i in plugin_host.failures()}["loud_plugin"]


def test_a_plugin_that_raises_at_import_is_reported_and_the_rest_works(fresh_plugins, tmp_path, monkeypatch):
    write_registry_file(tmp_path, monkeypatch, ["broken_plugin"], {"broken_plugin": "raise RuntimeError('boom')\n"})
    failures = {info.module: info.error for info in plugin_host.failures()}
    assert "RuntimeError: boom" in failures["broken_plugin"]
    assert "interp" in plugin_host.catalog("model")


def test_a_plugin_whose_register_hook_raises_is_reported(fresh_plugins, tmp_path, monkeypatch):
    write_registry_file(tmp_path, monkeypatch, ["half_broken"], {"half_broken": """
        from vadbench import hookimpl

        @hookimpl
        def register_models(register):
            raise ValueError("bad settings table")
    """})
    assert "interp" in plugin_host.catalog("model")
    assert "ValueError: bad settings table" in {i.module: i.error for i in plugin_host.failures()}["half_broken"]


def test_entry_build_rejects_unknown_settings(fresh_plugins):
    with pytest.raises(ConfigError, match="has no setting 'colour'.*valid settings: mode"):
        plugin_host.catalog("model").get("interp").build(colour="red")


def test_a_registry_file_that_does_not_exist_is_a_clear_error(fresh_plugins, monkeypatch, tmp_path):
    monkeypatch.setenv("VADBENCH_REGISTRY", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="missing.yaml"):
        plugin_host.host()


def test_listing_plugins_does_not_import_torch(fresh_plugins):
    import subprocess

    code = "import sys, vadbench.plugin_host as p; p.catalog('model'); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
