"""`make deploy STAGE=...` and `make deploy-dry-run STAGE=...` (docs/deploy.md).

The plan is worked out offline from template.yaml and samconfig.toml: the stack name, every
parameter the change set gets (with where its value came from), the `sam build` and `sam deploy`
command lines. The dry run checks the plan (infra/deploy_checks.py, cfn-lint, the parameters
against the template's constraints), builds the artifacts without sam, and prints it all; it
needs neither AWS credentials nor the sam CLI. The deploy runs the two commands, then reads the
stack's outputs and says what is left to do.

    python -m infra.deploy dry-run --stage qa [--build full|code|none]
    python -m infra.deploy deploy --stage prod
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra import deploy_checks
from infra import template as cfn

ROOT = cfn.TEMPLATE_PATH.parent
SAMCONFIG = ROOT / "samconfig.toml"
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")

# What each secret holds (docs/deploy.md shows the same with examples).
SECRET_SHAPES = {
    "WebhookSecrets": '{"<source>": "<signing secret>", "*": "<optional: every other signed source>"}',
    "ApiKeys": '{"<who holds it>": "<api key>"}',
    "GoogleServiceAccount": "the service account's JSON key file, as Google gives it",
    "ChatWebhooks": '{"<channel>": {"kind": "wecom|dingtalk|feishu|slack", "url": "<robot url>", "secret": "<opt>"}}',
    "DeliverySecret": '{"secret": "<generated at deploy>"}: share it with the ERP and finance, nothing to fill',
    "LinkSecret": '{"secret": "<generated at deploy>"}: signs the action links in alerts, nothing to fill',
}


class PlanError(Exception):
    """A plan that must not go to AWS; the message says what to change."""


@dataclass
class Plan:
    stage: str
    stack_name: str
    parameters: dict[str, str]  # every template parameter -> the value the change set gets
    sources: dict[str, str]  # parameter -> where its value came from
    warnings: list[str] = field(default_factory=list)

    def overrides(self) -> list[str]:
        """Key=Value for every parameter not left at the template's default."""
        return [f"{k}={v}" for k, v in self.parameters.items() if self.sources[k] != "template default"]

    def build_command(self) -> list[str]:
        return ["sam", "build", "--build-in-source", "--template-file", "template.yaml"]

    def deploy_command(self, confirm: bool = False) -> list[str]:
        command = [
            "sam",
            "deploy",
            "--stack-name",
            self.stack_name,
            "--capabilities",
            *CAPABILITIES,
            "--resolve-s3",
            "--no-fail-on-empty-changeset",
            "--confirm-changeset" if confirm else "--no-confirm-changeset",
            "--tags",
            f"closeloop:stage={self.stage}",
        ]
        overrides = self.overrides()
        return [*command, "--parameter-overrides", *overrides] if overrides else command


def _overrides_text(text: str, where: str) -> dict[str, str]:
    """sam's parameter_overrides string: Key=Value pairs, shell-quoted where they hold spaces."""
    pairs: dict[str, str] = {}
    for token in shlex.split(text):
        key, sep, value = token.partition("=")
        if not sep or not key:
            raise PlanError(f"{where}: {token!r} is not Key=Value")
        pairs[key] = value
    return pairs


def load_samconfig(path: Path = SAMCONFIG) -> dict[str, Any]:
    if not path.is_file():
        raise PlanError(f"{path.name} is missing: the project ships one (git checkout {path.name})")
    with path.open("rb") as f:
        return tomllib.load(f)


def _config_overrides(config: dict[str, Any], env: str) -> dict[str, str]:
    text = (((config.get(env) or {}).get("deploy") or {}).get("parameters") or {}).get("parameter_overrides", "")
    if isinstance(text, list):
        text = " ".join(text)
    return _overrides_text(str(text), f"samconfig.toml [{env}.deploy.parameters] parameter_overrides")


