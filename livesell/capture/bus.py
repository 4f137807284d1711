"""In-process event bus: services publish domain events after commit; listeners react.

Listeners are plain callables and must not block: the realtime layer only marks what changed
and lets its own tick do the work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from ..domain.events import Event

log = logging.getLogger(__name__)
Listener = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, events: Iterable[Event]) -> None:
        for event in events:
            for listener in list(self._listeners):
                try:
                    listener(event)
                except Exception:  # one broken listener must not stop the others
                    log.exception("event listener failed on %s", type(event).__name__)
