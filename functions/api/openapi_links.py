"""The action link pages in the OpenAPI description (CONTRACT §12): ``GET``/``POST /a/{token}``.

Public (no API key: the token is the credential; shared/kernel/domain/access.py ``PUBLIC_RESOURCES``) and
answered in HTML, refusals included — each response lists the error codes its page can carry
(``x-closeloop-codes``), as a JSON route's error schema does."""

from __future__ import annotations

from typing import Any

JSONType = dict[str, Any]
EXAMPLE_PAGE = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">…<title>Confirm: Approve · Closeloop</title>'
    "…<h1>Confirm: Approve</h1><p>You are 黄建国 Huang Jianguo.</p>…"
    '<form method="post"><button type="submit">Approve</button></form>…'
)
TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "the link's token, as the alert carried it: base64url claims (person, action, subject, "
    "expiry, link id), a dot, and their HMAC-SHA256 with the link secret",
    "schema": {"type": "string", "minLength": 1, "maxLength": 1024},
}


def _page(description: str, codes: list[str] | None = None) -> JSONType:
    response: JSONType = {
        "description": description,
        "content": {"text/html": {"schema": {"type": "string"}, "example": EXAMPLE_PAGE}},
    }
    if codes:
        response["x-closeloop-codes"] = codes
    return response


def _errors(errors: tuple[type[Any], ...], internal: str) -> dict[str, JSONType]:
    """One HTML page per status, listing the codes it may carry."""
    from functions.api.errors import status_for

    by_status: dict[int, list[str]] = {}
    for error in errors:
        by_status.setdefault(status_for(error), []).append(error.code)
    by_status[500] = [internal]
    return {
        str(status): _page(f"a page saying why nothing was done: {', '.join(f'`{c}`' for c in codes)}", codes)
        for status, codes in sorted(by_status.items())
    }


def paths(internal_error: str) -> dict[str, JSONType]:
    from shared.kernel.domain import errors as e
    from shared.kernel.domain.links import LINK_ACTIONS

    actions = ", ".join(f"`{a}`" for a in LINK_ACTIONS)
    common = (
        "An alert that asks one person to act carries these links (CONTRACT §12): approval steps "
        "(`approve`, `reject`) for the approver whose turn it is, a lead's first-touch clock (`call`, "
        "`email`, `meeting`) and a case's first-response clock (`first_response`) for the owner. "
        "No API key: the token names its person, action and subject, is signed with the "
        "`closeloop-<stage>-link-secret` (locally `CLOSELOOP_LINK_SECRET`), expires after Settings "
        "`link_ttl_hours` (72) and works once. Plain HTML in the workbook's language (Settings `locale`), "
        "`Cache-Control: no-store`, `Referrer-Policy: no-referrer`. A forged or altered token → `404`; "
        "an expired or used one → `410`; nothing changes."
    )
    return {
        "/a/{token}": {
            "get": {
                "operationId": "openActionLink",
                "tags": ["links"],
                "summary": "An action link's confirm page (changes nothing)",
                "description": f"{common} GET only shows the page — the person, the action ({actions}) and "
                "its subject, a confirm button and, for `reject`, a note — because chat apps and mail "
                "scanners open links before people do. A link already used → `410`.",
                "security": [],
                "parameters": [TOKEN],
                "responses": {
                    "200": _page("the confirm page"),
                    **_errors((e.LinkNotFound, e.LinkGone, e.Busy), internal_error),
                },
            },
            "post": {
                "operationId": "useActionLink",
                "tags": ["links"],
                "summary": "Do what the link says, once, as its person",
                "description": f"{common} The confirm form's post: the action through the same services as "
                "the API (`POST /approvals/{approval_id}/decision`, `POST /leads/{lead_id}/activities`, "
                "`POST /cases/{case_id}/events`) with the link's person as `by`, so their refusals are the "
                "API's (not your turn → `409 not_your_turn`), as a page; a refused action leaves the link "
                'usable. Recorded with the actor `{"kind": "link", "name": "link-<id>", "owner_id"}`.',
                "security": [],
                "parameters": [TOKEN],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "note": {"type": "string", "maxLength": 2000, "description": "for `reject`"}
                                },
                            },
                            "example": {"note": "margin too thin"},
                        }
                    },
                },
                "responses": {
                    "200": _page("done: what was recorded, as whom"),
                    **_errors(
                        (
                            e.ValidationFailed,
                            e.NotApprover,
                            e.LinkNotFound,
                            e.ApprovalNotFound,
                            e.LeadNotFound,
                            e.CaseNotFound,
                            e.NotYourTurn,
                            e.AlreadyDecided,
                            e.RenewalOnHold,
                            e.InvalidTransition,
                            e.Conflict,
                            e.LinkGone,
                            e.PayloadTooLarge,
                            e.Busy,
                        ),
                        internal_error,
                    ),
                },
            },
        }
    }
