"""Domain exceptions.  Interfaces translate them once, at the edge.

Every error carries a message that says what happened and what to do next;
``str(error)`` is that message.  Standard library only.
"""

from __future__ import annotations


class SearchkitError(Exception):
    """Base class: ``exit_code`` is what the command line returns for it."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        if not message:
            raise ValueError("a SearchkitError needs a message")
        super().__init__(message)
        self.message = message


class IndexMissing(SearchkitError):
    """No index where one was expected."""


class IndexDamaged(SearchkitError):
    """The index cannot be read, or does not match its manifest."""


class IndexOutdated(SearchkitError):
    """The index was built by another version of the analysis; rebuild it."""


class IndexUnreadable(SearchkitError):
    """The index folder exists but cannot be read (permissions, I/O error)."""


class IndexLocked(SearchkitError):
    """Another process is writing the index."""


class IndexWriteError(SearchkitError):
    """The index folder cannot be written (read-only, disk full...)."""


class IndexForeign(SearchkitError):
    """The index folder holds files and is not a searchkit index: nothing is written there."""


class QueryError(SearchkitError):
    """The query cannot be understood, even as plain words."""


class SourceError(SearchkitError):
    """A source file or folder cannot be read at all."""


class ConfigError(SearchkitError):
    """A setting has a value that cannot be used."""
