"""Browser origins: which pages may post to a public source — the origins its row allows
(:func:`check_public_origin`) and development origins, a developer's own pages posting to the
local stack.

A page being built is served from ``http://localhost:<port>`` or ``http://127.0.0.1:<port>``
(any dev server), or opened from disk, for which browsers send ``Origin: null``. No source
lists those origins, and in AWS they must never post: a deployed stack has no "this machine",
and ``null`` is also what sandboxed frames and some cross-site redirects send. So whether they
may post is one explicit setting, :class:`DevOrigins`, that only the local stack sets
(``closeloop dev --allow-dev-origins``); a deployed stack always has ``NEVER``.
"""

from __future__ import annotations

import re
from enum import Enum
from urllib.parse import urlsplit

from shared.kernel.domain.errors import Forbidden
from shared.rules.domain.rules import Source

# What browsers send for a page with an opaque origin: a file opened from disk.
OPAQUE_ORIGIN = "null"
# A serialized origin on a loopback host, any port (browsers send origins in this form).
_LOOPBACK_ORIGIN = re.compile(r"https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?", re.IGNORECASE)

DEV_ORIGINS_HINT = (
    "pages on localhost, 127.0.0.1 or opened from disk may post to the local stack "
    "when it runs as closeloop dev --allow-dev-origins (or CLOSELOOP_DEV_ORIGINS=on)"
)


class DevOrigins(Enum):
    """May development origins post to a public source (and be its `_redirect` target)?"""

    NEVER = "never"  # a deployed stack: only each source's allowed_origins
    REFUSED = "refused"  # the local stack without the flag: refused, and the refusal says how to allow them
    ALLOWED = "allowed"  # closeloop dev --allow-dev-origins


def is_dev_origin(origin: str) -> bool:
    """True for ``null`` and for http(s) origins on localhost, 127.0.0.1 or [::1], any port."""
    return origin == OPAQUE_ORIGIN or _LOOPBACK_ORIGIN.fullmatch(origin) is not None


def dev_origin_allowed(origin: str, dev_origins: DevOrigins) -> bool:
    return dev_origins is DevOrigins.ALLOWED and is_dev_origin(origin)


def refusal_hint(origin: str, dev_origins: DevOrigins) -> str:
    """What to add to a refusal of `origin`: on the local stack, how to allow a dev origin."""
    return f"; {DEV_ORIGINS_HINT}" if dev_origins is DevOrigins.REFUSED and is_dev_origin(origin) else ""


def origin_of(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default_port = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        return None
    suffix = f":{port}" if port and port != default_port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{suffix}"


def origin_allowed(origin: str, source: Source, dev_origins: DevOrigins = DevOrigins.NEVER) -> bool:
    """One of the source's allowed origins, or a development origin where the local stack allows them."""
    if dev_origin_allowed(origin, dev_origins):
        return True
    wanted = origin_of(origin)
    return wanted is not None and wanted in {origin_of(o) for o in source.allowed_origins}


def check_public_origin(origin: str | None, source: Source, dev_origins: DevOrigins = DevOrigins.NEVER) -> None:
    if origin is not None and not origin_allowed(origin, source, dev_origins):
        raise Forbidden(
            f"origin {origin[:100]!r} is not allowed to post to source {source.source!r}"
            + refusal_hint(origin, dev_origins)
        )
