"""What one case gives a task's judge: the grader's own case, the student's claim, and replays made on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.claims import Call, CaseClaim
from grader.judge.replay import Budget, replay
from grader.primitives import Unreplayable


@dataclass
class Evidence:
    """One case: its arguments, what the task claims, and the replays of its claimed calls (each run at most once)."""

    args: tuple[Any, ...]
    claim: CaseClaim
    budget: Budget
    _replays: dict[int, list[Any] | Unreplayable] = field(default_factory=dict)

    @property
    def returned(self) -> Any:
        """What the task returned, with its types."""
        return self.claim.returned

    def replay(self, call: Call, backend: Any) -> list[Any]:
        """The grader's own results of ``call`` on ``backend``, PUB by PUB; raises Unreplayable with the reason."""
        key = id(call)
        if key not in self._replays:
            try:
                self._replays[key] = replay(call, backend, self.budget)
            except Unreplayable as error:
                self._replays[key] = error
        found = self._replays[key]
        if isinstance(found, Unreplayable):
            raise found
        return found
