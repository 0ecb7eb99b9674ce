"""What /checkurl and the "Request reclassification" action give the chat adapters."""

from __future__ import annotations

from pathlib import Path

from bot.app import build_service
from bot.protocol import Who
from bot.settings import Settings
from flows.model import Inbound


def test_checkurl_prompt_carries_the_reclassify_action(tmp_path: Path) -> None:
    svc = build_service(Settings(home=tmp_path))
    who = Who("telegram", "42", email="ann@acme.example")
    [prompt] = svc.handle(who, Inbound(kind="command", command="checkurl",
                                       args="hxxps://bücher[.]example/a\nexample.com"))
    assert prompt.kind == "info"
    assert [(c.id, c.label) for c in prompt.choices] == [
        ("cmd:reclassify", "Request reclassification")]
    assert prompt.data["reclassify"] is True
    assert prompt.data["urls"] == ["https://xn--bcher-kva.example/a", "http://example.com/"]
    first = prompt.data["results"][0]
    assert first["defanged"] == "hxxps://bücher[.]example/a"
    assert first["punycode"] == "xn--bcher-kva.example"
    assert first["rating"] == "Untested"
    assert "https://" not in prompt.text
    assert "example.com/" not in prompt.text

    # the button: a command carrying the URLs, one per line
    prompts = svc.handle(who, Inbound(kind="command", command="reclassify",
                                      args="\n".join(prompt.data["urls"])))
    assert "A URL Reclassification request for 2 URLs" in prompts[0].text
    # the URLs, type and category are already answered; no profile yet: the profile form
    assert prompts[-1].step == "name"
    assert prompts[-1].draft


def test_bare_reclassify_reuses_the_last_check(tmp_path: Path) -> None:
    svc = build_service(Settings(home=tmp_path))
    who = Who("console", "ann@acme.example", email="ann@acme.example")
    svc.handle(who, Inbound(kind="command", command="checkurl", args="a.example"))
    prompts = svc.handle(who, Inbound(kind="command", command="reclassify"))
    assert "for 1 URL;" in prompts[0].text
    # with a request already under way, nothing is thrown away
    again = svc.handle(who, Inbound(kind="command", command="reclassify", args="b.example"))
    assert "You have a request in progress" in again[0].text
    assert again[-1].step == "name"
