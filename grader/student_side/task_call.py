"""One call of a task function under the recorder, turned into its claim (`grader.claims.encode_case`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grader.claims import encode_case
from grader.student_side.recorder import Recorder


def call_task(function: Callable[..., Any], args: tuple[Any, ...], default_seed: int) -> dict[str, Any]:
    """Call ``function(*args)`` while recording; the claim of what it returned, raised and ran, as plain data."""
    returned, error = None, None
    with Recorder(default_seed) as recording:
        try:
            returned = function(*args)
        except BaseException as caught:  # noqa: BLE001 - sys.exit and KeyboardInterrupt are the student's too
            error = caught
    return encode_case(returned, error, recording)
