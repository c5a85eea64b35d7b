"""Assembles the typer application from the core commands and the commands plugins add."""

from __future__ import annotations

import typer

from vadbench import plugin_host


def build_app() -> typer.Typer:
    from vadbench.cli import datasets, listing, outputs, results, run

    app = typer.Typer(name="vadbench", no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                      help="Train and evaluate video anomaly detection methods under one explicit protocol.",
                      context_settings={"help_option_names": ["-h", "--help"]})
    run.register(app)
    results.register(app)
    listing.register(app)
    outputs.register(app)
    datasets.register(app)
    plugin_host.host().call_hook("register_commands", cli=app)  # a plugin that raises is reported by `plugins`
    return app


def group(cli: typer.Typer, name: str) -> typer.Typer:
    """The command group ``name`` of the application (e.g. "datasets"), for plugins that add a subcommand."""
    for info in cli.registered_groups:
        if info.name == name:
            return info.typer_instance
    raise KeyError(f"the vadbench CLI has no command group '{name}'")
