#!/usr/bin/env python3
"""Scale run (not CI): millions of synthetic passages served by the normal search path, on one machine.

Nothing is embedded: passage vectors are drawn from a clustered distribution and written in chunks straight into
a generation directory (vectors.npy, ids.npy, the FAISS index the size calls for, an empty sentence run per
passage, passages.sqlite with its FTS5 table, a manifest), published like any build, so `Collection.open` and
`Collection.search` serve it unchanged. Queries are held-out draws of the same distribution, each with a short
text; a stub embedder registered with `search.register_embedder` maps a query's text to its vector, so every
query goes through the whole normal path (embedding lookup, dense search, lexical FTS5 search, metadata, context,
rescoring).

What is measured, per size, each against a baseline from the same run:
- build: seconds per stage, and size on disk;
- serving (in a child process, so its peak RSS is its own): open time, warm query p50/p99 of
  `Collection.search` (k=10, default ranking: lexical on), of the vector store alone, and of an exact scan
  (brute force over the memory-mapped float32 vectors), peak RSS (VmHWM) and what is file-backed;
- recall@10 (and @50, what ranking asks for) of the vector store against exact search on held-out queries.

The synthetic world (see `World`): a few thousand topic centres on the 512-d sphere, each with sub-topics;
a passage vector is a normalised mix of a shared direction, its topic, its sub-topic and isotropic noise, with
weights chosen so that cosine statistics resemble use-m3's on the real corpus (printed by `--calibrate`): random
pairs ~0.13, a passage's nearest neighbour ~0.6, a query's 10th best ~0.4. Shows, episodes (60-300 passages),
speakers (hosts and guests, some with Han names), dates, timestamps and deep links are generated per episode;
texts are English-like (stop words, a Zipf vocabulary, topic words shared with the passage's topic) or Chinese
for a few shows, of the real corpus's lengths (median ~43 words).

    scripts/scale.py 1000000 --root /work/scale          # build (if missing) and measure 1M
    scripts/scale.py 1000000 10000000 --json-out bench-results/scale.json
    scripts/scale.py 1000000 --index-type ivf-sq8 --root /work/scale   # another index over the same data
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DIM = 512
EMBEDDER = "synthetic-512"
QUERIES_FILE = "scale-queries.npz"
INFO_FILE = "scale-build.json"
CHUNK = 100_000

# Mixing weights (squared: shares of the vector's energy). See the module docstring.
SHARED, TOPIC, SUBTOPIC, NOISE, QUERY_NOISE = 0.13, 0.22, 0.25, 0.40, 1.0
TOPICS, SUBTOPICS = 2000, 20

FIRST = ("Adam Alice Ana Ben Carla Chris Dana David Elena Emma Eric Fatima Grace Hannah Ivan James Jared Julia Kai "
         "Karen Leo Lin Luis Maria Mark Mei Nadia Nina Omar Paul Priya Rachel Raj Rosa Sam Sara Sofia Tom Uma "
         "Victor Wei Yuki Zoe").split()
LAST = ("Adams Baker Chen Cohen Costa Davis Diaz Evans Fischer Garcia Gupta Hall Hansen Ito Jones Kim Klein Kumar "
        "Lee Lopez Martin Meyer Miller Moore Nguyen Novak Ortiz Park Patel Rossi Sato Schmidt Silva Singh Smith "
        "Suzuki Tanaka Taylor Watts Weber Wilson Wong Young Zhang").split()
HAN_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高傅"
HAN_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华"


# ------------------------------------------------------------------------------------------------ the world
class World:
    """Everything shared by all passages of one seed: topic vectors, vocabulary, shows, people."""

    def __init__(self, seed: int):
        from search.lexical import EN_STOP

        rng = np.random.default_rng([seed, 0])
        self.seed = seed
        self.shared = _unit(rng.standard_normal(DIM))
        self.topics = _unit(rng.standard_normal((TOPICS, DIM))).astype(np.float32)
        self.subtopics = _unit(rng.standard_normal((TOPICS, SUBTOPICS, DIM))).astype(np.float32)
        weights = 1.0 / np.arange(10, TOPICS + 10) ** 0.7  # topics of uneven size, as in real shows
        self.topic_p = weights / weights.sum()
        syllables = [c + v for c in "bdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
        words: set[str] = set()
        while len(words) < 30_000:
            words.add("".join(rng.choice(syllables, rng.integers(2, 5))))
        self.vocabulary = np.array(sorted(words))
        rng.shuffle(self.vocabulary)
        # Content words after the stop words: the most common is in ~18% of passages, as "people" or "one" are
        # in the real corpus (a plain Zipf from rank 1 would put it in 85%, like a stop word).
        zipf = 1.0 / (np.arange(1, len(self.vocabulary) + 1) + 15) ** 1.07
        self.vocab_p = zipf / zipf.sum()
        self.vocab_cdf = np.cumsum(self.vocab_p)
        self.stop = np.array(sorted(EN_STOP))
        self.topic_words = rng.integers(200, 20_000, size=(TOPICS, 40))
        han = [chr(c) for c in range(0x4E00, 0x4E00 + 2500)]
        self.han_words = np.array(["".join(rng.choice(han, 2)) for _ in range(20_000)])
        self.han_topic_words = rng.integers(0, len(self.han_words), size=(TOPICS, 40))
        self.n_shows = 300
        self.shows = [f"The {self._title_word(rng)} {rng.choice(['Show', 'Podcast', 'Hour', 'Talk', 'Weekly'])}"
                      for _ in range(self.n_shows)]
        self.show_zh = rng.random(self.n_shows) < 0.06
        self.hosts = [[self._name(rng, zh) for _ in range(rng.integers(1, 4))] for zh in self.show_zh]

    def _title_word(self, rng) -> str:
        return str(self.vocabulary[rng.integers(0, 3000)]).capitalize()

    def _name(self, rng, zh: bool) -> str:
        if zh:
            return rng.choice(list(HAN_SURNAMES)) + "".join(rng.choice(list(HAN_GIVEN), rng.integers(1, 3)))
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"

    def vectors(self, rng, topics: np.ndarray, subtopics: np.ndarray, noise: float) -> np.ndarray:
        g = rng.standard_normal((len(topics), DIM), dtype=np.float32) / np.float32(np.sqrt(DIM))
        out = np.float32(np.sqrt(noise)) * g
        out += np.float32(np.sqrt(SHARED)) * self.shared.astype(np.float32)
        out += np.float32(np.sqrt(TOPIC)) * self.topics[topics]
        out += np.float32(np.sqrt(SUBTOPIC)) * self.subtopics[topics, subtopics]
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    def zipf_words(self, rng, n: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self.vocab_cdf, rng.random(n)), len(self.vocabulary) - 1)

    def text(self, rng, topic: int, n_words: int, zh: bool) -> str:
        if zh:
            own = self.han_words[self.han_topic_words[topic, rng.integers(0, 40, n_words)]]
            other = self.han_words[rng.integers(0, len(self.han_words), n_words)]
            picked = np.where(rng.random(n_words) < 0.2, own, other)
            return "，".join("".join(picked[i:i + 6]) for i in range(0, n_words, 6)) + "。"
        kind = rng.random(n_words)
        stop = self.stop[rng.integers(0, len(self.stop), n_words)]
        general = self.vocabulary[self.zipf_words(rng, n_words)]
        own = self.vocabulary[self.topic_words[topic, rng.integers(0, 40, n_words)]]
        words = np.where(kind < 0.42, stop, np.where(kind < 0.85, general, own))
        sentences, i = [], 0
        while i < n_words:
            j = i + int(rng.integers(6, 18))
            sentences.append(" ".join(words[i:j]).capitalize() + rng.choice([".", ".", ".", "?", "!"]))
            i = j
        return " ".join(sentences)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def plan_episodes(n: int, seed: int) -> np.ndarray:
    """Passages per episode (60-300, mean ~150), summing to n."""
    rng = np.random.default_rng([seed, 1])
    sizes = rng.integers(60, 241, size=n // 60 + 2)
    cut = int(np.searchsorted(np.cumsum(sizes), n))
    sizes = sizes[:cut + 1].copy()
    sizes[-1] -= int(sizes.sum()) - n
    return sizes[sizes > 0]


def episode(world: World, index: int, size: int):
    """The passages of one episode, with each one's topic and sub-topic (for its vector)."""
    from search.passage import Passage

    rng = np.random.default_rng([world.seed, 2, index])
    show = int(rng.integers(0, world.n_shows))
    zh = bool(world.show_zh[show])
    number = index + 1  # unique across shows, so every source id is
    slug = world.shows[show].lower().replace(" ", "-")
    source = f"synthetic/{slug}/{number:05d}.json"
    day = np.datetime64("2012-01-01") + int(rng.integers(0, 14 * 365))
    title = " ".join(world._title_word(rng) for _ in range(rng.integers(3, 8)))
    people = world.hosts[show] + [world._name(rng, zh) for _ in range(rng.integers(1, 3))]
    own_topics = rng.choice(TOPICS, 3, p=world.topic_p)
    topics = np.where(rng.random(size) < 0.8, own_topics[rng.integers(0, 3, size)],
                      rng.choice(TOPICS, size, p=world.topic_p))
    subtopics = rng.integers(0, SUBTOPICS, size)
    lengths = np.clip(rng.normal(42, 18, size), 3, 110).astype(int)
    passages, clock, chars = [], float(rng.integers(0, 30)), 0
    for position in range(size):
        roll = rng.random()
        kind = "narration" if position == 0 else ("chapter" if roll < 0.03 else "quote")
        n_words = int(rng.integers(3, 9)) if kind == "chapter" else int(lengths[position])
        text = world.text(rng, int(topics[position]), n_words, zh)
        seconds = n_words * 0.4 + float(rng.random()) * 3
        passages.append(Passage(
            source=source, position=position, text=text, kind=kind,
            speaker=None if kind != "quote" else people[int(rng.integers(0, len(people)))],
            title=title, episode=f"{slug}/{number}", show=world.shows[show], lang="zh" if zh else "en",
            start=round(clock, 1), end=round(clock + seconds, 1),
            url=f"https://podcasts.example/{slug}/{number}#t={int(clock)}", date=str(day),
            char_start=chars, char_end=chars + len(text),
        ))
        clock += seconds + float(rng.random())
        chars += len(text) + 1
    return passages, topics, subtopics


