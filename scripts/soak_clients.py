"""The soak's clients (scripts/soak.py): threads that ask, search, send signed Teams messages
and rate answers one request after another, and the tally of what they saw."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import httpx
from teams_send import encode, sample_message

from api.teams import sign
from lhl.harness import LiveServer

ROUTES = ("ask", "search", "teams", "feedback")
WEIGHTS = (0.35, 0.30, 0.15, 0.20)


@dataclass
class Tally:
    """What the clients saw, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failed: Counter[str] = field(default_factory=Counter)  # connection failures, by route
    failed_in_restart: int = 0
    feedback_acked: list[int] = field(default_factory=list)  # ids of ratings answered 2xx
    memory: list[tuple[float, int, float]] = field(default_factory=list)  # (s, server pid, MB)

    def record(self, route: str, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[route][status] += 1
            self.latencies[route].append(seconds)

    def total(self) -> int:
        with self.lock:
            return sum(sum(c.values()) for c in self.statuses.values())

    def server_errors(self) -> int:
        with self.lock:
            return sum(n for c in self.statuses.values() for s, n in c.items() if s >= 500)


class Target:
    """The server the clients talk to; replaced after the kill (it comes back on a new port)."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.restarting = threading.Event()

    @property
    def url(self) -> str:
        return self.server.url


class Client(threading.Thread):
    def __init__(
        self,
        n: int,
        target: Target,
        tally: Tally,
        questions: list[str],
        teams_key: bytes,
        stop_at: float,
    ) -> None:
        super().__init__(daemon=True, name=f"client-{n}")
        self.n = n
        self.target = target
        self.tally = tally
        self.questions = questions
        self.teams_key = teams_key
        self.stop_at = stop_at
        self.rng = random.Random(n)
        self.last_answer_id = ""

    def run(self) -> None:
        with httpx.Client(timeout=60.0) as http:
            while time.monotonic() < self.stop_at:
                route = self.rng.choices(ROUTES, WEIGHTS)[0]
                url = self.target.url
                restarting = self.target.restarting.is_set()
                started = time.monotonic()
                try:
                    response = self.send(http, url, route)
                except httpx.HTTPError:
                    # Sent during the restart, or to the killed server's address.
                    in_restart = restarting or self.target.restarting.is_set()
                    with self.tally.lock:
                        if in_restart or url != self.target.url:
                            self.tally.failed_in_restart += 1
                        else:
                            self.tally.failed[route] += 1
                    time.sleep(0.2)
                    continue
                self.tally.record(route, response.status_code, time.monotonic() - started)
                if route == "feedback" and 200 <= response.status_code < 300:
                    with self.tally.lock:
                        self.tally.feedback_acked.append(response.json()["id"])

    def send(self, http: httpx.Client, url: str, route: str) -> httpx.Response:
        question = self.rng.choice(self.questions)
        if route == "ask":
            response = http.post(f"{url}/api/ask", json={"question": question})
            if response.status_code == 200:
                self.last_answer_id = response.json().get("answer_id", "")
            return response
        if route == "search":
            return http.get(f"{url}/api/search", params={"q": question, "k": 5})
        if route == "teams":
            body = encode(sample_message(question))
            headers = {"Authorization": sign(body, self.teams_key)}
            headers["Content-Type"] = "application/json; charset=utf-8"
            return http.post(f"{url}/api/teams", content=body, headers=headers)
        rating = self.rng.choice(["up", "down"])
        body_json = {"answer_id": self.last_answer_id, "question": question, "rating": rating}
        body_json["comment"] = f"soak client {self.n}"
        return http.post(f"{url}/api/feedback", json=body_json)
