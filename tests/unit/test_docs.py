"""The ops guide stays in step with the one tab declaration."""

from pathlib import Path

from admin_sheets.tabs import TABS

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "admin-sheets.md").read_text(encoding="utf-8")


def test_the_ops_guide_explains_every_tab_and_column():
    missing = [
        f"{tab.name}.{column.name}"
        for tab in TABS
        for column in tab.columns
        if f"`{column.name}`" not in GUIDE or tab.name not in GUIDE
    ]
    assert missing == []
