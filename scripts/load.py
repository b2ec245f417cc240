#!/usr/bin/env python3
"""A bounded load test of `podquote serve` on 127.0.0.1, with a reindex swapping the index in the middle.

    scripts/load.py --index DIR [--concurrency 32] [--duration 60] [--swap-source PATH]

Starts `podquote serve --index DIR` on a free port of 127.0.0.1 (or uses --url, which must be on this machine),
then runs --concurrency clients (asyncio; each sends its next request on its own keep-alive connection when the
last one is answered; see Connection for why not httpx) for --duration seconds, asking GET /search with the
questions of eval/*.jsonl. Half-way through, it runs
`scripts/reindex.py SWAP_SOURCE --index DIR`, which publishes a new generation that the server picks up while
serving. It prints throughput, latency percentiles, the error count (any non-200 answer or failed request),
and when the server switched generation; it exits 1 if there was any error.

--swap-source defaults to a small generated transcript in a temporary folder, so the index gains one source.
Before measuring, every question is asked once (a running server would have seen them; --cold skips this);
--unique appends a number to every question, so none is answered from the server's cache.
Nothing here is part of CI: it takes a minute and wants the machine to itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

from benchkit import cpu_seconds, free_port, percentile

PROJECT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FALLBACK_QUERIES = [
    "why Rook on bare metal", "what is a Kubernetes operator", "how do you debug a service mesh",
    "storage for stateful workloads", "开源社区如何运营", "云原生的未来", "why write it in Go",
    "what makes a good code review", "how do you get your first contributors", "is serverless worth it",
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="index directory served and reindexed")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (at most 600)")
    parser.add_argument("--swap-at", type=float, default=0.5, help="fraction of the duration when to reindex")
    parser.add_argument("--swap-source", type=Path, help="file or folder the mid-run reindex adds")
    parser.add_argument("--no-swap", action="store_true", help="load only, no reindex")
    parser.add_argument("--url", help="an already running server on this machine (default: start one)")
    parser.add_argument("-k", type=int, default=10, help="hits per search")
    parser.add_argument("--unique", action="store_true",
                        help="make every question unique (a number appended), so no answer comes from the cache")
    parser.add_argument("--cache-mb", type=float, default=64, help="the started server's --cache-mb")
    parser.add_argument("--cold", action="store_true",
                        help="start measuring at once (default: ask every question once first, as a server that "
                             "has been running would have seen them)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.concurrency <= 256 or not 0 < args.duration <= 600:
        parser.error("--concurrency must be 1-256 and --duration 0-600 seconds")
    if args.url and urlsplit(args.url).hostname not in LOOPBACK:
        parser.error("--url must be on this machine (127.0.0.1, localhost or ::1)")
    return args


def questions() -> list[str]:
    found = []
    for path in sorted((PROJECT / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line)["query"])
            except (ValueError, KeyError, TypeError):
                continue
    return found or FALLBACK_QUERIES


def start_server(index: Path, cache_mb: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-c", "from podquote.cli import main; main()", "serve", "--index", str(index),
               "--host", "127.0.0.1", "--port", str(port), "--cache-mb", str(cache_mb)]
    # The server's log (one access line per request) goes to a file: a pipe nobody reads would fill and stall it.
    log = tempfile.NamedTemporaryFile("w+", prefix="podquote-load-server-", suffix=".log", delete=False)
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"load: the server exited: {Path(log.name).read_text().strip()[-500:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.send_signal(signal.SIGTERM)
    raise SystemExit("load: the server did not answer /healthz within 120 s")


def default_swap_source() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="podquote-load-"))
    (folder / "load-swap.md").write_text(
        "# Load test episode\n\n"
        f"\"This quote was added at {time.strftime('%H:%M:%S')} while the server was under load,\" said Lo.\n\n"
        "\"A reindex publishes a new generation and the server swaps it in without a restart,\" said Lo.\n",
        encoding="utf-8")
    return folder


class Stats:
    def __init__(self) -> None:
        self.samples: list[tuple[float, float, int]] = []  # (start offset s, latency s, status or 0)
        self.failures: dict[str, int] = {}

    def add(self, start: float, latency: float, status: int, failure: str | None = None) -> None:
        self.samples.append((start, latency, status))
        if failure:
            self.failures[failure] = self.failures.get(failure, 0) + 1


class Connection:
    """A minimal HTTP/1.1 keep-alive connection on asyncio streams (stdlib only).

    The load is generated with this rather than httpx: httpx spends ~3 ms of CPU per request, so on a 2-core
    machine the client, not the server, would set the numbers. This one spends a few tens of microseconds."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode("ascii"))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, close = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
            elif name == b"transfer-encoding":
                raise ValueError("chunked answers are not expected from /search")
        body = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


