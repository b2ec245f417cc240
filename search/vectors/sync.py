"""Pushing a build's passage vectors to a server backend (Milvus), incrementally.

The local generation stays complete (passages.sqlite, vectors.npy, ids.npy, sentences, manifest): SQLite is the
source of truth and vectors.npy holds every passage vector, so the collection can always be rebuilt from the
generation without parsing or embedding anything. A build brings the collection to the new generation's passages:

- incremental (the usual case): the previous generation pushed to the same collection, so only the difference
  is sent: upsert the vids that are new or whose vector or filter fields changed (content hash, speaker, language,
  source, episode, show, date), delete the vids that are gone, leave the others alone;
- reconcile: the previous generation used another backend or collection, or an earlier build stopped between
  writing to Milvus and publishing (the `.vectors-pending` marker is still there), or the counts disagree after an
  incremental push: upsert everything and delete every id the collection has that the index does not;
- rebuild (`podquote index --rebuild-vectors`, or the collection is missing or has another dimension or schema):
  drop and create the collection, insert everything.

Then flush, and check that the collection holds exactly the index's count.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import IndexCorrupt, PodquoteError
from . import VectorTarget
from .base import VectorAttributes

log = logging.getLogger("podquote")
PENDING_FILE = ".vectors-pending"


@dataclass
class VectorSync:
    backend: str
    mode: str = "incremental"
    upserted: int = 0
    deleted: int = 0
    count: int = 0
    reasons: list[str] = field(default_factory=list)


class VectorPlan:
    """What one build does with a server backend (FAISS needs no plan: its files are written with the generation)."""

    def __init__(self, root: Path, target: VectorTarget, previous_info: dict | None, previous_metadata,
                 rebuild: bool):
        self.root = root
        self.target = target
        self.previous_info = previous_info
        self.previous_metadata = previous_metadata
        self.rebuild = rebuild

    @classmethod
    def for_build(cls, root: Path, previous, legacy: dict, *, setting: str | None = None,
                  rebuild: bool = False) -> "VectorPlan | None":
        """The plan for the next build of `root`, or None for FAISS. `previous` is the served generation (or None),
        `legacy` the raw manifest of an index being rebuilt from scratch; `setting` overrides
        PODQUOTE_VECTOR_STORE."""
        from ..settings import get_settings
        from . import choose_target

        settings = get_settings()
        info = previous.manifest.vector_store if previous else legacy.get("vector_store")
        target = choose_target(root, setting if setting is not None else settings.vector_store,
                               settings.vector_collection, info if isinstance(info, dict) else None)
        if target.backend == "faiss":
            return None  # --rebuild-vectors has nothing more to do: FAISS is rebuilt from vectors.npy by every build
        return cls(root, target, info, previous.metadata if previous else None, rebuild)

    def push(self, dimension: int, vids: np.ndarray, vectors: np.ndarray, passages, hashes) -> tuple[dict, VectorSync]:
        attributes = [VectorAttributes.of(p) for p in passages]
        new = {int(v): (h, a) for v, h, a in zip(vids, hashes, attributes)}
        previous = previous_signatures(self.previous_metadata) if self.previous_metadata is not None else None
        return push(self.target, self.root, dimension, vids, np.asarray(vectors, dtype=np.float32), attributes, new,
                    previous_info=self.previous_info, previous=previous, rebuild=self.rebuild)

    def published(self) -> None:
        published(self.root)


def signature(digest: str, passage) -> tuple:
    """What a backend must be told about when it changes: the vector (its content hash) and the filter fields."""
    return (digest, VectorAttributes.of(passage))


def previous_signatures(metadata) -> dict[int, tuple]:
    """vid -> signature of every passage of a served generation."""
    from ..passage import vector_id

    return {vector_id(p.id): signature(digest, p)
            for source in metadata.sources() for p, _, digest in metadata.passages_of(source)}


def push(target: VectorTarget, root: Path, dimension: int, vids: np.ndarray, vectors: np.ndarray,
         attributes: Sequence[VectorAttributes], new: dict[int, tuple], *, previous_info: dict | None,
         previous: dict[int, tuple] | None, rebuild: bool = False) -> tuple[dict, VectorSync]:
    """Bring the Milvus collection `target` names to these vids, vectors and attributes; returns the manifest's
    `vector_store` entry and what was done."""
    from .milvus_store import MilvusStore

    sync = VectorSync("milvus")
    store = MilvusStore.connect(target.uri, target.collection, dimension)
    try:
        if store.foreign():
            raise PodquoteError(f"the Milvus collection {target.collection!r} at {target.uri} was not made by "
                                "podquote; name another with PODQUOTE_VECTOR_COLLECTION (podquote never drops it)")
        problem = store.problem()
        if rebuild or problem:
            sync.mode = "rebuild"
            sync.reasons.append("--rebuild-vectors" if rebuild else problem)
        elif VectorTarget.of_manifest(previous_info) != target or previous is None:
            sync.mode = "reconcile"
            sync.reasons.append("the previous generation did not use this collection")
        elif _pending(root):
            sync.mode = "reconcile"
            sync.reasons.append("an earlier build stopped before publishing")
        _mark_pending(root, target)
        if sync.mode == "rebuild":
            store.drop()
            store.create()
            store.add(vids, vectors, attributes)
            sync.upserted = len(vids)
        elif sync.mode == "reconcile":
            _reconcile(store, vids, vectors, attributes, sync)
        else:
            changed = np.array([i for i, v in enumerate(vids) if previous.get(int(v)) != new[int(v)]], dtype=np.int64)
            gone = np.array(sorted(set(previous) - set(new)), dtype=np.int64)
            store.delete(gone)
            store.upsert(vids[changed], vectors[changed], [attributes[i] for i in changed])
            sync.upserted, sync.deleted = len(changed), len(gone)
        store.save()
        sync.count = store.count()
        if sync.count != len(vids) and sync.mode == "incremental":
            sync.mode = "reconcile"
            sync.reasons.append(f"the collection held {sync.count} vectors, the index {len(vids)}")
            _reconcile(store, vids, vectors, attributes, sync)
            store.save()
            sync.count = store.count()
        if sync.count != len(vids):
            raise IndexCorrupt(f"the Milvus collection {target.collection!r} at {target.uri} holds {sync.count} "
                               f"vectors after the build, the index {len(vids)}")
        info = {**store.info(), "written_ts": store.written_ts, "count": sync.count}
    finally:
        store.close()
    if sync.reasons:
        log.info("vectors: %s of %s (%s)", sync.mode, target.collection, "; ".join(sync.reasons))
    return info, sync


def _reconcile(store, vids, vectors, attributes, sync: VectorSync) -> None:
    wanted = {int(v) for v in vids}
    extra = np.array(sorted(i for i in store.ids() if i not in wanted), dtype=np.int64)
    store.delete(extra)
    store.upsert(vids, vectors, attributes)
    sync.upserted += len(vids)
    sync.deleted += len(extra)


def _mark_pending(root: Path, target: VectorTarget) -> None:
    """Written before the first write to the backend, removed once the generation that matches it is published."""
    path = root / PENDING_FILE
    tmp = root / f"{PENDING_FILE}.tmp"
    tmp.write_text(json.dumps({"uri": target.uri, "collection": target.collection}) + "\n", encoding="utf-8")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _pending(root: Path) -> bool:
    return (root / PENDING_FILE).exists()


def published(root: Path) -> None:
    """The generation matching the backend is served: the backend is no longer ahead of the index."""
    try:
        (root / PENDING_FILE).unlink()
    except FileNotFoundError:
        pass
