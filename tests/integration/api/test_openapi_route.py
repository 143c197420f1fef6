"""GET /openapi.json: the description, to anyone, as JSON; and no route without a body minds a
Content-Type header (Chalice alone would answer 415, a status these routes do not document)."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client

from functions.api.app import app
from functions.api.openapi import document
from tests.conftest import ADMIN_KEY


def test_the_description_is_served_without_auth() -> None:
    with Client(app) as client:
        response = client.http.get("/openapi.json")
    assert response.status_code == 200
    assert {k.lower(): v for k, v in response.headers.items()}["content-type"].startswith("application/json")
    assert json.loads(response.body) == document()


SAMPLE = {"{source}": "website", "{lead_id}": "ld_00000000000000000000"}
REQUIRED_QUERY = {  # a list whose filter is required; the person an export is about
    "/accounts": "?segment=unsegmented",
    "/privacy/export": "?email=nobody@example.cn",
}
WITHOUT_A_BODY = [
    (method.upper(), path)
    for path, item in document()["paths"].items()
    for method, operation in item.items()
    if "requestBody" not in operation
]


@pytest.mark.parametrize(("method", "path"), WITHOUT_A_BODY)
def test_a_route_without_a_body_ignores_the_content_type(clean_aws: object, method: str, path: str) -> None:
    headers = {"Content-Type": "text/plain", "X-Api-Key": ADMIN_KEY, "Origin": "https://www.example.com"}
    with Client(app) as client:
        query = REQUIRED_QUERY.get(path, "")
        for name, value in SAMPLE.items():
            path = path.replace(name, value)
        response = client.http.request(method, path + query, headers=headers)
    assert response.status_code in (200, 204, 404), response.body