def make_queries(world: World, n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Held-out queries: fresh draws of the passage distribution (with more noise: a question is not its answer),
    each with a short text of its topic's words."""
    rng = np.random.default_rng([seed, 3])
    topics = rng.choice(TOPICS, n, p=world.topic_p)
    subtopics = rng.integers(0, SUBTOPICS, n)
    vectors = world.vectors(rng, topics, subtopics, QUERY_NOISE)
    texts, seen = [], set()
    for i, topic in enumerate(topics):
        zh = rng.random() < 0.06
        if zh:
            words = list(world.han_words[world.han_topic_words[topic, rng.integers(0, 40, 3)]])
        else:
            words = [str(w) for w in world.stop[rng.integers(0, len(world.stop), rng.integers(1, 3))]]
            words += [str(w) for w in world.vocabulary[world.topic_words[topic, rng.integers(0, 40, rng.integers(2, 4))]]]
            words += [str(world.vocabulary[world.zipf_words(rng, 1)[0]])]
        text = ("" if zh else " ").join(words) + ("？" if zh else "?")
        while text in seen:
            text = f"{text} {i}"
        seen.add(text)
        texts.append(text)
    return texts, vectors


# ------------------------------------------------------------------------------------------------ the stub embedder
class QueryTable:
    """The stub embedder: query text -> its held-out vector (any other text gets a fixed pseudo-random vector)."""

    name = EMBEDDER
    dimension = DIM

    def __init__(self, texts: list[str], vectors: np.ndarray):
        self.rows = {t: i for i, t in enumerate(texts)}
        self.vectors = np.asarray(vectors, dtype=np.float32)

    def embed_batch(self, texts, *, query: bool = False) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            row = self.rows.get(text)
            if row is None:
                out[i] = _unit(np.random.default_rng(abs(hash(text)) % 2**32).standard_normal(DIM))
            else:
                out[i] = self.vectors[row]
        return out


def register_stub(root: Path) -> QueryTable:
    from search import register_embedder

    data = np.load(root / QUERIES_FILE, allow_pickle=False)
    table = QueryTable([str(t) for t in data["texts"]], data["vectors"])
    register_embedder(EMBEDDER, lambda spec: table)
    return table


# ------------------------------------------------------------------------------------------------ building
def build(root: Path, n: int, seed: int, index_type: str | None, queries: int) -> dict:
    """Write a synthetic index of n passages into root (a fresh generation) and its held-out queries."""
    from search.generations import has_index, new_build_dir, publish
    from search.lexical import document_terms
    from search.manifest import Manifest
    from search.adjacency import Adjacency
    from search.metadata import DB_FILE, MetadataStore, SourceRecord
    from search.passage import content_hash, vector_id
    from search.vectors.faiss_store import IDS_FILE, VECTORS_FILE
    from search.vectors.sentences import SentenceVectors

    root.mkdir(parents=True, exist_ok=True)
    if has_index(root):
        shutil.rmtree(root)
        root.mkdir(parents=True)
    timings: dict[str, float] = {}
    world = World(seed)
    sizes = plan_episodes(n, seed)
    build_dir = new_build_dir(root)
    print(f"scale: building {n:,} passages in {len(sizes):,} episodes into {build_dir}", file=sys.stderr)

    # 1. metadata, lexical index and vectors, episode by episode, in the indexer's row order (source, position).
    started = time.perf_counter()
    store = MetadataStore(build_dir / DB_FILE)
    store.db.execute("PRAGMA cache_size = -1000000")  # 1 GB: the B-trees of 10M random vector ids
    store.db.execute("PRAGMA journal_mode = OFF")
    store.db.execute("PRAGMA synchronous = OFF")
    vectors = np.lib.format.open_memmap(build_dir / VECTORS_FILE, mode="w+", dtype=np.float32, shape=(n, DIM))
    ids = np.empty(n, dtype=np.int64)
    vector_rng = np.random.default_rng([seed, 4])
    sources = []
    cursor = 0
    pending_topics, pending_subtopics = [], []
    flushed = 0

    def flush_vectors(upto: int) -> None:
        nonlocal flushed, pending_topics, pending_subtopics
        if upto <= flushed:
            return
        t = np.concatenate(pending_topics)
        s = np.concatenate(pending_subtopics)
        vectors[flushed:upto] = world.vectors(vector_rng, t, s, NOISE)
        flushed = upto
        pending_topics, pending_subtopics = [], []

    def passages_and_terms():
        nonlocal cursor
        for index, size in enumerate(sizes):
            passages, topics, subtopics = episode(world, index, int(size))
            pending_topics.append(topics)
            pending_subtopics.append(subtopics)
            for p in passages:
                ids[cursor] = vector_id(p.id)
                cursor += 1
                yield p
            sources.append(SourceRecord(passages[0].source, "synthetic", f"/synthetic/{passages[0].source}",
                                        content_hash(passages[0].source), "synthetic", len(passages)))
            if cursor - flushed >= CHUNK:
                flush_vectors(cursor)
            if index % 2000 == 0:
                print(f"  passages {cursor:,}/{n:,} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    texts: list[str] = []
    languages: dict[str, int] = {}

    def passages_kept():
        for p in passages_and_terms():
            texts.append(p.text)
            languages[p.lang] = languages.get(p.lang, 0) + 1
            yield p

    def hashes():  # add_passages zips passages with hashes: each passage's text is in `texts` when its hash is due
        i = 0
        while True:
            yield content_hash(texts[i], EMBEDDER)
            i += 1

    store.add_passages(passages_kept(), hashes())
    flush_vectors(cursor)
    timings["passages_s"] = time.perf_counter() - started
    mark = time.perf_counter()
    store.add_terms(ids.tolist(), (document_terms(t) for t in texts))
    timings["fts_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    common_terms = store.write_lexicon()
    timings["lexicon_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    adjacency_files = Adjacency.from_store(store.db).save(build_dir)
    timings["adjacency_s"] = time.perf_counter() - mark
    del texts
    for record in sources:
        store.add_source(record)
    store.set_roots({"synthetic": "/synthetic"})
    store.commit()
    store.close()
    vectors.flush()
    np.save(build_dir / IDS_FILE, ids, allow_pickle=False)
    SentenceVectors(np.zeros((0, DIM), np.float16), np.zeros((0, 2), np.int32), np.zeros(n + 1, np.int64)).save(build_dir)
    timings["metadata_and_vectors_s"] = time.perf_counter() - started

    # 2. the vector index the size calls for (or the one asked for), on the memory-mapped vectors.
    names = _build_vector_index(build_dir, ids, index_type, timings)

    # 3. manifest (sha256 of every file) and publish (which checks them all again, and records the stamps).
    mark = time.perf_counter()
    from search.vectors.sentences import OFFSETS_FILE, SENTENCES_FILE, SPANS_FILE

    manifest = Manifest(embedder=EMBEDDER, dimension=DIM, vector_store=names["describe"],
                        counts={"passages": n, "sources": len(sources), "formats": {"synthetic": len(sources)},
                                "languages": languages, "common_terms": common_terms},
                        roots={"synthetic": "/synthetic"})
    manifest.record_files(build_dir, [DB_FILE, VECTORS_FILE, IDS_FILE, *names["extra"], SENTENCES_FILE, SPANS_FILE,
                                      OFFSETS_FILE, *adjacency_files])
    manifest.write(build_dir)
    timings["manifest_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    generation = publish(root, build_dir)
    timings["publish_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started

    texts_q, vectors_q = make_queries(world, queries, seed)
    np.savez(root / QUERIES_FILE, texts=np.array(texts_q), vectors=vectors_q)
    info = {"passages": n, "seed": seed, "episodes": int(len(sizes)), "generation": generation.name,
            "vector_store": names["describe"], "timings": {k: round(v, 1) for k, v in timings.items()},
            "bytes": {p.name: p.stat().st_size for p in generation.iterdir()}}
    (root / INFO_FILE).write_text(json.dumps(info, indent=1))
    return info


def _build_vector_index(build_dir: Path, ids: np.ndarray, index_type: str | None, timings: dict) -> dict:
    from search.vectors.faiss_store import VECTORS_FILE, FaissStore, choose_index_type

    vectors = np.load(build_dir / VECTORS_FILE, mmap_mode="r")
    kind = index_type or choose_index_type(len(ids))
    mark = time.perf_counter()
    store = FaissStore.build(ids, vectors, DIM, kind)
    timings["vector_index_s"] = time.perf_counter() - mark
    # FaissStore.save would rewrite vectors.npy from the memory map of itself: only the index files are new.
    extra = store.save_index(build_dir)
    described = store.describe()
    del store
    return {"describe": described, "extra": extra}


def rebuild_index(root: Path, index_type: str, source: Path | None = None) -> dict:
    """A new generation over the same data with another vector index (files hard-linked, never written). The data
    is root's own served generation, or the served generation of the index at `source` (left untouched)."""
    from search.generations import current_generation, new_build_dir, publish
    from search.manifest import Manifest
    from search.vectors.faiss_store import IDS_FILE, INDEX_FILES

    old = current_generation(source or root)
    manifest = Manifest.read(old)
    root.mkdir(parents=True, exist_ok=True)
    build_dir = new_build_dir(root)
    kept = [name for name in manifest.files if name not in INDEX_FILES]
    for name in kept:
        os.link(old / name, build_dir / name)
    timings: dict[str, float] = {}
    ids = np.load(build_dir / IDS_FILE)
    names = _build_vector_index(build_dir, ids, index_type, timings)
    files = kept + names["extra"]
    fresh = Manifest(embedder=manifest.embedder, dimension=manifest.dimension, vector_store=names["describe"],
                     counts=manifest.counts, roots=manifest.roots)
    fresh.record_files(build_dir, files)
    fresh.write(build_dir)
    generation = publish(root, build_dir)
    info = json.loads((root / INFO_FILE).read_text()) if (root / INFO_FILE).exists() else {"timings": {}}
    info["timings"]["vector_index_s"] = round(timings["vector_index_s"], 1)
    info["vector_store"] = names["describe"]
    info["generation"] = generation.name
    info["bytes"] = {p.name: p.stat().st_size for p in generation.iterdir()}
    (root / INFO_FILE).write_text(json.dumps(info, indent=1))
    return info


# ------------------------------------------------------------------------------------------------ measuring
def exact_top_k(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int, chunk: int = 262_144):
    """Brute force over the memory-mapped float32 vectors, in chunks: the ground truth and the baseline."""
    best_s = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_i = np.full((len(queries), k), -1, dtype=np.int64)
    for lo in range(0, len(vectors), chunk):
        block = np.asarray(vectors[lo:lo + chunk], dtype=np.float32)
        sims = queries @ block.T
        take = min(k, sims.shape[1])
        part = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        s = np.take_along_axis(sims, part, axis=1)
        merged_s = np.concatenate([best_s, s], axis=1)
        merged_i = np.concatenate([best_i, ids[lo + part]], axis=1)
        order = np.argsort(-merged_s, axis=1, kind="stable")[:, :k]
        best_s = np.take_along_axis(merged_s, order, axis=1)
        best_i = np.take_along_axis(merged_i, order, axis=1)
    return best_s, best_i


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the exact top-k that was found (k = the exact list's length, fewer if there are fewer vectors)."""
    hits = []
    for f, t in zip(found, truth):
        wanted = set(t[t >= 0].tolist())
        hits.append(len(set(f[f >= 0].tolist()) & wanted) / max(len(wanted), 1))
    return float(np.mean(hits))


def proc_status() -> dict:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


def serve_bench(root: Path, n_queries: int, recall_sample: int, exact_queries: int, sweep: list[int] = (),
                rows: str = "mmap", lexical: bool = True, warm_cache: bool = False) -> dict:
    """Run in a child process: open the index as `podquote serve` would, time queries, measure recall.

    `rows` says how the float32 rows a query reads (rescoring, lexical candidates, neighbours) are read: through
    numpy's memory map as Collection does ("mmap"), the same with MADV_RANDOM ("random"), or with pread
    (search.vectors.rows.RowFile, "pread"). `lexical` False turns the lexical (FTS5) stage off."""
    import mmap as mmap_module

    from search import Collection
    from search.vectors.faiss_store import VECTORS_FILE, FaissStore
    from search.vectors.rows import RowFile

    table = register_stub(root)
    texts = list(table.rows)
    started = time.perf_counter()
    collection = Collection.open(root, preload=True)  # as `podquote serve` opens it (less the full checksum)
    if rows == "pread":
        collection.passage_vectors = RowFile(collection.generation / VECTORS_FILE)
        collection.vectors.vectors = RowFile(collection.generation / VECTORS_FILE)
    elif rows == "random":
        for array in (collection.passage_vectors, collection.vectors.vectors):
            if getattr(array, "_mmap", None) is not None:
                array._mmap.madvise(mmap_module.MADV_RANDOM)
    if not lexical:
        collection.ranking = collection.ranking.with_(lexical_weight=0.0)
    open_s = time.perf_counter() - started
    after_open = proc_status()
    if warm_cache:
        forget_cached(collection.generation / VECTORS_FILE)  # an earlier run's exact scans' pages: see there
    warm_s = warm_page_cache(collection) if warm_cache else None
    store: FaissStore = collection.vectors
    n = len(collection)
    warm = texts[:20]
    for text in warm:
        collection.search(text, 10)
    timed = texts[20:20 + n_queries]
    search_ms, store_ms, lexical_ms = [], [], []
    for text in timed:
        t0 = time.perf_counter()
        collection.search(text, 10)
        search_ms.append((time.perf_counter() - t0) * 1000)
        parts = time_parts(collection, table.vectors[table.rows[text]][None, :], text)
        store_ms.append(parts[0])
        lexical_ms.append(parts[1])
    serving = proc_status()

    # exact scan of one query at a time: the baseline a flat index would pay at this size
    exact_ms = []
    for text in texts[20:20 + exact_queries]:
        q = table.vectors[table.rows[text]][None, :]
        t0 = time.perf_counter()
        exact_top_k(store.vectors, store.ids, q, 10)
        exact_ms.append((time.perf_counter() - t0) * 1000)

    # recall on held-out queries not used above
    sample = texts[-recall_sample:]
    qv = table.vectors[[table.rows[t] for t in sample]]
    t0 = time.perf_counter()
    _, truth50 = exact_top_k(store.vectors, store.ids, qv, 50)
    exact_batch_s = time.perf_counter() - t0
    found10 = np.stack([store.search(q[None, :], 10)[1][0] for q in qv])
    found50 = np.stack([store.search(q[None, :], 50)[1][0] for q in qv])
    sims = qv @ np.asarray(store.vectors[np.sort(np.random.default_rng(0).choice(n, min(n, 20000), replace=False))]).T
    top = np.sort(sims, axis=1)[:, ::-1]
    swept = []
    knob = {"ivf-sq8": "nprobe", "ivf-pqfs": "nprobe", "hnsw": "ef_search"}.get(store.type)
    for value in sweep if knob else ():
        store.params[knob] = value
        latency, got10, got50 = [], [], []
        for q in qv:
            t0 = time.perf_counter()
            got50.append(store.search(q[None, :], 50)[1][0])
            latency.append((time.perf_counter() - t0) * 1000)
            got10.append(store.search(q[None, :], 10)[1][0])
        swept.append({knob: value, "store_p50_ms": round(statistics.median(latency), 2),
                      "store_p99_ms": round(_percentile(latency, 99), 2),
                      "recall_at_10": round(recall(np.stack(got10), truth50[:, :10]), 4),
                      "recall_at_50": round(recall(np.stack(got50), truth50), 4)})
        print("  sweep " + json.dumps(swept[-1]), file=sys.stderr)
    return {
        "rows": rows,
        "lexical": lexical,
        "warm_page_cache_s": warm_s,
        "sweep": swept,
        "passages": n,
        "vector_store": collection.manifest.vector_store,
        "open_s": round(open_s, 3),
        "rss_after_open": after_open,
        "rss_serving": serving,
        "queries": len(timed),
        "search_p50_ms": round(statistics.median(search_ms), 2),
        "search_p99_ms": round(_percentile(search_ms, 99), 2),
        "store_p50_ms": round(statistics.median(store_ms), 2),
        "store_p99_ms": round(_percentile(store_ms, 99), 2),
        "lexical_p50_ms": round(statistics.median(lexical_ms), 2),
        "exact_scan_queries": len(exact_ms),
        "exact_scan_p50_ms": round(statistics.median(exact_ms), 1) if exact_ms else None,
        "exact_batch_s": round(exact_batch_s, 1),
        "recall_queries": len(sample),
        "recall_at_10": round(recall(found10, truth50[:, :10]), 4),
        "recall_at_50": round(recall(found50, truth50), 4),
        "cosine_query_top1_median_in_20k_sample": round(float(np.median(top[:, 0])), 3),
    }


def forget_cached(path: Path) -> None:
    """Drop a file's pages from the page cache. The float32 vectors are read only by this benchmark's exact
    scans, never by a server's queries (ivf-pqfs rescores from the 8-bit codes). At 10M they are 20 GB, and read
    twice by one run's scans they stay in the cache as often-used pages: the next run's warm-up then evicted its
    own working set instead, and its p50 was 23.0 ms against 16.0 (warm-up 138 s against 26)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def warm_page_cache(collection) -> float:
    """Read what queries read, so that they find it in the page cache, as a long-running server's do: the index
    files a query maps (all but the float32 vectors, which only exact scans read) and SQLite's passage rows and
    lexicon, not FTS5's own index (unread when the lexicon has every word). Returns the seconds taken."""
    from search.vectors.faiss_store import VECTORS_FILE

    started = time.perf_counter()
    for path in [*collection.generation.glob("*.npy"), *collection.generation.glob("*.faiss")]:
        if path.name != VECTORS_FILE:
            with open(path, "rb") as handle:
                while handle.read(1 << 24):
                    pass
    db = collection.metadata.db
    db.execute("SELECT sum(length(text)), sum(length(speaker_key)) FROM passages").fetchone()
    # hex(), not length(): SQLite reads a blob's length from its header, without its pages
    blobs = [row[1] for row in db.execute("PRAGMA table_info(lexicon)") if row[2].upper() == "BLOB"]
    if blobs:
        db.execute(f"SELECT {' + '.join(f'sum(length(hex({c})))' for c in blobs)} FROM lexicon").fetchone()
    return round(time.perf_counter() - started, 1)


def time_parts(collection, vector: np.ndarray, text: str) -> tuple[float, float]:
    """Milliseconds of the two retrievals a search starts from, for where its time goes: the vector store's top
    50 for `vector` (1 x d) and the lexical (FTS5) top 50 for `text`."""
    from search.lexical import fts_match, query_terms

    started = time.perf_counter()
    collection.vectors.search(vector, 50)
    store_ms = (time.perf_counter() - started) * 1000
    terms = query_terms(text)
    started = time.perf_counter()
    if terms:
        collection.metadata.lexical(fts_match(terms), 50)
    return store_ms, (time.perf_counter() - started) * 1000


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def calibrate(root: Path, sample: int = 2000) -> dict:
    """Cosine statistics of the synthetic vectors (compare with use-m3 on the real corpus)."""
    from search.generations import current_generation

    generation = current_generation(root)
    vectors = np.load(generation / "vectors.npy", mmap_mode="r")
    ids = np.load(generation / "ids.npy")
    data = np.load(root / QUERIES_FILE)
    rng = np.random.default_rng(1)
    a = np.asarray(vectors[np.sort(rng.choice(len(vectors), sample, replace=False))])
    b = np.asarray(vectors[np.sort(rng.choice(len(vectors), sample, replace=False))])
    pairs = (a * b).sum(1)
    s, _ = exact_top_k(vectors, ids, data["vectors"][:100], 100)
    p, _ = exact_top_k(vectors, ids, a[:100], 11)
    return {"random_pair_mean": round(float(pairs.mean()), 3), "random_pair_std": round(float(pairs.std()), 3),
            "query_top1": round(float(np.median(s[:, 0])), 3), "query_top10": round(float(np.median(s[:, 9])), 3),
            "query_top100": round(float(np.median(s[:, 99])), 3),
            "passage_nearest_neighbour": round(float(np.median(p[:, 1])), 3),
            "passage_11th": round(float(np.median(p[:, 10])), 3)}


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def tradeoff(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, *, hnsw_ef=(64, 128, 256),
             ivf_nprobe=(8, 16, 32, 64), types=("flat", "hnsw", "ivf-sq8", "ivf-pqfs"), log=None) -> list[dict]:
    """Flat against approximate indexes on the same vectors and held-out queries: build time, memory, single-query
    latency and recall@10/@50 against exact search, for a few search-time settings of each."""
    import tempfile

    from search.vectors.faiss_store import FaissStore

    _, truth = exact_top_k(vectors, ids, queries, 50)
    rows = []
    for kind in types:
        started = time.perf_counter()
        store = FaissStore.build(ids, vectors, vectors.shape[1], kind)
        build_s = time.perf_counter() - started
        if kind == "flat":
            index_bytes = int(len(ids)) * vectors.shape[1] * 4
        else:
            with tempfile.TemporaryDirectory() as folder:
                index_bytes = sum(os.path.getsize(Path(folder) / name) for name in store.save_index(Path(folder)))
        settings = {"flat": [None], "hnsw": [("ef_search", e) for e in hnsw_ef],
                    "ivf-sq8": [("nprobe", n) for n in ivf_nprobe],
                    "ivf-pqfs": [("nprobe", n) for n in ivf_nprobe]}[kind]
        for setting in settings:
            if setting:
                store.params[setting[0]] = setting[1]
            latency, found10, found50 = [], [], []
            for q in queries:
                t0 = time.perf_counter()
                _, got = store.search(q[None, :], 50)
                latency.append((time.perf_counter() - t0) * 1000)
                found50.append(got[0])
                found10.append(store.search(q[None, :], 10)[1][0])
            row = {"type": kind, "params": dict(store.params), "build_s": round(build_s, 1),
                   "memory_mb": round(index_bytes / 2**20, 1),
                   "p50_ms": round(statistics.median(latency), 3), "p99_ms": round(_percentile(latency, 99), 3),
                   "recall_at_10": round(recall(np.stack(found10), truth[:, :10]), 4),
                   "recall_at_50": round(recall(np.stack(found50), truth), 4)}
            if kind == "ivf-sq8":
                row["memory_mb_note"] = "codes in RAM; rescoring reads float32 rows from vectors.npy (mmap)"
            elif kind == "ivf-pqfs":
                row["memory_mb_note"] = "PQ lists and 8-bit codes of every vector, all in RAM"
            rows.append(row)
            if log:
                log(row)
        del store
    return rows


def print_tradeoff(rows: list[dict], n: int) -> None:
    flat = next((r for r in rows if r["type"] == "flat"), None)
    print(f"\nflat against approximate, {n:,} vectors, {len(rows) and 'single queries, k=50 (what ranking asks)'}")
    print(f"{'index':<30}{'build s':>9}{'memory MB':>11}{'p50 ms':>9}{'p99 ms':>9}{'vs flat':>9}{'recall@10':>11}"
          f"{'recall@50':>11}")
    for r in rows:
        setting = {k: v for k, v in r["params"].items() if k in ("ef_search", "nprobe", "M", "nlist")}
        name = r["type"] + (" " + ",".join(f"{k}={v}" for k, v in setting.items()) if setting else "")
        ratio = r["p50_ms"] / flat["p50_ms"] if flat else float("nan")
        print(f"{name:<30}{r['build_s']:>9}{r['memory_mb']:>11}{r['p50_ms']:>9}{r['p99_ms']:>9}{ratio:>9.3f}"
              f"{r['recall_at_10']:>11}{r['recall_at_50']:>11}")


# ------------------------------------------------------------------------------------------------ main
def parse_args() -> argparse.Namespace:
    from search.vectors.faiss_store import DEFAULT_PARAMS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="+", type=int, help="numbers of passages, e.g. 1000000 10000000")
    parser.add_argument("--root", type=Path, default=Path("/work/scale"), help="parent folder of the indexes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index-type", choices=tuple(DEFAULT_PARAMS), help="default: chosen by size")
    parser.add_argument("--rebuild", action="store_true", help="build again even if an index of this size exists")
    parser.add_argument("--queries", type=int, default=300, help="timed queries (>= 200)")
    parser.add_argument("--recall-sample", type=int, default=200)
    parser.add_argument("--exact-queries", type=int, default=5, help="single-query exact scans timed (baseline)")
    parser.add_argument("--calibrate", action="store_true", help="also print cosine statistics of the vectors")
    parser.add_argument("--tradeoff", action="store_true",
                        help="also build flat, HNSW, IVF-SQ8 and IVF-PQ over the same vectors and compare them")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--sweep", default="", help="search-time settings to try (nprobe for IVF-SQ8 and IVF-PQ, "
                        "ef_search for HNSW), comma-separated, e.g. 16,32,64")
    parser.add_argument("--rows", choices=("mmap", "random", "pread"), default="mmap",
                        help="how a query reads float32 rows (experiment; see serve_bench)")
    parser.add_argument("--no-lexical", action="store_true", help="serve with the lexical stage off (experiment)")
    parser.add_argument("--warm-cache", action="store_true",
                        help="read what queries read into the page cache before timing them (see warm_page_cache)")
    parser.add_argument("--serve-child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.serve_child:
        result = serve_bench(args.serve_child, args.queries, args.recall_sample, args.exact_queries,
                             [int(v) for v in args.sweep.split(",") if v.strip()], args.rows, not args.no_lexical,
                             args.warm_cache)
        print("RESULT " + json.dumps(result))
        return 0
    results = []
    for n in args.sizes:
        root = args.root / f"n{n}"
        info_path = root / INFO_FILE
        total_queries = 20 + args.queries + args.recall_sample
        if args.rebuild or not info_path.exists():
            info = build(root, n, args.seed, args.index_type, total_queries)
        else:
            info = json.loads(info_path.read_text())
            wanted = args.index_type
            if wanted and info["vector_store"]["type"] != wanted:
                info = rebuild_index(root, wanted)
        # baseline for the child's RSS: the same interpreter doing nothing but importing search
        baseline = _child_rss([sys.executable, "-c", "import numpy, faiss, search"])
        started = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, str(n), "--serve-child", str(root), "--queries",
                              str(args.queries), "--recall-sample", str(args.recall_sample), "--exact-queries",
                              str(args.exact_queries), "--sweep", args.sweep, "--rows", args.rows,
                              *(["--no-lexical"] if args.no_lexical else []),
                              *(["--warm-cache"] if args.warm_cache else [])], capture_output=True, text=True)
        if args.warm_cache:  # this run's exact scans' pages, unmapped now that the child has exited
            from search.generations import current_generation
            from search.vectors.faiss_store import VECTORS_FILE

            forget_cached(current_generation(root) / VECTORS_FILE)
        if out.returncode:
            sys.stderr.write(out.stderr)
            return out.returncode
        serve = json.loads(next(l for l in out.stdout.splitlines() if l.startswith("RESULT "))[7:])
        serve["child_wall_s"] = round(time.perf_counter() - started, 1)
        serve["baseline_rss"] = baseline
        if args.calibrate:
            serve["calibration"] = calibrate(root)
        serve["disk_bytes"] = du(root)
        results.append({"build": info, "serve": serve})
        print_table(info, serve)
        if args.tradeoff:
            from search.generations import current_generation

            generation = current_generation(root)
            vectors = np.load(generation / "vectors.npy", mmap_mode="r")
            ids = np.load(generation / "ids.npy")
            queries = np.load(root / QUERIES_FILE)["vectors"][-args.recall_sample:]
            rows = tradeoff(vectors, ids, queries, log=lambda r: print("  " + json.dumps(r), file=sys.stderr))
            print_tradeoff(rows, n)
            results[-1]["tradeoff"] = rows
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, indent=2))
    return 0


def _child_rss(cmd: list[str]) -> int:
    code = "import resource,subprocess,sys; subprocess.run(sys.argv[1:]); " \
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)"
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1])


def print_table(info: dict, serve: dict) -> None:
    gb = 1 << 30
    store = serve["vector_store"]
    params = ", ".join(f"{k}={v}" for k, v in store.get("params", {}).items())
    t = info["timings"]
    print(f"\nscale: {serve['passages']:,} synthetic passages, index {store['type']} ({params}); rows read by "
          f"{serve.get('rows', 'mmap')}, lexical {'on' if serve.get('lexical', True) else 'OFF'}"
          + (f", page cache warmed first ({serve['warm_page_cache_s']} s)" if serve.get("warm_page_cache_s") else ""))
    print(f"{'measure':<36}{'value':>14}{'baseline (same run)':>34}{'ratio':>9}")

    def row(name, value, base, base_label, ratio=None):
        ratio = ratio if ratio is not None else (value / base if base else float("nan"))
        print(f"{name:<36}{value:>14}{(str(base) + ' ' + base_label):>34}{ratio:>9.3g}")

    build_s = t["total_s"]
    row("build total s", build_s, t.get("vector_index_s"), "of it vector index", build_s / max(t.get("vector_index_s", 1), 1e-9))
    for key in ("passages_s", "fts_s", "lexicon_s", "adjacency_s", "vector_index_s", "manifest_s", "publish_s"):
        if key in t:
            print(f"  {key:<34}{t[key]:>14}")
    row("index size on disk GB", round(serve["disk_bytes"] / gb, 2), round(info["bytes"].get("vectors.npy", 0) / gb, 2),
        "vectors.npy")
    row("open s", serve["open_s"], None, "", float("nan"))
    row("query p50 ms (search, lexical on)", serve["search_p50_ms"], serve["store_p50_ms"], "vector store alone")
    row("query p99 ms", serve["search_p99_ms"], serve["store_p99_ms"], "vector store alone")
    if serve.get("exact_scan_p50_ms"):
        row("vector store p50 ms", serve["store_p50_ms"], serve["exact_scan_p50_ms"], "exact scan (flat)")
    row("lexical FTS5 p50 ms", serve["lexical_p50_ms"], serve["search_p50_ms"], "whole query")
    row("recall@10 vs exact", serve["recall_at_10"], 1.0, "exact")
    row("recall@50 vs exact", serve["recall_at_50"], 1.0, "exact")
    hwm = serve["rss_serving"]["VmHWM"]
    row("serving peak RSS GB", round(hwm / gb, 2), round(serve["baseline_rss"] / gb, 2), "python+numpy+faiss")
    print(f"  RSS now {serve['rss_serving']['VmRSS'] / gb:.2f} GB: anonymous {serve['rss_serving']['RssAnon'] / gb:.2f},"
          f" file-backed (mmap, reclaimable) {serve['rss_serving']['RssFile'] / gb:.2f}")
    for swept in serve.get("sweep", []):
        knob = "nprobe" if "nprobe" in swept else "ef_search"
        row(f"  {knob}={swept[knob]}: store p50 ms", swept["store_p50_ms"], serve["store_p50_ms"],
            "default setting")
        print(f"  {'':<34}recall@10 {swept['recall_at_10']}, recall@50 {swept['recall_at_50']}")
    if "calibration" in serve:
        print("  cosine statistics: " + json.dumps(serve["calibration"]))


if __name__ == "__main__":
    sys.exit(main())
