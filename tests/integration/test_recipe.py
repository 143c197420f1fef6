"""docs/architecture.md's recipe for an aggregate is honest: its blocks, applied to a copy of the
repository, make a working RMA that every consistency check accepts, and they touch exactly the
files they name.

A block's info string names its target (docs/architecture.md, "Adding an aggregate"):
``file=PATH`` alone is a new file; with ``after="TEXT"`` or ``before="TEXT"`` its lines go after or
before the one line of PATH containing TEXT; ``run writes=A,B`` is a command run in the copy whose
outputs A and B are committed (generated files).
"""

from __future__ import annotations

import filecmp
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTION = "### Adding an aggregate"
_BLOCK = re.compile(r"^```(?P<info>[^`\n]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_CACHES = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}

# what the copy is checked with: the consistency tests of template, models, settings, routes, the
# description, scopes, events, the generated docs and the floor plan (the new modules in their
# capability's folders) — and the RMA through the app
CHECKS = (
    "tests/unit/test_routes.py",
    "tests/unit/test_openapi.py",
    "tests/unit/test_error_statuses.py",
    "tests/unit/test_generated_docs.py",
    "tests/unit/messages/test_event_models.py",
    "tests/unit/architecture",
    "tests/integration/test_consistency.py",
    "tests/integration/local/test_settings.py",
    "tests/integration/local/test_template.py",
    "tests/integration/local/test_deploy_template.py",
    "tests/integration/access/test_scopes.py",
)
WORKS = "tests/integration/test_rma_works.py"  # written into the copy after the files are compared
WORKS_TEXT = """
import json
from datetime import UTC, datetime

from chalice.test import Client

from functions.api.app import app
from shared.adapters.dynamo.models import EventItem
from tests.conftest import ADMIN_KEY
from tests.unit.services.orders_helpers import make_order


def test_an_rma_opened_is_read_back(clean_aws):
    order = make_order(clean_aws.uow, clean_aws.rules.current(), datetime.now(UTC))
    headers = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
    sku = order.lines[0]["sku"]
    opening = {"order_id": order.order_id, "reason": "arrived damaged", "lines": [{"sku": sku, "quantity": 1}]}
    with Client(app) as client:
        opened = client.http.post("/rmas", headers=headers, body=json.dumps(opening))
        assert opened.status_code == 201, opened.body
        rma = json.loads(opened.body)
        read = client.http.get(f"/rmas/{rma['rma_id']}", headers=headers)
        assert read.status_code == 200 and json.loads(read.body) == rma, read.body
        assert rma["lines"] == [{"sku": sku, "quantity": 1}] and rma["version"] == 1
        missing = client.http.get("/rmas/rm_none", headers=headers)
        assert (missing.status_code, json.loads(missing.body)["error"]["code"]) == (404, "rma_not_found")
        unknown = client.http.post("/rmas", headers=headers, body=json.dumps({"order_id": "or_x", "reason": "x"}))
        assert unknown.status_code == 404, unknown.body
    assert [e.subject for e in EventItem.scan() if e.type == "RmaOpened"] == ["rma/" + rma["rma_id"]]
"""


@dataclass(frozen=True)
class Block:
    target: str | None  # the file, or None for a command
    body: str
    after: str | None = None
    before: str | None = None
    writes: tuple[str, ...] = ()  # what a command writes

    def apply(self, root: Path, env: dict[str, str]) -> None:
        if self.target is None:
            run = subprocess.run(self.body, shell=True, cwd=root, env=env, capture_output=True, text=True, timeout=120)
            assert run.returncode == 0, f"{self.body.strip()}:\n{run.stdout[-3000:]}{run.stderr[-3000:]}"
            return
        path = root / self.target
        anchor = self.after or self.before
        if anchor is None:
            assert not path.exists(), f"{self.target} exists: a block without after/before makes a new file"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.body, encoding="utf-8")
            return
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        found = [i for i, line in enumerate(lines) if anchor in line]
        assert len(found) == 1, f"{self.target}: {anchor!r} must be on exactly one line, is on {len(found)}"
        at = found[0] + (1 if self.after is not None else 0)
        path.write_text("".join([*lines[:at], self.body, *lines[at:]]), encoding="utf-8")


def recipe() -> list[Block]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start)
    blocks = []
    for match in _BLOCK.finditer(text[start : end if end > 0 else None]):
        words = shlex.split(match["info"])
        options = dict(word.split("=", 1) for word in words[1:] if "=" in word)
        if "run" in words[1:]:
            blocks.append(Block(None, match["body"], writes=tuple(options["writes"].split(","))))
        elif "file" in options:
            blocks.append(Block(options["file"], match["body"], options.get("after"), options.get("before")))
    return blocks


def _files(root: Path) -> set[str]:
    found = set()
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _CACHES]
        found.update(str((Path(folder) / name).relative_to(root)) for name in names)
    return found


def test_the_recipe_makes_a_working_rma_touching_only_the_files_it_names(tmp_path: Path) -> None:
    blocks = recipe()
    named = {b.target for b in blocks if b.target} | {w for b in blocks for w in b.writes}
    assert len(blocks) >= 8 and "template.yaml" in named  # the section was found and read

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    copy = tmp_path / "repo"
    for name in tracked:
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    env = {
        **os.environ,
        "PYTHONPATH": str(copy),  # the copy's packages, before the editable install's
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for block in blocks:
        block.apply(copy, env)

    changed = {name for name in _files(copy) if name not in tracked or not filecmp.cmp(ROOT / name, copy / name)}
    assert changed == named, f"touched but not named: {changed - named}; named but untouched: {named - changed}"

    new = sorted(name for name in named if name.endswith(".py") and not (ROOT / name).exists())
    for command in (
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy", *new],  # strict, following what they import: the shared declarations they use too
        ["python", "-m", "pytest", "-q", "-x", "-n", "0", *CHECKS, WORKS],
    ):
        if command[0] == "python":
            (copy / WORKS).write_text(WORKS_TEXT, encoding="utf-8")
        result = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-6000:]}{result.stderr[-2000:]}"