def make_plan(
    stage: str, extra: str = "", template: cfn.Template | None = None, config: dict[str, Any] | None = None
) -> Plan:
    """The parameters of a stage: template defaults < samconfig [default] < samconfig [<stage>] <
    PARAMS from the command line < Stage itself."""
    template = template if template is not None else cfn.load_template()
    config = config if config is not None else load_samconfig()
    declared = template.get("Parameters") or {}
    parameters = {k: str(v if v is not None else "") for k, v in cfn.parameter_defaults(template).items()}
    sources = dict.fromkeys(parameters, "template default")
    layers = [
        ("samconfig.toml [default]", _config_overrides(config, "default")),
        (f"samconfig.toml [{stage}]", _config_overrides(config, stage) if stage != "default" else {}),
        ("PARAMS", _overrides_text(extra, "PARAMS")),
        ("STAGE", {"Stage": stage}),
    ]
    for source, values in layers:
        for key, value in values.items():
            if key not in declared:
                raise PlanError(f"{source}: {key} is not a parameter of template.yaml ({', '.join(declared)})")
            parameters[key], sources[key] = value, source
    plan = Plan(stage, f"closeloop-{stage}", parameters, sources)
    _check(plan, declared)
    return plan


def _check(plan: Plan, declared: dict[str, Any]) -> None:
    for key, spec in declared.items():
        value = plan.parameters[key]
        if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
            allowed = ", ".join(str(v) for v in spec["AllowedValues"])
            raise PlanError(f"{key}={value!r} ({plan.sources[key]}): must be one of {allowed}")
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"].strip("^$"), value):
            raise PlanError(
                f"{key}={value!r}: {spec.get('ConstraintDescription', 'does not match ' + spec['AllowedPattern'])}"
            )
    p = plan.parameters
    if p["DomainName"] and not p["CertificateArn"]:
        raise PlanError("DomainName needs CertificateArn (an ACM certificate for it, in the stack's region)")
    if not p["AlarmEmail"] and not p["AlarmTopicArn"]:
        plan.warnings.append("no AlarmEmail or AlarmTopicArn: alarms go to a topic nobody listens to")
    if p["SesSender"].endswith(".local"):
        plan.warnings.append(f"SesSender={p['SesSender']}: not a real address, every alert email will fail")
    if not p["SpreadsheetId"]:
        plan.warnings.append("no SpreadsheetId: rules-sync has no workbook; publish rules yourself (docs/deploy.md)")


def describe(plan: Plan) -> str:
    width = max(len(k) for k in plan.parameters)
    lines = [f"stack {plan.stack_name} (stage {plan.stage}); change set parameters:"]
    for key, value in plan.parameters.items():
        shown = value if value != "" else '""'
        lines.append(f"  {key:<{width}}  {shown:<40}  ({plan.sources[key]})")
    lines += [f"warning: {w}" for w in plan.warnings]
    lines += ["", "  " + shlex.join(plan.build_command()), "  " + shlex.join(plan.deploy_command())]
    return "\n".join(lines)


# ------------------------------------------------------------------ dry run


