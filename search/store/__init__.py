"""The on-disk index format: generations swapped atomically, their manifest, checks, loading and the writer.

    hints        the commands an error message names as the fix
    faults       named crash points for the crash tests
    manifest     manifest.json: what a generation holds, with checksums
    checks       a generation checked against its manifest (stamps make repeated checks cheap)
    generations  the directory layout, the build lock, publishing and clean-up
    loading      a verified generation loaded into the components that search it
    writer       GenerationWriter: a new generation written and published
"""

from .checks import STAMP_FILE, verify_generation
from .generations import (BUILDING_PREFIX, CURRENT, GENERATION_PREFIX, LOCK_FILE, build_lock, clean_if_idle,
                          clean_stale_builds, current_generation, has_index, new_build_dir, publish)
from .hints import build_hint, rebuild_hint
from .loading import INDEX_FILES, checked_second, load_checked
from .manifest import FORMAT_VERSION, MANIFEST_FILE, Manifest
from .writer import GenerationWriter

__all__ = [
    "BUILDING_PREFIX", "CURRENT", "FORMAT_VERSION", "GENERATION_PREFIX", "GenerationWriter", "INDEX_FILES",
    "LOCK_FILE", "MANIFEST_FILE", "Manifest", "STAMP_FILE", "build_hint", "build_lock", "checked_second",
    "clean_if_idle", "clean_stale_builds", "current_generation", "has_index", "load_checked", "new_build_dir",
    "publish", "rebuild_hint", "verify_generation",
]
