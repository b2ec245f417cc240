"""The learned ranking: a logistic regression over podquote.features, saved as a small versioned JSON file.

`scripts/train_ranker.py` fits it on the judged dev split (eval/) and writes `search/rankers/ranker.json`, which
ships with the package and which every index records in its manifest (name and sha256) when it is built. A file
of another format or version, or one naming features this code does not compute, is refused with a message that
says which and how to rebuild it: a ranking silently scoring the wrong columns would look fine and rank badly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import PodquoteError
from .features import FEATURES

FORMAT = "podquote-ranker"
VERSION = 1
RANKER_FILE = Path(__file__).parent / "rankers" / "ranker.json"


class RankerError(PodquoteError):
    """A ranker file that cannot be used."""


@dataclass
class Ranker:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float = 0.0
    about: dict = field(default_factory=dict)  # how it was trained: data, metrics, the command

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """A score per row of `matrix` (columns in podquote.features.FEATURES order); higher is better."""
        return ((matrix - self.mean) / self.scale) @ self.weights + self.bias

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "features": list(self.features),
                "mean": _floats(self.mean), "scale": _floats(self.scale), "weights": _floats(self.weights),
                "bias": round(float(self.bias), 6), "about": self.about}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, data: dict, where: str, expected: tuple[str, ...] = FEATURES) -> "Ranker":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RankerError(f"{where} is not a podquote ranker file")
        if data.get("version") != VERSION:
            raise RankerError(f"{where} is ranker format version {data.get('version')!r}; this podquote reads "
                              f"version {VERSION}. Retrain it with scripts/train_ranker.py")
        features = tuple(data.get("features", ()))
        if features != expected:
            missing = sorted(set(expected) - set(features)) or sorted(set(features) - set(expected))
            raise RankerError(f"{where} was trained on other features than this podquote computes "
                              f"(differ: {', '.join(missing) or 'their order'}). Retrain it with "
                              "scripts/train_ranker.py")
        try:
            arrays = [np.asarray(data[key], dtype=np.float32) for key in ("mean", "scale", "weights")]
            bias = float(data.get("bias", 0.0))
        except (KeyError, TypeError, ValueError) as exc:
            raise RankerError(f"{where} is damaged ({exc})") from None
        if any(a.shape != (len(expected),) for a in arrays) or not np.all(arrays[1] > 0):
            raise RankerError(f"{where} is damaged (its arrays do not fit {len(expected)} features)")
        return cls(features, *arrays, bias=bias, about=data.get("about", {}))


def _floats(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]


def ranker_file(second: str | None = None) -> Path:
    """The shipped ranker for an index: ranker.json, or ranker-<second embedder>.json with a second one."""
    return RANKER_FILE if not second else RANKER_FILE.with_name(f"ranker-{second}.json")


def shipped_ranker(second: str | None = None) -> dict:
    """What an index's manifest records of the ranker shipped with this podquote: file, version, sha256."""
    path = ranker_file(second)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return {}
    return {"file": path.name, "version": VERSION, "sha256": digest}


@lru_cache(maxsize=4)
def load_ranker(path: Path = RANKER_FILE, expected: tuple[str, ...] = FEATURES) -> Ranker:
    """The ranker in `path` (default: the one shipped with podquote), read once per process; it must score
    the `expected` features (podquote.features.feature_names)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RankerError(f"no ranker file at {path}; reinstall podquote, or train one with "
                          "scripts/train_ranker.py") from None
    except (OSError, ValueError) as exc:
        raise RankerError(f"{path} cannot be read as a ranker file ({exc})") from None
    return Ranker.from_json(data, str(path), expected)
