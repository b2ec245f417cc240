"""Lexical matching for Chinese and English: words for the SQLite FTS5 index and for queries.

Chinese has no spaces, so it is cut into words by jieba (the Rust port, rjieba: same dictionary, loads in a
tenth of the time, which matters for a cold CLI). English words are left to FTS5's porter stemmer, so "deploying"
matches "deploy". Stop words are dropped from queries: they carry no evidence and their posting lists are the
longest, so they would cost most of the query time. The English list adds what people say in conversation
and carries no topic ("actually", "something", "probably"), and the pieces FTS5's tokenizer leaves of
contractions ("we're" -> "re", "don't" -> "don").
"""

from __future__ import annotations

import re

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff]+", re.UNICODE)
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

EN_STOP = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers
him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our
out over own said same say says she should so some such than that the their them then there these they this
those through to too under until up very was we were what when where which while who whom why will with would
you your yeah like know think really um uh oh okay right well get got go going gonna kind lot thing things
tell talk talking mean
re ve ll don didn doesn isn wasn aren weren couldn shouldn wouldn won haven hasn hadn ain
actually basically literally sort maybe probably definitely certainly sure totally pretty stuff something anything
everything nothing someone anyone everyone also even still much many lots yes yep ok hmm
""".split())
ZH_STOP = frozenset("""
的 了 是 在 和 与 也 就 都 还 又 但 而 所 因 如 我 你 他 她 它 我们 你们 他们 这 那 这个 那个 什么 怎么 为什么 如何 吗
呢 吧 啊 有 没有 一个 一些 对 说 讲 谈 聊 会 能 可以 要 把 被 让 给 从 到 为 以 及 或 之 其 等 关于 怎样 哪些 哪个 是否
做 来 去 里 上 下 中 用 看 想 一 个 些 时候 如果 还会 这么 那么 这样 那样 不是 先 大家 出来 为了 最 更 很 非常 太 后来
开始 一开始 什么样 一下 自己 现在 当初 原本 打算 靠 能够 应该 需要 觉得 认为 可能 已经 还是 或者 以及 然后 因为 所以
但是 而且 虽然 只是 就是 还有 没 不 别 得 地 着 过 嘛 呀 哦 哪 谁 几 多少 多 少 之后 之前 以后 以前 时 后 前 每次 每
各 该 不该 这些 那些 其实 比较 真的 怎么样 到底 究竟 为何 为啥 啥 咋 哪里 哪儿 这里 那里 一直 总是 通常 经常 有些 有的
有点 一点 有什么 是什么 当时 曾经 一样 这种 那种 哪种 时间 东西 方面 问题 情况
""".split())


def _cut_han(run: str) -> list[str]:
    import rjieba

    return [w for w in rjieba.cut(run) if w.strip()]


def words(text: str) -> list[str]:
    """Words of `text` in order: Han runs cut by jieba, other scripts by word characters, lowercased."""
    out: list[str] = []
    for token in _WORD.findall(text):
        if not _HAN.search(token):
            out.append(token.lower())
            continue
        cursor = 0
        for run in _HAN_RUN.finditer(token):
            if run.start() > cursor:
                out.append(token[cursor:run.start()].lower())
            out.extend(_cut_han(run.group()))
            cursor = run.end()
        if cursor < len(token):
            out.append(token[cursor:].lower())
    return out


def document_terms(text: str) -> str:
    """What FTS5 indexes for a passage: its words separated by spaces."""
    return " ".join(words(text))


def query_terms(text: str) -> list[str]:
    """The words of a query worth matching: no stop words, no duplicates, in order."""
    seen: dict[str, None] = {}
    for word in words(text):
        if word in EN_STOP or word in ZH_STOP or (len(word) == 1 and not _HAN.match(word)):
            continue
        seen.setdefault(word, None)
    return list(seen)


def fts_match(terms: list[str]) -> str:
    """An FTS5 MATCH expression: any of the terms, each quoted so no term is read as syntax."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
