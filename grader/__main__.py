"""``python -m grader``: the command line."""

import sys
import threading

from grader.sandbox import forkserver

if sys.argv[1:2] == ["grade"]:
    # The warm parent imports Qiskit on one core while this process imports it on the other.
    threading.Thread(target=forkserver.shared, daemon=True).start()

from grader.cli import main  # noqa: E402 - after the warm parent has been started

raise SystemExit(main())
