"""Where a form post may send the browser next (`_redirect`): only to an allowed origin.

Python's `urlsplit` and a browser do not read every URL alike (`https://evil.com\\@allowed/`
is `allowed` to one and `evil.com` to the other), so this module does not ask whether a URL
*could* be read as allowed: it accepts only the plain form both read the same way, and
compares hosts the way browsers do (WHATWG URL: lower case, IDNA/UTS #46, default ports).
Anything else is refused with `InvalidRedirect`.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

import idna

from shared.kernel.domain.errors import InvalidRedirect
from shared.leads.domain.origins import DevOrigins, dev_origin_allowed, refusal_hint

MAX_REDIRECT_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}

# scheme "://" authority rest; the authority ends at the first "/", "?" or "#" (a backslash, which
# browsers also treat as "/" there, is refused before this is used).
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?([^/?#]*)(.*)", re.DOTALL)
_PORT = re.compile(r"[0-9]{0,5}")
# RFC 3986 reserved and unreserved characters, and "%" so existing escapes stay as they are.
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~-._"


def _refuse(reason: str) -> InvalidRedirect:
    return InvalidRedirect(f"_redirect {reason}", fields={"_redirect": reason})


def _has_invisible(url: str) -> bool:
    """Controls, whitespace of any kind and format characters (bidi, zero-width): browsers drop
    or reinterpret some of them, and people cannot see any of them."""
    return any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp", "Zs") for ch in url)


def _host(host: str) -> str:
    """The host as a browser's URL parser leaves it (ASCII, lower case), or a ValueError."""
    if host.startswith("[") and host.endswith("]"):
        return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
    if not host or any(ch in host for ch in ":%[]<>^|'\"` "):  # forbidden in hosts (WHATWG), and quotes
        raise ValueError("not a host name")
    ascii_host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
    return ascii_host.lower()


def _parse(url: str) -> tuple[str, str, str, str]:
    """(scheme, host, port suffix, rest) of an absolute http(s) URL in plain form, or InvalidRedirect."""
    if len(url) > MAX_REDIRECT_LENGTH:
        raise _refuse(f"is longer than {MAX_REDIRECT_LENGTH} characters")
    if _has_invisible(url):
        raise _refuse("must not contain whitespace or control characters")
    if "\\" in url:
        raise _refuse("must not contain backslashes")
    match = _URL.fullmatch(url)
    if match is None:
        raise _refuse("must be an absolute http:// or https:// URL")
    scheme, slashes, authority, rest = match.groups()
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise _refuse("must be an http:// or https:// URL")
    if not slashes or not authority:
        raise _refuse("must name a host (https://host/path)")
    if "@" in authority:
        raise _refuse("must not contain a user name or password")
    if "%" in authority:
        raise _refuse("must not have %-escapes in its host")
    host, _, port = authority.rpartition(":") if not authority.endswith("]") else (authority, "", "")
    if not host:  # no ":" at all
        host, port = authority, ""
    if not _PORT.fullmatch(port):
        raise _refuse("has a port that is not a number")
    if port and int(port) > 65535:
        raise _refuse("has a port out of range")
    suffix = f":{int(port)}" if port and int(port) != DEFAULT_PORTS[scheme] else ""
    try:
        ascii_host = _host(host)
    except (ValueError, idna.IDNAError):
        raise _refuse("has a host name that is not valid") from None
    return scheme, ascii_host, suffix, rest


def _origin(url: str) -> str | None:
    try:
        scheme, host, suffix, _ = _parse(url.strip())
    except InvalidRedirect:
        return None
    return f"{scheme}://{host}{suffix}"


def redirect_target(url: str, allowed_origins: Iterable[str], dev_origins: DevOrigins = DevOrigins.NEVER) -> str:
    """The URL to send the browser to, in plain ASCII form, if its origin is allowed (one of
    `allowed_origins`, or a page on localhost or 127.0.0.1 when `dev_origins` allows them).

    Raises InvalidRedirect (400 `invalid_redirect`) for anything that is not plainly an
    http(s) URL on one of `allowed_origins`: backslashes, controls or whitespace anywhere,
    user info, %-escapes in the host, other schemes, no host, another host or port, or a URL
    longer than MAX_REDIRECT_LENGTH. The answer has an ASCII (punycode) lower-case host, no
    default port, and non-ASCII characters of the path, query and fragment %-encoded, so it is
    safe to put in a `Location` header as it is.
    """
    if not isinstance(url, str):
        raise _refuse("must be text")
    scheme, host, suffix, rest = _parse(url)
    origin = f"{scheme}://{host}{suffix}"
    allowed = {o for o in (_origin(a) for a in allowed_origins if isinstance(a, str)) if o}
    if origin not in allowed and not dev_origin_allowed(origin, dev_origins):
        reason = "must be on one of this source's allowed origins"
        raise InvalidRedirect(f"_redirect {reason}{refusal_hint(origin, dev_origins)}", fields={"_redirect": reason})
    return origin + quote(rest, safe=_URL_SAFE)
