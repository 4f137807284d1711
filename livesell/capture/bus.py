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
        # A tuple, replaced when listeners come or go: publishing (several events per
        # comment) iterates it without copying, and a listener that unsubscribes while
        # being told changes only the next event's tuple.
        self._listeners: tuple[Listener, ...] = ()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns a function that removes it."""
        self._listeners += (listener,)
        return lambda: self._remove(listener)

    def _remove(self, listener: Listener) -> None:
        listeners = list(self._listeners)
        listeners.remove(listener)
        self._listeners = tuple(listeners)

    def publish(self, events: Iterable[Event]) -> None:
        for event in events:
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:  # one broken listener must not stop the others
                    log.exception("event listener failed on %s", type(event).__name__)
