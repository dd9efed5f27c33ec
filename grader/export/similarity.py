"""Flag near-identical submissions from their fingerprints, weighing each feature by how rare it is in the class.

Every correct Bell circuit is the same, so sharing it says nothing; sharing an unusual circuit, an odd option or a
statement nobody else wrote does. A feature held by ``df`` of ``n`` fingerprinted submissions weighs
``log(n / df)``: zero when everyone has it. The score of a pair is the weighted Jaccard index of their features,
the weight they share over the weight either of them has.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

from grader.results import SubmissionRecord

THRESHOLD = 0.5
"""Pairs scoring at least this are flagged."""


@dataclass(frozen=True)
class Pair:
    """Two submissions, how similar they are beyond what the task forces, and the rarest features they share."""

    first: str
    second: str
    score: float
    shared: tuple[str, ...]
    flagged: bool


def _features(record: SubmissionRecord, ignore: frozenset[str]) -> frozenset[str]:
    found = record.fingerprint or {}
    return frozenset(f for kind in ("circuit", "code") for f in found.get(kind, []) if f not in ignore)


def similar_pairs(
    records: list[SubmissionRecord], threshold: float = THRESHOLD, top: int = 5, ignore: frozenset[str] = frozenset()
) -> list[Pair]:
    """Every pair of fingerprinted submissions with its score, most similar first.

    ``ignore`` holds the features of the starter notebook: what the students were given is nobody's work, so two
    untouched notebooks share nothing. A submission left with no feature of its own is in no pair.
    """
    prints = {r.submission: _features(r, ignore) for r in records if r.fingerprint}
    prints = {submission: features for submission, features in prints.items() if features}
    count = len(prints)
    frequency = Counter(f for features in prints.values() for f in features)
    weight = {f: math.log(count / df) for f, df in frequency.items()}
    pairs = []
    for (a, fa), (b, fb) in combinations(prints.items(), 2):
        union = sum(weight[f] for f in fa | fb)
        common = sorted(fa & fb, key=lambda f: (-weight[f], f))
        score = sum(weight[f] for f in common) / union if union > 0 else 0.0
        rare = tuple(f for f in common[:top] if weight[f] > 0)
        pairs.append(Pair(a, b, round(score, 3), rare, score >= threshold))
    return sorted(pairs, key=lambda p: (-p.score, p.first, p.second))
