"""The local stack: embedded AWS from template.yaml, the API, and the event plumbing.

``closeloop dev`` runs it in the foreground; tests and benchmarks start it in-process.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.local.chaos import ChaosSettings
from shared.leads.domain.origins import DevOrigins

DEFAULT_RULES = "dir:admin_sheets/examples"


@dataclass
class StackSettings:
    rules: str = DEFAULT_RULES
    port: int = 8000
    aws_port: int = 4566
    admin_key: str = "dev-admin-key"
    # CLOSELOOP_API_KEYS: integration and personal keys, the JSON of `closeloop-<stage>-api-keys`
    # ({"name": {"key", "scopes", "owner_id"?}}), beside the admin key
    api_keys: str = "{}"
    webhook_secret: str = "dev-webhook-secret"
    host: str = "127.0.0.1"
    finance_url: str | None = None  # invoice deliveries; none: they wait as pending
    erp_url: str | None = None  # order and contract deliveries; none: they wait as pending
    chat_webhooks: str = "{}"  # CLOSELOOP_CHAT_WEBHOOKS: the chat channels alerts can name
    delivery_secret: str = "dev-delivery-secret"
    link_secret: str = "dev-link-secret"  # CLOSELOOP_LINK_SECRET: signs action links (CONTRACT §12)
    public_url: str | None = None  # CLOSELOOP_PUBLIC_URL: where links point; none: this API's own URL
    serve_api: bool = True
    run_plumbing: bool = True
    # Schedules firing by themselves. Off unless asked: tests and benchmarks must not see jobs
    # run on their own. `closeloop dev` reads CLOSELOOP_SCHEDULES (from_env: on by default).
    schedules: bool = False
    # CLOSELOOP_CLOCK_START: the local API's clock starts at this instant and runs on from there
    # (a demo or test of business hours on a Friday at 17:30, whatever today is). Never in AWS.
    clock_start: datetime | None = None
    # Pages on localhost / 127.0.0.1 (any port) or opened from disk may post to public sources
    # (`closeloop dev --allow-dev-origins`, CLOSELOOP_DEV_ORIGINS=on). Off unless asked.
    dev_origins: bool = False
    # CLOSELOOP_CHAOS: the embedded AWS fails a share of DynamoDB and EventBridge calls as AWS
    # does (infra.local.chaos). Off unless asked; never in AWS.
    chaos: ChaosSettings | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> StackSettings:
        env = os.environ
        settings = cls(
            rules=env.get("CLOSELOOP_RULES", DEFAULT_RULES),
            port=int(env.get("CLOSELOOP_PORT", "8000")),
            aws_port=int(env.get("CLOSELOOP_AWS_PORT", "4566")),
            admin_key=env.get("CLOSELOOP_ADMIN_KEY", "dev-admin-key"),
            api_keys=env.get("CLOSELOOP_API_KEYS") or "{}",
            webhook_secret=env.get("CLOSELOOP_WEBHOOK_SECRET", "dev-webhook-secret"),
            finance_url=env.get("CLOSELOOP_FINANCE_URL") or None,
            erp_url=env.get("CLOSELOOP_ERP_URL") or None,
            chat_webhooks=env.get("CLOSELOOP_CHAT_WEBHOOKS") or "{}",
            delivery_secret=env.get("CLOSELOOP_DELIVERY_SECRET") or "dev-delivery-secret",
            link_secret=env.get("CLOSELOOP_LINK_SECRET") or "dev-link-secret",
            public_url=env.get("CLOSELOOP_PUBLIC_URL") or None,
            schedules=schedules_enabled(env.get("CLOSELOOP_SCHEDULES", "on")),
            clock_start=clock_start(env.get("CLOSELOOP_CLOCK_START", "")),
            dev_origins=dev_origins_enabled(env.get("CLOSELOOP_DEV_ORIGINS", "off")),
            chaos=ChaosSettings.parse(env.get("CLOSELOOP_CHAOS", "")),
        )
        for name, value in overrides.items():
            if value is not None:
                setattr(settings, name, value)
        return settings

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.aws_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def schedules_enabled(value: str) -> bool:
    """CLOSELOOP_SCHEDULES: "off" (also 0, false, no) turns schedules off; anything else is on."""
    return value.strip().lower() not in ("off", "0", "false", "no")


def clock_start(value: str) -> datetime | None:
    """CLOSELOOP_CLOCK_START as an aware instant (ISO 8601 with an offset), or None when unset."""
    if not value.strip():
        return None
    try:
        start = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"CLOSELOOP_CLOCK_START must be an ISO 8601 time, got {value!r}") from None
    if start.tzinfo is None:
        raise ValueError(f"CLOSELOOP_CLOCK_START needs a UTC offset (e.g. +08:00 or Z), got {value!r}")
    return start.astimezone(UTC)


def shifted_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that reads ``start`` now and runs on in real time."""
    offset = start - datetime.now(UTC)
    return lambda: datetime.now(UTC) + offset


