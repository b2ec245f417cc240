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
    audio_max_bytes: int = Field(
        500 << 20, gt=0, description="largest episode audio `podquote refresh` downloads to transcribe for a feed "
                                     "followed with --transcribe (PODQUOTE_AUDIO_MAX_BYTES); default 500 MB")
    asr_model: str | None = Field(
        None, description="speech model for audio (PODQUOTE_ASR_MODEL): a faster-whisper model directory or name; "
                          "default: the packaged Whisper base of the audio extra")
    asr_compute_type: str = Field(
        "int8", description="CTranslate2 compute type for speech recognition (PODQUOTE_ASR_COMPUTE_TYPE): int8, "
                            "default, float32, ...")
    # Not `model_cache`: PODQUOTE_MODEL_CACHE=0 already switches the embedder's cache off (embedders.use_cache).
    asr_model_cache: Path | None = Field(
        None, description="where the packaged speech model is joined once (PODQUOTE_ASR_MODEL_CACHE); default: "
                          "models/ in PODQUOTE_CACHE_DIR or ~/.cache/podquote")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)


def get_settings() -> Settings:
    return Settings()
