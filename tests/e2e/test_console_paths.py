"""Every path in the vendor's New Request guide, typed into the real `casebot chat`.

Each test is one terminal session (a subprocess with piped answers): it creates the product
profiles it needs through the chat, submits one or more cases, and reads them back with
`casebot cases show N --json`, whose keys must be exactly interfaces.md's.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from tests.e2e.conftest import EMAIL, Chat, Script, submitted
from tests.zipfactory import make_aes_zip, make_zipcrypto_zip

APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10", "Windows Server 2016"])
EML = b"From: a@b.example\r\nSubject: cheap pills\r\n\r\nbuy now\r\n"


def apex(script: Script | None = None) -> Script:
    """A new contact's first /newcase: the profile form opens, then the request goes on."""
    return (script or Script()).first_profile(*APEX, settings=["Smart Scan Server"])


def test_product_and_activation_issues(chat: Chat) -> None:
    chat.cli("accounts", "add", "Acme", "--domain", "acme.example")  # CC stays inside Acme
    s = apex().say("Windows Server 2016", "Product Issues")
    s.common("Agent does not update", "Since Monday the agent\nstays on pattern 1.2.3.",
             severity="Medium", cc=["bob@acme.example", "Carol@Acme.example"])
    s.new_case().say("Windows 10", "Activation and Registration Issues")
    s.common("Licence shows expired", "Renewed last week.")
    result = chat.run(s)
    first, second = submitted(result, 2)
    assert second == str(int(first) + 1)
    # Change Control is offered only for Deep Security.
    assert "Change Control" not in result.stdout

    case = chat.case(first)
    assert case | {"created_at": None, "updated_at": None, "timeline": None,
                   "due_at": None} == {
        "number": first, "reference_id": None, "status": "open", "channel": "console",
        "contact_email": EMAIL, "profile_name": "HQ Apex One", "product": "Apex One",
        "product_version": "2019", "product_language": "English",
        "operating_system": "Windows Server 2016", "issue_type": "Product Issue",
        "issue_category": "Product Issues", "virus_pattern_type": None,
        "subject": "Agent does not update",
        "description": "Since Monday the agent\nstays on pattern 1.2.3.", "severity": "Medium",
        "business_impact": None, "cc_emails": ["bob@acme.example", "Carol@acme.example"],
        "contact_method": "Email", "phone": None, "preferred_time": None, "urls": [],
        "tippingpoint": None, "change_window": None, "attachments": [],
        "created_at": None, "updated_at": None, "timeline": None,
        "source_url": None,  # issue 15: set only for a case started from a message
        "messages": [], "assignee": None, "due_at": None, "satisfaction": None}
    assert case["due_at"] > case["created_at"]  # a first response is owed (bot/clock.py)
    assert case["timeline"]
    assert case["timeline"][0]["kind"] == "created"
    other = chat.case(second)
    assert (other["issue_category"], other["operating_system"], other["cc_emails"]) == (
        "Activation and Registration Issues", "Windows 10", [])
    # A confirmation mail per case, to the contact, copying the CC list.
    mails = json.loads(chat.cli("mail", "list", "--json"))
    assert len(mails) == 2
    assert {m["to"] for m in mails} == {EMAIL}
    assert sorted(map(tuple, (m["cc"] for m in mails))) == [
        (), ("bob@acme.example", "Carol@acme.example")]


