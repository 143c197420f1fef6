"""Checks that need more than one cell: typed Settings and Scoring values, unique keys,
references between tabs, ranges and rows that contradict each other."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from difflib import get_close_matches
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from admin_sheets.model import Problem, Row, Sheet
from admin_sheets.sales_checks import SALES_CHECKS
from admin_sheets.source_checks import check_source_webhooks
from admin_sheets.tabs import LEAD_ONLY_ROUTING, SETTING_BY_KEY, SETTINGS_KEYS, Column
from admin_sheets.values import BadValue, convert, split_list
from shared.customers.domain.segments import UNSEGMENTED
from shared.kernel.domain.normalize import KNOWN_FIELDS
from shared.leads.domain.scoring import TOUCH_SCORING_FIELDS
from shared.rules.domain.rules import BEHAVIOR_EVENTS
from shared.time.domain.calendar_cells import normalize_calendar_row

Sheets = dict[str, Sheet]
STANDARD_TIER = "standard"  # what a lead is when no Tiers row matches

# The lead fields a Scoring row or Settings quality_fields can name: what a form may send
# (KNOWN_FIELDS) plus what normalising adds (region from country/province; industry_raw,
# the industry as sent before the Industries mapping). Rules read lead fields by exact
# name, so any other name never matches.
SCORABLE_FIELDS: tuple[str, ...] = (*KNOWN_FIELDS, "region", "industry_raw")
# The fields normalised to numbers: the only ones gte/lte can compare (the rest are text).
NUMBER_FIELDS: tuple[str, ...] = ("employees", "budget")
EVENT_PREFIX = "event:"
_EVENT_FIELDS = tuple(f"{EVENT_PREFIX}{event}" for event in BEHAVIOR_EVENTS)
# What a Scoring row may also name: where the lead came from, matched against every touch
# (source, channel, campaign of each post). campaign is a lead field too; Scoring reads the touches.
TOUCH_FIELDS: tuple[str, ...] = TOUCH_SCORING_FIELDS


def run_checks(sheets: Sheets) -> list[Problem]:
    problems: list[Problem] = []
    for check in _CHECKS:
        problems.extend(check(sheets))
    return problems


def type_settings(sheets: Sheets) -> Iterable[Problem]:
    """Settings values are typed per key; the key column itself is checked here too."""
    sheet = sheets["Settings"]
    for row in sheet.rows:
        key = row.values["key"]
        if key is None:
            continue
        spec = SETTING_BY_KEY.get(key.strip().casefold())
        if spec is None:
            known = ", ".join(k.name for k in SETTINGS_KEYS)
            yield sheet.problem(row, "key", f'unknown setting "{key}": use one of {known}')
            continue
        row.values["key"] = spec.name
        if row.values["value"] in (None, ""):
            row.values["value"] = None
            if not spec.allow_blank:  # blank is a value only where the key says so (blank = keep)
                yield sheet.problem(row, "value", "value is required")
            continue
        try:
            row.values["value"] = convert(spec, row.values["value"])
        except BadValue as bad:
            row.values["value"] = None
            yield sheet.problem(row, "value", str(bad))
            continue
        if spec.name == "quality_fields":
            yield from _check_quality_fields(sheet, row)


def _check_quality_fields(sheet: Sheet, row: Row) -> Iterable[Problem]:
    fields = []
    for item in row.values["value"]:
        name = item.casefold()
        if name in SCORABLE_FIELDS:
            fields.append(name)
        else:
            fields.append(item)
            yield sheet.problem(row, "value", _not_a_lead_field(f'quality_fields: "{item}"', name, events=False))
    row.values["value"] = fields


def _not_a_lead_field(what: str, name: str, *, events: bool) -> str:
    """Why a field name is refused: the closest allowed name, else all of them."""
    touch = tuple(f for f in TOUCH_FIELDS if f not in SCORABLE_FIELDS) if events else ()
    allowed = SCORABLE_FIELDS + touch + (_EVENT_FIELDS if events else ())
    close = get_close_matches(name, allowed, n=1)
    if close:
        return f'{what} is not a lead field; did you mean "{close[0]}"?'
    if not events:
        return f"{what} is not a lead field: use one of {', '.join(SCORABLE_FIELDS)}"
    return (
        f"{what} is not a lead field: use one of {', '.join(SCORABLE_FIELDS)}; "
        f"{', '.join(TOUCH_FIELDS)} (matched against every touch of the lead); "
        f"or {EVENT_PREFIX}<behaviour> (e.g. {EVENT_PREFIX}demo_request)"
    )


_NUMBER = Column("value", "number")


def type_scoring(sheets: Sheets) -> Iterable[Problem]:
    """A Scoring field must be a lead field, a touch's source/channel/campaign or event:<behaviour>;
    the value's type follows the op."""
    sheet = sheets["Scoring"]
    for row in sheet.rows:
        yield from _check_field(sheet, row)
        op, raw = row.values["op"], row.values["value"]
        if op is None:
            continue
        field = row.values["field"]
        if op in ("gte", "lte") and field in (*SCORABLE_FIELDS, *TOUCH_FIELDS) and field not in NUMBER_FIELDS:
            yield sheet.problem(
                row,
                "op",
                f'{op} needs a number field ({", ".join(NUMBER_FIELDS)}); for "{field}" use eq, in, contains or exists',
            )
        if op == "exists":
            if raw is not None:
                yield sheet.problem(row, "value", f'op exists takes no value: clear this cell, got "{raw}"')
            row.values["value"] = None
        elif raw is None:
            kind = {"gte": "a number", "lte": "a number", "in": "a list", "contains": "a list"}.get(op, "a value")
            yield sheet.problem(row, "value", f"op {op} needs {kind} in value")
        elif op in ("gte", "lte"):
            try:
                row.values["value"] = convert(_NUMBER, raw)
            except BadValue:
                row.values["value"] = None
                yield sheet.problem(row, "value", f'op {op} needs a number in value, got "{raw}"')
        elif op in ("in", "contains"):
            row.values["value"] = split_list(raw)  # contains = the field contains any of these
        if row.values["max_times"] is not None and row.values["max_times"] < 1:
            blank = "no limit" if str(field or "").startswith(EVENT_PREFIX) else "once"
            yield sheet.problem(row, "max_times", f"max_times must be at least 1 (blank = {blank})")


def _check_field(sheet: Sheet, row: Row) -> Iterable[Problem]:
    """Known fields are stored in their canonical spelling (lower case), as rules match by name."""
    field = row.values["field"]
    if field is None:
        return  # already reported as required
    name = field.casefold()
    if name.startswith(EVENT_PREFIX):
        event = field.split(":", 1)[1].strip().casefold()
        if event not in BEHAVIOR_EVENTS:
            yield sheet.problem(
                row, "field", f'unknown behaviour event "{event}": use one of {", ".join(BEHAVIOR_EVENTS)}'
            )
        else:
            row.values["field"] = f"{EVENT_PREFIX}{event}"
    elif name in SCORABLE_FIELDS or name in TOUCH_FIELDS:
        row.values["field"] = name
    else:
        yield sheet.problem(row, "field", _not_a_lead_field(f'field "{field}"', name, events=True))


# (tab, key columns, how to say it) — a second row with the same key is a problem.
_UNIQUE: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Settings", ("key",), "setting"),
    ("Sources", ("source",), "source"),
    ("Owners", ("owner_id",), "owner_id"),
    ("Tiers", ("priority",), "priority"),
    ("Routing", ("priority",), "priority"),
    ("Scoring", ("rule_id",), "rule_id"),
    ("Industries", ("value",), "industry value"),
    ("Regions", ("country", "province"), "country/province"),
    ("Products", ("sku",), "sku"),
    ("Discounts", ("priority",), "priority"),
    ("Stages", ("stage",), "stage"),
    ("Stages", ("order",), "order"),
    ("Calendars", ("calendar",), "calendar"),
    ("Holidays", ("calendar", "date"), "calendar/date"),
    ("SLA", ("kind", "priority", "grade", "tier"), "SLA kind/priority/grade/tier"),
    ("Renewals", ("days_before",), "days_before"),
    ("Health", ("dimension",), "dimension"),
    ("Segments", ("priority",), "priority"),
)


def check_unique(sheets: Sheets) -> Iterable[Problem]:
    for tab, columns, label in _UNIQUE:
        sheet = sheets[tab]
        first: dict[tuple[Any, ...], int] = {}
        for row in sheet.rows:
            key = tuple(_fold(row.values[c]) for c in columns)
            if all(k is None for k in key) or (len(columns) == 1 and key[0] is None):
                continue
            if key in first:
                shown = "/".join("" if row.values[c] is None else str(row.values[c]) for c in columns)
                yield sheet.problem(row, columns[0], f'{label} "{shown}" is already used in row {first[key]}')
            else:
                first[key] = row.number


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


_REF_WHERE = {
    "owner": ("is not an owner_id on the Owners tab", False),
    "team": ("is not the team of any owner on the Owners tab", True),
    "calendar": ("is not a calendar on the Calendars tab", True),
    "tier": ("is not a tier the Tiers tab can give", True),
    "source": ("is not a source on the Sources tab", False),
    "region": ("is not a region on the Regions tab", True),
    "segment": ("is not a segment of the Segments tab (nor unsegmented)", True),
}


def _ref_targets(sheets: Sheets) -> dict[str, set[str]]:
    def values(tab: str, column: str) -> set[str]:
        return {r.values[column] for r in sheets[tab].rows if r.values[column] is not None}

    targets = {
        "owner": values("Owners", "owner_id"),
        "team": values("Owners", "team"),
        "calendar": values("Calendars", "calendar"),
        "tier": values("Tiers", "tier") | {STANDARD_TIER},
        "source": values("Sources", "source"),
        "segment": values("Segments", "segment") | {UNSEGMENTED},
    }
    if sheets["Regions"].rows:  # without a Regions tab, regions come from elsewhere: don't guess
        targets["region"] = values("Regions", "region")
    return targets


def check_refs(sheets: Sheets) -> Iterable[Problem]:
    targets = _ref_targets(sheets)
    for sheet in sheets.values():
        for col in sheet.tab.columns:
            if col.ref not in targets:
                continue
            known = targets[col.ref]
            why, show_known = _REF_WHERE[col.ref]
            hint = f" ({col.ref}s: {', '.join(sorted(known))})" if show_known and known else ""
            for row in sheet.rows:
                value = row.values[col.name]
                for item in value if isinstance(value, list) else [value]:
                    if item is not None and item not in known:
                        yield sheet.problem(row, col.name, f'{col.name} "{item}" {why}{hint}')


def check_people(sheets: Sheets) -> Iterable[Problem]:
    """A Routing owner must be in the row's team; nobody manages themselves."""
    owners = {r.values["owner_id"]: r.values for r in sheets["Owners"].rows if r.values["owner_id"]}
    owner_sheet = sheets["Owners"]
    for row in owner_sheet.rows:
        if row.values["manager_id"] is not None and row.values["manager_id"] == row.values["owner_id"]:
            yield owner_sheet.problem(row, "manager_id", "a person cannot be their own manager")
    routing = sheets["Routing"]
    for row in routing.rows:
        owner = owners.get(row.values["owner_id"])
        if owner is not None and row.values["team"] is not None and owner["team"] != row.values["team"]:
            yield routing.problem(
                row,
                "owner_id",
                f'owner_id "{owner["owner_id"]}" is in team "{owner["team"]}", not "{row.values["team"]}"',
            )


def check_routing_objects(sheets: Sheets) -> Iterable[Problem]:
    """A case row routes on case_priority, channel and country; an account row on country and
    segment only; a lead row has neither case_priority nor segment."""
    routing = sheets["Routing"]
    for row in routing.rows:
        routes = row.values.get("object") or "lead"
        article = "an" if routes == "account" else "a"
        if routes != "case" and row.values.get("case_priority"):
            message = f"case_priority is for case rows; this row routes {article} {routes}"
            yield routing.problem(row, "case_priority", message)
        if routes != "account" and row.values.get("segment"):
            yield routing.problem(row, "segment", f"segment is for account rows; this row routes {article} {routes}")
        if routes == "lead":
            continue
        refused = (*LEAD_ONLY_ROUTING, "channel") if routes == "account" else LEAD_ONLY_ROUTING
        for column in refused:
            if row.values.get(column) not in (None, []):
                kind = "a lead condition" if column in LEAD_ONLY_ROUTING else "a case condition"
                yield routing.problem(row, column, f"{column} is {kind}; {article} {routes} row cannot use it")


_RANGES = (
    ("Tiers", "min_employees", "max_employees"),
    ("Routing", "min_employees", "max_employees"),
    ("Discounts", "min_amount", "max_amount"),
    ("Discounts", "min_discount", "max_discount"),
    ("Segments", "min_recency_days", "max_recency_days"),
    ("Segments", "min_frequency", "max_frequency"),
    ("Segments", "min_monetary", "max_monetary"),
)


def check_ranges(sheets: Sheets) -> Iterable[Problem]:
    for tab, low, high in _RANGES:
        sheet = sheets[tab]
        for row in sheet.rows:
            lo, hi = row.values[low], row.values[high]
            if lo is not None and hi is not None and lo > hi:
                yield sheet.problem(row, low, f"{low} {_show(lo, low)} is more than {high} {_show(hi, high)}")


def check_minimums(sheets: Sheets) -> Iterable[Problem]:
    """Number columns declared with a minimum (counts, weights, prices, amounts: not below 0) or a
    maximum (discounts: at most 100 %, CONTRACT §14)."""
    for sheet in sheets.values():
        for col in sheet.tab.columns:
            if col.minimum is None and col.maximum is None:
                continue
            for row in sheet.rows:
                value = row.values[col.name]
                if not isinstance(value, int | float) or isinstance(value, bool):
                    continue
                if col.minimum is not None and value < col.minimum:
                    least, got = _show_number(col, col.minimum), _show_number(col, value)
                    yield sheet.problem(row, col.name, f"{col.name} must be {least} or more, got {got}")
                elif col.maximum is not None and value > col.maximum:
                    most, got = _show_number(col, col.maximum), _show_number(col, value)
                    yield sheet.problem(row, col.name, f"{col.name} must be {most} or less, got {got}")
    settings = sheets["Settings"]
    for row in settings.rows:  # a setting declared with a minimum (rfm_window_days: at least a day)
        key = SETTING_BY_KEY.get(str(row.values["key"]))
        value = row.values["value"]
        if key is None or key.minimum is None or not isinstance(value, int | float) or isinstance(value, bool):
            continue
        if value < key.minimum:
            least, got = _show_number(key, key.minimum), _show_number(key, value)
            yield settings.problem(row, "value", f"{key.name} must be {least} or more, got {got}")


def _show_number(col: Column, value: float) -> str:
    return f"{value * 100:g}%" if col.type == "percent" else f"{value:,}"


def type_calendars(sheets: Sheets) -> Iterable[Problem]:
    """Workdays (mon-fri, 周一至周五), end (24:00 allowed), breaks and holiday_country are read by
    the calendar module's own parsers, so the sheet accepts exactly what the arithmetic
    understands; each cell is stored in its canonical form."""
    sheet = sheets["Calendars"]
    for row in sheet.rows:
        values, errors = normalize_calendar_row(row.values)
        row.values.update(values)
        for error in errors:
            yield sheet.problem(row, error.column or "end", str(error))


def _show(value: Any, column: str) -> str:
    return (
        f"{value * 100:g}%"
        if column.endswith("discount")
        else f"{value:,}"
        if column.endswith("amount")
        else str(value)
    )


def check_health(sheets: Sheets) -> Iterable[Problem]:
    sheet = sheets["Health"]
    weights = [r.values["weight"] for r in sheet.rows]
    if weights and None not in weights and abs(sum(weights) - 1) > 1e-6:
        yield sheet.problem(None, "weight", f"weights add up to {sum(weights) * 100:g}%; they must add up to 100%")


def check_timezones(sheets: Sheets) -> Iterable[Problem]:
    for tab, column in (("Owners", "timezone"), ("Calendars", "timezone"), ("Settings", "value")):
        sheet = sheets[tab]
        for row in sheet.rows:
            if tab == "Settings" and row.values["key"] != "timezone":
                continue
            zone = row.values[column]
            if isinstance(zone, str) and not _is_zone(zone):
                yield sheet.problem(row, column, f'"{zone}" is not a time zone: use a name like Asia/Shanghai')


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_thresholds(sheets: Sheets) -> Iterable[Problem]:
    sheet = sheets["Settings"]
    rows = {r.values["key"]: r for r in sheet.rows}
    default = SETTING_BY_KEY["sql_threshold"].default
    sql = rows["sql_threshold"].values["value"] if "sql_threshold" in rows else default
    low = rows.get("nurture_below")
    below = low.values["value"] if low is not None else None
    if isinstance(below, int | float) and isinstance(sql, int | float) and below > sql:
        yield sheet.problem(low, "value", f"nurture_below {below} is above sql_threshold {sql}")


_CHECKS: tuple[Callable[[Sheets], Iterable[Problem]], ...] = (
    type_settings,
    type_scoring,
    type_calendars,
    check_unique,
    check_refs,
    check_people,
    check_routing_objects,
    check_ranges,
    check_minimums,
    *SALES_CHECKS,  # Stages criteria, the discount matrix, approvers (admin_sheets/sales_checks.py)
    check_health,
    check_timezones,
    check_thresholds,
    check_source_webhooks,
)
