"""`podquote follow`, `podquote refresh` and `podquote feeds`: keep an index current with podcast feeds."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.markup import escape

from ..errors import AUDIO_EXTRA_MESSAGE
from .common import DEFAULT_INDEX, IndexOption, console, errors_to_exit


def register(app: typer.Typer) -> None:
    app.command("follow")(errors_to_exit(follow))
    app.command("refresh")(errors_to_exit(refresh))
    app.command("feeds")(errors_to_exit(feeds))


def follow(
    feed: Annotated[str, typer.Argument(help="The feed: an http(s) URL, or the path of a feed file.",
                                        show_default=False)],
    lang: Annotated[Optional[str], typer.Option(
        "--lang", help="The episodes' language (e.g. en, zh-CN), over what the feed and its transcripts say: "
                       "recorded for each episode and shown by `podquote feeds`. Passages keep the language "
                       "detected from their script (en, zh, other); only one without any letter (\"2025 !\") "
                       "takes this one, if en or zh.")] = None,
    name: Annotated[Optional[str], typer.Option(
        "--name", help="The show's name on every quote, instead of the feed's own title.")] = None,
    transcribe: Annotated[Optional[bool], typer.Option(
        "--transcribe/--no-transcribe", help="Transcribe the audio of episodes without a usable transcript "
                                             "(needs the audio extra: pip install \"podquote\\[audio]\"). Kept "
                                             "until changed.", show_default=False)] = None,
    index_dir: IndexOption = DEFAULT_INDEX,
) -> None:
    """Follow a podcast by its RSS feed; `podquote refresh` then indexes its episodes.

    The feed is read once to check it. A refresh takes the publisher's transcripts (Podcasting 2.0
    <podcast:transcript>: JSON, VTT, SRT, HTML or text, the best that downloads and parses), chapters,
    persons (who is speaking) and soundbites.

    Examples:

      podquote follow https://feeds.example.com/show.xml

      podquote follow ./feed.xml --name "Talk Python" --lang en --index ~/pq-index

      podquote follow https://feeds.example.com/show.xml --transcribe

    With --transcribe, a refresh downloads the audio (enclosure) of an episode that offers no transcript that
    works (at most PODQUOTE_AUDIO_MAX_BYTES, default 500 MB), transcribes it locally (minutes per hour of
    audio on two cores) and indexes it with links to the audio at the quote's time; an episode is
    transcribed once. Speakers are not known from audio.

    Following a feed again updates its --lang, --name and --transcribe. While a `podquote refresh` of the same
    index runs, follow fails at once (run it again when the refresh ends).
    """
    from ..feeds.follow import follow as follow_feed

    followed, parsed, is_new = follow_feed(index_dir, feed, lang=lang, name=name, transcribe=transcribe)
    offered = sum(1 for item in parsed.items if item.transcripts)
    audio = sum(1 for item in parsed.items if item.enclosure and not item.transcripts)
    verb = "Following" if is_new else "Already following; updated"
    transcribed = f", {audio} to transcribe from their audio" if followed.transcribe and audio else ""
    console().print(f"{verb} [bold]{escape(followed.show or followed.url)}[/] ({len(parsed.items)} episodes, "
                    f"{offered} with a transcript{transcribed}). Run `podquote refresh --index "
                    f"{escape(str(index_dir))}` to index them.")


PARTIAL_EXIT = 3  # refreshed, but some episode or feed failed (each listed); 1 stays "nothing refreshed"


def refresh(
    index_dir: IndexOption = DEFAULT_INDEX,
    embedder: Annotated[Optional[str], typer.Option(
        help="Embedding model of a new index: use-m3 (default) or st:<model>. An index keeps its own.")] = None,
    timeout: Annotated[Optional[float], typer.Option(
        min=0.01, help="Seconds to wait on a server before a download counts as timed out (retried twice); "
                       "default: PODQUOTE_FETCH_TIMEOUT, else 20.", show_default=False)] = None,
) -> None:
    """Fetch every followed feed and index new or changed episodes; episodes gone from a feed are removed.

    Each transcript is fetched with a conditional GET (ETag, Last-Modified), so an unchanged episode is neither
    downloaded nor embedded again. A failing episode or feed (timeout, HTTP error, a file over 20 MB, a redirect
    loop, a feed that is not valid XML, a transcript that does not parse; for a feed followed with --transcribe,
    audio over PODQUOTE_AUDIO_MAX_BYTES or with no speech) is reported by name and skipped; what was indexed for
    it stays searchable. An episode's audio is transcribed once. One refresh at a time per index: a second one fails at once.

    Exit code: 0 when every feed and episode was refreshed; 3 when some failed (listed) and the rest were
    indexed; 1 when nothing could be refreshed (an error, or another refresh running).

    Examples:

      podquote refresh

      podquote refresh --index ~/pq-index --timeout 60

    From cron, hourly, every source and feed:

      0 * * * * cd ~/podquote && .venv/bin/python scripts/reindex.py --index ~/pq-index --quiet
    """
    from ..feeds.refresh import refresh_feeds
    from .progress import IndexProgress
    from .reports import print_index_report

    with IndexProgress(console(stderr=True)) as progress:
        report = refresh_feeds(index_dir, progress=progress.update, embedder=embedder, timeout=timeout)
    out = console()
    print_refresh_report(report, out)
    if report.index is not None:
        print_index_report(report.index, out)
    if report.failed:
        refreshed = any(report.episodes[s] for s in ("new", "changed", "unchanged"))
        raise typer.Exit(PARTIAL_EXIT if refreshed else 1)


def print_refresh_report(report, out) -> None:
    e = report.episodes
    out.print(f"Refreshed {report.feeds} feed{'s' if report.feeds != 1 else ''}: episodes {e['new']} new, "
              f"{e['changed']} changed, {e['unchanged']} unchanged, {e['failed']} failed, {report.removed} removed"
              + (f", {e['none']} without a transcript" if e["none"] else "")
              + f"; {report.transcript_downloads} transcript downloads"
              + (f", {report.audio_downloads} audio downloads, {report.audio_transcribed} transcribed"
                 if report.audio_downloads else "")
              + f" ({report.downloads} downloads, {report.requests} requests in all).")
    _print_reasons(report.problems, "[yellow]fell back[/]", out)
    _print_reasons(report.failed, "[red]failed[/]", out)


def _print_reasons(reasons: list[tuple[str, str]], label: str, out) -> None:
    """One line per episode or feed; episodes left untranscribed for want of the audio extra in one line."""
    no_extra = 0
    for where, why in reasons:
        if AUDIO_EXTRA_MESSAGE in why:
            no_extra += 1
        else:
            out.print(f"  {label} {escape(where)}: {escape(why)}")
    if no_extra:
        out.print(f"  {label} {no_extra} episode{'s' if no_extra != 1 else ''} not transcribed: "
                  f"{escape(AUDIO_EXTRA_MESSAGE)}")


def feeds(
    index_dir: IndexOption = DEFAULT_INDEX,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the followed feeds, with their episode counts and last refresh.

    Examples:

      podquote feeds

      podquote feeds --json --index ~/pq-index
    """
    from rich.table import Table

    from ..feeds.registry import episode_count, load_feeds

    rows = [{"show": f.show, "url": f.url, "key": f.key, "lang": f.lang, "episodes": episode_count(index_dir, f),
             "transcribe": f.transcribe, "last_refresh": f.last_refresh, "last_error": f.last_error}
            for f in load_feeds(index_dir)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        console().print(f"No feed followed in {escape(str(index_dir))}; add one with `podquote follow URL`.")
        return
    table = Table("show", "lang", "episodes", "transcribe", "last refresh", "url")
    for row in rows:
        state = row["last_refresh"] or "never"
        if row["last_error"]:
            state += f" (failed since: {row['last_error']})"
        table.add_row(escape(row["show"] or ""), escape(row["lang"] or "(feed's)"), str(row["episodes"]),
                      "yes" if row["transcribe"] else "no", escape(state), escape(row["url"]))
    console().print(table)
