"""Rich progress bars for every long loop, and a quiet variant for tests and non-interactive use."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

console = Console(stderr=True)


class Task:
    """One bar: ``advance(n)`` moves it, ``update(**fields)`` shows extra fields (e.g. ``loss=0.12``)."""

    def __init__(self, progress: Progress | None, task_id: Any) -> None:
        self._progress = progress
        self._task_id = task_id

    def advance(self, n: float = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task_id, n)

    def update(self, **fields: Any) -> None:
        if self._progress is not None:
            text = " ".join(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                            for key, value in fields.items())
            self._progress.update(self._task_id, info=text)


def notice(message: str) -> None:
    """One line on stderr about something vadbench did on its own (a cache entry it redoes, say)."""
    from rich.markup import escape

    console.print(f"[yellow]note:[/] {escape(message)}", highlight=False)


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Task]:
    """A progress bar on stderr for ``total`` steps; silent when stderr is not a terminal."""
    if not console.is_terminal:
        yield Task(None, None)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn(), TextColumn("{task.fields[info]}"))
    with Progress(*columns, console=console, transient=True) as bar:
        yield Task(bar, bar.add_task(description, total=total, info=""))
