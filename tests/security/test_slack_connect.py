"""Issue 22, finding 11: Slack Connect members are vouched for by their own workspace.

The attack: through Slack Connect, a member of another organisation (workspace T_EVIL, whose
admins set any email they like) writes to the app installed in a trusted workspace (T1). The
event comes from T1, so the email was trusted by the event's team. Now the email counts only
when the member's own `team_id` (users.info) is in SLACK_ALLOWED_TEAMS and Slack does not mark
them `is_stranger`; anyone else gets the mailed code.
"""

from __future__ import annotations

from pathlib import Path

from tests.security.test_slack_identity import VICTIM, forged_yes, linked_email, slack


def test_a_member_of_another_organisation_gets_the_mailed_code(tmp_path: Path) -> None:
    with slack(tmp_path, allowed="T1") as (fake, driver, service):
        fake.add_user("U70", VICTIM, "Mallory", confirmed=True, team_id="T_EVIL")
        driver.say("U70", "hello")  # the event comes from T1, a trusted workspace
        assert VICTIM not in driver.last("U70").args["text"]
        assert "work email" in driver.last("U70").args["text"]
        forged_yes(driver, fake, "U70")
        assert linked_email(service, "U70") is None
        driver.say("U70", VICTIM)  # the only way left: a code mailed to the victim
        assert "8-digit code" in driver.last("U70").args["text"]
        assert linked_email(service, "U70") is None


def test_a_stranger_is_never_vouched_for(tmp_path: Path) -> None:
    with slack(tmp_path, allowed="T1,T2") as (fake, driver, service):
        fake.add_user("U71", VICTIM, "Mallory", confirmed=True, team_id="T2", stranger=True)
        driver.say("U71", "hello")
        assert VICTIM not in driver.last("U71").args["text"]
        forged_yes(driver, fake, "U71")
        assert linked_email(service, "U71") is None


def test_a_member_of_a_trusted_organisation_links_through_slack_connect(
        tmp_path: Path) -> None:
    """The member's own workspace vouches: T2 is trusted, the event's T1 need not be."""
    with slack(tmp_path, allowed="T2") as (fake, driver, service):
        fake.add_user("U72", "kim@acme.example", "Kim", confirmed=True, team_id="T2")
        driver.say("U72", "hello")
        assert "kim@acme.example" in driver.last("U72").args["text"]
        driver.press("U72", "Yes")
        assert linked_email(service, "U72") == "kim@acme.example"
