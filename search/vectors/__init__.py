"""Vector stores: the interface (`base.VectorStore`), FAISS (embedded, the default) and Milvus (a server, a cluster or
a milvus-lite file), chosen by the PODQUOTE_VECTOR_STORE setting:

    unset                  whatever the index already uses (FAISS for a new index)
    faiss                  FAISS, files inside each index generation
    milvus://host:port     a Milvus server or cluster (also http://host:port, https://host:port)
    ./podquote-milvus.db   a milvus-lite file (any other value is taken as a path)

PODQUOTE_VECTOR_COLLECTION names the Milvus collection (default: podquote_ and a hash of the index directory);
PODQUOTE_MILVUS_TOKEN is sent to the server if set (it is never written to the index).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

_COLLECTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")


@dataclass(frozen=True)
class VectorTarget:
    """Where a build puts the passage vectors: backend "faiss", or "milvus" with its uri and collection."""

    backend: str = "faiss"
    uri: str | None = None
    collection: str | None = None

    @classmethod
    def of_manifest(cls, info: dict | None) -> "VectorTarget":
        info = info or {}
        if info.get("backend") == "milvus":
            return cls("milvus", info.get("uri"), info.get("collection"))
        return cls()


def default_collection(root: Path) -> str:
    digest = hashlib.sha256(str(Path(root).resolve()).encode("utf-8")).hexdigest()[:16]
    return f"podquote_{digest}"


def choose_target(root: Path, setting: str | None, collection: str | None, previous: dict | None) -> VectorTarget:
    """The backend for the next build of the index at `root`: the setting if given, else the one it already uses."""
    from ..errors import PodquoteError

    before = VectorTarget.of_manifest(previous)
    if setting is None or not setting.strip():
        if before.backend == "milvus" and collection and collection != before.collection:
            return VectorTarget("milvus", before.uri, _checked_collection(collection))
        return before
    if setting.strip().lower() == "faiss":
        return VectorTarget()
    from .milvus_store import milvus_uri

    uri = milvus_uri(setting)
    if not uri:
        raise PodquoteError(f"PODQUOTE_VECTOR_STORE={setting!r} names no Milvus server or file")
    if collection:
        name = collection
    elif before.backend == "milvus" and before.uri == uri and before.collection:
        name = before.collection
    else:
        name = default_collection(root)
    return VectorTarget("milvus", uri, _checked_collection(name))


def _checked_collection(name: str) -> str:
    from ..errors import PodquoteError

    if not _COLLECTION_NAME.fullmatch(name):
        raise PodquoteError(f"{name!r} is not a Milvus collection name (letters, digits and _, not starting with a "
                            "digit, at most 255)")
    return name


def open_vector_store(info: dict, dimension: int, root: Path):
    """The store an index's manifest names (`vector_store`), for searching. FAISS is loaded from the generation's
    files by `podquote.store.load_checked`; this opens the others."""
    from ..errors import IndexCorrupt
    from ..store.hints import rebuild_hint

    target = VectorTarget.of_manifest(info)
    if target.backend != "milvus" or not target.uri or not target.collection:
        raise IndexCorrupt(f"the manifest of {root} names vector store {info!r}, which this podquote cannot open")
    from .milvus_store import MilvusStore

    hint = rebuild_hint(root).rstrip("`") + " --rebuild-vectors`"
    return MilvusStore.open(target.uri, target.collection, dimension, written_ts=int(info.get("written_ts") or 0),
                            rebuild_hint=hint)
