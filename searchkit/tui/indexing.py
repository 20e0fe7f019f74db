"""The app's index updates: at start, on demand, after an edit and when the sources change.

``IndexingActions`` is a mixin of ``SearchApp``: the update runs in a thread
worker that posts its progress and its report back, the watcher in another.
It uses the app's state, set up in ``SearchApp.__init__``; its handlers are
named ``on_<message>``, not decorated with ``@on`` (``searchkit.tui.app`` says why).
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime

from textual import work

from searchkit.config import Portal
from searchkit.display import problem_line, safe
from searchkit.errors import SearchkitError
from searchkit.messages import t
from searchkit.model import IndexReport
from searchkit.sources.harvest import last_harvested
from searchkit.tui.backend import changed
from searchkit.tui.events import Failure, IndexDone, IndexProgress, SourcesChanged
from searchkit.tui.screens import IndexingScreen
from searchkit.watcher import watch_changes

SHOW_PROGRESS_AFTER = 0.3  # an update shorter than this shows no progress view
PROGRESS_EVERY = 0.1  # seconds between two progress messages


class IndexingActions:
    """The index updates, their progress view and report, and the watcher, for ``SearchApp``."""

    def action_reindex(self) -> None:
        if self._indexing:
            self.notify(t("tui.notify.busy"), severity="warning")
            return
        self.push_screen(IndexingScreen(self.backend.sources))
        self._update_index("manual")

    def _update_index(self, reason: str) -> None:
        self._indexing += 1
        self._index_worker(reason)

    def _show_progress_if_slow(self) -> None:
        if self._indexing and not isinstance(self.screen, IndexingScreen):
            self.push_screen(IndexingScreen(self.backend.sources))

    @work(thread=True, group="index", exit_on_error=False)
    def _index_worker(self, reason: str) -> None:
        last = [0.0]

        def progress(done: int, total: int, path: str) -> None:
            now = time.monotonic()
            if done == total or now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                self.post_message(IndexProgress(done, total, path))

        report = names = None
        try:
            report = self.backend.update(progress)
            names = self.backend.facet_names()
        except SearchkitError as exc:
            self.post_message(Failure(exc.message))
        finally:
            self.post_message(IndexDone(reason, report, names))

    def on_index_progress(self, message: IndexProgress) -> None:
        if not self._alive():
            return
        if isinstance(self.screen, IndexingScreen):
            self.screen.progress(message.done, message.total, message.path)

    def on_index_done(self, message: IndexDone) -> None:
        if not self._alive():
            return
        self._indexing = max(0, self._indexing - 1)
        self.index_runs += 1
        if not self._indexing and isinstance(self.screen, IndexingScreen):
            self.pop_screen()
        report = message.report
        if message.facet_names is not None:
            self.facet_names = message.facet_names
        if report is not None:
            self._tell(message.reason, report)
        if message.reason == "start" and self.watch:
            self._watch()
        self.harvested = harvest_status(self.portals)  # a harvest changes the sources: this runs after it
        self.refresh_results()

    def _tell(self, reason: str, report: IndexReport) -> None:
        if report.problems and reason in ("start", "manual"):
            self.notify(t("tui.notify.problems", n=len(report.problems), first=problem_line(report.problems[0])),
                        severity="warning", timeout=6)
        if reason == "manual":
            self.notify(t("tui.notify.updated", added=report.added, updated=report.updated,
                          removed=report.removed) if changed(report) else t("tui.notify.up_to_date"))
        elif reason in ("watch", "edit") and changed(report):
            self.notify(t("tui.notify.updated", added=report.added, updated=report.updated,
                          removed=report.removed), timeout=3)

    @work(thread=True, group="watch", exit_on_error=False)
    def _watch(self) -> None:
        """Ask for a reindex whenever the sources change, until the app exits."""
        for paths in watch_changes(self.backend.sources, self._stop):
            if self._stop.is_set():
                break
            self.post_message(SourcesChanged(len(paths)))

    def on_sources_changed(self, message: SourcesChanged) -> None:
        if not self._alive():
            return
        self._update_index("watch")


def harvest_status(portals: tuple[Portal, ...]) -> str:
    """When each configured portal was last harvested, from its state file (local time)."""
    parts = []
    for portal in portals:
        when = last_harvested(portal)
        shown = t("harvest.never")
        if when:
            with contextlib.suppress(ValueError):
                shown = datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")
        parts.append(t("tui.status.harvested", name=safe(portal.name), when=shown))
    return " · ".join(parts)
