"""The article reader on the seed: quotes with speakers, chapters with times and links, nothing from embeds."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from podquote.passage import Episode
from podquote.readers import choose_reader, read_document
from podquote.readers.article import ArticleReader
from podquote.readers.markdown_inline import strip_inline

from helpers import BUILTIN, SEED

SIMPLECAST = (
    "https://thenewstack.simplecast.com/episodes/"
    "open-source-activists-from-cncf-the-rook-project-and-vmwares-cloud-pks-tell-their-stories?t="
)


@pytest.fixture(scope="module")
def seed_doc():
    fmt, document = read_document(BUILTIN, "builtin/kubecon.md")
    assert fmt == "article"
    return document


def test_title_and_source_url(seed_doc):
    assert seed_doc.episode.title == "KubeCon + CloudNativeCon 展示了开源开发的好处"
    assert seed_doc.episode.url == (
        "https://thenewstack.io/kubecon-cloudnativecon-showed-the-benefits-of-open-source-development/"
    )


def test_exact_quotes_and_speakers(seed_doc):
    quotes = [(p.speaker, p.text[:12]) for p in seed_doc.passages if p.kind == "quote"]
    assert quotes == [
        ("傅", "在内部，我们实际上采用了"),
        ("傅", "因此，在内部，当我们选择"),
        ("傅", "我们实际上是在确保我们能"),
        ("傅", "所以，我认为对我们来说，"),
        ("Watts", "我们发现最初的愿景对很多"),
        ("Watts", "或者您可以只使用已经在其"),
        ("Watts", "你可以有一个超融合类型的"),
        ("Watts", "所以，真的，我认为 Ro"),
        ("Dvoretskyi", "这是大量的工作，但更多的"),
        ("Dvoretskyi", "所以，再一次，正如我提到"),
    ]


def test_quotes_are_the_quoted_words_only(seed_doc):
    rook = next(p for p in seed_doc.passages if "Rook 的亮点在于提供本地存储" in p.text)
    assert rook.kind == "quote" and rook.speaker == "Watts" and rook.lang == "zh"
    assert rook.text.endswith("在将存储抽象到卷级别方面做得非常好。")
    assert "“" not in rook.text and "说" not in rook.text[-3:]
    for quote in (p for p in seed_doc.passages if p.kind == "quote"):
        assert not quote.text.endswith(("，", ","))


def test_six_chapters_with_start_and_link(seed_doc):
    chapters = [(p.start, p.url, p.text[:8]) for p in seed_doc.passages if p.kind == "chapter"]
    expected = [(270, "4:30"), (426, "7:06"), (781, "13:01"), (988, "16:28"), (1340, "22:20"), (1667, "27:47")]
    assert [(c[0], c[1]) for c in chapters] == [(s, SIMPLECAST + t) for s, t in expected]
    assert chapters[0][2] == "谈论 VMwar"
    assert all(not c[2].startswith(("[", ":", ")")) for c in chapters)


def test_no_passage_from_embeds_captions_urls_or_svg(seed_doc):
    for p in seed_doc.passages:
        assert "youtube" not in p.text and "http" not in p.text
        assert p.text != "视频"
        assert "<" not in p.text and "Sketch" not in p.text and "Group" not in p.text


def test_narration_between_quotes_is_kept_and_residue_dropped(seed_doc):
    narration = [p.text for p in seed_doc.passages if p.kind == "narration"]
    assert "傅首先讨论了如何在 VMware 内部创建 SaaS 产品。" in narration
    assert any(t.startswith("VMware 的 Lightwave ，一个提供身份") for t in narration)
    assert not any(t.strip("。") in {"傅说", "Watts 说", "Dvoretskyi 说"} for t in narration)


def test_spans_point_at_the_source(seed_doc):
    source = BUILTIN.read_text(encoding="utf-8")
    for p in seed_doc.passages:
        sliced = " ".join(strip_inline(source[p.char_start:p.char_end]).split())
        assert p.text in sliced or sliced in p.text or p.text[:6] in sliced


def test_positions_and_ids_are_stable(seed_doc):
    _, again = read_document(BUILTIN, "builtin/kubecon.md")
    assert [p.id for p in again.passages] == [p.id for p in seed_doc.passages]
    assert [p.position for p in seed_doc.passages] == list(range(len(seed_doc.passages)))


def test_seed_txt_is_read_as_article():
    if not SEED.exists():
        pytest.skip("../shared/seed is not present on this machine")
    fmt, document = read_document(SEED, "seed/000.txt")
    assert fmt == "article"
    assert sum(p.kind == "quote" for p in document.passages) == 10


def test_format_detected_from_content_not_extension():
    text = BUILTIN.read_text(encoding="utf-8")
    assert choose_reader(text, PurePosixPath("notes.txt")).name == "article"
    assert choose_reader("just a line of text\n\nanother one\n", PurePosixPath("notes.txt")).name == "text"


@pytest.mark.parametrize(
    "paragraph, speaker, quote",
    [
        ('Alice said, "Storage on bare metal is where this shines for us."', "Alice", "Storage on bare metal"),
        ('"Storage on bare metal is where this shines for us," said Alice Smith.', "Alice Smith", "Storage on"),
        ('"Storage on bare metal is where this shines for us," Bob said.', "Bob", "Storage on bare"),
        ('According to Carol, "storage on bare metal is where this shines for us."', "Carol", "storage on"),
        ('“我们在裸机上运行存储，这是它真正的亮点，”张三说。', "张三", "我们在裸机上运行存储"),
        ('李四表示：“我们在裸机上运行存储，这是它真正的亮点。”', None, "我们在裸机上运行存储"),
    ],
)
def test_attribution_patterns(paragraph, speaker, quote):
    document = ArticleReader().read(f"# T\n\n{paragraph}\n", Episode(source="t.md"), PurePosixPath("t.md"))
    quotes = [p for p in document.passages if p.kind == "quote"]
    assert len(quotes) == 1 and quotes[0].text.startswith(quote)
    # 李四 appears only before its quote, where a Han name is ambiguous ("也就是说"), so it is not guessed.
    assert quotes[0].speaker == speaker


def test_han_name_before_quote_accepted_when_known_elsewhere():
    text = "# T\n\n“第一句话足够长，说明了我们的想法和做法，”李四说。\n\n李四表示：“第二句话也足够长，说明了另外一个想法。”\n"
    document = ArticleReader().read(text, Episode(source="t.md"), PurePosixPath("t.md"))
    assert [p.speaker for p in document.passages if p.kind == "quote"] == ["李四", "李四"]


def test_scare_quotes_stay_in_narration():
    text = "# T\n\n这个项目被称为“云原生”的代表，已经被很多公司采用。\n"
    document = ArticleReader().read(text, Episode(source="t.md"), PurePosixPath("t.md"))
    assert [p.kind for p in document.passages] == ["narration"]
    assert "“云原生”" in document.passages[0].text
