"""The baseline: the same notes in SQLite FTS5, as a lean single-file tool would do it.

One FTS5 table (``unicode61 remove_diacritics 2``: accents folded, no stemming,
no synonyms, no typo tolerance), a ``facets(doc, facet, key)`` table with
normalised keys for the GROUP BY facet counts and the filters, and a
``files(path, size, mtime_ns)`` table so that an update re-reads only the files
whose size or mtime changed (the same rule as searchkit's manifest).

Front matter is parsed with PyYAML's C loader when available (what a
performance-minded tool would use).

    python benchmarks/fts5.py index DB NOTES_DIR      # build or update
    python benchmarks/fts5.py query DB words...       # one search, 10 hits + facets
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import unicodedata
from pathlib import Path

import yaml

try:
    _LOADER = yaml.CSafeLoader
except AttributeError:  # PyYAML without libyaml
    _LOADER = yaml.SafeLoader

_FENCE = re.compile(r"\A\ufeff?-{3,4}[ \t]*\r?\n(.*?)\r?\n-{3,4}[ \t]*(?:\r?\n|\Z)", re.DOTALL)
COLUMNS = ("id", "title", "tags", "summary", "body", "meta", "path")
BM25 = "bm25(notes, 0, 4.0, 3.0, 2.0, 1.0, 0.7, 0)"  # the boosts searchkit uses
ALIASES = {
    "title": "title", "titre": "title", "id": "id", "tags": "tags", "tag": "tags", "types": "types",
    "type": "types", "kesako": "summary", "kezako": "summary", "short": "summary", "link": "url", "links": "url",
}

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS notes USING fts5(
    id UNINDEXED, title, tags, summary, body, meta, path UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS facets(doc INTEGER NOT NULL, facet TEXT NOT NULL, key TEXT NOT NULL, label TEXT);
CREATE INDEX IF NOT EXISTS facets_by_key ON facets(facet, key, doc);
CREATE INDEX IF NOT EXISTS facets_by_doc ON facets(doc, facet, key);
CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, doc INTEGER);
"""


def key(value: str) -> str:
    """Facet key: accents folded, case folded, spaces collapsed (as searchkit's facet_key)."""
    value = unicodedata.normalize("NFKD", value.replace("’", "'").replace("/", "'"))
    value = "".join(c for c in value if not unicodedata.combining(c)).casefold()
    return " ".join(value.split())


def _values(v) -> list[str]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [str(x).strip() for x in v if x is not None and str(x).strip()]
    return [x.strip() for x in str(v).split(",") if x.strip()]


def read_note(path: Path) -> dict:
    text = path.read_text("utf-8", errors="replace")
    fm: dict = {}
    body = text
    m = _FENCE.match(text)
    if m:
        try:
            data = yaml.load(m.group(1), Loader=_LOADER)
            fm = data if isinstance(data, dict) else {}
        except yaml.YAMLError:
            fm = {}
        body = text[m.end():]
    fields: dict = {}
    meta = []
    for k, v in fm.items():
        name = ALIASES.get(str(k).strip().lower())
        if name and name not in fields:
            fields[name] = v
        elif v is not None and not isinstance(v, (dict, list)):
            meta.append(str(v))
    types = [t for t in _values(fields.get("types")) if t.lower() != "undefined"]
    return {
        "id": str(fields.get("id") or path.name),
        "title": str(fields.get("title") or path.stem),
        "tags": _values(fields.get("tags")),
        "types": types,
        "summary": " ".join(_values(fields.get("summary"))),
        "body": body,
        "meta": " ; ".join(meta + types + _values(fields.get("url"))),
        "path": str(path),
    }


def connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db))
    conn.executescript(SCHEMA)
    return conn


def _insert(conn: sqlite3.Connection, rec: dict) -> int:
    cur = conn.execute("INSERT INTO notes(id, title, tags, summary, body, meta, path) VALUES (?,?,?,?,?,?,?)",
                       (rec["id"], rec["title"], " ; ".join(rec["tags"]), rec["summary"], rec["body"],
                        rec["meta"], rec["path"]))
    doc = cur.lastrowid
    rows = [(doc, "tag", key(t), t) for t in dict.fromkeys(rec["tags"])]
    rows += [(doc, "type", key(t), t) for t in dict.fromkeys(rec["types"])]
    conn.executemany("INSERT INTO facets(doc, facet, key, label) VALUES (?,?,?,?)", rows)
    return doc


def insert_records(conn: sqlite3.Connection, records) -> int:
    """Records from searchkit's readers (datasets): the engine part only."""
    n = 0
    with conn:
        for r in records:
            doc = _insert(conn, {"id": r.id, "title": r.title, "tags": list(r.tags), "types": list(r.types),
                                 "summary": r.summary, "body": r.body,
                                 "meta": " ; ".join(filter(None, (r.publisher, r.spatial, r.url))), "path": r.path})
            n += 1
    return n


