"""Speaker names as search keys: any part of a name, any case, and Han names by their pinyin too.

So `--speaker watts` finds "Jared Watts", and an English question about "Fu" finds the quotes of 傅.
"""

from __future__ import annotations

import re
from functools import lru_cache

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PARTS = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=4096)
def speaker_keys(name: str | None) -> tuple[str, ...]:
    """Lowercase keys of a name: its parts, the whole, and for Han names the pinyin syllables and their join."""
    if not name:
        return ()
    keys = [part.lower() for part in _PARTS.findall(name)]
    keys.append(" ".join(name.lower().split()))
    han = "".join(_HAN.findall(name))
    if han:
        from pypinyin import lazy_pinyin

        syllables = lazy_pinyin(han)
        keys += syllables + ["".join(syllables), " ".join(syllables)]
    return tuple(dict.fromkeys(k for k in keys if k))


def key_column(name: str | None) -> str | None:
    """The stored form: keys separated by '|', with '|' at both ends so one LIKE finds a whole key."""
    keys = speaker_keys(name)
    return "|" + "|".join(keys) + "|" if keys else None


def filter_key(typed: str) -> str:
    """What the speaker filter compares: a typed name (or a passage's speaker alias) folded like the keys."""
    return " ".join(typed.lower().split()).replace("|", " ")
