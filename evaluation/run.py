"""Relevance evaluation: searchkit against hand-made judgments and an FTS5 baseline.

    python -m evaluation.run                               # every corpus that is present
    python -m evaluation.run --corpus notes-ods --family typos --show-failures
    python -m evaluation.run --json > results.json
    python -m evaluation.run --write-scores                # refresh evaluation/scores.json

For each corpus with a judgments file (``evaluation/judgments/<corpus>.yaml``)
and its folder present: index the folder with searchkit into a temporary
folder, run every judged query through ``Engine.search(q, limit=10,
facets=())`` and through two baselines built from the very records searchkit
stored, SQLite FTS5 and grep (``evaluation/baseline.py``), and score the
rankings with S@1, MRR@10, nDCG@10 and recall@10 (``evaluation/metrics.py``).

Corpora: ``notes`` (the bundled ``notes/`` folder), ``notes-ods`` and
``datasets`` (the shared corpus: ``$SEARCHKIT_CORPUS``, by default
``../shared/corpus`` next to the repository).  A corpus whose folder,
judgments or reader is missing is skipped with a message, never an error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

import yaml

from evaluation import metrics
from evaluation.baseline import FTS5Baseline, GrepBaseline

REPO = Path(__file__).resolve().parents[1]
JUDGMENTS = REPO / "evaluation" / "judgments"
SCORES = REPO / "evaluation" / "scores.json"
CORPORA = ("notes", "notes-ods", "datasets")
K = metrics.K
ROUND = 3


def shared_corpus() -> Path:
    """Where the shared corpus is, as in tests/conftest.py."""
    return Path(os.environ.get("SEARCHKIT_CORPUS", REPO.parent / "shared" / "corpus"))


def corpus_folder(name: str) -> Path:
    if name == "notes":
        return REPO / "notes"
    if name in ("notes-ods", "datasets"):
        return shared_corpus() / name
    raise ValueError(f"unknown corpus {name!r} (known: {', '.join(CORPORA)})")


class Skipped(Exception):
    """The corpus cannot be evaluated here; the message says why."""


class JudgmentError(Exception):
    """The judgments file is malformed."""


# ---------------------------------------------------------------- judgments


@dataclass
class Query:
    q: str
    family: str
    relevant: dict[str, int]


@dataclass
class Judgments:
    corpus: str
    key: str  # "path" or "id"
    queries: list[Query]
    sha256: str  # of the file, to notice judgments changed after scores.json was written
    path: Path


def judgments_path(name: str) -> Path:
    return JUDGMENTS / f"{name}.yaml"


def load_judgments(name: str) -> Judgments | None:
    """The judgments of corpus ``name``, or None when its file does not exist (yet)."""
    path = judgments_path(name)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise JudgmentError(f"{path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("queries"), list):
        raise JudgmentError(f"{path}: expected a mapping with a 'queries' list")
    key = data.get("key", "path")
    if key not in ("path", "id"):
        raise JudgmentError(f"{path}: key must be 'path' or 'id', not {key!r}")
    if data.get("corpus", name) != name:
        raise JudgmentError(f"{path}: says corpus {data.get('corpus')!r}, expected {name!r}")
    queries = []
    for n, item in enumerate(data["queries"], 1):
        if not isinstance(item, dict) or not str(item.get("q", "")).strip():
            raise JudgmentError(f"{path}: query #{n} has no 'q'")
        relevant = item.get("relevant") or {}
        if not isinstance(relevant, dict):
            raise JudgmentError(f"{path}: query #{n} ({item['q']!r}): 'relevant' must be a mapping")
        try:
            relevant = {str(k): int(v) for k, v in relevant.items()}
        except (TypeError, ValueError) as exc:
            raise JudgmentError(f"{path}: query #{n} ({item['q']!r}): grades must be integers") from exc
        queries.append(Query(str(item["q"]), str(item.get("family") or "other"), relevant))
    return Judgments(name, key, queries, hashlib.sha256(raw).hexdigest(), path)


# ---------------------------------------------------------------- running


@dataclass
class Scores:
    ndcg: float
    mrr: float
    recall: float
    s1: float = 0.0

    @classmethod
    def of(cls, ranked: list[str], judged: dict[str, int]) -> "Scores":
        return cls(metrics.ndcg(ranked, judged), metrics.mrr(ranked, judged), metrics.recall(ranked, judged),
                   metrics.success(ranked, judged, 1))

    @classmethod
    def mean(cls, items: list["Scores"]) -> "Scores":
        if not items:
            return cls(0.0, 0.0, 0.0, 0.0)
        return cls(mean(s.ndcg for s in items), mean(s.mrr for s in items), mean(s.recall for s in items),
                   mean(s.s1 for s in items))

    def to_json(self) -> dict:
        return {"s@1": round(self.s1, 4), "ndcg@10": round(self.ndcg, 4), "mrr@10": round(self.mrr, 4),
                "recall@10": round(self.recall, 4)}


@dataclass
class QueryResult:
    query: Query
    searchkit: list[str]  # keys, best first
    fts5: list[str]
    sk: Scores
    fts: Scores
    notice: str | None = None
    grep: list[str] = field(default_factory=list)
    grp: Scores = field(default_factory=lambda: Scores(0.0, 0.0, 0.0))

    def to_json(self) -> dict:
        return {
            "q": self.query.q, "family": self.query.family, "relevant": self.query.relevant,
            "searchkit": {"top": self.searchkit, **self.sk.to_json(), "notice": self.notice},
            "fts5": {"top": self.fts5, **self.fts.to_json()},
            "grep": {"top": self.grep, **self.grp.to_json()},
        }


@dataclass
class CorpusResult:
    name: str
    folder: Path
    judgments: Judgments
    records: int
    index_seconds: float
    query_seconds: float
    results: list[QueryResult]
    titles: dict[str, str]  # key -> title, for reports
    warnings: list[str] = field(default_factory=list)

    def families(self) -> list[str]:
        return list(dict.fromkeys(r.query.family for r in self.results))

    def of_family(self, family: str | None) -> list[QueryResult]:
        return [r for r in self.results if family is None or r.query.family == family]

    def summary(self, family: str | None = None) -> tuple[int, Scores, Scores]:
        rs = self.of_family(family)
        return len(rs), Scores.mean([r.sk for r in rs]), Scores.mean([r.fts for r in rs])

    def grep_summary(self, family: str | None = None) -> Scores:
        return Scores.mean([r.grp for r in self.of_family(family)])

    def to_json(self) -> dict:
        def block(family):
            n, sk, fts = self.summary(family)
            return {"n": n, "searchkit": sk.to_json(), "fts5": fts.to_json(),
                    "grep": self.grep_summary(family).to_json(), "delta_ndcg@10": round(sk.ndcg - fts.ndcg, 4)}

        return {
            "corpus": self.name, "folder": str(self.folder), "records": self.records,
            "judgments_sha256": self.judgments.sha256,
            "index_seconds": round(self.index_seconds, 2), "query_seconds": round(self.query_seconds, 2),
            "overall": block(None),
            "families": {f: block(f) for f in self.families()},
            "queries": [r.to_json() for r in self.results],
            "warnings": self.warnings,
        }


def _check_reader(name: str) -> None:
    if name != "datasets":
        return
    try:
        from searchkit.sources.catalogs import iter_catalog  # noqa: F401
    except ImportError as exc:
        raise Skipped(f"catalogue reader not available yet (searchkit.sources.catalogs.iter_catalog: {exc})") from exc


def _isolate_thesaurus() -> None:
    """Evaluate the bundled thesaurus only, whatever the developer's environment says."""
    os.environ.pop("SEARCHKIT_THESAURUS", None)
    from searchkit import thesaurus

    for fn in (getattr(thesaurus, "_index", None), getattr(thesaurus, "groups", None)):
        if hasattr(fn, "cache_clear"):
            fn.cache_clear()


def evaluate(name: str, families: set[str] | None = None, workdir: Path | None = None) -> CorpusResult:
    """Evaluate one corpus.  Raises Skipped when it cannot be evaluated here."""
    judgments = load_judgments(name)
    if judgments is None:
        raise Skipped(f"no judgments file {judgments_path(name).relative_to(REPO)} (yet)")
    folder = corpus_folder(name)
    if not folder.is_dir():
        raise Skipped(f"corpus folder not found: {folder}")
    _check_reader(name)
    _isolate_thesaurus()
    queries = [q for q in judgments.queries if families is None or q.family in families]
    if not queries:
        raise Skipped(f"no query of family {', '.join(sorted(families or ()))}")

    from searchkit.index import record_from_stored, update_index
    from searchkit.query import Engine

    folder = folder.absolute()
    with tempfile.TemporaryDirectory(prefix=f"sk-eval-{name}-", dir=workdir) as tmp:
        started = time.perf_counter()
        report = update_index(Path(tmp) / "index", [folder])
        index_seconds = time.perf_counter() - started
        engine = Engine(Path(tmp) / "index")
        try:
            stored = [fields for _, fields in engine.searcher().reader().iter_docs()]
            records = [record_from_stored(f) for f in stored]

            def key_of(record_id: str, path: str) -> str:
                if judgments.key == "id":
                    return record_id
                p = Path(path)
                try:
                    return p.relative_to(folder).as_posix()
                except ValueError:
                    try:
                        return p.resolve().relative_to(folder.resolve()).as_posix()
                    except ValueError:
                        return p.as_posix()

            titles = {key_of(r.id, r.path): r.title for r in records}
            warnings = [f"{len(report.problems)} indexing problem(s), e.g. {report.problems[0]}"] if report.problems else []
            for q in queries:
                missing = sorted(k for k in q.relevant if k not in titles)
                if missing:
                    warnings.append(f"{q.q!r}: judged key(s) not in the index: {', '.join(missing)}")
                if not any(g >= 1 for g in q.relevant.values()):
                    warnings.append(f"{q.q!r}: no key judged relevant; scores 0 by definition")

            baseline = FTS5Baseline(records)
            grep = GrepBaseline(records)
            results = []
            started = time.perf_counter()
            for q in queries:
                res = engine.search(q.q, limit=K, facets=())
                sk_keys = [key_of(h.id, h.path) for h in res.hits]
                fts_keys = [key_of(r.id, r.path) for r in baseline.search(q.q, K, prefix_last=q.family == "prefixes")]
                grep_keys = [key_of(r.id, r.path) for r in grep.search(q.q, K)]
                results.append(QueryResult(q, sk_keys, fts_keys, Scores.of(sk_keys, q.relevant),
                                           Scores.of(fts_keys, q.relevant), res.notice,
                                           grep_keys, Scores.of(grep_keys, q.relevant)))
            query_seconds = time.perf_counter() - started
            baseline.close()
        finally:
            engine.close()
    return CorpusResult(name, folder, judgments, len(records), index_seconds, query_seconds, results, titles, warnings)


