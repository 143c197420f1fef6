"""Action link pages (CONTRACT §12): ``GET /a/{token}`` and ``POST /a/{token}``.

Plain HTML readable on a phone, in the workbook's language (Settings ``locale``), every outside
word escaped. GET changes nothing (chat apps and mail scanners open links before people do): it
names the person, the action and the subject, with one confirm button (and a note for a
rejection). POST is that button: the action, once, as the link's person, through the services
the API uses; its refusals are the API's, as pages with the API's status. A forged or altered
token → 404; expired or used → 410. The token is the only credential: no API key, and every
page says ``no-store`` and ``no-referrer`` so it is neither cached nor sent on to another site.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Response

from shared.kernel.domain.errors import Busy, CloseloopError, PayloadTooLarge
from shared.kernel.domain.links import label

MAX_FORM_BYTES = 16 * 1024
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # no script at all; the one form posts back here
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
}

# page words (en, zh-CN)
WORDS: dict[str, tuple[str, str]] = {
    "confirm_heading": ("Confirm", "请确认"),
    "as": ("You are {person}.", "您是 {person}。"),
    "action": ("Action", "操作"),
    "subject": ("About", "对象"),
    "note": ("Note (optional)", "备注（可选）"),
    "forwarded": (
        "This link acts as {person}. If you are not {person}, close this page.",
        "此链接将以 {person} 的身份操作。如果您不是 {person}，请关闭本页。",
    ),
    "done": ("Done", "已完成"),
    "done_text": ("{action} recorded for {what}, as {person}.", "已以 {person} 的身份完成“{action}”：{what}。"),
    "refused": ("Not done", "未完成"),
    "gone": ("This link no longer works", "此链接已失效"),
    "gone_text": (
        "It was used already or has expired; nothing was changed. The alert's other channels, the API "
        "or the workbook's owner can still help.",
        "该链接已被使用或已过期，未做任何更改。",
    ),
    "not_found": ("No such link", "链接无效"),
    "not_found_text": (
        "This link is not valid (altered, or cut short when copied); nothing was changed.",
        "该链接无效（可能被修改或复制不完整），未做任何更改。",
    ),
    "busy": ("Busy, try again", "系统繁忙，请稍后重试"),
    "error": ("Something went wrong on our side", "系统出错"),
    "status": ("Status", "状态"),
    "quote": ("Quote", "报价"),
    "discount": ("Discount", "折扣"),
    "role": ("Step", "审批环节"),
    "step_status": ("Step status", "环节状态"),
    "lead": ("Lead", "线索"),
    "owner": ("Owner", "负责人"),
    "case": ("Case", "工单"),
    "priority": ("Priority", "优先级"),
}
KINDS = {"quote": ("Quote", "报价"), "lead": ("Lead", "线索"), "case": ("Case", "工单")}


def _w(key: str, locale: str, **values: str) -> str:
    text = WORDS[key][1 if locale == "zh-CN" else 0]
    return text.format(**values) if values else text


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _locale(c: Any) -> str:
    try:
        return "zh-CN" if c.rules.current().rules.settings.locale == "zh-CN" else "en"
    except CloseloopError:
        return "en"


def _what(view: Any, locale: str) -> str:
    kind, _, name = view.what.partition(":")
    if kind in KINDS and name:
        return f"{KINDS[kind][1 if locale == 'zh-CN' else 0]} {name}"
    return str(view.what)


def page(status: int, title: str, body: str, locale: str) -> Response:
    lang = "zh-CN" if locale == "zh-CN" else "en"
    document = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{_e(title)} · Closeloop</title>
<style>
body{{font:16px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;padding:16px;
color:#1f2328;background:#f6f8fa}}
main{{max-width:32rem;margin:0 auto;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:20px}}
h1{{font-size:1.3rem;margin:0 0 12px}} dl{{margin:0 0 16px}} dt{{color:#57606a;font-size:.85rem}}
dd{{margin:0 0 8px;overflow-wrap:anywhere}} textarea{{width:100%;box-sizing:border-box;min-height:5rem;font:inherit}}
button{{width:100%;padding:14px;font:inherit;font-weight:600;border:0;border-radius:6px;color:#fff;background:#1f883d}}
button.reject{{background:#cf222e}} .note{{color:#57606a;font-size:.85rem}}
</style></head>
<body><main>
<h1>{_e(title)}</h1>
{body}
</main></body></html>
"""
    return Response(body=document, status_code=status, headers=dict(HEADERS))


