"""Citations of real passages (podquote.citation), through the core, `podquote cite` and GET /passages/{id}/cite.

Two real indexes, built with the fake embedder: the usual small corpus (the seed article, Chinese, quotes with
one-word or Chinese speakers and no times; a small English article with no link), and a real Talk Python
transcript with times and full speaker names next to a dated 开源面对面 show note (chapters with times, no
speakers), both copied from ../shared/corpus at test time. The CSL-JSON is read by citeproc-py, a CSL processor,
into a formatted reference, as Zotero or pandoc would read it.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from citeproc import Citation as CslCitation
from citeproc import CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from helpers import CORPUS
from podquote import Collection, build_index
from podquote.api.app import create_app
from podquote.citation import CITATION_FORMATS, cite, render
from podquote.cli import app as cli
from podquote.errors import InvalidQuery
from podquote.timecode import format_timecode

TALK_PYTHON = CORPUS / "talk-python-transcripts" / "transcripts" / "525-nicegui.vtt"
F2F = CORPUS / "opensource-f2f-episode" / "shownotes" / "S03E01-iOS 开源项目 IceCream 与其作者蔡越的故事.md"
STYLE = "harvard-cite-them-right"  # the style citeproc-py bundles
runner = CliRunner()


@pytest.fixture(scope="module")
def timed_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timed")
    sources = folder / "sources"
    (sources / "opensource-f2f-episode").mkdir(parents=True)  # the folder names the show, as in the corpus
    shutil.copy(TALK_PYTHON, sources / TALK_PYTHON.name)
    shutil.copy(F2F, sources / "opensource-f2f-episode" / F2F.name)
    build_index(folder / "index", [sources], embedder="fake")
    return folder / "index"


@pytest.fixture(scope="module")
def timed(timed_index):
    """The index's passages: (a Talk Python quote past the hour, a dated 开源面对面 chapter)."""
    with Collection.open(timed_index) as collection:
        passages = list(collection.passages())
    quote = next(p for p in passages if p.speaker == "Rodja Trappe" and p.start > 3600 and p.end)
    chapter = next(p for p in passages if p.show == "开源面对面" and p.date and p.start and p.end)
    return quote, chapter


def seed_passage(index, speaker):
    with Collection.open(index) as collection:
        return next(p for p in collection.passages() if p.speaker == speaker)


def formatted_reference(csl: str) -> str:
    """The CSL-JSON as citeproc-py formats it into a bibliography entry (plain text)."""
    items = json.loads(csl)
    assert isinstance(items, list) and len(items) == 1
    bibliography = CitationStylesBibliography(CitationStylesStyle(STYLE, validate=False), CiteProcJSON(items),
                                              formatter.plain)
    bibliography.register(CslCitation([CitationItem(items[0]["id"])]))
    return str(bibliography.bibliography()[0])


# ---- the core, every format ----------------------------------------------------------------------------------

def test_markdown_quotes_and_names_the_moment(timed):
    quote, _ = timed
    text = render(cite(quote), "markdown")
    moment = f"{format_timecode(quote.start)}–{format_timecode(quote.end)}"
    assert moment.startswith("1:") and moment.count(":") == 4  # H:MM:SS past the hour
    assert text == (f"> {quote.text}\n\n— Rodja Trappe, *Talk Python To Me #525: nicegui* (Talk Python To Me), "
                    f"{moment}, <{quote.url}>")
    assert "#t=" in quote.url  # the deep link to the moment


def test_text_is_the_same_without_markdown(timed):
    quote, chapter = timed
    assert render(cite(quote), "text") == (
        f"“{quote.text}”\n— Rodja Trappe, Talk Python To Me #525: nicegui (Talk Python To Me), "
        f"{format_timecode(quote.start)}–{format_timecode(quote.end)}, {quote.url}")
    line = render(cite(chapter), "text").splitlines()[-1]  # no speaker: the line opens with the episode
    assert line.startswith(f"— {chapter.title} (开源面对面), {chapter.date}, ")


def test_unknowns_are_left_out(fake_index):
    alice = seed_passage(fake_index, "Alice")  # no show, date, times or link
    assert render(cite(alice), "markdown") == f"> {alice.text}\n\n— Alice, *Storage talk*"
    fu = seed_passage(fake_index, "傅")  # Chinese, a link but no times
    assert render(cite(fu), "text") == f"“{fu.text}”\n— 傅, {fu.title}, {fu.url}"


def test_a_highlight_is_quoted_instead_of_the_passage(timed):
    quote, _ = timed
    highlight = quote.text.split(". ")[0]
    citation = cite(quote, quote=highlight)
    assert citation.quote == highlight and render(citation, "markdown").startswith(f"> {highlight}\n\n— ")


def test_json_holds_the_fields(timed):
    quote, _ = timed
    data = json.loads(render(cite(quote, accessed=date(2026, 1, 2)), "json"))
    assert data == {"id": quote.id, "quote": quote.text, "speaker": "Rodja Trappe", "show": "Talk Python To Me",
                    "episode_title": quote.title, "episode": "talkpython/525", "date": None, "start": quote.start,
                    "end": quote.end, "link": quote.url, "accessed": "2026-01-02"}