# ---------------------------------------------------------------- reports


def table(result: CorpusResult) -> str:
    head = (f"{'family':<14} {'n':>3}   {'searchkit S@1':>13} {'MRR':>5} {'nDCG':>5} {'R@10':>5}   "
            f"{'FTS5 S@1':>8} {'MRR':>5} {'nDCG':>5}   {'grep S@1':>8} {'MRR':>5} {'nDCG':>5}   {'Δ nDCG':>7}")
    lines = [
        f"== {result.name}: {len(result.results)} queries, {result.records} records "
        f"(index {result.index_seconds:.1f}s, queries {result.query_seconds:.1f}s)",
        head, "-" * len(head),
    ]

    def row(label, family):
        n, sk, fts = result.summary(family)
        grp = result.grep_summary(family)
        return (f"{label:<14} {n:>3}   {sk.s1:>13.3f} {sk.mrr:>5.3f} {sk.ndcg:>5.3f} {sk.recall:>5.3f}   "
                f"{fts.s1:>8.3f} {fts.mrr:>5.3f} {fts.ndcg:>5.3f}   {grp.s1:>8.3f} {grp.mrr:>5.3f} {grp.ndcg:>5.3f}   "
                f"{sk.ndcg - fts.ndcg:>+7.3f}")

    lines += [row(f, f) for f in result.families()]
    lines += ["-" * len(head), row("overall", None)]
    return "\n".join(lines)


def failures(result: CorpusResult, threshold: float = 0.5) -> list[QueryResult]:
    """Queries where searchkit is below FTS5 or below ``threshold``, worst first."""
    bad = [r for r in result.results if r.sk.ndcg < r.fts.ndcg - 1e-9 or r.sk.ndcg < threshold]
    return sorted(bad, key=lambda r: (r.sk.ndcg, r.sk.ndcg - r.fts.ndcg))


def describe(result: CorpusResult, r: QueryResult, top: int = 5) -> str:
    judged = r.query.relevant

    def show(keys):
        out = []
        for i, k in enumerate(keys[:top], 1):
            label = k if result.judgments.key == "path" else f"{k} «{result.titles.get(k, '?')[:60]}»"
            out.append(f"      {i}. [{judged.get(k, 0)}] {label}")
        return out or ["      (nothing)"]

    def rank(keys, k):
        return f"#{keys.index(k) + 1}" if k in keys else "—"

    lines = [f"  {r.query.q!r} ({r.query.family}): searchkit nDCG {r.sk.ndcg:.3f} · FTS5 {r.fts.ndcg:.3f}"]
    if r.notice:
        lines.append(f"    notice: {r.notice}")
    lines.append("    searchkit top 5:")
    lines += show(r.searchkit)
    lines.append("    FTS5 top 5:")
    lines += show(r.fts5)
    lines.append("    grep top 5:")
    lines += show(r.grep)
    lines.append("    judged (grade, searchkit rank, FTS5 rank, grep rank):")
    for k, g in sorted(judged.items(), key=lambda kv: -kv[1]):
        label = k if result.judgments.key == "path" else f"{k} «{result.titles.get(k, '?')[:60]}»"
        lines.append(f"      [{g}] {label}  sk {rank(r.searchkit, k)}  fts {rank(r.fts5, k)}  grep {rank(r.grep, k)}")
    return "\n".join(lines)


