"""Every command the docs name exists as written, so none goes stale silently (issue 16).

The blocks a local stack can run are executed (``<!-- walk -->``: the README's in
tests/e2e/test_readme_walk.py, docs/'s beside it); the rest need AWS or Google. For those, and for
every command the docs show, this checks without running anything:

- ``closeloop …`` in a fenced block parses with the CLI's own parser (placeholders such as
  ``<id>`` are values like any other); in running text (``closeloop rules sync [--dry-run]``,
  a synopsis) its sub-commands and every ``--option`` it names exist;
- ``aws SERVICE OPERATION --option …``: the service, the operation and each option are in the AWS
  API models the CLI is built from (botocore's), or are the CLI's global options;
- ``make TARGET VAR=…``: the Makefile has the target and uses the variable.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^\s*```(\w*)[^`]*$")  # in a list item too (indented); attributes after the language
_SPAN = re.compile(r"`((?:\.venv/bin/)?closeloop [^`]+)`")
_OPERATORS = {"|", "||", "&&", ";", "&", "(", ")", ">", ">>", "<", "2>", "$("}
ELLIPSIS = ("…", "...")
AWS_GLOBAL_OPTIONS = {"--query", "--output", "--region", "--profile", "--debug", "--endpoint-url", "--no-paginate",
                      "--cli-binary-format", "--no-cli-pager"}  # fmt: skip
PROGRAMS = ("closeloop", ".venv/bin/closeloop", "aws", "make")


@dataclass(frozen=True)
class Command:
    where: str  # "docs/deploy.md:38"
    words: tuple[str, ...]
    fenced: bool  # from a fenced block (parsed whole), else from running text (names checked)


def _logical_lines(code: str, first: int) -> Iterator[tuple[int, str]]:
    """Lines with their ``\\`` continuations joined, each with its first line number."""
    pending, start = "", first
    for number, line in enumerate(code.splitlines(), first):
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def _segments(line: str) -> Iterator[list[str]]:
    """The simple commands of a shell line: words split at operators, comments dropped."""
    line = re.sub(r"<[^<>]*>", lambda m: m.group(0).replace(" ", "_"), line)  # <spreadsheet id>: one value
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")  # not <>: <stage> is a placeholder
    lexer.whitespace_split, lexer.commenters = True, "#"
    try:
        words = list(lexer)
    except ValueError:  # an unclosed quote: a line of a multi-line string, not a command
        return
    segment: list[str] = []
    for word in words:
        if word in _OPERATORS or set(word) <= set(";&|()<>"):
            yield segment
            segment = []
        else:
            segment.append(word)
    yield segment


def _program_words(segment: list[str]) -> tuple[str, ...] | None:
    """The command's words from its program on (``VAR=x cmd …`` and ``$(cmd …`` allowed)."""
    words = [w.removeprefix("$(") for w in segment]
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        words = words[1:]
    if words and words[0] in PROGRAMS:
        return tuple(w for w in words if w not in ELLIPSIS)
    return None


def commands() -> list[Command]:
    found: list[Command] = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(ROOT).as_posix()
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            fence = _FENCE.match(lines[i])
            if fence is None:
                i += 1
                continue
            end = next(j for j in range(i + 1, len(lines)) if lines[j].lstrip().startswith("```"))
            if fence.group(1) in ("bash", "sh", "shell"):
                for number, line in _logical_lines("\n".join(lines[i + 1 : end]), i + 2):
                    for segment in _segments(line):
                        words = _program_words(segment)
                        if words:
                            found.append(Command(f"{name}:{number}", words, True))
            i = end + 1
        for match in _SPAN.finditer(text):
            number = text.count("\n", 0, match.start()) + 1
            found.append(Command(f"{name}:{number}", tuple(match.group(1).split()), False))
    return found


COMMANDS = commands()


def _ids(program: tuple[str, ...]) -> list[Command]:
    return [c for c in COMMANDS if c.words[0] in program]


# ------------------------------------------------------------------ closeloop


@functools.cache
def _cli() -> argparse.ArgumentParser:
    from infra.cli import _parser

    return _parser()


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _named_options_problems(words: tuple[str, ...]) -> list[str]:
    """A synopsis in running text: each sub-command (``a\\|b`` alternatives too) and every
    ``--option`` it names exist; placeholders (``<kind>``, ``KIND/ID``) are not checked."""
    parsers = [_cli()]
    rest = list(words[1:])
    while rest and _subcommands(parsers[0]):
        word = rest[0]
        if word.startswith(("<", "[", "-")) or word.isupper() or word in ELLIPSIS:
            break
        choices = word.replace("\\|", "|").split("|")
        unknown = [c for c in choices if c not in _subcommands(parsers[0])]
        if unknown:
            return [f"no command {' '.join(words[: len(words) - len(rest)])} {unknown[0]}"]
        parsers = [_subcommands(parsers[0])[c] for c in choices]
        rest = rest[1:]
    problems = []
    for word in rest:
        for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", word):
            for parser in parsers:
                if option not in parser._option_string_actions:
                    problems.append(f"{parser.prog} has no option {option}")
    return problems


@pytest.mark.parametrize("command", _ids(("closeloop", ".venv/bin/closeloop")), ids=lambda c: c.where)
def test_each_closeloop_command_the_docs_show_exists(command: Command) -> None:
    if not command.fenced:
        assert _named_options_problems(command.words) == [], " ".join(command.words)
        return
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
        try:
            _cli().parse_args(list(command.words[1:]))
        except SystemExit as exc:
            assert not exc.code, f"{' '.join(command.words)}: {errors.getvalue().strip()}"


# ------------------------------------------------------------------ aws


@pytest.mark.parametrize("command", _ids(("aws",)), ids=lambda c: c.where)
def test_each_aws_command_the_docs_show_names_a_real_operation_and_options(command: Command) -> None:
    import botocore.session
    from botocore import xform_name

    session = botocore.session.get_session()
    service, operation, *rest = command.words[1:]
    assert service in session.get_available_services(), f"aws has no service {service}"
    model = session.get_service_model(service)
    operations = {xform_name(name, "-"): name for name in model.operation_names}
    assert operation in operations, f"aws {service} has no command {operation}"
    shape = model.operation_model(operations[operation]).input_shape
    options = {f"--{xform_name(member, '-')}" for member in (shape.members if shape else {})}
    for word in rest:
        if word.startswith("--"):
            assert word in options | AWS_GLOBAL_OPTIONS, f"aws {service} {operation} has no option {word}"


# ------------------------------------------------------------------ make


@pytest.mark.parametrize("command", _ids(("make",)), ids=lambda c: c.where)
def test_each_make_command_the_docs_show_has_its_target_and_variables(command: Command) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([A-Za-z0-9_.-]+):", makefile, re.MULTILINE))
    for word in command.words[1:]:
        if "=" in word:
            variable = word.split("=", 1)[0]
            assert f"$({variable})" in makefile, f"the Makefile does not use {variable}"
        elif not word.startswith("-"):
            assert word in targets, f"the Makefile has no target {word}"


def test_the_docs_show_commands_of_each_kind() -> None:
    """The checks above have something to check: a page reorganised must not leave them empty."""
    where = {c.where.split(":")[0] for c in COMMANDS}
    assert {"README.md", "docs/deploy.md", "docs/admin-sheets.md"} <= where
    assert len(_ids(("aws",))) >= 8 and len(_ids(("make",))) >= 3 and len(_ids(("closeloop",))) >= 40
