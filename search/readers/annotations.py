"""Transcriber's notes in brackets: which are sounds to drop and which are words to keep.

Transcripts mark non-speech in brackets: `[laughs]`, `[cross-talk 00:12:34.56]`, `[inaudible 0:15:58.5]`.
Those are not what anyone said, and the times inside them are where the transcriber lost the audio, not
where a passage starts, so they are removed. Brackets that clarify speech (`[they]`, `[meaning]`, `[at]` in an
e-mail address, `[Cloud Native Computing Foundation]`) are part of the quote and are kept.
"""

from __future__ import annotations

import re

# Sounds, music and transcription trouble, as transcribers write them.
_NONVERBAL = re.compile(
    r"\b(?:laugh\w*|laugher|chuckl\w*|applau\w*|cheer\w*|clap\w*|cross-?talk|crosstalk|unintelligible|inaud\w*|"
    r"inaduible|sigh\w*|exhales?|pause|silence|singing|song|music|playing|whisper\w*|crickets|noises?|"
    r"sound(?:s| effect)?|(?:win|fail|cell phone) alert|ring(?:s|ing)|barking|howl|drum ?roll|bleep|redacted|"
    r"moments later|minutes later|voice|accent|tapping|extract|tune|coughs?|beeps?)\b",
    re.I,
)
# A clock time anywhere inside the bracket: `[inaudible 0:15:58.5]`.
_TIME_INSIDE = re.compile(r"\d{1,3}:\s?\d{1,2}")
# Brackets holding nothing but digits and separators are broken timestamps (`[00: .25]`): not words either.
_DIGITS_ONLY = re.compile(r"^[\d:.\s]*$")


def is_nonverbal(body: str) -> bool:
    """Whether the inside of a bracket is a transcriber's note rather than words someone said."""
    body = body.strip()
    return bool(_DIGITS_ONLY.match(body) or _TIME_INSIDE.search(body) or _NONVERBAL.search(body))


def replace_note(body: str) -> str:
    """The text a bracketed note leaves in the transcript: nothing for a sound, `[words]` for a clarification."""
    return "" if is_nonverbal(body) else f"[{body.strip()}]"
