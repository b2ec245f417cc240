"""Show notes with front matter and a chapter timeline (opensource-f2f style)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from podquote.errors import UnreadableSource
from podquote.passage import Episode
from podquote.readers import choose_reader, decode_source, read_document
from podquote.readers.shownotes import ShowNotesReader

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "shownotes" / "opensource-f2f-episode" / "shownotes" / "S09E01-测试节目.md"
SOURCE = "fixtures/opensource-f2f-episode/shownotes/S09E01-测试节目.md"
AUDIO = "https://cdn.example.com/audio/s09e01.mp3"


@pytest.fixture(scope="module")
def document():
    fmt, doc = read_document(FIXTURE, SOURCE)
    assert fmt == "shownotes"
    return doc


def test_front_matter_gives_the_episode(document):
    ep = document.episode
    assert (ep.episode, ep.show, ep.date, ep.url) == ("opensource-f2f/S09E01", "开源面对面", "2024-05-01", AUDIO)
    assert ep.title == "测试节目：云原生存储漫谈"


def test_timeline_lines_become_timed_chapters(document):
    chapters = [(p.text, p.start, p.end, p.url) for p in document.passages if p.kind == "chapter"]
    assert chapters == [
        ("嘉宾介绍", 0.0, 155.0, AUDIO + "#t=0"),  # * MM:SS
        ("Rook 是怎么来的", 155.0, 754.0, AUDIO + "#t=155"),  # - MM:SS
        ("裸时间的章节", 754.0, 3723.0, AUDIO + "#t=754"),  # bare MM:SS
        ("存储的未来", 3723.0, None, AUDIO + "#t=3723"),  # * H:MM:SS
        ("没有时间的章节", None, None, AUDIO),  # a timeline entry without a time
    ]


def test_descriptions_are_narration_and_link_lists_are_skipped(document):
    narration = [p.text for p in document.passages if p.kind == "narration"]
    assert narration == [
        "这一期我们和嘉宾聊了聊 Rook 和 Ceph 在 Kubernetes 上的实践，以及分布式存储的运维经验。",
        "王小明：某公司存储负责人，Rook 社区维护者，长期关注云原生存储。",
        "为什么要在 Kubernetes 上跑存储 运维分布式存储的坑",
    ]
    everything = " ".join(p.text for p in document.passages)
    for skipped in ("小马哥", "Rick", "Rook 官网", "捕蛇者说", "剪辑", "S09E01"):
        assert skipped not in everything  # hosts, Staff, 扩展阅读 and the title heading


def test_char_spans_point_into_the_file(document):
    source = decode_source(FIXTURE.read_bytes(), str(FIXTURE))
    for passage in document.passages:
        assert source[passage.char_start:passage.char_end].startswith(passage.text[:8])


def test_crlf_files_read_the_same(document):
    crlf = FIXTURE.read_text(encoding="utf-8").replace("\n", "\r\n")
    direct = ShowNotesReader().read(crlf, Episode(source=SOURCE), PurePosixPath(SOURCE))
    assert [(p.kind, p.text, p.start) for p in direct.passages] == [
        (p.kind, p.text, p.start) for p in document.passages
    ]


def test_front_matter_only_keeps_the_title_findable():
    text = "---\nnum: 'S03E05'\ntitle: 'DaoCloud 的一些开源思考与实践'\nlink: https://x.example/a.mp3\n---\n"
    document = ShowNotesReader().read(text, Episode(source="opensource-f2f/x.md"), PurePosixPath("opensource-f2f/x.md"))
    assert [(p.kind, p.text) for p in document.passages] == [("narration", "DaoCloud 的一些开源思考与实践")]


def test_a_template_link_that_is_not_a_url_is_not_used():
    text = "---\nnum: 'S01E00'\ntitle: 't'\nlink: 音频文件的绝对地址 URL\n---\n\n## 时间线\n\n* 01:00 开场\n"
    document = ShowNotesReader().read(text, Episode(source="s/x.md"), PurePosixPath("s/x.md"))
    assert document.episode.url is None
    assert [(p.text, p.start, p.url) for p in document.passages] == [("开场", 60.0, None)]


def test_invalid_front_matter_is_unreadable():
    with pytest.raises(UnreadableSource, match="invalid YAML front matter"):
        ShowNotesReader().read("---\nnum: [\n---\n## 时间线\n", Episode(source="x.md"), PurePosixPath("x.md"))


def test_out_sniffs_the_article_reader():
    text = FIXTURE.read_text(encoding="utf-8")
    assert choose_reader(text, PurePosixPath("shownotes/S09E01.md")).name == "shownotes"
    with_source_line = text.replace("# [S09E01]", "> 原文：https://example.com/post\n\n# [S09E01]")
    assert choose_reader(with_source_line, PurePosixPath("shownotes/S09E01.md")).name == "shownotes"
