"""Comparing two rules versions, tab by tab, in words an ops person reads.

Rows are matched by the columns that name them (an owner by owner_id, a routing row by its
priority, ...); a row whose name is new is added, one whose name is gone is removed, and a
row whose other cells differ is changed — with the cells that changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.rules.domain.rules import Content
from shared.time.domain.calendar_cells import PUBLIC_HOLIDAYS_TAB

# The columns that name a row of each tab (its identity across versions).
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "Settings": ("key",),
    "Sources": ("source",),
    "Owners": ("owner_id",),
    "Tiers": ("priority",),
    "Routing": ("priority",),
    "Scoring": ("rule_id",),
    "Industries": ("value",),
    "Regions": ("country", "province"),
    "Products": ("sku",),
    "Discounts": ("priority",),
    "Stages": ("stage",),
    "Calendars": ("calendar",),
    "Holidays": ("calendar", "date"),
    "SLA": ("kind", "priority", "grade", "tier"),
    "Renewals": ("days_before",),
    "Health": ("dimension",),
}


@dataclass
class TabDiff:
    tab: str
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)  # {"row": name, "cells": {col: [old, new]}}

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> dict[str, Any]:
        return {"tab": self.tab, "added": self.added, "removed": self.removed, "changed": self.changed}


def _name(tab: str, row: dict[str, Any]) -> str:
    keys = ROW_KEYS.get(tab) or tuple(sorted(row))
    return " / ".join(_show(row.get(k)) for k in keys)


def _show(value: Any) -> str:
    if value is None or value == []:
        return "(blank)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def diff_content(old: Content, new: Content) -> list[TabDiff]:
    """Per tab, the rows added, removed and changed from ``old`` to ``new``."""
    result = []
    for tab in dict.fromkeys([*old, *new]):
        if tab == PUBLIC_HOLIDAYS_TAB:  # derived when published, not the workbook's rules
            continue
        before = {_name(tab, r): r for r in old.get(tab, [])}
        after = {_name(tab, r): r for r in new.get(tab, [])}
        tab_diff = TabDiff(tab)
        tab_diff.added = [after[n] for n in after if n not in before]
        tab_diff.removed = [before[n] for n in before if n not in after]
        for name in (n for n in after if n in before):
            cells = {
                col: [before[name].get(col), after[name].get(col)]
                for col in dict.fromkeys([*before[name], *after[name]])
                if before[name].get(col) != after[name].get(col)
            }
            if cells:
                tab_diff.changed.append({"row": name, "cells": cells})
        if not tab_diff.empty:
            result.append(tab_diff)
    return result


def describe(diffs: list[TabDiff]) -> list[str]:
    """The diff as lines of text, e.g. ``Routing: 1 row changed`` then
    ``  ~ priority 40: team: SMB East → SMB North``."""
    if not diffs:
        return ["no differences: both versions hold the same rules"]
    lines = []
    for d in diffs:
        counts = ((len(d.added), "added"), (len(d.removed), "removed"), (len(d.changed), "changed"))
        lines.append(f"{d.tab}: " + ", ".join(f"{n} row{'s' if n != 1 else ''} {what}" for n, what in counts if n))
        lines += [f"  + {_label(d.tab, _name(d.tab, row))}: {_summary(row)}" for row in d.added]
        lines += [f"  - {_label(d.tab, _name(d.tab, row))}" for row in d.removed]
        for change in d.changed:
            cells = "; ".join(f"{col}: {_show(old)} → {_show(new)}" for col, (old, new) in change["cells"].items())
            lines.append(f"  ~ {_label(d.tab, change['row'])}: {cells}")
    return lines


def _label(tab: str, name: str) -> str:
    """A row named by a number says which number it is: ``priority 40``, not ``40``."""
    keys = ROW_KEYS.get(tab, ())
    if len(keys) == 1 and keys[0] in ("priority", "days_before", "order"):
        return f"{keys[0]} {name}"
    return name


def _summary(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_show(v)}" for k, v in row.items() if v not in (None, [], ""))
