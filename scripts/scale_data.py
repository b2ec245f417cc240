"""The synthetic world of the scale run (scripts/scale.py): passages, their vectors and held-out queries.

A few thousand topic centres on the 512-d sphere, each with sub-topics; a passage vector is a normalised mix of a
shared direction, its topic, its sub-topic and isotropic noise, with weights chosen so that cosine statistics
resemble use-m3's on the real corpus (printed by `scale.py --calibrate`): random pairs ~0.13, a passage's nearest
neighbour ~0.6, a query's 10th best ~0.4. Shows, episodes (60-300 passages), speakers (hosts and guests, some
with Han names), dates, timestamps and deep links are generated per episode; texts are English-like (stop words,
a Zipf vocabulary, topic words shared with the passage's topic) or Chinese for a few shows, of the real corpus's
lengths (median ~43 words). Queries are embedded by a stub (QueryTable) that looks their vectors up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DIM = 512
EMBEDDER = "synthetic-512"
QUERIES_FILE = "scale-queries.npz"
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
        from podquote.lexical import EN_STOP

        rng = np.random.default_rng([seed, 0])
        self.seed = seed
        self.shared = unit(rng.standard_normal(DIM))
        self.topics = unit(rng.standard_normal((TOPICS, DIM))).astype(np.float32)
        self.subtopics = unit(rng.standard_normal((TOPICS, SUBTOPICS, DIM))).astype(np.float32)
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
        self.shows = [f"The {self.title_word(rng)} {rng.choice(['Show', 'Podcast', 'Hour', 'Talk', 'Weekly'])}"
                      for _ in range(self.n_shows)]
        self.show_zh = rng.random(self.n_shows) < 0.06
        self.hosts = [[self.person(rng, zh) for _ in range(rng.integers(1, 4))] for zh in self.show_zh]

    def title_word(self, rng) -> str:
        return str(self.vocabulary[rng.integers(0, 3000)]).capitalize()

    def person(self, rng, zh: bool) -> str:
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


def unit(x: np.ndarray) -> np.ndarray:
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
    from podquote.passage import Passage

    rng = np.random.default_rng([world.seed, 2, index])
    show = int(rng.integers(0, world.n_shows))
    zh = bool(world.show_zh[show])
    number = index + 1  # unique across shows, so every source id is
    slug = world.shows[show].lower().replace(" ", "-")
    source = f"synthetic/{slug}/{number:05d}.json"
    day = np.datetime64("2012-01-01") + int(rng.integers(0, 14 * 365))
    title = " ".join(world.title_word(rng) for _ in range(rng.integers(3, 8)))
    people = world.hosts[show] + [world.person(rng, zh) for _ in range(rng.integers(1, 3))]
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
                out[i] = unit(np.random.default_rng(abs(hash(text)) % 2**32).standard_normal(DIM))
            else:
                out[i] = self.vectors[row]
        return out


def register_stub(root: Path) -> QueryTable:
    from podquote import register_embedder

    data = np.load(root / QUERIES_FILE, allow_pickle=False)
    table = QueryTable([str(t) for t in data["texts"]], data["vectors"])
    register_embedder(EMBEDDER, lambda spec: table)
    return table

