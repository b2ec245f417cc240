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


class FeedInvalid(PodquoteError):
    """A podcast feed that cannot be read: malformed XML, or a document that is not RSS."""

    def __init__(self, url: str, reason: str):
        self.url, self.reason = url, reason
        super().__init__(f"The feed {url} cannot be read: {reason}.")


class FetchFailed(PodquoteError):
    """A download (feed, transcript, chapters) that failed; reason names the case ("timed out", "HTTP 404", ...)."""

    def __init__(self, url: str, reason: str):
        self.url, self.reason = url, reason
        super().__init__(f"Could not download {url}: {reason}.")


AUDIO_EXTRA_MESSAGE = 'reading audio needs the audio extra: pip install "podquote[audio]"'


class AudioUnavailable(PodquoteError):
    """Speech recognition cannot run here: the audio extra is not installed (str() is the one install message),
    or the speech model cannot be loaded (SpeechModelUnavailable). It holds for every audio file alike."""

    def __init__(self, message: str = AUDIO_EXTRA_MESSAGE):
        super().__init__(message)


class SpeechModelUnavailable(AudioUnavailable):
    """The speech model named by --asr-model / PODQUOTE_ASR_MODEL, or the packaged one, cannot be loaded."""


class UnusableAudio(PodquoteError):
    """One audio file gives no transcript: zero bytes, not decodable, or no speech in it. str() says which,
    without the path (the caller names the file)."""
