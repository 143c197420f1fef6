"""Net promoter answers (CONTRACT §15, NPS). Pure: time is passed in.

A survey tool posts ``{"account_id" | "credit_code", "respondent": {"email"?}, "score": 0-10,
"comment"?, "at"}``. The answer is kept on the account; the same respondent answering again in the
same calendar quarter (UTC) replaces their answer (the later ``at`` wins, so arrival order does not
matter). Respondents are kept as a SHA-256 of their normalised email, never the address: the
KPIs and the account need to know "the same person", not who. An answer without an email is
its own respondent.

Promoters score 9–10, detractors 0–6; NPS = (promoters − detractors) ÷ answers, a share
(``0.25`` reads "+25"). The account shows it over its answers of the last 90 days.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from shared.kernel.domain.events import Event, iso, parse_iso
from shared.kernel.domain.forms import text_problem

ACCOUNT_WINDOW = timedelta(days=90)
PROMOTER, DETRACTOR = 9, 6  # at or above / at or below
COMMENT_LIMIT = 2000
MAX_ANSWERS = 500  # one DynamoDB item: the oldest answers give way


def quarter_of(moment: str) -> str:
    at = parse_iso(moment)
    return f"{at.year}-Q{(at.month - 1) // 3 + 1}"


def respondent_key(email: str | None, answer: Sequence[Any] = ()) -> str:
    """Who answered, as the KPIs and the account keep it: a hash of the email; without one, a hash
    of the answer itself (the same answer posted twice is still one answer)."""
    if email is None:
        material = "|".join(str(part) for part in answer)
        return "anon-" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:24]
    return "r-" + hashlib.sha256(email.encode("utf-8")).hexdigest()[:24]


def score_of(value: Any) -> int:
    if value is None:
        raise ValueError("is required")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError("must be a whole number from 0 to 10")
    return value


def email_of(value: Any) -> str:
    """The respondent's email, normalised (only its hash is kept)."""
    from shared.kernel.domain.normalize import normalize_email

    if not isinstance(value, str) or len(value) > 254:
        raise ValueError("must be an email address")
    try:
        return normalize_email(value)
    except ValueError as bad:
        raise ValueError(str(bad) or "must be an email address") from None


def comment_of(value: Any) -> str | None:
    """What the respondent wrote, trimmed (None: nothing)."""
    problem = "must be text" if not isinstance(value, str) else text_problem(value, multiline=True)
    if problem is None and len(str(value)) > COMMENT_LIMIT:
        problem = f"must be at most {COMMENT_LIMIT} characters"
    if problem:
        raise ValueError(problem)
    return str(value).strip() or None


def answer_of(account_id: str, score: int, at: str, comment: str | None, email: str | None) -> dict[str, Any]:
    """The answer as the account keeps it: its respondent (a hash) and its quarter."""
    return {
        "account_id": account_id,
        "score": score,
        "at": at,
        "comment": comment,
        "respondent": respondent_key(email, (account_id, at, score, comment)),
        "quarter": quarter_of(at),
    }


def record_answer(answers: list[dict[str, Any]], answer: Mapping[str, Any], source: str) -> tuple[bool, bool]:
    """Keep the answer on the account's list; (recorded, replaced). The same respondent's answer
    for the same quarter is replaced by a later one; an earlier one arriving late changes nothing."""
    kept = {k: answer[k] for k in ("respondent", "quarter", "score", "at", "comment")}
    kept["source"] = source
    for i, old in enumerate(answers):
        if old["respondent"] == answer["respondent"] and old["quarter"] == answer["quarter"]:
            if parse_iso(str(old["at"])) >= parse_iso(str(answer["at"])):
                return False, False
            answers[i] = kept
            return True, True
    answers.append(kept)
    answers.sort(key=lambda a: str(a["at"]))
    del answers[:-MAX_ANSWERS]
    return True, False


def nps_of(scores: Sequence[int]) -> dict[str, Any]:
    """``{"value", "numerator", "denominator", "promoters", "passives", "detractors"}``."""
    promoters = sum(1 for s in scores if s >= PROMOTER)
    detractors = sum(1 for s in scores if s <= DETRACTOR)
    n = len(scores)
    return {
        "value": None if n == 0 else round((promoters - detractors) / n, 4),
        "numerator": promoters - detractors,
        "denominator": n,
        "promoters": promoters,
        "passives": n - promoters - detractors,
        "detractors": detractors,
    }


def account_nps(answers: Sequence[Mapping[str, Any]], now: datetime) -> dict[str, Any]:
    """The account's NPS over its answers of the last 90 days (to ``now``)."""
    since = now - ACCOUNT_WINDOW
    scores = [int(a["score"]) for a in answers if since <= parse_iso(str(a["at"])) <= now]
    return {**nps_of(scores), "window_days": ACCOUNT_WINDOW.days, "computed_at": iso(now)}


def answer_event(
    account: Any, answer: Mapping[str, Any], replaced: bool, source: str, now: datetime, rules_version: str | None
) -> Event:
    data = {
        "account_id": account.account_id,
        "respondent": answer["respondent"],
        "score": answer["score"],
        "at": answer["at"],
        "quarter": answer["quarter"],
        "replaced": replaced,
        "source": source,
        "owner_id": account.account_manager_id,
    }
    return Event("NpsAnswerRecorded", account.subject, now, data, rules_version=rules_version)


__all__ = [
    "account_nps",
    "answer_event",
    "answer_of",
    "comment_of",
    "email_of",
    "nps_of",
    "quarter_of",
    "record_answer",
    "respondent_key",
    "score_of",
]
