"""The search page at /, in a real browser (Debian's Chromium through playwright) against a live uvicorn server.

Two servers: the built-in corpus indexed with the real default model (tests marked `model`), and a small corpus
with the fake embedder, which includes a transcript full of HTML to prove that data never becomes markup.
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from browser import ARTIFACTS, LiveServer, PageWatch, api, assert_clean, settled, submit
from helpers import write_example_sources
from podquote import build_index
from podquote.api.app import create_app
from podquote.api.routers.page import STATIC

ROOK = "why Rook on bare metal"
WATTS_QUOTE = "Rook 的亮点在于提供本地存储"
XSS_QUOTE = "<script>window.__xss=1</script><img src=x onerror=window.__xss=2> is what he typed into the search box."
XSS_TITLE = "notes <img src=x onerror=window.__xss=3>"

expect.set_options(timeout=30_000)


# ---- servers and browser --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_server(tmp_path_factory):
    """The built-in corpus indexed with the real default model (use-m3), served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("model-index") / "index"
    build_index(root)
    server = LiveServer(create_app(root)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fake_server(tmp_path_factory):
    """A small corpus with the fake embedder: the built-in article, an English one and one full of HTML."""
    folder = write_example_sources(tmp_path_factory.mktemp("web-sources"))
    (folder / "mallory.md").write_text(
        "# <script>alert(1)</script> title\n\n"
        "Mallory came to talk about input handling.\n\n"
        "\"<script>window.__xss=1</script><img src=x onerror=window.__xss=2> is what he typed,\" said Mallory.\n",
        encoding="utf-8",
    )
    # The Markdown reader drops HTML tags from articles; a plain-text transcript keeps every character, and its
    # title comes from the file name.
    (folder / f"{XSS_TITLE}.txt").write_text(
        f"{XSS_QUOTE}\n\n"
        "The long link https://example.com/a/very/long/path/that/never/breaks/anywhere/at/all/unless/the/page/lets"
        "/it/break/thanks was in the report.\n",
        encoding="utf-8",
    )
    root = tmp_path_factory.mktemp("web-index") / "index"
    build_index(root, [folder], embedder="fake")
    server = LiveServer(create_app(root)).start()
    yield server
    server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.watch = PageWatch(page)
    yield page
    context.close()


def speakers(page) -> list[str]:
    return page.locator(".hit .speaker").all_inner_texts()


# ---- the real model: the question from the README -------------------------------------------------------------


@pytest.mark.model
def test_typed_question_finds_watts_first(page, model_server):
    page.goto(model_server.url + "/")
    expect(page.locator("#intro")).to_be_visible()
    expect(page.locator("#q")).to_be_focused()
    submit(page, ROOK)

    first = page.locator(".hit").first
    expect(first.locator(".quote")).to_contain_text(WATTS_QUOTE)
    expect(first.locator(".speaker")).to_have_text("Watts")
    expected = api(model_server, "/search", q=ROOK, k=10)["hits"][0]
    assert expected["speaker"] == "Watts" and expected["url"]
    expect(first.locator("a.time")).to_have_attribute("href", expected["url"])
    expect(first.locator(".episode")).to_have_text(expected["title"])
    expect(first.locator(".lang")).to_have_text(re.compile("Chinese", re.I))
    # The highlighted sentence is the API's highlight span, as text inside the quote.
    start, end = expected["highlight"]
    expect(first.locator(".quote mark")).to_have_text(expected["text"][start:end])
    expect(page.locator("#status")).to_have_text(f"{len(api(model_server, '/search', q=ROOK)['hits'])} results for “{ROOK}”.")
    expect(page.locator("#intro")).to_be_hidden()
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query) == {"q": [ROOK]}
    # Chinese text is marked as such, in a CJK font stack, breaking anywhere rather than overflowing.
    style = first.locator(".quote").evaluate(
        "e => { const s = getComputedStyle(e); return [e.lang, s.fontFamily, s.overflowWrap]; }")
    assert style[0] == "zh-Hans" and "Noto Sans CJK SC" in style[1] and style[2] == "anywhere"
    # Chapters carry a time: shown as m:ss and linked to that moment.
    timed = [h for h in api(model_server, "/search", q=ROOK)["hits"] if h["start"] is not None and h["url"]]
    assert timed
    link = page.locator(f'.hit[data-id="{timed[0]["id"]}"] a.time')
    minutes, seconds = divmod(int(timed[0]["start"]), 60)
    expect(link).to_have_text(f"▶ {minutes}:{seconds:02d}")
    expect(link).to_have_attribute("href", timed[0]["url"])
    assert_clean(page, model_server)


