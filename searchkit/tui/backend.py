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
from pathlib import Path

from searchkit.index import update_index
from searchkit.model import DATASET_FACETS, NOTE_FACETS, IndexReport, Results
from searchkit.query import Engine
from searchkit.query.records import RecordView

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
        """Results of ``text`` (last word as a prefix); an empty text lists everything by title."""
        with self._read:
            return self.engine.search(text, filters={k: v for k, v in filters.items() if v}, sort=sort,
                                      limit=limit, facets=facets, facet_top=0, prefix_last=True)

    def view(self, record_id: str) -> RecordView | None:
        with self._read:
            return self.engine.view(record_id)

    # -- writing
    def update(self, progress=None) -> IndexReport:
        """Bring the index up to date with the sources (incremental; one writer at a time)."""
        with self._write:
            return update_index(self.index_dir, self.sources, progress=progress)

    def close(self) -> None:
        with self._read:
            self.engine.close()


def changed(report: IndexReport) -> int:
    return report.added + report.updated + report.removed + report.moved
