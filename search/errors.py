"""Domain errors. The core raises these; the CLI and the API turn them into messages and status codes."""

from __future__ import annotations


class PodquoteError(Exception):
    """Base class: str(error) is a complete, user-facing sentence."""


class UnreadableSource(PodquoteError):
    """A file that cannot be read as text in a known format (binary, wrong encoding, empty, truncated)."""


class SourceNotFound(PodquoteError):
    pass


class IndexNotFound(PodquoteError):
    pass


class IndexMismatch(PodquoteError):
    """The index was built with another embedder, dimension or format version."""


class IndexCorrupt(PodquoteError):
    pass


class UnknownEmbedder(PodquoteError):
    pass


class EmbedderUnavailable(PodquoteError):
    """The embedder exists but its package or model is not installed here."""


class PassageNotFound(PodquoteError):
    pass


class InvalidQuery(PodquoteError):
    pass