def test_csl_json_interview_reads_as_a_reference(timed):
    quote, _ = timed
    csl = render(cite(quote, accessed=date(2026, 1, 2)), "csl-json")
    [item] = json.loads(csl)
    assert item["type"] == "interview" and item["author"] == [{"family": "Trappe", "given": "Rodja"}]
    assert item["container-title"] == "Talk Python To Me" and item["URL"] == quote.url
    assert item["accessed"] == {"date-parts": [[2026, 1, 2]]} and item["genre"] == "Podcast"
    assert quote.text in item["abstract"] and format_timecode(quote.start) in item["note"]
    reference = formatted_reference(csl)
    assert "Trappe" in reference and "Talk Python To Me" in reference and quote.url in reference


def test_csl_json_broadcast_with_its_year(timed):
    _, chapter = timed
    csl = render(cite(chapter), "csl-json")
    [item] = json.loads(csl)
    assert item["type"] == "broadcast" and "author" not in item
    year, month, day = map(int, chapter.date.split("-"))
    assert item["issued"] == {"date-parts": [[year, month, day]]}
    reference = formatted_reference(csl)
    assert "开源面对面" in reference and str(year) in reference and chapter.title in reference


def test_csl_json_keeps_a_one_word_or_chinese_name_whole(fake_index):
    for speaker in ("Watts", "傅"):
        csl = render(cite(seed_passage(fake_index, speaker)), "csl-json")
        assert json.loads(csl)[0]["author"] == [{"literal": speaker}]
        assert formatted_reference(csl).startswith(speaker)


def test_an_unknown_format_names_the_formats(fake_index):
    with pytest.raises(InvalidQuery) as error:
        render(cite(seed_passage(fake_index, "Alice")), "bibtex")
    assert "'bibtex'" in str(error.value) and all(fmt in str(error.value) for fmt in CITATION_FORMATS)


# ---- podquote cite ---------------------------------------------------------------------------------------------

def test_cli_cite_prints_every_format(timed_index, timed):
    quote, _ = timed
    for fmt in CITATION_FORMATS:
        result = runner.invoke(cli, ["cite", quote.id, "--index", str(timed_index), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert result.stdout == render(cite(quote), fmt) + "\n"
    default = runner.invoke(cli, ["cite", quote.id, "--index", str(timed_index)])
    assert default.stdout.startswith(f"> {quote.text}")  # markdown unless told otherwise


def test_cli_cite_errors_are_one_line(timed_index):
    result = runner.invoke(cli, ["cite", "0123456789abcdef", "--index", str(timed_index)])
    assert result.exit_code == 1 and "no passage with id '0123456789abcdef'" in result.stderr
    assert "Traceback" not in result.output
    result = runner.invoke(cli, ["cite", "0123456789abcdef", "--index", str(timed_index), "-f", "bibtex"])
    assert result.exit_code == 2  # a usage error, found before the index is read
    assert "--format: 'bibtex' is not one of markdown, text, json, csl-json" in result.stderr
    missing = timed_index.parent / "nowhere"
    result = runner.invoke(cli, ["cite", "0123456789abcdef", "--index", str(missing)])
    assert result.exit_code == 1 and "no index at" in result.stderr and not missing.exists()


def test_cli_cite_help_has_examples():
    result = runner.invoke(cli, ["cite", "--help"])
    assert result.exit_code == 0 and "Examples" in result.output and "csl-json" in result.output


# ---- GET /passages/{id}/cite --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(timed_index):
    with TestClient(create_app(timed_index, reload_interval=None)) as client:
        yield client


def test_api_cite_every_format(client, timed):
    quote, chapter = timed
    for fmt in ("markdown", "text"):
        response = client.get(f"/passages/{quote.id}/cite", params={"format": fmt})
        assert response.status_code == 200 and response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.text == render(cite(quote), fmt)
    response = client.get(f"/passages/{quote.id}/cite", params={"format": "json"})
    assert response.headers["content-type"] == "application/json" and response.json()["link"] == quote.url
    response = client.get(f"/passages/{chapter.id}/cite", params={"format": "csl-json"})
    assert response.status_code == 200 and "开源面对面" in formatted_reference(response.text)
    assert client.get(f"/passages/{quote.id}/cite").text.startswith("> ")  # markdown by default


def test_api_cite_errors(client, timed):
    quote, _ = timed
    missing = client.get("/passages/0123456789abcdef/cite")
    assert missing.status_code == 404
    assert missing.json()["detail"] == client.get("/passages/0123456789abcdef").json()["detail"]
    bad = client.get(f"/passages/{quote.id}/cite", params={"format": "bibtex"})
    assert bad.status_code == 422 and "markdown, text, json, csl-json" in bad.json()["detail"]
    typo = client.get(f"/passages/{quote.id}/cite", params={"fromat": "json"})
    assert typo.status_code == 422 and "Unknown query parameter 'fromat'" in typo.json()["detail"]


def test_api_cite_is_documented(client):
    operation = client.get("/openapi.json").json()["paths"]["/passages/{passage_id}/cite"]["get"]
    assert {"text/plain", "application/json"} <= set(operation["responses"]["200"]["content"])
    assert "404" in operation["responses"] and "422" in operation["responses"]
    [fmt] = [p for p in operation["parameters"] if p["name"] == "format"]
    assert fmt["schema"]["enum"] == list(CITATION_FORMATS)
