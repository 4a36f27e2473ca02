"""Expected failures of the domain, carried to clients as data.

    DomainError            a request the caller can fix; never a 500
    ├── InvalidInput       one or more field problems (GraphQL userErrors, REST 422)
    ├── NotFound           missing, or another workspace's (indistinguishable on purpose)
    └── QuotaExceeded      the workspace hit one of its limits

Anything else that escapes a service is a bug: it is logged and masked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: a code machines match on, a sentence people read."""

    code: str
    message: str
    field: tuple[str, ...] = ()

    def under(self, *prefix: str) -> Problem:
        """The same problem, reported under an enclosing field path."""
        return Problem(self.code, self.message, (*prefix, *self.field))


@dataclass
class DomainError(Exception):
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(
            p.message if _names_field(p) else f"{'.'.join(p.field)}: {p.message}"
            for p in self.problems
        )


def _names_field(problem: Problem) -> bool:
    # "`first` must be ..." already says which field; "first: `first` must ..." stutters.
    return not problem.field or problem.message.startswith(f"`{problem.field[-1]}`")


class InvalidInput(DomainError):
    @classmethod
    def one(cls, code: str, message: str, field: Sequence[str] = ()) -> InvalidInput:
        return cls([Problem(code, message, tuple(field))])


class NotFound(DomainError):
    @classmethod
    def of(cls, what: str) -> NotFound:
        return cls([Problem("NOT_FOUND", f"{what} not found")])


class QuotaExceeded(DomainError):
    pass
