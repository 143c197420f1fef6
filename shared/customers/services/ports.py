"""The customers' ports: accounts and contracts, and the unit of work the customer services
commit through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.customers.domain.accounts import Account
from shared.customers.domain.contracts import Contract
from shared.service_desk.services.ports import CasesWork
from shared.time.services.ports import TimersWork


class ContractRepository(Protocol):
    def get(self, contract_id: str) -> Contract | None: ...  # a consistent read
    def of_account(self, account_id: str) -> list[Contract]: ...  # soonest end first
    def of_quote(self, quote_id: str) -> str | None: ...  # the contract id that signed the quote


@dataclass(frozen=True)
class SegmentPosition:
    """Where a page of one segment's accounts stopped (newest in the segment first)."""

    segment_since: str
    account_id: str


class AccountRepository(Protocol):
    def get(self, account_id: str) -> Account | None: ...  # a consistent read

    def in_segment(
        self, segment: str, limit: int, after: SegmentPosition | None = None
    ) -> tuple[list[Account], SegmentPosition | None]:
        """Up to ``limit`` accounts now in ``segment``, newest in it first, after ``after``; and
        where the next page starts (None: no more). One Query of the ``by_segment`` index and one
        consistent batch read, never a scan."""
        ...

    def count_in_segment(self, segment: str) -> int:
        """How many accounts the ``by_segment`` index holds for ``segment`` (a count Query)."""
        ...

    def page(self, limit: int, after: str | None = None) -> tuple[list[Account], str | None]:
        """Up to ``limit`` accounts after the account id ``after`` (None: from the start), and where
        the next page starts (None: that was the last). For sweeps that visit every account."""
        ...


class CustomersWork(CasesWork, TimersWork, Protocol):
    """The unit of work with the accounts and contracts, the cases that feed an account's health
    and hold its renewals, the pools that choose its manager, and the renewal reminders."""

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def contracts(self) -> ContractRepository: ...
