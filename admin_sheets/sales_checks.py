"""Publishing checks of the sales tabs (CONTRACT §2.6, §2.7): Stages exit criteria in the
vocabulary, a discount matrix every quote falls in, no row that can never apply, and an
approver of every role a row names above every seller."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from admin_sheets.model import Problem, Row, Sheet
from shared.rules.domain.rules import Owner, escalation_target
from shared.sales.domain.discounts import DiscountRule, analyse, describe
from shared.sales.domain.stages import LOST, criterion_problem

Sheets = dict[str, Sheet]
# who owns opportunities and so quotes: each needs an approver of every role above them
SELLER_ROLES = ("sdr", "ae", "senior_ae", "am")
MAX_NAMED = 3  # sellers named per problem


def check_stages(sheets: Sheets) -> Iterable[Problem]:
    sheet = sheets["Stages"]
    for row in sheet.rows:
        stage = row.values.get("stage")
        if isinstance(stage, str) and stage.strip().casefold() == LOST:
            yield sheet.problem(row, "stage", '"lost" is not a row: an open opportunity can always be lost')
        for criterion in row.values.get("exit_criteria") or []:
            problem = criterion_problem(criterion)
            if problem is not None:
                yield sheet.problem(row, "exit_criteria", problem)
        if row.values.get("max_days") == 0:
            yield sheet.problem(row, "max_days", "max_days must be more than 0 (blank = no limit)")
    if len(sheet.rows) == 1:
        yield sheet.problem(sheet.rows[0], "stage", "one stage is not a funnel: the last stage by order is won")


def _rules(sheet: Sheet) -> list[tuple[Row, DiscountRule]] | None:
    """The rows as the domain reads them; None when a value is missing or a range is upside down
    (those are reported by the cell and range checks)."""
    rules = []
    for row in sheet.rows:
        values = row.values
        if values.get("priority") is None:
            return None
        bounds = [values.get(c) for c in ("min_amount", "max_amount", "min_discount", "max_discount")]
        if any(isinstance(b, int | float) and b < 0 for b in bounds):
            return None
        for low, high in (("min_amount", "max_amount"), ("min_discount", "max_discount")):
            if values.get(low) is not None and values.get(high) is not None and values[low] > values[high]:
                return None
        rules.append((row, DiscountRule.from_row(values)))
    return sorted(rules, key=lambda pair: pair[1].priority)


def check_discount_matrix(sheets: Sheets) -> Iterable[Problem]:
    """Every quote must match a row; a row that higher rows cover entirely can never apply."""
    sheet = sheets["Discounts"]
    pairs = _rules(sheet) if sheet.rows else None
    if not pairs:
        return
    report = analyse(tuple(rule for _, rule in pairs))
    if report.gaps:
        examples = "; ".join(describe(cell) for cell in report.gaps[:3])
        yield sheet.problem(
            None,
            "priority",
            f"{len(report.gaps)} kind(s) of quote match no row, e.g. {examples}: add a last row with empty "
            "bounds (it catches everything else)",
        )
    never = {rule.priority for rule in report.never}
    for row, rule in pairs:
        if rule.priority in never:
            yield sheet.problem(
                row, "priority", f"rows with a lower priority cover row {row.number} entirely: it can never apply"
            )


def check_approvers(sheets: Sheets) -> Iterable[Problem]:
    """Each role of each row: the nearest owner with it up every seller's manager chain."""
    owners = _owners(sheets)
    if any(
        o.manager_id is not None and (o.manager_id not in owners or o.manager_id == o.owner_id) for o in owners.values()
    ):
        return  # a broken manager_id is reported on the Owners tab; chains through it mean nothing yet
    sellers = sorted(o.owner_id for o in owners.values() if o.role in SELLER_ROLES)
    sheet = sheets["Discounts"]
    for row in sheet.rows:
        for role in row.values.get("approvers") or []:
            missing = [s for s in sellers if escalation_target(s, role, owners) is None]
            if missing:
                named = ", ".join(missing[:MAX_NAMED]) + (
                    f" and {len(missing) - MAX_NAMED} more" if len(missing) > MAX_NAMED else ""
                )
                yield sheet.problem(
                    row,
                    "approvers",
                    f"nobody with role {role} is above {named} in the manager chain: their quotes in this band "
                    "would have no approver (fix manager_id on the Owners tab)",
                )


def _owners(sheets: Sheets) -> dict[str, Owner]:
    owners = {}
    for row in sheets["Owners"].rows:
        values: dict[str, Any] = row.values
        if values.get("owner_id") and values.get("role"):
            owners[values["owner_id"]] = Owner(
                owner_id=values["owner_id"],
                name=values.get("name") or values["owner_id"],
                team=values.get("team") or "",
                role=values["role"],
                manager_id=values.get("manager_id"),
            )
    return owners


SALES_CHECKS = (check_stages, check_discount_matrix, check_approvers)
