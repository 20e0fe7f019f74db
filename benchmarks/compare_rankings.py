"""Top 10, totals, facet counts and snippets of two searchkit trees on the same index and queries.

    git archive OLD_COMMIT | tar -x -C /tmp/old-tree
    python benchmarks/compare_rankings.py --old-tree /tmp/old-tree --index IDX --queries Q.json

``Q.json`` is a list of {"text": ..., "filters": {...}} (the benchmark's queries:
``corpus.queries_for``; ``--notes N`` generates the benchmark's N-note query set
instead).  Each tree runs in its own process (``PYTHONPATH``); the report lists
the queries whose top 10, total or facets differ.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

DUMP = """
import json, sys
from pathlib import Path
from searchkit.query import Engine
engine = Engine(Path(sys.argv[1]))
out = []
for q in json.load(open(sys.argv[2], encoding="utf-8")):
    r = engine.search(q["text"], filters=q.get("filters") or None, limit=10, facets=("type", "tag"))
    out.append({"text": q["text"], "filters": q.get("filters"), "total": r.total, "top": [h.id for h in r.hits],
                "scores": [h.score for h in r.hits], "snippets": [[h.snippet, h.marks] for h in r.hits],
                "facets": {k: [[v.value, v.count] for v in vs] for k, vs in r.facets.items()}})
json.dump(out, open(sys.argv[3], "w", encoding="utf-8"), ensure_ascii=False)
"""


def dump(tree: Path, index: Path, queries: Path, out: Path) -> list[dict]:
    # -P: the current folder is not put first on the path (run from a checkout, it would be
    # the searchkit imported, whatever PYTHONPATH says)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = "import searchkit, sys; assert searchkit.__file__.startswith(sys.argv[1]), searchkit.__file__"
    subprocess.run([sys.executable, "-P", "-c", code, str(Path(tree).resolve())], env=env, check=True)
    subprocess.run([sys.executable, "-P", "-c", DUMP, str(index), str(queries), str(out)], env=env, check=True)
    return json.loads(out.read_text("utf-8"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old-tree", type=Path, required=True, help="a checkout of the reference commit")
    ap.add_argument("--new-tree", type=Path, default=REPO)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--queries", type=Path, help="JSON list of queries")
    ap.add_argument("--notes", type=int, default=0, help="the benchmark's queries for a generated corpus of N notes")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        queries = args.queries
        if queries is None:
            sys.path.insert(0, str(HERE))
            import corpus

            info = corpus.generate(args.notes, work / "notes")
            queries = work / "queries.json"
            queries.write_text(json.dumps([q.to_json() for q in corpus.queries_for(info, 300, seed=20240601)],
                                          ensure_ascii=False), "utf-8")
        old = dump(args.old_tree, args.index, queries, work / "old.json")
        new = dump(args.new_tree, args.index, queries, work / "new.json")
    differ = [(a, b) for a, b in zip(old, new) if (a["top"], a["total"], a["facets"]) != (b["top"], b["total"], b["facets"])]
    print(f"identical top 10, total and facets: {len(old) - len(differ)}/{len(old)}")
    snippets = sum(a["snippets"] != b["snippets"] for a, b in zip(old, new) if a["top"] == b["top"])
    print(f"same top 10 with other snippets or marks: {snippets}")
    rescored = sum(a["scores"] != b["scores"] for a, b in zip(old, new) if a["top"] == b["top"])
    print(f"same top 10 with other scores (bit for bit): {rescored}")
    for a, b in differ:
        print(f"- {a['text']!r} {a['filters'] or ''}: total {a['total']} -> {b['total']}")
        if a["top"] != b["top"]:
            print("    old", list(zip(a["top"], a["scores"])))
            print("    new", list(zip(b["top"], b["scores"])))
        if a["facets"] != b["facets"]:
            print("    facets differ")
    return 1 if differ or snippets else 0


if __name__ == "__main__":
    sys.exit(main())
