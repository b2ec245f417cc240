"""Messy source files through the real `podquote index` (a subprocess; the fake embedder is loaded as a plugin,
see conftest.py): a damaged caption file keeps the cues before the damage and says where reading stopped, a file
that is not UTF-8 is read with a warning, a path is named once, and the summary's numbers add up."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CORPUS, TESTS
from podquote.store import current_generation
from podquote.metadata import DB_FILE, MetadataStore

PODQUOTE = Path(sys.executable).parent / "podquote"  # the console script pip installed
DATASTAR = CORPUS / "talk-python-transcripts" / "transcripts" / "537-datastar.vtt"
EN_SRT = TESTS / "fixtures" / "srt" / "en-punctuated.srt"
ZH_SRT = TESTS / "fixtures" / "srt" / "zh-asr.srt"
# "Indexed 12 passages from 3 files (2 read, 1 skipped) into DIR in 0.4 s, 30 passages/s (fake)." and the
# up-to-date line, "Index DIR is up to date: 12 passages from 3 files (2 unchanged, 1 skipped), ...".
_SUMMARY = re.compile(r"(?:Indexed|is up to date:) (\d+) passages? from (\d+) files? \(([^)]*)\)"
                      r"(?: into .* in ([\d.]+) s, (\d+) passages/s \(fake\)\.)?")


def podquote_index(*paths: Path, index: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(PODQUOTE), "index", *map(str, paths), "--index", str(index), "--embedder", "fake"],
                          capture_output=True, text=True, timeout=300)


def indexed_texts(index: Path) -> list[str]:
    """Every passage's text, file by file in source order."""
    store = MetadataStore(current_generation(index) / DB_FILE, readonly=True)
    try:
        return [p.text for source in sorted(store.sources()) for p, _, _ in store.passages_of(source)]
    finally:
        store.close()


def first_cues(n: int) -> str:
    """The WEBVTT header and the first `n` cues of a real Talk Python transcript (copied at test time)."""
    if not DATASTAR.is_file():
        pytest.skip(f"{DATASTAR} is not here")
    blocks = DATASTAR.read_text(encoding="utf-8").split("\n\n")
    return "\n\n".join(blocks[:n + 1]) + "\n\n"


def summary(stdout: str) -> tuple[int, int, dict[str, int], float | None, int | None]:
    """(passages, files, {part: count}, seconds, passages/s) of the summary line."""
    match = _SUMMARY.search(stdout)
    assert match, stdout
    parts = {what: int(n) for n, what in (part.split(" ", 1) for part in match.group(3).split(", "))}
    seconds, rate = match.group(4), match.group(5)
    return int(match.group(1)), int(match.group(2)), parts, seconds and float(seconds), rate and int(rate)


def line_of(text: str, fragment: str) -> int:
    """The line of the last `fragment` in `text` (the damage is at the end)."""
    return text[:text.rindex(fragment)].count("\n") + 1


# ---- damaged captions ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("damage, reason", [
    ("00:00:31.760 --> 00:00:3", "invalid WebVTT cue timing '00:00:31.760 --> 00:00:3'"),  # cut in a timing line
    ("00:00:31.760 --> 00:00:36.480\n", "truncated WebVTT: the last cue has no text"),  # cut before the text
    ("\x7fELF\x02\x01 --> \x03\x04\nrandom bytes\n\n00:00:40.000 --> 00:00:41.000\nlater\n",
     "invalid WebVTT cue timing"),  # garbage after the cues
])
def test_truncated_vtt_keeps_the_cues_before_the_damage(tmp_path, damage, reason):
    good = first_cues(6)
    clean, damaged = tmp_path / "clean" / "537-datastar.vtt", tmp_path / "damaged" / "537-datastar.vtt"
    for path, text in ((clean, good), (damaged, good + damage)):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    assert podquote_index(clean, index=tmp_path / "clean-index").returncode == 0
    result = podquote_index(damaged, index=tmp_path / "damaged-index")
    assert result.returncode == 0, result.stderr
    line = line_of(good + damage, damage.split("\n")[0])
    assert (f"warning {damaged}: reading stopped at line {line} ({reason}" in result.stdout
            and "the 6 cues before it are read" in result.stdout), result.stdout
    # Every cue before the damage is indexed exactly as in the undamaged file.
    assert indexed_texts(tmp_path / "damaged-index") == indexed_texts(tmp_path / "clean-index")
    assert "juggling two unrelated libraries" in " ".join(indexed_texts(tmp_path / "damaged-index"))