def scores_entry(result: CorpusResult) -> dict:
    """What scores.json keeps for one corpus."""
    n, sk, fts = result.summary(None)
    fams = result.families()
    fam = {f: result.summary(f) for f in fams}
    return {
        "judgments_sha256": result.judgments.sha256,
        "queries": n,
        "records": result.records,
        "ndcg@10": {
            "overall": round(sk.ndcg, ROUND),
            "families": {f: round(fam[f][1].ndcg, ROUND) for f in fams},
        },
        # for reference only: the guards below are checked against the live baseline
        "fts5_ndcg@10": {
            "overall": round(fts.ndcg, ROUND),
            "families": {f: round(fam[f][2].ndcg, ROUND) for f in fams},
        },
        "grep_ndcg@10": {
            "overall": round(result.grep_summary(None).ndcg, ROUND),
            "families": {f: round(result.grep_summary(f).ndcg, ROUND) for f in fams},
        },
        "guards": {
            # families where searchkit is not below FTS5 today: they must stay so
            "families_not_below_fts5": [f for f in fams if fam[f][1].ndcg >= fam[f][2].ndcg - 1e-9],
            # whether overall nDCG beats FTS5 by 0.10 today: if so it must stay so
            "overall_beats_fts5_by_0.10": sk.ndcg >= fts.ndcg + 0.10 - 1e-9,
        },
    }


def load_scores() -> dict:
    try:
        return json.loads(SCORES.read_text("utf-8"))
    except FileNotFoundError:
        return {}


def write_scores(results: list[CorpusResult]) -> None:
    data = load_scores()
    data["_about"] = ("searchkit nDCG@10 per corpus and per query family, written by "
                      "`python -m evaluation.run --write-scores`; tests/test_relevance.py fails when "
                      "a figure drops by more than 0.005 or a guard stops holding.")
    for r in results:
        data[r.name] = scores_entry(r)
    ordered = {"_about": data.pop("_about")}
    ordered.update({k: data[k] for k in sorted(data)})
    SCORES.write_text(json.dumps(ordered, ensure_ascii=False, indent=2) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evaluation.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=",".join(CORPORA), help="comma-separated: " + ", ".join(CORPORA))
    ap.add_argument("--family", default=None, help="only these query families (comma-separated)")
    ap.add_argument("--show-failures", action="store_true",
                    help="list queries where searchkit's nDCG@10 < FTS5's or < 0.5, worst first")
    ap.add_argument("--json", action="store_true", help="print every figure and ranking as JSON instead")
    ap.add_argument("--write-scores", action="store_true", help="update evaluation/scores.json")
    args = ap.parse_args(argv)

    names = [n.strip() for n in args.corpus.split(",") if n.strip()]
    for n in names:
        if n not in CORPORA:
            ap.error(f"unknown corpus {n!r} (known: {', '.join(CORPORA)})")
    families = {f.strip() for f in args.family.split(",") if f.strip()} if args.family else None
    if args.write_scores and families:
        ap.error("--write-scores records every family: do not combine it with --family")

    out = sys.stdout
    log = sys.stderr if args.json else sys.stdout
    results: list[CorpusResult] = []
    skipped: dict[str, str] = {}
    for name in names:
        try:
            results.append(evaluate(name, families))
        except Skipped as exc:
            skipped[name] = str(exc)
            print(f"== {name}: skipped: {exc}", file=log)
        except JudgmentError as exc:
            print(f"== {name}: bad judgments: {exc}", file=sys.stderr)
            return 2

    if args.json:
        json.dump({"results": [r.to_json() for r in results], "skipped": skipped}, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        for r in results:
            print(file=out)
            print(table(r), file=out)
            for w in r.warnings:
                print(f"  warning: {w}", file=out)
            if args.show_failures:
                bad = failures(r)
                print(f"\n-- {r.name}: {len(bad)} queries with searchkit nDCG@10 < FTS5 or < 0.5, worst first", file=out)
                for q in bad:
                    print(describe(r, q), file=out)
    if args.write_scores:
        if results:
            write_scores(results)
            print(f"\nwrote {SCORES.relative_to(REPO)} ({', '.join(r.name for r in results)})", file=log)
        else:
            print("\nnothing evaluated: scores.json left as it is", file=log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
