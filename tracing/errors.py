"""Refusals of the use cases: each message is meant for the person who asked.

Pages and the API turn them into answers: `ValidationFailed` puts each problem on its field,
`NotFound` is 404, `NotAllowed` 403, `StaleDecision` 409, any other `ServiceError` a
message beside the form (422 in the API).
"""

from __future__ import annotations

from tracing.contract import Problem


class ServiceError(Exception):
    """A use case refused: the message is meant for the person who asked."""


class ValidationFailed(ServiceError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems if p.severity == "error"))
        self.problems = problems


class NotFound(ServiceError):
    """No such record, or one outside the actor's agency: the pages answer 404."""


class NotAllowed(ServiceError):
    """The actor sees the record but may not do this to it: the pages answer 403."""


class StaleDecision(ServiceError):
    """Someone else decided this match first."""
