"""Button action ids and the values they carry (inline JSON, or a key into a short-lived cache).

`bot.blocks` puts the buttons in a message; `bot.listeners.actions` handles their clicks."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

SHARE = "kubecon_share"
MORE = "kubecon_more"
HELPFUL = "kubecon_helpful"
NOT_HELPFUL = "kubecon_not_helpful"
UNFILTERED = "kubecon_unfiltered"   # the question again without the filters read from its words
ALL = (SHARE, MORE, HELPFUL, NOT_HELPFUL, UNFILTERED)

MAX_VALUE = 2000      # Block Kit's limit for a button value
INLINE_LIMIT = 1900   # longer values go to the cache and the button carries only the key

# Where "More results" posts: "e" privately through response_url, "c" in the channel or thread.
PRIVATE = "e"
CHANNEL = "c"

Packer = Callable[[dict[str, Any]], str]


class ValueStore:
    """Packs button values; long ones are kept server-side for `ttl` seconds under a random key."""

    def __init__(self, max_entries: int = 5000, ttl: float = 7 * 24 * 3600,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._items: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._max = max_entries
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()

    def pack(self, data: dict[str, Any]) -> str:
        """A button value of at most INLINE_LIMIT characters that `unpack` turns back into data."""
        value = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if len(value) <= INLINE_LIMIT and "k" not in data:
            return value
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._items[key] = (self._clock() + self._ttl, data)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return json.dumps({"k": key}, separators=(",", ":"))

    def unpack(self, value: str) -> dict[str, Any] | None:
        """The data behind a button value, or None when it is malformed or has expired."""
        try:
            data = json.loads(value)
        except (TypeError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        if "k" not in data:
            return data
        with self._lock:
            item = self._items.get(str(data["k"]))
            if item is None:
                return None
            expires, stored = item
            if expires < self._clock():
                del self._items[str(data["k"])]
                return None
        return stored


def inline(data: dict[str, Any]) -> str:
    """Pack without a cache (for rendering where nothing is stored); fails if the value is too long."""
    value = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(value) > MAX_VALUE:
        raise ValueError("button value too long for Slack")
    return value
