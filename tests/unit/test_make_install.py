"""`make run` on a fresh clone says what it is doing while pip works (about a minute), instead of
printing nothing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_install_step_announces_itself_and_shows_pip_progress() -> None:
    # -n: print the recipe without running it; -B: as on a fresh clone, where nothing is installed yet
    recipe = subprocess.run(
        ["make", "-n", "-B", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    ).stdout.splitlines()
    announce = next(i for i, line in enumerate(recipe) if "installing dependencies" in line)
    install = next(i for i, line in enumerate(recipe) if "pip install" in line and "-e '.[dev]'" in line)
    assert announce < install and "about a minute" in recipe[announce]
    assert "--quiet" not in recipe[install] and "-q " not in recipe[install]
