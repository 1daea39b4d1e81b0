"""Herald's one exception tree.

::

    HeraldError
    ├── ConfigError            bad or missing settings
    ├── StorageError           the database failed or refused
    │   └── NotFoundError      a row that should exist does not
    ├── FetchError             HTTP fetching failed (timeouts, status codes, sizes)
    │   ├── BlockedError       refused by robots.txt or SSRF protection
    │   └── TooLargeError      the response exceeded the size limit
    ├── FeedParseError         a feed could not be parsed at all
    ├── ExtractionError        article extraction failed unexpectedly
    ├── ModelError             an embedding or language model failed or is missing
    │   └── LLMError           an LLM back end failed, timed out or answered badly
    ├── WriteError             no article could be written for a story
    ├── VerificationError      a draft failed verification as a whole
    ├── SourceError            a source could not be added, found or discovered
    └── AuthError              sign-up or log-in refused (bad email, password, session)
        └── RateLimitedError   too many failed log-ins: retry after ``retry_after`` seconds

Third-party errors are wrapped where they enter (``raise ... from e``).
"""

from __future__ import annotations


class HeraldError(Exception):
    """Base class of every error Herald raises on purpose."""


class ConfigError(HeraldError):
    """A setting is invalid or missing."""


class StorageError(HeraldError):
    """The database failed or refused an operation."""


class NotFoundError(StorageError):
    """A requested row does not exist."""


class FetchError(HeraldError):
    """An HTTP fetch failed."""


class BlockedError(FetchError):
    """A fetch was refused by robots.txt or by SSRF protection."""


class TooLargeError(FetchError):
    """A response body exceeded the configured maximum size."""


class FeedParseError(HeraldError):
    """A document could not be parsed as any supported feed format."""


class ExtractionError(HeraldError):
    """Article extraction failed unexpectedly."""


class WorkerError(HeraldError):
    """A worker process failed a job: it crashed, or it ran past its time limit."""


class WorkerTimeoutError(WorkerError):
    """A job ran past its time limit; its worker process was killed."""


class ModelError(HeraldError):
    """An embedding or language model is missing or failed."""


class LLMError(ModelError):
    """An LLM back end failed, timed out or returned an unusable answer."""


class WriteError(HeraldError):
    """No article could be written for a story."""


class VerificationError(HeraldError):
    """A draft failed verification as a whole."""


class SourceError(HeraldError):
    """A source could not be added, found or discovered."""


class AuthError(HeraldError):
    """Signing up or logging in was refused; ``field`` names the form field at fault, if any."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class RateLimitedError(AuthError):
    """Too many failed log-ins for an email address or a client: retry after ``retry_after`` s."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