def test_threat_categories(chat: Chat, tmp_path: Path) -> None:
    aes = make_aes_zip(tmp_path / "sample-aes.zip", {"dropper.exe": b"MZ" + b"\0" * 200},
                       "infected")
    zc = make_zipcrypto_zip(tmp_path / "sample zc.zip", {"evil.dll": b"MZ" + b"\1" * 300},
                            "novirus")
    own = make_aes_zip(tmp_path / "infected.zip", {"report.pdf": b"%PDF-1.4"}, "S3cret pw")
    spam = make_aes_zip(tmp_path / "spam.zip", {"one.eml": EML, "two.eml": EML + b"x"},
                        "infected")
    spam_fp = make_zipcrypto_zip(tmp_path / "fp.zip", {"newsletter.eml": EML}, "virus")
    threat = ("Windows 10",)  # the one profile is filled in
    conventional = "Conventional Scan (Virus Pattern)"
    smart = "Smart Scan (Smart Scan Agent Pattern)"

    s = apex().say("Windows 10", "Collected Threat Sample Analysis", conventional)
    s.common("Sample from HR laptop", password="infected", files=[aes])
    s.new_case().say(*threat, "Collected Threat Sample Analysis", smart)
    s.common("ZipCrypto sample", password="novirus", files=[zc])
    s.new_case().say(*threat, "Infected or Positive Infected", smart)
    s.common("Possibly infected", password="S3cret pw", files=[own])
    s.new_case().say(*threat, "File False Positive", conventional)
    s.common("Our tool is flagged", password="I have no files to attach", files=None)
    s.new_case().say(*threat, "Spam")
    s.common("Pills spam gets through", password="infected", files=[spam])
    s.new_case().say(*threat, "Spam False Positive")
    s.common("Newsletter marked as spam", password="virus", files=[spam_fp])
    result = chat.run(s)
    numbers = submitted(result, 6)
    assert result.stdout.count("Reference id: ") == 6

    cases = [chat.case(n) for n in numbers]
    assert [c["issue_category"] for c in cases] == [
        "Collected Threat Sample Analysis", "Collected Threat Sample Analysis",
        "Infected or Positive Infected", "File False Positive", "Spam", "Spam False Positive"]
    assert [c["virus_pattern_type"] for c in cases] == [
        conventional, smart, smart, conventional, None, None]
    assert all(c["issue_type"] == "Threat Issue" and c["reference_id"] for c in cases)
    assert len({c["reference_id"] for c in cases}) == 6
    assert [[a["name"] for a in c["attachments"]] for c in cases] == [
        ["sample-aes.zip"], ["sample zc.zip"], ["infected.zip"], [], ["spam.zip"], ["fp.zip"]]
    assert all(len(a["sha256"]) == 64 and a["size"] > 0
               for c in cases for a in c["attachments"])


def test_sample_categories_refuse_to_go_without_files(chat: Chat) -> None:
    """The samples are the case: no 'no files' option and no 'done' without a zip."""
    s = apex().say("Windows 10", "Spam", "Junk").block("Spam.")
    s.say("infected", "/done")
    result = chat.run(s)
    assert result.returncode == 0
    assert not result.numbers
    password_prompt = result.after("What is the zip's password?")
    assert "I have no files to attach" not in password_prompt.split("Attach")[0]
    assert "needs the samples" in result.stdout


def test_url_reclassification_with_idn_and_defanged_url(chat: Chat) -> None:
    urls = "https://bücher.example/katalog\nhxxp://evil[.]example[.]com/login\nhttps://BÜCHER.example/katalog"
    s = apex().say("Windows 10", "URL Reclassification").block(urls)
    s.say("Keep")
    s.say("Dangerous", "Phishing")
    s.common(None, None)  # the subject is filled in from the URLs; the description is optional
    # Keeping every URL is refused: at least one must change.
    s.new_case().say("Windows 10", "URL Reclassification")
    s.block("example.org\nexample.net").say("Keep", "Keep", "Safe", "Shopping")
    s.common(None, None)
    result = chat.run(s)
    number, other = submitted(result, 2)
    assert "At least one URL must get a new classification" in result.stdout
    assert chat.case(other)["urls"][1]["requested_category"] == "Shopping"
    assert "punycode: xn--bcher-kva.example" in result.stdout
    assert "hxxp://evil[.]example[.]com/login" in result.stdout  # shown defanged, never live
    case = chat.case(number)
    assert case["subject"] == "URL reclassification: bücher.example, evil.example.com"
    assert case["description"] == ""
    assert case["urls"] == [
        {"url": "https://xn--bcher-kva.example/katalog", "current_rating": "Untested",
         "current_category": None, "requested_rating": None, "requested_category": None},
        {"url": "http://evil.example.com/login", "current_rating": "Untested",
         "current_category": None, "requested_rating": "Dangerous",
         "requested_category": "Phishing"}]
    assert case["virus_pattern_type"] is None
    assert case["reference_id"]


