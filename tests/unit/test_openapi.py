"""The OpenAPI description tells the truth about the routes, the template and the code's limits."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from functions.api import openapi
from functions.api.errors import every_error, status_for
from infra.template import api_routes, load_template
from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.domain.normalize import KNOWN_FIELDS
from shared.leads.messages.leads import LeadActivity
from shared.leads.services.activities import record_activity
from shared.rules.domain.active import ActiveRules
from tests.unit.services.helpers import TickingClock, capture, command_of

DOC = openapi.document()
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def documented_operations() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in DOC["paths"].items() for method in item if method in METHODS}


def test_the_description_the_chalice_routes_and_the_template_list_the_same_operations() -> None:
    """A new route must join the description (and template.yaml), or this fails."""
    from functions.api.app import app

    chalice = {(method, path) for path, entries in app.routes.items() for method in entries}
    assert documented_operations() == chalice
    assert chalice == api_routes(load_template())


def test_the_document_is_valid_openapi_3_1() -> None:
    import schemathesis

    schemathesis.openapi.from_dict(copy.deepcopy(DOC)).validate()
    assert json.loads(openapi.document_json()) == DOC


def _examples() -> list[tuple[str, dict[str, Any], Any]]:
    found = []
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            bodies = operation.get("requestBody", {}).get("content", {})
            for media, content in bodies.items():
                if "example" in content:
                    found.append((f"{method} {path} {media}", content["schema"], content["example"]))
            for status, response in operation["responses"].items():
                for media, content in response.get("content", {}).items():
                    if "example" in content:
                        found.append((f"{method} {path} {status} {media}", content["schema"], content["example"]))
    return found


@pytest.mark.parametrize(("where", "schema", "example"), _examples(), ids=[e[0] for e in _examples()])
def test_every_example_fits_its_schema(where: str, schema: dict[str, Any], example: Any) -> None:
    resolved = _resolve(schema)
    Draft202012Validator(resolved, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(example)


def _resolve(node: Any) -> Any:
    """Inline `#/components/...` references (the document has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = DOC
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target)
        return {k: _resolve(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v) for v in node]
    return node


def test_every_error_code_is_one_the_code_can_answer_with_its_status() -> None:
    known = {cls.code: status_for(cls) for cls in every_error()} | {openapi.INTERNAL_ERROR: 500}
    for operation, statuses in openapi.error_codes_by_operation().items():
        assert 500 in statuses, operation
        for status, codes in statuses.items():
            for code in codes:
                assert known.get(code) == status, f"{operation}: {code} is {known.get(code)}, documented {status}"


def test_every_contract_lead_field_is_described_in_every_encoding() -> None:
    content = DOC["paths"]["/webhooks/leads/{source}"]["post"]["requestBody"]["content"]
    for media in ("application/json", "application/x-www-form-urlencoded", "multipart/form-data"):
        properties = content[media]["schema"]["properties"]
        assert set(KNOWN_FIELDS) | {"_hp"} <= set(properties), media
        assert ("_redirect" in properties) == (media != "application/json"), media


def test_the_documented_response_shapes_have_the_keys_the_code_returns(
    example_rules: ActiveRules,
) -> None:
    store, clock = MemoryUnitOfWork(), TickingClock()
    result = capture(
        {**openapi.EXAMPLE_LEAD, "consent": "yes", "budget": "500,000", "utm_source": "x", "message": "hi"},
        example_rules,
        store,
        clock,
    )
    lead = result.lead
    schemas = DOC["components"]["schemas"]
    assert set(lead.summary("v1")) == set(schemas["LeadSummary"]["properties"])
    assert set(result.body()) - set(schemas["LeadSummary"]["properties"]) == {"status"}
    owner = lead.owner_id or "u_nobody"
    activity = record_activity(
        lead.lead_id,
        command_of(LeadActivity, {"type": "call", "by": owner}, example_rules, clock),
        example_rules,
        store,
        clock,
    )
    recorded = set(schemas["Activity"]["properties"]) | set(schemas["ActivityRecorded"]["properties"])
    assert set(activity) == recorded
    stored = store.get(lead.lead_id)
    assert stored is not None
    view = stored.view()
    for name, shown in (("Lead", view), ("Decision", view["decision"]), ("Touch", view["touches"][0])):
        undocumented = sorted(set(shown) - set(schemas[name]["properties"]))
        assert undocumented == [], f"describe these {name} keys in functions/api/openapi.py (_schemas)"
    assert set(view["touches"][0]) == set(schemas["Touch"]["properties"])
    Draft202012Validator(_resolve(schemas["Lead"])).validate(json.loads(json.dumps(view)))


def test_the_description_is_not_built_at_cold_start() -> None:
    """Importing the app (a Lambda cold start) loads no part of the description."""
    import subprocess
    import sys

    code = "import sys, functions.api.app; print('functions.api.openapi' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "False"


def test_a_lead_capture_cold_start_loads_no_message_models() -> None:
    """pydantic and shared/*/messages describe the API; answering a lead needs neither (issue 18)."""
    import subprocess
    import sys

    code = (
        "import sys, functions.api.app\n"
        "from functions.api.dispatch import handler_of\n"
        "from functions.api.routes import BY_KEY\n"
        "handler_of(BY_KEY['POST', '/webhooks/leads/{source}'])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('pydantic')"
        " or m.startswith('shared.') and m.split('.')[2:3] == ['messages']}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"
