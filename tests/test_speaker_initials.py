"""Issue 16, point 3: Podlets turns labelled with initials carry the full name the same episode gives, and the
initials stay an alias of it for `--speaker`. Read from the real transcripts in ../shared/corpus (never copied
into the project; the CLI test writes excerpts of them to a temporary folder)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from podquote import build_index
from podquote.readers import read_document
from podquote.readers.podlets import parse_turns, resolve_speakers

EPISODES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "thepodlets" / "site" / "_episodes"
PODQUOTE = Path(sys.executable).with_name("podquote")


def excerpt(name: str, lines: int) -> str:
    """A real episode's front matter and the first `lines` lines of its transcript."""
    head, sep, body = (EPISODES / name).read_text(encoding="utf-8").partition("\n---\n")
    return head + sep + "\n".join(body.split("\n")[:lines]) + "\n"


def turns_of(name: str, lines: int):
    text = excerpt(name, lines)
    return parse_turns(text, text.index("\n---\n") + 5)


@pytest.mark.parametrize("episode", [
    "001-cloud-native.md",  # never says her name: the one listed host left with a C
    "006-joe-beda.md",  # the same
    "007-kubernetes-as-per-kelsey-hightower.md",  # "and me, Carlisia."
    "020-kubernetes-operating-systems.md",  # "And me, Carlisia Thompson."
])
def test_initials_become_the_name_and_stay_an_alias(episode):
    _, doc = read_document(EPISODES / episode, f"thepodlets/{episode}")
    assert doc.episode.speakers["CC"] == "Carlisia Thompson"
    hers = [p for p in doc.passages if p.speaker_alias == "CC"]
    assert hers and {p.speaker for p in hers} == {"Carlisia Thompson"}
    assert not any(p.speaker == "CC" for p in doc.passages)


@pytest.mark.parametrize("episode, label, name", [
    ("020-kubernetes-operating-systems.md", "JS", "Jed Salazar"),  # "Jed Salazar here", listed nowhere: initials
    ("019-application-transformation.md", "CU", "Chris Umbel"),  # the header's guest list: initials
])
def test_names_whose_initials_are_the_label(episode, label, name):
    _, doc = read_document(EPISODES / episode, f"thepodlets/{episode}")
    assert doc.episode.speakers[label] == name
    assert {p.speaker_alias for p in doc.passages if p.speaker == name} == {label}


def test_and_me_introduction_settles_what_the_header_cannot():
    turns = turns_of("020-kubernetes-operating-systems.md", 30)  # up to "[00:01:33] CC: Hi. And me, Carlisia Thompson."
    assert "And me, Carlisia Thompson" in " ".join(t.text for t in turns if t.speaker == "CC")
    assert resolve_speakers(turns, ["Carlisia Thompson", "Chris Umbel"])["CC"] == "Carlisia Thompson"


@pytest.mark.parametrize("people", [
    ["Carlisia Campos", "Chris Carter", "Nicholas Lane"],  # two names with the initials CC
    ["Carlisia Thompson", "Craig McLuckie", "Nicholas Lane"],  # two listed people left who start with C
])
def test_two_candidates_keep_the_initials(people):
    turns = turns_of("001-cloud-native.md", 80)  # CC speaks five times and never says her name
    names = resolve_speakers(turns, people)
    assert "CC" not in names and names["NL"] == "Nicholas Lane"


@pytest.mark.parametrize("episode, label", [
    ("013-kubernetes-as-per-craig-mcluckie.md", "DM"),  # the one listed host with a D speaks as DC
    ("005-cloud-native-infrastructure.md", "KN"),  # nobody with a K listed here: never a guess from other episodes
])
def test_labels_no_rule_settles_are_kept(episode, label):
    _, doc = read_document(EPISODES / episode, f"thepodlets/{episode}")
    assert doc.episode.speakers[label] == label
    assert any(p.speaker == label and p.speaker_alias is None for p in doc.passages)


@pytest.fixture
def podlets_index(tmp_path, fake):
    """Excerpts of two real episodes: 001 as it is (CC resolved) and 006 with a second C-guest listed (CC kept)."""
    sources = tmp_path / "podlets"
    sources.mkdir()
    (sources / "001.md").write_text(excerpt("001-cloud-native.md", 80), encoding="utf-8")
    ambiguous = excerpt("006-joe-beda.md", 40).replace("hosts: \n", "guests:\n    - name: Craig McLuckie\nhosts: \n", 1)
    (sources / "006.md").write_text(ambiguous, encoding="utf-8")
    build_index(tmp_path / "index", [sources], embedder="fake")
    return tmp_path / "index"


def search_ids(index: Path, speaker: str) -> dict[str, str]:
    """id -> speaker of every passage `podquote search --speaker` finds (the real CLI, in a subprocess)."""
    out = subprocess.run([str(PODQUOTE), "search", "open source", "--index", str(index), "--json", "-k", "100",
                          "--speaker", speaker], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)["hits"]
    found = {h["id"]: h["speaker"] for h in hits}
    found.update({pid: h["speaker"] for h in hits for pid in h["collapsed"]})
    return found


def test_cli_finds_the_name_and_the_initials(podlets_index, tmp_path):
    _, resolved = read_document(tmp_path / "podlets" / "001.md", "podlets/001.md")
    _, kept = read_document(tmp_path / "podlets" / "006.md", "podlets/006.md")
    hers = {p.id for p in resolved.passages if p.speaker_alias == "CC"}
    labelled = {p.id for p in kept.passages if p.speaker == "CC"}
    assert len(hers) >= 3 and labelled
    by_name = search_ids(podlets_index, "carlisia")
    assert set(by_name) == hers and set(by_name.values()) == {"Carlisia Thompson"}
    by_initials = search_ids(podlets_index, "CC")
    assert set(by_initials) == hers | labelled  # the alias, and the label kept where two people could be CC
    assert set(by_initials.values()) == {"Carlisia Thompson", "CC"}
