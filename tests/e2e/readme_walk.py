"""The README's walkthrough as a script: the blocks marked ``<!-- walk -->``, run in one bash in
order (so the ids they capture carry on), with each answer the README shows (``# → 201 {…}``)
checked against the answer the API gave just before it.

An answer as the README shows it is JSON with ``…`` for what varies: ``"ld_…"`` (a string
starting ``ld_``), ``{…}`` or a bare ``…`` (any value), ``, …}`` (more keys; every object is
matched on the keys it shows anyway) and ``, …]`` (more elements). ``# → 409`` alone checks the
status only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

WALK_MARK = "<!-- walk -->"
SETUP_MARK = "<!-- walk: setup -->"
ANY = "\x00…"  # stands for any value in a parsed shape
_ANSWER = re.compile(r"^\s*# → (\d{3})\b\s*(.*)$")
_CONTINUED = re.compile(r"^\s*#\s{2,}(\S.*)$")  # an answer's next line: "#        "key": …"
_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Expected:
    line: int  # in README.md, 1-based
    status: int
    shape: Any  # None: the status only


@dataclass(frozen=True)
class Block:
    line: int  # the fence's line in README.md, 1-based
    code: str


def blocks(readme: str, mark: str = WALK_MARK) -> list[Block]:
    """The fenced blocks right after a line that is ``mark``."""
    lines = readme.splitlines()
    found: list[Block] = []
    for i, line in enumerate(lines):
        if line.strip() != mark or i + 1 >= len(lines) or not _FENCE.match(lines[i + 1]):
            continue
        end = next(j for j in range(i + 2, len(lines)) if lines[j].startswith("```"))
        found.append(Block(i + 2, "\n".join(lines[i + 2 : end])))
    return found


def script(walk: list[Block]) -> tuple[str, list[Expected]]:
    """One bash script of the blocks; at each shown answer a ``__expect N`` line (the answer N
    of the returned list) after its comment, and a ``__block LINE`` line at each block's start."""
    out: list[str] = []
    expected: list[Expected] = []
    for block in walk:
        out.append(f"__block {block.line}")
        lines = block.code.splitlines()
        i = 0
        while i < len(lines):
            line, number = lines[i], block.line + 1 + i
            match = _ANSWER.match(line)
            out.append(line)
            i += 1
            if match is None:
                continue
            text = match.group(2)
            while i < len(lines) and (more := _CONTINUED.match(lines[i])):
                out.append(lines[i])
                text += " " + more.group(1)
                i += 1
            expected.append(Expected(number, int(match.group(1)), shape_of(text) if text.startswith("{") else None))
            out.append(f"__expect {len(expected) - 1}")
    return "\n".join(out) + "\n", expected


def shape_of(text: str) -> Any:
    """The README's JSON-with-``…`` as a value :func:`problems` can match."""
    any_value = '"\\u0000…"'  # ANY, as JSON text
    text = re.sub(r"\{…\}", lambda _: any_value, text)
    text = re.sub(r",\s*…\s*\}", "}", text)
    text = re.sub(r",\s*…\s*\]", lambda _: f", {any_value}]", text)
    out, in_string, escaped = [], False, False
    for ch in text:
        if in_string:
            in_string = not (ch == '"' and not escaped)
            escaped = ch == "\\" and not escaped
            out.append(ch)
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif ch == "…":
            out.append(any_value)
        else:
            out.append(ch)
    return json.loads("".join(out))


def problems(shape: Any, actual: Any, where: str = "$") -> list[str]:
    """Where ``actual`` differs from ``shape``: nothing when it matches."""
    if shape == ANY:
        return []
    if isinstance(shape, str) and "…" in shape:
        pattern = ".*".join(re.escape(part) for part in shape.split("…"))
        ok = isinstance(actual, str) and re.fullmatch(pattern, actual, re.DOTALL) is not None
        return [] if ok else [f"{where}: {actual!r} is not like {shape!r}"]
    if isinstance(shape, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        found: list[str] = []
        for key, value in shape.items():
            if key not in actual:
                found.append(f"{where}: no {key!r} (keys: {sorted(actual)})")
            else:
                found += problems(value, actual[key], f"{where}.{key}")
        return found
    if isinstance(shape, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        more = bool(shape) and shape[-1] == ANY
        listed = shape[:-1] if more else shape
        if len(actual) < len(listed) or (not more and len(actual) != len(listed)):
            return [f"{where}: {len(actual)} elements, the README shows {len(listed)}{' or more' if more else ''}"]
        return [p for i, item in enumerate(listed) for p in problems(item, actual[i], f"{where}[{i}]")]
    return [] if shape == actual else [f"{where}: {actual!r}, the README shows {shape!r}"]


PRELUDE = r"""
set -eo pipefail
__block() { __at="README.md block at line $1"; }
trap 'echo "the walk stopped in the $__at (exit $?)" >&2' ERR
curl() {  # curl as typed, and each answer (status, body) noted for the checks
  local out status
  out=$(command curl -sS -w '\n%{http_code}' "$@")
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  printf '%s\n' "$out"
  printf 'ANSWER\t%s\t%s\n' "$status" "$(printf '%s' "$out" | tr '\n\t' '  ')" >> "$WALK_LOG"
}
__expect() { printf 'EXPECT\t%s\n' "$1" >> "$WALK_LOG"; }
"""


def answers_at_marks(log: str) -> dict[int, tuple[int, Any]]:
    """For each ``__expect N`` reached, the answer noted last before it (status, parsed body)."""
    last: tuple[int, Any] | None = None
    found: dict[int, tuple[int, Any]] = {}
    for line in log.splitlines():
        kind, _, rest = line.partition("\t")
        if kind == "ANSWER":
            status, _, body = rest.partition("\t")
            try:
                parsed: Any = json.loads(body) if body.strip() else None
            except json.JSONDecodeError:
                parsed = body
            last = (int(status), parsed)
        elif kind == "EXPECT" and last is not None:
            found[int(rest)] = last
    return found
