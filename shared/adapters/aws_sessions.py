"""One botocore data loader for the whole process.

PynamoDB makes a botocore session per connection (one per model class), Powertools and boto3
make their own; each new session parses the DynamoDB service model again (~50 ms). Sessions
that share one loader parse it once, which is most of a cold start's first-request cost.
Sessions stay separate (a botocore session is not thread-safe); only the read-mostly model
cache is shared.
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.session

_lock = threading.Lock()
_loader: Any = None
_installed = False


def session() -> botocore.session.Session:
    """A new botocore session that reads service models through the shared loader."""
    global _loader
    fresh = botocore.session.get_session()
    with _lock:
        if _loader is None:
            _loader = fresh.get_component("data_loader")
        else:
            fresh.register_component("data_loader", _loader)
    return fresh


def share_service_models() -> None:
    """Make PynamoDB's connections and boto3's default session use :func:`session`. Idempotent."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    import boto3
    import pynamodb.connection.base as pynamodb_base

    pynamodb_base.get_session = session  # type: ignore[attr-defined]
    boto3.setup_default_session(botocore_session=session())
