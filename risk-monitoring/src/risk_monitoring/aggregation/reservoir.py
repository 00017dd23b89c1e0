"""A uniform fixed-size sample of a stream of unknown length (Li's Algorithm L).

Algorithm L draws O(k log(n/k)) random numbers instead of one per item, which matters on a
stream of millions of lines: the caller asks ``wants(position)`` (a comparison) for every item
and builds the item only when it is wanted.
"""

from __future__ import annotations

import math
import random
from typing import Generic, TypeVar

Item = TypeVar("Item")


class Reservoir(Generic[Item]):
    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.items: list[Item] = []
        self._random = random.Random(seed)  # noqa: S311 - sampling, not security
        # 0-based position of the next item to keep once the reservoir is full.
        self._next = size - 1
        self._weight = 1.0
        if size > 0:
            self._advance()

    def _advance(self) -> None:
        # 1 - random() lies in (0, 1]: log() is defined; the weight stays below 1.
        self._weight *= math.exp(math.log(1.0 - self._random.random()) / self.size)
        weight = min(self._weight, 1.0 - 1e-12)
        skip = math.floor(math.log(1.0 - self._random.random()) / math.log(1.0 - weight))
        self._next += skip + 1

    def wants(self, position: int) -> bool:
        return self.size > 0 and (position < self.size or position == self._next)

    def offer(self, position: int, item: Item) -> None:
        """Keep ``item`` (call only when ``wants(position)``)."""
        if position < self.size:
            self.items.append(item)
        else:
            self.items[self._random.randrange(self.size)] = item
            self._advance()
