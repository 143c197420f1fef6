"""A cold API container's first lead (issue 14): what it must not import."""

from __future__ import annotations

import json
import os
import subprocess

from tests.conftest import python_script

# A fresh interpreter, as a cold Lambda container: import the API, answer one lead whose SLA
# clock counts business hours of a calendar with China's public holidays (the example rules).
_FIRST_LEAD = """
import json, sys
from chalice.test import Client
from functions.api.app import app

lead = {"email": "cold@example.cn", "company": "上海精密制造", "province": "上海", "industry": "制造业",
        "employees": 1500, "title": "采购总监"}
with Client(app) as client:
    response = client.http.post("/webhooks/leads/website", body=json.dumps(lead).encode(),
                                headers={"Content-Type": "application/json"})
assert response.status_code == 201, response.body
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("holidays", "pydantic", "pydantic_core")
                        or m.startswith("shared.") and m.split(".")[2:3] == ["messages"])))
"""


def test_a_cold_containers_first_lead_never_imports_holidays_nor_the_message_models(clean_aws, tmp_path):
    # `import holidays` loads ~250 country modules; publishing resolved the public days instead.
    # The event models (shared/*/messages, pydantic) describe and check events in the tests; the
    # lead's cold start does not pay for them (issue 18: at most 5 % more)
    script = tmp_path / "first_lead.py"
    script.write_text(_FIRST_LEAD, encoding="utf-8")
    result = subprocess.run(python_script(str(script)), capture_output=True, text=True, env=os.environ, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []  # no holidays, pydantic or message module loaded
