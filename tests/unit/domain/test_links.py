"""Action link tokens (CONTRACT §12): signed, naming person, action and subject, expiring.
Hypothesis: any change to a token is a forgery (404), an expired one is gone (410), another
person's claims never read as yours, and another secret's tokens are not ours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.kernel.domain.errors import LinkGone, LinkNotFound
from shared.kernel.domain.links import LINK_ACTIONS, LinkClaims, link_url, links_for, make_token, read_token

SECRET = "unit-link-secret"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=30)
claims_st = st.builds(
    LinkClaims,
    person=ids.map(lambda s: f"u_{s}"),
    action=st.sampled_from(LINK_ACTIONS),
    subject=st.sampled_from(["approval", "lead", "case"]).flatmap(lambda k: ids.map(lambda i: f"{k}/{i}")),
    expires_at=st.integers(int(NOW.timestamp()) + 1, int(NOW.timestamp()) + 10 * 24 * 3600),
    link_id=ids,
)


@given(claims_st)
def test_a_token_reads_back_as_exactly_its_claims(claims: LinkClaims) -> None:
    token = make_token(claims, SECRET)
    assert read_token(token, SECRET, NOW) == claims
    assert make_token(claims, SECRET) == token  # the same claims, the same URL everywhere


@given(claims_st, st.data())
def test_any_altered_character_is_a_forgery(claims: LinkClaims, data: st.DataObject) -> None:
    token = make_token(claims, SECRET)
    at = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from("AbZz09-_.").filter(lambda ch: ch != token[at]))
    tampered = token[:at] + replacement + token[at + 1 :]
    try:
        read = read_token(tampered, SECRET, NOW)
    except LinkNotFound:
        return
    # base64 padding bits: a last character that decodes to the same bytes is the same token
    assert read == claims


@given(claims_st, st.data())
def test_cut_short_or_lengthened_tokens_are_forgeries(claims: LinkClaims, data: st.DataObject) -> None:
    token = make_token(claims, SECRET)
    cut = data.draw(st.integers(0, len(token) - 1))
    for candidate in (token[:cut], token + "A", token + ".x", ""):
        with pytest.raises(LinkNotFound):
            read_token(candidate, SECRET, NOW)


@given(claims_st, ids)
def test_another_persons_claims_with_your_signature_are_a_forgery(claims: LinkClaims, other: str) -> None:
    """Swapping the person (or action, subject, expiry) in a real token's body breaks its MAC."""
    token = make_token(claims, SECRET)
    theirs = LinkClaims(f"u_{other}x", claims.action, claims.subject, claims.expires_at, claims.link_id)
    body_of_theirs = make_token(theirs, SECRET).split(".")[0]
    with pytest.raises(LinkNotFound):
        read_token(f"{body_of_theirs}.{token.split('.')[1]}", SECRET, NOW)


@given(claims_st)
def test_a_token_of_another_secret_is_not_ours(claims: LinkClaims) -> None:
    with pytest.raises(LinkNotFound):
        read_token(make_token(claims, "another-secret"), SECRET, NOW)
    with pytest.raises(LinkNotFound):
        read_token(make_token(claims, SECRET), "", NOW)  # no secret configured: nothing reads


@given(claims_st, st.integers(0, 10**6))
def test_from_its_expiry_on_a_token_is_gone(claims: LinkClaims, late: int) -> None:
    token = make_token(claims, SECRET)
    expiry = datetime.fromtimestamp(claims.expires_at, UTC)
    assert read_token(token, SECRET, expiry - timedelta(seconds=1)) == claims
    with pytest.raises(LinkGone):
        read_token(token, SECRET, expiry + timedelta(seconds=late))


def test_links_ask_only_the_person_whose_turn_it_is() -> None:
    approval = links_for(
        "ApprovalRequested", "quote/qt_1", {"approval_id": "ap_1_1", "notify": ["u_huang"]}, "u_huang", "evt_1", NOW, 72
    )
    assert [(link.action, link.subject, link.person) for link in approval] == [
        ("approve", "approval/ap_1_1", "u_huang"),
        ("reject", "approval/ap_1_1", "u_huang"),
    ]
    assert approval[0].expires_at == int((NOW + timedelta(hours=72)).timestamp())
    assert approval[0].link_id == approval[1].link_id  # one use for the whole alert
    lead = {"clock": "first_touch", "owner_id": "u_wu"}
    assert [x.action for x in links_for("SlaWarning", "lead/ld_1", lead, "u_wu", "evt_2", NOW, 1)] == [
        "call",
        "email",
        "meeting",
    ]
    # the breach goes to the manager: the call is the owner's to make, so no links for them
    assert links_for("SlaBreached", "lead/ld_1", lead, "u_huang", "evt_3", NOW, 72) == []
    case = {"clock": "first_response", "owner_id": "u_yang"}
    assert [x.action for x in links_for("SlaWarning", "case/cs_1", case, "u_yang", "evt_4", NOW, 72)] == [
        "first_response"
    ]
    assert links_for("SlaWarning", "case/cs_1", {**case, "clock": "resolution"}, "u_yang", "evt_5", NOW, 72) == []
    assert links_for("HealthWarning", "account/ac_1", {"owner_id": "u_xu"}, "u_xu", "evt_6", NOW, 72) == []


def test_the_url_is_the_public_base_then_a_then_the_token() -> None:
    assert link_url("https://crm.example.com/", "abc.def") == "https://crm.example.com/a/abc.def"
