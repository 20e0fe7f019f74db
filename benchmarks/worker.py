"""Child processes whose peak memory the benchmark measures (see measure.run).

    python benchmarks/worker.py sk-queries INDEX QUERIES.json     # one warm Engine, every query, facets type+tag
    python benchmarks/worker.py fts5-queries DB QUERIES.json      # the same on FTS5
    python benchmarks/worker.py fts5-records DB SOURCES...        # FTS5 fed by searchkit's catalogue readers
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import BenchQuery  # noqa: E402


def main(argv: list[str]) -> int:
    cmd = argv[0]
    started = time.perf_counter()
    if cmd == "sk-queries":
        from searchkit.query import Engine

        engine = Engine(Path(argv[1]))
        queries = [BenchQuery.from_json(q) for q in json.loads(Path(argv[2]).read_text("utf-8"))]
        total = 0
        for q in queries:
            total += engine.search(q.text, filters=q.filters, limit=10, facets=("type", "tag")).total
        print(json.dumps({"queries": len(queries), "seconds": time.perf_counter() - started, "total": total}))
        return 0
    if cmd == "fts5-queries":
        import fts5

        conn = sqlite3.connect(argv[1])
        queries = [BenchQuery.from_json(q) for q in json.loads(Path(argv[2]).read_text("utf-8"))]
        total = 0
        for q in queries:
            total += fts5.search(conn, q.kind, q.words, q.filters)["total"]
        print(json.dumps({"queries": len(queries), "seconds": time.perf_counter() - started, "total": total}))
        return 0
    if cmd == "fts5-records":
        import fts5
        from searchkit.sources.scan import scan
        from searchkit.sources.read import read_source

        conn = fts5.connect(Path(argv[1]))
        files, _ = scan([Path(p) for p in argv[2:]])
        n = 0
        for source in files:
            records, _ = read_source(source)
            n += fts5.insert_records(conn, records)
        conn.close()
        print(json.dumps({"records": n, "seconds": time.perf_counter() - started}))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
