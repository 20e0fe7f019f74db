"""The health of an index and of its sources: what ``searchkit check`` reports.

Returns data (``CheckReport``); the command line renders it.  Looks for:

- a damaged index: every stored record, term and column is read
  (``index.inspect_index``), so damage is found here rather than by a search;
- notes with problems: the warnings stored in the manifest when they were
  indexed, or, for the ``paths`` given, found by reading the files again now;
- ``[[id]]`` links whose target is no record of the index;
- ids declared by more than one note (the index keeps both, under other ids);
- tags and types written several ways that merge into one facet value
  (``textnorm.facet_key``): ``Open data``, ``open-data``, ``opendata``.

    >>> report = check_index(Path("index"))        # doctest: +SKIP
    >>> report.exit_code                           # 0 healthy, 1 problems, 2 unreadable
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from searchkit.errors import SearchkitError
from searchkit.index import inspect_index
from searchkit.sources.read import read_source
from searchkit.model import Problem
from searchkit.sources.scan import scan
from searchkit.textnorm import facet_key


@dataclass(frozen=True)
class BrokenLink:
    source_id: str  # the record holding the link
    path: str  # its file
    target: str  # the id in [[...]] that no record has


@dataclass(frozen=True)
class DuplicateId:
    id: str
    paths: tuple[str, ...]  # every note declaring it; the first one holds it in the index


@dataclass(frozen=True)
class Spellings:
    facet: str  # "tag" or "type"
    key: str  # the facet value they all become
    spellings: tuple[tuple[str, int], ...]  # (spelling, number of records), most used first


@dataclass(frozen=True)
class CheckReport:
    index: str
    error: str | None = None  # the index cannot be read: nothing else was checked
    records: int = 0
    notes: int = 0
    datasets: int = 0
    manifest: str = "ok"  # "ok", "missing", "behind" (an index run was interrupted or is running)
    reread: tuple[str, ...] = ()  # the paths read again instead of trusting the manifest
    problems: tuple[Problem, ...] = ()
    broken_links: tuple[BrokenLink, ...] = ()
    duplicate_ids: tuple[DuplicateId, ...] = ()
    spellings: tuple[Spellings, ...] = ()

    @property
    def problem_count(self) -> int:
        return len(self.problems) + len(self.broken_links) + len(self.duplicate_ids) + len(self.spellings)

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return 2
        return 1 if self.problem_count else 0

    def to_json(self) -> dict:
        data = asdict(self)
        data["problems"] = [{"path": p.path, "where": p.where, "message": p.message} for p in self.problems]
        data["spellings"] = [
            {"facet": s.facet, "key": s.key, "spellings": [{"label": label, "count": n} for label, n in s.spellings]}
            for s in self.spellings
        ]
        data["healthy"] = self.exit_code == 0
        return data


def check_index(index_dir: Path, paths=(), *, follow_links: bool = False) -> CheckReport:
    """Check the index in ``index_dir``; ``paths`` (files or folders) are read again now."""
    index_dir = Path(index_dir)
    try:
        contents = inspect_index(index_dir)
    except SearchkitError as exc:
        return CheckReport(index=str(index_dir), error=exc.message)
    records = contents.records
    manifest = contents.manifest
    entries = manifest.files if manifest is not None else {}

    problems: list[Problem] = []
    duplicates: dict[str, list[str]] = defaultdict(list)
    reread: list[str] = []
    if paths:
        files, scan_problems = scan(paths, follow_links=follow_links)
        problems.extend(scan_problems)
        for source in files:
            found, file_problems = read_source(source)
            reread.append(source.real)
            problems.extend(file_problems)
            for record in found:
                if record.kind == "note":
                    duplicates[record.id].append(record.path)
    else:
        for path in sorted(entries):
            entry = entries[path]
            for p in entry.get("problems", ()):
                # a duplicate id is listed once, with the notes involved, below
                if isinstance(p, dict) and "message" in p and p.get("kind") != "duplicate_id":
                    problems.append(Problem(str(p.get("path", path)), str(p["message"]), str(p.get("where", ""))))
            for declared, owner in sorted(entry.get("duplicates", {}).items()):
                if owner in entries:
                    if owner not in duplicates[declared]:
                        duplicates[declared].append(owner)
                    duplicates[declared].append(path)
    dup_ids = tuple(
        DuplicateId(ident, tuple(dict.fromkeys(ps)))
        for ident, ps in sorted(duplicates.items()) if len(set(ps)) > 1
    )

    ids = {r.id for r in records}
    broken = tuple(sorted(
        (BrokenLink(r.id, r.path, target) for r in records for target in r.links if target not in ids),
        key=lambda b: (b.path, b.source_id, b.target),
    ))

    spellings: list[Spellings] = []
    for facet, attr in (("tag", "tags"), ("type", "types")):
        seen: dict[str, Counter] = defaultdict(Counter)
        for r in records:
            for value in dict.fromkeys(v.strip() for v in getattr(r, attr)):
                key = facet_key(value)
                if key:
                    seen[key][value] += 1
        for key in sorted(seen):
            if len(seen[key]) > 1:
                ranked = tuple(sorted(seen[key].items(), key=lambda kv: (-kv[1], kv[0])))
                spellings.append(Spellings(facet, key, ranked))

    return CheckReport(
        index=str(index_dir),
        records=len(records),
        notes=sum(1 for r in records if r.kind == "note"),
        datasets=sum(1 for r in records if r.kind == "dataset"),
        manifest=contents.manifest_state,
        reread=tuple(reread),
        problems=tuple(sorted(problems, key=lambda p: (p.path, p.where, p.message))),
        broken_links=broken,
        duplicate_ids=dup_ids,
        spellings=tuple(spellings),
    )
