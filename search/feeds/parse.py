"""Read an RSS 2.0 podcast feed with the Podcasting 2.0 namespace into podquote.feeds.model.

We parse with lxml ourselves because the common feed parsers lose repeated namespace tags (feedparser keeps one
podcast:transcript, podcastparser keeps only the last URL and drops type and language), and an item that offers
JSON, VTT and SRT is exactly the case podquote needs.
"""

from __future__ import annotations

import math
from datetime import date
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

from ..errors import FeedInvalid
from ..timecode import parse_timecode
from .model import Feed, Item, Person, Soundbite, Transcript

# The namespace's URI, and the GitHub URI feeds written against its early drafts still declare.
PODCAST_NAMESPACES = (
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
)

# MIME -> extension of the materialised file; the order is the preference of transcript_order (best first):
# JSON keeps word timings and speakers, VTT and SRT keep cue times, HTML keeps speakers, plain text keeps neither.
TRANSCRIPT_EXTENSIONS: dict[str, str] = {
    "application/json": ".json",
    "text/vtt": ".vtt",
    "application/x-subrip": ".srt",
    "text/html": ".html",
    "text/plain": ".txt",
}

# Names seen in the wild for SRT (the namespace documents application/x-subrip, publishers also write these).
_SRT_ALIASES = {"application/srt", "text/srt", "application/x-srt", "text/x-srt"}


def _parser() -> etree.XMLParser:
    # A feed is untrusted input: no DTD or entity expansion (billion laughs, external entities), no network,
    # and libxml2's default size limits (huge_tree off) so a hostile document cannot exhaust memory.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, remove_pis=True
    )


