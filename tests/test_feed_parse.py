"""podquote.feeds.parse: an RSS 2.0 podcast feed with the Podcasting 2.0 namespace, every repeated tag kept."""

from __future__ import annotations

import pytest

from podquote.errors import FeedInvalid, PodquoteError
from podquote.feeds import (
    TRANSCRIPT_EXTENSIONS,
    Feed,
    Item,
    Person,
    Soundbite,
    Transcript,
    parse_feed,
    transcript_order,
)

FEED_URL = "https://shows.example.org/podlets/feed.xml"

# Shaped like a real Podcasting 2.0 feed (Buzzsprout / Podhome style): itunes and atom tags that must not be
# mistaken for RSS ones, CDATA, relative URLs, and one episode that offers its transcript four ways, shuffled.
FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <atom:link href="https://shows.example.org/podlets/feed.xml" rel="self" type="application/rss+xml"/>
    <title>The Podlets - A Cloud Native Podcast</title>
    <link>https://thepodlets.io</link>
    <language>en-us</language>
    <itunes:title>Not the RSS title</itunes:title>
    <podcast:locked>no</podcast:locked>
    <podcast:person role="host" img="/img/carlisia.jpg"
                    href="https://twitter.com/carlisia">Carlisia Campos</podcast:person>
    <podcast:person role="Host">Kris Nova</podcast:person>
    <podcast:person>Bryan Liles</podcast:person>
    <item>
      <title><![CDATA[Cloud Native Infrastructure & "Day 2"]]></title>
      <guid isPermaLink="false">podlets-ep-3</guid>
      <pubDate>Mon, 02 Dec 2019 08:00:00 +0000</pubDate>
      <link>episodes/3</link>
      <enclosure url="https://cdn.example.org/podlets/ep3.mp3" length="39219392" type="audio/mpeg"/>
      <podcast:transcript url="transcripts/ep3.html" type="text/html"/>
      <podcast:transcript url="transcripts/ep3.srt" type="application/srt" language="en"/>
      <podcast:transcript url="transcripts/ep3.json" type="application/json" language="en"/>
      <podcast:transcript url="transcripts/ep3.txt" type="text/plain"/>
      <podcast:transcript url="https://cdn.example.org/podlets/ep3.vtt" type="text/vtt" language="en" rel="captions"/>
      <podcast:chapters url="chapters/ep3.json" type="application/json+chapters"/>
      <podcast:soundbite startTime="73.0" duration="60.5">Why day two is where the work is</podcast:soundbite>
      <podcast:soundbite startTime="1234.5" duration="42"/>
      <podcast:soundbite startTime="soon" duration="10">no start: dropped</podcast:soundbite>
    </item>
    <item>
      <title>Kubernetes Sucks for Developers, Right? No.</title>
      <guid>https://thepodlets.io/episodes/2</guid>
      <pubDate>Mon, 25 Nov 2019 08:00:00 GMT</pubDate>
      <enclosure url="https://cdn.example.org/podlets/ep2.mp3" type="audio/mpeg"/>
      <podcast:transcript url="transcripts/ep2.srt" type="text/srt" language="en"/>
      <podcast:person role="guest" group="Cast" href="https://example.org/joe">Joe Beda</podcast:person>
      <podcast:person role="host">Carlisia Campos</podcast:person>
    </item>
    <item>
      <title>An episode with no guid</title>
      <pubDate>not a date</pubDate>
      <enclosure url="/podlets/ep1.mp3" type="audio/mpeg"/>
    </item>
  </channel>
