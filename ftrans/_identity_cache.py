"""A bounded, thread-safe LRU cache keyed by an object's identity.

Used where a result belongs to one jaxpr object (its optimized form, its
compiled code): the key is ``id(obj)``, and ``obj`` is kept alive with its
entry, so that its id cannot be reused by another object while cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class IdentityCache:
    """``get(obj)`` / ``put(obj, value)``, least recently used dropped first.

    >>> cache = IdentityCache(1)
    >>> a, b = [1], [2]
    >>> cache.put(a, "A"); cache.get(a), cache.get([1])
    ('A', None)
    >>> cache.put(b, "B"); cache.get(a), len(cache)
    (None, 1)
    """

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, obj):
        """The value cached for ``obj`` itself, or None."""
        with self._lock:
            hit = self._entries.get(id(obj))
            if hit is None or hit[0] is not obj:
                return None
            self._entries.move_to_end(id(obj))
            return hit[1]

    def put(self, obj, value) -> None:
        with self._lock:
            self._entries[id(obj)] = (obj, value)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
