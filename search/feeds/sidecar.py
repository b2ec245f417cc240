"""The sidecar of a file taken from a feed: `<episode-key>.episode.json` beside `<episode-key>.<ext>`.

`podquote refresh` writes the transcript (and `<episode-key>.chapters.json`) as downloaded, and this file with what
the feed says of the episode (show, title, date, links, persons, soundbites) and the HTTP validators of each
download, so the next refresh can ask "changed?" (conditional GET) and the reader can label the passages
(podquote.feeds.episode_passages). The sidecar lives in the index folder, outside any generation, so a rebuild
keeps it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..file_integrity import sha256_digest, write_atomically
from ..sources import SIDECAR_SUFFIX

SIDECAR_VERSION = 1
CHAPTERS_SUFFIX = ".chapters.json"


@dataclass
class Download:
    """One file as it was downloaded: where from, and the validators for the next conditional GET."""

    url: str
    type: str | None = None
    file: str | None = None  # the name it was saved under, beside the sidecar
    etag: str | None = None
    last_modified: str | None = None
    problem: str | None = None  # why this version was rejected (it did not parse)
    # The speech model that transcribed this file from the episode's audio (the url is the enclosure's), if so.
    asr_model: str | None = None


@dataclass
class EpisodeSidecar:
    guid: str
    feed: str  # the followed feed's url or path
    show: str | None = None
    title: str | None = None
    episode: str | None = None  # the episode id: "<feed-key>/<episode-key>"
    date: str | None = None
    link: str | None = None
    enclosure: str | None = None
    language: str | None = None
    persons: list[dict] = field(default_factory=list)  # podquote.feeds.model.Person as dicts
    soundbites: list[dict] = field(default_factory=list)  # podquote.feeds.model.Soundbite as dicts
    transcript: Download | None = None
    chapters: Download | None = None
    # Transcripts that downloaded but did not parse, with their validators: asked again conditionally, so an
    # unchanged broken file is not downloaded on every refresh.
    rejected: list[Download] = field(default_factory=list)

    def metadata(self) -> dict:
        """What the passages are labelled with: a change here re-reads the transcript (see source_hashes)."""
        data = asdict(self)
        for volatile in ("transcript", "chapters", "rejected"):
            data.pop(volatile)
        return data

    def to_json(self) -> str:
        return json.dumps({"version": SIDECAR_VERSION, **asdict(self)}, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "EpisodeSidecar":
        data = json.loads(text)
        if not isinstance(data, dict) or data.pop("version", None) != SIDECAR_VERSION:
            raise ValueError("not a podquote episode sidecar")
        downloads = {name: Download(**data[name]) if data.get(name) else None for name in ("transcript", "chapters")}
        rejected = [Download(**d) for d in data.pop("rejected", [])]
        return cls(**{**data, **downloads, "rejected": rejected})


def episode_key_of(path: Path) -> str:
    """`ep-key.vtt`, `ep-key.chapters.json`, `ep-key.episode.json` -> `ep-key` (episode keys hold no dot)."""
    return path.name.split(".", 1)[0]


def sidecar_path(path: Path) -> Path:
    """Where the sidecar of a materialised file is (it may not exist: a file not taken from a feed)."""
    return path.with_name(episode_key_of(path) + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> EpisodeSidecar | None:
    """The sidecar of `path` (a materialised file or the sidecar itself), None when there is none or it is
    damaged: the file is then read as any other file."""
    where = path if path.name.endswith(SIDECAR_SUFFIX) else sidecar_path(path)
    try:
        return EpisodeSidecar.from_json(where.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def write_sidecar(folder: Path, key: str, sidecar: EpisodeSidecar) -> None:
    write_atomically(folder / (key + SIDECAR_SUFFIX), sidecar.to_json().encode("utf-8"))


def source_hashes(path: Path) -> tuple[str, str]:
    """(the content hash an index keeps of a source file, the file's own sha256), from one read. A file with a
    sidecar hashes its episode metadata too, so a feed that renames an episode or names its speakers re-labels
    the passages (nothing is embedded again: the text is unchanged). Without a sidecar the two are equal."""
    digest = sha256_digest(path)
    plain = digest.hexdigest()
    sidecar = read_sidecar(path) if not path.name.endswith(SIDECAR_SUFFIX) else None
    if sidecar is not None:
        digest.update(b"\x00" + json.dumps(sidecar.metadata(), sort_keys=True).encode("utf-8"))
    return digest.hexdigest(), plain
