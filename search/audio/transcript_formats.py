"""A Transcript as files: WebVTT (one cue per sentence) and the Podcasting 2.0 JSON transcript. Neither names a
speaker: speech recognition does not know who spoke."""

from __future__ import annotations

import json

from .transcript import Transcript


def to_webvtt(transcript: Transcript) -> str:
    cues = [
        f"{index}\n{vtt_time(segment.start)} --> {vtt_time(segment.end)}\n{_escape(segment.text)}\n"
        for index, segment in enumerate(transcript.segments, 1)
    ]
    return "WEBVTT\n\n" + "\n".join(cues)


def to_podcast_json(transcript: Transcript) -> str:
    """podcast-namespace transcripts.md: {"version": "1.0.0", "segments": [{"startTime", "endTime", "body"}]}."""
    segments = [{"startTime": segment.start, "endTime": segment.end, "body": segment.text}
                for segment in transcript.segments]
    return json.dumps({"version": "1.0.0", "segments": segments}, ensure_ascii=False, indent=1) + "\n"


def vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _escape(text: str) -> str:
    # WebVTT cue text is markup: a bare "<" or "&" would start a tag or an entity; "-->" would end the timing.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
