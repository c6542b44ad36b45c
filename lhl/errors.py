"""Domain exceptions. Each carries a code, an HTTP status and a Norwegian message for users,
all three from the catalogue (lhl/messages/errors.py).

    LhlError                 500  anything unexpected
    ├── InvalidQuestion      400  empty or too long question, bad parameters
    ├── IndexNotReady        503  no index yet, or it is being loaded
    ├── IndexUnavailable     503  the index could not be read (corrupt, server down)
    ├── IngestFailed         500  nothing could be indexed (read at the command line)
    ├── Unauthorized         401  Teams signature missing or wrong
    ├── TeamsNotConfigured   503  no (valid) Teams tokens configured
    ├── BodyTooLarge         413  request body over the limit
    └── BadMessage           400  a Teams message that is not the expected JSON

A raise may give a more precise message (from the catalogue too). Full detail goes to the
log; only `message` reaches a user.
"""

from __future__ import annotations

from typing import ClassVar

from lhl import messages
from lhl.messages.errors import ErrorText


class LhlError(Exception):
    code: ClassVar[str] = messages.errors.INTERNAL.code
    status: ClassVar[int] = messages.errors.INTERNAL.status
    message: str = messages.errors.INTERNAL.message

    def __init_subclass__(cls, text: ErrorText | None = None, **kwargs: object) -> None:
        """`class X(LhlError, text=messages.errors.X)`: X's code, status and message."""
        super().__init_subclass__(**kwargs)
        if text is not None:
            cls.code, cls.status, cls.message = text.code, text.status, text.message

    def __init__(self, message: str | None = None, *, detail: str | None = None) -> None:
        if message:
            self.message = message
        self.detail = detail or self.message
        super().__init__(self.detail)


class InvalidQuestion(LhlError, text=messages.errors.INVALID_QUESTION):
    pass


class IndexNotReady(LhlError, text=messages.errors.INDEX_NOT_READY):
    pass


class IndexUnavailable(LhlError, text=messages.errors.INDEX_UNAVAILABLE):
    pass


class IngestFailed(LhlError, text=messages.errors.INGEST_FAILED):
    pass


class Unauthorized(LhlError, text=messages.errors.UNAUTHORIZED):
    pass


class TeamsNotConfigured(LhlError, text=messages.errors.TEAMS_NOT_CONFIGURED):
    pass


class BodyTooLarge(LhlError, text=messages.errors.TOO_LARGE):
    pass


class BadMessage(LhlError, text=messages.errors.BAD_MESSAGE):
    pass
