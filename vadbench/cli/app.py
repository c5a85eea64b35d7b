"""Assembles the typer application from the core commands and the commands plugins add."""

from __future__ import annotations

import typer

from vadbench import plugins


def build_app() -> typer.Typer:
    from vadbench.cli import artifacts, datasets, listing, results, run

    app = typer.Typer(name="vadbench", no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                      help="Train and evaluate video anomaly detection methods under one explicit protocol.",
                      context_settings={"help_option_names": ["-h", "--help"]})
    run.register(app)
    results.register(app)
    listing.register(app)
    artifacts.register(app)
    app.add_typer(datasets.app, name="datasets", help="Check, prepare and synthesise datasets.")
    plugins.host().call_hook("register_commands", cli=app)  # a plugin that raises is reported by `plugins`
    return app
