"""Ids derived from what they name: the same email is one lead, the same envelope one contract,
a retried change makes the same ids — so creating something twice is refused by its key.

A deployment may salt them with a namespace (Settings ``id_namespace``): the derived ids of two
deployments then differ even for the same email or envelope. The local stack takes a fresh one
each time it starts, because it forgets its data when it stops while the systems it posted to
(the sample finance receiver, an ERP) remember the ids they saw and would drop the new stack's
invoice as a repeat. A deployed stage keeps its namespace for life (empty by default): changing
it would give a known lead a second id.
"""

from __future__ import annotations

import hashlib

_namespace = ""


def use_namespace(namespace: str) -> None:
    """This process's namespace, from its settings (the container sets it when it is built)."""
    global _namespace
    _namespace = namespace


def derived_id(prefix: str, key: str, length: int = 20) -> str:
    """``prefix`` + the first ``length`` hex digits of SHA-256 of the namespace and ``key``."""
    salted = f"{_namespace}|{key}" if _namespace else key
    return prefix + hashlib.sha256(salted.encode("utf-8")).hexdigest()[:length]
