"""The environment of a fresh terminal for `closeloop dev` and the CLI run as processes.

A test process is no fresh terminal: the session's embedded AWS puts the template's variables
(AWS_*, table names, secret ARNs) in os.environ, and in-process CLI tests may leave CLOSELOOP_*
settings behind. A stack started with those would quietly serve other rules or talk to another
moto, so e2e tests drop them and name every setting they mean.
"""

from __future__ import annotations

import os

from infra import template as cfn


def fresh_terminal_env(**closeloop: str) -> dict[str, str]:
    """os.environ less AWS_*, CLOSELOOP_* and the template's function variables, plus `closeloop`."""
    template_variables = set(
        (cfn.function_globals(cfn.load_template()).get("Environment") or {}).get("Variables") or {}
    )
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "CLOSELOOP_")) and name not in template_variables
    }
    return {**env, "PYTHONUNBUFFERED": "1", **closeloop}
