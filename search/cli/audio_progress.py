"""Progress of transcription in seconds of audio: a rich bar per file on a terminal, a line every 25% of a file
otherwise (logs of cron jobs and CI show that a long episode is moving)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class AudioProgress:
    def __init__(self, console: Console):
        self.console = console
        self.interactive = console.is_terminal
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.fields[seconds]}"), TimeElapsedColumn(),
            TimeRemainingColumn(), console=console, transient=True, disable=not self.interactive,
        )
        self.task: int | None = None
        self.name = ""
        self.logged = -1

    def __enter__(self) -> "AudioProgress":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def start(self, name: str) -> None:
        """A new file: its total is known once it is decoded (the first update)."""
        self.name, self.logged = name, -1
        self.task = self.progress.add_task(f"Transcribing {name}", total=None, seconds="decoding")

    def update(self, done: float, total: float) -> None:
        if self.interactive and self.task is not None:
            self.progress.update(self.task, completed=done, total=total, seconds=f"{done:.0f}/{total:.0f} s of audio")
            return
        quarter = int(done * 4 // max(total, 1e-9))
        if quarter > self.logged:
            self.logged = quarter
            self.console.print(f"Transcribing {self.name}: {done:.0f}/{total:.0f} s of audio", markup=False)

    def stop(self) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None
