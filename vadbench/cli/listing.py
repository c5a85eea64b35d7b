"""``vadbench plugins``: what is installed, from where, and what failed to load."""

from __future__ import annotations

import typer
from rich.table import Table

from vadbench import plugin_host
from vadbench.cli.console import out as console
from vadbench.catalog import KINDS


def register(app: typer.Typer) -> None:
    @app.command("plugins")
    def plugins_command(
        settings: bool = typer.Option(False, "--settings", help="Also list each component's settings and defaults."),
    ) -> None:
        """List plugins (name, distribution, version, error) and the components they register."""
        host = plugin_host.host()
        catalogs = host.catalogs()
        table = Table(title="plugins", title_justify="left")
        for column in ("plugin", "module", "distribution", "version", "status"):
            table.add_column(column)
        for info in host.plugins:
            status = f"[red]failed: {info.error}[/]" if info.error else "[green]loaded[/]"
            table.add_row(info.name, info.module, info.distribution, info.version, status)
        console.print(table)
        components = Table(title="components", title_justify="left")
        for column in ("kind", "name", "plugin", "description", *(["settings"] if settings else [])):
            components.add_column(column, overflow="fold")
        for kind in KINDS:
            for entry in catalogs[kind].entries():
                row = [kind, entry.name, entry.plugin, entry.description]
                if settings:
                    row.append(_settings_cell(entry))
                components.add_row(*row)
        console.print(components)


def _settings_cell(entry) -> str:
    """The entry's settings and defaults, or why they cannot be read (its module fails to import)."""
    from rich.markup import escape

    from vadbench.errors import ConfigError

    try:
        return escape(", ".join(f"{key}={value!r}" for key, value in entry.settings.items()))
    except ConfigError as error:
        return f"[red]{escape(str(error))}[/]"
