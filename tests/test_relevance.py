"""Relevance must not regress: nDCG@10 per corpus and family stays at or above
``evaluation/scores.json`` (minus 0.005 for floating noise), and the FTS5
baseline guards recorded there keep holding.

Each corpus is indexed once (a few seconds for the notes).  A corpus is skipped
when its judgments file, its folder (the shared corpus lives outside the
repository) or its reader is missing, or when scores.json has no figures for it
yet.  When the judgments changed after scores.json was written, the test fails
and says to re-run ``python -m evaluation.run --write-scores``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from evaluation import run  # noqa: E402

TOLERANCE = 0.005
MARGIN = 0.10
_cache: dict[str, object] = {}


def _committed() -> dict:
    try:
        return json.loads(run.SCORES.read_text("utf-8"))
    except FileNotFoundError:
        return {}


def _evaluated(name: str, tmp_path_factory) -> run.CorpusResult:
    """The evaluation of corpus ``name``, run once per session."""
    if name not in _cache:
        try:
            with pytest.MonkeyPatch.context() as mp:
                mp.delenv("SEARCHKIT_THESAURUS", raising=False)
                _cache[name] = run.evaluate(name, workdir=tmp_path_factory.mktemp(f"eval-{name}"))
        except run.Skipped as exc:
            _cache[name] = exc
    outcome = _cache[name]
    if isinstance(outcome, run.Skipped):
        pytest.skip(f"{name}: {outcome}")
    return outcome


def _entry(name: str, result: run.CorpusResult) -> dict:
    committed = _committed().get(name)
    if committed is None:
        pytest.skip(f"{name}: no figures in evaluation/scores.json yet "
                    f"(run `python -m evaluation.run --corpus {name} --write-scores`)")
    if committed.get("judgments_sha256") != result.judgments.sha256:
        pytest.fail(f"{name}: {result.judgments.path.name} changed after scores.json was written; "
                    f"re-run `python -m evaluation.run --corpus {name} --write-scores` and review the figures")
    return committed


@pytest.mark.parametrize("name", run.CORPORA)
def test_ndcg_does_not_regress(name, tmp_path_factory):
    result = _evaluated(name, tmp_path_factory)
    committed = _entry(name, result)["ndcg@10"]
    worse = []
    _, overall, _ = result.summary(None)
    if overall.ndcg < committed["overall"] - TOLERANCE:
        worse.append(f"overall {overall.ndcg:.3f} < {committed['overall']:.3f}")
    for family, figure in committed["families"].items():
        n, sk, _ = result.summary(family)
        if n == 0:
            worse.append(f"family {family} has no query any more")
        elif sk.ndcg < figure - TOLERANCE:
            worse.append(f"{family} {sk.ndcg:.3f} < {figure:.3f}")
    assert not worse, f"{name}: nDCG@10 dropped: " + "; ".join(worse)


@pytest.mark.parametrize("name", run.CORPORA)
def test_not_below_fts5_baseline(name, tmp_path_factory):
    """Families that matched or beat FTS5 when scores.json was written still do."""
    result = _evaluated(name, tmp_path_factory)
    guards = _entry(name, result).get("guards", {})
    below = []
    for family in guards.get("families_not_below_fts5", []):
        _, sk, fts = result.summary(family)
        if sk.ndcg < fts.ndcg - 1e-9:
            below.append(f"{family} {sk.ndcg:.3f} < FTS5 {fts.ndcg:.3f}")
    assert not below, f"{name}: now below the FTS5 baseline: " + "; ".join(below)


@pytest.mark.parametrize("name", run.CORPORA)
def test_overall_margin_over_fts5(name, tmp_path_factory):
    """Where searchkit's overall nDCG@10 beat FTS5 by 0.10, it still does."""
    result = _evaluated(name, tmp_path_factory)
    guards = _entry(name, result).get("guards", {})
    if not guards.get("overall_beats_fts5_by_0.10"):
        pytest.skip(f"{name}: overall margin over FTS5 was below {MARGIN} when scores.json was written")
    _, sk, fts = result.summary(None)
    assert sk.ndcg >= fts.ndcg + MARGIN - 1e-9, f"{name}: overall {sk.ndcg:.3f} < FTS5 {fts.ndcg:.3f} + {MARGIN}"


def test_metrics_on_known_rankings():
    from evaluation import metrics

    judged = {"a": 2, "b": 1, "c": 1}
    assert metrics.ndcg(["a", "b", "c"], judged) == pytest.approx(1.0)
    assert metrics.ndcg(["x", "y"], judged) == 0.0
    assert metrics.ndcg(["a", "a", "b", "c"], judged) == pytest.approx(1.0)  # a duplicate counts once
    assert metrics.mrr(["x", "c", "a"], judged) == pytest.approx(0.5)
    assert metrics.recall(["c", "x"], judged) == pytest.approx(1 / 3)


def test_fts5_query_drops_syntax():
    from evaluation.baseline import fts_query

    assert fts_query('l\'Open "Data"* (NEAR) -x:y') == '"l" OR "Open" OR "Data" OR "NEAR" OR "x" OR "y"'
    assert fts_query("*** ?") == ""
    assert fts_query("licence ouv", prefix_last=True) == '"licence" OR "ouv"*'  # the prefixes family
    assert fts_query("ouv licence ouv", prefix_last=True) == '"ouv"* OR "licence"'


def test_the_examples_of_the_issues_come_first(tmp_path_factory):
    """Issue 3: "défibrillateurs lyon" puts the Métropole de Lyon's DAE dataset first."""
    result = _evaluated("datasets", tmp_path_factory)
    by_query = {r.query.q: r for r in result.results}
    assert by_query["défibrillateurs lyon"].searchkit[0] == "datagouv:611621e33660b43352da0657"
