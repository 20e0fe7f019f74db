"""Related records: do the records a note links to come up among its related ones?

    python -m evaluation.related                      # $SEARCHKIT_CORPUS/notes-ods
    python -m evaluation.related --notes notes/ --top 5

Indexes the notes into a temporary folder, then for every note that links to
other indexed notes asks ``searchkit.related.related(engine, id, top)`` with the
links left out (words and tags alone: with them, every link target would be
found by construction) and counts how many of the link targets are among the
``top``.  Chance is what ``top`` records drawn at random among the other
records would find: ``top / (records - 1)`` of the targets.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from searchkit.index import update_index
from searchkit.query import Engine
from searchkit.related import Vocabulary, related

CORPUS = Path(os.environ.get("SEARCHKIT_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))


def evaluate(index_dir: Path, top: int, sample: int | None = None) -> dict:
    """The figures; ``sample``: only the first that many notes (by title) are asked (the test's quick run)."""
    engine = Engine(index_dir)
    vocabulary = Vocabulary(engine)
    ids = [h.id for h in engine.search("", limit=10_000, facets=(), kind="note").hits]
    known = set(ids)
    notes = targets = found = notes_with_one = 0
    started = time.perf_counter()
    for record_id in ids[:sample]:
        record = engine.get(record_id)
        linked = {i for i in record.links if i in known and i != record_id}
        if not linked:
            continue
        shown = {r.id for r in related(engine, record_id, top, links=False, vocabulary=vocabulary)}
        notes += 1
        targets += len(linked)
        found += len(linked & shown)
        notes_with_one += bool(linked & shown)
    seconds = time.perf_counter() - started
    engine.close()
    chance = top / max(1, len(ids) - 1)
    return {"records": len(ids), "notes_with_links": notes, "targets": targets, "found": found,
            "recall": found / targets if targets else 0.0, "chance": chance,
            "notes_with_a_target": notes_with_one, "ms_per_note": 1000 * seconds / max(1, notes)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=Path, default=CORPUS / "notes-ods")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)
    if not args.notes.is_dir():
        print(f"no notes folder at {args.notes}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        update_index(Path(tmp) / "index", (args.notes,))
        r = evaluate(Path(tmp) / "index", args.top)
    print(f"{r['records']} notes, {r['notes_with_links']} link to other notes ({r['targets']} link targets)")
    print(f"link targets among the top {args.top} related (words and tags, links left out): "
          f"{r['found']}/{r['targets']} = {r['recall']:.1%}; chance {r['chance']:.1%} "
          f"({r['recall'] / r['chance']:.1f}x)")
    print(f"notes with at least one target in their top {args.top}: {r['notes_with_a_target']}/{r['notes_with_links']}")
    print(f"{r['ms_per_note']:.0f} ms per note")
    return 0


if __name__ == "__main__":
    sys.exit(main())
