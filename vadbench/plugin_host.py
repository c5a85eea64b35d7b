"""The plugin host: discovers plugins (the ``vadbench`` entry-point group and the modules ``registry.yaml``
lists), calls their hooks, and fills one ``Catalog`` per component kind.

A plugin that fails to import (an exception or ``sys.exit``), whose ``register_*`` hook raises, that registers a
name another plugin already has (built-in plugins register first and keep their names), or whose other hooks raise
(``call_hook``) is recorded in ``failures()`` and skipped, so one broken package never takes the CLI down. A
module that arrives by both routes is registered once.
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy

from vadbench import hookspecs
from vadbench.catalog import KINDS, Catalog, Entry
from vadbench.registry_file import FILE_NAME, plugin_modules

ENTRY_POINT_GROUP = "vadbench"


@dataclass(frozen=True)
class PluginInfo:
    """A loaded (or failed) plugin: its module, the distribution that ships it, and the error if it failed."""

    name: str
    module: str
    distribution: str = ""
    version: str = ""
    error: str = ""


class PluginHost:
    """The plugin manager, the plugins it loaded, the ones that failed, and the component catalogs."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager("vadbench")
        self.manager.add_hookspecs(hookspecs)
        self.plugins: list[PluginInfo] = []
        self._catalogs: dict[str, Catalog] | None = None

    def load(self, modules: list[str]) -> None:
        """Import the installed entry points, then ``modules`` (the registry file's list)."""
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = entry_point.dist
            self._load_module(entry_point.name, entry_point.value, dist.name if dist else "", dist.version if dist else "")
        for module_path in modules:
            self._load_module(module_path, module_path, FILE_NAME, "")

    def add(self, plugin: Any, name: str) -> None:
        """Register an already imported plugin object (tests and embedding applications)."""
        self.manager.register(plugin, name=name)
        self.plugins.append(PluginInfo(name, getattr(plugin, "__name__", name)))
        self._catalogs = None

    def _load_module(self, name: str, module_path: str, distribution: str, version: str) -> None:
        try:
            module = importlib.import_module(module_path)
        except (Exception, SystemExit) as error:  # a broken plugin is reported, never fatal
            self.plugins.append(PluginInfo(name, module_path, distribution, version, _one_line(error)))
            return
        if self.manager.is_registered(module):
            return
        self.manager.register(module, name=module_path)
        self.plugins.append(PluginInfo(name, module_path, distribution, version))

    def catalogs(self) -> dict[str, Catalog]:
        if self._catalogs is None:
            self._catalogs = self._build_catalogs()
        return self._catalogs

    def _build_catalogs(self) -> dict[str, Catalog]:
        catalogs = {kind: Catalog(kind) for kind in KINDS}
        for kind in KINDS:
            impls = getattr(self.manager.hook, f"register_{kind}s").get_hookimpls()
            for impl in sorted(impls, key=lambda impl: not self._built_in(impl.plugin_name)):
                staged: list[Entry] = []
                try:
                    impl.function(register=_register_callback(staged, kind, impl.plugin_name))
                    catalogs[kind].add_all(staged)
                except (Exception, SystemExit) as error:
                    self._mark_failed(impl.plugin_name, error)
        return catalogs

    def call_hook(self, hook: str, **arguments: Any) -> list[str]:
        """Call every implementation of ``hook``; one that raises is reported in ``failures()`` and the others
        still run. Returns "plugin: error" for each failure."""
        failed = []
        for impl in reversed(getattr(self.manager.hook, hook).get_hookimpls()):
            try:
                impl.function(**{name: arguments[name] for name in impl.argnames})
            except (Exception, SystemExit) as error:
                self._mark_failed(impl.plugin_name, error, hook)
                failed.append(f"{impl.plugin_name}: {_one_line(error)}")
        return failed

    def _built_in(self, plugin_name: str) -> bool:
        return any(info.module == plugin_name and info.distribution == "vadbench" for info in self.plugins)

    def _mark_failed(self, plugin_name: str, error: BaseException, hook: str = "") -> None:
        where = f"in {hook}: " if hook else ""
        for index, info in enumerate(self.plugins):
            if info.module == plugin_name:
                self.plugins[index] = PluginInfo(info.name, info.module, info.distribution, info.version,
                                                 where + _one_line(error))


def _register_callback(staged: list[Entry], kind: str, plugin: str):
    def register(name: str, target: Any, *, description: str = "", aliases: dict[str, str] | None = None,
                 reported_as: str | None = None) -> None:
        """Add a component ``name`` built by ``target`` (a ``"module:attribute"`` string, imported on first use, or
        the factory itself); ``aliases`` maps kind-wide ``--cfg-options`` names to its settings; ``reported_as``
        (models only) names the published (reported) row the model reproduces."""
        staged.append(Entry(kind, name, target, description, plugin, dict(aliases or {}), reported_as))

    return register


def _one_line(error: BaseException) -> str:
    last = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    where = f" ({Path(last[0].filename).name}:{last[0].lineno})" if last else ""
    return f"{type(error).__name__}: {error}{where}"


_host: PluginHost | None = None


def host() -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _host
    if _host is None:
        _host = PluginHost()
        _host.load(plugin_modules())
    return _host


def reset() -> None:
    """Forget loaded plugins (tests; a changed registry.yaml)."""
    global _host
    _host = None


def catalog(kind: str) -> Catalog:
    """The catalog of one component kind: "dataset", "model", "masker" or "scorer"."""
    return host().catalogs()[kind]


def code_identity(kind: str, name: str) -> dict[str, str]:
    """Who ships component ``name``: its plugin module, distribution and version (part of its stage keys, so a
    fixed or upgraded plugin never reuses what an older one cached)."""
    entry = catalog(kind).get(name)
    for info in host().plugins:
        if info.module == entry.plugin:
            return {"plugin": info.module, "distribution": info.distribution, "version": info.version}
    return {"plugin": entry.plugin, "distribution": "", "version": ""}


def failures() -> list[PluginInfo]:
    return [info for info in host().plugins if info.error]
