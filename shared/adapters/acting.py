"""Who is acting: the audit's actor (CONTRACT §12) for the request or run in progress.

The entry point says who acts — an API key (by name, never the key), a webhook source, a
schedule, the CLI's operator — and every event written while it runs carries that actor in its
envelope (``outbox.outbox_put``, the one writer of event items). A context variable, not a
parameter through every service: it rides on the event the change already writes, so auditing
costs no request and no service changes. Each API request and each schedule run sets its own.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

Actor = dict[str, Any]
SYSTEM: Actor = {"kind": "system", "name": "closeloop"}  # a stream consumer, nobody in particular

_actor: ContextVar[Actor | None] = ContextVar("closeloop_actor", default=None)


def current_actor() -> Actor:
    return dict(_actor.get() or SYSTEM)


def set_actor(actor: Actor | None) -> None:
    """Who acts from here on in this request (the API's wrapper resets it per request)."""
    _actor.set(actor)


@contextmanager
def acting_as(actor: Actor | None) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def webhook_actor(source: str) -> Actor:
    return {"kind": "webhook", "name": source}


def cli_actor() -> Actor:
    """The operator at the terminal: their login, as the CLI's changes are recorded."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return {"kind": "cli", "name": user}


def on_schedule(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A schedule's handler: what it changes is done by the schedule."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(handler)
        def run(*args: Any, **kwargs: Any) -> Any:
            with acting_as({"kind": "schedule", "name": name}):
                return handler(*args, **kwargs)

        return run

    return decorate
