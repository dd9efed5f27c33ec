"""Stage 4, run isolated: the grader's side of the sandbox (forking, uids, namespaces, limits, the channel).

Nothing in this package trusts what a sandbox sends back; `grader.judge` decides what it proves.
"""
