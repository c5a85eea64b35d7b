"""Typed registries of components; ``vadbench.plugins`` fills them through the ``register_*`` hooks."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable

from vadbench.errors import ConfigError, NameClashError, UnknownComponentError

KINDS = ("dataset", "model", "masker", "scorer")


@dataclass(frozen=True)
class Entry:
    """One registered component: its name, how to build it, its default settings and who registered it."""

    kind: str
    name: str
    factory: Callable[..., Any]
    settings: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    plugin: str = ""

    def build(self, **overrides: Any) -> Any:
        """Build the component with its defaults updated by ``overrides`` (every key must be a known setting)."""
        unknown = sorted(set(overrides) - set(self.settings))
        if unknown:
            raise ConfigError(
                f"{self.kind} '{self.name}' has no setting {', '.join(map(repr, unknown))}; "
                f"valid settings: {', '.join(sorted(self.settings)) or '(none)'}"
            )
        return self.factory(**{**self.settings, **overrides})


class Registry:
    """The components of one kind, by name."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def add(self, entry: Entry) -> None:
        self.add_all([entry])

    def add_all(self, entries: list[Entry]) -> None:
        """Add one plugin's entries, all or none: a name already taken is a NameClashError naming both plugins."""
        seen: dict[str, Entry] = {}
        for entry in entries:
            other = self._entries.get(entry.name) or seen.get(entry.name)
            if other is not None:
                raise NameClashError(
                    f"{self.kind} '{entry.name}' is registered twice: by plugin '{other.plugin}' and by plugin "
                    f"'{entry.plugin}'; uninstall one of them or rename its {self.kind}"
                )
            seen[entry.name] = entry
        self._entries.update(seen)

    def get(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._entries, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UnknownComponentError(
                f"unknown {self.kind} '{name}'{hint}; valid {self.kind}s: {', '.join(self.names()) or '(none)'}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        return [self._entries[name] for name in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

