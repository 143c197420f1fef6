"""What operations sees: one structured log line and one metric per captured lead — and never
the person's email, phone or name in either."""

from __future__ import annotations

import json

from chalice.test import Client

from functions.api.app import app
from tests.integration.api.helpers import body, post_lead

PERSON = {"email": "very.private@example.cn", "phone": "13912345678", "name": "隐私先生", "employees": 300}


def test_a_capture_is_logged_and_counted_without_personal_data(clean_aws, capsys):
    with Client(app) as client:
        lead = body(post_lead(client, "website", PERSON))
    out = capsys.readouterr()
    lines = [json.loads(line) for line in (out.out + out.err).splitlines() if line.startswith("{")]
    [logged] = [line for line in lines if line.get("message") == "lead captured"]
    assert logged["lead_id"] == lead["lead_id"] and logged["grade"] == lead["grade"]
    [metric] = [line for line in lines if "LeadsCaptured" in line]
    assert metric["source"] == "website" and metric["outcome"] == "created" and metric["LeadsCaptured"] == [1.0]
    everything = out.out + out.err
    for secret in ("very.private", "13912345678", "隐私先生"):
        assert secret not in everything
