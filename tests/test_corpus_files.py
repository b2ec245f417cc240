"""Every real file in ../shared/corpus parses, with speakers, times and bounds that hold across the whole corpus.

The corpus is parsed once per test session (module fixture). Run this file as a script for the numbers:

    /work/venv/bin/python tests/test_corpus_files.py

prints files, passages, speaker and start-time coverage per format and show, and the wall time of the parse.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

from podquote.passage import Passage
from podquote.readers import choose_reader, decode_source, is_cue_twin, read_document
from podquote.readers.base import Document
from podquote.segment import MAX_CHARS
from podquote.timecode import media_fragment

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
SEED_ARTICLES = [
    Path(__file__).resolve().parents[1] / "search" / "data" / "kubecon-2018-open-source-benefits.zh.md",
    *sorted((SHARED / "seed").glob("*.txt")),
]
# Repository files that describe a folder, not an episode (the corpus README lists them).
NOT_EPISODES = {"README.md", "LICENSE", "CONTRIBUTING.md"}
EXPECTED = {  # folder -> (reader, number of files), from the corpus README
    "thechangelog-transcripts": ("changelog", 791),
    "thepodlets": ("podlets", 22),
    "talk-python-transcripts": ("webvtt", 19),
    "opensource-f2f-episode": ("shownotes", 48),
}
TRANSCRIPT_FOLDERS = ("thechangelog-transcripts", "thepodlets", "talk-python-transcripts")

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")


@dataclass
class Parsed:
    folder: str
    path: Path
    fmt: str
    document: Document

    @property
    def passages(self) -> list[Passage]:
        return self.document.passages


def corpus_files() -> list[Path]:
    """Episode files: README/LICENSE/CONTRIBUTING, `_meta/` and the Talk Python `.txt` twins left out."""
    return [
        path for path in sorted(CORPUS.rglob("*"))
        if path.is_file() and path.name not in NOT_EPISODES
        and path.relative_to(CORPUS).parts[0] in EXPECTED and not is_cue_twin(path)
    ]


def parse_corpus() -> list[Parsed]:
    parsed = []
    for path in corpus_files():
        fmt, document = read_document(path, path.relative_to(SHARED).as_posix())
        parsed.append(Parsed(path.relative_to(CORPUS).parts[0], path, fmt, document))
    return parsed


@pytest.fixture(scope="module")
def parsed() -> list[Parsed]:
    return parse_corpus()


def in_folder(parsed: list[Parsed], folder: str) -> list[Parsed]:
    return [p for p in parsed if p.folder == folder]


def is_monotonic(passages: list[Passage]) -> bool:
    starts = [p.start for p in passages if p.start is not None]
    return all(a <= b for a, b in zip(starts, starts[1:]))


def test_every_file_parses_with_its_reader(parsed):
    counts = Counter(p.folder for p in parsed)
    for folder, (reader, files) in EXPECTED.items():
        assert counts[folder] == files
        assert {p.fmt for p in in_folder(parsed, folder)} == {reader}
    assert all(p.passages for p in parsed)
    assert sum(len(p.passages) for p in in_folder(parsed, "thechangelog-transcripts")) > 150_000


def test_speakers_cover_the_transcripts(parsed):
    for folder in TRANSCRIPT_FOLDERS:
        passages = [x for p in in_folder(parsed, folder) for x in p.passages]
        with_speaker = sum(1 for x in passages if x.speaker)
        assert with_speaker / len(passages) >= 0.95, folder
        assert all(x.kind == ("quote" if x.speaker else "turn") for x in passages)


def test_changelog_speakers_are_names_not_markers(parsed):
    speakers = Counter(x.speaker for p in in_folder(parsed, "thechangelog-transcripts") for x in p.passages)
    for marker in ("Break", "Jingle", "Outro", "Intro", "Sample", "Monday", "Wednesday", "Friday"):
        assert marker not in speakers
    assert not any(":" in (name or "") for name in speakers)  # "NAME: Jerod Santo" glitches resolved
    assert speakers["Jerod Santo"] > 10_000 and speakers["Gerhard Lazu"] > 1_000


def test_podlets_initials_become_full_names(parsed):
    passages = [x for p in in_folder(parsed, "thepodlets") for x in p.passages]
    named = sum(1 for x in passages if x.speaker == "Announcer" or " " in (x.speaker or ""))
    assert named / len(passages) >= 0.93
    speakers = {x.speaker for x in passages}
    assert {"Carlisia Thompson", "Duffie Cooley", "Kelsey Hightower", "Joe Beda", "Craig McLuckie"} <= speakers


def test_start_times(parsed):
    for folder in ("thepodlets", "talk-python-transcripts"):
        assert all(x.start is not None for p in in_folder(parsed, folder) for x in p.passages), folder
    for item in in_folder(parsed, "thechangelog-transcripts"):
        timed = [x.start is not None for x in item.passages]
        assert all(timed) or not any(timed), item.path  # a file has times throughout, or none at all (news)
    for item in in_folder(parsed, "opensource-f2f-episode"):
        assert all(x.start is not None for x in item.passages if x.kind == "chapter" and x.url != item.document.episode.url)


def test_times_never_go_back_within_an_episode(parsed):
    for folder in ("thepodlets", "talk-python-transcripts"):
        assert all(is_monotonic(p.passages) for p in in_folder(parsed, folder)), folder
    changelog = in_folder(parsed, "thechangelog-transcripts")
    backwards = [p.path.name for p in changelog if not is_monotonic(p.passages)]
    assert len(backwards) <= 2, backwards  # the README: 2 of 2,084 files have non-monotonic timestamps


def test_passages_are_bounded_and_point_into_their_files(parsed):
    for item in parsed:
        size = len(decode_source(item.path.read_bytes(), str(item.path)))
        for passage in item.passages:
            assert 0 < len(passage.text) <= MAX_CHARS
            assert 0 <= passage.char_start <= passage.char_end <= size
            assert passage.end is None or passage.start is None or passage.end >= passage.start


def test_deep_links_and_episode_ids(parsed):
    by_name = {p.path.name: p for p in parsed}
    rook = by_name["the-changelog-375.md"].document
    assert rook.episode.episode == "changelog/podcast/375"
    timed = next(x for x in rook.passages if x.start)
    assert timed.url == media_fragment("https://changelog.com/podcast/375", timed.start)
    shipit = by_name["ship-it-31.md"].document
    assert shipit.episode.show == "Ship It!" and "Break" not in {x.speaker for x in shipit.passages}
    kevin = next(p for p in parsed if p.path.name.startswith("S01E27")).document
    assert (kevin.episode.episode, kevin.episode.date) == ("opensource-f2f/S01E27", "2026-02-09")
    evangelist = next(p for p in parsed if p.path.name.startswith("02-")).document  # bare "00:50 话题" lines
    chapters = [x for x in evangelist.passages if x.kind == "chapter"]
    assert len(chapters) == 13 and chapters[0].start == 50.0
    assert chapters[0].url == media_fragment(evangelist.episode.url, 50.0)
    talk = by_name["549.vtt"].document
    assert talk.episode.url == "https://talkpython.fm/episodes/show/549"
    podlets = by_name["009-stateful-and-stateless.md"].document
    second = podlets.passages[1]
    assert second.url == media_fragment("https://www.youtube.com/watch?v=42FP22MpdxM", second.start)


def test_talk_python_txt_twins_repeat_their_vtt(parsed):
    vtt = next(p for p in parsed if p.path.name == "531-talk-python-in-prod.vtt")
    fmt, twin = read_document(vtt.path.with_suffix(".txt"), "corpus/twin.txt")
    assert fmt == "cue-text"
    assert {x.speaker for x in twin.passages} == {x.speaker for x in vtt.passages}
    assert abs(len(twin.passages) - len(vtt.passages)) <= 0.1 * len(vtt.passages)


def test_the_seed_article_is_still_an_article():
    for path in SEED_ARTICLES:
        text = decode_source(path.read_bytes(), str(path))
        assert choose_reader(text, PurePosixPath(path.name)).name == "article", path


def report() -> None:
    """Counts and coverage per format and show, and the wall time of one whole-corpus parse."""
    began, cpu = time.perf_counter(), time.process_time()
    parsed = parse_corpus()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    files: Counter = Counter()
    stats: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for item in parsed:
        files[item.fmt] += 1
        for passage in item.passages:
            for key in ((item.fmt, "all"), (item.fmt, passage.show or "-")):
                stats[key]["passages"] += 1
                stats[key]["speaker"] += passage.speaker is not None
                stats[key]["start"] += passage.start is not None
    print(f"{'format':<11} {'show':<22} {'files':>5} {'passages':>9} {'speaker':>8} {'start':>7}")
    for (fmt, show), counts in sorted(stats.items(), key=lambda kv: (kv[0][0], kv[0][1] != "all", kv[0][1])):
        n = counts["passages"]
        shown_files = files[fmt] if show == "all" else sum(
            1 for p in parsed if p.fmt == fmt and p.document.episode.show == show
        )
        print(f"{fmt:<11} {show:<22} {shown_files:>5} {n:>9} {counts['speaker'] / n:>8.1%} {counts['start'] / n:>7.1%}")
    podlets = [x for p in parsed if p.fmt == "podlets" for x in p.passages]
    named = sum(1 for x in podlets if x.speaker == "Announcer" or " " in (x.speaker or ""))
    print(f"podlets passages whose initials resolved to a full name: {named / len(podlets):.1%}")
    total = sum(len(p.passages) for p in parsed)
    print(f"{len(parsed)} files, {total} passages, parsed in {seconds:.2f} s wall ({cpu:.2f} s CPU)")


if __name__ == "__main__":
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}")
    report()
