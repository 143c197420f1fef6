"""The OpenAPI description of ``GET /kpis`` (CONTRACT §7), merged into openapi.document()."""

from __future__ import annotations

from typing import Any

JSONType = Any


def _ref(name: str) -> JSONType:
    return {"$ref": f"#/components/schemas/{name}"}


def _date_param(name: str, description: str) -> JSONType:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "format": "date", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
    }


def _name_param(name: str, description: str) -> JSONType:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string", "maxLength": 100}}  # fmt: skip


EXAMPLE = {
    "from": "2026-11-01",
    "to": "2026-11-29",
    "timezone": "Asia/Shanghai",
    "team": None,
    "owner_id": None,
    "kpis": {
        "mql_to_sql_rate": {"value": 0.5, "numerator": 2, "denominator": 4},
        "first_touch_median_hours": {"value": 1.93, "numerator": 2, "denominator": 3, "unit": "hours"},
        "win_rate_amount": {"value": 0.4, "numerator": 400, "denominator": 1000},
        "win_rate_count": {"value": 0.6667, "numerator": 2, "denominator": 3},
        "sales_cycle_median_days": {"value": 7.04, "numerator": 1, "denominator": 2, "unit": "days"},
        "approval_median_hours": {"value": None, "numerator": 0, "denominator": 0, "unit": "hours"},
        "first_contact_resolution": {"value": 0.5, "numerator": 1, "denominator": 2},
        "sla_attainment": {"lead_first_touch": {"value": 0.6667, "numerator": 2, "denominator": 3}},
        "net_revenue_retention": {"value": 1.05, "numerator": 315000, "denominator": 300000},
        "invoice_lead_days_median": {"value": None, "numerator": 0, "denominator": 0, "unit": "days"},
        "nps": {"value": 0.25, "numerator": 2, "denominator": 8, "promoters": 4, "passives": 2, "detractors": 2},
    },
    "skipped": {"OpportunityWon.amount": 1},
    "items_read": 59,
}


def schemas() -> dict[str, JSONType]:
    from shared.domain.kpi_definitions import KPI_KEYS, MEDIANS

    number = {"type": ["number", "null"]}
    ratio: JSONType = {
        "type": "object",
        "required": ["value", "numerator", "denominator"],
        "properties": {
            "value": {**number, "description": "numerator ÷ denominator, rounded to 4 places; null when the "
                      "denominator is 0"},
            "numerator": {"type": "number"},
            "denominator": {"type": "number"},
        },
    }  # fmt: skip
    median = {
        "type": "object",
        "required": ["value", "numerator", "denominator", "unit"],
        "description": "a median from log-scale buckets, exact to the bucket width (~4.4%): `denominator` "
        "observations, `numerator` of them at or below the median's bucket",
        "properties": {**ratio["properties"], "unit": {"type": "string", "enum": ["hours", "days"]}},
    }
    properties: dict[str, JSONType] = {}
    for key in KPI_KEYS:
        if key in MEDIANS:
            properties[key] = _ref("KpiMedian")
        elif key == "sla_attainment":
            properties[key] = {"type": "object", "description": "SLA kind → met ÷ (met + breached)",
                               "additionalProperties": _ref("KpiRatio")}  # fmt: skip
        else:
            properties[key] = _ref("KpiRatio")
    return {
        "KpiRatio": ratio,
        "KpiMedian": median,
        "Kpis": {
            "type": "object",
            "required": ["from", "to", "timezone", "team", "owner_id", "kpis", "skipped", "items_read"],
            "properties": {
                "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date", "description": "exclusive: the window is [from, to)"},
                "timezone": {"type": "string", "description": "Settings `timezone`: the days' boundaries"},
                "team": {"type": ["string", "null"]},
                "owner_id": {"type": ["string", "null"]},
                "kpis": {"type": "object", "required": list(KPI_KEYS), "properties": properties},
                "skipped": {
                    "type": "object",
                    "description": "`<EventType>.<data key>` → events in the window not counted for the KPI that "
                    "needs that key (it was missing or unreadable)",
                    "additionalProperties": {"type": "integer"},
                },
                "items_read": {"type": "integer", "description": "rollup items read: O(days), never per lead"},
            },
        },
    }


def paths(json_content: Any, error_responses: Any) -> dict[str, JSONType]:
    from shared.domain import errors as e

    return {
        "/kpis": {
            "get": {
                "operationId": "getKpis",
                "summary": "The KPI set of a window (CONTRACT §7)",
                "description": "Computed from rollups kept as events are recorded: the cost is O(days), "
                "whatever the number of leads. Days are whole days in Settings `timezone`; each KPI comes with "
                "its numerator and denominator. `closeloop kpis` and the Dashboard tab show the same numbers.",
                "parameters": [
                    _date_param("from", "first day (default: 27 days before today)"),
                    _date_param("to", "the day after the last (default: tomorrow); at most 400 days after `from`"),
                    _name_param("team", "only this team (the Owners tab's team)"),
                    _name_param("owner_id", "only this owner"),
                ],
                "responses": {
                    "200": {"description": "the KPI set", "content": json_content(_ref("Kpis"), EXAMPLE)},
                    **error_responses((e.ValidationFailed, e.Unauthorized, e.RulesUnavailable)),
                },
            }
        }
    }
