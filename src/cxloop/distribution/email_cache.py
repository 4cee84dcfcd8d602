"""A small in-process cache of what every e-mail of one survey shares (its chosen texts and
first question), so sending a batch does not query them once per message.

Entries live a few seconds: an edit made in another process reaches e-mails at most that
late, and an edit in this process clears the cache at once.
"""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class TtlCache(Generic[T]):
    def __init__(self, *, seconds: float, max_entries: int) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = compute()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


EMAIL_CACHE_SECONDS = 5.0
# Values are email_content's per-survey parts; typed loosely to keep this module import-free.
survey_email_parts: TtlCache[Any] = TtlCache(seconds=EMAIL_CACHE_SECONDS, max_entries=512)
