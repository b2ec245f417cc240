"""What the benchmark scripts (bench.py, load.py, scale.py) measure with: percentiles, a free port, peak memory
and timing. One percentile formula for all of them, so their p50s and p99s can be compared."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

# /proc/<pid>/status fields kept by peak_rss: the high-water mark, the RSS now, and its anonymous/file split.
RSS_FIELDS = ("VmHWM", "VmRSS", "RssAnon", "RssFile")

# Runs a command and prints its peak RSS: a child's ru_maxrss also counts the memory of the process it was forked
# from (Linux keeps the high-water mark across exec), so the measuring parent must be this small launcher.
_LAUNCHER = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between the two nearest ranks: numpy's default
    (`method="linear"`), so percentile(values, 50) is the median. NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = q / 100 * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss(pid: int | str = "self") -> dict[str, int]:
    """Bytes of a process's RSS_FIELDS (Linux /proc)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in RSS_FIELDS:
            out[name] = int(value.split()[0]) * 1024
    return out


def command_peak_rss(cmd: list[str]) -> int:
    """Peak RSS in bytes of running `cmd` to its end (its output discarded)."""
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to tell a busy server from a busy client."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


@contextmanager
def timed_ms(into: list[float]):
    """Append the block's wall time in milliseconds to `into`."""
    started = time.perf_counter()
    yield
    into.append((time.perf_counter() - started) * 1000)


def timed_run(cmd: list[str]) -> tuple[float, int, float]:
    """Run `cmd` (output discarded): wall seconds, exit code and CPU seconds (user + system)."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime
