"""The core as the app uses it: one Engine behind a lock, one index writer at a time.

Workers run in threads; this keeps two of them from using the Engine's
searcher at the same moment, and the live reindex, the editor round trip and
``r`` from colliding on the index lock.  No Textual here: plain functions the
app calls from its thread workers.

    >>> backend = Backend(Path("index"), (Path("notes"),))      # doctest: +SKIP
    >>> backend.update()                                          # doctest: +SKIP
    >>> backend.search("données ouv", {}, "relevance").total      # doctest: +SKIP
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from searchkit import history, saved
from searchkit.display import safe, safe_record, safe_results
from searchkit.index import update_index
from searchkit.model import DATASET_FACETS, NOTE_FACETS, IndexReport, Record, Results
from searchkit.query import Engine
from searchkit.query.records import RecordView
from searchkit.related import Related, related

HIT_LIMIT = 50


class Backend:
    """The index folder and sources of one app, and the Engine that reads them."""

    def __init__(self, index_dir: Path, sources: tuple[Path, ...]):
        self.index_dir = Path(index_dir)
        self.sources = tuple(Path(s) for s in sources)
        self.engine = Engine(self.index_dir)
        self._read = threading.Lock()
        self._write = threading.Lock()

    # -- reading
    def facet_names(self) -> tuple[str, ...]:
        """Type and tag, plus the dataset facets when the index has datasets."""
        with self._read:
            res = self.engine.search("", limit=0, facets=DATASET_FACETS, facet_top=1)
        return NOTE_FACETS + tuple(name for name in DATASET_FACETS if res.facets.get(name))

    def search(self, text: str, filters: dict[str, list[str]], sort: str, *,
               facets: tuple[str, ...] = NOTE_FACETS, limit: int = HIT_LIMIT) -> Results:
        """Results of ``text`` (last word as a prefix); an empty text lists everything by title.
        Their text is made safe for the screen here, once for every widget (``display``)."""
        with self._read:
            results = self.engine.search(text, filters={k: v for k, v in filters.items() if v}, sort=sort,
                                         limit=limit, facets=facets, facet_top=0, prefix_last=True)
        return safe_results(results)

    def view(self, record_id: str) -> RecordView | None:
        with self._read:
            view = self.engine.view(record_id)
        return safe_view(view) if view is not None else None

    def record(self, record_id: str) -> Record | None:
        with self._read:
            return self.engine.get(record_id)

    def related(self, record_id: str) -> list[Related]:
        with self._read:
            return related(self.engine, record_id)

    # -- saved searches and history (SearchkitError when saved.toml is broken)
    def saved_searches(self) -> list[tuple[saved.SavedSearch, int]]:
        """Each saved search with its count of new records (a peek: the searches are not marked as run)."""
        searches = saved.load()
        with self._read:
            return [(s, len(saved.run(self.engine, s, remember=False).new)) for s in searches.values()]

    def run_saved(self, name: str) -> saved.SavedSearch:
        """Mark the saved search ``name`` as run now (the app then shows it) and return it."""
        search = saved.get(name)
        with self._read:
            saved.run(self.engine, search)
        return search

    @staticmethod
    def save_search(search: saved.SavedSearch) -> bool:
        return saved.add(search)

    @staticmethod
    def remember(text: str, filters: dict[str, list[str]]) -> bool:
        return history.remember(text, filters, origin="app")

    @staticmethod
    def past_queries() -> list[str]:
        """The remembered query texts, oldest first, each once (its latest use)."""
        texts = [e.query for e in history.entries() if e.query]
        return list(reversed(dict.fromkeys(reversed(texts))))

    # -- writing
    def update(self, progress=None) -> IndexReport:
        """Bring the index up to date with the sources (incremental; one writer at a time)."""
        with self._write:
            return update_index(self.index_dir, self.sources, progress=progress)

    def close(self) -> None:
        with self._read:
            self.engine.close()


def safe_view(view: RecordView) -> RecordView:
    """The preview's record and the titles of its links, safe for the screen (ids kept: they are followed)."""
    def titles(items):
        return tuple(replace(it, title=safe(it.title) if it.title is not None else None) for it in items)

    return RecordView(safe_record(view.record), titles(view.links), titles(view.backlinks))


def changed(report: IndexReport) -> int:
    return report.added + report.updated + report.removed + report.moved
