"""Human-readable output: index reports, hits and index info."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..timecode import format_timecode


def file_counts(report) -> str:
    """`N files (a read, b unchanged, c kept from other paths, d skipped)`: the parts, those that are not 0, add up
    to N, which is every file whose passages are in the index plus those skipped."""
    parts = [("read", report.files_parsed), ("unchanged", report.files_unchanged),
             ("kept from other paths", report.files_kept), ("skipped", len(report.failed))]
    total = sum(n for _, n in parts)
    shown = ", ".join(f"{n} {what}" for what, n in parts if n)
    return f"{_count(total, 'file')} ({shown})" if total else "0 files"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def print_index_report(report, out: Console) -> None:
    index = escape(str(report.index))
    if report.unchanged:
        out.print(f"Index {index} is up to date: {_count(report.passages, 'passage')} from {file_counts(report)}, "
                  f"nothing embedded ({report.seconds:.1f} s).")
        _print_files(report, out)
        return
    rate = report.passages / report.seconds if report.seconds > 0 else 0.0
    out.print(f"Indexed [bold]{_count(report.passages, 'passage')}[/] from {file_counts(report)} into {index} in "
              f"{report.seconds:.1f} s, {rate:.0f} passages/s ({report.embedder}).")
    if report.files_removed:
        out.print(f"  files: {report.files_removed} removed")
    out.print(
        f"  passages: {report.passages_embedded} embedded, {report.passages_reused} reused, "
        f"{report.passages_removed} removed"
    )
    if report.formats:
        out.print("  formats: " + ", ".join(f"{name} {n}" for name, n in sorted(report.formats.items())))
    sync = getattr(report, "vector_sync", None)
    if sync is not None:
        out.print(f"  vectors: {sync.backend} {sync.mode}, {sync.upserted} written, {sync.deleted} deleted, "
                  f"{sync.count} in the collection" + (f" ({escape('; '.join(sync.reasons))})" if sync.reasons else ""))
    _print_files(report, out)


def _print_files(report, out: Console) -> None:
    """Audio transcribed, each file's warnings and each skipped file, the path once and then what happened; audio
    skipped for want of the audio extra in one line, whatever their number."""
    transcribed, cached = report.audio_transcribed, report.audio_from_cache
    if transcribed or cached:
        out.print(f"  audio: {_count(transcribed, 'file')} transcribed, {cached} from the transcript cache")
    for path, warning in report.warnings:
        out.print(f"  [yellow]warning[/] {escape(path)}: {escape(warning)}")
    each, folded = report.skipped()
    for path, reason in each:
        out.print(f"  [yellow]skipped[/] {escape(path)}: {escape(reason)}")
    if folded:
        out.print(f"  [yellow]{_count(folded[0], 'audio file')} skipped[/]: {escape(folded[1])}")


def print_hits(query: str, hits, out: Console, grouped: bool = False) -> None:
    if not hits:
        out.print(f"No passages match {escape(query)!s}.")
        return
    if grouped:
        from ..hits import group_by_episode

        order = {h.passage.id: h for h in hits}
        rank = 1
        for group in group_by_episode(hits):
            out.print(f"[bold magenta]{escape(group['title'] or group['episode'])}[/]")
            for data in group["hits"]:
                _print_hit(rank, order[data["id"]], out, show_title=False)
                rank += 1
        return
    for rank, hit in enumerate(hits, 1):
        _print_hit(rank, hit, out)


def _print_hit(rank: int, hit, out: Console, show_title: bool = True) -> None:
    p = hit.passage
    lo, hi = hit.highlight
    text = escape(p.text[:lo]) + "[bold]" + escape(p.text[lo:hi]) + "[/bold]" + escape(p.text[hi:])
    who = escape(p.speaker) if p.speaker else f"({p.kind})"
    when = f" · {format_timecode(hit.moment)}" if hit.moment is not None else ""  # when the best sentence is said
    title = f" · {escape(p.title or p.source)}" if show_title else ""
    out.print(f"[cyan]{rank}.[/] [bold green]{who}[/]{title}{when} · {hit.score:.3f}")
    before, after = hit.context or ([], [])
    for neighbour in before:
        out.print(f"   [dim]{_said(neighbour)}[/]")
    out.print(f"   {text}")
    for neighbour in after:
        out.print(f"   [dim]{_said(neighbour)}[/]")
    if hit.collapsed:
        out.print(f"   [dim](+{len(hit.collapsed)} more from the same moment)[/]")
    if hit.moment_url:
        out.print(f"   [blue]{escape(hit.moment_url)}[/]")
    out.print()


def _said(passage) -> str:
    return escape(f"{passage.speaker}: {passage.text}" if passage.speaker else passage.text)


def print_info(info: dict, out: Console) -> None:
    table = Table(show_header=False, box=None)
    for key in ("index", "generation", "embedder", "dimension", "passages", "sources", "built_at", "podquote_version"):
        table.add_row(key, escape(str(info[key])))
    table.add_row("formats", escape(", ".join(f"{k} {v}" for k, v in sorted(info["formats"].items()))))
    table.add_row("languages", escape(", ".join(f"{k} {v}" for k, v in sorted(info["languages"].items()))))
    table.add_row("roots", escape(", ".join(f"{k}={v}" for k, v in sorted(info["roots"].items()))))
    out.print(table)


_METRICS = ("n", "recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")


def print_eval(report: dict, out: Console) -> None:
    table = Table(title="Retrieval quality")
    table.add_column("set")
    for name in _METRICS:
        table.add_column(name, justify="right")
    table.add_row("all", *(str(report[m]) for m in _METRICS))
    for key, groups in report.get("groups", {}).items():
        for value, numbers in groups.items():
            table.add_row(f"{key}={value}", *(str(numbers[m]) for m in _METRICS))
    out.print(table)
    misses = [q for q in report["per_query"] if q["rank"] is None]
    for miss in misses:
        out.print(f"[yellow]missed[/] {escape(miss['query'])}")
