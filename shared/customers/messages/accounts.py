"""Customers (CONTRACT §2.10, §15): the account, its health, segment and NPS — the usage and
survey webhooks' reports, the account's changes and the answers."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.customers.domain.accounts import ADDRESS_LIMIT, APPLIED, PATCHABLE, TEXT_LIMIT, account_field
from shared.customers.domain.health import DIMENSIONS, SCORE
from shared.customers.domain.health_signals import (
    MAX_USERS,
    NEITHER_NAMED,
    OTHER_ACCOUNT,
    account_id_named,
    account_of_credit_code,
    user_count,
)
from shared.customers.domain.nps import COMMENT_LIMIT, comment_of, email_of, score_of
from shared.kernel.messages import validation as check
from shared.kernel.messages.types import Absent, Instant, example, one_of

EXAMPLE_ACCOUNT_ID = "ac_5d1c0e9f8a7b6c5d4e3f"
AccountId = Annotated[str, Field(pattern="^ac_[0-9a-f]{20}$")]
Percent = Annotated[int, Field(ge=0, le=100)]
Count = Annotated[int, Field(ge=0)]
Users = Annotated[int, Field(ge=0, le=MAX_USERS)]
CREDIT_CODE = "the account's unified social credit code"
RESPONDENT = 'must be an object, {"email": "..."} or {}'  # given as null too


def _reading(read_value: Any) -> Any:
    """A field read by the domain's reader when given (null too): its ValueError is the sentence."""

    def check_value(value: Any) -> Any:
        try:
            return read_value(value)
        except ValueError as bad:
            raise check.refuse(str(bad)) from None

    return BeforeValidator(check_value)


def _absent_or(read_value: Any) -> Any:
    return BeforeValidator(check.reading(read_value))


