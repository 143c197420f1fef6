"""The active rules: one rules version with what is derived from it, each derived once.

Time's views (SLA rows, calendars) are attributes; a capability above the rules derives its own
through :meth:`ActiveRules.derive` (``shared.leads.domain.routing.index_of``,
``shared.sales.domain.stages.funnel_of``), so the rules name no capability above them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar, cast

from shared.rules.domain.rules import RuleSet
from shared.time.domain.calendars import Calendar, calendars_from_content
from shared.time.domain.sla import SlaRule

T = TypeVar("T")


@dataclass(frozen=True)
class ActiveRules:
    """One rules version with what is derived from it once: SLA rows, calendars, and each view
    a capability derives (the routing index, the funnel, products, discounts)."""

    rules: RuleSet
    _derived: dict[Callable[[RuleSet], Any], Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def version(self) -> str:
        return self.rules.version

    def derive(self, view: Callable[[RuleSet], T]) -> T:
        """What ``view`` (a module-level function: it is the key) makes of these rules, made on
        first use and kept for as long as this version is active."""
        if view not in self._derived:
            self._derived[view] = view(self.rules)
        return cast(T, self._derived[view])

    @cached_property
    def sla(self) -> tuple[SlaRule, ...]:
        rows = self.rules.content.get("SLA", [])
        return tuple(SlaRule.from_row(row, number) for number, row in enumerate(rows, 1))

    @cached_property
    def calendars(self) -> dict[str, Calendar]:
        return calendars_from_content(self.rules.content)
