"""A terminal progress display for `bridge sync` (pages, items, requests, budget)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from app.sync.service import SyncProgress


class SyncProgressBar:
    """Shows a run's progress on stderr; does nothing when disabled (not a terminal)."""

    def __init__(self, *, enabled: bool) -> None:
        self._progress = (
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            if enabled
            else None
        )
        self._task = None if self._progress is None else self._progress.add_task("starting")

    def __enter__(self) -> SyncProgressBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, progress: SyncProgress) -> None:
        if self._progress is None or self._task is None:
            return
        budget = "?" if progress.rate_limit_remaining is None else progress.rate_limit_remaining
        self._progress.update(
            self._task,
            description=(
                f"{progress.pages} pages, {progress.items} items, "
                f"{progress.requests} requests, rate-limit budget left {budget}"
            ),
        )