async def client(url: str, queries: list[str], k: int, rng: random.Random, started: float, stop_at: float,
                 stats: Stats, unique: bool) -> None:
    parts = urlsplit(url)
    connection = Connection(parts.hostname, parts.port or 80)
    try:
        while (now := time.perf_counter()) < stop_at:
            query = rng.choice(queries)
            if unique:
                query = f"{query} {rng.randrange(10**9)}"
            try:
                status, _ = await connection.get("/search?" + urlencode({"q": query, "k": k}))
                failure = None if status == 200 else f"HTTP {status}"
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                status, failure = 0, type(exc).__name__
                await connection.close()
            stats.add(now - started, time.perf_counter() - now, status, failure)
    finally:
        await connection.close()


async def watch_generation(http: httpx.AsyncClient, url: str, started: float, stop_at: float,
                           seen: list[tuple[float, str]]) -> None:
    while time.perf_counter() < stop_at:
        try:
            generation = (await http.get(f"{url}/healthz")).json()["generation"]
            if not seen or seen[-1][1] != generation:
                seen.append((time.perf_counter() - started, generation))
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        await asyncio.sleep(0.25)


async def reindex_at(delay: float, index: Path, source: Path, started: float, log: dict) -> None:
    await asyncio.sleep(delay)
    log["start"] = time.perf_counter() - started
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(PROJECT / "scripts" / "reindex.py"), str(source), "--index", str(index), "--quiet",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    log["process"] = process
    out, err = await process.communicate()
    log["end"] = time.perf_counter() - started
    log["returncode"] = process.returncode
    log["output"] = (out.decode() + err.decode()).strip().splitlines()[:2]


async def finish_reindex(task: asyncio.Task, log: dict, timeout: float) -> None:
    """A reindex still running when the load ends is waited for (unmeasured), then stopped: the run is bounded.
    Stopping it is safe by design: the served generation stays, and the next build removes what it left."""
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout)
    except asyncio.TimeoutError:
        process = log.get("process")
        if process is not None and process.returncode is None:
            process.terminate()
        task.cancel()
        log["stopped"] = f"still running {timeout:.0f} s after the load ended: terminated"


