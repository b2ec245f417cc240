"""Settings from the environment (PODQUOTE_*), shared by the CLI, the API and the scripts."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PODQUOTE_", extra="ignore")

    index: Path = Field(Path("index"), description="index directory (PODQUOTE_INDEX)")
    embedder: str | None = Field(None, description="embedder name; default: the one the index was built with")
    vector_store: str | None = Field(
        None, description="where passage vectors go: faiss, milvus://host:port or a milvus-lite .db path; "
                          "default: what the index already uses (FAISS for a new index)")
    vector_collection: str | None = Field(None, description="Milvus collection name (default: from the index path)")
    fetch_timeout: float = Field(
        20, gt=0, description="seconds `podquote refresh` and `follow` wait on a feed's server before a download "
                              "counts as timed out (PODQUOTE_FETCH_TIMEOUT); a whole download may take 3 times that")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)


def get_settings() -> Settings:
    return Settings()
