"""The Makefile's sam build recipes: each function its code alone, compiled; two dependency
layers installed from hash-locked files (lambda/*.lock), one pip run each; nothing Lambda never
reads. The pip part needs the package index, so it is checked as a recipe (make -n) here; the
code part runs. `make deploy-dry-run` builds everything and imports every handler from it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra import template as cfn
from tools import lambda_lock

ROOT = cfn.TEMPLATE_PATH.parent
RUNTIME_PACKAGES = {"shared", "functions", "schedules", "admin_sheets"}
TEMPLATE = cfn.load_template()
FUNCTIONS = [spec.logical_id for spec in cfn.functions(TEMPLATE)]
SHEETS_FUNCTIONS = {"RulesSyncFunction", "KpiSnapshotFunction"}
PLATFORM_FLAGS = (
    "--platform manylinux2014_aarch64",
    "--implementation cp",
    "--python-version 3.11",
    "--only-binary=:all:",
)


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), f"PYTHON={sys.executable}", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _commands(output: str) -> list[str]:
    return [" ".join(line.split()) for line in output.replace("\\\n", " ").splitlines()]


def _python_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*.py") if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    artifacts = tmp_path_factory.mktemp("artifacts")
    result = make("build-ApiFunction", f"ARTIFACTS_DIR={artifacts}")
    assert result.returncode == 0, result.stdout + result.stderr
    return artifacts


def test_a_function_artifact_is_the_runtime_packages_and_no_dependency(bundle: Path) -> None:
    assert {p.name for p in bundle.iterdir()} == RUNTIME_PACKAGES
    for package in RUNTIME_PACKAGES:
        assert _python_files(bundle / package) == _python_files(ROOT / package), package


def test_the_code_is_compiled_for_python_311_with_unchecked_hash_pycs(bundle: Path) -> None:
    sources = _python_files(bundle)
    compiled = {str(p.relative_to(bundle)) for p in bundle.rglob("*.cpython-311.pyc")}
    assert len(compiled) == len(sources)
    pyc = bundle / "functions" / "api" / "__pycache__" / "app.cpython-311.pyc"
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    assert flags == 0b01  # hash-based, source never checked: nothing to stat or recompile on a cold start


def test_the_rules_examples_ship_with_admin_sheets(bundle: Path) -> None:
    examples = sorted(p.name for p in (ROOT / "admin_sheets" / "examples").glob("*.csv"))
    assert examples
    assert sorted(p.name for p in (bundle / "admin_sheets" / "examples").glob("*.csv")) == examples


@pytest.mark.parametrize("spec", cfn.functions(TEMPLATE), ids=lambda s: s.logical_id)
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
def test_no_function_build_runs_pip(logical_id: str, tmp_path: Path) -> None:
    result = make("-n", f"build-{logical_id}", f"ARTIFACTS_DIR={tmp_path}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == make("-n", "lambda-code", f"ARTIFACTS_DIR={tmp_path}").stdout
    assert "pip" not in result.stdout


@pytest.mark.parametrize(("layer", "lock"), [("CommonLayer", "common"), ("SheetsLayer", "sheets")])
def test_each_layer_is_one_pip_run_from_its_hash_locked_file(layer: str, lock: str, tmp_path: Path) -> None:
    result = make("-n", f"build-{layer}", f"ARTIFACTS_DIR={tmp_path}")
    assert result.returncode == 0, result.stderr
    [pip] = [c.replace('"', "") for c in _commands(result.stdout) if "pip install" in c]
    for flag in (
        *PLATFORM_FLAGS,
        "--no-deps",
        "--require-hashes",
        f"--target {tmp_path}/python",
        f"-r lambda/{lock}.lock",
    ):
        assert flag in pip, flag
    compile_ = next(c for c in _commands(result.stdout) if "compileall" in c)
    assert "--invalidation-mode unchecked-hash" in compile_ and compile_.endswith(f'"{tmp_path}/python"')
    resource = TEMPLATE["Resources"][layer]
    assert resource["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert resource["Properties"]["CompatibleRuntimes"] == ["python3.11"]


def test_a_layer_builds_without_the_index_when_told_to_skip_dependencies(tmp_path: Path) -> None:
    result = make("build-SheetsLayer", f"ARTIFACTS_DIR={tmp_path}", "SKIP_DEPENDENCIES=1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "python").is_dir() and "SKIP_DEPENDENCIES" in result.stdout


def test_what_lambda_never_reads_is_pruned_from_the_layers(tmp_path: Path) -> None:
    recipe = " ".join(_commands(make("-n", "build-CommonLayer", f"ARTIFACTS_DIR={tmp_path}").stdout))
    for pruned in ("pycountry/locales", "phonenumbers/geodata", "holidays/locale", "dns", "bin"):
        assert f" {pruned} " in recipe or recipe.endswith(f" {pruned}"), pruned
    assert "find botocore/data -mindepth 1 -maxdepth 1 -type d" in recipe
    assert "-name __pycache__ -o -name '*.pyi'" in recipe


def _kept_botocore_services() -> set[str]:
    match = re.search(r"^BOTOCORE_SERVICES\s*:=\s*(.+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert match
    return set(match.group(1).split())


def test_every_aws_service_the_code_calls_keeps_its_botocore_model() -> None:
    called = set()
    for package in RUNTIME_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            called |= set(
                re.findall(r"""(?:client|resource)\(\s*["']([a-z0-9-]+)["']""", path.read_text(encoding="utf-8"))
            )
    assert called  # dynamodb, events, sqs, ses ... : the scan found the clients
    # Powertools reads secrets (secretsmanager); PynamoDB and the idempotency layer use dynamodb
    assert called | {"secretsmanager", "dynamodb"} <= _kept_botocore_services()


def test_only_the_sheets_functions_get_the_sheets_layer() -> None:
    assert cfn.function_globals(TEMPLATE)["Layers"] == [{"Ref": "CommonLayer"}]
    for logical_id in FUNCTIONS:
        own = TEMPLATE["Resources"][logical_id]["Properties"].get("Layers")
        assert own == ([{"Ref": "SheetsLayer"}] if logical_id in SHEETS_FUNCTIONS else None), logical_id


def test_the_locks_are_in_step_with_pyproject_and_each_other() -> None:
    assert lambda_lock.problems() == []
    common, sheets = lambda_lock.read_lock("common"), lambda_lock.read_lock("sheets")
    assert {"gspread", "google-auth", "cryptography", "openpyxl"} <= set(sheets)
    for never in ("pip", "setuptools", "wheel", "click", "inquirer", "pyyaml", "cryptography"):
        assert never not in common, never
    assert common["botocore"]  # pinned, not floating under boto3
    text = (ROOT / "lambda" / "common.lock").read_text(encoding="utf-8")
    assert text.count("--hash=sha256:") == len(common)


def test_the_build_refuses_to_run_without_an_artifacts_dir() -> None:
    result = make("-n", "build-ApiFunction", "ARTIFACTS_DIR=")
    assert result.returncode != 0 and "ARTIFACTS_DIR is not set" in result.stderr
