"""The ``vadbench`` command line (typer + rich); errors at this edge are one message and a non-zero exit."""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point."""
    from rich.markup import escape

    from vadbench.cli.app import build_app
    from vadbench.errors import VadbenchError
    from vadbench.cli.console import err as console

    try:
        build_app()(prog_name="vadbench")
    except VadbenchError as error:
        console.print(f"[bold red]Error:[/] {escape(str(error))}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: finished jobs are stored; rerun the same command to resume")
        sys.exit(130)
