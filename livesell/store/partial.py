"""A batch of comments where some were stored and one was refused by the store.

Both stores commit each comment on its own, so when one fails (its show ended meanwhile, a
row the disk had no room for) the others are already durable. Raising then would lose their
answers and their events; instead the refused one is answered ``rejected`` with the reason,
and only a batch where nothing was stored is refused as a whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from ..domain.errors import DomainError
from ..domain.models import CaptureResult, CommentStatus
from .base import Captured, CaptureRequest

log = logging.getLogger(__name__)


def settle(requests: Sequence[CaptureRequest], done: Sequence[Captured | Exception],
           as_error: Callable[[Exception], BaseException] = lambda exc: exc) -> list[Captured]:
    """Every comment's answer; raises (through ``as_error``) only when none was stored."""
    failures = [item for item in done if isinstance(item, Exception)]
    if failures and len(failures) == len(done):
        raise as_error(failures[0])
    return [item if not isinstance(item, Exception) else failed_alone(req, item)
            for req, item in zip(requests, done, strict=True)]


def failed_alone(req: CaptureRequest, exc: Exception) -> Captured:
    """The answer for one comment whose write failed while the rest of its batch went in."""
    if isinstance(exc, DomainError):
        reason = exc.code
    else:
        reason = "could not be stored"
        log.error("comment %s could not be stored", req.comment.source_id, exc_info=exc)
    return Captured(CaptureResult(req.comment.source_id, CommentStatus.REJECTED,
                                  reason=reason), ())
