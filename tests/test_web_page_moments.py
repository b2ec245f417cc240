"""Moment links and copying on the search page, in a real browser against a live server (issue 19).

`/?passage=ID` opens one passage with its speaker, episode, show, time, deep link and neighbouring passages
(GET /passages/{id}?context=N); every passage on the page offers "Copy citation" (GET /passages/{id}/cite) and
"Copy link to this moment". The clipboard is Chromium's own, read back with clipboard-read permission; where the
page may not write it, the copied text is still shown on the page.

The index: the tests' usual small corpus (Alice and Bob's storage article, the seed article) and a real Talk
Python transcript with times and speakers, copied from ../shared/corpus at test time, with the fake embedder.
"""

from __future__ import annotations

import re
import shutil
import urllib.parse
import urllib.request

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from browser import CHROMIUM, CHROMIUM_ARGS, LiveServer, PageWatch
from helpers import CORPUS, write_example_sources
from podquote import Collection, build_index
from podquote.api.app import create_app
from podquote.hits import CONTEXT_FIELDS
from podquote.timecode import format_timecode
from browser import api, assert_clean, settled, submit

TALK_PYTHON = CORPUS / "talk-python-transcripts" / "transcripts" / "525-nicegui.vtt"

expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def moments_index(tmp_path_factory):
    folder = write_example_sources(tmp_path_factory.mktemp("moment-sources"))
    shutil.copy(TALK_PYTHON, folder / TALK_PYTHON.name)
    root = tmp_path_factory.mktemp("moment-index") / "index"
    build_index(root, [folder], embedder="fake")
    return root


@pytest.fixture(scope="module")
def talk(moments_index):
    """A Talk Python passage well inside the episode: a speaker, a time and two turns on each side."""
    with Collection.open(moments_index) as collection:
        return next(p for p in collection.passages() if p.source.endswith(".vtt") and p.position == 100)


@pytest.fixture(scope="module")
def server(moments_index):
    live = LiveServer(create_app(moments_index)).start()
    yield live
    live.stop()


def new_page(browser, server, permissions):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    if permissions:
        context.grant_permissions(permissions, origin=server.url)
    page = context.new_page()
    page.watch = PageWatch(page)
    return context, page


@pytest.fixture
def page(browser, server):
    """A page that may write and read the clipboard, as a person who allowed it."""
    context, page = new_page(browser, server, ["clipboard-read", "clipboard-write"])
    yield page
    context.close()


def text(server: LiveServer, path: str) -> str:
    with urllib.request.urlopen(f"{server.url}{path}", timeout=30) as response:
        return response.read().decode("utf-8")


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def moment_url(server: LiveServer, pid: str) -> str:
    return f"{server.url}/?{urllib.parse.urlencode({'passage': pid})}"


# ---- the API: GET /passages/{id}?context=N ---------------------------------------------------------------------


def test_passage_with_context_matches_a_search_hits_context(moments_index, talk):
    with TestClient(create_app(moments_index, reload_interval=None)) as client:
        plain = client.get(f"/passages/{talk.id}").json()
        assert plain["context"] is None and plain["text"] == talk.text
        body = client.get(f"/passages/{talk.id}", params={"context": 2}).json()
        assert {k: v for k, v in body.items() if k != "context"} == {k: v for k, v in plain.items() if k != "context"}
        before, after = body["context"]["before"], body["context"]["after"]
        assert len(before) == 2 and len(after) == 2
        assert all(set(p) == set(CONTEXT_FIELDS) for p in before + after)
        assert before[-1]["start"] <= talk.start <= after[0]["start"]
        # The same neighbours a search hit carries for the same passage.
        with Collection.open(moments_index) as collection:
            ids = [p.id for p in collection.passages() if p.source == talk.source and p.position in (98, 99, 101, 102)]
        assert sorted(p["id"] for p in before + after) == sorted(ids)
        first = client.get("/passages/" + client.get("/search", params={"q": "Ceph block storage", "k": 1})
                           .json()["hits"][0]["id"], params={"context": 3}).json()
        assert first["speaker"] == "Alice" and first["context"]["before"] == []
        assert [p["speaker"] for p in first["context"]["after"]] == ["Bob"]  # the article ends there
        for bad, fragment in [("11", "less than or equal to 10"), ("-1", "greater than or equal to 0"),
                              ("two", "valid integer")]:
            response = client.get(f"/passages/{talk.id}", params={"context": bad})
            assert response.status_code == 422 and fragment in response.json()["detail"], response.text
        unknown = client.get("/passages/0000000000000000", params={"context": 2})
        assert unknown.status_code == 404 and "no passage with id" in unknown.json()["detail"]
        typo = client.get(f"/passages/{talk.id}", params={"contxt": 2})
        assert typo.status_code == 422 and "this operation takes: context" in typo.json()["detail"]


# ---- the page: a moment link ----------------------------------------------------------------------------------


