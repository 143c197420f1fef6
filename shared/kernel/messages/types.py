"""The field types the messages share, as ``Annotated`` aliases: the limits are the enforcing
modules' constants (shared/*/domain), so a schema says what the code checks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    create_model,
)
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from shared.kernel.domain.events import CLOCK_SKEW, in_the_future
from shared.kernel.domain.normalize import TEXT_LIMIT, credit_code_problem

# a field an answer leaves out rather than sending null: ``x: int | Absent = None``
Absent = SkipJsonSchema[None]

# one line of text a person typed (trimmed; no control or bidi-override characters)
Text = Annotated[str, Field(max_length=TEXT_LIMIT)]


def _not_in_the_future(moment: datetime, info: ValidationInfo) -> datetime:
    """Against the business clock a request is read at (validation.read's ``now``)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    now = (info.context or {}).get("now") or datetime.now(UTC)
    if in_the_future(aware, now):
        raise ValueError(f"is more than {int(CLOCK_SKEW.total_seconds() // 60)} minutes in the future")
    return aware


# when something happened (ISO 8601; no offset means UTC): never later than now and the clock skew
Instant = Annotated[datetime, AfterValidator(_not_in_the_future)]

# an amount of money: a decimal, written as text with two places so no float rounds it; a request
# may send a number or text (`800000`, `"800,000"`)
Money = Annotated[
    Decimal,
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": ["number", "string"]}, mode="validation"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d+\.\d{2}$", "description": "money as decimal text, two places"},
        mode="serialization",
    ),
]

# a share 0..1 (a discount, a probability) as decimal text
Share = Annotated[
    Decimal,
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": r"^(0(\.\d{1,6})?|1)$", "description": "a share 0..1 as decimal text"}
    ),
]


def _credit_code(code: str) -> str:
    code = "".join(code.split()).upper()
    problem = credit_code_problem(code)
    if problem:
        raise ValueError(problem)
    return code


# China unified social credit code (GB 32100-2015), checksum verified; spaces and lower case tolerated
CreditCode = Annotated[str, Field(max_length=40), AfterValidator(_credit_code)]

# ISO 3166-1 alpha-2 or a common name (English or Chinese), stored as alpha-2
Country = Annotated[str, Field(max_length=TEXT_LIMIT)]

# someone on the Owners tab
OwnerId = Annotated[str, Field(min_length=1, max_length=TEXT_LIMIT, pattern=r"\S")]


def one_of(values: Any) -> Any:
    """A text field's vocabulary, read from the module that enforces it: ``Annotated[str, one_of(X)]``."""
    return Field(json_schema_extra={"enum": list(values)})


def example(value: dict[str, Any] | None, **schema: Any) -> ConfigDict:
    """A model's example (the description shows it with the operation; None: not the parent's), and
    what else its JSON schema says that its fields cannot (``anyOf`` of required fields, ...)."""
    return ConfigDict(json_schema_extra=cast(JsonDict, ({"examples": [value]} if value else {}) | schema))


# a calendar day, written YYYY-MM-DD
Day = Annotated[date, WithJsonSchema({"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})]


def declared(name: str, fields: dict[str, Any], doc: str | None = None, base: type[BaseModel] | None = None) -> Any:
    """A model whose fields are read from a declaration (a vocabulary, a list's filters): ``fields``
    maps each name to ``(type, default or Field)``; ``base`` gives its config and first fields."""
    return create_model(name, __doc__=doc, __base__=base or BaseModel, **fields)
