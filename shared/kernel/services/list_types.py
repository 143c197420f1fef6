r"""The shapes of a list (CONTRACT §11): an aggregate's declaration (:class:`Listing`, its
:class:`Filter`\ s) and what a repository is asked and answers. Plain data: the ports, the list
machinery (listing.py) and the declarations (list_specs.py) share it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Parse = Callable[[str], tuple[str, ...]]  # a parameter's text -> the stored values it matches


@dataclass(frozen=True)
class ListCondition:
    """One filter of a list: the stored ``field`` is one of ``values`` (``match``) or sorts
    before ``values[0]`` (``before``)."""

    field: str
    values: tuple[str, ...]
    compare: Literal["match", "before"] = "match"


@dataclass(frozen=True)
class ListPosition:
    """Where a page stopped: the list key (``<time>#<id>``) of its last item."""

    key: str


@dataclass
class ListPage:
    items: list[Any]
    after: ListPosition | None  # None: nothing more


@dataclass(frozen=True)
class Filter:
    """One query parameter: the stored value it compares (``of`` the aggregate) and how its text
    reads. ``match``: the stored value is one of the parsed ones; ``before``: it sorts before the
    (one) parsed value."""

    name: str
    of: Callable[[Any], str | None]
    parse: Parse
    compare: Literal["match", "before"] = "match"
    help: str = ""
    choices: tuple[str, ...] = ()  # the words it takes, when it takes a fixed set


@dataclass(frozen=True)
class Listing:
    """How one aggregate kind is listed: its subject kind (``case``), the page's key (``cases``),
    the time it is listed by, its id, its filters, and its summary in a page."""

    kind: str
    plural: str
    listed_at: Callable[[Any], str]
    id_of: Callable[[Any], str]
    is_id: Callable[[str], bool]
    summary: Callable[[Any], dict[str, Any]]
    filters: tuple[Filter, ...] = ()
    since: bool = True  # the list takes ``since`` (a time or a duration back from now)
    columns: tuple[str, ...] = field(default=())  # the CLI table's columns, from the summary
    # the shape of ``summary``: stored with each index entry's row, which is read whole while its
    # stored version differs (bump it when the summary's keys or values change; a test pins it)
    row_version: int = 1

    @property
    def parameters(self) -> tuple[str, ...]:
        return (*(f.name for f in self.filters), *(("since",) if self.since else ()), "limit", "cursor")
