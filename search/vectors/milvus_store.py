"""Milvus vector store: the same interface as FAISS, on a Milvus server, a Milvus cluster or a milvus-lite file.

pymilvus' `MilvusClient(uri=...)` speaks one API to all three; `milvus_uri` turns podquote's setting
(`milvus://host:port`, `http(s)://host:port`, or a path such as `./podquote-milvus.db` for milvus-lite) into its uri.

One collection per index. Each row is a passage: the int64 vector id (`podquote.passage.vector_id`) as primary key,
the passage vector, and the scalar fields `Filters` can test (`VectorAttributes`), so filters run inside Milvus as a
boolean expression (`filter_expression`). Scores are cosine similarities (metric COSINE): higher is better, as with
FAISS. On a server the index is HNSW (M=16, efConstruction=200), searched with ef = max(2k, 64): approximate, so
results are compared with FAISS's exact ones by recall, not id for id; milvus-lite scans exactly (FLAT).

Consistency: every collection is created, read and searched at consistency level "Session" (see
CONSISTENCY_LEVEL). Milvus 2.3 answers a delete with timestamp 0, so pymilvus' session clock would not move past a
delete and the next search could still return the deleted vector; after each delete the store allocates a server
timestamp (later than the acknowledged delete) and makes it the session's last write (`_fence`). A build records
its last write timestamp in the manifest, and `MilvusStore.open(..., written_ts=)` starts the reader's session
there, so a search in another process sees everything that build wrote.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..errors import IndexCorrupt, PodquoteError
from .base import VectorAttributes, empty_result
from .milvus_fields import (ID, MAX_KEYS, MAX_VARCHAR, SCALARS, SPEAKER_KEYS, VECTOR, filter_expression,
                            milvus_row)

log = logging.getLogger("podquote")

METRIC = "COSINE"
# Milvus's default ("Bounded") lets a search run on a snapshot up to a few seconds old, so a fresh upsert or delete
# can be missing from the next search. "Session" makes a client's own writes visible to its next read, and costs
# nothing measurable here: it waits only for writes this client has made.
CONSISTENCY_LEVEL = "Session"
# A server or cluster gets HNSW; milvus-lite, local and small, an exact FLAT scan (its HNSW, FAISS's, can miss
# matches of a filter that leaves only a few passages).
INDEX = {"index_type": "HNSW", "params": {"M": 16, "efConstruction": 200}}
LITE_INDEX = {"index_type": "FLAT", "params": {}}
MIN_EF = 64
MAX_TOPK = 16384
BATCH_BYTES = 4 << 20  # rows per insert/upsert call: well under gRPC's 64 MB message limit
DELETE_BATCH = 10_000


class VectorStoreUnavailable(PodquoteError):
    """The vector backend cannot be reached or used (server down, client not installed, file locked)."""


def milvus_uri(spec: str) -> str:
    """pymilvus' uri for a PODQUOTE_VECTOR_STORE value naming Milvus: a server or cluster, or a milvus-lite file."""
    spec = spec.strip()
    if spec.startswith("milvus://"):
        return "http://" + spec[len("milvus://"):].rstrip("/")
    if spec.startswith(("http://", "https://")):
        return spec.rstrip("/")
    if not spec.endswith(".db"):
        raise PodquoteError(f"PODQUOTE_VECTOR_STORE={spec!r}: name a Milvus server as milvus://host:port, or a "
                            "milvus-lite file ending in .db (or faiss)")
    return str(Path(spec).expanduser().resolve())  # milvus-lite: an absolute path, so any working directory finds it


def is_lite(uri: str) -> bool:
    return "://" not in uri


def _client_class():
    try:
        # Their own error logs would repeat (with tracebacks) what podquote reports in one line.
        level = logging.DEBUG if os.environ.get("PODQUOTE_DEBUG") else logging.CRITICAL
        for name in ("pymilvus", "milvus_lite"):
            logging.getLogger(name).setLevel(level)
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise VectorStoreUnavailable(
            f"the Milvus backend needs pymilvus ({exc}); install it with `pip install 'podquote[milvus]'`"
        ) from None
    return MilvusClient


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(message).split())[:300]


