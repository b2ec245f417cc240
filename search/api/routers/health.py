from __future__ import annotations

from fastapi import APIRouter

from ..deps import CollectionDep
from ..schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
def healthz(collection: CollectionDep) -> HealthOut:
    """The served index generation and its size."""
    health = collection.health()
    return HealthOut(status="ok", passages=health["passages"], embedder=health["embedder"],
                     generation=health["generation"])