def test_a_cut_off_after_a_blank_line_of_spaces_is_caught(tmp_path):
    # A line of only spaces separates blocks (as the parser reads it), so the cut-off cue after it is the last
    # block: it must be reported, not read as more text of the cue before.
    damaged = tmp_path / "537-datastar.vtt"
    damaged.write_text(first_cues(6).rstrip("\n") + "\n  \n00:00:31", encoding="utf-8")
    result = podquote_index(damaged, index=tmp_path / "index")
    assert result.returncode == 0, result.stderr
    assert "reading stopped at line" in result.stdout and "the 6 cues before it are read" in result.stdout
    assert "00:00:31" not in " ".join(indexed_texts(tmp_path / "index"))


def test_srt_with_a_broken_subtitle_in_the_middle_keeps_those_before_it(tmp_path):
    text = EN_SRT.read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    broken = blocks[2].replace("00:00:05,500", "00:00:0x,500")
    assert broken != blocks[2]
    (tmp_path / "clean").mkdir()
    (tmp_path / "damaged").mkdir()
    (tmp_path / "clean" / "talk.srt").write_text("\n\n".join(blocks[:2]) + "\n", encoding="utf-8")
    damaged = tmp_path / "damaged" / "talk.srt"
    damaged.write_text("\n\n".join([*blocks[:2], broken, *blocks[3:]]), encoding="utf-8")
    assert podquote_index(tmp_path / "clean" / "talk.srt", index=tmp_path / "clean-index").returncode == 0
    result = podquote_index(damaged, index=tmp_path / "damaged-index")
    assert result.returncode == 0, result.stderr
    assert (f"warning {damaged}: reading stopped at line {line_of(damaged.read_text(), '00:00:0x,500')} "
            f"(invalid SRT subtitle '00:00:0x,500 --> 00:00:08,000'); the 2 subtitles before it are read"
            in result.stdout), result.stdout
    assert indexed_texts(tmp_path / "damaged-index") == indexed_texts(tmp_path / "clean-index")
    assert "Operators changed that." in " ".join(indexed_texts(tmp_path / "damaged-index"))


# ---- encodings ----------------------------------------------------------------------------------------------

CP1252_TEXT = ("1\n00:00:01,000 --> 00:00:04,000\nWe met at the café on the corner, as we always do.\n\n"
               "2\n00:00:04,100 --> 00:00:08,000\nShe said “it’s the naïve résumé” – and laughed.\n")


def test_a_cp1252_file_is_read_with_a_warning(tmp_path):
    path = tmp_path / "cafe.srt"
    path.write_bytes(CP1252_TEXT.encode("cp1252"))
    result = podquote_index(path, index=tmp_path / "index")
    assert result.returncode == 0, result.stderr
    first_bad = CP1252_TEXT.encode("utf-8").index("é".encode("utf-8"))  # the same offset: all ASCII before it
    assert f"warning {path}: not UTF-8 text (byte {first_bad}, line 3); read as cp1252" in result.stdout
    assert " ".join(indexed_texts(tmp_path / "index")) == (
        "We met at the café on the corner, as we always do. She said “it’s the naïve résumé” – and laughed.")


def test_a_stray_byte_in_a_utf8_file_spoils_only_itself(tmp_path):
    path = tmp_path / "stray.srt"
    good, stray = CP1252_TEXT.split("“it’s")
    path.write_bytes(good.encode("utf-8") + "“it’s".encode("cp1252") + stray.encode("utf-8"))
    result = podquote_index(path, index=tmp_path / "index")
    assert result.returncode == 0, result.stderr
    assert "not valid UTF-8 at byte" in result.stdout and "read as cp1252" in result.stdout
    assert "café" in " ".join(indexed_texts(tmp_path / "index"))  # the UTF-8 letters are not garbled
    assert "“it’s the naïve résumé”" in " ".join(indexed_texts(tmp_path / "index"))


