"""Rules versions over the embedded DynamoDB: diff, rollback, the hot-path cache and backtest."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from admin_sheets.versions import describe, diff_content
from infra.local.inspect import list_events
from shared.adapters.container import RulesCache, utc_now
from shared.leads.services.capture import capture_lead
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet
from shared.rules.services.backtest import backtest
from shared.rules.services.rules_publishing import publish_rules, rollback_rules


def publish(container, content, source="test"):
    return publish_rules(content, [], source, container.rules_store, container.clock)


def changed(example_content):
    content = copy.deepcopy(example_content)
    north = next(r for r in content["Routing"] if r["team"] == "SMB North")
    north["team"], north["note"] = "SMB East", "North now handled by East"
    content["Scoring"] = [r for r in content["Scoring"] if r["rule_id"] != "fit_phone"]
    content["Owners"].append({**content["Owners"][2], "owner_id": "u_new", "name": "New Hire"})
    return content


def test_diff_names_rows_added_removed_and_cells_changed(clean_aws, example_content):
    v1 = clean_aws.rules_store.active()
    v2 = publish(clean_aws, changed(example_content))
    store = clean_aws.rules_store
    diffs = {d.tab: d for d in diff_content(store.content(v1.version_id), store.content(v2.version_id))}
    assert set(diffs) == {"Routing", "Scoring", "Owners"}
    assert [r["owner_id"] for r in diffs["Owners"].added] == ["u_new"]
    assert [r["rule_id"] for r in diffs["Scoring"].removed] == ["fit_phone"]
    [routing_change] = diffs["Routing"].changed
    assert routing_change["cells"]["team"] == ["SMB North", "SMB East"]
    text = "\n".join(describe(list(diffs.values())))
    assert "team: SMB North → SMB East" in text and "+ u_new" in text and "- fit_phone" in text
    north = next(r["priority"] for r in example_content["Routing"] if r["team"] == "SMB North")
    assert "Routing: 1 row changed" in text and f"  ~ priority {north}: note: " in text
    assert "Owners: 1 row added" in text and "Scoring: 1 row removed" in text
    assert describe([]) == ["no differences: both versions hold the same rules"]


def test_rollback_reactivates_an_earlier_version_with_an_event(clean_aws, example_content):
    v1 = clean_aws.rules_store.active()
    v2 = publish(clean_aws, changed(example_content))
    assert clean_aws.rules.current().version == v2.version_id
    result = rollback_rules("1", clean_aws.rules_store, clean_aws.clock)
    assert (result.status, result.version_id) == ("rolled_back", v1.version_id)
    assert clean_aws.rules.current().version == v1.version_id  # check interval is 0 in tests
    [event] = list_events(event_type="RulesRolledBack")
    assert event["data"]["from"] == v2.version_id
    assert rollback_rules(v1.version_id, clean_aws.rules_store, clean_aws.clock).status == "unchanged"
    with pytest.raises(LookupError):
        rollback_rules("v99", clean_aws.rules_store, clean_aws.clock)
    assert [v.number for v in clean_aws.rules_store.versions()] == [1, 2]  # versions are never rewritten


def test_unchanged_content_publishes_nothing(clean_aws, example_content):
    before = clean_aws.rules_store.versions()
    assert publish(clean_aws, copy.deepcopy(example_content)).status == "unchanged"
    assert clean_aws.rules_store.versions() == before


class CountingStore:
    def __init__(self, store):
        self.store, self.pointer_reads = store, 0

    def active(self):
        self.pointer_reads += 1
        return self.store.active()

    def content(self, version_id):
        return self.store.content(version_id)


def test_functions_look_for_a_new_version_at_most_every_interval(clean_aws, example_content):
    now = [0.0]
    store = CountingStore(clean_aws.rules_store)
    cache = RulesCache(store, check_seconds=30, monotonic=lambda: now[0])
    v1 = cache.current().version
    v2 = publish(clean_aws, changed(example_content)).version_id
    for second in range(29):
        now[0] = float(second)
        assert cache.current().version == v1
    assert store.pointer_reads == 1
    now[0] = 30.0
    assert cache.current().version == v2 and store.pointer_reads == 2


def test_backtest_counts_what_candidate_rules_would_change(clean_aws, example_rules, example_content):
    from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork

    store, source = DynamoUnitOfWork(), example_rules.rules.sources["hubspot"]
    north = {"province": "北京", "industry": "制造业", "employees": 300, "title": "经理", "budget": 600000}
    for n in range(6):
        capture_lead({"email": f"north{n}@example.cn", **north}, source, example_rules, store, utc_now)
    capture_lead({"email": "east@example.cn", **north, "province": "上海"}, source, example_rules, store, utc_now)

    candidate_content = changed(example_content)
    for owner in candidate_content["Owners"]:
        if owner["team"] == "SMB East":
            owner["active"] = False
    rules = RuleSet.from_content(candidate_content, "candidate")
    candidate = ActiveRules(rules)
    progress = []
    leads = store.leads.captured_between(utc_now() - timedelta(days=1), utc_now() + timedelta(minutes=1))
    report = backtest(leads, candidate, examples=2, progress=progress.append)
    assert report.leads == 7
    assert report.changed["team"] == 6  # the north leads now go to SMB East
    assert report.changed["unassignable"] == 7  # and nobody in SMB East is active
    assert len(report.examples["team"]) == 2
    assert report.examples["team"][0]["before"]["team"] == "SMB North"
    assert report.examples["team"][0]["after"]["team"] == "SMB East"


def test_backtest_reads_only_the_period_asked(clean_aws, example_rules):
    from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork

    store, source = DynamoUnitOfWork(), example_rules.rules.sources["hubspot"]
    capture_lead({"email": "old@example.cn"}, source, example_rules, store, lambda: utc_now() - timedelta(days=9))
    capture_lead({"email": "new@example.cn"}, source, example_rules, store, utc_now)
    recent = list(store.leads.captured_between(utc_now() - timedelta(days=7), utc_now()))
    assert [lead.fields["email"] for lead in recent] == ["new@example.cn"]


def test_a_rollback_holds_until_the_workbook_changes(clean_aws, example_content):
    v2_content = changed(example_content)
    v2 = publish(clean_aws, v2_content)
    rollback_rules("1", clean_aws.rules_store, clean_aws.clock)
    held = publish(clean_aws, v2_content)  # the 5-minute sync reads the same sheet again
    assert held.status == "held" and held.version_id.startswith("v1-")
    assert clean_aws.rules_store.active().version_id.startswith("v1-")
    edited = copy.deepcopy(v2_content)
    edited["Settings"][0]["value"] = 90
    after_edit = publish(clean_aws, edited)
    assert after_edit.status == "published" and after_edit.number == 3 and after_edit.version_id != v2.version_id


def test_the_same_bad_workbook_is_announced_once_not_every_five_minutes(clean_aws, example_content):
    problems = ['Routing!B5: team "SMB Eest" is not a team on the Owners tab']
    for _ in range(3):
        result = publish_rules(None, problems, "sheets:x", clean_aws.rules_store, clean_aws.clock)
        assert result.status == "rejected"
    assert len(list_events(event_type="RulesRejected")) == 1
    publish(clean_aws, changed(example_content), source="sheets:x")  # fixed
    publish_rules(None, problems, "sheets:x", clean_aws.rules_store, clean_aws.clock)
    assert len(list_events(event_type="RulesRejected")) == 2  # broken again: news again


def test_a_publish_that_loses_the_race_says_so(clean_aws, example_content, monkeypatch):
    from shared.rules.services.rules_publishing import ActivationConflict

    def moved_first(*args, **kwargs):
        raise ActivationConflict("pointer moved")

    monkeypatch.setattr(clean_aws.rules_store, "activate", moved_first)
    result = publish(clean_aws, changed(example_content))
    assert result.status == "conflict" and "run the sync again" in result.problems[0]
    assert result.version_id == clean_aws.rules_store.active().version_id


def test_a_published_version_carries_its_calendars_public_days_and_the_workbook_stays_unchanged(
    clean_aws, example_content
):
    # resolved at publishing, so a function using the rules never imports `holidays` (issue 14)
    from shared.time.domain.calendar_cells import PUBLIC_HOLIDAYS_TAB

    countries = {str(r["holiday_country"]) for r in example_content["Calendars"] if r.get("holiday_country")}
    assert countries, "the example rules have a calendar with public holidays"
    v2 = publish(clean_aws, changed(example_content))
    stored = clean_aws.rules_store.content(v2.version_id)
    this_year = clean_aws.clock().year
    assert {(r["country"], r["year"]) for r in stored[PUBLIC_HOLIDAYS_TAB]} >= {(c, this_year) for c in countries}
    assert PUBLIC_HOLIDAYS_TAB not in clean_aws.rules_store.active().row_counts  # not a workbook tab
    assert publish(clean_aws, changed(example_content)).status == "unchanged"


def test_a_diff_names_workbook_changes_only_not_the_public_days_publishing_derived(clean_aws, example_content):
    from shared.time.domain.calendar_cells import PUBLIC_HOLIDAYS_TAB

    v1 = clean_aws.rules_store.active()
    old = {**clean_aws.rules_store.content(v1.version_id), PUBLIC_HOLIDAYS_TAB: []}  # as published long ago
    assert diff_content(old, clean_aws.rules_store.content(v1.version_id)) == []
