"""Progress for every long loop: a rich bar on a terminal, plain timed lines in logs; and the consoles' width.

Off a terminal (a log file, Slurm, ``| less``, CI) rich would assume 80 columns and cut table cells; the consoles
made here are as wide as their content instead, and progress prints one line per ``PLAIN_INTERVAL`` seconds.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import IO, Any, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

UNBOUNDED = 100_000  # columns of a console that writes to no terminal: lines are as long as their content
PLAIN_INTERVAL = float(os.environ.get("VADBENCH_PROGRESS_INTERVAL", "30"))  # seconds between plain lines


def make_console(*, stderr: bool = False, file: IO[str] | None = None) -> Console:
    """A rich console; off a terminal (and without ``$COLUMNS``) one that never cuts or wraps a line."""
    console = Console(stderr=stderr, file=file)
    if console.is_terminal or "COLUMNS" in os.environ:
        return console
    return Console(stderr=stderr, file=file, width=UNBOUNDED)


console = make_console(stderr=True)


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
            self._progress.update(self._task_id, info=_fields(fields))


class PlainTask(Task):
    """Progress as plain lines on stderr: ``description: done/total (percent) fields, rate, ETA`` every
    ``PLAIN_INTERVAL`` seconds and once at the end."""

    def __init__(self, description: str, total: int | None) -> None:
        super().__init__(None, None)
        self.description, self.total = description, total
        self.done, self.info = 0.0, ""
        self.started = self.last = time.monotonic()
        self.first = None  # ``done`` when the clock started (a resumed loop starts part-way)

    def advance(self, n: float = 1) -> None:
        if self.first is None:
            self.first = self.done
            self.started = time.monotonic()
        self.done += n
        now = time.monotonic()
        if now - self.last >= PLAIN_INTERVAL:
            self.last = now
            self._line(now)

    def update(self, **fields: Any) -> None:
        self.info = _fields(fields)

    def close(self) -> None:
        if self.done:
            self._line(time.monotonic(), final=True)

    def _line(self, now: float, final: bool = False) -> None:
        elapsed = now - self.started
        rate = (self.done - (self.first or 0)) / elapsed if elapsed > 0 else 0.0
        parts = [f"{self.description}: {self.done:g}" + (f"/{self.total}" if self.total else "")]
        if self.total:
            parts[0] += f" ({100 * self.done / self.total:.0f}%)"
        if self.info:
            parts.append(self.info)
        parts.append(f"{rate:.3g}/s")
        if final:
            parts.append(f"done in {_duration(elapsed)}")
        elif self.total and rate > 0:
            parts.append(f"ETA {_duration((self.total - self.done) / rate)}")
        console.print("  ".join(parts), highlight=False, markup=False)


def _fields(fields: dict[str, Any]) -> str:
    return " ".join(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                    for key, value in fields.items())


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else (f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s")


def notice(message: str) -> None:
    """One line on stderr about something vadbench did on its own (a cache entry it redoes, say)."""
    from rich.markup import escape

    console.print(f"[yellow]note:[/] {escape(message)}", highlight=False)


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Task]:
    """A progress bar on stderr for ``total`` steps on a terminal; plain timed lines elsewhere."""
    if not console.is_terminal:
        task = PlainTask(description, total)
        yield task
        task.close()
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn(), TextColumn("{task.fields[info]}"))
    with Progress(*columns, console=console, transient=True) as bar:
        yield Task(bar, bar.add_task(description, total=total, info=""))
