"""The API as shipped: its artifact's size, and a cold start from the artifact alone.

`make build-ApiFunction` and `make build-CommonLayer` (the recipes `sam build` runs) build into
a temporary directory; each child is `python3.11 -I -S` with only the function code and the
layer's `python/` on sys.path, as Lambda's /var/task and /opt/python, against an embedded AWS
this module starts (resources from template.yaml, rules published, as infra/local does).

The layer is built for Lambda (arm64 wheels, lambda/common.lock). On another machine the only
native code in it (charset-normalizer's mypyc modules) is not even a candidate for import (its
file suffix names aarch64) and its pure-Python twin loads instead; the lead capture does not
import it. Each child checks that no module it loaded came from outside the artifact.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.cold_start import _BASELINE, _HANDLER, BASELINE_TABLE

ROOT = Path(__file__).resolve().parent.parent
FUNCTION = "ApiFunction"
LAYERS = ("CommonLayer",)  # the API's layers (template.yaml Globals)
MIB = 2**20

# Lambda's view of the code: the function's directory, then the layers' python/, nothing else.
# After the measured work, every loaded module must come from there (or be built in / stdlib).
_PATHS = """
import sys
sys.path[:0] = __import__("json").loads(sys.argv[1])
"""
_CHECK = """
import sysconfig
_paths = sysconfig.get_paths()
_allowed = (*__import__("json").loads(sys.argv[1]), _paths["stdlib"], _paths["platstdlib"])
_stray = sorted(m.__name__ for m in list(sys.modules.values())
                if getattr(m, "__file__", None) and not m.__file__.startswith(_allowed))
assert not _stray, f"loaded from outside the artifact: {_stray}"
"""


def build(out: Path, progress: Callable[[str], None]) -> dict[str, Path]:
    """Run the Makefile's build targets for the API and its layers; name -> artifact directory."""
    built = {}
    for target in (FUNCTION, *LAYERS):
        progress(f"make build-{target} (the recipe sam build runs)")
        artifacts = out / target
        artifacts.mkdir(parents=True, exist_ok=True)
        command = ["make", "--no-print-directory", "-C", str(ROOT), f"build-{target}", f"ARTIFACTS_DIR={artifacts}"]
        result = subprocess.run([*command, f"PYTHON={sys.executable}"], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"make build-{target} failed:\n{result.stdout}{result.stderr}"[-3000:])
        built[target] = artifacts
    return built


def _unzipped(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _zipped(path: Path, into: Path) -> int:
    """The size of the zip sam uploads (deflate, every file under the artifact directory)."""
    with zipfile.ZipFile(into, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in sorted(path.rglob("*")):
            if f.is_file():
                archive.write(f, f.relative_to(path))
    return into.stat().st_size


def size_metrics(built: dict[str, Path], scratch: Path) -> dict[str, Any]:
    unzipped = {name: _unzipped(p) for name, p in built.items()}
    zipped = {name: _zipped(p, scratch / f"{name}.zip") for name, p in built.items()}
    detail = ", ".join(f"{n} {unzipped[n] / MIB:.1f} MiB ({zipped[n] / MIB:.1f} zipped)" for n in built)
    return {
        "api_artifact_mib": {
            "value": round(sum(unzipped.values()) / MIB, 1),
            "unit": "MiB",
            "note": f"the API's function code plus its layers, unzipped, as make build-{FUNCTION} / "
            f"build-CommonLayer build them (bytecode included): {detail}",
        },
        "api_artifact_zip_mib": {
            "value": round(sum(zipped.values()) / MIB, 1),
            "unit": "MiB",
            "note": "the same, each artifact zipped (deflate) as sam uploads it",
        },
    }


def _python() -> str:
    """Lambda's Python (3.11): the artifact's bytecode is 3.11's, another version would recompile."""
    python = shutil.which("python3.11") or sys.executable
    version = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    if version.stdout.strip() != "(3, 11)":
        raise RuntimeError(f"{python} is not Python 3.11: the artifact's bytecode would not be used")
    return python


def _child(python: str, code: str, paths: list[str], env: dict[str, str]) -> float:
    # -I: no user site, no PYTHON* variables, no script directory; -S: no site-packages at all
    command = [python, "-I", "-S", "-c", _PATHS + code + _CHECK, json.dumps(paths)]
    out = subprocess.run(command, cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"shipped cold-start child failed: {out.stderr.strip()[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def cold_start_shipped(
    built: dict[str, Path], endpoint_url: str, lead: dict[str, Any], progress: Callable[[str], None], runs: int = 9
) -> dict[str, Any]:
    from infra.local.aws import aws_env, client

    dynamodb = client("dynamodb", endpoint_url)
    if BASELINE_TABLE not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName=BASELINE_TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
    python = _python()
    paths = [str(built[FUNCTION]), *(str(built[layer] / "python") for layer in LAYERS)]
    env = {**os.environ, **aws_env(endpoint_url), "BENCH_TABLE": BASELINE_TABLE, "POWERTOOLS_METRICS_DISABLED": "1"}
    env["CLOSELOOP_RULES_CHECK_SECONDS"] = "30"  # the deployed default
    progress(f"cold start as shipped: {runs} fresh {python} -I -S from the built artifact, lead and baseline")
    handler, baseline = [], []
    for n in range(runs):  # interleaved so machine noise hits both alike
        body = json.dumps({**lead, "email": f"shipped{n}-{uuid.uuid4().hex[:8]}@factory.cn"}, ensure_ascii=False)
        handler.append(_child(python, _HANDLER, paths, {**env, "BENCH_BODY": body}))
        baseline.append(_child(python, _BASELINE, paths, {**env, "BENCH_ID": uuid.uuid4().hex}))
    first, put = statistics.median(handler), statistics.median(baseline)
    return {
        "value": round(first / put, 3),
        "unit": "ratio",
        "note": f"median of {runs} fresh `python3.11 -I -S` with only the built artifact on sys.path "
        f"(make build-{FUNCTION} + build-CommonLayer: compiled, unchecked-hash bytecode): import "
        f"functions.api.app and answer one new lead over the embedded AWS ({first * 1000:.0f} ms) / import "
        f"boto3 from the same layer and one PutItem ({put * 1000:.0f} ms). The layer is the arm64 one Lambda "
        f"gets: no native module is on this path (charset-normalizer's aarch64 .so are never candidates on "
        f"x86_64 and the capture does not import it), so no x86_64 rebuild was needed",
    }


def shipped_metrics(progress: Callable[[str], None]) -> dict[str, Any]:
    """api_artifact_mib, api_artifact_zip_mib and lead_cold_start_ratio_shipped."""
    from bench.service import LEAD, _free_port
    from infra.local.stack import LocalStack, StackSettings

    with tempfile.TemporaryDirectory(prefix="closeloop-shipped-") as tmp:
        built = build(Path(tmp), progress)
        results = size_metrics(built, Path(tmp))
        stack = LocalStack(StackSettings(aws_port=_free_port(), serve_api=False, run_plumbing=False))
        progress("starting the embedded AWS from template.yaml (for the shipped cold start)")
        published = stack.start()
        assert published.status == "published", published.problems
        try:
            results["lead_cold_start_ratio_shipped"] = cold_start_shipped(
                built, stack.settings.endpoint_url, LEAD, progress
            )
        finally:
            stack.stop()
    return results


if __name__ == "__main__":  # python -m bench.shipped: these three figures alone
    print(json.dumps(shipped_metrics(lambda m: print(f"[bench] {m}", file=sys.stderr, flush=True)), indent=2))