def dev_origins_enabled(value: str) -> bool:
    """CLOSELOOP_DEV_ORIGINS: "on" (also 1, true, yes) allows development origins; "off" (0, false,
    no, empty) does not; anything else is a mistake worth a clear error, not a silent default."""
    word = value.strip().lower()
    if word in ("on", "1", "true", "yes"):
        return True
    if word in ("off", "0", "false", "no", ""):
        return False
    raise ValueError(f"CLOSELOOP_DEV_ORIGINS must be on or off, not {value[:40]!r}")


def local_secrets(settings: StackSettings) -> dict[str, str]:
    """Local stand-ins for the Secrets Manager values (``*`` = every signed source)."""
    from shared.adapters import secrets
    from shared.adapters.settings import Settings

    names = Settings()  # the template's names for its default stage, as the local stack makes them
    return {
        names.secret(secrets.WEBHOOK_SECRETS): json.dumps({"*": settings.webhook_secret}),
        names.secret(secrets.API_KEYS): json.dumps({**_api_keys(settings.api_keys), "local-admin": settings.admin_key}),
        names.secret(secrets.GOOGLE_ACCOUNT): "{}",
        names.secret(secrets.CHAT_WEBHOOKS): settings.chat_webhooks,
        names.secret(secrets.DELIVERY_SECRET): json.dumps({"secret": settings.delivery_secret}),
        names.secret(secrets.LINK_SECRET): json.dumps({"secret": settings.link_secret}),
    }


def _api_keys(text: str) -> dict[str, Any]:
    """CLOSELOOP_API_KEYS as a JSON object (a mistake there is worth a clear error at start)."""
    try:
        keys = json.loads(text)
    except ValueError:
        raise ValueError('CLOSELOOP_API_KEYS must be JSON: {"name": {"key", "scopes", "owner_id"?}}') from None
    if not isinstance(keys, dict):
        raise ValueError("CLOSELOOP_API_KEYS must be a JSON object of named keys")
    return keys


def public_url(settings: StackSettings) -> str:
    """Where action links point (CONTRACT §12): CLOSELOOP_PUBLIC_URL, else this API's own URL."""
    return (settings.public_url or settings.api_url).rstrip("/")


def delivery_env(settings: StackSettings) -> dict[str, str]:
    """What the delivery function reads that the template gives it from parameters in AWS."""
    return {"CLOSELOOP_ERP_URL": settings.erp_url or "", "CLOSELOOP_FINANCE_URL": settings.finance_url or ""}


def _namespace_file(settings: StackSettings) -> Path:
    return Path(tempfile.gettempdir()) / f"closeloop-stack-{settings.aws_port}.json"


def new_id_namespace(settings: StackSettings) -> None:
    """A fresh id namespace for a stack starting (shared/kernel/domain/ids.py): its data starts empty,
    so its ids must not repeat those an earlier stack gave a still-running receiver. Kept beside
    its port for the second terminal's commands, which derive ids too."""
    _namespace_file(settings).write_text(json.dumps({"id_namespace": uuid.uuid4().hex[:12]}), encoding="utf-8")


