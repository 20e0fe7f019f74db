"""The app's library of searches: the search history and saved searches.

``LibraryActions`` is a mixin of ``SearchApp``: the actions behind these keys,
their thread workers and the handlers of the messages the workers post back.
It uses the app's state, set up in ``SearchApp.__init__``; its handlers are
named ``on_<message>``, not decorated with ``@on`` (``searchkit.tui.app`` says why).
"""

from __future__ import annotations

from textual import work
from textual.content import Content
from textual.widgets import Input

from searchkit.errors import SearchkitError
from searchkit.messages import t
from searchkit.saved import SavedSearch
from searchkit.tui.events import Failure, SavedCounted
from searchkit.tui.facets import FacetPanel
from searchkit.tui.screens import ChoiceScreen, NameScreen


class LibraryActions:
    """The search history walked with ↑ / ↓, and saved searches, for ``SearchApp``."""

    # ------------------------------------------------------------ search history
    def _remember(self) -> None:
        """The search typed, once the typing paused (the history never holds results)."""
        if self.query_text.strip():
            self.backend.remember(self.query_text, dict(self.filters))

    def _walk_history(self, older: bool) -> None:
        """↑ / ↓ in the search field: the previous / next remembered search (below the newest: empty)."""
        if self._walk is None:
            self._walk = self.backend.past_queries()
            self._walk_at = len(self._walk)
        self._walk_at = max(0, self._walk_at - 1) if older else min(len(self._walk), self._walk_at + 1)
        search = self._q("#search", Input)
        self._walk_value = self._walk[self._walk_at] if self._walk_at < len(self._walk) else ""
        search.value = self._walk_value
        search.cursor_position = len(search.value)
        if self._walk_at >= len(self._walk):
            self._walk = None

    # ------------------------------------------------------------ saved searches
    def action_save_search(self) -> None:
        if not (self.query_text.strip() or any(self.filters.values())):
            self.notify(t("tui.notify.nothing_to_save"), severity="warning")
            return
        self.push_screen(NameScreen(t("tui.name.title"), self.query_text.strip()[:60]), self._save_named)

    def _save_named(self, name: str | None) -> None:
        if name is None:
            return
        labels = self._q(FacetPanel).labels
        filters = {k: [labels.get((k, v), v) for v in vs] for k, vs in self.filters.items() if vs}
        try:
            replaced = self.backend.save_search(SavedSearch(name, self.query_text.strip(), filters, None, self.sort))
        except SearchkitError as exc:
            self.notify(exc.message, severity="error", timeout=8)
            return
        self.notify(t("tui.notify.replaced" if replaced else "tui.notify.saved", name=name), timeout=3)

    def action_saved_searches(self) -> None:
        self._count_saved()

    @work(thread=True, group="saved", exclusive=True, exit_on_error=False)
    def _count_saved(self) -> None:
        try:
            counted = self.backend.saved_searches()
        except SearchkitError as exc:
            self.post_message(Failure(exc.message))
            return
        self.post_message(SavedCounted(counted))

    def on_saved_counted(self, message: SavedCounted) -> None:
        if not self._alive():
            return
        choices = [(s.name, Content.assemble((s.name, "bold"), "  ", (t("tui.saved.new", n=n), "bold" if n else "dim"),
                                             "\n", (s.describe(), "dim")))
                   for s, n in message.counted]
        self.push_screen(ChoiceScreen(t("tui.saved.title"), choices, t("tui.saved.empty")), self._saved_chosen)

    def _saved_chosen(self, name: str | None) -> None:
        if name is None:
            return
        try:
            search = self.backend.run_saved(name)
        except SearchkitError as exc:
            self.notify(exc.message, severity="error", timeout=8)
            return
        self.sort = search.sort
        self.filters = self._q(FacetPanel).select(search.filters)
        box = self._q("#search", Input)
        box.value = search.query
        box.cursor_position = len(search.query)
        self.query_text = search.query
        self.refresh_results()
