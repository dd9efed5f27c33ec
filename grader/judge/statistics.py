"""Two-sample tests: are the student's counts consistent with a trusted re-run of the same job."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2_contingency, norm

NOTEBOOK_ALPHA = 1e-3
"""Chance that a correct notebook fails any of its statistical checks (split across them by Bonferroni)."""


def same_distribution_pvalue(counts_a: dict[str, int], counts_b: dict[str, int]) -> float:
    """p-value of a chi-square test of homogeneity between two count dictionaries."""
    outcomes = sorted(k for k in set(counts_a) | set(counts_b) if counts_a.get(k, 0) + counts_b.get(k, 0) > 0)
    if len(outcomes) < 2:
        return 1.0
    table = np.array([[counts_a.get(k, 0) for k in outcomes], [counts_b.get(k, 0) for k in outcomes]])
    return float(chi2_contingency(table, correction=True).pvalue)


def same_mean_pvalue(value_a: float, std_a: float, value_b: float, std_b: float) -> float:
    """Two-sided p-value that two estimates with standard errors ``std_a`` and ``std_b`` share one mean."""
    spread = float(np.hypot(std_a, std_b))
    if spread == 0.0:
        return 1.0 if value_a == value_b else 0.0
    return float(2 * norm.sf(abs(value_a - value_b) / spread))