def test_tippingpoint_dv_and_threatdv(chat: Chat) -> None:
    s = Script().first_profile("Edge DV", "TippingPoint Digital Vaccine", "DV 4.0",
                               ["TippingPoint TOS"])
    s.say("Product Issues", "Filter request", "CVE-2024-12345, cve-2023-0001")
    s.common("Need a filter for CVE-2024-12345")
    # a second profile, from the review of the next request
    s.new_case().say("Product Issues", "Filter request", "", "Subject").block("Text")
    s.say("Low", "Edit Product profile").add_profile(
        "Core TDV", "TippingPoint ThreatDV", "ThreatDV 1.0", ["TippingPoint TOS"])
    # ThreatDV needs the RepDV entries: only that newly required question is asked
    s.block("203.0.113.7\nbad.example.net")
    s.say("Edit TippingPoint request", "Filter verification", "12345")
    s.say("Edit Subject", "Verify filter 12345", "Submit")
    result = chat.run(s)
    dv, tdv = submitted(result, 2)
    assert "Threat Issue" not in result.stdout  # TippingPoint cases are product cases
    a, b = chat.case(dv), chat.case(tdv)
    assert (a["product"], a["issue_type"]) == ("TippingPoint Digital Vaccine", "Product Issue")
    assert a["tippingpoint"] == {"request": "Filter request",
                                 "cve_ids": ["CVE-2024-12345", "CVE-2023-0001"],
                                 "filter_number": None, "repdv_entries": []}
    assert b["product"] == "TippingPoint ThreatDV"
    assert b["tippingpoint"] == {"request": "Filter verification", "cve_ids": [],
                                 "filter_number": "12345",
                                 "repdv_entries": ["203.0.113.7", "bad.example.net"]}


def test_deep_security_change_control(chat: Chat) -> None:
    s = Script().first_profile("DC Deep Security", "Deep Security", "20 LTS",
                             ["Windows Server 2019", "Red Hat Enterprise Linux 9"],
                             settings=["Web Reputation Enabled"])
    s.say("Red Hat Enterprise Linux 9", "Change Control Issue")
    # `casebot chat` runs on the wall clock: a window a year from today lies ahead
    day = date.today() + timedelta(days=365)
    s.say(f"{day:%Y-%m-%d} 22:00 Europe/Berlin",
          f"{day:%Y-%m-%d} 21:00 Europe/Berlin")  # end < start
    s.say(f"{day + timedelta(days=1):%Y-%m-%d} 02:00 Europe/Berlin")
    s.common("Upgrade the manager")
    result = chat.run(s)
    (number,) = submitted(result)
    assert "Change Control Issue" in result.stdout
    case = chat.case(number)
    assert case["issue_type"] == "Change Control Issue"
    assert case["issue_category"] is None
    assert case["change_window"]["end"] > case["change_window"]["start"]
    assert case["virus_pattern_type"] is None
    assert case["reference_id"] is None


def test_high_and_critical_with_business_impact_and_phone(chat: Chat) -> None:
    s = apex().say("Windows 10", "Product Issues")
    s.common("All agents offline", severity="Critical",
             impact="800 desks cannot work.\nPayments stopped.", contact="Phone",
             phone="020 7946 0958", when="+44 20 7946 0958", submit=False)
    s.say("09:00-17:00 Europe/London")  # refused: Critical needs 24x7
    s.say("Yes, 24x7", "Submit")
    s.new_case().say("Windows 10", "Product Issues")
    s.common("Console slow", severity="High", impact="Admins wait minutes.", contact="Phone",
             phone="+49 30 901820", when="09:00-17:00 Europe/Berlin")
    s.new_case().say("Windows 10", "Product Issues")
    s.common("Question about exclusions", contact="Phone", phone="+1 415 555 2671", when="1")
    result = chat.run(s)
    critical, high, low = submitted(result, 3)
    assert "has no country code" in result.stdout
    assert "Critical cases need a phone reachable 24x7" in result.stdout
    c, h = chat.case(critical), chat.case(high)
    assert (c["severity"], c["business_impact"], c["contact_method"], c["phone"],
            c["preferred_time"]) == ("Critical", "800 desks cannot work.\nPayments stopped.",
                                     "Phone", "+442079460958", "24x7")
    assert (h["severity"], h["business_impact"], h["phone"]) == (
        "High", "Admins wait minutes.", "+4930901820")
    assert "09:00" in h["preferred_time"]
    assert "Europe/Berlin" in h["preferred_time"]
    low_case = chat.case(low)
    assert (low_case["contact_method"], low_case["phone"], low_case["preferred_time"],
            low_case["business_impact"]) == ("Phone", "+14155552671", "24x7", None)


