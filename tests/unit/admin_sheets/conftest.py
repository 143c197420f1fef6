from __future__ import annotations

import pytest

from admin_sheets.readers import RawWorkbook
from tests.unit.admin_sheets.helpers import example_raw


@pytest.fixture
def raw() -> RawWorkbook:
    return example_raw()
