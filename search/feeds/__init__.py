"""Podcast feeds: parse RSS with the Podcasting 2.0 namespace, and download feeds and transcripts safely.

parse.py and fetch.py know nothing of the index; the follow / refresh side of the package builds on them.
"""

from .model import Feed, Item, Person, Soundbite, Transcript

__all__ = [
    # model.py
    "Feed", "Item", "Person", "Soundbite", "Transcript",
    # parse.py
    "PODCAST_NAMESPACES", "TRANSCRIPT_EXTENSIONS", "normalise_type", "parse_feed", "transcript_order",
    # fetch.py
    "Fetched", "Fetcher", "describe_size", "scheme_problem", "user_agent",
]


def __getattr__(name: str):
    """parse.py's and fetch.py's names, imported on first use, in that order (a parse never loads httpx).

    The index's code imports this package for its sidecars, and a cold `podquote search` must not pay for lxml
    nor load httpx at all.
    """
    if name in __all__:
        from importlib import import_module

        for module in ("parse", "fetch"):
            loaded = import_module(f".{module}", __name__)
            if hasattr(loaded, name):
                return getattr(loaded, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
