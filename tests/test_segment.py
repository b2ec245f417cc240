"""The quote-level segmenter: sentence boundaries, length bounds, fillers, and faithfulness of the spans."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from podquote.segment import MAX_CHARS, MIN_CHARS, TARGET_CHARS, cut_turn, is_filler, joiner, sentence_spans


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_english_sentences_end_at_punctuation_followed_by_space():
    text = "Rook runs Ceph. Does it scale? It does! Mostly..."
    assert sentences(text) == ["Rook runs Ceph.", "Does it scale?", "It does!", "Mostly..."]


def test_abbreviations_initials_and_decimals_do_not_end_a_sentence():
    text = "Dr. Smith wrote it, e.g. the operator. Version 3.5 shipped. B. Burns agreed with Mr. Beda. Then it ended."
    assert sentences(text) == [
        "Dr. Smith wrote it, e.g. the operator.",
        "Version 3.5 shipped.",
        "B. Burns agreed with Mr. Beda.",
        "Then it ended.",
    ]


def test_a_period_before_a_lower_case_word_does_not_end_a_sentence():
    assert sentences("We tried etc. and it failed... and then it worked.") == [
        "We tried etc. and it failed... and then it worked."
    ]


def test_closing_quotes_stay_with_their_sentence():
    assert sentences('He said "ship it." Then we did.') == ['He said "ship it."', "Then we did."]


def test_chinese_sentences_end_at_full_width_marks_without_spaces():
    text = "存储是最难的部分。为什么？因为数据不能丢；备份也很重要！好"
    assert sentences(text) == ["存储是最难的部分。", "为什么？", "因为数据不能丢；", "备份也很重要！", "好"]


def test_a_line_break_always_ends_a_sentence():
    assert sentences("Rook 2.0 ships\nIt manages buckets  \n\n  - and more") == [
        "Rook 2.0 ships", "It manages buckets", "- and more"
    ]


def test_short_text_is_one_passage_trimmed():
    text = "  Yeah. So the operator handles upgrades.  "
    assert [text[a:b] for a, b in cut_turn(text)] == ["Yeah. So the operator handles upgrades."]


def test_passages_group_whole_sentences_up_to_the_target():
    sentence = "Operators encode what an administrator knows about storage. "  # 60 characters
    text = sentence * 20
    spans = cut_turn(text)
    assert len(spans) > 1
    for a, b in spans:
        assert b - a <= TARGET_CHARS
        assert text[a:b].endswith("storage.")  # never cut mid-sentence
        assert text[a:b].startswith("Operators")


def test_an_over_long_sentence_is_cut_at_commas_then_spaces():
    clause = "and then the operator reconciled the cluster again, "
    text = "So " + clause * 40 + "done."
    spans = cut_turn(text)
    assert all(b - a <= MAX_CHARS for a, b in spans)
    assert all(text[a:b].endswith(",") for a, b in spans[:-1])


def test_unpunctuated_cjk_prefers_the_given_breaks():
    pieces = ["大家好欢迎收听开源面对面今天我们聊存储"] * 40
    text = "".join(pieces)
    breaks = list(range(len(pieces[0]), len(text), len(pieces[0])))
    spans = cut_turn(text, breaks=breaks)
    assert len(spans) > 1
    assert all(b - a <= MAX_CHARS for a, b in spans)
    assert all(a in breaks or a == 0 for a, _ in spans)


def test_cjk_with_no_break_at_all_is_cut_hard_at_the_bound():
    text = "存" * 1500
    spans = cut_turn(text)
    assert all(0 < b - a <= MAX_CHARS for a, b in spans)
    assert sum(b - a for a, b in spans) == 1500


def test_tiny_fragments_join_a_neighbour_in_the_same_turn():
    long_sentence = "The operator watches every node and repairs what drifts from the desired state, quietly. "
    text = long_sentence * 4 + "Yeah."
    spans = cut_turn(text)
    assert text[spans[-1][0]:spans[-1][1]].endswith("quietly. Yeah.")
    assert all(b - a >= MIN_CHARS for a, b in spans)


def test_fillers():
    """Short turns with no topic are filler; a name, a product or a second topic word keeps a turn (the cases
    named in issue 15 come from The Podlets and The Changelog)."""
    for text in ["Yeah.", "Mm-hmm, right.", "That's right.", "Oh, my gosh...", "Bye, friends.", "嗯，对对。",
                 "I don’t know.", "Ahhhh.", "Yo!", "Usually.", "Kaizen.", "That's a good one. I had it on my list.",
                 "Yeah. " * 9]:
        assert is_filler(text), text
    for text in ["Always have a plan B.", "It is Kubernetes.", "SQLite.", "Used it for 3 years.",
                 "etcd is a good fit.", "这个项目解决了存储的问题", "Yeah. " * 12,
                 "It's a control plane for every cloud, and it is open source."]:
        assert not is_filler(text), text


def test_joiner_puts_no_space_between_cjk():
    assert joiner("存储", "运维") == ""
    assert joiner("storage", "ops") == " "
    assert joiner("存储", "Rook") == " "


_ALPHABET = st.sampled_from(
    list("abcdefghij ") + [" ", " ", ".", ". ", "? ", "! ", ", ", "\n", "e.g. ", "Dr. ", "3.5", "。", "，", "存", "储", "…"]
)
_TEXT = st.lists(_ALPHABET, max_size=1500).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_spans_are_ordered_trimmed_bounded_slices_that_lose_nothing(text):
    spans = cut_turn(text)
    position = 0
    for a, b in spans:
        assert position <= a < b <= len(text)
        assert b - a <= MAX_CHARS
        assert text[a:b] == text[a:b].strip()
        assert not text[position:a].strip()  # only whitespace is left out between passages
        position = b
    assert not text[position:].strip()


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_sentences_cover_the_text_in_order(text):
    spans = sentence_spans(text)
    assert "".join(text[a:b] for a, b in spans).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )
