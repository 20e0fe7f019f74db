"""The terminal app: search as you type, facets, preview, links, live reindex.

``create_app`` builds it for the command line and for the tests; ``run`` is
what ``searchkit`` / ``searchkit tui`` call.  Everything slow runs in thread
workers and comes back as a message; a failure becomes a notification.

``SearchApp`` holds the state, the layout, searching, the preview and moving
around; three mixins hold the rest by role: ``records.RecordActions`` (cite,
related records, copy a path, open a link, edit), ``library.LibraryActions``
(the search history, saved searches) and ``indexing.IndexingActions`` (index
updates and the watcher).  The mixins name their message handlers
``on_<message>`` instead of decorating them with ``@on``: Textual collects
``@on`` handlers only on classes built by its own metaclass, and a mixin is a
plain class.

    >>> app = create_app(Path("index"), (Path("notes"),), watch=False)   # doctest: +SKIP
    >>> app.run()                                                         # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import gc
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from searchkit.config import Portal, settings
from searchkit.display import safe
from searchkit.errors import SearchkitError
from searchkit.messages import t
from searchkit.model import NOTE_FACETS, SORTS, Results
from searchkit.query.records import RecordView
from searchkit.tui.backend import HIT_LIMIT, Backend
from searchkit.tui.events import Failure, SearchDone, ViewLoaded
from searchkit.tui.facets import FacetPanel
from searchkit.tui.indexing import SHOW_PROGRESS_AFTER, IndexingActions
from searchkit.tui.keys import HELP_KEYS, KEY_DISPLAY, KEYS, MODAL_ACTIONS, PALETTE
from searchkit.tui.library import LibraryActions
from searchkit.tui.preview import Preview
from searchkit.tui.records import RecordActions
from searchkit.tui.render import display_path
from searchkit.tui.results import EmptyState, ResultList, empty_text, status_text
from searchkit.tui.screens import HelpScreen

DEBOUNCE = 0.15  # seconds of quiet typing before a search
FIRST_PAGE = 15  # hits shown first, before the rest of the list (a screenful)
IDLE_COLLECT = 2.0  # seconds without new results before the collector's full pass (``_collect_when_idle``)
HISTORY_PAUSE = 1.0  # seconds of quiet typing before a search is remembered in the history


class SearchApp(RecordActions, LibraryActions, IndexingActions, App[int]):
    """searchkit's terminal app (build it with ``create_app``)."""

    CSS_PATH = "app.tcss"
    TITLE = "searchkit"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(self, backend: Backend, *, watch: bool = True, show_timing: bool = True,
                 open_url: Callable[[str], None] | None = None, portals: tuple[Portal, ...] = ()) -> None:
        super().__init__()
        self.backend = backend
        self.portals = portals  # configured portals: the status line says when each was last harvested
        self.harvested = ""
        self.watch = watch
        self.show_timing = show_timing
        self._open_url = open_url
        for keys, action, description, show in KEYS:
            self.bind(keys, action, description=t(description), show=show,
                      key_display=KEY_DISPLAY.get(keys.split(",")[0]))
        self.query_text = ""
        self.filters: dict[str, list[str]] = {}
        self.sort = SORTS[0]
        self.facet_names: tuple[str, ...] = NOTE_FACETS
        self.results: Results | None = None
        self.view: RecordView | None = None
        self.history: list[tuple[str, str]] = []  # (id, title) of the records before this one
        self.search_count = 0  # finished searches shown (tests wait on it)
        self.pages_shown = 0  # lists shown, counting a first page shown before the rest of its list
        self._first_page_of: int | None = None  # the search whose first page is on screen, its rest to come
        self.index_runs = 0  # finished index updates (tests wait on it)
        self._search_token = 0
        self._view_token = 0
        self._picked: str | None = None
        self._shown_key: tuple | None = None  # (query, filters, sort) of the hits on screen
        self._debounce = None
        self._collect_timer = None
        self._gc_threshold = gc.get_threshold()
        self._remember_timer = None
        self._walk: list[str] | None = None  # the past queries while ↑ / ↓ walk them in the search field
        self._walk_at = 0
        self._walk_value = ""
        self._indexing = 0
        self._stop = threading.Event()

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Input(placeholder=t("tui.search.placeholder"), id="search")
        with Horizontal(id="body", classes="-empty"):
            yield ResultList(id="results")
            yield EmptyState("", id="empty")
            yield Preview(id="preview")
            yield FacetPanel(id="facets")
        yield Static(t("tui.status.indexing"), id="status")
        yield Footer()

    def on_mount(self) -> None:
        self._q("#search", Input).focus()
        self._update_index("start")
        self.set_timer(SHOW_PROGRESS_AFTER, self._show_progress_if_slow)

    def exit(self, *args, **kwargs) -> None:
        self._stop.set()  # the watcher stops within half a second
        super().exit(*args, **kwargs)

    def on_unmount(self) -> None:
        self._stop.set()
        self.backend.close()
        gc.collect()  # now, while the app still holds the terminal (a finalizer may print)
        gc.set_threshold(*self._gc_threshold)  # the process may go on (tests, an embedding program)

    @property
    def main_screen(self) -> Screen:
        """The search screen, under any help, progress or palette screen (queries go there)."""
        return self.screen_stack[0]

    def _q(self, selector, expect_type=None):
        return self.main_screen.query_one(selector, expect_type)

    def _alive(self) -> bool:
        """False once the app is closing: late worker messages are then dropped."""
        try:
            return not self._stop.is_set() and bool(self.screen_stack) and bool(self.main_screen.query(Preview))
        except NoMatches:
            return False

    def notify(self, message: str, **kwargs) -> None:
        """Every notification as plain, safe text: it may quote a title, a path or a link."""
        kwargs["markup"] = False
        super().notify(safe(message, newlines=True), **kwargs)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if isinstance(self.screen, ModalScreen) and action not in MODAL_ACTIONS:
            return False
        return True

    # ------------------------------------------------------------ searching
    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        if event.value == "?":  # typed in the empty field: the help, as the footer promises
            event.input.value = ""
            self.action_help()
            return
        walked = self._walk is not None and event.value == self._walk_value
        if not walked:
            self._walk = None  # typing ends the walk through the history
        self.query_text = event.value
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE, self.refresh_results)
        if self._remember_timer is not None:
            self._remember_timer.stop()
        if not walked:  # a search taken back from the history is not remembered again
            self._remember_timer = self.set_timer(HISTORY_PAUSE, self._remember)

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._q(ResultList).hits:
            self._q(ResultList).focus()
        elif self.results is not None and self.results.suggestions and self.results.query == self.query_text:
            self.action_suggest(self.results.suggestions[0])  # "did you mean", from the keyboard

    def refresh_results(self) -> None:
        """Search again with the current text, filters and sort (newest wins)."""
        self._search_token += 1
        self._search(self._search_token, self.query_text, dict(self.filters), self.sort, self.facet_names)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, token: int, text: str, filters: dict, sort: str, facets: tuple[str, ...]) -> None:
        """The first screenful of hits as soon as it is found, then the rest of the list
        (the same ranking: the first hits of the longer list are the same hits)."""
        worker = get_current_worker()
        try:
            results = self.backend.search(text, filters, sort, facets=facets, limit=FIRST_PAGE)
            if len(results.hits) < min(results.total, HIT_LIMIT) and not worker.is_cancelled:
                self.post_message(SearchDone(token, results, first_page=True))
                rest = self.backend.search(text, filters, sort, facets=(), limit=HIT_LIMIT)
                results = replace(rest, facets=results.facets, took_ms=results.took_ms)
        except SearchkitError as exc:
            self.post_message(Failure(exc.message))
            return
        if not worker.is_cancelled:
            self.post_message(SearchDone(token, results))

    @on(SearchDone)
    def _show_results(self, message: SearchDone) -> None:
        if not self._alive():
            return
        if message.token != self._search_token:
            return
        results = self.results = message.results
        key = (results.query, repr(sorted(self.filters.items())), self.sort)
        rest = not message.first_page and message.token == self._first_page_of
        self._first_page_of = message.token if message.first_page else None
        if not rest:  # the rest of a list shown already has the same facets and empty state
            body = self._q("#body")
            body.set_class(not results.hits, "-empty")
            facets = self._q(FacetPanel)
            facets.show(results.facets, self.facet_names)
            self._q(EmptyState).update(empty_text(results, self.filters, facets.labels,
                                                  ", ".join(display_path(s) for s in self.backend.sources)))
        self._q("#status", Static).update(
            status_text(results, self.sort, sum(len(v) for v in self.filters.values()), self.show_timing)
            + (" · " + self.harvested if self.harvested else ""))
        self._q(ResultList).show(results.hits, keep=key == self._shown_key, announce=not rest)
        self._shown_key = key
        self.pages_shown += 1
        if not message.first_page:
            self.search_count += 1
            self._collect_when_idle()

    def _collect_when_idle(self) -> None:
        """The collector's full passes scan every object of the app and of the index's caches
        and held the screen up to 70 ms, one keystroke in twenty: from the first results on, the
        automatic full passes are off, and one runs once the app has been idle ``IDLE_COLLECT``
        seconds after the last results.  (``gc.freeze`` of what exists then halved them too, but
        Textual's cancelled Markdown updates then reported never-retrieved futures at exit.)"""
        if self.search_count == 1:
            gen0, gen1, _ = gc.get_threshold()
            gc.set_threshold(gen0, gen1, 1_000_000)
        if self._collect_timer is not None:
            self._collect_timer.stop()
        self._collect_timer = self.set_timer(IDLE_COLLECT, lambda: gc.collect(2))

    @on(FacetPanel.Changed)
    def _filters_changed(self, message: FacetPanel.Changed) -> None:
        self.filters = message.filters
        self.refresh_results()

    def action_suggest(self, word: str) -> None:
        """Replace the query word closest to ``word`` (a "did you mean" click)."""
        words = self.query_text.split()
        close = difflib.get_close_matches(word, words, n=1, cutoff=0.0)
        new = " ".join(word if w == close[0] else w for w in words) if close else word
        search = self._q("#search", Input)
        search.value = new
        search.cursor_position = len(new)
        search.focus()

    # ------------------------------------------------------------ preview
    @on(ResultList.Picked)
    def _picked_hit(self, message: ResultList.Picked) -> None:
        hit = message.hit
        if hit is None:
            self._picked = None
            if not self.history:
                self.view = None
                self._q(Preview).show(None)
            return
        if hit.id == self._picked and self.view is not None:
            self.load_view(self.view.record.id)  # same selection after a refresh: reload what is shown
            return
        self._picked = hit.id
        self.history.clear()
        self.load_view(hit.id)

    @on(ResultList.Opened)
    def _opened(self, message: ResultList.Opened) -> None:
        self.main_screen.add_class("-preview-open")
        self._q(Preview).focus()

    def load_view(self, record_id: str) -> None:
        self._view_token += 1
        self._load_view(self._view_token, record_id)

    @work(thread=True, exclusive=True, group="view", exit_on_error=False)
    def _load_view(self, token: int, record_id: str) -> None:
        try:
            view = self.backend.view(record_id)
        except SearchkitError as exc:
            self.post_message(Failure(exc.message))
            return
        self.post_message(ViewLoaded(token, record_id, view))

    @on(ViewLoaded)
    def _view_loaded(self, message: ViewLoaded) -> None:
        if not self._alive():
            return
        if message.token != self._view_token:
            return
        self.view = message.view
        back_to = self.history[-1][1] if self.history else None
        try:
            self._q(Preview).show(message.view, back_to, gone=message.view is None)
        except NoMatches:  # the preview's parts are gone: the app closed while the record was read
            return

    @on(Preview.Follow)
    def _follow(self, message: Preview.Follow) -> None:
        if self.view is not None:
            if message.record_id == self.view.record.id:
                return
            self.history.append((self.view.record.id, self.view.record.title or self.view.record.id))
        self.load_view(message.record_id)

    @on(Preview.OpenUrl)
    def _open_url_message(self, message: Preview.OpenUrl) -> None:
        self._browse(message.url)

    def action_back(self) -> None:
        if not self.history:
            self.notify(t("tui.notify.history_empty"), timeout=2)
            return
        record_id, _ = self.history.pop()
        self.load_view(record_id)

    def action_close_preview(self) -> None:
        screen = self.main_screen
        results = self._q(ResultList)
        if screen.has_class("-preview-open"):
            screen.remove_class("-preview-open")
            results.focus()
        elif self.focused is results or not results.hits:
            self._q("#search", Input).focus()
        else:
            results.focus()

    # ------------------------------------------------------------ keys
    def action_focus_search(self) -> None:
        self.main_screen.remove_class("-preview-open")
        self._q("#search", Input).focus()

    def _move(self, down: bool) -> None:
        focused = self.focused
        if isinstance(focused, Input) and focused.id == "search":
            if self._walk is not None or (not down and not focused.value):
                self._walk_history(older=not down)
            elif down and self._q(ResultList).hits:
                self._q(ResultList).focus()
            return
        for name in (("action_cursor_down", "action_scroll_down") if down else ("action_cursor_up", "action_scroll_up")):
            method = getattr(focused, name, None)
            if method is not None:
                method()
                return

    def action_down(self) -> None:
        self._move(True)

    def action_up(self) -> None:
        self._move(False)

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.refresh_results()

    def action_clear_filters(self) -> None:
        if self._q(FacetPanel).clear():
            self.filters = {}
            self.refresh_results()
            self.notify(t("tui.notify.filters_cleared"), timeout=2)
        else:
            self.notify(t("tui.notify.no_filters"), timeout=2)

    def action_help(self) -> None:
        self.push_screen(HelpScreen([(keys, t(key)) for keys, key in HELP_KEYS]))

    def action_quit(self) -> None:  # type: ignore[override]
        self.exit(0)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_key, action in PALETTE:
            yield SystemCommand(t(title), t(help_key), getattr(self, f"action_{action}"))

    # ------------------------------------------------------------ failures
    @on(Failure)
    def _failure(self, message: Failure) -> None:
        self.notify(message.text, severity=message.severity, timeout=8)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(t("tui.notify.unexpected", error=f"{type(error).__name__}: {error}"),
                        severity="error", timeout=10)


def create_app(index_dir: Path, sources: tuple[Path, ...], *, watch: bool = True, show_timing: bool = True,
               open_url: Callable[[str], None] | None = None, portals: tuple[Portal, ...] = ()) -> SearchApp:
    """The app on ``index_dir``, indexing ``sources`` when it starts.

    ``watch``: reindex live when the sources change; ``show_timing``: show the
    search time in the status line (off for stable snapshots); ``open_url``:
    what opens links (default: the browser, through Textual's driver); ``portals``:
    the configured portals whose last harvest the status line shows.
    """
    return SearchApp(Backend(Path(index_dir), tuple(Path(s) for s in sources)), watch=watch,
                     show_timing=show_timing, open_url=open_url, portals=portals)


def run(index_dir: Path, sources: tuple[Path, ...]) -> int:
    """Open the app; the exit status for the command line."""
    app = create_app(index_dir, sources, portals=settings().portals)
    result = app.run()
    return int(result or app.return_code or 0)
