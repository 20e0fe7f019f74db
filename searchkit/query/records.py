"""A record as the preview shows it: the record, its outgoing links and its backlinks."""

from __future__ import annotations

from dataclasses import dataclass

from searchkit.model import Record


@dataclass(frozen=True)
class Linked:
    """One entry of the preview's link lists: ``title`` is None when the id is unknown."""

    id: str
    title: str | None


@dataclass(frozen=True)
class RecordView:
    """What the preview shows: the record, its outgoing links and its backlinks."""

    record: Record
    links: tuple[Linked, ...]
    backlinks: tuple[Linked, ...]
