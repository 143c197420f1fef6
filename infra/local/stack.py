"""The local stack: embedded AWS from template.yaml, the API, and the event plumbing.

``closeloop dev`` runs it in the foreground; tests and benchmarks start it in-process.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

DEFAULT_RULES = "dir:admin_sheets/examples"


@dataclass
class StackSettings:
    rules: str = DEFAULT_RULES
    port: int = 8000
    aws_port: int = 4566
    admin_key: str = "dev-admin-key"
    webhook_secret: str = "dev-webhook-secret"
    host: str = "127.0.0.1"
    finance_url: str | None = None  # invoice deliveries; none: they wait as pending
    erp_url: str | None = None  # order and contract deliveries; none: they wait as pending
    chat_webhooks: str = "{}"  # CLOSELOOP_CHAT_WEBHOOKS: the chat channels alerts can name
    delivery_secret: str = "dev-delivery-secret"
    serve_api: bool = True
    run_plumbing: bool = True
    # Schedules firing by themselves. Off unless asked: tests and benchmarks must not see jobs
    # run on their own. `closeloop dev` reads CLOSELOOP_SCHEDULES (from_env: on by default).
    schedules: bool = False

    @classmethod
    def from_env(cls, **overrides: Any) -> StackSettings:
        env = os.environ
        settings = cls(
            rules=env.get("CLOSELOOP_RULES", DEFAULT_RULES),
            port=int(env.get("CLOSELOOP_PORT", "8000")),
            aws_port=int(env.get("CLOSELOOP_AWS_PORT", "4566")),
            admin_key=env.get("CLOSELOOP_ADMIN_KEY", "dev-admin-key"),
            webhook_secret=env.get("CLOSELOOP_WEBHOOK_SECRET", "dev-webhook-secret"),
            finance_url=env.get("CLOSELOOP_FINANCE_URL") or None,
            erp_url=env.get("CLOSELOOP_ERP_URL") or None,
            chat_webhooks=env.get("CLOSELOOP_CHAT_WEBHOOKS") or "{}",
            delivery_secret=env.get("CLOSELOOP_DELIVERY_SECRET") or "dev-delivery-secret",
            schedules=schedules_enabled(env.get("CLOSELOOP_SCHEDULES", "on")),
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


def local_secrets(settings: StackSettings) -> dict[str, str]:
    """Local stand-ins for the Secrets Manager values (``*`` = every signed source)."""
    return {
        "closeloop/webhook-secrets": json.dumps({"*": settings.webhook_secret}),
        "closeloop/api-keys": json.dumps({"local-admin": settings.admin_key}),
        "closeloop/google-service-account": "{}",
        "closeloop/chat-webhooks": settings.chat_webhooks,
        "closeloop/delivery-secret": json.dumps({"secret": settings.delivery_secret}),
    }


def delivery_env(settings: StackSettings) -> dict[str, str]:
    """What the delivery function reads that the template gives it from parameters in AWS."""
    return {"CLOSELOOP_ERP_URL": settings.erp_url or "", "CLOSELOOP_FINANCE_URL": settings.finance_url or ""}


def connect_env(settings: StackSettings) -> None:
    """Point this process at a running local stack (for the CLI's second-terminal commands)."""
    from infra.local.aws import aws_env
    from infra.template import load_template
    from shared.adapters.container import reset_container

    os.environ.update(aws_env(settings.endpoint_url, load_template()))
    reset_container()


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
        self._moto = start_moto(self.settings.aws_port, host=self.settings.host)
        create_resources(template, self.settings.endpoint_url, secrets=local_secrets(self.settings))
        connect_env(self.settings)
        os.environ.update(delivery_env(self.settings))
        result = self.publish_rules()
        if self.settings.run_plumbing:
            self.start_plumbing(template)
        if self.settings.serve_api:
            self._start_api(template)
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
