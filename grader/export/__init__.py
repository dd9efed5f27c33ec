"""Stage 6, report, and the exports for LMSs, Gradescope and GitHub Classroom."""
