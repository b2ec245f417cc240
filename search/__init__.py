"""podquote: semantic search over what people said on podcasts.

The public API: `Collection` (open and search an index), `build_index` (build or update one),
`register_embedder`/`get_embedder`, the `Passage` model and the domain errors.
"""

from .collection import Collection
from .embedders import get_embedder, register_embedder
from .errors import (
    EmbedderUnavailable,
    IndexCorrupt,
    IndexMismatch,
    IndexNotFound,
    InvalidQuery,
    PassageNotFound,
    PodquoteError,
    SourceNotFound,
    UnknownEmbedder,
    UnreadableSource,
)
from .hits import Hit
from .metadata import Filters
from .passage import Episode, Passage

# Indexing pulls in every reader (YAML, WebVTT, SRT, ...): loaded on first use, so that `import podquote` (and a
# cold `podquote search`) does not pay for it.
_LAZY = {"IndexReport": "indexing", "build_index": "indexing"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Collection", "EmbedderUnavailable", "Episode", "Filters", "Hit", "IndexCorrupt", "IndexMismatch",
    "IndexNotFound", "IndexReport", "InvalidQuery", "Passage", "PassageNotFound", "PodquoteError",
    "SourceNotFound", "UnknownEmbedder", "UnreadableSource", "build_index", "get_embedder", "register_embedder",
]
