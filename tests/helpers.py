"""What several test modules share: the paths of the project and of its test data, and the usual small corpus.
Fixtures stay in conftest.py; tests import these names from here (`from helpers import ...`)."""

from __future__ import annotations

import shutil
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PROJECT = TESTS.parent
SHARED = PROJECT.parent / "shared"
SEED = SHARED / "seed" / "000_def44d76d116dcd7.txt"
BUILTIN = PROJECT / "search" / "data" / "kubecon-2018-open-source-benefits.zh.md"
CORPUS = SHARED / "corpus"


def write_example_sources(folder: Path) -> Path:
    """The seed article and a small English one with two quotes, into `folder` (the tests' usual corpus)."""
    shutil.copy(BUILTIN, folder / "kubecon.md")
    (folder / "storage.md").write_text(
        "# Storage talk\n\n"
        "Alice said, \"Ceph gives you block, file and object storage from one cluster of commodity disks.\"\n\n"
        "\"Backups are the part everyone forgets until the day they need them,\" said Bob.\n",
        encoding="utf-8",
    )
    return folder
