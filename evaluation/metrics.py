"""Ranking metrics at a cut-off, on graded judgments (0 = not relevant, 1, 2...).

``ranked`` is the list of keys a system returned, best first; ``judged`` maps the
keys judged relevant to their grade.  Keys not in ``judged`` have grade 0.  A key
returned twice counts once (its first position).

    >>> judged = {"a": 2, "b": 1}
    >>> round(ndcg(["b", "x", "a"], judged), 3)
    0.689
    >>> mrr(["x", "b", "a"], judged), recall(["x", "b"], judged), success(["b", "a"], judged)
    (0.5, 0.5, 1.0)
"""

from __future__ import annotations

import math

K = 10


def _dedup(ranked: list[str], k: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for key in ranked:
        if key in seen:
            continue
        seen.add(key)
        out.append(key)
        if len(out) == k:
            break
    return out


def dcg(grades: list[int]) -> float:
    """Discounted cumulative gain with exponential gains 2^grade - 1."""
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg(ranked: list[str], judged: dict[str, int], k: int = K) -> float:
    """nDCG@k; the ideal ranking is built from every judged key (not only those found)."""
    ideal = dcg(sorted((g for g in judged.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([judged.get(key, 0) for key in _dedup(ranked, k)]) / ideal


def mrr(ranked: list[str], judged: dict[str, int], k: int = K) -> float:
    """Reciprocal rank of the first key with grade >= 1 in the top k (0 if none)."""
    for i, key in enumerate(_dedup(ranked, k)):
        if judged.get(key, 0) >= 1:
            return 1.0 / (i + 1)
    return 0.0


def recall(ranked: list[str], judged: dict[str, int], k: int = K) -> float:
    """Fraction of the keys judged relevant (grade >= 1) found in the top k."""
    relevant = {key for key, g in judged.items() if g >= 1}
    if not relevant:
        return 0.0
    return len(relevant & set(_dedup(ranked, k))) / len(relevant)


def success(ranked: list[str], judged: dict[str, int], k: int = 1) -> float:
    """S@k: 1 when a key with grade >= 1 is in the top k (S@1: the first hit is relevant), else 0."""
    return 1.0 if any(judged.get(key, 0) >= 1 for key in _dedup(ranked, k)) else 0.0
