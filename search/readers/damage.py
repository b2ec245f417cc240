"""Damaged caption files (WebVTT, SRT): where the damage starts, so the cues before it can still be read.

A caption file cut off mid-cue, or with garbage or a broken cue after good ones, is mostly good: rejecting it
loses every quote in it. When the parser refuses a file (or silently drops a cue), the reader looks for the first
damaged block of lines, keeps the text before that block, parses it again with the same library and reports the
line where reading stopped. Reading stops there rather than skipping the block: after damage, what looks like a
cue may be garbage, and a prefix that parses cleanly is the only part known to be what the file meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from ..errors import UnreadableSource

_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)*")


@dataclass(frozen=True)
class Block:
    offset: int  # where its first line starts in the text
    line: int  # its first line's number, from 1
    lines: list[str]

    def line_of(self, index: int) -> int:
        return self.line + index


@dataclass(frozen=True)
class Damage:
    offset: int  # where the text is cut: the start of the damaged block
    line: int  # the line to name in the message
    reason: str  # what is wrong there, e.g. "invalid cue timing '00:00:3'"


def blocks(text: str) -> Iterator[Block]:
    """The blocks of lines between blank lines, as captions are written."""
    start, line = 0, 1
    for gap in _BLANK_LINES.finditer(text + "\n\n"):
        if gap.start() > start:
            yield Block(start, line, text[start:gap.start()].split("\n"))
        line += text.count("\n", start, gap.end())
        start = gap.end()


def last_block(text: str) -> Block:
    """The last block of lines, found from the end: a file cut off mid-cue ends in a broken block, and this check
    runs on every file, so it does not split the whole text."""
    body, start, end = text.rstrip(), 0, None
    # Line by line from the end, to the first blank one: blank as `blocks` reads it (spaces and tabs only).
    while (newline := body.rfind("\n", 0, end)) >= 0:
        if not body[body.rfind("\n", 0, newline) + 1:newline].strip(" \t"):
            start = newline + 1
            break
        end = newline
    return Block(start, text.count("\n", 0, start) + 1, body[start:].split("\n"))


def check_last_block(text: str, name: str, check: Callable[[Block, bool], tuple[int, str] | None]) -> None:
    """UnreadableSource when the file's last block is broken, which its parser may take for a comment or more
    text of the cue before (webvtt-py drops a cut-off `00:00:1`, the srt library appends it to the last cue)."""
    block = last_block(text)
    problem = check(block, True) if block.offset else None  # a first block is a header, or all the file
    if problem:
        raise UnreadableSource(f"{name}: {problem[1]} at line {block.line_of(problem[0])}")


def first_damage(text: str, check: Callable[[Block, bool], tuple[int, str] | None], skip: int = 0) -> Damage | None:
    """The first block that `check(block, is_last)` finds broken (it returns the line index in the block and the
    reason), after the first `skip` blocks (a header)."""
    found = list(blocks(text))
    for n, block in enumerate(found[skip:], skip):
        problem = check(block, n == len(found) - 1)
        if problem:
            index, reason = problem
            return Damage(block.offset, block.line_of(index), reason)
    return None


def quoted(line: str, limit: int = 60) -> str:
    return repr(line.strip()[:limit])


def read_recovering(text: str, name: str, parse: Callable[[str, str], list],
                    check: Callable[[Block, bool], tuple[int, str] | None], what: str, skip: int = 0
                    ) -> tuple[list, list[str]]:
    """`parse(text, name)` and no warning; when it raises UnreadableSource, what it reads of the text before the
    first block `check` finds damaged (after `skip` header blocks), and the warning that says where it stopped."""
    try:
        return parse(text, name), []
    except UnreadableSource as exc:
        damage = first_damage(text, check, skip)
        items, warning = read_before_damage(text, name, exc, damage, lambda t: parse(t, name), what)
        return items, [warning]


def read_before_damage(text: str, name: str, error: UnreadableSource, damage: Damage | None,
                       parse: Callable[[str], list], what: str) -> tuple[list, str]:
    """`parse` (which raises UnreadableSource) on the text before `damage`, and the warning to show. Without damage
    found, or with nothing good before it, the file stays unreadable: `error`, with the line when there is one."""
    if damage is None:
        raise error
    try:
        items = parse(text[:damage.offset]) if text[:damage.offset].strip() else []
    except UnreadableSource:
        items = []
    if not items:
        raise UnreadableSource(f"{name}: {damage.reason} at line {damage.line}, and no valid {what} before it")
    kept = f"the {what} before it is read" if len(items) == 1 else f"the {len(items)} {what}s before it are read"
    return items, f"reading stopped at line {damage.line} ({damage.reason}); {kept}"
