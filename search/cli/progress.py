"""Progress of long work fed by the library's (stage, done, total) callback: a rich bar on a terminal, a line
every 10% otherwise, so logs of cron jobs and CI show that indexing is moving."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

_LABELS = {"read": "Reading files", "embed": "Embedding sentences",
           "store": "Storing passages and words", "words": "Embedding words for translation",
           "second": "Embedding passages with the second embedder", "vectors": "Building the vector index"}


class IndexProgress:
    def __init__(self, console: Console):
        self.console = console
        self.interactive = console.is_terminal
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=console, transient=True, disable=not self.interactive,
        )
        self.tasks: dict[str, int] = {}
        self.logged: dict[str, int] = {}

    def __enter__(self) -> "IndexProgress":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def update(self, stage: str, done: int, total: int) -> None:
        label = _LABELS.get(stage, stage)
        if not self.interactive:
            self._log(stage, label, done, total)
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)
        if stage not in _LABELS and done >= total:
            # A stage of one file or feed ("Transcribing NAME"): its bar goes when done, not one per episode.
            self.progress.remove_task(self.tasks.pop(stage))

    def _log(self, stage: str, label: str, done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if self.logged.get(stage, -1) < tenth:
            self.logged[stage] = tenth
            self.console.print(f"{label}: {done}/{total}")
