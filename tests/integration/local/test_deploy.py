"""`make deploy` and `make deploy-dry-run` (docs/deploy.md): the plan from template.yaml and
samconfig.toml, the dry run without AWS credentials or the sam CLI, what is printed after."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra import deploy
from infra import template as cfn

ROOT = cfn.TEMPLATE_PATH.parent
CONFIG = {
    "default": {"deploy": {"parameters": {"parameter_overrides": "LogLevel=INFO AlarmEmail=all@example.com"}}},
    "prod": {"deploy": {"parameters": {"parameter_overrides": 'AlarmEmail=ops@example.com SesSender="a@example.com"'}}},
}


def test_the_dry_run_checks_builds_and_prints_the_change_set_without_credentials_or_sam(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",  # no sam, no aws on the way
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    out = tmp_path / "build"
    result = subprocess.run(
        [sys.executable, "-m", "infra.deploy", "dry-run", "--stage", "qa", "--build", "code", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "stack closeloop-qa (stage qa); change set parameters:"
    assert any(line.split() == ["Stage", "qa", "(STAGE)"] for line in lines)
    assert any(line.split()[:2] == ["LogRetentionDays", "30"] for line in lines)
    assert "template.yaml: deploy checks and cfn-lint clean" in lines
    [sam_deploy] = [line.strip() for line in lines if line.strip().startswith("sam deploy")]
    assert "--stack-name closeloop-qa --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND" in sam_deploy
    assert sam_deploy.endswith("--parameter-overrides Stage=qa LogLevel=INFO LogRetentionDays=30")
    for spec in cfn.functions(cfn.load_template()):  # every function's code, as sam build would make it
        module = spec.handler.rpartition(".")[0].replace(".", "/") + ".py"
        assert (out / spec.logical_id / module).is_file(), spec.logical_id
    assert "nothing was sent to AWS" in lines[-1]


def test_the_make_targets_run_the_deploy_helper_with_the_stage() -> None:
    def dry(*args: str) -> str:
        result = subprocess.run(
            ["make", "--no-print-directory", "-C", str(ROOT), "-n", *args, f"BIN={Path(sys.executable).parent}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()[-1]

    assert dry("deploy-dry-run", "STAGE=qa").endswith('-m infra.deploy dry-run --stage "qa" --params "" --build "full"')
    assert dry("deploy", "STAGE=prod", "PARAMS=AlarmEmail=a@b.c", "CONFIRM=1").endswith(
        '-m infra.deploy deploy --stage "prod" --params "AlarmEmail=a@b.c" --confirm'
    )


def test_a_value_comes_from_the_template_then_samconfig_default_then_the_stage_then_params() -> None:
    plan = deploy.make_plan("prod", "LogLevel=DEBUG", config=CONFIG)
    assert plan.stack_name == "closeloop-prod"
    assert (plan.parameters["AlarmEmail"], plan.sources["AlarmEmail"]) == ("ops@example.com", "samconfig.toml [prod]")
    assert (plan.parameters["SesSender"], plan.parameters["LogLevel"]) == ("a@example.com", "DEBUG")
    assert plan.sources["LogLevel"] == "PARAMS" and plan.sources["LogRetentionDays"] == "template default"
    assert plan.overrides() == ["Stage=prod", "SesSender=a@example.com", "LogLevel=DEBUG", "AlarmEmail=ops@example.com"]
    staging = deploy.make_plan("staging", config=CONFIG)  # no table of its own: [default] only
    assert staging.parameters["AlarmEmail"] == "all@example.com" and staging.parameters["Stage"] == "staging"


@pytest.mark.parametrize(
    ("stage", "params", "message"),
    [
        ("Prod", "", "Stage='Prod': 1 to 12 lower-case letters or digits"),
        ("qa", "Colour=blue", "PARAMS: Colour is not a parameter of template.yaml"),
        ("qa", "LogLevel=LOUD", "LogLevel='LOUD' (PARAMS): must be one of DEBUG, INFO, WARNING, ERROR"),
        ("qa", "ReserveConcurrency=maybe", "must be one of yes, no"),
        ("qa", "DomainName=api.example.com", "DomainName needs CertificateArn"),
        ("qa", "Region", "PARAMS: 'Region' is not Key=Value"),
    ],
)
def test_a_plan_that_would_fail_in_cloudformation_fails_here_first(stage: str, params: str, message: str) -> None:
    with pytest.raises(deploy.PlanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        deploy.make_plan(stage, params, config=CONFIG)


def test_what_would_go_wrong_unseen_is_a_warning() -> None:
    plan = deploy.make_plan("qa", config={})
    assert plan.warnings == [
        "no AlarmEmail or AlarmTopicArn: alarms go to a topic nobody listens to",
        "SesSender=alerts@closeloop.local: not a real address, every alert email will fail",
        "no SpreadsheetId: rules-sync has no workbook; publish rules yourself (docs/deploy.md)",
    ]
    assert deploy.make_plan("prod", config=CONFIG).warnings[-1].startswith("no SpreadsheetId")


def test_the_shipped_samconfig_is_the_documented_default() -> None:
    config = deploy.load_samconfig()
    parameters = config["default"]["deploy"]["parameters"]
    assert parameters["capabilities"].split() == list(deploy.CAPABILITIES)
    assert parameters["resolve_s3"] is True and parameters["fail_on_empty_changeset"] is False
    assert deploy.make_plan("dev").parameters["LogRetentionDays"] == "30"


def test_after_the_deploy_it_says_the_url_the_secrets_and_what_is_next() -> None:
    plan = deploy.make_plan("prod", config=CONFIG)
    outputs = {
        "ApiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/prod/",
        "ApiKeysSecret": "arn:aws:secretsmanager:eu-west-1:1:secret:closeloop-prod-api-keys-AbCd",
        "WebhookSecretsSecret": "arn:aws:secretsmanager:eu-west-1:1:secret:closeloop-prod-webhook-secrets-XyZ1",
    }
    text = deploy.next_steps(plan, outputs)
    assert "API: https://abc.execute-api.eu-west-1.amazonaws.com/prod/" in text
    assert "https://abc.execute-api.eu-west-1.amazonaws.com/prod/webhooks/leads/<source>" in text
    assert "closeloop-prod-api-keys-AbCd\n      " + deploy.SECRET_SHAPES["ApiKeys"] in text
    assert "CLOSELOOP_STACK=aws CLOSELOOP_STAGE=prod closeloop rules sync" in text


def test_without_the_sam_cli_the_deploy_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy.shutil, "which", lambda *_a, **_k: None)
    with pytest.raises(deploy.PlanError, match=r"the sam CLI is not installed: `make sam-cli`"):
        deploy._sam()
