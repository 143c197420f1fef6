"""make deploy-dry-run imports every handler from the built artifacts: a module whose native code
was built for Lambda's machine (arm64) is "not checked here", anything else missing fails."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

from infra.deploy import _IMPORT

OTHER_MACHINE = "x86_64" if platform.machine() == "aarch64" else "aarch64"


def _artifact(root: Path, native: str | None) -> Path:
    """An artifact whose handler imports ``nativepkg``, a package around one native module."""
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "handler.py").write_text("import nativepkg\n")
    (root / "nativepkg").mkdir()
    (root / "nativepkg" / "__init__.py").write_text("from ._core import answer\n")
    if native is not None:
        (root / "nativepkg" / native).write_bytes(b"\x7fELF not for this machine")
    return root


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-I", "-S", "-c", _IMPORT, "app.handler", "app", str(root)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def test_native_code_built_for_another_machine_is_reported_not_checked(tmp_path: Path) -> None:
    root = _artifact(tmp_path, f"_core.cpython-311-{OTHER_MACHINE}-linux-gnu.so")
    result = _check(root)
    assert result.returncode == 0, result.stderr
    assert "foreign app.handler" in result.stdout.splitlines()


def test_a_module_missing_from_the_artifact_fails(tmp_path: Path) -> None:
    result = _check(_artifact(tmp_path, None))
    assert result.returncode != 0
    assert "No module named 'nativepkg._core'" in result.stderr