def test_quick_add_profile_mid_request(chat: Chat) -> None:
    s = apex().say("Windows 10", "Product Issues", "Keep this subject")
    # /profiles in the middle of the request: add a profile, then back to the same step.
    s.say("/profiles", "Add a new profile")
    s.profile_form("Branch WFBS", "Worry-Free Business Security", "Services", ["Windows 11"])
    s.say("Done")
    s.block("Kept description").say("Low")
    # From the review: change the profile to a new one added on the spot.
    s.say("Edit Product profile", "Update or add a product profile", "Add a new profile")
    s.profile_form("Lab OfficeScan", "OfficeScan", "XG SP1", ["Windows Server 2022"],
                   guid="12345678-9abc-def0-1234-56789abcdef0",
                   settings=["Behavior Monitoring"])
    s.say("Windows Server 2022", "Submit")
    result = chat.run(s)
    (number,) = submitted(result)
    review = result.after("Please review your request.")
    assert "Product profile: Lab OfficeScan (OfficeScan XG SP1)" in review
    assert "Subject: Keep this subject" in review
    case = chat.case(number)
    assert (case["profile_name"], case["product"], case["operating_system"], case["subject"],
            case["description"]) == ("Lab OfficeScan", "OfficeScan", "Windows Server 2022",
                                     "Keep this subject", "Kept description")
    names = [p["name"] for p in json.loads(chat.cli("profiles", "list", "--as", EMAIL,
                                                    "--json"))]
    assert sorted(names) == ["Branch WFBS", "HQ Apex One", "Lab OfficeScan"]


def test_edit_from_review(chat: Chat, tmp_path: Path) -> None:
    spam = make_aes_zip(tmp_path / "spam.zip", {"one.eml": EML}, "infected")
    s = apex().say("Windows 10", "Spam")
    s.common("Spam gets through", password="infected", files=[spam], submit=False)
    # Spam -> Product Issues: the password and the sample zip no longer apply.
    s.say("Edit Issue", "Product Issues")
    # Low -> High: business impact is asked, then straight back to the review.
    s.say("Edit Case severity", "High").block("Sales cannot email customers.")
    # The subject: one question, then the review again.
    s.say("Edit Subject", "Mail delivery problem")
    s.say("Submit")
    result = chat.run(s)
    (number,) = submitted(result)
    reviews = result.stdout.split("Please review your request.")
    assert len(reviews) == 5  # first review + one per edit
    assert "Archive password: infected" in reviews[1]
    after_type, after_severity, after_subject = reviews[2], reviews[3], reviews[4]
    assert "Archive password" not in after_type
    assert "spam.zip" not in after_type
    assert "Issue: Product Issues" in after_type
    assert "What is the business impact?" in reviews[2].split("Case severity:")[-1]
    assert "Business impact: Sales cannot email customers." in after_severity
    assert after_subject.split("Please review")[0].count("?") <= 2  # subject, then review
    assert "Subject: Mail delivery problem" in after_subject
    case = chat.case(number)
    assert (case["issue_type"], case["issue_category"], case["severity"], case["subject"],
            case["attachments"], case["reference_id"]) == (
        "Product Issue", "Product Issues", "High", "Mail delivery problem", [], None)


def test_choices_by_number_or_label(chat: Chat) -> None:
    """interfaces.md: an answer is the choice's number or its label, case-insensitive."""
    s = apex().say("1", "PRODUCT ISSUES")
    s.common("Numbers and labels", severity="hIGH", impact="Some.")
    (number,) = submitted(chat.run(s))
    assert chat.case(number)["severity"] == "High"
