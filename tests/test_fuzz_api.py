"""Schemathesis against the app's own /openapi.json: every documented operation, valid and invalid input.

Runs in-process (ASGI) on a small fake-embedder index, with a bounded number of examples per operation so it
fits in CI. Every response must conform to the schema (status code, content type, body) and none may be a 5xx;
the app's last-resort handler counts unexpected exceptions, and the count must stay 0.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from podquote import Collection, build_index
from podquote.api.app import create_app

MAX_EXAMPLES = int(os.environ.get("PODQUOTE_FUZZ_EXAMPLES", "50"))


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory):
    from helpers import BUILTIN

    tmp = tmp_path_factory.mktemp("fuzz")
    sources = tmp / "sources"
    sources.mkdir()
    shutil.copy(BUILTIN, sources / "kubecon.md")
    (sources / "storage.md").write_text(
        "# Storage talk\n\nAlice said, \"Ceph gives you block, file and object storage from one cluster.\"\n\n"
        "\"Backups are the part everyone forgets until the day they need them,\" said Bob.\n", encoding="utf-8")
    root = tmp / "index"
    build_index(root, [sources], embedder="fake")
    app = create_app(root, Collection.open(root, verify=True), reload_interval=None)
    yield app
    assert app.state.internal_errors == 0


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_every_operation_conforms_and_never_fails(fuzzed_app, mode):
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {"/search", "/passages/{passage_id}", "/healthz"} <= {op.path for op in operations}
    passage_id = fuzzed_app.state.holder.collection.search("storage", k=1)[0].passage.id
    strategies = [(op, op.as_strategy(mode)) for op in operations
                  if mode is GenerationMode.POSITIVE or any(op.iter_parameters())]  # else nothing to get wrong
    if mode is GenerationMode.POSITIVE:  # random ids are all 404s: also ask for a passage that exists
        strategies += [(op, op.as_strategy(mode, path_parameters={"passage_id": passage_id}))
                       for op in operations if op.path == "/passages/{passage_id}"]
    failures, calls = [], []
    for operation, strategy in strategies:
        @given(case=strategy)
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call_and_validate()
            calls.append((operation.path, response.status_code))
            assert response.status_code < 500

        try:
            check()
        except Exception as exc:  # collect them all, so one run shows every failing operation
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    per_operation = Counter(path for path, _ in calls)
    with_parameters = {op.path for op in operations if any(op.iter_parameters())}
    assert all(per_operation[path] >= min(MAX_EXAMPLES, 10) for path in with_parameters), per_operation
    print(mode.value, dict(per_operation), dict(Counter(status for _, status in calls)))
    assert fuzzed_app.state.internal_errors == 0
