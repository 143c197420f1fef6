"""Action link pages (CONTRACT §12): plain HTML readable on a phone, in the workbook's language,
every outside word escaped, never cached nor sent on in a Referer; refusals keep the API's status."""

from __future__ import annotations

from functions.api.links import confirm_page, done_page, read_form, refusal_page
from shared.composition.services.links import LinkView
from shared.kernel.domain.errors import LinkGone, NotYourTurn

HOSTILE = LinkView(
    person_id="u_x",
    person='<script>alert("x")</script> 黄建国',
    action="reject",
    subject="approval/ap_1_1",
    what='quote:"><img src=x onerror=alert(1)> · CNY 720000.00',
    facts=[("quote", "qt_1"), ("discount", "25%"), ("unknown_fact", "<b>dropped</b>")],
)


def _html(response: object) -> str:
    return str(response.body)  # type: ignore[attr-defined]


def test_the_confirm_page_escapes_names_and_works_on_a_phone() -> None:
    page = confirm_page(HOSTILE, "en")
    text = _html(page)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "<script>" not in text and "<img" not in text and "&lt;script&gt;" in text
    assert '<form method="post">' in text and '<textarea id="note" name="note"' in text  # a note for reject
    assert "Reject" in text and "Quote &quot;&gt;&lt;img" in text and "<b>dropped</b>" not in text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none': no script at all


def test_pages_speak_the_workbooks_language() -> None:
    approve = LinkView("u_huang", "黄建国 Huang Jianguo", "approve", "approval/ap_1_1", "quote:上海精密制造 · CNY 1")
    text = _html(confirm_page(approve, "zh-CN"))
    assert '<html lang="zh-CN">' in text and "请确认" in text and "批准" in text and "报价 上海精密制造" in text
    assert "<textarea" not in text  # only a rejection takes a note
    done = _html(done_page(approve, {"status": "approved"}, "zh-CN"))
    assert "已完成" in done and "approved" in done


def test_refusals_are_pages_with_the_apis_status() -> None:
    gone = refusal_page(LinkGone("this link was already used"), "en")
    assert gone.status_code == 410 and "no longer works" in _html(gone)
    turn = refusal_page(NotYourTurn("step 1 (manager) is still open"), "zh-CN")
    assert turn.status_code == 409 and "not_your_turn" in _html(turn) and "未完成" in _html(turn)


def test_the_form_reads_only_its_fields() -> None:
    assert read_form(b"note=%E5%A5%BD&x=1") == {"note": "好", "x": "1"}
    assert read_form(b"\xff\xfe") == {}


def test_the_link_routes_are_public_in_the_table_the_access_rules_and_the_description() -> None:
    from functions.api.openapi import document
    from functions.api.routes import BY_KEY
    from shared.kernel.domain.access import is_public, route_scopes

    for method in ("GET", "POST"):
        assert BY_KEY[(method, "/a/{token}")].auth == "public"
        assert is_public("/a/{token}") and route_scopes(method, "/a/{token}") == ()
        operation = document()["paths"]["/a/{token}"][method.lower()]
        assert operation["security"] == [] and operation["x-closeloop-scopes"] == []
        assert "token" in operation["x-closeloop-public"] and operation["tags"] == ["links"]
