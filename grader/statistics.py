"""Two-sample tests: are the student's counts consistent with a trusted re-run of the same job."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2_contingency

NOTEBOOK_ALPHA = 1e-3
"""Chance that a correct notebook fails any of its statistical checks (split across them by Bonferroni)."""


def same_distribution_pvalue(counts_a: dict[str, int], counts_b: dict[str, int]) -> float:
    """p-value of a chi-square test of homogeneity between two count dictionaries."""
    outcomes = sorted(k for k in set(counts_a) | set(counts_b) if counts_a.get(k, 0) + counts_b.get(k, 0) > 0)
    if len(outcomes) < 2:
        return 1.0
    table = np.array([[counts_a.get(k, 0) for k in outcomes], [counts_b.get(k, 0) for k in outcomes]])
    return float(chi2_contingency(table, correction=True).pvalue)
