"""Publishing checks of the sales tabs: Stages exit criteria in the vocabulary, the discount
matrix covering every quote, an approver of each role above every seller."""

from __future__ import annotations

import pytest

from tests.unit.admin_sheets.helpers import parse_edited


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param([("Stages", "C2", "budget,activity:call")], [], id="fields-and-activities"),
        pytest.param(
            [("Stages", "C2", "budget,Budget confirmed")],
            [
                'Stages!C2: unknown exit criterion "Budget confirmed": use an opportunity field (amount, close_date, '
                "budget, decision_maker, timeline, pain, champion, competitors, next_step, use_case, proposal_sent, "
                "po_number), quote_approved, contract_signed or activity:<type> (call, email, meeting, note); put "
                "the human description in note"
            ],
            id="human-text-in-exit-criteria",
        ),
        pytest.param(
            [("Stages", "C3", "activity:lunch")],
            [
                'Stages!C3: unknown activity type "lunch": use activity:call, activity:email, activity:meeting, '
                "activity:note"
            ],
            id="unknown-activity",
        ),
        pytest.param(
            [("Stages", "A6", "lost")],
            ['Stages!A6: "lost" is not a row: an open opportunity can always be lost'],
            id="lost-is-built-in",
        ),
        pytest.param(
            [("Stages", "D2", "0")], ["Stages!D2: max_days must be more than 0 (blank = no limit)"], id="max-days"
        ),
        pytest.param(
            [("Owners", "F3", "")],  # 刘洋 (manager of SMB East) reports to nobody: no director above his team
            [
                "Discounts!F2: nobody with role director is above u_wang, u_zhang, u_zhou in the manager chain: their "
                "quotes in this band would have no approver (fix manager_id on the Owners tab)"
            ],
            id="a-seller-without-a-director",
        ),
        pytest.param(
            [("Discounts", "F3", "manager,finance")],
            [
                "Discounts!F3: nobody with role finance is above u_li, u_mueller, u_tan and 6 more in the manager "
                "chain: their quotes in this band would have no approver (fix manager_id on the Owners tab)"
            ],
            id="a-role-nobody-has-above-the-sellers",
        ),
    ],
)
def test_sales_tabs(edits: list[tuple[str, str, str]], expected: list[str]) -> None:
    assert parse_edited(*edits) == expected
