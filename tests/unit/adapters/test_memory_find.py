"""``uow.find`` in the memory fake: an aggregate of a plain kind (models.py PLAIN) by its class and
id, read as stored — a copy, as DynamoDB's consistent read gives (the DynamoDB side runs in
tests/integration/test_recipe.py, on the recipe's RMA)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.domain.documents import Document
from shared.kernel.services.ports import Change


@dataclass
class Widget(Document):
    widget_id: str
    colour: str
    version: int = 0

    @property
    def subject(self) -> str:
        return f"widget/{self.widget_id}"


@dataclass
class Gadget(Widget):
    @property
    def subject(self) -> str:
        return f"gadget/{self.widget_id}"


def test_find_reads_a_copy_of_what_was_committed_by_class_and_id() -> None:
    uow = MemoryUnitOfWork()
    uow.commit(Change.of(Widget("wd_1", "red"), None))
    found = uow.find(Widget, "wd_1")
    assert found == Widget("wd_1", "red", version=1)
    found.colour = "blue"
    assert uow.find(Widget, "wd_1") == Widget("wd_1", "red", version=1)
    assert uow.find(Widget, "wd_2") is None
    assert uow.find(Gadget, "wd_1") is None  # same id, another kind
