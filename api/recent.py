"""The last answers given, by answer_id, so a rating can be stored with what was rated
(the completed question, whether it was found, which passages were cited)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from lhl.records import Answer


class RecentAnswers:
    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, answer: Answer) -> None:
        if not answer.answer_id:
            return
        with self._lock:
            self._answers[answer.answer_id] = answer
            self._answers.move_to_end(answer.answer_id)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)

    def get(self, answer_id: str) -> Answer | None:
        with self._lock:
            return self._answers.get(answer_id)
