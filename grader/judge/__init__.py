"""Stage 5, check: what judges, in the grader's own process (replay, exact checks, the rubric)."""
