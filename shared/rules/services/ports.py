"""The rules' port: where the active rules come from."""

from __future__ import annotations

from typing import Protocol

from shared.rules.domain.active import ActiveRules


class RulesProvider(Protocol):
    def current(self) -> ActiveRules: ...