def test_moment_link_opens_the_quote_with_its_context(page, server, talk):
    expected = api(server, f"/passages/{talk.id}", context=2)
    page.goto(moment_url(server, talk.id))
    settled(page)
    moment = page.locator(".hit.moment")
    expect(moment).to_have_count(1)
    expect(page.locator(".hit")).to_have_count(1)
    expect(moment.locator(".quote")).to_have_text(talk.text)
    expect(moment.locator(".speaker")).to_have_text(talk.speaker)
    expect(moment.locator(".episode")).to_have_text(talk.title)
    expect(moment.locator(".show")).to_have_text("Talk Python To Me")
    link = moment.locator(".meta a.time")
    expect(link).to_have_text(f"▶ {format_timecode(talk.start)}")
    expect(link).to_have_attribute("href", talk.url)
    expect(moment.locator(".context-before .turn-text")).to_have_text([p["text"] for p in expected["context"]["before"]])
    expect(moment.locator(".context-after .turn-text")).to_have_text([p["text"] for p in expected["context"]["after"]])
    expect(page.locator("#status")).to_have_text(
        f"A moment: {talk.speaker} in “{talk.title}”, Talk Python To Me at {format_timecode(talk.start)}.")
    expect(page.locator("#context")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#intro")).to_be_hidden()
    assert page.title().startswith(f"{talk.speaker}: ")
    # The context toggle hides the neighbours and says so in the URL; back brings them back.
    page.locator("#context").click()
    expect(moment.locator(".context")).to_have_count(0)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query) == {"passage": [talk.id], "context": ["0"]}
    page.go_back()
    expect(page.locator(".hit.moment .context-before .turn")).to_have_count(2)
    # A search from the moment replaces it with results, and the URL with the search's.
    submit(page, "Backups forget")
    expect(page.locator(".hit.moment")).to_have_count(0)
    expect(page.locator(".hit").first.locator(".speaker")).to_have_text("Bob")
    assert "passage" not in urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert_clean(page, server)


def test_copy_citation_and_link_from_the_moment(page, server, talk):
    page.goto(moment_url(server, talk.id))
    settled(page)
    moment = page.locator(".hit.moment")
    notice = page.locator("#copied")
    expect(notice).to_have_attribute("aria-live", "polite")

    moment.get_by_role("button", name="Copy citation").click()
    expect(notice.locator(".copied-message")).to_have_text("Copied the citation:")
    cited = text(server, f"/passages/{talk.id}/cite?format=text")
    assert talk.text in cited and talk.speaker in cited
    expect(notice.locator(".copied-text")).to_have_text(cited)
    assert clipboard(page) == cited

    moment.get_by_role("button", name="Copy link to this moment").click()
    expect(notice.locator(".copied-message")).to_have_text("Copied the link to this moment:")
    link = moment_url(server, talk.id)
    expect(notice.locator(".copied-text")).to_have_text(link)
    assert clipboard(page) == link
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_be_empty()
    assert_clean(page, server)


def test_search_hits_offer_the_same_buttons(page, server):
    page.goto(server.url + "/")
    submit(page, "Backups forget")
    hit = page.locator(".hit").first
    expect(hit.locator(".speaker")).to_have_text("Bob")
    expect(page.locator(".hit .share")).to_have_count(page.locator(".hit").count())
    hit_id = hit.get_attribute("data-id")

    hit.get_by_role("button", name="Copy citation").click()
    expect(page.locator("#copied .copied-text")).to_contain_text("Backups are the part everyone forgets")
    cited = clipboard(page)
    assert "Backups are the part everyone forgets" in cited and "Bob" in cited and "Storage talk" in cited

    hit.get_by_role("button", name="Copy link to this moment").click()
    link = moment_url(server, hit_id)
    expect(page.locator("#copied .copied-text")).to_have_text(link)
    assert clipboard(page) == link
    # The copied link opens that moment: Bob's words, after Alice's.
    page.goto(clipboard(page))
    settled(page)
    moment = page.locator(".hit.moment")
    expect(moment.locator(".quote")).to_have_text("Backups are the part everyone forgets until the day they need them")
    expect(moment.locator(".context-before .turn-speaker")).to_have_text(["Alice"])
    assert_clean(page, server)


def test_unknown_passage_says_so(page, server):
    page.goto(moment_url(server, "0000000000000000"))
    status = page.locator("#status")
    expect(status).to_have_class(re.compile("status-error"))
    expect(status).to_contain_text("This moment is not in the index")
    expect(status).to_contain_text("no passage with id '0000000000000000'")
    expect(page.locator(".hit")).to_have_count(0)
    assert page.title() == "Moment not found · podquote"
    # An id the API refuses outright (too long) is reported with the API's reason, not as a crash.
    page.goto(moment_url(server, "a" * 65))
    expect(status).to_contain_text("at most 64 characters")
    assert page.watch.errors == [] and page.watch.dialogs == []


def test_copied_text_is_shown_where_there_is_no_clipboard(browser, server, talk):
    """The page served over plain http to a name other than localhost (`podquote serve --host 0.0.0.0`, opened
    from another machine) is not a secure context: the browser offers no clipboard, and the page shows the text,
    selected, to copy by hand."""
    insecure = f"http://podquote.test:{server.port}"
    # A second Chromium (the `browser` fixture has checked it is installed) that finds that name at 127.0.0.1.
    chromium = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True,
                                           args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP podquote.test 127.0.0.1"])
    try:
        page = chromium.new_page()
        page.watch = PageWatch(page)
        page.goto(f"{insecure}/?passage={talk.id}")
        settled(page)
        assert page.evaluate("window.isSecureContext") is False
        assert page.evaluate("typeof navigator.clipboard") == "undefined"
        page.locator(".hit.moment").get_by_role("button", name="Copy link to this moment").click()
        notice = page.locator("#copied")
        expect(notice.locator(".copied-message")).to_have_text(
            "The browser offers this page no clipboard (it is not served over https); the link to this moment is "
            "selected below: copy it with Ctrl+C or ⌘C.")
        expect(notice.locator(".copied-text")).to_have_text(f"{insecure}/?passage={talk.id}")
        assert page.evaluate("String(window.getSelection())") == f"{insecure}/?passage={talk.id}"
        page.locator(".hit.moment").get_by_role("button", name="Copy citation").click()
        expect(notice.locator(".copied-text")).to_have_text(text(server, f"/passages/{talk.id}/cite?format=text"))
        assert page.watch.errors == [] and page.watch.console_errors == []
    finally:
        chromium.close()