@pytest.mark.model
def test_speaker_filter_keeps_only_that_speaker(page, model_server):
    page.goto(model_server.url + "/")
    submit(page, ROOK)
    page.locator("#speaker").select_option("傅")  # waits for /facets to fill the choices; a change searches again
    expect(page.locator("#status")).to_contain_text("with speaker 傅")
    settled(page)
    expected = api(model_server, "/search", q=ROOK, speaker="傅")["hits"]
    assert expected and {h["speaker"] for h in expected} == {"傅"}
    expect(page.locator(".hit")).to_have_count(len(expected))
    assert set(speakers(page)) == {"傅"}
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query) == {"q": [ROOK], "speaker": ["傅"]}
    # Back goes to the unfiltered search, in the form too.
    page.go_back()
    expect(page.locator("#speaker")).to_have_value("")
    expect(page.locator(".hit").first.locator(".speaker")).to_have_text("Watts")
    assert_clean(page, model_server)


@pytest.mark.model
def test_shared_url_runs_the_search_on_load(page, model_server):
    page.goto(model_server.url + "/?" + urllib.parse.urlencode({"q": ROOK, "speaker": "Watts"}))
    settled(page)
    expect(page.locator("#q")).to_have_value(ROOK)
    expect(page.locator("#speaker")).to_have_value("Watts")
    expect(page.locator(".hit").first.locator(".quote")).to_contain_text(WATTS_QUOTE)
    assert speakers(page) and set(speakers(page)) == {"Watts"}
    expect(page.locator("#status")).to_contain_text("with speaker Watts")
    assert_clean(page, model_server)


@pytest.mark.model
@pytest.mark.parametrize("width, height, name", [(390, 844, "phone"), (1280, 900, "desktop")])
def test_screenshots_phone_and_desktop(browser, model_server, width, height, name):
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                  is_mobile=width < 600, has_touch=width < 600, locale="en-US")
    try:
        page = context.new_page()
        page.goto(model_server.url + "/?" + urllib.parse.urlencode({"q": ROOK, "k": 5, "context": 1}))
        settled(page)
        expect(page.locator(".hit").first.locator(".quote")).to_contain_text(WATTS_QUOTE)
        page.evaluate("document.fonts.ready")
        # Nothing sticks out sideways: no horizontal scrolling at either width.
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a {width}px screen"
        box = page.locator(".hit").first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"search-page-{name}-{width}.png"
        path.unlink(missing_ok=True)
        page.screenshot(path=str(path), full_page=True)
        assert path.is_file() and path.stat().st_size > 10_000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        context.close()


# ---- the fake embedder: filters, states, context, and data that looks like HTML --------------------------------


def test_transcript_html_is_shown_as_text_never_run(page, fake_server):
    page.goto(fake_server.url + "/")
    submit(page, "what he typed into the search box")
    quote = page.locator(".hit .quote", has_text="<script>window.__xss=1</script>")
    expect(quote).to_be_visible()
    expect(quote).to_have_text(XSS_QUOTE)
    expect(page.locator(".hit .episode", has_text=XSS_TITLE).first).to_be_visible()
    # The Markdown article with a <script> title is found too; its reader keeps the words, not the tags.
    expect(page.locator(".hit .speaker", has_text="Mallory")).to_have_count(1)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("document.querySelectorAll('#results script, #results img, #status *').length") == 0
    assert page.evaluate("Array.from(document.scripts, s => new URL(s.src).pathname)") == ["/static/app.js"]
    assert page.evaluate("document.images.length") == 0
    # The query itself is user-supplied text too: a shared URL with markup in it is echoed as text.
    page.goto(fake_server.url + "/?q=" + urllib.parse.quote("<img src=x onerror=window.__xss=4>"))
    settled(page)
    expect(page.locator("#status")).to_contain_text("for “<img src=x onerror=window.__xss=4>”")
    assert page.evaluate("typeof window.__xss") == "undefined" and page.evaluate("document.images.length") == 0
    assert page.title() == "<img src=x onerror=window.__xss=4> · podquote"
    assert_clean(page, fake_server)


def test_context_toggle_shows_neighbouring_turns(page, fake_server):
    page.goto(fake_server.url + "/?q=Backups+forget")
    settled(page)
    first = page.locator(".hit").first
    expect(first.locator(".speaker")).to_have_text("Bob")
    expect(page.locator(".context")).to_have_count(0)
    toggle = page.locator("#context")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.focus()
    page.keyboard.press("Space")  # a real button: the keyboard works it
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(first.locator(".context-before .turn")).to_have_count(1)
    expect(first.locator(".context-before .turn-speaker")).to_have_text("Alice")
    expect(first.locator(".context-before .turn-text")).to_contain_text("Ceph gives you block")
    expect(first.locator(".context-after")).to_have_count(0)  # Bob has the last word in that article
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["context"] == ["2"]
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.locator(".context")).to_have_count(0)
    assert "context" not in urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert_clean(page, fake_server)


