"""Many idle connections against a real `lhl serve`: do they starve other clients, and are
they closed after LHL_CLIENT_TIMEOUT_S?

    .venv/bin/python scripts/idle_connections.py                      # 5000, bound 10 s
    .venv/bin/python scripts/idle_connections.py --connections 500 --timeout 30

Opens the connections (sending nothing, as a slowloris or a crowd of pre-opened browser
connections would), times 20 questions before, during and after, and prints the server's
memory and open file descriptors. The server runs with the service's settings (LHL_*, .env).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from eval.runner import percentile
from lhl.harness import LiveServer, run_server
from lhl.settings import get_settings

QUESTION = "Hva er Leve hele livet?"


def latencies(server: LiveServer, n: int = 20) -> str:
    times = []
    with server.client() as client:
        for _ in range(n):
            started = time.perf_counter()
            assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200
            times.append((time.perf_counter() - started) * 1000)
    return f"p50 {percentile(times, 0.5):.0f} ms, høyst {max(times):.0f} ms"


def fds(server: LiveServer) -> int:
    return len(os.listdir(f"/proc/{server.process.pid}/fd"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--timeout", type=float, default=10.0, help="LHL_CLIENT_TIMEOUT_S")
    parser.add_argument("--workdir", type=Path, default=Path(".lhl/idle"))
    args = parser.parse_args(argv)
    settings = get_settings().model_copy(
        update={"client_timeout_s": args.timeout, "rate_limit_per_minute": 0}
    )
    with run_server(settings, args.workdir.resolve()) as server:
        print(f"Før: {latencies(server)}; RSS {server.rss_mb()[0]:.0f} MB; {fds(server)} fd")
        address = urlsplit(server.url)
        idle = [
            socket.create_connection((address.hostname, address.port))
            for _ in range(args.connections)
        ]
        print(
            f"Med {len(idle)} ledige tilkoblinger: {latencies(server)}; "
            f"RSS {server.rss_mb()[0]:.0f} MB; {fds(server)} fd"
        )
        time.sleep(args.timeout + 2)
        closed = 0
        for sock in idle:
            sock.setblocking(False)
            try:
                closed += sock.recv(1) == b""
            except BlockingIOError:
                pass  # still open
            except ConnectionResetError:
                closed += 1
            sock.close()
        print(
            f"Etter {args.timeout + 2:.0f} s: {closed} av {len(idle)} lukket av tjenesten; "
            f"{latencies(server)}; {fds(server)} fd; last {os.getloadavg()[0]:.2f}"
        )
        return 0 if closed == len(idle) else 1


if __name__ == "__main__":
    sys.exit(main())
