"""Benchmark searchkit against SQLite FTS5 on generated notes and on real catalogues.

    .venv/bin/python benchmarks/run.py --sizes 1000,10000 [--datasets] [--scaled 100000]
                                       [--repeat 3] [--queries 300] [--out benchmarks/results.md]

For each size N: N French notes are generated (``corpus.py``) in a temporary
folder, indexed by searchkit (``update_index`` in-process, and ``searchkit index``
in a subprocess) and by FTS5 (``fts5.py``) in the same run, then both answer the
same few hundred queries.  Every searchkit figure is shown beside FTS5's with
the ratio searchkit / FTS5: the machine is shared, so ratios and medians are the
figures to compare between runs, not absolute times.

- wall times in-process: ``time.perf_counter``; medians of ``--repeat`` runs;
- subprocess figures: wall time of the whole process as a user sees it, and its
  peak RSS (``/usr/bin/time %M``, that child only; see measure.run);
- query latency: per-query median over ``--repeat`` passes on one warm Engine
  (and one FTS5 connection), then p50/p95 over the queries;
- sizes: bytes of the index folder / the SQLite file.

``--datasets`` indexes every file of ``../shared/corpus/datasets`` (FTS5 is then fed
the records searchkit's own readers produce, so the ratio is the engine's);
``--scaled N`` repeats the 40-column data.gouv.fr export with new ids up to N records.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus as gen  # noqa: E402
import fts5  # noqa: E402
from measure import PY, SEARCHKIT, load, machine, median, percentile, run, dir_size  # noqa: E402

from searchkit import config  # noqa: E402
from searchkit.index import update_index  # noqa: E402
from searchkit.query import Engine  # noqa: E402

WORKERS = config.workers()  # in-process builds use the processes `searchkit index` would use

DATASETS = gen.CORPUS / "datasets"
FACETS = ("type", "tag")
TARGETS = {  # issue 6
    10_000: {"q50": 10, "q95": 30, "cold": 0.35, "update": 0.5, "build": 15, "mem_query": 150, "mem_build": 400},
    100_000: {"q50": 40, "q95": 120, "cold": 0.5, "update": 1.0, "build": 150, "mem_query": 300, "mem_build": 800},
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- report model


@dataclass
class Row:
    measure: str
    sk: float | None
    fts: float | None
    unit: str  # "s", "ms", "MB", "MiB", "" (count), "/s"
    target: float | None = None
    higher_is_better: bool = False


@dataclass
class Section:
    title: str
    intro: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # more Markdown (breakdowns)
    notes: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # raw figures, for results.json


def fmt(v: float | None, unit: str) -> str:
    if v is None or v != v:
        return "—"
    if unit == "s":
        return f"{v:.3f} s" if v < 1 else (f"{v:.2f} s" if v < 100 else f"{v:.0f} s")
    if unit == "ms":
        return f"{v:.2f} ms" if v < 1 else (f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms")
    if unit in ("MB", "MiB"):
        return f"{v:.1f} {unit}" if v < 10 else f"{v:.0f} {unit}"
    if unit == "/s":
        return f"{v:,.0f} /s"
    return f"{v:,.0f}{(' ' + unit) if unit else ''}"


def render_section(s: Section) -> str:
    out = [f"## {s.title}", ""]
    out += s.intro
    if s.intro:
        out.append("")
    out += ["| measure | searchkit | FTS5 | ratio | target |", "|---|---:|---:|---:|---|"]
    for r in s.rows:
        ratio = "—"
        if r.sk is not None and r.fts not in (None, 0) and r.sk == r.sk and r.fts == r.fts:
            x = r.fts / r.sk if r.higher_is_better else r.sk / r.fts
            ratio = f"{x:.1f}×" if x >= 1.95 else f"{x:.2f}×"
        target = "—"
        if r.target is not None:
            ok = r.sk is not None and (r.sk >= r.target if r.higher_is_better else r.sk <= r.target)
            target = f"{'≥' if r.higher_is_better else '≤'} {fmt(r.target, r.unit)} {'✅' if ok else '❌'}"
        out.append(f"| {r.measure} | {fmt(r.sk, r.unit)} | {fmt(r.fts, r.unit)} | {ratio} | {target} |")
    out.append("")
    out += s.extra
    if s.notes:
        out += ["Notes:", ""] + [f"- {n}" for n in s.notes] + [""]
    return "\n".join(out)


# ---------------------------------------------------------------- shared parts


def bench_queries(ix: Path, db: Path, queries: list[gen.BenchQuery], repeat: int) -> dict:
    """Per-query medians on one warm Engine and one FTS5 connection, with and without facets."""
    engine = Engine(ix)
    conn = sqlite3.connect(str(db))
    q0 = queries[0]
    t = time.perf_counter()
    engine.search(q0.text, filters=q0.filters, limit=10, facets=FACETS)
    first_sk = time.perf_counter() - t
    t = time.perf_counter()
    fts5.search(conn, q0.kind, q0.words, q0.filters)
    first_fts = time.perf_counter() - t
    for q in queries[:10]:  # warm-up
        engine.search(q.text, filters=q.filters, limit=10, facets=FACETS)
        fts5.search(conn, q.kind, q.words, q.filters)
    n = len(queries)
    times = {k: [[] for _ in range(n)] for k in ("sk_f", "sk_n", "fts_f", "fts_n")}
    totals_sk, totals_fts, errors = [0] * n, [0] * n, []
    pc = time.perf_counter
    for rep in range(repeat):
        for i, q in enumerate(queries):
            try:
                t = pc()
                res = engine.search(q.text, filters=q.filters, limit=10, facets=FACETS)
                times["sk_f"][i].append(pc() - t)
                t = pc()
                engine.search(q.text, filters=q.filters, limit=10, facets=())
                times["sk_n"][i].append(pc() - t)
                totals_sk[i] = res.total
            except Exception as exc:  # a query that raises is a finding, not a crash of the benchmark
                if rep == 0:
                    errors.append(f"{q.text!r}: {type(exc).__name__}: {exc}")
            t = pc()
            r2 = fts5.search(conn, q.kind, q.words, q.filters)
            times["fts_f"][i].append(pc() - t)
            t = pc()
            fts5.search(conn, q.kind, q.words, q.filters, facets=())
            times["fts_n"][i].append(pc() - t)
            totals_fts[i] = r2["total"]
    engine.close()
    conn.close()
    med = {k: [median(v) * 1000 if v else float("nan") for v in vs] for k, vs in times.items()}
    # the first time each query runs: nothing of it kept yet by either engine (words shared with
    # earlier queries excepted, as in real use)
    once = {k: [v[0] * 1000 for v in times[k] if v] for k in ("sk_f", "fts_f")}
    out = {"first_sk": first_sk * 1000, "first_fts": first_fts * 1000, "errors": errors, "n": n,
           "zero_sk": sum(1 for x in totals_sk if x == 0), "zero_fts": sum(1 for x in totals_fts if x == 0),
           "once": {k: {"p50": percentile(v, 50), "p95": percentile(v, 95)} for k, v in once.items()}}
    for k, vs in med.items():
        ok = [v for v in vs if v == v]
        out[k] = {"p50": percentile(ok, 50), "p95": percentile(ok, 95), "max": max(ok) if ok else float("nan"),
                  "mean": sum(ok) / len(ok) if ok else float("nan")}
    kinds = {}
    for i, q in enumerate(queries):
        kinds.setdefault(q.kind, []).append(i)
    out["kinds"] = {
        kind: {
            "n": len(idx),
            **{f"{k}_{p}": percentile([med[k][i] for i in idx if med[k][i] == med[k][i]], pv)
               for k in ("sk_f", "fts_f") for p, pv in (("p50", 50), ("p95", 95))},
            "hits_sk": median(totals_sk[i] for i in idx), "hits_fts": median(totals_fts[i] for i in idx),
        }
        for kind, idx in kinds.items()
    }
    slow = sorted(range(n), key=lambda i: -med["sk_f"][i] if med["sk_f"][i] == med["sk_f"][i] else 0)[:5]
    out["slowest"] = [(queries[i].kind, queries[i].text, queries[i].filters, med["sk_f"][i], med["fts_f"][i], totals_sk[i])
                      for i in slow]
    return out


def query_rows(s: Section, q: dict, t: dict | None) -> None:
    s.rows += [
        Row("query p50, facets type+tag (warm Engine)", q["sk_f"]["p50"], q["fts_f"]["p50"], "ms", t and t["q50"]),
        Row("query p95, facets type+tag (warm Engine)", q["sk_f"]["p95"], q["fts_f"]["p95"], "ms", t and t["q95"]),
        Row("query p50, facets, the first time each query runs", q["once"]["sk_f"]["p50"], q["once"]["fts_f"]["p50"], "ms"),
        Row("query p95, facets, the first time each query runs", q["once"]["sk_f"]["p95"], q["once"]["fts_f"]["p95"], "ms"),
        Row("query p50, no facets", q["sk_n"]["p50"], q["fts_n"]["p50"], "ms"),
        Row("query p95, no facets", q["sk_n"]["p95"], q["fts_n"]["p95"], "ms"),
        Row("query max (per-query median), facets", q["sk_f"]["max"], q["fts_f"]["max"], "ms"),
        Row("first query on a fresh Engine / connection", q["first_sk"], q["first_fts"], "ms"),
    ]
    lines = ["Latency by query kind (per-query medians, facets type+tag):", "",
             "| kind | n | searchkit p50 | searchkit p95 | FTS5 p50 | FTS5 p95 | median hits sk / FTS5 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for kind, k in q["kinds"].items():
        lines.append(f"| {kind} | {k['n']} | {fmt(k['sk_f_p50'], 'ms')} | {fmt(k['sk_f_p95'], 'ms')} | "
                     f"{fmt(k['fts_f_p50'], 'ms')} | {fmt(k['fts_f_p95'], 'ms')} | {k['hits_sk']:g} / {k['hits_fts']:g} |")
    lines += ["", "Slowest searchkit queries (facets): " + "; ".join(
        f"`{text}`{' ' + json.dumps(filters, ensure_ascii=False) if filters else ''} ({kind}, {sk:.0f} ms vs FTS5 {ft:.1f} ms, {hits} hits)"
        for kind, text, filters, sk, ft, hits in q["slowest"]), ""]
    s.extra += lines
    s.notes.append(f"{q['n']} queries; no hit: searchkit {q['zero_sk']}, FTS5 {q['zero_fts']} "
                   "(FTS5 has no stemming, synonyms nor typo tolerance, searchkit falls back to any word: "
                   "FTS5 does too here).")
    if q["errors"]:
        s.notes.append(f"**{len(q['errors'])} queries raised in searchkit**: " + "; ".join(q["errors"][:5]))


def bench_cold(ix: Path, db: Path, queries: list[gen.BenchQuery], runs: int) -> dict:
    """Fresh processes: ``searchkit query`` (text and JSON) against ``fts5.py query``."""
    picks = [q for q in queries if q.kind in ("word", "words") and not q.filters][: max(1, runs)]
    sk_text = [*SEARCHKIT, "query", "--index", str(ix)]
    fts_cmd = [PY, str(HERE / "fts5.py"), "query", str(db)]
    run(sk_text + picks[0].words).check()  # page cache warm: "cold" means a fresh process
    run(fts_cmd + picks[0].words).check()
    res = {"sk": [], "sk_json": [], "fts": [], "rss_sk": [], "rss_json": [], "rss_fts": []}
    for i in range(runs):
        words = picks[i % len(picks)].words
        a = run(sk_text + words).check()
        b = run(sk_text + ["--format", "json"] + words).check()
        c = run(fts_cmd + words).check()
        res["sk"].append(a.wall)
        res["sk_json"].append(b.wall)
        res["fts"].append(c.wall)
        res["rss_sk"].append(a.maxrss_mb)
        res["rss_json"].append(b.maxrss_mb)
        res["rss_fts"].append(c.maxrss_mb)
    py = [run([PY, "-c", "pass"]).wall for _ in range(5)]
    imp = [run([PY, "-c", "import searchkit.query"]).wall for _ in range(5)]
    imp_sqlite = [run([PY, "-c", "import sqlite3, yaml"]).wall for _ in range(5)]
    imp_whoosh = [run([PY, "-c", "import whoosh.query"]).wall for _ in range(5)]
    return {"import_whoosh": median(imp_whoosh), "sk": median(res["sk"]), "sk_json": median(res["sk_json"]), "fts": median(res["fts"]),
            "rss_sk": max(res["rss_sk"]), "rss_json": max(res["rss_json"]), "rss_fts": max(res["rss_fts"]),
            "python": median(py), "import_sk": median(imp), "import_fts": median(imp_sqlite), "runs": runs}


def cold_rows(s: Section, c: dict, t: dict | None) -> None:
    s.rows += [
        Row(f"cold `searchkit query WORDS` (new process, median of {c['runs']})", c["sk"], c["fts"], "s", t and t["cold"]),
        Row("cold `searchkit query --format json` (5 facets)", c["sk_json"], c["fts"], "s", t and t["cold"]),
        Row("peak memory, cold query process (JSON, 5 facets)", c["rss_json"], c["rss_fts"], "MiB", t and t["mem_query"]),
    ]
    s.notes.append(f"process start-up alone: `python -c pass` {c['python']:.3f} s; `import searchkit.query` "
                   f"{c['import_sk']:.3f} s; `import sqlite3, yaml` {c['import_fts']:.3f} s "
                   f"(so about {max(0.0, c['sk'] - c['import_sk']):.3f} s of the cold query is opening the index and searching); "
                   f"a bare `python -c \"import whoosh.query\"` {c['import_whoosh']:.3f} s: the cold query takes "
                   f"{c['sk'] / c['import_whoosh']:.2f}× that (issue 12: ≤ 1.5×).")


def memory_queries(ix: Path, db: Path, queries: list[gen.BenchQuery], work: Path) -> tuple[float, float]:
    qfile = work / "queries.json"
    qfile.write_text(json.dumps([q.to_json() for q in queries], ensure_ascii=False), "utf-8")
    a = run([PY, str(HERE / "worker.py"), "sk-queries", str(ix), str(qfile)]).check((0,))
    b = run([PY, str(HERE / "worker.py"), "fts5-queries", str(db), str(qfile)]).check((0,))
    return a.maxrss_mb, b.maxrss_mb


def targets_for(count: int) -> dict | None:
    if 5_000 <= count <= 15_000:
        return TARGETS[10_000]
    if 70_000 <= count <= 130_000:
        return TARGETS[100_000]
    return None


# ---------------------------------------------------------------- notes


def bench_notes(n: int, args, work: Path, model: gen.Model) -> Section:
    s = Section(f"Notes: {n:,} generated notes")
    folder = work / f"notes-{n}"
    log(f"generating {n} notes in {folder}")
    info = gen.generate(n, folder, model, seed=args.seed)
    queries = gen.queries_for(info, args.queries, seed=args.seed)
    t = targets_for(n)
    s.intro.append(f"Corpus: {info.summary()}; generated in {info.seconds:.1f} s.")
    s.intro.append(f"Queries: {len(queries)} ({', '.join(f'{k} {v}' for k, v in Counter(q.kind for q in queries).items())}), "
                   f"each with facets type+tag and without; {args.repeat} passes.")
    if t:
        s.intro.append(f"Targets: issue 6, {('10k' if t is TARGETS[10_000] else '100k')} notes.")

    # the build as a new process first (wall time and memory, workers included); when it takes
    # over --max-build seconds it is the only build, and its index is the one queried
    cli_ix, cli_db = work / f"ix-cli-{n}", work / f"fts-cli-{n}.db"
    cli_sk, cli_fts = [], []

    def cli_build() -> None:
        log(f"build: subprocesses {len(cli_sk) + 1}")
        shutil.rmtree(cli_ix, ignore_errors=True)
        cli_db.unlink(missing_ok=True)
        cli_sk.append(run([*SEARCHKIT, "index", "--index", str(cli_ix), "--rebuild", "-q", str(folder)], timeout=args.timeout).check((0,)))
        cli_fts.append(run([PY, str(HERE / "fts5.py"), "index", str(cli_db), str(folder)], timeout=args.timeout).check((0,)))

    cli_build()
    one_build = cli_sk[0].wall > args.max_build

    # full builds, alternating searchkit and FTS5 in this process
    sk_times, fts_times, reports = [], [], []
    ix, db = cli_ix, cli_db
    for r in range(0 if one_build else args.repeat):
        ix = work / f"ix-{n}-{r}"
        db = work / f"fts-{n}-{r}.db"
        log(f"build {r + 1}/{args.repeat}: searchkit")
        start = time.perf_counter()
        reports.append(update_index(ix, [folder], rebuild=True, workers=WORKERS))
        sk_times.append(time.perf_counter() - start)
        log(f"  searchkit {sk_times[-1]:.2f} s; FTS5")
        start = time.perf_counter()
        fts5.update(db, folder)
        fts_times.append(time.perf_counter() - start)
        log(f"  FTS5 {fts_times[-1]:.2f} s")
        if sk_times[-1] > args.max_build and r < args.repeat - 1:
            s.notes.append(f"in-process build repeated {r + 1} time(s) only (one build took over {args.max_build:.0f} s)")
            break
        if r < args.repeat - 1:  # the last build is the one queried
            shutil.rmtree(ix)
            db.unlink()
    if one_build:
        s.notes.append(f"one build only, `searchkit index --rebuild` in a new process (it took over --max-build "
                       f"{args.max_build:.0f} s): its index is the one queried and updated; no in-process build")
    else:
        if median(sk_times) < args.max_build / 2:
            cli_build()
        shutil.rmtree(cli_ix)
        cli_db.unlink()
    rep = reports[-1] if reports else None
    size_built = (dir_size(ix) / 2**20, db.stat().st_size / 2**20)
    if sk_times:
        s.rows.append(Row(f"full build, in-process `update_index`, {WORKERS} workers (median of {len(sk_times)})", median(sk_times), median(fts_times), "s", t and t["build"]))
    a_wall, b_wall = median(x.wall for x in cli_sk), median(x.wall for x in cli_fts)
    s.rows.append(Row(f"full build, `searchkit index --rebuild` (new process, median of {len(cli_sk)})", a_wall, b_wall, "s", t and t["build"]))
    s.rows.append(Row("build throughput (new process)", n / a_wall, n / b_wall, "notes/s", higher_is_better=True))
    mem_build = (max(x.tree_mb or x.maxrss_mb for x in cli_sk), max(x.tree_mb or x.maxrss_mb for x in cli_fts))

    log("queries")
    q = bench_queries(ix, db, queries, args.repeat)
    query_rows(s, q, t)
    log("cold queries")
    c = bench_cold(ix, db, queries, args.cold_runs)
    cold_rows(s, c, t)

    log("updates")
    paths = [m.path for m in info.notes]
    step = max(1, len(paths) // (4 * args.updates + 1))
    victims = paths[step::step]
    no_change = run([*SEARCHKIT, "index", "--index", str(ix), "-q", str(folder)]).check((0,))
    no_change_fts = run([PY, str(HERE / "fts5.py"), "index", str(db), str(folder)]).check((0,))
    up_sk, up_fts, up_sk_in, up_fts_in, updated = [], [], [], [], []
    for k in range(args.updates):
        gen.edit_note(victims[2 * k], k)
        r = run([*SEARCHKIT, "index", "--index", str(ix), str(folder)]).check((0,))
        up_sk.append(r.wall)
        said = (r.out.strip().splitlines() or [""])[-1]
        if " 0 added, 1 updated," not in f" {said}":
            s.notes.append(f"**a one-note `searchkit index` did not say '0 added, 1 updated': {said}**")
        up_fts.append(run([PY, str(HERE / "fts5.py"), "index", str(db), str(folder)]).check((0,)).wall)
        gen.edit_note(victims[2 * k + 1], k)
        start = time.perf_counter()
        report = update_index(ix, [folder])
        up_sk_in.append(time.perf_counter() - start)
        updated.append(report.updated)
        start = time.perf_counter()
        fts5.update(db, folder)
        up_fts_in.append(time.perf_counter() - start)
    s.rows += [
        Row(f"one note edited: `searchkit index` (new process, median of {args.updates})", median(up_sk), median(up_fts), "s", t and t["update"]),
        Row("one note edited: in-process `update_index`", median(up_sk_in), median(up_fts_in), "s", t and t["update"]),
        Row("nothing changed: `searchkit index` (new process)", no_change.wall, no_change_fts.wall, "s"),
    ]
    if any(u != 1 for u in updated):
        s.notes.append(f"**in-process updates reported {updated} updated files, expected 1 each**")

    log("memory")
    mem_q = memory_queries(ix, db, queries, work)
    s.rows += [
        Row("peak memory, build (`searchkit index --rebuild`, its workers included, PSS)", mem_build[0], mem_build[1], "MiB", t and t["mem_build"]),
        Row("peak memory, warm Engine after all queries (process)", mem_q[0], mem_q[1], "MiB", t and t["mem_query"]),
        Row("index size on disk (after the full build)", size_built[0], size_built[1], "MiB"),
    ]
    s.notes.append(f"index size after the {2 * args.updates} one-note updates: searchkit {dir_size(ix) / 2**20:.1f} MiB, "
                   f"FTS5 {db.stat().st_size / 2**20:.1f} MiB.")
    s.notes.append("subprocess builds: searchkit " + ", ".join(f"{x.wall:.2f}" for x in cli_sk) + " s, FTS5 "
                   + ", ".join(f"{x.wall:.2f}" for x in cli_fts) + " s.")
    if rep is not None:
        s.notes.append(f"corpus on disk: {info.bytes / 2**20:.1f} MiB; searchkit build report: {rep.records} records written, "
                       f"{len(rep.problems)} warning(s), {rep.duplicates} duplicate id(s); in-process builds: "
                       + ", ".join(f"{x:.2f}" for x in sk_times) + " s (FTS5 " + ", ".join(f"{x:.2f}" for x in fts_times) + " s).")
    else:
        s.notes.append(f"corpus on disk: {info.bytes / 2**20:.1f} MiB; `searchkit index --rebuild` said: "
                       + ((cli_sk[0].out.strip().splitlines() or [""])[-1] or "(quiet)"))
    if rep is not None and rep.problems:
        s.notes.append("first warnings: " + "; ".join(str(p) for p in rep.problems[:3]))
    s.data = {"n": n, "sk_build": sk_times, "fts_build": fts_times, "queries": {k: v for k, v in q.items() if k != "slowest"},
              "cold": c, "updates": {"sk": up_sk, "fts": up_fts, "sk_in": up_sk_in, "fts_in": up_fts_in},
              "mem_build": mem_build, "mem_query": mem_q}
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return s


# ---------------------------------------------------------------- catalogues


def catalogs_ready() -> str | None:
    """None when searchkit can read catalogues, else why not."""
    try:
        from searchkit.sources.catalogs import iter_catalog  # noqa: F401
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def read_all(sources: list[Path]) -> tuple[int, float, Counter, list[tuple], Counter, Counter, int]:
    """Every record through searchkit's readers: count, seconds, and the vocabulary for queries."""
    from searchkit.sources.read import read_source
    from searchkit.sources.scan import scan

    files, _ = scan(sources)
    words: Counter = Counter()
    samples: list[tuple] = []
    tags: Counter = Counter()
    types: Counter = Counter()
    n = problems = 0
    reading = 0.0
    for source in files:
        start = time.perf_counter()
        records, probs = read_source(source)
        reading += time.perf_counter() - start
        problems += len(probs)
        for r in records:
            n += 1
            toks = [w.lower() for w in gen.WORD.findall(f"{r.title} {r.summary} {r.body[:5000]}")]
            words.update(toks)
            if n % 17 == 0 and len(samples) < 400:
                samples.append((toks, list(r.tags), list(r.types)))
            tags.update(r.tags)
            types.update(r.types)
    return n, reading, words, samples, tags, types, problems


def bench_catalogues(title: str, folder: Path, edits: list[Path], args, work: Path, tag: str, repeat: int) -> Section:
    s = Section(title)
    log(f"{tag}: reading every record once (searchkit readers)")
    n, reading, words, samples, tags, types, problems = read_all([folder])
    queries = gen.make_queries(words, samples, [t for t, _ in tags.most_common()], [t for t, _ in types.most_common()],
                               args.queries, seed=args.seed)
    t = targets_for(n)
    s.intro.append(f"Records read by searchkit's catalogue readers: {n:,} ({problems} warning(s)); reading alone took "
                   f"{reading:.1f} s ({n / reading:,.0f} records/s).")
    if t:
        s.intro.append(f"Targets: issue 6, {('10k' if t is TARGETS[10_000] else '100k')} records "
                       f"(applied to {n:,} records).")
    s.intro.append("FTS5 is fed the records searchkit's readers produce (same parsing), so its build time is "
                   "reading + FTS5 inserts and the ratio measures the indexing engine.")
    sk_times = []
    ix = work / f"ix-{tag}"
    reports = []
    for r in range(repeat):
        shutil.rmtree(ix, ignore_errors=True)
        log(f"{tag}: build {r + 1}/{repeat}")
        start = time.perf_counter()
        reports.append(update_index(ix, [folder], rebuild=True, workers=WORKERS))
        sk_times.append(time.perf_counter() - start)
        log(f"  {sk_times[-1]:.1f} s")
        if sk_times[-1] > args.max_build:
            break
    rep = reports[-1]
    size_sk = dir_size(ix) / 2**20
    db = work / f"fts-{tag}.db"
    if db.exists():
        db.unlink()
    log(f"{tag}: FTS5 build (subprocess)")
    w = run([PY, str(HERE / "worker.py"), "fts5-records", str(db), str(folder)], timeout=args.timeout).check((0,))
    fts_build = json.loads(w.out)["seconds"]
    size_fts = db.stat().st_size / 2**20
    cli = []
    for r in range(2 if median(sk_times) < args.max_build / 2 else 1):
        log(f"{tag}: searchkit index subprocess {r + 1}")
        cli_ix = work / f"ix-cli-{tag}"
        cli.append(run([*SEARCHKIT, "index", "--index", str(cli_ix), "--rebuild", "-q", str(folder)], timeout=args.timeout).check((0,)))
        shutil.rmtree(cli_ix, ignore_errors=True)
    a_wall, a_rss = median(x.wall for x in cli), max(x.tree_mb or x.maxrss_mb for x in cli)
    s.rows += [
        Row(f"full build, in-process `update_index`, {WORKERS} workers (median of {len(sk_times)})", median(sk_times), fts_build, "s", t and t["build"]),
        Row(f"full build, `searchkit index --rebuild` (new process, median of {len(cli)})", a_wall, w.wall, "s", t and t["build"]),
        Row("records per second (in-process build)", rep.records / median(sk_times), n / fts_build, "/s", higher_is_better=True),
        Row("records indexed", rep.records, json.loads(w.out)["records"], ""),
    ]
    log(f"{tag}: queries")
    q = bench_queries(ix, db, queries, repeat=max(1, min(args.repeat, 3)))
    query_rows(s, q, t)
    log(f"{tag}: cold queries")
    c = bench_cold(ix, db, queries, args.cold_runs)
    cold_rows(s, c, t)
    for edit in edits:
        log(f"{tag}: one-file update ({edit.name})")
        up, rewritten = [], []
        for k in range(args.updates):
            with open(edit, "a", encoding="utf-8") as fh:
                fh.write("\n")
            if k % 2 == 0:
                up.append(run([*SEARCHKIT, "index", "--index", str(ix), str(folder)], timeout=args.timeout).check((0,)).wall)
            else:
                rewritten.append(update_index(ix, [folder]).records)
        s.rows.append(Row(f"one file edited (`{edit.parent.name}/{edit.name}`): `searchkit index` (new process, median of {len(up)})",
                          median(up), None, "s", t and t["update"]))
        if rewritten:
            s.notes.append(f"editing `{edit.name}` re-wrote {max(rewritten)} record(s) (IndexReport.records of an in-process update).")
    mem_q = memory_queries(ix, db, queries, work)
    s.rows += [
        Row("peak memory, build (`searchkit index --rebuild`, its workers included, PSS)", a_rss, w.maxrss_mb, "MiB", t and t["mem_build"]),
        Row("peak memory, warm Engine after all queries (process)", mem_q[0], mem_q[1], "MiB", t and t["mem_query"]),
        Row("index size on disk (after the full build)", size_sk, size_fts, "MiB"),
    ]
    s.notes.append(f"searchkit index size after the one-file updates: {dir_size(ix) / 2**20:.1f} MiB.")
    s.notes.append(f"source files: {dir_size(folder) / 2**20:.1f} MiB; build report: {rep.records} records written, "
                   f"{rep.duplicates} duplicate id(s) merged, {len(rep.problems)} warning(s); "
                   f"in-process builds: {', '.join(f'{x:.1f}' for x in sk_times)} s.")
    s.notes.append("FTS5 build and peak memory: `worker.py fts5-records` process (reads with searchkit's readers, inserts into FTS5).")
    s.data = {"records": rep.records, "sk_build": sk_times, "fts_build": fts_build, "cli_build": [x.wall for x in cli],
              "queries": {k: v for k, v in q.items() if k != "slowest"}, "cold": c, "mem_query": mem_q,
              "mem_build": (a_rss, w.maxrss_mb), "reading": reading}
    return s


