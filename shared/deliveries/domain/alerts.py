"""Alert text (CONTRACT §9): names the lead, case, quote or contract, says what is due and when,
in the recipient's time zone, in the workbook's language (Settings ``locale``: en | zh-CN).

Pure: one function from an event's data to a title and a text. Every clock (leads now; cases,
approvals, renewals later) emits events whose data carries ``clock`` or ``kind`` (what is due),
``due_at`` and ``notify``; this module is the one place they become words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.kernel.domain.events import parse_iso

LOCALES = ("en", "zh-CN")

# what is due, by the clock's kind (CONTRACT §3 names and §9's short ones)
DUE = {
    "lead_first_touch": ("first touch", "首次跟进"),
    "first_touch": ("first touch", "首次跟进"),
    "case_first_response": ("first response", "首次响应"),
    "first_response": ("first response", "首次响应"),
    "case_resolution": ("resolution", "问题解决"),
    "resolution": ("resolution", "问题解决"),
    "approval": ("approval", "审批"),
    "opportunity_stalled": ("next stage", "阶段推进"),
}
SUBJECT = {  # subject kind -> (en, zh)
    "lead": ("Lead", "线索"),
    "case": ("Case", "工单"),
    "quote": ("Quote", "报价"),
    "contract": ("Contract", "合同"),
    "opportunity": ("Opportunity", "商机"),
    "account": ("Account", "客户"),
    "order": ("Order", "订单"),
    "invoice": ("Invoice", "发票"),
}
HEADLINE = {  # event type -> (en, zh), each with {due}
    "SlaWarning": ("⏰ {Due} due soon", "⏰ {due}即将到期"),
    "SlaBreached": ("⚠️ {Due} overdue", "⚠️ {due}已超时"),
    "SlaEscalated": ("🚨 Escalated: {due} still overdue", "🚨 升级：{due}仍未完成"),
    "ApprovalRequested": ("✍️ {Due} requested", "✍️ 请{due}"),
    "ApprovalEscalated": ("🚨 Escalated: {due} overdue", "🚨 升级：{due}已超时"),
    "OpportunityStalled": ("🐢 Stalled: {due} overdue", "🐢 商机停滞：{due}已超时"),
}


# invoice events (CONTRACT §2.9) -> (en, zh) title; the text names the order, buyer and amount
FINANCE = {
    "InvoiceBlocked": ("🧾 Invoice blocked: the customer's tax id is missing", "🧾 发票受阻：客户缺少统一社会信用代码"),
    "InvoiceIssued": ("🧾 Invoice issued", "🧾 发票已开具"),
    "InvoicePaid": ("💰 Invoice paid", "💰 发票已回款"),
    "InvoiceRejected": ("⚠️ Invoice rejected by finance", "⚠️ 财务退回发票"),
}


# renewal events (CONTRACT §2.11) -> (en, zh) title; the text names the contract, customer, end, amount
RENEWAL = {
    "RenewalReminder": ("🔔 Renewal due: the contract ends in {days} days", "🔔 续约提醒：合同将在 {days} 天后到期"),
    "RenewalHeld": ("⏸️ Renewal on hold: an open P1 case", "⏸️ 续约暂停：客户有未解决的 P1 工单"),
    "RenewalReleased": ("▶️ Renewal released: the last P1 case is resolved", "▶️ 续约恢复：P1 工单已全部解决"),
}


@dataclass(frozen=True)
class AlertText:
    title: str
    text: str


def zone(*names: str | None) -> ZoneInfo:
    """The first valid IANA zone of ``names`` (recipient, calendar, company); UTC if none is."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_time(moment: datetime, tz: ZoneInfo, locale: str) -> str:
    here = moment.astimezone(tz)
    offset = here.strftime("%z")
    utc = f"UTC{offset[:3]}:{offset[3:]}" if offset not in ("+0000", "") else "UTC"
    if locale == "zh-CN":
        weekday = "一二三四五六日"[here.weekday()]
        return f"{here:%Y-%m-%d} 周{weekday} {here:%H:%M}（{tz.key}，{utc}）"
    return f"{here:%a %d %b %Y %H:%M} ({tz.key}, {utc})"


def subject_label(subject: str, name: str | None, locale: str) -> str:
    """ "Lead 张伟 (上海精密制造)": the kind of subject and whatever name the aggregate has."""
    kind, _, ident = subject.partition("/")  # a label never fails, whatever the subject
    words = SUBJECT.get(kind, (kind.capitalize(), kind))
    noun = words[1] if locale == "zh-CN" else words[0]
    return f"{noun} {name or ident}"


