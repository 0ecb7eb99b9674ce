"""`casebot slack`, `casebot telegram`, `casebot web`: long-running servers.

What each one runs comes from the composition root (bot/processes.py); these commands only
read their options, and `web` hands the console to uvicorn.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Annotated

import typer

from bot.cli.common import err
from bot.processes import run_slack, run_telegram, web_console
from bot.settings import Settings


def web(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="HTTP port")] = 8080,
        trusted_proxy: Annotated[list[str] | None, typer.Option(
            help="address of a reverse proxy in front (repeatable): its X-Forwarded-For names "
                 "the client, so the sign-in limit counts each browser, not the proxy")] = None,
        ) -> None:
    """The operator web console (sign in as an operator: `casebot operators add EMAIL`)."""
    import uvicorn

    application = web_console(Settings())
    err.print(f"casebot web console on http://{host}:{port}/ (Ctrl-C stops it)")
    # uvicorn's ProxyHeadersMiddleware believes X-Forwarded-For only from these peers
    # SIGTERM: uvicorn stops accepting and finishes the requests in hand (at most 10 s), then
    # raises the signal again for the handler it found, this one: exit 0, a clean stop
    signal.signal(signal.SIGTERM, _stopped)
    uvicorn.run(application, host=host, port=port, log_level="warning", server_header=False,
                timeout_graceful_shutdown=10,
                proxy_headers=bool(trusted_proxy),
                forwarded_allow_ips=",".join(trusted_proxy) if trusted_proxy else None)


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def slack(socket: Annotated[bool, typer.Option("--socket", help="Socket Mode")] = False,
          port: Annotated[int, typer.Option(help="HTTP port")] = 3000) -> None:
    """Run the Slack app: HTTP on /slack/events, or Socket Mode with --socket."""
    raise typer.Exit(run_slack(Settings(), socket=socket, port=port))


def telegram(webhook_url: Annotated[str | None, typer.Option(help="public webhook URL")] = None,
             port: Annotated[int, typer.Option(help="webhook listen port")] = 8443) -> None:
    """Run the Telegram bot: long polling, or a webhook with --webhook-url."""
    raise typer.Exit(run_telegram(Settings(), webhook_url=webhook_url, port=port))

