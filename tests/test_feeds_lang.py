"""`podquote follow --lang`: the episodes' language, over the feed's and the transcripts' own, recorded for each
episode and shown by `podquote feeds`; passages keep the language of their script, and only a passage without
any letter takes the episode's. Through the CLI, with tests/feed_server.py's server on 127.0.0.1."""

from __future__ import annotations

import json

from podquote.feeds.episode_passages import told_apart
from feed_server import item, podquote, rss, search

VTT = ("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v 王>我们今天聊一聊分布式存储系统的设计。\n\n"
       "00:00:05.000 --> 00:00:08.000\n<v Sam>Kubernetes operators are great for storage.\n\n"
       "00:00:09.000 --> 00:00:10.000\n<v 王>2025 🎉🎉\n\n"
       "00:00:11.000 --> 00:00:14.000\n<v Sam>Да, конечно, это правда.\n")


def test_follow_lang_is_recorded_shown_and_labels_only_letterless_passages(tmp_path, server):
    server.files["/t/zh.vtt"] = (VTT.encode("utf-8"), "text/vtt")
    # The feed says en-us (a template's default) and the transcript tag says en: --lang wins over both.
    server.files["/zh.xml"] = rss("存储播客", "<language>en-us</language>" + item(
        server.base, "zh-1", "分布式存储", 1, [("/t/zh.vtt", "text/vtt")]))
    index = tmp_path / "index"
    assert podquote("follow", server.base + "/zh.xml", "--index", index, "--lang", "zh-CN").returncode == 0
    refreshed = podquote("refresh", "--index", index, "--embedder", "fake")
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr

    [listed] = json.loads(podquote("feeds", "--index", index, "--json").stdout)
    assert listed["lang"] == "zh-CN"
    assert "zh-CN" in podquote("feeds", "--index", index).stdout
    [sidecar] = (index / "feeds").rglob("*.episode.json")
    assert json.loads(sidecar.read_text(encoding="utf-8"))["language"] == "zh-CN"

    assert "2025 🎉🎉" in [hit["text"] for hit in search(index, "2025", "--lang", "zh")]
    assert "2025 🎉🎉" not in [hit["text"] for hit in search(index, "2025", "--lang", "other")]
    assert search(index, "分布式存储", "--lang", "zh")[0]["text"] == "我们今天聊一聊分布式存储系统的设计。"
    assert search(index, "Kubernetes operators storage", "--lang", "en")[0]["text"].startswith("Kubernetes")
    assert search(index, "Да, конечно", "--lang", "other")[0]["text"] == "Да, конечно, это правда."


def test_only_languages_podquote_tells_apart_are_given_to_passages():
    assert told_apart("zh-CN") == told_apart("ZH_hans") == "zh" and told_apart("en-us") == "en"
    assert told_apart("fr") is None and told_apart(None) is None and told_apart("") is None