def render_alert(
    event_type: str,
    data: dict[str, Any],
    subject: str,
    name: str | None,
    tz: ZoneInfo,
    locale: str,
    people: dict[str, str] | None = None,
) -> AlertText:
    """The alert for one event, for one recipient's time zone. ``people``: owner id → name."""
    zh = locale == "zh-CN"
    if event_type in FINANCE:
        return _finance_alert(event_type, data, name, zh)
    if event_type in RENEWAL:
        return _renewal_alert(event_type, data, name, zh, people or {})
    if event_type == "HealthWarning":
        return _health_alert(data, name, zh)
    if event_type == "AccountSegmentChanged":
        return _segment_alert(data, name, zh)
    kind = str(data.get("kind") or data.get("clock") or "")
    due_words = DUE.get(kind, (kind.replace("_", " ") or "deadline", kind or "截止"))
    due = due_words[1] if zh else due_words[0]
    template = HEADLINE.get(event_type, ("🔔 {Due}", "🔔 {due}"))[1 if zh else 0]
    title = template.format(due=due, Due=due[:1].upper() + due[1:])
    label = subject_label(subject, name, locale)
    due_at = data.get("due_at")
    when = local_time(parse_iso(due_at), tz, locale) if due_at else ""
    owner = (people or {}).get(str(data.get("owner_id") or ""), data.get("owner_id"))
    if zh:
        lines = [f"{label}", f"{due}截止：{when}" if when else ""]
        if event_type != "SlaWarning" and owner:
            lines.append(f"负责人：{owner}")
    else:
        lines = [f"{label}", f"{due.capitalize()} due {when}" if when else ""]
        if event_type != "SlaWarning" and owner:
            lines.append(f"Owner: {owner}")
    return AlertText(title, "\n".join(line for line in lines if line))


def _finance_alert(event_type: str, data: dict[str, Any], name: str | None, zh: bool) -> AlertText:
    """An invoice's news for the account manager: which order, which customer, how much, what now."""
    title = FINANCE[event_type][1 if zh else 0]
    amount = f"{data.get('amount')} {data.get('currency') or ''}".strip()
    customer = name or data.get("account_id") or ""
    number = data.get("invoice_number")
    if zh:
        lines = [f"客户 {customer}，订单 {data.get('order_id')}", f"发票 {data.get('invoice_id')}：{amount}"]
        if number:
            lines.append(f"发票号：{number}")
        if event_type == "InvoiceBlocked":
            lines.append("请在客户资料中补充统一社会信用代码（PATCH /accounts/{id}），补充后自动提交财务开票")
        if data.get("reason") and event_type == "InvoiceRejected":
            lines.append(f"原因：{data['reason']}")
    else:
        lines = [f"Customer {customer}, order {data.get('order_id')}", f"Invoice {data.get('invoice_id')}: {amount}"]
        if number:
            lines.append(f"Invoice number: {number}")
        if event_type == "InvoiceBlocked":
            lines.append(
                "Add the customer's unified social credit code (PATCH /accounts/{id}); the invoice then "
                "goes to finance by itself"
            )
        if data.get("reason") and event_type == "InvoiceRejected":
            lines.append(f"Reason: {data['reason']}")
    return AlertText(title, "\n".join(lines))


MAX_LISTED = 20  # ids named in one alert; a renewal held by 120 P1 cases names 20 and "… and 100 more"


def _listed(ids: list[str], zh: bool) -> str:
    shown = ", ".join(ids[:MAX_LISTED])
    left_out = len(ids) - MAX_LISTED
    if left_out <= 0:
        return shown
    return f"{shown} 等共 {len(ids)} 个" if zh else f"{shown} … and {left_out} more"