def confirm_page(view: Any, locale: str) -> Response:
    action = label(view.action, locale)
    facts = "".join(f"<dt>{_e(_w(key, locale))}</dt><dd>{_e(value)}</dd>" for key, value in view.facts if key in WORDS)
    note = ""
    if view.action == "reject":
        note = (
            f'<p><label for="note">{_e(_w("note", locale))}</label><br>'
            '<textarea id="note" name="note" maxlength="2000"></textarea></p>'
        )
    css = ' class="reject"' if view.action == "reject" else ""
    body = (
        f"<p>{_e(_w('as', locale, person=view.person))}</p>"
        f"<dl><dt>{_e(_w('action', locale))}</dt><dd><strong>{_e(action)}</strong></dd>"
        f"<dt>{_e(_w('subject', locale))}</dt><dd>{_e(_what(view, locale))}</dd>{facts}</dl>"
        f'<form method="post">{note}<button type="submit"{css}>{_e(action)}</button></form>'
        f'<p class="note">{_e(_w("forwarded", locale, person=view.person))}</p>'
    )
    return page(200, f"{_w('confirm_heading', locale)}: {action}", body, locale)


def done_page(view: Any, answer: dict[str, Any], locale: str) -> Response:
    action = label(view.action, locale)
    status = answer.get("status")
    text = _w("done_text", locale, action=action, what=_what(view, locale), person=view.person)
    extra = f"<dl><dt>{_e(_w('status', locale))}</dt><dd>{_e(status)}</dd></dl>" if status else ""
    return page(200, f"{_w('done', locale)}: {action}", f"<p>{_e(text)}</p>{extra}", locale)


def refusal_page(error: CloseloopError, locale: str) -> Response:
    """The API's refusal, as a page: its status, its code and its message."""
    from functions.api.errors import status_of

    status = status_of(error)
    if error.code == "link_gone":
        title, text = _w("gone", locale), f"{_w('gone_text', locale)} ({error.message})"
    elif error.code == "link_not_found":
        title, text = _w("not_found", locale), _w("not_found_text", locale)
    elif isinstance(error, Busy):
        title, text = _w("busy", locale), error.message
    else:
        title, text = _w("refused", locale), error.message
    fields = "".join(f"<li>{_e(name)}: {_e(why)}</li>" for name, why in error.fields.items())
    body = f"<p>{_e(text)}</p>" + (f"<ul>{fields}</ul>" if fields else "") + f'<p class="note">{_e(error.code)}</p>'
    response = page(status, title, body, locale)
    seconds = getattr(error, "retry_after", None)
    if seconds:
        response.headers["Retry-After"] = str(seconds)
    return response


def read_form(raw: bytes) -> dict[str, str]:
    """The confirm form's fields (urlencoded); anything else carries no fields we read."""
    if len(raw) > MAX_FORM_BYTES:
        raise PayloadTooLarge(f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in fields.items() if values}


def open_link(token: str, c: Any) -> Response:
    """GET: the confirm page; reads only."""
    from shared.composition.services.links import open_link as view

    claims = c.links.read(token, c.clock())
    return confirm_page(view(claims, c.links, c.rules.current(), c.uow), _locale(c))


def use_link(token: str, raw: bytes, c: Any) -> Response:
    """POST: the action, once, as the link's person, recorded with the link as its actor."""
    from shared.adapters.acting import set_actor
    from shared.composition.services.links import describe, link_actor
    from shared.composition.services.links import use_link as use

    claims = c.links.read(token, c.clock())
    form = read_form(raw)
    set_actor(link_actor(claims))
    active = c.rules.current()
    answer = use(claims, form, c.links, active, c.uow, c.clock)
    return done_page(describe(claims, active, c.uow), answer, _locale(c))


def open_page(token: str, c: Any) -> Response:
    """``GET /a/{token}`` (routes.py): the confirm page, or why not, as a page."""
    return answer(lambda: open_link(token, c), c)


def use_page(token: str, raw: bytes, c: Any) -> Response:
    """``POST /a/{token}`` (routes.py): the result page, or the refusal, as a page."""
    return answer(lambda: use_link(token, raw, c), c)


def answer(view: Callable[[], Response], c: Any) -> Response:
    """A link page, whatever happens: a refusal is its page (the API's status), load shed is a
    503 page, anything else our bug — logged, and a 500 page, never a JSON body."""
    import logging

    from shared.adapters.acting import acting_as
    from shared.adapters.dynamo.faults import is_transient
    from shared.kernel.services.ports import Throttled

    with acting_as(None):
        try:
            return view()
        except CloseloopError as refused:
            return refusal_page(refused, _safe_locale(c))
        except Exception as failed:
            if isinstance(failed, Throttled) or is_transient(failed):
                return refusal_page(Busy(), _safe_locale(c))
            logging.getLogger("closeloop-api").exception("unhandled error on an action link page")
            locale = _safe_locale(c)
            return page(500, _w("error", locale), f"<p>{_e(_w('error', locale))}.</p>", locale)


def _safe_locale(c: Any) -> str:
    try:
        return _locale(c)
    except Exception:  # the page must still answer
        return "en"
