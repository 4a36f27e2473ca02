"""What the hand-written layer raises, beside the generated client's own exceptions.

    QrforgeError           anything the client refuses to hide
    ├── UserErrors         the API answered with userErrors: the request changed nothing
    └── BulkJobFailed      a bulk job ended FAILED, or ended without a result to download
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class QrforgeError(Exception):
    pass


class UserErrors(QrforgeError):
    """The API's `userErrors`: each has `code`, `message` and the `field` path it concerns."""

    def __init__(self, errors: Sequence[Any]) -> None:
        self.errors = list(errors)
        super().__init__(
            "; ".join(
                f"{'.'.join(e.field)}: {e.message}" if e.field else e.message for e in self.errors
            )
        )


class BulkJobFailed(QrforgeError):
    def __init__(self, job: Any) -> None:
        self.job = job
        super().__init__(f"bulk job {job.id} ended {job.status.value}")
