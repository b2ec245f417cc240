"""Finding source files under the roots the user names, and giving each a stable source id."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .audio import AUDIO_EXTENSIONS
from .errors import SourceNotFound

BUILTIN_LABEL = "builtin"
SOURCE_EXTENSIONS = {".md", ".markdown", ".txt", ".text", ".vtt", ".srt", ".json"}
# Files that describe a repository rather than hold an episode; skipped when walking a folder (a file named
# on the command line is always read).
REPOSITORY_FILES = {"readme", "license", "licence", "copying", "contributing", "code_of_conduct", "security",
                    "notice", "authors", "changelog", "changes", "history"}
# The episode metadata `podquote refresh` writes beside a transcript taken from a feed (podquote.feeds.sidecar):
# read with that transcript, never as a source of its own.
SIDECAR_SUFFIX = ".episode.json"
# Read only when taken from a feed (beside a sidecar): an HTML transcript, yes; a folder of saved web pages, no.
FEED_EXTENSIONS = {".html"}
# Captions beside an audio file of the same name say what it says, with who says it: the audio is then skipped.
CAPTION_EXTENSIONS = (".vtt", ".srt")


@dataclass(frozen=True)
class SourceFile:
    source: str  # "<root label>/<path relative to the root>"
    root: str  # root label
    path: Path


def builtin_root() -> Path:
    return Path(str(resources.files("podquote") / "data"))


def root_label(path: Path, taken: dict[str, str]) -> str:
    """A short, stable label for a root: its folder name, made unique among the index's roots."""
    resolved = str(path.resolve())
    for label, existing in taken.items():
        if existing == resolved:
            return label
    base = path.resolve().name or "root"
    label, n = base, 2
    while label in taken:
        label, n = f"{base}-{n}", n + 1
    return label


def _is_candidate(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in FEED_EXTENSIONS:
        return _has_sidecar(path)
    if suffix not in SOURCE_EXTENSIONS and suffix not in AUDIO_EXTENSIONS:
        return False
    if path.stem.lower() in REPOSITORY_FILES or path.name.lower().endswith(SIDECAR_SUFFIX):
        return False
    if suffix in AUDIO_EXTENSIONS:  # transcribed when indexed (podquote.audio_sources)
        return not any(path.with_suffix(caption).is_file() for caption in CAPTION_EXTENSIONS)
    # A cue-per-line .txt beside a .vtt of the same name repeats the .vtt: indexing both doubles every quote.
    return not (path.suffix.lower() == ".txt" and path.with_suffix(".vtt").exists())


def _has_sidecar(path: Path) -> bool:
    return path.with_name(path.name.split(".", 1)[0] + SIDECAR_SUFFIX).is_file()


def walk_root(label: str, root: Path) -> list[SourceFile]:
    """Every source file under `root` (or `root` itself if it is a file), in a stable order."""
    if not root.exists():
        raise SourceNotFound(f"{root}: no such file or folder")
    if root.is_file():
        return [SourceFile(f"{label}/{root.name}", label, root)]
    files = []
    real_root = root.resolve()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        # A symlink may point anywhere; only what really lies under the root is read.
        if not path.resolve().is_relative_to(real_root):
            continue
        if path.is_file() and _is_candidate(path):
            files.append(SourceFile(f"{label}/{relative.as_posix()}", label, path))
    return files
