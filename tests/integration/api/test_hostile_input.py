"""Hostile input found by fuzzing the local stack (issue 7): refused at the door with a 4xx that
names the field, never a 5xx, never stored half-way, never stored unreadable."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from chalice.test import Client

from functions.api.app import app
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import body, get_lead, post_lead, signed_headers

HUGE_INT = b"9" * 5000  # int() of it raises ValueError inside json.loads
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(clean_aws):
    with Client(app) as c:
        yield c


def counts() -> tuple[int, int, int]:
    from shared.adapters.dynamo.models import EventItem, LeadItem, LeadKeyItem

    return sum(1 for _ in LeadItem.scan()), sum(1 for _ in LeadKeyItem.scan()), sum(1 for _ in EventItem.scan())


def fields_of(response, status: int = 400) -> dict[str, str]:
    assert response.status_code == status, response.body
    error = body(response)["error"]
    assert error["code"] == "validation_failed", error
    return error["fields"]


def new_lead(client) -> str:
    response = post_lead(client, "hubspot", {"email": "target@example.cn"}, signed=True)
    assert response.status_code == 201, response.body
    return body(response)["lead_id"]


# --- 1. a JSON integer of 5,000 digits -----------------------------------------------------------


@pytest.mark.parametrize("source, signed", [("website", False), ("hubspot", True)])
@pytest.mark.parametrize(
    "raw, field",
    [
        (b'{"email": "big@example.cn", "employees": ' + HUGE_INT + b"}", "employees"),
        (b'{"email": "big@example.cn", "budget": -' + HUGE_INT + b"}", "budget"),
        (b'{"email": "big@example.cn", "budget": ' + HUGE_INT + b".5e3}", "budget"),
        (b'{"email": "big@example.cn", "seats": [1, {"n": ' + HUGE_INT + b"}]}", "seats"),
    ],
    ids=["employees", "budget", "budget float", "nested extra"],
)
def test_a_5000_digit_number_on_the_lead_routes_is_a_400_naming_the_field(client, source, signed, raw, field):
    before = counts()
    assert field in fields_of(post_lead(client, source, raw, signed=signed))
    assert counts() == before


def test_a_5000_digit_number_on_activity_and_behaviour_is_a_400_naming_the_field(client):
    lead_id = new_lead(client)
    raw = b'{"type": "call", "by": "u_wang", "at": ' + HUGE_INT + b"}"
    response = client.http.post(
        f"/leads/{lead_id}/activities", body=raw, headers={"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
    )
    assert set(fields_of(response)) == {"at"}
    raw = b'{"lead_id": "' + lead_id.encode() + b'", "event": "email_open", "at": ' + HUGE_INT + b"}"
    response = client.http.post("/webhooks/behavior/hubspot", body=raw, headers=signed_headers(raw))
    assert set(fields_of(response)) == {"at"}


# --- 2. text that is not valid Unicode, and control characters ---------------------------------


@pytest.mark.parametrize("field", ["name", "country", "company", "message", "wechat_id"])
def test_a_lone_surrogate_is_refused_naming_the_field_and_nothing_is_stored(client, field):
    raw = b'{"email": "ghost@example.cn", "' + field.encode() + b'": "\\ud800"}'
    before = counts()
    assert set(fields_of(post_lead(client, "website", raw))) == {field}
    assert counts() == before


def test_a_lone_surrogate_in_a_field_name_is_refused_printably(client):
    response = post_lead(client, "website", b'{"email": "ghost@example.cn", "\\udc00x": "v"}')
    assert list(fields_of(response)) == ["\\udc00x"]
    assert response.body.decode("utf-8")


def test_a_lone_surrogate_in_an_activity_note_is_refused(client):
    lead_id = new_lead(client)
    response = client.http.post(
        f"/leads/{lead_id}/activities",
        body=b'{"type": "call", "by": "u_wang", "note": "hi \\udfff"}',
        headers={"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"},
    )
    assert set(fields_of(response)) == {"note"}
    assert get_lead(client, lead_id).status_code == 200


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x85", "\n", "\t", "\u202e"])
def test_control_characters_in_single_line_fields_are_refused(client, char):
    response = post_lead(client, "website", {"email": "ctl@example.cn", "name": f"Li{char}Lei"})
    assert set(fields_of(response)) == {"name"}


def test_control_characters_in_a_form_body_are_refused(client):
    form = "email=ctl%40example.cn&company=ACME%00Corp&note%0A=x"
    response = client.http.post("/webhooks/leads/website", body=form.encode(), headers=FORM)
    assert set(fields_of(response)) == {"company", "note\\n"}


def test_a_message_keeps_its_line_breaks(client):
    message = "第一行\r\n\tsecond line"
    response = post_lead(client, "website", {"email": "lines@example.cn", "message": message})
    assert response.status_code == 201
    assert body(get_lead(client, body(response)["lead_id"]))["message"] == message


# --- 3. fullwidth look-alike emails ----------------------------------------------------------------


def test_a_fullwidth_look_alike_email_is_the_same_lead(client):
    first = post_lead(client, "website", {"email": "conf.user@example.com"})
    again = post_lead(client, "website", {"email": "ｃonf.user@example.com", "company": "ACME"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert body(again)["lead_id"] == body(first)["lead_id"] and body(again)["status"] == "merged"
    assert body(get_lead(client, body(first)["lead_id"]))["email"] == "conf.user@example.com"


# --- 4. the honeypot ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, False, [], {}, " ", "0"])
def test_any_value_in_the_honeypot_stores_nothing(client, value):
    before = counts()
    response = post_lead(client, "website", {"email": "bot@example.cn", "_hp": value})
    assert response.status_code == 200 and body(response) == {"status": "received"}
    assert counts() == before


def test_an_empty_honeypot_is_a_person(client):
    response = client.http.post("/webhooks/leads/website", body=b"email=human%40example.cn&_hp=", headers=FORM)
    assert response.status_code == 201


# --- 6. multipart/form-data (what fetch(url, {body: new FormData(form)}) sends) ---------------------


def multipart(
    parts: list[tuple[str, bytes]], boundary: str = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
) -> tuple[bytes, str]:
    raw = b"".join(
        b"--" + boundary.encode() + b"\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n" + value + b"\r\n"
        for disposition, value in parts
    )
    return raw + b"--" + boundary.encode() + b"--\r\n", f"multipart/form-data; boundary={boundary}"


def test_a_multipart_form_is_a_lead(client):
    raw, content_type = multipart(
        [
            ('form-data; name="email"', b"form.data@example.cn"),
            ('form-data; name="name"', "张伟".encode()),
            ('form-data; name="message"', "第一行\r\n第二行".encode()),
            ('form-data; name="consent"', b"on"),
            ('form-data; name="_hp"', b""),
        ]
    )
    headers = {"Content-Type": content_type, "Origin": "https://www.example.com"}
    response = client.http.post("/webhooks/leads/website", body=raw, headers=headers)
    assert response.status_code == 201, response.body
    stored = body(get_lead(client, body(response)["lead_id"]))
    assert (stored["email"], stored["name"], stored["message"], stored["consent"]) == (
        "form.data@example.cn",
        "张伟",
        "第一行\r\n第二行",
        True,
    )


def test_a_file_in_a_multipart_form_is_a_400_naming_the_field(client):
    raw, content_type = multipart(
        [('form-data; name="email"', b"cv@example.cn"), ('form-data; name="cv"; filename="cv.pdf"', b"%PDF-1.7")]
    )
    before = counts()
    response = client.http.post("/webhooks/leads/website", body=raw, headers={"Content-Type": content_type})
    assert fields_of(response) == {"cv": "files are not accepted"}
    assert counts() == before


@pytest.mark.parametrize(
    "raw, content_type",
    [
        (b'--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.cn\r\n', "multipart/form-data; boundary=x"),
        (b'--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.cn\r\n--x--\r\n', "multipart/form-data"),
        (b"--x\r\nContent-Disposition: form-data\r\n\r\na@b.cn\r\n--x--\r\n", "multipart/form-data; boundary=x"),
        (b"not multipart at all", "multipart/form-data; boundary=x"),
    ],
    ids=["unterminated", "no boundary", "no field name", "garbage"],
)
def test_a_broken_multipart_body_is_a_400(client, raw, content_type):
    response = client.http.post("/webhooks/leads/website", body=raw, headers={"Content-Type": content_type})
    assert response.status_code == 400 and body(response)["error"]["code"] == "bad_request"


def test_a_multipart_body_over_64_kib_is_a_413(client):
    raw, content_type = multipart([('form-data; name="email"', b"a@b.cn"), ('form-data; name="message"', b"x" * 65536)])
    response = client.http.post("/webhooks/leads/website", body=raw, headers={"Content-Type": content_type})
    assert response.status_code == 413 and body(response)["error"]["code"] == "payload_too_large"


def test_multipart_is_for_lead_forms_only(client):
    lead_id = new_lead(client)
    raw, content_type = multipart([('form-data; name="type"', b"call"), ('form-data; name="by"', b"u_wang")])
    response = client.http.post(
        f"/leads/{lead_id}/activities", body=raw, headers={"X-Api-Key": ADMIN_KEY, "Content-Type": content_type}
    )
    assert response.status_code == 415


def test_a_form_field_name_in_utf8_is_kept_under_extra(client):
    raw, content_type = multipart(
        [('form-data; name="email"', b"extra@example.cn"), ('form-data; name="微信号"', b"wx_zhang")]
    )
    response = client.http.post("/webhooks/leads/website", body=raw, headers={"Content-Type": content_type})
    assert response.status_code == 201, response.body
    assert body(get_lead(client, body(response)["lead_id"]))["extra"] == {"微信号": "wx_zhang"}


def test_a_urlencoded_form_with_a_percent_encoded_surrogate_is_a_400(client):
    form = "email=a%40b.cn&name=" + quote("\ud800".encode("utf-8", "surrogatepass"))
    response = client.http.post("/webhooks/leads/website", body=form.encode(), headers=FORM)
    assert response.status_code == 400


def test_an_empty_multipart_form_is_an_empty_form(client):
    raw, content_type = multipart([])
    response = client.http.post("/webhooks/leads/website", body=raw, headers={"Content-Type": content_type})
    assert fields_of(response) == {"email": "email or phone is required"}
