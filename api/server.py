"""`lhl serve`: bind the address, print it, and run the app under uvicorn.

The socket is bound before anything else, so a busy port is reported at once in Norwegian,
and `--port 0` picks a free port whose address is printed (the tests read it from there).
"""

from __future__ import annotations

import logging
import socket
import sys

from lhl import messages
from lhl.settings import Settings

log = logging.getLogger(__name__)


def _say(message: str) -> None:
    print(message, flush=True)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def address(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> int:
    try:
        sock = _bind(host, port)
    except OSError as exc:
        log.info("cannot bind %s:%s: %r", host, port, exc)
        print(messages.terminal.PORT_TAKEN.format(host=host, port=port), file=sys.stderr)
        return 1
    bound_port = sock.getsockname()[1]
    # Imported after binding: until the app runs, clients wait in the listen queue instead
    # of being refused.
    import uvicorn

    from api.app import create_app
    from api.connections import guarded_protocol

    if settings.log_level:
        logging.getLogger().setLevel(settings.log_level.upper())
    app = create_app(settings, ingest_on_start=True, announce=_say)
    config = uvicorn.Config(
        app,
        http=guarded_protocol(settings.client_timeout_s),
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
        server_header=False,
    )
    server = uvicorn.Server(config)
    _say(messages.terminal.SERVING.format(url=address(host, bound_port)))
    _say(messages.terminal.HOW_TO_STOP)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0