def copy_datasets(work: Path) -> Path:
    target = work / "datasets"
    shutil.copytree(DATASETS, target, copy_function=shutil.copyfile)
    for root, dirs, files in os.walk(target):
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    return target


def write_scaled(n: int, folder: Path) -> tuple[Path, Path, int]:
    """The 40-column export repeated with new ids up to ``n`` records, plus a small file to edit."""
    csv.field_size_limit(sys.maxsize)
    parts = sorted((DATASETS / "datagouv_csv").glob("export-dataset-20260116-*-part*.csv"))
    header, rows = None, []
    for part in parts:
        with open(part, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh, delimiter=";")
            head = next(reader)
            header = header or head
            rows += [r for r in reader if len(r) == len(header)]
    folder.mkdir(parents=True, exist_ok=True)
    id_col, slug_col, url_col = header.index("id"), header.index("slug"), header.index("url")

    def cell(v: str) -> str:  # the export quotes strings, not booleans nor numbers
        if v in ("True", "False") or (v and v.lstrip("-").replace(".", "", 1).isdigit()):
            return v
        return '"' + v.replace('"', '""') + '"'

    def write(path: Path, count: int, offset: int) -> None:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(";".join(cell(h) for h in header) + "\r\n")
            for i in range(offset, offset + count):
                row = list(rows[i % len(rows)])
                row[id_col] = f"{0x5c0000000000000000000000 + i:024x}"
                row[slug_col] = f"{row[slug_col]}-{i}"
                row[url_col] = f"{row[url_col]}-{i}"
                fh.write(";".join(cell(v) for v in row) + "\r\n")

    big = folder / f"export-scaled-{n}.csv"
    small = folder / "export-small.csv"
    write(big, n, 0)
    write(small, 10, n)
    return big, small, len(rows)


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated note counts ('' for none)")
    ap.add_argument("--datasets", action="store_true", help="also index every file of the shared datasets")
    ap.add_argument("--scaled", type=int, default=0, help="also the 40-column export repeated to N records")
    ap.add_argument("--repeat", type=int, default=3, help="in-process builds and query passes (medians)")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--cold-runs", type=int, default=7, help="fresh `searchkit query` processes")
    ap.add_argument("--updates", type=int, default=5, help="one-note edits measured")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--max-build", type=float, default=120.0,
                    help="stop repeating builds after one this long (s); when the first build (a new process) "
                         "takes longer, it is the only one (e.g. --sizes 100000 --repeat 1 --max-build 1)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="limit for any one subprocess (s)")
    ap.add_argument("--workdir", type=Path, help="where corpora and indexes go (default: a new temp folder, removed)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--out", type=Path, default=HERE / "results.md")
    args = ap.parse_args(argv)

    sizes = [int(x) for x in args.sizes.replace("_", "").split(",") if x.strip()]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="searchkit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    info = machine()
    load_start = load()
    log(f"searchkit sources: {info['searchkit']}")
    started = time.perf_counter()
    sections: list[Section] = []
    skipped: list[str] = []
    try:
        if sizes:
            model = gen.load_model()
            if "built-in" in model.source:
                skipped.append(f"vocabulary: {model.source}")
                log(model.source)
            for n in sizes:
                sections.append(bench_notes(n, args, work, model))
                print(render_section(sections[-1]), flush=True)
        why = catalogs_ready() if (args.datasets or args.scaled) else None
        if (args.datasets or args.scaled) and not DATASETS.is_dir():
            why = f"datasets not found at {DATASETS}"
        if why:
            skipped.append(f"--datasets/--scaled skipped: searchkit cannot read catalogues yet ({why})")
            log(skipped[-1])
        else:
            if args.datasets:
                folder = copy_datasets(work)
                edits = [p for p in (folder / "dcat_rdf" / "sig.oreme.rdf",) if p.exists()]
                edits.append(sorted((folder / "udata_json").glob("*.json"))[0])
                sections.append(bench_catalogues("Datasets: every file of the shared corpus (csv, json, xml, rdf)",
                                                 folder, edits, args, work, "datasets", repeat=min(args.repeat, 2)))
                print(render_section(sections[-1]), flush=True)
            if args.scaled:
                folder = work / f"scaled-{args.scaled}"
                big, small, base = write_scaled(args.scaled, folder)
                sec = bench_catalogues(f"Scaled export: {args.scaled:,} records (40-column data.gouv.fr CSV)",
                                       folder, [small], args, work, f"scaled-{args.scaled}", repeat=1)
                sec.intro.insert(0, f"`{big.name}` ({big.stat().st_size / 2**20:.0f} MiB): the {base:,} complete rows of the "
                                    f"five export parts repeated with new ids, slugs and urls; plus `{small.name}` (10 rows), "
                                    "the file edited for the one-file update (editing the big file re-reads all of it).")
                sections.append(sec)
                print(render_section(sections[-1]), flush=True)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    elapsed = time.perf_counter() - started
    digest_end = machine()["searchkit"]
    if digest_end != info["searchkit"]:
        skipped.append(f"**searchkit's sources changed during the run** (now {digest_end}): sections may measure different code")
    head = [
        "# searchkit benchmark", "",
        f"`{' '.join(['python', 'benchmarks/run.py'] + (argv if argv is not None else sys.argv[1:]))}` — "
        f"{info['date']}, {elapsed / 60:.1f} min.", "",
        f"Machine: {info['cpu']}, {info['cores']}, {info['memory']} RAM; Python {info['python']}; "
        f"SQLite {info['sqlite']}; whoosh-reloaded {info['whoosh']}; {info['os']}. searchkit sources: {info['searchkit']}. "
        f"Load average at start {load_start}, at end {load()} (the machine is shared: compare ratios, not absolute times).", "",
        "Ratio = searchkit / FTS5 (FTS5 / searchkit for throughputs: how many times slower, bigger or heavier searchkit is). FTS5 = `unicode61 remove_diacritics 2`, bm25 with "
        "searchkit's field boosts, facets by GROUP BY on a `facets` table, 10 hits with a snippet. "
        f"Memory: peak RSS of the process (MiB), from `/usr/bin/time %M` (that process only); for builds, the peak "
        f"of the summed PSS of `searchkit index` and its worker processes, sampled every 0.1 s. Builds use "
        f"{WORKERS} worker process(es) (`SEARCHKIT_WORKERS`, default one per core), in-process ones too. Targets: issue 6.", "",
    ]
    import importlib.util

    if importlib.util.find_spec("tantivy") is None:
        skipped.append("tantivy: not importable in this environment, skipped")
    else:
        skipped.append("tantivy is importable, but this benchmark has no tantivy baseline yet")
    head += [f"- {x}" for x in skipped] + ([""] if skipped else [])
    text = "\n".join(head + [render_section(s) for s in sections])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, "utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(
        {"machine": info, "args": vars(args) | {"out": str(args.out), "workdir": str(args.workdir)},
         "sections": {s.title: s.data for s in sections}}, ensure_ascii=False, indent=1, default=str), "utf-8")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
