"""The README walk's checker (tests/e2e/readme_walk.py): what `…` allows and what it does not, and
every answer the README shows parses — a broken shape would fail here in a second, not in e2e."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import readme_walk

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_shown_answer_in_the_walk_parses_and_has_a_status() -> None:
    _, expected = readme_walk.script(readme_walk.blocks(README))
    assert len(expected) >= 25
    assert all(100 <= e.status < 600 for e in expected)
    assert sum(e.shape is not None for e in expected) >= 20


def test_ellipses_stand_for_what_varies_and_nothing_else() -> None:
    shape = readme_walk.shape_of('{"id": "ld_…", "q": {…}, "at": …, "lines": [{"sku": "A", …}, …], "n": 2, …}')
    good = {"id": "ld_1", "q": [1], "at": None, "lines": [{"sku": "A", "x": 1}, {"sku": "B"}], "n": 2, "more": 1}
    assert readme_walk.problems(shape, good) == []
    assert readme_walk.problems(shape, {**good, "id": "cs_1"}) == ["$.id: 'cs_1' is not like 'ld_…'"]
    assert readme_walk.problems(shape, {**good, "n": 3}) == ["$.n: 3, the README shows 2"]
    assert readme_walk.problems(shape, {k: v for k, v in good.items() if k != "at"})[0].startswith("$: no 'at'")
    assert readme_walk.problems(shape, {**good, "lines": []}) == ["$.lines: 0 elements, the README shows 1 or more"]
    exact = readme_walk.shape_of('{"invoices": []}')
    assert readme_walk.problems(exact, {"invoices": [{"id": 1}]}) == ["$.invoices: 1 elements, the README shows 0"]


def test_the_script_checks_each_answer_after_its_command() -> None:
    readme = '<!-- walk -->\n```bash\ncurl -s $API/x\n# → 201 {"a": 1,\n#        "b": …}\necho done\n```\n'
    body, [expected] = readme_walk.script(readme_walk.blocks(readme))
    assert (expected.line, expected.status, expected.shape) == (4, 201, {"a": 1, "b": readme_walk.ANY})
    assert body.splitlines() == [
        "__block 2",
        "curl -s $API/x",
        '# → 201 {"a": 1,',
        '#        "b": …}',
        "__expect 0",
        "echo done",
    ]
    log = 'ANSWER\t404\t{}\nANSWER\t201\t{"a": 1}\nEXPECT\t0\n'
    assert readme_walk.answers_at_marks(log) == {0: (201, {"a": 1})}