def update(db: Path, folder: Path) -> dict:
    """Build or bring up to date: stat every note, re-read the changed ones."""
    conn = connect(db)
    known = {p: (s, m, d) for p, s, m, d in conn.execute("SELECT path, size, mtime_ns, doc FROM files")}
    seen = set()
    changed = 0
    with conn:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if not name.endswith(".md") or name.startswith("."):
                    continue
                path = os.path.join(dirpath, name)
                st = os.stat(path)
                seen.add(path)
                old = known.get(path)
                if old and old[0] == st.st_size and old[1] == st.st_mtime_ns:
                    continue
                if old:
                    conn.execute("DELETE FROM notes WHERE rowid = ?", (old[2],))
                    conn.execute("DELETE FROM facets WHERE doc = ?", (old[2],))
                doc = _insert(conn, read_note(Path(path)))
                conn.execute("INSERT OR REPLACE INTO files VALUES (?,?,?,?)", (path, st.st_size, st.st_mtime_ns, doc))
                changed += 1
        for path, (_, _, doc) in known.items():
            if path not in seen:
                conn.execute("DELETE FROM notes WHERE rowid = ?", (doc,))
                conn.execute("DELETE FROM facets WHERE doc = ?", (doc,))
                conn.execute("DELETE FROM files WHERE path = ?", (path,))
                changed += 1
    conn.close()
    return {"changed": changed, "files": len(seen)}


def optimize(db: Path) -> None:
    conn = sqlite3.connect(str(db))
    conn.execute("INSERT INTO notes(notes) VALUES ('optimize')")
    conn.commit()
    conn.close()


# ---------------------------------------------------------------- search


def _quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def match_expressions(kind: str, words: list[str]) -> list[str]:
    """The MATCH expression, then the any-word fallback (as searchkit falls back)."""
    words = [w for w in words if w.strip()]
    if not words:
        return []
    if kind == "phrase":
        return [_quote(" ".join(words))]
    if kind == "prefix":
        return [_quote(words[0]) + "*"]
    exprs = [" ".join(_quote(w) for w in words)]
    if len(words) > 1:
        exprs.append(" OR ".join(_quote(w) for w in words))
    return exprs


def search(conn: sqlite3.Connection, kind: str, words: list[str], filters: dict[str, list[str]] | None = None,
           facets=("type", "tag"), limit: int = 10, top: int = 20) -> dict:
    """Total, top hits by BM25 with a snippet, and facet counts (disjunctive, as searchkit)."""
    filters = {k: [key(v) for v in vs] for k, vs in (filters or {}).items() if vs}

    def where(skip=None):
        sql, params = "", []
        for name, keys in filters.items():
            if name == skip:
                continue
            sql += f" AND +rowid IN (SELECT doc FROM facets WHERE facet = ? AND key IN ({','.join('?' * len(keys))}))"
            params += [name, *keys]
        return sql, params

    total, expr = 0, None
    for candidate in match_expressions(kind, words):
        sql, params = where()
        try:
            total = conn.execute(f"SELECT count(*) FROM notes WHERE notes MATCH ?{sql}", [candidate, *params]).fetchone()[0]
        except sqlite3.OperationalError:
            total = 0
        expr = candidate
        if total:
            break
    hits = []
    if total and limit:
        sql, params = where()
        hits = conn.execute(
            f"SELECT id, title, path, snippet(notes, 4, '[', ']', '…', 24) FROM notes WHERE notes MATCH ?{sql} "
            f"ORDER BY {BM25} LIMIT ?", [expr, *params, limit]).fetchall()
    counts = {}
    for name in facets:
        if not total and name not in filters:
            counts[name] = []
            continue
        sql, params = where(skip=name)
        counts[name] = conn.execute(
            f"SELECT key, count(*) AS c FROM facets WHERE facet = ? AND doc IN "
            f"(SELECT rowid FROM notes WHERE notes MATCH ?{sql}) GROUP BY key ORDER BY c DESC, key LIMIT ?",
            [name, expr, *params, top]).fetchall() if expr else []
    return {"total": total, "hits": hits, "facets": counts}


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "index":
        report = update(Path(argv[1]), Path(argv[2]))
        print(f"{report['changed']} changed, {report['files']} files")
        return 0
    if len(argv) >= 3 and argv[0] == "query":
        conn = sqlite3.connect(f"file:{argv[1]}?mode=ro", uri=True)
        words = argv[2:]
        res = search(conn, "words", words)
        for i, (ident, title, path, snip) in enumerate(res["hits"], 1):
            print(f"{i:>2}. {title}  [{ident}]\n    {snip}\n    {path}")
        print(f"{res['total']} result(s)")
        for name, values in res["facets"].items():
            print(f"{name}: " + ", ".join(f"{k} ({c})" for k, c in values))
        return 0 if res["total"] else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