async def run(args: argparse.Namespace, url: str) -> dict:
    queries = questions()
    stats, seen, swap = Stats(), [], {}
    limits = httpx.Limits(max_connections=args.concurrency + 2, max_keepalive_connections=args.concurrency + 2)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        await http.get(f"{url}/search", params={"q": "warm up", "k": args.k})
        if not args.cold and not args.unique:
            gate = asyncio.Semaphore(args.concurrency)

            async def ask(query):
                async with gate:
                    await http.get(f"{url}/search", params={"q": query, "k": args.k})

            await asyncio.gather(*(ask(q) for q in queries))
        started = time.perf_counter()
        stop_at = started + args.duration
        tasks = [client(url, queries, args.k, random.Random(args.seed * 1000 + n), started, stop_at, stats,
                        args.unique) for n in range(args.concurrency)]
        tasks.append(watch_generation(http, url, started, stop_at, seen))
        reindex = None
        if not args.no_swap:
            source = args.swap_source or default_swap_source()
            reindex = asyncio.create_task(reindex_at(args.duration * args.swap_at, args.index, source, started, swap))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
        if reindex is not None:
            await finish_reindex(reindex, swap, timeout=600)
        swap.pop("process", None)
    latencies = [latency for _, latency, _ in stats.samples]
    errors = sum(stats.failures.values())
    switched = seen[1][0] if len(seen) > 1 else None
    around = [lat for t, lat, _ in stats.samples if switched is not None and abs(t - switched) <= 5]
    during = [lat for t, lat, _ in stats.samples if swap and swap["start"] <= t <= swap.get("end", t)]
    ms = lambda values, p: round(percentile(values, p) * 1000, 1)  # noqa: E731
    return {
        "url": url, "index": str(args.index), "concurrency": args.concurrency, "duration_s": round(elapsed, 1),
        "queries": "all unique" if args.unique else len(queries), "warmed": not (args.cold or args.unique),
        "requests": len(stats.samples),
        "errors": errors, "error_kinds": stats.failures,
        "throughput_rps": round(len(stats.samples) / elapsed, 1),
        "latency_ms": {"p50": ms(latencies, 50), "p90": ms(latencies, 90), "p99": ms(latencies, 99),
                       "max": round(max(latencies, default=0) * 1000, 1),
                       "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else None},
        "reindex": {key: (round(value, 1) if isinstance(value, float) else value) for key, value in swap.items()},
        "during_reindex_ms": {"requests": len(during), "p50": ms(during, 50), "p99": ms(during, 99)},
        "generations": [{"at_s": round(t, 1), "generation": g} for t, g in seen],
        "timeline": _timeline(stats.samples, elapsed),
        "around_switch_ms": {"requests": len(around), "p50": ms(around, 50), "p99": ms(around, 99)},
    }


def _timeline(samples: list[tuple[float, float, int]], elapsed: float, step: float = 5.0) -> list[dict]:
    """Requests, errors and p99 per `step` seconds, so a slow moment (the reindex, the switch) shows."""
    rows = []
    for n in range(int(elapsed // step) + 1):
        window = [(lat, status) for t, lat, status in samples if n * step <= t < (n + 1) * step]
        if window:
            rows.append({"from_s": n * step, "requests": len(window), "errors": sum(s != 200 for _, s in window),
                         "p50_ms": round(percentile([lat for lat, _ in window], 50) * 1000, 1),
                         "p99_ms": round(percentile([lat for lat, _ in window], 99) * 1000, 1)})
    return rows


def print_report(report: dict) -> None:
    lat = report["latency_ms"]
    print(f"target      {report['url']}  index {report['index']}")
    print(f"load        {report['concurrency']} concurrent clients for {report['duration_s']} s, "
          f"questions: {report['queries']} (from eval/*.jsonl)"
          f"{', each asked once before measuring' if report['warmed'] else ', cold'}")
    print(f"requests    {report['requests']}  errors {report['errors']} {report['error_kinds'] or ''}")
    print(f"throughput  {report['throughput_rps']} req/s")
    if report.get("cpu_s"):
        print(f"cpu         server {report['cpu_s']['server']} s, load client {report['cpu_s']['client']} s "
              f"(of {report['duration_s']} s on {os.cpu_count()} cores)")
    print(f"latency     p50 {lat['p50']} ms  p90 {lat['p90']} ms  p99 {lat['p99']} ms  max {lat['max']} ms")
    if report["reindex"]:
        swap = report["reindex"]
        print(f"reindex     ran {swap.get('start')}-{swap.get('end')} s, exit {swap.get('returncode')}: "
              f"{' / '.join(swap.get('output', []))} {swap.get('stopped', '')}")
        if swap.get("end", 0) > report["duration_s"]:
            print("            (it ended after the load: the swap was not measured; use a longer --duration)")
        during = report["during_reindex_ms"]
        print(f"  during    {during['requests']} requests, p50 {during['p50']} ms, p99 {during['p99']} ms")
    for seen in report["generations"]:
        print(f"serving     {seen['generation']} from {seen['at_s']} s")
    around = report["around_switch_ms"]
    if around["requests"]:
        print(f"  switch±5s {around['requests']} requests, p50 {around['p50']} ms, p99 {around['p99']} ms")
    for row in report["timeline"]:
        print(f"  {row['from_s']:>5.0f} s  {row['requests']:>6} requests  {row['errors']} errors  "
              f"p50 {row['p50_ms']:>7} ms  p99 {row['p99_ms']:>7} ms")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    server = None
    if args.url:
        url = args.url.rstrip("/")
    else:
        server, url = start_server(args.index, args.cache_mb)
    try:
        server_cpu = cpu_seconds(server.pid) if server else None
        client_cpu = time.process_time()
        report = asyncio.run(run(args, url))
        report["cpu_s"] = {"client": round(time.process_time() - client_cpu, 1),
                           "server": round(cpu_seconds(server.pid) - server_cpu, 1) if server else None}
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_report(report)
    swapped = args.no_swap or (report["reindex"].get("returncode") == 0 and len(report["generations"]) > 1)
    return 0 if report["errors"] == 0 and swapped else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