def test_filters_then_empty_state_then_back_out(page, fake_server):
    page.goto(fake_server.url + "/")
    submit(page, "Backups forget")
    page.locator("#speaker").select_option("Bob")
    expect(page.locator("#status")).to_contain_text("with speaker Bob")
    settled(page)
    assert speakers(page) and set(speakers(page)) == {"Bob"}
    page.locator("#lang").select_option("zh")  # Bob only spoke English: nothing left
    expect(page.locator("#status")).to_have_class(re.compile("status-empty"))
    expect(page.locator("#status")).to_have_text("No results for “Backups forget” with speaker Bob, language Chinese.")
    expect(page.locator(".hit")).to_have_count(0)
    page.locator(".empty button").click()
    settled(page)
    expect(page.locator("#speaker")).to_have_value("")
    expect(page.locator("#lang")).to_have_value("")
    expect(page.locator(".hit").first.locator(".speaker")).to_have_text("Bob")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query) == {"q": ["Backups forget"]}
    assert_clean(page, fake_server)


def test_error_states_say_what_happened(page, fake_server):
    page.goto(fake_server.url + "/")
    page.locator("#go").click()  # nothing typed: the page says so and asks no server
    expect(page.locator("#status")).to_have_text(re.compile("Type a question first"))
    submit(page, "x" * 1001)
    status = page.locator("#status")
    expect(status).to_have_class(re.compile("status-error"))
    expect(status).to_contain_text("query: String should have at most 1000 characters")
    expect(status).to_contain_text("HTTP 422")
    expect(page.locator(".hit")).to_have_count(0)
    # A filter value the API refuses comes back with the API's reason.
    page.goto(fake_server.url + "/?q=storage&lang=klingon")
    expect(status).to_have_class(re.compile("status-error"))
    expect(status).to_contain_text("'zh', 'en' or 'other'")
    # A server that has gone away is reported as such, not as "no results".
    page.route("**/search?*", lambda route: route.abort())
    page.goto(fake_server.url + "/?q=storage")
    expect(status).to_contain_text("Could not reach the search service")
    assert page.watch.errors == [] and page.watch.dialogs == []


def test_shared_url_with_empty_filters_still_searches(page, fake_server):
    page.goto(fake_server.url + "/?q=Ceph+storage&speaker=&show=&lang=")
    settled(page)
    expect(page.locator(".hit").first.locator(".speaker")).to_have_text("Alice")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query) == {"q": ["Ceph storage"]}
    assert_clean(page, fake_server)


# ---- the page and /facets over plain HTTP ---------------------------------------------------------------------


def test_page_and_assets_are_served_with_a_strict_policy(fake_index):
    with TestClient(create_app(fake_index)) as client:
        page = client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert '<script type="module" src="/static/app.js"></script>' in page.text
        assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
        assert client.get("/static/style.css").headers["content-type"].startswith("text/css")
        for bad in ("/static/nope.js", "/static/..%2Fapp.py", "/static/.hidden.css", "/static/__init__.py"):
            assert client.get(bad).status_code == 404, bad
        # The API and its docs are unchanged; the page is not part of the API's schema.
        assert client.get("/docs").status_code == 200
        paths = set(client.get("/openapi.json").json()["paths"])
        assert {"/search", "/healthz", "/facets"} <= paths and "/" not in paths


def test_static_files_fetch_nothing_from_elsewhere():
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), path.name
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "document.write" not in text


def test_facets_count_shows_speakers_languages_and_episodes(fake_index):
    with TestClient(create_app(fake_index)) as client:
        facets = client.get("/facets").json()
    speakers = {f["value"]: f["count"] for f in facets["speakers"]}
    assert speakers["Watts"] == 4 and speakers["Alice"] == 1 and speakers["Bob"] == 1
    assert [f["count"] for f in facets["speakers"]] == sorted(speakers.values(), reverse=True)
    languages = {f["value"]: f["count"] for f in facets["languages"]}
    assert set(languages) == {"zh", "en"} and sum(languages.values()) == facets["passages"]
    assert facets["shows"] == []  # neither article names a show
    titles = {f["title"] for f in facets["episodes"]}
    assert "Storage talk" in titles and sum(f["count"] for f in facets["episodes"]) == facets["passages"]