def test_chinese_in_gbk_is_detected(tmp_path):
    path = tmp_path / "zh.srt"
    path.write_bytes(ZH_SRT.read_text(encoding="utf-8").encode("gbk"))
    result = podquote_index(path, index=tmp_path / "index")
    assert result.returncode == 0, result.stderr
    assert f"warning {path}: not UTF-8 text" in result.stdout and "read as gb18030" in result.stdout
    assert "欢迎收听开源面对面" in "".join(indexed_texts(tmp_path / "index"))


# ---- messages and the summary --------------------------------------------------------------------------------

def test_a_single_file_is_named_once(tmp_path):
    path = tmp_path / "broken.vtt"
    path.write_text("WEBVTT\n\n00:0x:01.000 --> 00:00:02.000\nHi.\n", encoding="utf-8")
    result = podquote_index(path, index=tmp_path / "index")
    assert result.returncode == 1
    assert "broken.vtt/broken.vtt" not in result.stderr and result.stderr.count("broken.vtt") == 1, result.stderr
    assert (f"Error: the file given could not be indexed ({path}: invalid WebVTT cue timing "
            f"'00:0x:01.000 --> 00:00:02.000' at line 3, and no valid cue before it)") in result.stderr


def test_a_warning_or_a_skipped_file_is_named_once(tmp_path):
    folder = tmp_path / "messy"
    folder.mkdir()
    (folder / "broken.vtt").write_text("WEBVTT\n\n00:0x:01.000 --> 00:00:02.000\nHi.\n", encoding="utf-8")
    cut = first_cues(3) + "00:00:11"  # cut off before the arrow: webvtt-py alone would take it for a comment
    (folder / "cut.vtt").write_text(cut, encoding="utf-8")
    result = podquote_index(folder, index=tmp_path / "index")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("broken.vtt") == 1 and result.stdout.count("cut.vtt") == 1, result.stdout
    assert f"skipped {folder / 'broken.vtt'}: invalid WebVTT cue timing" in result.stdout
    assert (f"warning {folder / 'cut.vtt'}: reading stopped at line {line_of(cut, '00:00:11')}"
            f" (truncated WebVTT: the last lines are no cue '00:00:11'); the 3 cues before it are read\n"
            in result.stdout), result.stdout


def test_the_summary_adds_up(tmp_path):
    folder = tmp_path / "messy"
    folder.mkdir()
    (folder / "talk.srt").write_text(EN_SRT.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "cut.vtt").write_text(first_cues(6) + "00:00:31", encoding="utf-8")
    (folder / "binary.md").write_bytes(b"\x00\x01\x02 not text")
    index = tmp_path / "index"

    result = podquote_index(folder, index=index)
    assert result.returncode == 0, result.stderr
    passages, files, parts, seconds, rate = summary(result.stdout)
    assert (files, parts) == (3, {"read": 2, "skipped": 1})
    assert passages == len(indexed_texts(index)) > 0
    # passages/s is the passages over the time taken (which is printed rounded to 0.1 s)
    assert passages / (seconds + 0.05) - 1 <= rate <= passages / max(seconds - 0.05, 0.001) + 1, result.stdout

    (folder / "more.srt").write_text(ZH_SRT.read_text(encoding="utf-8"), encoding="utf-8")
    passages, files, parts, _, _ = summary(podquote_index(folder, index=index).stdout)
    assert (files, parts) == (4, {"read": 1, "unchanged": 2, "skipped": 1})
    assert passages == len(indexed_texts(index))

    other = tmp_path / "other"
    other.mkdir()
    (other / "talk.srt").write_text(EN_SRT.read_text(encoding="utf-8"), encoding="utf-8")
    passages, files, parts, _, _ = summary(podquote_index(other, index=index).stdout)
    assert (files, parts) == (4, {"read": 1, "kept from other paths": 3})  # the skipped file is not looked at
    assert passages == len(indexed_texts(index))

    result = podquote_index(index=index)  # everything again, nothing changed
    assert "is up to date" in result.stdout
    passages, files, parts, _, _ = summary(result.stdout)
    assert (files, parts) == (5, {"unchanged": 4, "skipped": 1})
    assert passages == len(indexed_texts(index))