def lint(template_path: Path = cfn.TEMPLATE_PATH) -> None:
    problems = deploy_checks.problems(cfn.load_template(template_path))
    if problems:
        raise PlanError("template.yaml fails the deploy checks:\n  " + "\n  ".join(problems))
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    if cfn_lint is None:
        raise PlanError("cfn-lint is not installed (make installs it with the dev dependencies)")
    result = subprocess.run([cfn_lint, str(template_path)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PlanError("cfn-lint:\n" + result.stdout + result.stderr)


def build_without_sam(out: Path, mode: str) -> list[str]:
    """What `sam build` would run for each function and layer, by the same Makefile targets."""
    built = []
    targets = [spec.logical_id for spec in cfn.functions(cfn.load_template())]
    targets += list(cfn.resources_of_type(cfn.load_template(), "AWS::Serverless::LayerVersion"))
    for logical_id in targets:
        artifacts = out / logical_id
        artifacts.mkdir(parents=True, exist_ok=True)
        variables = [f"ARTIFACTS_DIR={artifacts}", f"PYTHON={sys.executable}"]
        if mode == "code":
            variables.append("SKIP_DEPENDENCIES=1")  # no pip download: the code and the recipe only
        result = subprocess.run(
            ["make", "--no-print-directory", "-C", str(ROOT), f"build-{logical_id}", *variables],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise PlanError(f"make build-{logical_id} failed:\n{result.stdout}{result.stderr}")
        built.append(f"  {logical_id:<28} {_size(artifacts)}")
    return built


# Imports a handler the way Lambda would: the function's code, then its layers, no site-packages;
# then every module of the packages it may import later (handlers import lazily, off INIT).
# A native extension built for Lambda (arm64) does not load on another machine (or is not even
# looked at: its file names another machine): such a module is reported as not checked here,
# never as a failure.
_IMPORT = """
import ast, glob, importlib, importlib.util, pkgutil, sys
module, packages, paths = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
sys.path[:0] = paths
OURS = ("shared", "functions", "schedules", "admin_sheets")
FOREIGN = ("cannot open shared object file", "wrong ELF class", "Exec format error", "cannot open shared object")
def built_elsewhere(missing):
    # a native module built for another machine: this interpreter does not even look at its
    # file (pydantic_core._pydantic_core.cpython-311-aarch64-linux-gnu.so on x86_64)
    rel = (missing or "").replace(".", "/")
    return bool(missing) and any(glob.glob(glob.escape(f"{p}/{rel}") + ".*.so") for p in paths)
def load(name):
    try:
        importlib.import_module(name)
    except ImportError as error:
        loaded_badly = ".so" in str(error) and any(f in str(error) for f in FOREIGN)
        if not loaded_badly and not built_elsewhere(getattr(error, "name", None)):
            raise
        print("foreign", name)
def imported(path):
    # every absolute import in the file, those inside functions too (not under TYPE_CHECKING)
    tree, found = ast.parse(open(path, encoding="utf-8").read()), set()
    def visit(node):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)
    visit(tree)
    return found
load(module)
for package in packages:
    for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
        load(info.name)
        spec = importlib.util.find_spec(info.name)
        if spec and spec.origin and spec.origin.endswith(".py"):
            for name in sorted(imported(spec.origin)):
                top = name.split(".")[0]
                if top in packages or top not in OURS:  # ours: only the packages this function ships
                    load(name)
"""


def import_handlers(out: Path) -> list[str]:
    """Import every handler from the built artifacts alone (python3.11 -I -S), as Lambda would."""
    python = shutil.which("python3.11") or sys.executable
    env = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "PATH": os.environ.get("PATH", "")}
    failed: list[str] = []
    foreign: set[str] = set()
    for spec in cfn.functions(cfn.load_template()):
        layer_ids = [_ref_id(layer) for layer in _layers(spec.logical_id)]
        packages = ["shared", "functions", "schedules"] + (["admin_sheets"] if "SheetsLayer" in layer_ids else [])
        module = spec.handler.rpartition(".")[0]
        paths = [str(out / spec.logical_id), *(str(out / layer / "python") for layer in layer_ids)]
        command = [python, "-I", "-S", "-c", _IMPORT, module, ",".join(packages), *paths]
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            failed.append(f"{spec.logical_id}: {module}: {(result.stderr.strip().splitlines() or ['?'])[-1]}")
        foreign |= {line.split()[1] for line in result.stdout.splitlines() if line.startswith("foreign ")}
    if failed:
        raise PlanError("a handler does not import from its artifact and layers:\n  " + "\n  ".join(failed))
    report = [f"every handler and module imports from its artifact and layers alone ({python} -I -S)"]
    if foreign:
        report.append(f"  not checked on {platform.machine()} (arm64 native code inside): {', '.join(sorted(foreign))}")
    return report


def _layers(logical_id: str) -> list[Any]:
    template = cfn.load_template()
    glob = cfn.function_globals(template).get("Layers") or []
    own = (template["Resources"][logical_id].get("Properties") or {}).get("Layers") or []
    return [*glob, *own]


def _ref_id(value: Any) -> str:
    return str(value["Ref"]) if isinstance(value, dict) else str(value)


def _size(path: Path) -> str:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return f"{total / 2**20:7.1f} MiB unzipped"


def dry_run(stage: str, extra: str, build: str, out: Path) -> str:
    plan = make_plan(stage, extra)
    lint()
    report = [describe(plan), "", "template.yaml: deploy checks and cfn-lint clean"]
    if build != "none":
        report += [f"built without sam into {out} ({build}):", *build_without_sam(out, build)]
        if build == "full":
            report += import_handlers(out)
    report.append("dry run: nothing was sent to AWS. `make deploy STAGE=" + stage + "` does it for real.")
    return "\n".join(report)


# ------------------------------------------------------------------ deploy


SAM_VENV = ROOT / ".sam-venv"  # `make sam-cli`: sam in a virtualenv of its own


def _sam() -> str:
    # Not in the project's virtualenv: aws-sam-cli pins older boto3 and pydantic than the runtime's.
    sam = shutil.which("sam", path=str(SAM_VENV / "bin")) or shutil.which("sam")
    if sam is None:
        raise PlanError(
            "the sam CLI is not installed: `make sam-cli` (into .sam-venv), or AWS's installer; then make deploy again"
        )
    return sam


def deploy(stage: str, extra: str, confirm: bool) -> str:
    plan = make_plan(stage, extra)
    lint()
    print(describe(plan), flush=True)
    sam = _sam()
    for command in (plan.build_command(), plan.deploy_command(confirm)):
        print("$ " + shlex.join(command), flush=True)
        if subprocess.run([sam, *command[1:]], cwd=ROOT, check=False).returncode != 0:
            raise PlanError(f"{command[1]} failed (its output is above); fix and run make deploy again")
    return next_steps(plan, stack_outputs(plan.stack_name))


def stack_outputs(stack_name: str) -> dict[str, str]:
    import boto3

    stack = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def next_steps(plan: Plan, outputs: dict[str, str]) -> str:
    api = outputs.get("ApiUrl", "?")
    secrets = [
        f"  {outputs[key + 'Secret']}\n      {shape}"
        for key, shape in SECRET_SHAPES.items()
        if key + "Secret" in outputs
    ]
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "<region>"
    return "\n".join(
        [
            "",
            f"deployed {plan.stack_name}",
            f"API: {api}",
            f"  web forms post to {api}webhooks/leads/<source>; partners' webhooks to {api}webhooks/<kind>/<source>",
            "",
            "secrets to fill (aws secretsmanager put-secret-value --secret-id <name> --secret-string file://x.json):",
            *secrets,
            "",
            "next steps (docs/deploy.md):",
            "  1. fill the secrets above (the generated placeholders are never accepted as keys)",
            "  2. confirm the alarm email AWS sent (if AlarmEmail is set)",
            f"  3. verify the SES identity {plan.parameters['SesIdentity'] or plan.parameters['SesSender']} "
            f"in {region} and leave the SES sandbox",
            f"  4. publish the first rules: CLOSELOOP_STACK=aws CLOSELOOP_STAGE={plan.stage} "
            "closeloop rules sync --source sheets:<spreadsheet id>",
            f"  5. check: curl {api}health",
        ]
    )


# ------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["dry-run", "deploy", "plan"])
    parser.add_argument("--stage", default=os.environ.get("STAGE", ""))
    parser.add_argument("--params", default=os.environ.get("PARAMS", ""), help="extra Key=Value overrides")
    parser.add_argument("--build", choices=["full", "code", "none"], default="full", help="dry run: what to build")
    parser.add_argument("--out", default=str(ROOT / ".aws-sam" / "dry-run"), help="dry run: where to build")
    parser.add_argument("--confirm", action="store_true", help="deploy: review the change set before it runs")
    args = parser.parse_args(argv)
    try:
        if not args.stage:
            raise PlanError("STAGE is not set: make deploy STAGE=<name> (dev, staging, prod ...)")
        if args.action == "plan":
            print(describe(make_plan(args.stage, args.params)))
        elif args.action == "dry-run":
            print(dry_run(args.stage, args.params, args.build, Path(args.out)))
        else:
            print(deploy(args.stage, args.params, args.confirm))
    except PlanError as error:
        print(f"deploy: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
