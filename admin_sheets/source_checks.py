"""The Sources tab's `webhooks` column (CONTRACT §3, §12): which webhooks a source may post to.

A public source is a browser form: only lead capture takes it (every other webhook needs a
signature), so naming another kind for it is a mistake worth a problem. A workbook without the
column still publishes — every source may then post leads and behavior only, the contract's
blank — but a signed source that used to open cases, sign contracts or report shipments would
now be refused, so publishing warns and says what to add.
"""

from __future__ import annotations

from collections.abc import Iterable

from admin_sheets.model import Problem, Sheet
from shared.rules.domain.rules import DEFAULT_WEBHOOKS

PUBLIC_KINDS = ("leads",)  # what a browser form can post: other webhooks take signed sources only


def check_source_webhooks(sheets: dict[str, Sheet]) -> Iterable[Problem]:
    sheet = sheets["Sources"]
    for row in sheet.rows:
        if row.values.get("kind") != "public":
            continue
        other = [k for k in row.values.get("webhooks") or () if k not in PUBLIC_KINDS]
        if other:
            yield sheet.problem(
                row,
                "webhooks",
                f"a public source can post leads only; {', '.join(other)} take signed sources "
                "(make it signed, or leave only leads)",
            )


def webhook_warnings(sheets: dict[str, Sheet]) -> Iterable[Problem]:
    sheet = sheets["Sources"]
    if not sheet.rows or "webhooks" in sheet.letters:
        return
    signed = [str(r.values.get("source")) for r in sheet.rows if r.values.get("kind") == "signed"]
    if signed:
        yield Problem(
            sheet.title,
            "A1",
            f"warning: the Sources tab has no webhooks column, so every source may post "
            f"{' and '.join(DEFAULT_WEBHOOKS)} only: {', '.join(signed[:10])} cannot open cases, sign "
            "contracts, report shipments, usage or surveys. Add a webhooks column naming what each "
            "source posts (e.g. cases for the contact center). The rules still publish.",
        )
