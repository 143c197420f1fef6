"""The Makefile's sam build recipe: one bundle for every function, the runtime packages only,
and the runtime dependencies read from pyproject.toml (no second list to drift).

The pip install part needs the network, so it is checked as a dry run here; the copy part runs.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from infra import template as cfn

ROOT = cfn.TEMPLATE_PATH.parent
RUNTIME_PACKAGES = {"shared", "functions", "schedules", "admin_sheets"}
FUNCTIONS = [spec.logical_id for spec in cfn.functions(cfn.load_template())]


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), f"PYTHON={sys.executable}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _python_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*.py") if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    artifacts = tmp_path_factory.mktemp("artifacts")
    result = make("lambda-code", f"ARTIFACTS_DIR={artifacts}")
    assert result.returncode == 0, result.stdout + result.stderr
    return artifacts


def test_the_runtime_dependencies_are_exactly_pyprojects() -> None:
    result = make("-s", "lambda-requirements")
    assert result.returncode == 0, result.stderr
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert result.stdout.split() == pyproject["project"]["dependencies"]


def test_the_bundle_holds_the_runtime_packages_and_nothing_else(bundle: Path) -> None:
    assert {p.name for p in bundle.iterdir()} == RUNTIME_PACKAGES
    for package in RUNTIME_PACKAGES:
        assert _python_files(bundle / package) == _python_files(ROOT / package), package
    assert not [p for p in bundle.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]


def test_the_rules_examples_ship_with_admin_sheets(bundle: Path) -> None:
    examples = sorted(p.name for p in (ROOT / "admin_sheets" / "examples").glob("*.csv"))
    assert examples
    assert sorted(p.name for p in (bundle / "admin_sheets" / "examples").glob("*.csv")) == examples


@pytest.mark.parametrize("spec", cfn.functions(cfn.load_template()), ids=lambda s: s.logical_id)
def test_every_handler_module_is_in_the_bundle(bundle: Path, spec: cfn.FunctionSpec) -> None:
    module = spec.handler.rpartition(".")[0]
    assert (bundle / (module.replace(".", "/") + ".py")).is_file(), spec.handler


def test_the_copy_can_run_again_over_an_earlier_bundle(bundle: Path) -> None:
    stale = bundle / "shared" / "stale_module.py"
    stale.write_text("")
    result = make("lambda-code", f"ARTIFACTS_DIR={bundle}")
    assert result.returncode == 0, result.stderr
    assert not stale.exists()


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_function_builds_with_the_one_shared_recipe_for_lambda_arm64(logical_id: str, tmp_path: Path) -> None:
    result = make("-n", f"build-{logical_id}", f"ARTIFACTS_DIR={tmp_path}")
    assert result.returncode == 0, result.stderr
    reference = make("-n", "lambda-code", "lambda-deps", f"ARTIFACTS_DIR={tmp_path}")
    assert result.stdout == reference.stdout
    commands = [" ".join(line.split()) for line in result.stdout.replace("\\\n", " ").splitlines()]
    pip = next(line for line in commands if "pip install" in line).replace('"', "")
    assert "tomllib" in pip and "-r /dev/stdin" in pip  # the list comes from pyproject.toml
    for flag in (
        f"--target {tmp_path}",
        "--platform manylinux2014_aarch64",
        "--implementation cp",
        "--python-version 3.11",
        "--only-binary=:all:",
    ):
        assert flag in pip, flag


def test_the_build_refuses_to_run_without_an_artifacts_dir() -> None:
    result = make("-n", "build-ApiFunction", "ARTIFACTS_DIR=")
    assert result.returncode != 0 and "ARTIFACTS_DIR is not set" in result.stderr
