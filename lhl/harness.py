"""Real servers on loopback, for the tests, the benchmarks (bench/) and the load scripts
(scripts/): one harness that all three share. The service itself never imports it.

    with run_server(settings, workdir=tmp_path) as server:
        httpx.get(server.url + "/readyz")
        server.rss_mb()

`run_server` starts `lhl serve` in a subprocess. The server gets its settings through LHL_*
environment variables only (it runs in `workdir`, where no .env file is read), binds port 0
and prints its address, which is read from its log. `serve_app` serves an ASGI app in a thread
instead (real HTTP, fakes at our own seams); `run_chroma` starts a `chroma run` server.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from lhl.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
_ADDRESS = re.compile(r"(http://127\.0\.0\.1:\d+)/")


class ServerFailed(RuntimeError):
    pass


@dataclass
class LiveServer:
    url: str  # e.g. "http://127.0.0.1:41234", no trailing slash
    process: subprocess.Popen[bytes]
    settings: Settings
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def rss_mb(self) -> tuple[float, float]:
        """The server's resident memory now and at its peak, in MB."""
        return rss_mb(self.process.pid)


def settings_env(settings: Settings, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment without inherited LHL_* variables, plus these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LHL_")}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        env[f"LHL_{name.upper()}"] = (
            str(Path(value).resolve()) if isinstance(value, Path) else str(value)
        )
    env.update(
        ANONYMIZED_TELEMETRY="False",
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def _wait_for_address(proc: subprocess.Popen[bytes], log_path: Path, deadline: float) -> str:
    while time.monotonic() < deadline:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        match = _ADDRESS.search(text)
        if match:
            return match.group(1)
        if proc.poll() is not None:
            raise ServerFailed(f"lhl serve exited with {proc.returncode}:\n{text}")
        time.sleep(0.05)
    raise ServerFailed(f"lhl serve printed no address in time:\n{log_path.read_text()}")


def wait_ready(server: LiveServer, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    with server.client(timeout=5.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise ServerFailed(f"lhl serve exited:\n{server.log()}")
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise ServerFailed(f"lhl serve was not ready after {timeout:.0f} s:\n{server.log()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()  # uvicorn shuts down gracefully on SIGTERM
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def run_server(
    settings: Settings,
    workdir: Path,
    *,
    env: dict[str, str] | None = None,
    wait: bool = True,
    timeout: float = 120.0,
) -> Iterator[LiveServer]:
    """Start `lhl serve` for these settings; yield once it is ready (or, with wait=False, once
    it listens); stop it afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"server-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1", "--port", "0"],
            cwd=workdir,
            env=settings_env(settings, {"PYTHONPATH": str(ROOT), **(env or {})}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = _wait_for_address(proc, log_path, time.monotonic() + timeout)
        server = LiveServer(url=url, process=proc, settings=settings, log_path=log_path)
        if wait:
            wait_ready(server, timeout)
        yield server
    finally:
        stop(proc)


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory of a process now and at its peak (VmRSS, VmHWM), in MB. Linux only."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return round(fields["VmRSS"], 1), round(fields["VmHWM"], 1)


@contextmanager
def serve_app(app: object) -> Iterator[str]:
    """An ASGI app (e.g. `create_app(settings, assistant_factory=...)`) served by uvicorn in a
    thread on a free loopback port: real HTTP, with fakes at our own seams. Yields the URL."""
    import socket
    import threading

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def chroma_cli() -> str | None:
    """The `chroma` command of the chromadb package beside this interpreter, or on PATH."""
    import shutil

    cli = Path(sys.executable).parent / "chroma"
    return str(cli) if cli.exists() else shutil.which("chroma")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def run_chroma(workdir: Path, timeout: float = 60.0) -> Iterator[str]:
    """A real `chroma run` server on a free loopback port, its data in `workdir`; yields its
    URL once the heartbeat answers, stops it afterwards."""
    cli = chroma_cli()
    if cli is None:
        raise ServerFailed("the chroma CLI (from the chromadb package) is not installed")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = workdir / "chroma.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [cli, "run", "--path", str(workdir / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ServerFailed("chroma run did not start:\n" + log_path.read_text())
            time.sleep(0.2)
        yield url
    finally:
        stop(proc)
