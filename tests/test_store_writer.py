"""GenerationWriter: the files named to it become the served generation, with their checksums; a failure leaves
the served index as it was and no build directory behind."""

from __future__ import annotations

import pytest

from podquote.store import BUILDING_PREFIX, GenerationWriter, Manifest, current_generation, verify_generation


def _manifest() -> Manifest:
    return Manifest(embedder="fake", dimension=4, vector_store={"backend": "faiss", "type": "flat"},
                    counts={"passages": 0})


def test_published_files_are_listed_checked_and_served(tmp_path):
    with GenerationWriter(tmp_path) as writer:
        (writer.dir / "a.bin").write_bytes(b"alpha")
        (writer.dir / "b.bin").write_bytes(b"beta")
        writer.add("a.bin", "b.bin")
        generation = writer.publish(_manifest())
    assert current_generation(tmp_path) == generation
    manifest = Manifest.read(generation)
    assert list(manifest.files) == ["a.bin", "b.bin"] and manifest.files["b.bin"]["bytes"] == 4
    assert verify_generation(generation, manifest, full=True) == 2
    assert not any(p.name.startswith(BUILDING_PREFIX) for p in tmp_path.iterdir())


def test_a_failure_inside_the_block_removes_the_build_and_keeps_the_served_one(tmp_path):
    with GenerationWriter(tmp_path) as first:
        (first.dir / "a.bin").write_bytes(b"alpha")
        first.add("a.bin")
        served = first.publish(_manifest())
    with pytest.raises(RuntimeError, match="disk on fire"):
        with GenerationWriter(tmp_path) as writer:
            (writer.dir / "a.bin").write_bytes(b"other")
            writer.add("a.bin")
            raise RuntimeError("disk on fire")
    assert current_generation(tmp_path) == served
    assert not any(p.name.startswith(BUILDING_PREFIX) for p in tmp_path.iterdir())