def stack_id_namespace(settings: StackSettings) -> str:
    """The id namespace of the stack on this port ("" when none was started here)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return str(json.loads(_namespace_file(settings).read_text(encoding="utf-8"))["id_namespace"])
    return ""


def connect_env(settings: StackSettings) -> None:
    """Point this process at a running local stack (for the CLI's second-terminal commands)."""
    from infra.local.aws_env import aws_env
    from infra.template import load_template
    from shared.adapters.container import reset_container

    os.environ.update(aws_env(settings.endpoint_url, load_template(), secret_names=True))
    os.environ["CLOSELOOP_ID_NAMESPACE"] = stack_id_namespace(settings)
    os.environ["CLOSELOOP_PUBLIC_URL"] = public_url(settings)  # action links point at this stack
    reset_container()  # built on first use: a command may still set CLOSELOOP_RULES for its handler


def serve_container(settings: StackSettings) -> None:
    """The container of the process that serves the local stack's API and plumbing: its settings
    say this is the local stack, the one place development origins can be allowed (a deployed
    function builds its settings from the environment alone, where they never are)."""
    from shared.adapters.container import Container, reset_container
    from shared.adapters.settings import Settings

    settings_here = replace(Settings.from_env(), dev_origins=local_dev_origins(settings))
    if settings.clock_start is None:
        reset_container(Container(settings_here))
    else:
        reset_container(Container(settings_here, clock=shifted_clock(settings.clock_start)))


def local_dev_origins(settings: StackSettings) -> DevOrigins:
    """Allowed with the flag; otherwise refused with a hint at the flag (this is the local stack)."""
    return DevOrigins.ALLOWED if settings.dev_origins else DevOrigins.REFUSED


@dataclass
class LocalStack:
    settings: StackSettings
    _moto: Any = None
    _plumbing: Any = None
    _api: Any = None
    # one call per API request (method, path, status, ms): the `closeloop dev` console line
    on_request: Any = None

    def start(self) -> Any:
        """Start everything; returns the result of publishing the rule source."""
        from infra.local.aws import create_resources, start_moto
        from infra.template import load_template

        template = load_template()
        self._moto = start_moto(self.settings.aws_port, host=self.settings.host, chaos=self.settings.chaos)
        if self._moto.chaos is not None:  # faults begin once the stack is set up and its rules published
            self._moto.chaos.active = False
        create_resources(template, self.settings.endpoint_url, secrets=local_secrets(self.settings))
        new_id_namespace(self.settings)
        connect_env(self.settings)
        os.environ.update(delivery_env(self.settings))
        serve_container(self.settings)
        result = self.publish_rules()
        if self.settings.run_plumbing:
            self.start_plumbing(template)
        if self.settings.serve_api:
            self._start_api(template)
        if self._moto.chaos is not None:
            self._moto.chaos.active = True
        return result

    def publish_rules(self) -> Any:
        from admin_sheets.publishing import sync_rules
        from shared.adapters.container import container

        return sync_rules(self.settings.rules, container())

    def start_plumbing(self, template: Any) -> None:
        from infra.local.plumbing import Plumbing

        self._plumbing = Plumbing(template, self.settings.endpoint_url, schedules=self.settings.schedules)
        self._plumbing.start()

    def _start_api(self, template: Any) -> None:
        from functions.api.app import app
        from infra.local.api_server import LocalApiServer

        server = LocalApiServer(
            app, self.settings.host, self.settings.port, template=template, on_request=self.on_request
        )
        self._api = server.start()

    def drain(self, timeout: float = 30.0) -> bool:
        return bool(self._plumbing.drain(timeout)) if self._plumbing else True

    def stop(self) -> None:
        if self._api is not None:
            self._api.stop()
        if self._plumbing is not None:
            self._plumbing.stop()
        if self._moto is not None:
            self._moto.stop()
