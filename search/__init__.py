"""podquote: semantic search over what people said on podcasts.

The public API: `Collection` (open and search an index), `build_index` (build or update one),
`register_embedder`/`get_embedder`, the `Passage` model and the domain errors.
"""

from .collection import Collection, Hit
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
from .indexing import IndexReport, build_index
from .metadata import Filters
from .passage import Episode, Passage

__all__ = [
    "Collection", "EmbedderUnavailable", "Episode", "Filters", "Hit", "IndexCorrupt", "IndexMismatch",
    "IndexNotFound", "IndexReport", "InvalidQuery", "Passage", "PassageNotFound", "PodquoteError",
    "SourceNotFound", "UnknownEmbedder", "UnreadableSource", "build_index", "get_embedder", "register_embedder",
]
