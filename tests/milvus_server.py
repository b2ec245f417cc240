"""A real single-machine Milvus server (PyPI `milvus`, which embeds the 2.3 server binary) for tests.

Every component advertises 127.0.0.1 (by default Milvus advertises the machine's first non-loopback address and its
components call each other there), the embedded etcd listens on 127.0.0.1, and the client connects to
127.0.0.1; all ports are free ones picked at start. Data lives in the directory given (a pytest tmp dir).
Milvus 2.3 has no setting for the address its gRPC servers bind, so they bind all addresses; nothing here connects
to anything but 127.0.0.1.

`stop()` sends SIGTERM and, if the server has not exited within `grace` seconds, SIGKILL; `kill()` is SIGKILL at
once (the crash test). `start()` again reuses the same configuration, ports and data.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

COMPONENTS = ("rootCoord", "proxy", "queryCoord", "queryNode", "indexNode", "dataCoord", "dataNode")
PORT_KEYS = ("etcd_port", "root_coord_port", "proxy_port", "proxy_internal_port", "query_coord_port",
             "query_node_port", "index_coord_port", "index_node_port", "data_coord_port", "data_node_port")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MilvusServer:
    def __init__(self, data_dir: Path, start_timeout: float = 60.0):
        import milvus

        self.milvus = milvus
        self.data_dir = Path(data_dir)
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None
        self.ports = {key: free_port() for key in PORT_KEYS}
        self.metrics_port = free_port()
        config = milvus.MilvusServerConfig(data_dir=str(self.data_dir), **self.ports)
        for component in COMPONENTS:
            config.set(f"{component}.ip", "127.0.0.1")
        # On SIGTERM, 2.3's standalone stops its coordinators first and its nodes then wait for them; past this
        # many seconds Milvus ends the stop itself (default 1800).
        config.set("common.gracefulStopTimeout", 5)
        config.resolve()  # writes configs/milvus.yaml under data_dir
        milvus._initialize_data_files(str(self.data_dir))  # unpacks the server binary and its libraries
        self.executable = self.data_dir / "bin" / "milvus"
        self.uri = f"http://127.0.0.1:{self.ports['proxy_port']}"
        self.start_seconds: list[float] = []

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        env = {**os.environ, "DEPLOY_MODE": "STANDALONE", "METRICS_PORT": str(self.metrics_port),
               "MILVUS_RUN_DIR": str(self.data_dir / "run"),
               "LD_LIBRARY_PATH": os.pathsep.join(filter(None, [str(self.executable.parent),
                                                                os.environ.get("LD_LIBRARY_PATH")]))}
        logs = self.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        started = time.monotonic()
        with open(logs / "milvus-stdout.log", "ab") as out, open(logs / "milvus-stderr.log", "ab") as err:
            self.process = subprocess.Popen([str(self.executable), "run", "standalone"], cwd=self.data_dir, env=env,
                                            stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self._wait_healthy(started)
        self.start_seconds.append(time.monotonic() - started)

    def _wait_healthy(self, started: float) -> None:
        url = f"http://127.0.0.1:{self.metrics_port}/healthz"
        while time.monotonic() - started < self.start_timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"milvus exited with {self.process.returncode} while starting; see "
                                   f"{self.data_dir / 'logs'}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if b"OK" in response.read():
                        if self._accepts_clients():
                            return
            except OSError:
                pass
            time.sleep(0.25)
        self.kill()
        raise TimeoutError(f"milvus did not become healthy within {self.start_timeout:.0f} s; see "
                           f"{self.data_dir / 'logs'}")

    def _accepts_clients(self) -> bool:
        from pymilvus import MilvusClient

        try:
            client = MilvusClient(uri=self.uri, timeout=5)
        except Exception:
            return False
        try:
            client.list_collections()
            return True
        except Exception:
            return False
        finally:
            client.close()

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited after `grace` seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def restart(self, *, crash: bool = False) -> None:
        self.kill() if crash else self.stop()
        self.start()
