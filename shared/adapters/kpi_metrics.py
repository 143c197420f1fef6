"""KPI values as CloudWatch metrics, in the embedded metric format (Powertools Metrics).

One EMF document per snapshot: namespace ``Closeloop/KPIs``, one metric per KPI value (rates as
a fraction, medians in their unit), dimension ``window`` = ``28d``. A KPI with no value (its
denominator is 0) is left out rather than reported as 0. Nothing about people goes in.
"""

from __future__ import annotations

from typing import Any

from shared.kpis.domain.kpi_definitions import rows

NAMESPACE = "Closeloop/KPIs"


def metric_values(report: dict[str, Any]) -> dict[str, float]:
    """Metric name -> value: ``mql_to_sql_rate``, ``sla_attainment.lead_first_touch`` ..."""
    return {
        label.replace(" ", "."): float(kpi["value"])
        for label, kpi, _ in rows(report["kpis"])
        if kpi["value"] is not None
    }


def emit_kpi_metrics(report: dict[str, Any]) -> dict[str, float]:
    """Print the EMF document (CloudWatch turns it into metrics); returns what it emitted."""
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    from shared.adapters.observability import pretty

    values = metric_values(report)
    if pretty() or not values:  # the dev console prints no metric blobs
        return {}
    metrics = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service="kpi-snapshot")
    metrics.add_dimension(name="window", value=f"{_days(report)}d")
    for name, value in values.items():  # fractions and hours/days: CloudWatch has no unit for either
        metrics.add_metric(name=name, unit=MetricUnit.NoUnit, value=value)
    metrics.flush_metrics()
    return values


def _days(report: dict[str, Any]) -> int:
    from datetime import date

    return (date.fromisoformat(report["to"]) - date.fromisoformat(report["from"])).days
