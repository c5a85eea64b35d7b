"""The two consoles of the CLI: results on stdout, messages and progress on stderr; off a terminal both keep
every line whole (``vadbench.progress.make_console``)."""

from vadbench.progress import console as err
from vadbench.progress import make_console

out = make_console()

__all__ = ["err", "make_console", "out"]
