"""``POST /webhooks/surveys/{source}`` (CONTRACT §15, NPS): a net promoter answer recorded on the
account with its ``NpsAnswerRecorded`` (which the KPI rollups fold into ``nps``), in one
transaction conditioned on the account's version: the same answer twice, or two at once, never
counts twice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.customers.domain.nps import account_nps, answer_event, answer_of, record_answer
from shared.customers.services.ports import CustomersWork
from shared.kernel.domain.errors import AccountNotFound, Conflict
from shared.kernel.domain.events import iso
from shared.kernel.services.ports import Change, Clock, Save
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Source

if TYPE_CHECKING:
    from shared.customers.messages.accounts import SurveyAnswer

BUSY = "this account is being changed by many requests at once; please retry"


def record_survey(
    survey: SurveyAnswer, source: Source, active: ActiveRules, uow: CustomersWork, clock: Clock
) -> dict[str, Any]:
    """``{"account_id", "recorded", "replaced", "quarter", "nps"}``: ``recorded`` false when a later
    answer of the same respondent for the quarter is already there; ``nps`` the last 90 days'."""
    received = clock()  # absent, the answer's time is when it came
    account_id = survey.named_account_id
    answer = answer_of(account_id, survey.score, survey.at or iso(received), survey.comment, survey.email)

    def attempt() -> dict[str, Any]:
        now = clock()
        account = uow.accounts.get(account_id)
        if account is None:
            raise AccountNotFound(f"no account with id {account_id!r}", fields={"account_id": "no such account"})
        version = account.version
        recorded, replaced = record_answer(account.nps_answers, answer, source.source)
        if recorded:
            event = answer_event(account, answer, replaced, source.source, now, active.version)
            uow.commit(Change(saves=[Save(account, version)], events=[event]))
        return {
            "account_id": account_id,
            "recorded": recorded,
            "replaced": replaced,
            "quarter": answer["quarter"],
            "nps": account_nps(account.nps_answers, now),
        }

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))
