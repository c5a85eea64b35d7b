"""The two consoles of the CLI: results on stdout, messages and progress on stderr."""

from rich.console import Console

from vadbench.progress import console as err

out = Console()

__all__ = ["err", "out"]
