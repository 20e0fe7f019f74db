"""Messages the app's thread workers post back to it (``post_message`` is thread-safe)."""

from __future__ import annotations

from textual.message import Message

from searchkit.model import IndexReport, Results
from searchkit.query.records import RecordView
from searchkit.related import Related
from searchkit.saved import SavedSearch


class SearchDone(Message):
    """A search's results; ``first_page``: only the first hits, the rest follows."""

    def __init__(self, token: int, results: Results, first_page: bool = False) -> None:
        super().__init__()
        self.token, self.results, self.first_page = token, results, first_page


class ViewLoaded(Message):
    def __init__(self, token: int, record_id: str, view: RecordView | None) -> None:
        super().__init__()
        self.token, self.record_id, self.view = token, record_id, view


class IndexProgress(Message):
    def __init__(self, done: int, total: int, path: str) -> None:
        super().__init__()
        self.done, self.total, self.path = done, total, path


class IndexDone(Message):
    def __init__(self, reason: str, report: IndexReport | None, facet_names: tuple[str, ...] | None) -> None:
        super().__init__()
        self.reason, self.report, self.facet_names = reason, report, facet_names


class SourcesChanged(Message):
    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count


class Failure(Message):
    def __init__(self, text: str, severity: str = "error") -> None:
        super().__init__()
        self.text, self.severity = text, severity


class RelatedFound(Message):
    def __init__(self, title: str, found: list[Related]) -> None:
        super().__init__()
        self.title, self.found = title, found


class SavedCounted(Message):
    def __init__(self, counted: list[tuple[SavedSearch, int]]) -> None:
        super().__init__()
        self.counted = counted