def _renewal_alert(
    event_type: str, data: dict[str, Any], name: str | None, zh: bool, people: dict[str, str]
) -> AlertText:
    """A renewal's news: which contract of which customer, when it ends, and what holds it."""
    title = RENEWAL[event_type][1 if zh else 0].format(days=data.get("days_before", ""))
    customer = name or data.get("account_id") or ""
    contract, end = data.get("contract_id"), data.get("end_date")
    cases = _listed([str(c) for c in data.get("case_ids") or []], zh)
    manager = people.get(str(data.get("account_manager_id") or ""), data.get("account_manager_id"))
    if zh:
        lines = [f"客户 {customer}，合同 {contract}", f"到期日：{end}"]
        if data.get("amount"):
            lines.append(f"金额：{data['amount']} {data.get('currency') or ''}".rstrip())
        if cases:
            lines.append(f"未解决的 P1 工单：{cases}；工单解决前续约审批暂停")
        if event_type == "RenewalReleased":
            lines.append(f"工单 {data.get('case_id')} 已解决，续约审批继续")
        if manager and event_type != "RenewalReminder":
            lines.append(f"客户经理：{manager}")
    else:
        lines = [f"Customer {customer}, contract {contract}", f"Ends on {end}"]
        if data.get("amount"):
            lines.append(f"Amount: {data['amount']} {data.get('currency') or ''}".rstrip())
        if cases:
            lines.append(f"Open P1 case(s): {cases}; the renewal's approvals wait until they are resolved")
        if event_type == "RenewalReleased":
            lines.append(f"Case {data.get('case_id')} resolved: the renewal's approvals proceed")
        if manager and event_type != "RenewalReminder":
            lines.append(f"Account manager: {manager}")
    return AlertText(title, "\n".join(lines))


# account health (CONTRACT §2.10): the dimensions' names, and the overall score ("score")
HEALTH_TITLE = ("🩺 Account health warning", "🩺 客户健康度预警")
HEALTH_WORDS = {
    "usage": ("usage", "产品使用"),
    "support": ("support", "服务支持"),
    "payment": ("payment", "回款"),
    "engagement": ("engagement", "客户互动"),
    "score": ("health score", "健康度总分"),
}


def _health_alert(data: dict[str, Any], name: str | None, zh: bool) -> AlertText:
    """What fell, by how much, and every dimension's score, for the account manager."""
    dimensions = data.get("dimensions") or {}

    def word(key: str) -> str:
        words = HEALTH_WORDS.get(key, (key, key))
        return words[1] if zh else words[0]

    def value(score: Any) -> str:
        return "—" if score is None else f"{score:g}" if isinstance(score, float) else str(score)

    def fell(key: str) -> str:
        if key == "score":
            score, threshold = data.get("score"), data.get("threshold")
        else:
            score, threshold = (dimensions.get(key) or {}).get("score"), (dimensions.get(key) or {}).get("threshold")
        return f"{word(key)} {value(score)} < {value(threshold)}"

    customer = name or data.get("account_id") or ""
    fallen = ", ".join(fell(key) for key in data.get("fell") or [])
    scores = " · ".join(f"{word(key)} {value((d or {}).get('score'))}" for key, d in dimensions.items())
    if zh:
        lines = [f"客户 {customer}：健康度 {value(data.get('score'))}", f"跌破阈值：{fallen}", f"各维度：{scores}"]
        lines.append("请尽快联系客户（必要时安排上门拜访）")
    else:
        lines = [f"Customer {customer}: health {value(data.get('score'))}", f"Fell below: {fallen}"]
        lines += [f"Dimensions: {scores}", "Reach out to the customer (an on-site visit if need be)"]
    return AlertText(HEALTH_TITLE[1 if zh else 0], "\n".join(lines))


# customer segments (CONTRACT §15): the account, its new segment, its RFM and the row's playbook
SEGMENT_TITLE = ("📊 Customer segment: {to}", "📊 客户分层：{to}")


def _segment_alert(data: dict[str, Any], name: str | None, zh: bool) -> AlertText:
    """The account, where it moved from and to, its RFM, and the row's ``note`` as the playbook."""
    customer = name or data.get("account_id") or ""
    rfm = data.get("rfm") or {}
    before = data.get("from") or ("无" if zh else "none")
    r, f, m = rfm.get("recency_days"), rfm.get("frequency"), rfm.get("monetary")
    note = data.get("note")
    if zh:
        lines = [f"客户 {customer}：{before} → {data.get('to')}", f"最近下单 {r} 天前 · 下单 {f} 次 · 金额 {m}"]
        lines += [f"跟进策略：{note}"] if note else []
    else:
        lines = [f"Customer {customer}: {before} → {data.get('to')}"]
        lines += [f"Last order {r} days ago · {f} orders · {m} spent"]
        lines += [f"Playbook: {note}"] if note else []
    return AlertText(SEGMENT_TITLE[1 if zh else 0].format(to=data.get("to")), "\n".join(lines))
