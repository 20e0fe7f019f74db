"""cProfile of searchkit's full build, warm queries and a cold ``searchkit query``; writes PROFILE.md.

    .venv/bin/python benchmarks/profiling.py [--size 10000] [--queries 200] [--out benchmarks/PROFILE.md]

Same generated notes and queries as ``run.py`` (same seed).  Profiles:

1. ``update_index(..., rebuild=True)`` on N notes, in a process that has not
   indexed anything yet (stemmer and fold caches cold, as in ``searchkit index``);
2. the first search on a fresh Engine (it fills the facet caches);
3. the next ``--queries`` searches with facets type+tag on that warm Engine;
4. a whole ``searchkit query --format json`` process (imports included);
5. a whole ``searchkit index`` process after one note was edited.

The hand-written summary between the ``summary`` markers of an existing
PROFILE.md is kept; everything else is rewritten.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus as gen  # noqa: E402
from measure import PY, machine, run  # noqa: E402

START, END = "<!-- summary:start -->", "<!-- summary:end -->"


def short(path: str) -> str:
    for marker in ("/site-packages/", "/searchkit/"):
        if marker in path:
            tail = path.split(marker, 1)[1]
            return ("searchkit/" + tail) if marker == "/searchkit/" else tail
    return re.sub(r"^.*/lib/python3\.\d+/", "", path)


def label(func) -> str:
    path, line, name = func
    if path == "~":
        return name
    return f"{short(path)}:{line}({name})"


def table(stats: pstats.Stats, key: str, top: int = 15) -> list[str]:
    entries = stats.stats  # type: ignore[attr-defined]
    idx = {"cumulative": 3, "tottime": 2}[key]
    ranked = sorted(entries.items(), key=lambda kv: -kv[1][idx])[:top]
    lines = ["| ncalls | tottime (s) | cumtime (s) | function |", "|---:|---:|---:|---|"]
    for func, (cc, nc, tt, ct, _) in ranked:
        calls = f"{nc}/{cc}" if nc != cc else f"{nc}"
        lines.append(f"| {calls} | {tt:.3f} | {ct:.3f} | `{label(func)}` |")
    return lines


def groups(stats: pstats.Stats, top: int = 12) -> list[str]:
    """Own time (tottime) summed by package / module."""
    sums: dict[str, float] = {}
    total = 0.0
    for (path, _, name), (_, _, tt, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += tt
        if path == "~":
            g = "builtins: " + re.sub(r"^<(built-in method |method ')?|'? of .*>$|>$", "", name)
        elif "/searchkit/" in path:
            g = "searchkit." + path.split("/searchkit/", 1)[1].removesuffix(".py").replace("/", ".")
        elif "/site-packages/" in path:
            g = path.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
            if g == "whoosh":
                g = "whoosh." + path.split("/whoosh/", 1)[1].removesuffix(".py").replace("/", ".")
        else:
            g = "stdlib: " + Path(path).stem
        sums[g] = sums.get(g, 0.0) + tt
    lines = ["| own time in | seconds | share |", "|---|---:|---:|"]
    for g, v in sorted(sums.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"| {g} | {v:.3f} | {100 * v / total:.0f}% |")
    return lines


def picks(stats: pstats.Stats, names: list[tuple[str, str]]) -> list[str]:
    """Cumulative time of a few functions that explain the profile."""
    lines = ["| function | calls | cumtime (s) |", "|---|---:|---:|"]
    for frag, fname in names:
        found = [(f, v) for f, v in stats.stats.items() if f[2] == fname and frag in f[0]]  # type: ignore[attr-defined]
        for func, (cc, nc, tt, ct, _) in found[:2]:
            lines.append(f"| `{label(func)}` | {nc} | {ct:.3f} |")
    return lines


BUILD_PICKS = [
    ("searchkit/sources/scan", "scan"), ("searchkit/index", "file_hash"), ("searchkit/index", "read_source"),
    ("searchkit/sources/notes", "read_note"), ("searchkit/sources/notes", "split_front_matter"),
    ("searchkit/sources/notes", "_parse_yaml"), ("searchkit/textnorm", "clean"), ("searchkit/index", "to_document"),
    ("whoosh/writing", "update_document"), ("whoosh/writing", "add_document"), ("whoosh/writing", "delete_by_term"),
    ("whoosh/writing", "commit"), ("whoosh/writing", "_finish"), ("whoosh/writing", "_flush_segment"),
    ("searchkit/analysis", "__call__"), ("searchkit/analysis", "stem"), ("searchkit/textnorm", "fold"),
    ("whoosh/fields", "index"), ("whoosh/codec/whoosh3", "add_field"), ("pickle", "dumps"),
]
UPDATE_PICKS = [
    ("searchkit/sources/scan", "scan"), ("searchkit/index", "load"), ("searchkit/index", "save"),
    ("searchkit/index", "open_index"), ("searchkit/index", "file_hash"), ("searchkit/index", "read_source"),
    ("whoosh/writing", "commit"), ("whoosh/writing", "delete_by_term"), ("whoosh/writing", "update_document"),
    ("whoosh/index", "open_dir"), ("whoosh/writing", "searcher"), ("json", "load"), ("json", "loads"), ("json", "dump"),
    ("posix", "stat"),
]
QUERY_PICKS = [
    ("searchkit/query", "search"), ("searchkit/query", "build"), ("searchkit/query", "word"),
    ("searchkit/query", "_doc_frequency"), ("searchkit/query", "_expansions"), ("searchkit/query", "prefix"),
    ("whoosh/query/qcore", "docs"), ("whoosh/searching", "search"), ("searchkit/query", "_filter_docs"),
    ("searchkit/query", "_count"), ("searchkit/query", "_forward"), ("searchkit/query", "labels"),
    ("searchkit/query", "_hit"), ("searchkit/query", "snippet"), ("searchkit/query", "plain"),
    ("searchkit/query", "title_of"), ("searchkit/query", "suggest"), ("searchkit/query", "final"),
    ("whoosh/reading", "stored_fields"), ("searchkit/thesaurus", "expand_phrase"),
]


def section(title: str, prof: cProfile.Profile | str, wall: float, picks_list, intro: str) -> list[str]:
    stats = pstats.Stats(prof if isinstance(prof, str) else prof, stream=io.StringIO())
    total = stats.total_tt  # type: ignore[attr-defined]
    out = [f"## {title}", "", intro, "", f"Wall time under cProfile: {wall:.2f} s (profiled function time {total:.2f} s).", "",
           "Top 15 by cumulative time:", ""]
    out += table(stats, "cumulative") + ["", "Top 15 by own time (tottime):", ""]
    out += table(stats, "tottime") + ["", "Own time by module:", ""]
    out += groups(stats) + [""]
    if picks_list:
        out += ["Selected functions (cumulative):", ""] + picks(stats, picks_list) + [""]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--out", type=Path, default=HERE / "PROFILE.md")
    args = ap.parse_args(argv)

    from searchkit.index import update_index
    from searchkit.query import Engine

    digest_start = machine()["searchkit"]
    work = Path(tempfile.mkdtemp(prefix="searchkit-profile-"))
    try:
        folder = work / "notes"
        info = gen.generate(args.size, folder, seed=args.seed)
        queries = gen.queries_for(info, args.queries + 1, seed=args.seed)[: args.queries + 1]
        ix = work / "index"
        print(f"profiling the build of {args.size} notes", file=sys.stderr)
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.runcall(update_index, ix, [folder], rebuild=True)
        build_wall = time.perf_counter() - t
        build_sections = section(f"1. Full build of {args.size:,} notes (`update_index(rebuild=True)`)", prof, build_wall,
                                 BUILD_PICKS, f"Corpus: {info.summary()}.")

        engine = Engine(ix)
        q0, rest = queries[0], queries[1:]
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.runcall(engine.search, q0.text, filters=q0.filters, limit=10, facets=("type", "tag"))
        first_wall = time.perf_counter() - t
        first_sections = section("2. First search on a fresh Engine (fills the facet caches)", prof, first_wall, QUERY_PICKS,
                                 f"Query `{q0.text}` {q0.filters or ''}.")

        def many():
            for q in rest:
                engine.search(q.text, filters=q.filters, limit=10, facets=("type", "tag"))

        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.runcall(many)
        q_wall = time.perf_counter() - t
        kinds = {}
        for q in rest:
            kinds[q.kind] = kinds.get(q.kind, 0) + 1
        query_sections = section(f"3. {len(rest)} searches with facets type+tag on the warm Engine", prof, q_wall, QUERY_PICKS,
                                 "Query kinds: " + ", ".join(f"{k} {v}" for k, v in kinds.items()) + ".")
        engine.close()

        word = next(q for q in rest if q.kind == "word" and not q.filters)
        pfile = work / "cold.prof"
        r = run([PY, "-m", "cProfile", "-o", str(pfile), "-m", "searchkit.cli", "query", "--index", str(ix),
                 "--format", "json", *word.words])
        cold_sections = section("4. A whole `searchkit query --format json` process", str(pfile), r.wall, QUERY_PICKS,
                                f"`searchkit query --format json {word.text}` in a new process (rc {r.rc}); imports included.")
        victim = info.notes[len(info.notes) // 2].path
        gen.edit_note(victim, 1)
        pfile = work / "update.prof"
        r = run([PY, "-m", "cProfile", "-o", str(pfile), "-m", "searchkit.cli", "index", "--index", str(ix), str(folder)])
        said = (r.out.strip().splitlines() or [""])[-1]
        update_sections = section("5. A whole `searchkit index` process after one note was edited", str(pfile), r.wall,
                                  UPDATE_PICKS, f"One note of {args.size:,} edited, then `searchkit index` (rc {r.rc}); "
                                  f"imports included. It said: `{said}`")
        if not re.search(r"\b0 added, 1 updated\b", said):
            update_sections.insert(2, "**Warning: this was not a one-note update (see what it said above); "
                                      "the index was probably rebuilt because searchkit's code changed meanwhile.**\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    digest_end = machine()["searchkit"]
    changed = "" if digest_end == digest_start else (
        f"**searchkit's sources changed while profiling ({digest_start} -> {digest_end}): the sections may profile different code.**")
    summary = f"{START}\n## Summary\n\n(to be written from the tables below)\n{END}"
    if args.out.exists():
        old = args.out.read_text("utf-8")
        if START in old and END in old:
            summary = old[old.index(START): old.index(END) + len(END)]
    m = machine()
    head = ["# Profile of searchkit", "",
            f"`python benchmarks/profiling.py --size {args.size} --queries {args.queries}` — {m['date']}; "
            f"{m['cpu']}, {m['cores']}; Python {m['python']}; whoosh-reloaded {m['whoosh']}; searchkit sources {digest_start}.", "",
            "cProfile adds overhead to every Python call (times are inflated, roughly 1.5-2× for this "
            "call-heavy code); read the shares, not the absolute seconds.", "", changed, "", summary, ""]
    text = "\n".join(head + build_sections + first_sections + query_sections + cold_sections + update_sections)
    args.out.write_text(text, "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
