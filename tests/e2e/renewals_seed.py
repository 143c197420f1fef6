"""A signed contract in a running local stack, as the e-sign webhook (CONTRACT §2.8, being built
on main) will make it: run as a second-terminal process with the stack's CLOSELOOP_* settings.

    python -m tests.e2e.renewals_seed ENVELOPE SIGNED_AT END_DATE   # prints the contract as JSON
"""

from __future__ import annotations

import json
import sys

from shared.kernel.domain.events import parse_iso


def main(envelope: str, signed_at: str, end_date: str) -> None:
    from infra.local.stack import StackSettings, connect_env
    from shared.adapters.container import container
    from tests.unit.services.renewals_helpers import sign_contract

    connect_env(StackSettings.from_env())
    made = container()
    contract = sign_contract(made.uow, made.rules.current(), parse_iso(signed_at), envelope=envelope, end_date=end_date)
    print(json.dumps({"contract_id": contract.contract_id, "account_id": contract.account_id}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