</rss>
"""


@pytest.fixture(scope="module")
def feed() -> Feed:
    return parse_feed(FEED, FEED_URL)


def test_channel(feed):
    assert (feed.title, feed.link, feed.language) == (
        "The Podlets - A Cloud Native Podcast",
        "https://thepodlets.io",
        "en-us",
    )
    assert [item.guid for item in feed.items] == [
        "podlets-ep-3",
        "https://thepodlets.io/episodes/2",
        "https://shows.example.org/podlets/ep1.mp3",  # no guid: the enclosure URL keys the episode
    ]


def test_item_fields_and_relative_urls(feed):
    item = feed.items[0]
    assert item.title == 'Cloud Native Infrastructure & "Day 2"'
    assert item.date == "2019-12-02"
    assert item.link == "https://shows.example.org/podlets/episodes/3"
    assert item.enclosure == "https://cdn.example.org/podlets/ep3.mp3"
    assert item.chapters == "https://shows.example.org/podlets/chapters/ep3.json"
    assert feed.items[1].date == "2019-11-25"
    assert feed.items[2].date is None  # an unreadable pubDate is dropped, not guessed


def test_every_transcript_is_kept_with_its_attributes(feed):
    transcripts = feed.items[0].transcripts
    assert len(transcripts) == 5
    assert transcripts[1] == Transcript(
        url="https://shows.example.org/podlets/transcripts/ep3.srt",
        type="application/x-subrip",
        language="en",
        rel=None,
    )
    assert transcripts[4] == Transcript(
        url="https://cdn.example.org/podlets/ep3.vtt", type="text/vtt", language="en", rel="captions"
    )
    assert feed.items[1].transcripts[0].type == "application/x-subrip"  # "text/srt" too


def test_transcript_order_prefers_json_then_vtt_srt_html_plain(feed):
    ordered = [t.url.rsplit(".", 1)[1] for t in transcript_order(feed.items[0])]
    assert ordered == ["json", "vtt", "srt", "html", "txt"]
    assert [TRANSCRIPT_EXTENSIONS[t.type] for t in transcript_order(feed.items[0])] == [
        ".json", ".vtt", ".srt", ".html", ".txt"
    ]
    odd = Item(guid="x", transcripts=[Transcript("a.pdf", "application/pdf"), Transcript("b.txt", "text/plain")])
    assert [t.url for t in transcript_order(odd)] == ["b.txt", "a.pdf"]  # unknown types last


def test_persons_channel_default_and_item_replacement(feed):
    assert feed.persons == [
        Person(
            name="Carlisia Campos",
            role="host",
            group=None,
            href="https://twitter.com/carlisia",
            img="https://shows.example.org/img/carlisia.jpg",
        ),
        Person(name="Kris Nova", role="host"),  # role lowercased
        Person(name="Bryan Liles", role="host"),  # the namespace's default role
    ]
    assert feed.items[0].persons == feed.persons  # no persons of its own: the channel's
    assert feed.items[1].persons == [  # its own list replaces the channel's, not added to it
        Person(name="Joe Beda", role="guest", group="cast", href="https://example.org/joe"),
        Person(name="Carlisia Campos", role="host"),
    ]


def test_soundbites(feed):
    assert feed.items[0].soundbites == [
        Soundbite(start=73.0, duration=60.5, title="Why day two is where the work is"),
        Soundbite(start=1234.5, duration=42.0, title=None),
    ]
    assert feed.items[1].soundbites == []


def test_older_namespace_uri_is_read_too():
    data = FEED.replace(
        b"https://podcastindex.org/namespace/1.0",
        b"https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
    )
    item = parse_feed(data, FEED_URL).items[0]
    assert len(item.transcripts) == 5 and len(item.soundbites) == 2 and item.chapters


def test_a_foreign_namespace_with_the_same_local_names_is_ignored():
    data = FEED.replace(b"https://podcastindex.org/namespace/1.0", b"https://example.org/not-podcasting")
    feed = parse_feed(data, FEED_URL)
    assert feed.persons == [] and feed.items[0].transcripts == [] and feed.items[0].chapters is None


def test_malformed_xml_names_the_line():
    broken = FEED.replace(b"</guid>\n      <pubDate>Mon, 25", b"</guide>\n      <pubDate>Mon, 25")
    line = broken[: broken.index(b"</guide>")].count(b"\n") + 1
    with pytest.raises(FeedInvalid) as caught:
        parse_feed(broken, FEED_URL)
    message = str(caught.value)
    assert f"malformed XML at line {line}" in message and FEED_URL in message
    assert isinstance(caught.value, PodquoteError)
    with pytest.raises(FeedInvalid, match=f"malformed XML at line {line + 2}:"):
        parse_feed(b"\n\n" + broken, FEED_URL)  # blank lines before the declaration still count


@pytest.mark.parametrize(
    "document, expected",
    [
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>', "not an RSS feed"),
        (b"<html><body><p>Moved to our new site</p></body></html>", "not an RSS feed"),
        (b"<rss version='2.0'><item><title>no channel</title></item></rss>", "no <channel>"),
        (b"", "empty"),
        (b"\xff\xfe\x00garbage", "malformed XML at line 1"),
        (b'{"version": "1.0.0", "segments": []}', "malformed XML at line 1"),
    ],
)
def test_documents_that_are_not_feeds(document, expected):
    with pytest.raises(FeedInvalid, match=expected):
        parse_feed(document, "feed.xml")


def test_entities_are_not_expanded_and_nothing_is_fetched():
    # A billion-laughs DTD and an external entity: neither is expanded, nothing is read from disk or network.
    data = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lollollollollollollollollollol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY secret SYSTEM "file:///etc/passwd">
]>
<rss version="2.0"><channel><title>&lol3;</title><item><title>&secret;</title><guid>g</guid></item></channel></rss>
"""
    feed = parse_feed(data, FEED_URL)
    assert "lollol" not in (feed.title or "")
    assert "root:" not in (feed.items[0].title or "")


def test_blank_lines_before_the_xml_declaration_are_tolerated():
    assert parse_feed(b"\n\n  " + FEED, FEED_URL).title == "The Podlets - A Cloud Native Podcast"


def test_repeated_guid_keeps_the_first_item():
    data = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>new</title><guid>same</guid></item><item><title>old</title><guid>same</guid></item>
      <item><description>nothing to key it by</description></item>
    </channel></rss>"""
    feed = parse_feed(data, "https://example.org/feed.xml")
    assert [(item.guid, item.title) for item in feed.items] == [("same", "new")]


def test_a_local_file_path_resolves_relative_urls_next_to_it():
    data = b"""<rss xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><item><guid>g</guid>
      <podcast:transcript url="ep.vtt"/></item></channel></rss>"""
    transcript = parse_feed(data, "/srv/feeds/show/feed.xml").items[0].transcripts[0]
    assert transcript == Transcript(url="/srv/feeds/show/ep.vtt", type="text/vtt")  # type guessed from .vtt
