"""Development origins through the API: a page on localhost or opened from disk posts to a public
source only where the local stack allows it (`closeloop dev --allow-dev-origins`); a deployed
stack, whatever its environment, never lets it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from functions.api.app import app
from infra import template as cfn
from shared.adapters.container import Container, reset_container
from shared.adapters.settings import Settings
from shared.leads.domain.origins import DEV_ORIGINS_HINT, DevOrigins
from tests.integration.api.helpers import body, post_lead

PAGE = "http://localhost:5500"
THANKS = f"{PAGE}/thanks.html"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REFUSED = "origin 'http://localhost:5500' is not allowed to post to source 'website'"


def client_for(clean_aws, dev_origins: DevOrigins) -> Client:
    """The API over a container with this setting (the rules clean_aws published are in DynamoDB)."""
    reset_container(Container(replace(clean_aws.settings, dev_origins=dev_origins)))
    return Client(app)


def lead_count() -> int:
    from shared.adapters.dynamo.models import LeadItem

    return sum(1 for _ in LeadItem.scan())


def form_post(client: Client, origin: str, **fields: str):
    return client.http.post(
        "/webhooks/leads/website", body=urlencode(fields).encode(), headers={**FORM, "Origin": origin}
    )


# ------------------------------------------------------------------ a deployed stack


def test_a_deployed_stack_refuses_dev_origins_and_mentions_no_local_flag(clean_aws):
    with client_for(clean_aws, DevOrigins.NEVER) as client:
        for origin in (PAGE, "null", "http://127.0.0.1:8080"):
            response = form_post(client, origin, email="dev@example.cn")
            assert response.status_code == 403, origin
            assert "Access-Control-Allow-Origin" not in response.headers
            assert "allow-dev-origins" not in body(response)["error"]["message"]
        assert body(form_post(client, PAGE, email="dev@example.cn"))["error"]["message"] == REFUSED
    assert lead_count() == 0


def test_no_environment_variable_turns_dev_origins_on_in_aws(clean_aws, monkeypatch):
    """A function builds its settings from its environment: the template's variables, and any
    other one somebody adds, including the local stack's own switch, leave dev origins off."""
    template = cfn.load_template()
    variables = {k: "x" for k in (cfn.function_globals(template).get("Environment") or {}).get("Variables") or {}}
    variables.update(CLOSELOOP_DEV_ORIGINS="on", DEV_ORIGINS="allowed", dev_origins="allowed")
    assert Settings.from_env({**variables, "CLOSELOOP_RULES_CHECK_SECONDS": "0"}).dev_origins is DevOrigins.NEVER
    assert "DEV_ORIGINS" not in cfn.TEMPLATE_PATH.read_text(encoding="utf-8").upper()

    monkeypatch.setenv("CLOSELOOP_DEV_ORIGINS", "on")
    reset_container(None)  # the container a Lambda builds on its first request
    with Client(app) as client:
        response = form_post(client, PAGE, email="dev@example.cn")
    assert response.status_code == 403 and body(response)["error"]["message"] == REFUSED
    assert lead_count() == 0


def test_only_the_local_stack_code_allows_dev_origins() -> None:
    """The one writer of DevOrigins.ALLOWED outside the domain and the tests is infra/local."""
    root = Path(__file__).resolve().parents[3]
    writers = [
        path.relative_to(root).as_posix()
        for folder in ("shared", "functions", "schedules", "admin_sheets", "infra")
        for path in (root / folder).rglob("*.py")
        if "DevOrigins.ALLOWED" in path.read_text(encoding="utf-8")
    ]
    assert sorted(writers) == ["infra/local/stack.py", "shared/leads/domain/origins.py"]


# ------------------------------------------------------------------ the local stack without the flag


def test_the_local_stack_refuses_dev_origins_and_says_how_to_allow_them(clean_aws):
    with client_for(clean_aws, DevOrigins.REFUSED) as client:
        response = form_post(client, PAGE, email="dev@example.cn")
        assert response.status_code == 403
        assert body(response)["error"] == {"code": "forbidden", "message": f"{REFUSED}; {DEV_ORIGINS_HINT}"}

        preflight = client.http.request("OPTIONS", "/webhooks/leads/website", headers={"Origin": "null"})
        assert preflight.status_code == 403 and body(preflight)["error"]["message"].endswith(DEV_ORIGINS_HINT)

        # a page on an allowed origin asking to be sent back to localhost
        back = form_post(client, "https://www.example.com", email="dev@example.cn", _redirect=THANKS)
        assert back.status_code == 400 and "Location" not in back.headers
        assert body(back)["error"]["code"] == "invalid_redirect"
        assert body(back)["error"]["message"].endswith(DEV_ORIGINS_HINT)

        foreign = form_post(client, "https://evil.example", email="dev@example.cn")
        assert foreign.status_code == 403 and "allow-dev-origins" not in body(foreign)["error"]["message"]
    assert lead_count() == 0


# ------------------------------------------------------------------ closeloop dev --allow-dev-origins


@pytest.fixture
def dev_client(clean_aws):
    with client_for(clean_aws, DevOrigins.ALLOWED) as client:
        yield client


def test_a_page_on_localhost_posts_and_is_sent_back_to_its_thanks_page(dev_client):
    response = form_post(dev_client, PAGE, email="local.page@example.cn", name="本地", _hp="", _redirect=THANKS)
    assert response.status_code == 303 and response.headers["Location"] == THANKS
    assert response.headers["Access-Control-Allow-Origin"] == PAGE
    assert lead_count() == 1


def test_a_refusal_goes_back_to_the_dev_page_with_its_code(dev_client):
    response = form_post(dev_client, "http://127.0.0.1:5500", email="nope", _redirect="http://127.0.0.1:5500/")
    assert response.status_code == 303
    assert response.headers["Location"] == "http://127.0.0.1:5500/?error=validation_failed&fields=email"
    assert lead_count() == 0


def test_a_page_opened_from_disk_posts_with_fetch_and_reads_the_answer(dev_client):
    preflight = dev_client.http.request(
        "OPTIONS", "/webhooks/leads/website", headers={"Origin": "null", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "null"
    response = post_lead(dev_client, "website", {"email": "from.disk@example.cn"}, {"Origin": "null"})
    assert response.status_code == 201 and response.headers["Access-Control-Allow-Origin"] == "null"


def test_a_fetch_page_can_read_why_it_was_refused(dev_client):
    """Errors carry the CORS headers of an allowed origin: without them fetch() sees only a
    network error and the page cannot show which field is wrong."""
    response = post_lead(dev_client, "website", {"email": "not-an-email"}, {"Origin": PAGE})
    assert response.status_code == 400 and response.headers["Access-Control-Allow-Origin"] == PAGE
    assert body(response)["error"]["fields"]["email"]
    bad_type = post_lead(dev_client, "website", b"email=x", {"Origin": PAGE, "Content-Type": "text/plain"})
    assert bad_type.status_code == 415 and bad_type.headers["Access-Control-Allow-Origin"] == PAGE


def test_the_flag_opens_nothing_else(dev_client):
    for origin in ("https://evil.example", "http://localhost.evil.example", "http://192.168.1.20:5500"):
        response = form_post(dev_client, origin, email="dev@example.cn")
        assert response.status_code == 403 and "Access-Control-Allow-Origin" not in response.headers
    away = form_post(dev_client, PAGE, email="dev@example.cn", _redirect="https://evil.example/thanks")
    assert away.status_code == 400 and body(away)["error"]["code"] == "invalid_redirect"
    assert lead_count() == 0