class NamedAccount(BaseModel):
    """A webhook's account: by `account_id` or `credit_code` (both: they must name the same account).
    A field left out is not read; one sent as null is (the survey's `respondent`)."""

    account_id: Annotated[AccountId | Absent, _absent_or(account_id_named)] = None
    credit_code: str | Absent = Field(None, description=CREDIT_CODE)

    @field_validator("credit_code", mode="before")
    @classmethod
    def _credit_code(cls, value: Any, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        try:
            code, account_id = account_of_credit_code(value)
        except ValueError as bad:
            raise check.refuse(str(bad)) from None
        if info.data.get("account_id") not in (None, account_id):
            raise check.refuse(OTHER_ACCOUNT)
        return code

    @model_validator(mode="wrap")
    @classmethod
    def _named(cls, value: Any, handler: ModelWrapValidatorHandler[NamedAccount]) -> NamedAccount:
        """Neither id nor credit code: said of `account_id`, with whatever else is wrong."""
        if not isinstance(value, dict) or value.get("account_id") is not None or value.get("credit_code") is not None:
            return handler(value)
        neither = check.refused_field("account_id", NEITHER_NAMED)
        try:
            handler(value)
        except ValidationError as bad:
            raise check.refusals([neither, *check.refusals_of(bad)]) from None
        raise check.refusals([neither])

    @property
    def named_account_id(self) -> str:
        """The account named: the credit code's, else the id given."""
        if self.credit_code is not None:
            return account_of_credit_code(self.credit_code)[1]
        assert self.account_id is not None
        return self.account_id


Said = Annotated[str | Absent, PlainValidator(check.said_at, json_schema_input_type=Instant | Absent)]


class UsageReport(NamedAccount):
    """Signed sources only (e.g. `product-analytics`). The latest report by `at` counts; an older one
    arriving late is answered `recorded: false` and changes nothing. The account's health is
    recomputed at once: a dimension or the score newly below its threshold records `HealthWarning`
    and alerts the account manager. Bad fields → 400 naming each; an unknown account → `404
    account_not_found`; nothing is stored either way. Give `account_id` or `credit_code` (both: they
    must name the same account)."""

    model_config = example({"account_id": EXAMPLE_ACCOUNT_ID, "at": "2026-11-22T08:00:00Z", "active_users": 12,
                            "licensed_users": 50})  # fmt: skip

    at: Said = Field(None, description="when measured; default now")
    active_users: Annotated[Users, _reading(partial(user_count, least=0))]
    licensed_users: Annotated[Users, Field(ge=1), _reading(partial(user_count, least=1))] = Field(
        description="more active than licensed users is accepted and counts as full use"
    )


class Respondent(BaseModel):
    """who answered: the same email again in the same quarter replaces their answer (kept as a
    SHA-256, never the address)"""

    email: Annotated[Annotated[str, Field(json_schema_extra={"format": "email"})] | Absent, _absent_or(email_of)] = None


class SurveyAnswer(NamedAccount):
    """Signed sources only (e.g. `nps-survey`). The same respondent (email) answering again in the same
    calendar quarter replaces their answer (the later `at` wins; an earlier one arriving late is
    answered `recorded: false`). Records `NpsAnswerRecorded`, which the `nps` KPI counts. Bad fields
    → 400 naming each; an unknown account → `404 account_not_found`; nothing is stored either way.
    Give `account_id` or `credit_code` (both: they must name the same account)."""

    model_config = example({"account_id": EXAMPLE_ACCOUNT_ID, "respondent": {"email": "cfo@example.cn"},
                            "score": 9, "comment": "好用", "at": "2026-11-22T08:00:00Z"})  # fmt: skip

    respondent: Annotated[Respondent | Absent, check.an_object(RESPONDENT, required=True)] = Field(
        None, description=" ".join((Respondent.__doc__ or "").split())
    )
    score: Annotated[int, Field(ge=0, le=10), _reading(score_of)]
    comment: Annotated[Annotated[str, Field(max_length=COMMENT_LIMIT)] | Absent, _absent_or(comment_of)] = None
    at: Said = Field(None, description="when answered; default now")

    @property
    def email(self) -> str | None:
        return self.respondent.email if self.respondent else None


class AccountChange(BaseModel):
    """A bad field → 400 naming it, nothing stored. When the account may be invoiced after the change,
    its blocked invoices are requested from finance in the same transaction (`InvoiceRequested`,
    exactly once). Only the fields given change; any other field → 400 naming it."""

    model_config = example({"credit_code": "91350100M000100Y43"}) | ConfigDict(extra="forbid")

    company: Annotated[str, Field(min_length=1, max_length=TEXT_LIMIT)] | Absent = None
    country: str | Absent = Field(None, description="ISO 3166-1 alpha-2 or a common name")
    credit_code: str | Absent = Field(
        None,
        description="China unified social credit code (GB 32100-2015: 18 characters, check character verified); "
        "supplying a valid one releases the account's blocked invoices",
    )
    address: Annotated[str, Field(min_length=1, max_length=ADDRESS_LIMIT)] | Absent = None
    account_manager_id: str | Absent = Field(None, description="an owner_id of the Owners tab")

    @model_validator(mode="wrap")
    @classmethod
    def _account_fields_only(cls, value: Any, handler: ModelWrapValidatorHandler[AccountChange]) -> AccountChange:
        """A key that is not a field of an account is named with the bad fields (ten at most)."""
        if not isinstance(value, dict):
            return handler(value)
        unknown = [
            check.refused_field(str(name)[:60], f"is not a field of an account (one of: {', '.join(PATCHABLE)})")
            for name in sorted(set(value) - set(PATCHABLE))[:10]
        ]
        try:
            change = handler({name: given for name, given in value.items() if name in PATCHABLE})
        except ValidationError as bad:
            raise check.refusals([*unknown, *check.refusals_of(bad)]) from None
        if unknown:
            raise check.refusals(unknown)
        return change

    @field_validator(*PATCHABLE, mode="before")
    @classmethod
    def _field(cls, value: Any, info: ValidationInfo) -> str:
        """Only a field given is read (a null one too: it "must be text")."""
        assert info.field_name is not None
        try:
            return account_field(info.field_name, value, check.context_of(info)["active"].rules.owners)
        except ValueError as bad:
            raise check.refuse(str(bad)) from None

    @property
    def changes(self) -> dict[str, str]:
        """The fields given, as the account applies them."""
        return {name: getattr(self, name) for name in APPLIED if name in self.model_fields_set}


# ------------------------------------------------------------------ answers


class HealthDimension(BaseModel):
    """the score (null: no data yet) and what it came from (users, CSAT and open P1/P2 cases, overdue
    and rejected invoice ids, active days)"""

    model_config = ConfigDict(extra="allow")

    score: Percent | None
    weight: float = Field(description="the Health tab's weight, as a fraction")
    threshold: float | None


class HealthPoint(BaseModel):
    """the score on one day"""

    model_config = ConfigDict(extra="allow")

    date: str
    score: Percent | None


class AccountHealth(BaseModel):
    """the account's health: its score, each dimension, what is below its threshold"""

    score: Percent | None
    threshold: float | Absent = Field(None, description="Settings `health_threshold`")
    below: list[Annotated[str, one_of([*DIMENSIONS, SCORE])]] = Field(
        description="what is below its threshold now (`score`: the weighted mean)"
    )
    dimensions: dict[Annotated[str, one_of(DIMENSIONS)], HealthDimension]
    computed_at: datetime
    rules_version: str | None = None
    history: list[HealthPoint] | Absent = Field(
        None, description="one point per day (UTC), oldest first, the last 180 days: the trend"
    )


class UsageRecorded(BaseModel):
    """recorded"""

    account_id: str
    recorded: bool = Field(description="false: a later report was already recorded")
    usage: dict[str, Any] = Field(description="the latest report: at, active_users, licensed_users, source")
    health: dict[str, Any] | None = Field(description="score, below, dimension scores, computed_at")


class Rfm(BaseModel):
    """recency, frequency and monetary value of the account's orders"""

    recency_days: Count = Field(description="whole days since the latest order")
    frequency: Count = Field(description="orders in Settings `rfm_window_days`")
    monetary: str = Field(description="those orders' amounts summed (decimal, Settings currency)")
    computed_at: datetime


class AccountNps(BaseModel):
    """net promoter score of the account's answers"""

    value: float | None = Field(description="(promoters − detractors) ÷ answers; null: none")
    numerator: int
    denominator: Count
    promoters: Count
    passives: Count
    detractors: Count
    window_days: Count | Absent = None
    computed_at: datetime | Absent = None


class SurveyRecorded(BaseModel):
    """recorded"""

    account_id: str
    recorded: bool = Field(description="false: a later answer of theirs is already recorded")
    replaced: bool = Field(description="true: it replaced their earlier answer this quarter")
    quarter: str = Field(examples=["2026-Q4"])
    nps: AccountNps


class OpenCase(BaseModel):
    model_config = ConfigDict(extra="allow")

    case_id: str
    priority: str


class ContractOfAccount(BaseModel):
    model_config = ConfigDict(extra="allow")

    contract_id: str
    status: str


class Account(BaseModel):
    """the account: company, credit code, manager, contracts, open cases, invoices, health"""

    account_id: str
    company: str
    credit_code: str | None
    country: str | None
    address: str | None = None
    account_manager_id: str | None
    tax_id_missing: bool = Field(description="a Chinese buyer without a valid credit code")
    blocked_invoices: list[dict[str, Any]] | Absent = None
    invoices: list[dict[str, Any]] | Absent = None
    history: list[dict[str, Any]] | Absent = None
    health: AccountHealth | None = Field(None, description="null: never computed yet")
    open_cases: list[OpenCase] | Absent = None
    contracts: list[ContractOfAccount] | Absent = None
    segment: str | None = Field(
        None, description="a Segments row's `segment`, `unsegmented` (no row holds), or null (no orders)"
    )
    segment_since: datetime | None = None
    rfm: Rfm | None = Field(None, description="null: no orders")
    segment_row: dict[str, Any] | None = Field(None, description="the Segments row that matched")
    nps: AccountNps | Absent = Field(None, description="net promoter score of its answers of the last 90 days")
