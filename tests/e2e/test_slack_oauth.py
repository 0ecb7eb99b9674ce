"""Multi-workspace installs: Bolt's OAuth flow with its SQLAlchemy store in casebot's DB."""

from __future__ import annotations

import re
import threading
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from adapters.slack.app import serve
from bot.app import build_service
from bot.processes import build_slack_bot
from bot.settings import Settings
from tests.e2e.fake_slack import SECRET, Driver, FakeSlack, TrackingExecutor, link


def test_install_then_events_use_the_installed_token(tmp_path: Path) -> None:
    with FakeSlack() as fake:
        settings = Settings(home=tmp_path / "home", slack_signing_secret=SECRET,
                            slack_client_id="111.222", slack_client_secret="shh",
                            slack_api_url=fake.api_url)
        service = build_service(settings)
        executor = TrackingExecutor()
        bot = build_slack_bot(settings, service, listener_executor=executor)
        tables = set(sa.inspect(service.engine).get_table_names())
        assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= tables
        server = serve(bot, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            with urllib.request.urlopen(base + "/slack/install", timeout=5) as resp:
                page = resp.read().decode()
                cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
            found = re.search(r"state=([\w-]+)", page)
            assert found is not None
            state = found.group(1)
            assert "client_id=111.222" in page
            req = urllib.request.Request(f"{base}/slack/oauth_redirect?code=c0de&state={state}",
                                         headers={"Cookie": cookie})
            with urllib.request.urlopen(req, timeout=5) as resp:
                assert resp.status == 200
            assert fake.of("oauth.v2.access")
            with service.engine.connect() as conn:
                bots = conn.execute(sa.text("SELECT team_id, bot_token FROM slack_bots")).all()
            assert bots == [("T1", "xoxb-test-token")]
            # an event from the installed workspace is answered with the stored bot token
            link(service, "U1", "pat@acme.example")
            http = Driver(bot.app, fake, SECRET, executor, url=base + "/slack/events")
            assert http.command("U1", "/case", "new")[0] == 200
            posted = http.last("U1")
            assert posted.token == "xoxb-test-token"
            assert "profile" in posted.args["text"]
        finally:
            server.shutdown()
            server.server_close()
            executor.shutdown(wait=True)