def parse_feed(data: bytes, url: str) -> Feed:
    """The feed at `url` (used to resolve relative URLs and to name the feed in errors) from its bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    channel = _channel(_document(data, url), url)
    persons = _persons(channel, url)
    items, seen = [], set()
    for element in channel.iterchildren("item"):
        item = _item(element, url, persons)
        # An item with nothing to key it by cannot be followed across refreshes; a repeated guid would make two
        # episodes overwrite each other: the first one listed (the newest, by convention) wins.
        if item is not None and item.guid not in seen:
            seen.add(item.guid)
            items.append(item)
    return Feed(
        title=_child_text(channel, "title"),
        link=_url(_child_text(channel, "link"), url),
        language=_child_text(channel, "language"),
        persons=persons,
        items=items,
    )


def _document(data: bytes, url: str) -> etree._Element:
    if not data.strip():
        raise FeedInvalid(url, "the document is empty")
    # Blank lines before <?xml ...?> (a template's habit) make libxml2 refuse an otherwise fine feed; they are
    # dropped, and counted back into the line an error names.
    body = data.lstrip(b" \t\r\n")
    skipped = data[: len(data) - len(body)].count(b"\n")
    try:
        return etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as error:
        reason = (error.msg or "syntax error").split(", line ")[0]
        raise FeedInvalid(url, f"malformed XML at line {error.lineno + skipped}: {reason}") from None


def _channel(root: etree._Element, url: str) -> etree._Element:
    name = etree.QName(root).localname if isinstance(root.tag, str) else "?"
    if root.tag != "rss":
        raise FeedInvalid(url, f"it is not an RSS feed (the document's root is <{name}>, a feed's is <rss>)")
    channel = root.find("channel")
    if channel is None:
        raise FeedInvalid(url, "it is not an RSS feed (<rss> has no <channel>)")
    return channel


def _item(element: etree._Element, url: str, channel_persons: list[Person]) -> Item | None:
    enclosure = element.find("enclosure")
    enclosure_url = _url(enclosure.get("url") if enclosure is not None else None, url)
    title, link = _child_text(element, "title"), _url(_child_text(element, "link"), url)
    guid = _child_text(element, "guid") or enclosure_url or link or title
    if guid is None:
        return None
    chapters = next((c.get("url") for c in _podcast_children(element, "chapters") if c.get("url")), None)
    return Item(
        guid=guid,
        title=title,
        date=_iso_date(_child_text(element, "pubDate")),
        link=link,
        enclosure=enclosure_url,
        transcripts=_transcripts(element, url),
        chapters=_url(chapters, url),
        persons=_persons(element, url) or list(channel_persons),
        soundbites=_soundbites(element),
    )


def _transcripts(element: etree._Element, url: str) -> list[Transcript]:
    found = []
    for tag in _podcast_children(element, "transcript"):
        href = _url(tag.get("url"), url)
        if href is None:
            continue
        found.append(
            Transcript(
                url=href,
                type=normalise_type(tag.get("type")) or _type_from_extension(href),
                language=_clean(tag.get("language")),
                rel=_clean(tag.get("rel")),
            )
        )
    return found


def _persons(element: etree._Element, url: str) -> list[Person]:
    found = []
    for tag in _podcast_children(element, "person"):
        name = _text(tag)
        if name is None:
            continue
        role, group = _clean(tag.get("role")), _clean(tag.get("group"))
        found.append(
            Person(
                name=name,
                role=role.lower() if role else "host",  # the namespace's default role
                group=group.lower() if group else None,
                href=_url(tag.get("href"), url),
                img=_url(tag.get("img"), url),
            )
        )
    return found


def _soundbites(element: etree._Element) -> list[Soundbite]:
    found = []
    for tag in _podcast_children(element, "soundbite"):
        start, duration = _seconds(tag.get("startTime")), _seconds(tag.get("duration"))
        # Both are required by the namespace; a soundbite without them cannot be placed in the episode.
        if start is None or duration is None:
            continue
        found.append(Soundbite(start=start, duration=duration, title=_text(tag)))
    return found


def transcript_order(item: Item) -> list[Transcript]:
    """The item's transcripts, best first: JSON > VTT > SRT > HTML > plain text, then unknown types.

    Stable, so two transcripts of one type keep the feed's order (the publisher's own preference).
    """
    rank = {mime: position for position, mime in enumerate(TRANSCRIPT_EXTENSIONS)}
    return sorted(item.transcripts, key=lambda t: rank.get(normalise_type(t.type) or "", len(rank)))


def normalise_type(value: str | None) -> str | None:
    """'Text/VTT; charset=utf-8' -> 'text/vtt'; the SRT aliases -> 'application/x-subrip'."""
    if not value:
        return None
    mime = value.split(";")[0].strip().lower()
    if mime in _SRT_ALIASES:
        return "application/x-subrip"
    return mime or None


def _type_from_extension(url: str) -> str:
    # A transcript tag without a type (invalid, but seen): guess from the file name, else leave it unknown ("").
    path = url.split("#")[0].split("?")[0].lower()
    return next((mime for mime, ext in TRANSCRIPT_EXTENSIONS.items() if path.endswith(ext)), "")


def _podcast_children(element: etree._Element, name: str):
    """The element's children named podcast:<name> under either namespace URI, in document order."""
    return element.iterchildren(*(f"{{{ns}}}{name}" for ns in PODCAST_NAMESPACES))


def _child_text(element: etree._Element, name: str) -> str | None:
    child = element.find(name)  # un-namespaced RSS 2.0 tags only: <atom:link> or <itunes:title> do not match
    return _text(child) if child is not None else None


def _text(element: etree._Element) -> str | None:
    # itertext() leaves an undeclared or unexpanded entity as its literal "&name;", never its expansion.
    return _clean("".join(element.itertext()))


def _clean(value: str | None) -> str | None:
    value = value.strip() if value else None
    return value or None


def _url(value: str | None, base: str) -> str | None:
    value = _clean(value)
    return urljoin(base, value) if value else None


def _iso_date(value: str | None) -> str | None:
    """RFC 822 pubDate ('Tue, 03 Jun 2025 07:00:00 GMT') -> '2025-06-03'; ISO dates pass; anything else -> None."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def _seconds(value: str | None) -> float | None:
    """'73.5' (the namespace's form) or '1:13.5' (seen in the wild) -> seconds; negative or garbage -> None."""
    value = _clean(value)
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parse_timecode(value)
        except ValueError:
            return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
