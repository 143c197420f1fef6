"""What README and the ops guide quote from the command line is what it prints."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest

from infra.cli_rules import sync_outcome
from infra.local.console import Console
from shared.kernel.domain.errors import Forbidden
from shared.leads.domain.origins import DevOrigins, check_public_origin
from shared.rules.domain.rules import Source

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _result(status: str, live: str, problems: int = 0) -> SimpleNamespace:
    return SimpleNamespace(status=status, version_id=live, problems=["x"] * problems)


@pytest.mark.parametrize(
    "result",
    [_result("published", "v2-…"), _result("rejected", "v1-…", problems=3), _result("held", "v1-…")],
    ids=lambda r: r.status,
)
def test_the_sync_outcomes_readme_quotes(result: SimpleNamespace) -> None:
    assert f"`{sync_outcome(result, 'SOURCE')}`" in README


def test_the_console_lines_readme_quotes() -> None:
    stream = io.StringIO()
    console = Console(stream)
    console.request("POST", "/webhooks/leads/website", 201, 35.2)
    console.event({"type": "LeadCaptured", "subject": "lead/ld_…"})
    for line in stream.getvalue().splitlines():
        assert f"`{line.split('  ', 1)[1]}`" in README  # less the time of day


def test_the_refusal_of_a_dev_page_readme_quotes() -> None:
    website = Source("website", "public", allowed_origins=("https://www.example.com",))
    with pytest.raises(Forbidden) as refused:
        check_public_origin("http://localhost:5500", website, DevOrigins.REFUSED)
    assert f"\n{refused.value.message}\n" in README