class MilvusStore:
    type = "milvus"

    def __init__(self, client, uri: str, collection: str, dimension: int):
        self.client = client
        self.uri = uri
        self.collection = collection
        self.dimension = dimension
        self._count: int | None = None
        self.written_ts = 0  # the server timestamp of this store's last fenced write (0 on milvus-lite)

    # opening
    @classmethod
    def connect(cls, uri: str, collection: str, dimension: int, *, token: str | None = None,
                timeout: float = 30.0) -> "MilvusStore":
        """A store on `collection` at `uri`, whether or not the collection exists yet (see `exists`, `create`)."""
        client_class = _client_class()
        token = token if token is not None else os.environ.get("PODQUOTE_MILVUS_TOKEN", "")
        if is_lite(uri):
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            client = client_class(uri=uri, token=token, timeout=timeout)
        except Exception as exc:
            where = f"the milvus-lite file {uri}" if is_lite(uri) else f"Milvus at {uri}"
            hint = (" (milvus-lite serves one process at a time: is another podquote using it? Use a Milvus server "
                    "for several processes)") if is_lite(uri) else " (is the server running?)"
            raise VectorStoreUnavailable(f"cannot open {where}: {_reason(exc)}{hint}") from None
        return cls(client, uri, collection, dimension)

    @classmethod
    def open(cls, uri: str, collection: str, dimension: int, *, written_ts: int = 0,
             rebuild_hint: str = "`podquote index --rebuild-vectors`") -> "MilvusStore":
        """The store an index's manifest names, checked: the collection exists, has this dimension and is loaded.

        `written_ts` (from the manifest) starts this process's Session there, so it sees every write of the build
        that produced the generation, even though that build ran in another process.
        """
        store = cls.connect(uri, collection, dimension)
        try:
            problem = store.problem()
            if problem:
                store.close()
                raise IndexCorrupt(f"{problem}; the index's passages and vectors are intact, so rebuild it with "
                                   f"{rebuild_hint}")
            store._call("load", store.client.load_collection, collection)
        except PodquoteError:
            store.close()
            raise
        if written_ts:
            store._session_after(int(written_ts))
        return store

    def exists(self) -> bool:
        return bool(self._call("check", self.client.has_collection, self.collection))

    def problem(self) -> str | None:
        """Why this collection cannot serve this index (missing, another dimension, another schema), or None."""
        where = f"Milvus collection {self.collection!r} at {self.uri}"
        if not self.exists():
            return f"the {where} does not exist"
        description = self._call("describe", self.client.describe_collection, self.collection)
        fields = {f["name"]: f for f in description.get("fields", [])}
        vector = fields.get(VECTOR)
        if not self.is_podquotes(fields):
            return f"the {where} has fields {sorted(fields)}, not podquote's"
        dim = int((vector.get("params") or {}).get("dim", 0))
        if dim != self.dimension:
            return f"the {where} holds {dim}-d vectors, this index {self.dimension}-d"
        return None

    @staticmethod
    def is_podquotes(fields) -> bool:
        return set(fields) == {ID, VECTOR, SPEAKER_KEYS, *SCALARS}

    def foreign(self) -> bool:
        """The collection exists and is not one podquote made (so podquote must not drop it)."""
        if not self.exists():
            return False
        description = self._call("describe", self.client.describe_collection, self.collection)
        return not self.is_podquotes(f["name"] for f in description.get("fields", []))

    def create(self) -> None:
        """Create the collection (it must not exist): schema, HNSW index, consistency level Session; loaded."""
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field(ID, DataType.INT64, is_primary=True)
        schema.add_field(VECTOR, DataType.FLOAT_VECTOR, dim=self.dimension)
        schema.add_field(SPEAKER_KEYS, DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_KEYS,
                         max_length=MAX_VARCHAR)
        for name in SCALARS:
            schema.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR)
        index_params = MilvusClient.prepare_index_params()
        index = self.index
        index_params.add_index(field_name=VECTOR, index_type=index["index_type"], metric_type=METRIC,
                               params=dict(index["params"]))
        self._call("create", self.client.create_collection, self.collection, schema=schema,
                   index_params=index_params, consistency_level=CONSISTENCY_LEVEL)
        self._count = 0

    def drop(self) -> None:
        if self.exists():
            self._call("drop", self.client.drop_collection, self.collection)
        self._count = None

    # writing
    def add(self, ids: np.ndarray, vectors: np.ndarray, attributes: Sequence[VectorAttributes] | None = None) -> None:
        self._write("insert", self.client.insert, ids, vectors, attributes)

    def upsert(self, ids: np.ndarray, vectors: np.ndarray,
               attributes: Sequence[VectorAttributes] | None = None) -> None:
        self._write("upsert", self.client.upsert, ids, vectors, attributes)

    def _write(self, what, method, ids, vectors, attributes) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dimension):
            raise ValueError(f"{len(ids)} ids but vectors of shape {vectors.shape} (dimension {self.dimension})")
        attributes = list(attributes) if attributes is not None else [VectorAttributes()] * len(ids)
        if len(attributes) != len(ids):
            raise ValueError(f"{len(ids)} ids but {len(attributes)} attributes")
        step = max(1, min(5000, BATCH_BYTES // (4 * self.dimension + 512)))
        for lo in range(0, len(ids), step):
            rows = [milvus_row(int(i), v, a) for i, v, a in
                    zip(ids[lo:lo + step], vectors[lo:lo + step], attributes[lo:lo + step])]
            self._call(what, method, self.collection, rows)
        self._count = None

    def delete(self, ids: np.ndarray) -> None:
        ids = [int(i) for i in np.asarray(ids, dtype=np.int64)]
        for lo in range(0, len(ids), DELETE_BATCH):
            self._call("delete", self.client.delete, self.collection, ids=ids[lo:lo + DELETE_BATCH])
        if ids:
            self._fence()
        self._count = None

    def save(self, directory: Path | None = None) -> list[str]:
        """Flush: every acknowledged write is already in Milvus's log; this also seals it into stored segments.
        Writes no local files."""
        self._call("flush", self.client.flush, self.collection)
        self._fence()
        return []

    def _fence(self) -> None:
        """Make this session's clock later than every write acknowledged so far (see the module's docstring)."""
        try:
            ts = int(self.client._get_connection().alloc_timestamp())
        except Exception:  # milvus-lite has no timestamp oracle: its reads always see its writes
            return
        if ts:
            self.written_ts = max(self.written_ts, ts)
            self._session_after(ts)

    def _session_after(self, ts: int) -> None:
        """Let this process's Session reads wait for everything up to server timestamp `ts`. pymilvus keeps the
        session clock per (server address, database, collection); this moves it the way its own writes do."""
        from pymilvus.client import ts_utils

        handler = self.client._get_connection()
        database = getattr(getattr(self.client, "_config", None), "db_name", "") or ""
        ts_utils.update_collection_ts(self.collection, ts, handler.server_address, database)

    # reading
    def compile_filter(self, filters, matching_ids) -> str:
        """A boolean expression over the stored fields; for values no literal can carry, the ids `matching_ids`
        finds (in SQLite, the source of truth) instead."""
        expression = filter_expression(filters)
        if expression is not None:
            return expression
        vids = matching_ids(filters)
        return f"{ID} in [{', '.join(str(int(v)) for v in vids)}]" if vids else f"{ID} < 0"

    def search(self, queries: np.ndarray, k: int, where: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        k = int(k)
        if not 1 <= k <= MAX_TOPK:
            raise ValueError(f"k must be between 1 and {MAX_TOPK} for Milvus, not {k}")
        scores, ids = empty_result(len(queries), k)
        if where == f"{ID} < 0" or not len(queries):
            return scores, ids
        params = {"ef": min(max(2 * k, MIN_EF), 32768)} if self.index["index_type"] == "HNSW" else {}
        results = self._call(
            "search", self.client.search, self.collection, data=[q.tolist() for q in queries], limit=k,
            filter=where or "", output_fields=[], anns_field=VECTOR, consistency_level=CONSISTENCY_LEVEL,
            search_params={"metric_type": METRIC, "params": params},
        )
        for row, hits in enumerate(results):
            for col, hit in enumerate(list(hits)[:k]):
                ids[row, col] = int(hit["id"])
                scores[row, col] = float(hit["distance"])
        return scores, ids

    def count(self) -> int:
        """Rows in the collection, counted by Milvus (cached until this store writes again)."""
        if self._count is None:
            rows = self._call("count", self.client.query, self.collection, filter="",
                              output_fields=["count(*)"], consistency_level=CONSISTENCY_LEVEL)
            self._count = int(rows[0]["count(*)"]) if rows else 0
        return self._count

    def ids(self, batch: int = 5000) -> Iterator[int]:
        """Every id in the collection (for reconciling it with an index)."""
        iterator = self._call("list", self.client.query_iterator, self.collection, batch_size=batch,
                              filter=f"{ID} >= 0", output_fields=[ID], consistency_level=CONSISTENCY_LEVEL)
        try:
            while True:
                page = self._call("list", iterator.next)
                if not page:
                    return
                for row in page:
                    yield int(row[ID])
        finally:
            iterator.close()

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # closing is best effort: the server may already be gone
                pass

    @property
    def index(self) -> dict:
        return LITE_INDEX if is_lite(self.uri) else INDEX

    def info(self) -> dict:
        """What the manifest records about this store (no credentials)."""
        return {"backend": "milvus", "uri": self.uri, "collection": self.collection, "metric": "cosine",
                "index": {"type": self.index["index_type"], **self.index["params"]},
                "consistency_level": CONSISTENCY_LEVEL}

    def _call(self, what: str, method, *args, **kwargs):
        if self.client is None:
            raise VectorStoreUnavailable(f"the Milvus store on {self.collection!r} is closed")
        try:
            return method(*args, **kwargs)
        except PodquoteError:
            raise
        except Exception as exc:
            if type(exc).__module__.split(".")[0] not in ("pymilvus", "grpc", "milvus_lite"):
                raise
            raise VectorStoreUnavailable(
                f"Milvus {what} on collection {self.collection!r} at {self.uri} failed: {_reason(exc)}"
            ) from exc
