from datetime import UTC, datetime, timedelta

import pytest

from flows import validators as v
from flows.errors import Invalid

# ---------------------------------------------------------------------------- email


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bob@example.com", "bob@example.com"),
        ("  Bob@Example.COM ", "Bob@example.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
    ],
)
def test_email_ok(text: str, expected: str) -> None:
    assert v.email(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("bob@exmaple", "the domain has no dot"),
        ("x@", "nothing after the @"),
        ("@example.com", "nothing before the @"),
        ("bob.example.com", "it has no @"),
        ("a..b@example.com", "two dots in a row"),
    ],
)
def test_email_bad_names_address_and_reason(text: str, reason: str) -> None:
    with pytest.raises(Invalid) as exc:
        v.email(text)
    message = str(exc.value)
    assert f"'{text}' is not a valid email address" in message
    assert reason in message


def test_email_empty() -> None:
    with pytest.raises(Invalid, match="Enter an email address"):
        v.email("   ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("  \n\n ", []),
        ("a@example.com", ["a@example.com"]),
        ("a@example.com\nb@example.org", ["a@example.com", "b@example.org"]),
        ("a@example.com, b@example.org; c@example.net d@example.io",
         ["a@example.com", "b@example.org", "c@example.net", "d@example.io"]),
        ("a@example.com\nA@EXAMPLE.com\na@example.com", ["a@example.com"]),
        ("Bob Smith <bob@example.com>\nalice@example.com",
         ["bob@example.com", "alice@example.com"]),
    ],
)
def test_email_list_ok(text: str, expected: list[str]) -> None:
    assert v.email_list(text) == expected


def test_email_list_one_bad_address_is_named() -> None:
    with pytest.raises(Invalid) as exc:
        v.email_list("good@example.com\nbob@exmaple\nother@example.org")
    message = str(exc.value)
    assert "'bob@exmaple' is not a valid address" in message
    assert "good@example.com" not in message
    assert "other@example.org" not in message
    assert "one address per line" in message


def test_email_list_each_bad_address_is_named() -> None:
    with pytest.raises(Invalid) as exc:
        v.email_list("x@\nok@example.com\ny@nodot")
    message = str(exc.value)
    assert "'x@' is not a valid address" in message
    assert "'y@nodot' is not a valid address" in message


def test_email_list_21_addresses() -> None:
    text = "\n".join(f"user{i}@example.com" for i in range(21))
    with pytest.raises(Invalid) as exc:
        v.email_list(text)
    assert "21 addresses" in str(exc.value)
    assert "limit is 20" in str(exc.value)


def test_email_list_20_addresses_and_duplicates_do_not_count() -> None:
    text = "\n".join(f"user{i}@example.com" for i in range(20)) + "\nUSER0@example.com"
    assert len(v.email_list(text)) == 20


def test_email_list_custom_limit() -> None:
    with pytest.raises(Invalid, match="limit is 2"):
        v.email_list("a@example.com b@example.com c@example.com", max_count=2)


# ---------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("+1 (202) 555-0143", "+12025550143"),
        ("+49 30 901820", "+4930901820"),
        ("+1 202 555 0143 ext. 12", "+12025550143;ext=12"),
    ],
)
def test_phone_ok(text: str, expected: str) -> None:
    assert v.phone(text) == expected


@pytest.mark.parametrize("text", ["020 7946 0958", "2025550143", "(202) 555-0143"])
def test_phone_without_country_code(text: str) -> None:
    with pytest.raises(Invalid) as exc:
        v.phone(text)
    assert "Add the country code, e.g. +44 20 7946 0958" in str(exc.value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("+44 1", "too short"),
        ("+999 1234567", "country code"),
        ("+1 123 456 7890", "not a valid phone number"),
        ("+44 20 7946 0958 1234 5678", "too long"),
        ("", "Enter a phone number"),
    ],
)
def test_phone_bad(text: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        v.phone(text)


# ---------------------------------------------------------------------------- preferred time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24x7", "24x7"),
        ("24/7", "24x7"),
        ("24 X 7", "24x7"),
        ("any time", "24x7"),
        ("Anytime", "24x7"),
        ("09:00-17:00 Europe/Berlin", "09:00-17:00 Europe/Berlin"),
        ("9-17 UTC+2", "09:00-17:00 UTC+2"),
        ("9 - 17 utc", "09:00-17:00 UTC"),
        ("8:30 to 18:00 GMT-5", "08:30-18:00 UTC-5"),
        ("22:00-06:00 UTC+5:30", "22:00-06:00 UTC+5:30"),
        ("09:00 – 17:00 america/new_york", "09:00-17:00 America/New_York"),
        ("Asia/Tokyo 9-18", "09:00-18:00 Asia/Tokyo"),
        ("9am-5pm Europe/London", "09:00-17:00 Europe/London"),
        ("12pm-12am UTC", "12:00-00:00 UTC"),
    ],
)
def test_preferred_time_ok(text: str, expected: str) -> None:
    assert v.preferred_time(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("9-17", "Add a time zone"),
        ("9-17 Mars/Olympus", "not a time zone"),
        ("9-17 UTC+15", "not a valid UTC offset"),
        ("25-3 UTC", "does not exist"),
        ("9:75-17 UTC", "does not exist"),
        ("9-9 UTC", "same time"),
        ("whenever", "not a time window"),
        ("", "Enter when we may call"),
    ],
)
def test_preferred_time_bad(text: str, fragment: str) -> None:
    with pytest.raises(Invalid, match=fragment):
        v.preferred_time(text)


# ---------------------------------------------------------------------------- codes

CODE = "AB-CD12-EFGH1-IJKL2-MNOP3-QRST4-XY789"


@pytest.mark.parametrize(
    "text",
    [
        CODE,
        CODE.lower(),
        f"  {CODE}  ",
        CODE.replace("-", " - "),
        CODE.replace("-", ""),
        CODE.replace("-", "\u2013"),
    ],
)
def test_activation_code_ok(text: str) -> None:
    assert v.activation_code(text) == CODE


@pytest.mark.parametrize(
    "text",
    [
        "",
        "AB-CD12-EFGH1",
        "ABC-D12-EFGH1-IJKL2-MNOP3-QRST4-XY789",
        "AB-CD12-EFGH1-IJKL2-MNOP3-QRST4-XY78!",
        "AB-CD12-EFGH1-IJKL2-MNOP3-QRST4-XY7890",
        "ÄB-CD12-EFGH1-IJKL2-MNOP3-QRST4-XY789",
    ],
)
def test_activation_code_bad_shows_shape(text: str) -> None:
    with pytest.raises(Invalid) as exc:
        v.activation_code(text)
    assert "XX-XXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX" in str(exc.value)


@pytest.mark.parametrize("text", [CODE, CODE.lower(), CODE.replace("-", "")])
def test_mask_activation_code(text: str) -> None:
    assert v.mask_activation_code(text) == "AB-CD12-*****-*****-*****-*****-XY789"


def test_mask_never_echoes_malformed_code() -> None:
    masked = v.mask_activation_code("SECRET-THING-1234")
    assert "SECRET" not in masked
    assert masked.endswith("1234")


GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize(
    "text",
    [GUID, GUID.upper(), "{" + GUID.upper() + "}", f"  {GUID} ", GUID.replace("-", "")],
)
def test_toolbox_guid_ok(text: str) -> None:
    assert v.toolbox_guid(text) == GUID


@pytest.mark.parametrize(
    "text", ["", "xyz", GUID[:-1], GUID + "0", GUID.replace("a", "g"), "{" + GUID]
)
def test_toolbox_guid_bad(text: str) -> None:
    with pytest.raises(Invalid, match="xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"):
        v.toolbox_guid(text)


# ---------------------------------------------------------------------------- text


def test_subject_ok_and_stripped() -> None:
    assert v.subject("  Scan engine crashes\t on boot  ") == "Scan engine crashes  on boot"


def test_subject_10000_chars() -> None:
    with pytest.raises(Invalid) as exc:
        v.subject("x" * 10_000)
    message = str(exc.value)
    assert "10,000 characters" in message
    assert "limit is 200" in message


def test_subject_200_chars_ok() -> None:
    assert v.subject("x" * 200) == "x" * 200


@pytest.mark.parametrize("text", ["line one\nline two", "a\r\nb", "a\rb", "a\u2028b"])
def test_subject_multi_line(text: str) -> None:
    with pytest.raises(Invalid, match="one line"):
        v.subject(text)


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_subject_empty(text: str) -> None:
    with pytest.raises(Invalid, match="empty"):
        v.subject(text)


@pytest.mark.parametrize("text", ["<!channel> *bold* <script>alert(1)</script>", "@here _x_ `y`"])
def test_subject_keeps_markup_literally(text: str) -> None:
    assert v.subject(text) == text


def test_subject_drops_control_characters() -> None:
    assert v.subject("a\x00b\x07c") == "abc"


def test_profile_name() -> None:
    assert v.profile_name("  Production Apex One ") == "Production Apex One"
    assert v.profile_name("p" * 80) == "p" * 80
    with pytest.raises(Invalid, match="81 characters"):
        v.profile_name("p" * 81)
    with pytest.raises(Invalid, match="one line"):
        v.profile_name("a\nb")
    with pytest.raises(Invalid, match="empty"):
        v.profile_name(" ")


def test_description_keeps_lines_and_indentation() -> None:
    text = "  Traceback:\r\n    File x\n\n  end   \n\n"
    assert v.description(text) == "  Traceback:\n    File x\n\n  end"


@pytest.mark.parametrize(("text", "required"), [("", True), ("  \n ", True)])
def test_description_required(text: str, required: bool) -> None:
    with pytest.raises(Invalid, match="description is empty"):
        v.description(text, required=required)


@pytest.mark.parametrize("text", ["", " \n "])
def test_description_optional(text: str) -> None:
    assert v.description(text, required=False) == ""


def test_description_limit() -> None:
    assert v.description("d" * 20_000) == "d" * 20_000
    with pytest.raises(Invalid, match="20,001 characters"):
        v.description("d" * 20_001)


def test_business_impact() -> None:
    assert v.business_impact("All mail is blocked.\n") == "All mail is blocked."
    with pytest.raises(Invalid, match="business impact is empty"):
        v.business_impact("  ")
    with pytest.raises(Invalid, match="limit is 5,000"):
        v.business_impact("b" * 5_001)


# ---------------------------------------------------------------------------- TippingPoint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("CVE-2021-44228", ["CVE-2021-44228"]),
        ("cve-2021-44228, CVE-2024-123456\nCVE-2021-44228",
         ["CVE-2021-44228", "CVE-2024-123456"]),
        ("CVE-2014-0160;  cve-2017-0144", ["CVE-2014-0160", "CVE-2017-0144"]),
    ],
)
def test_cve_ids_ok(text: str, expected: list[str]) -> None:
    assert v.cve_ids(text) == expected


@pytest.mark.parametrize("bad", ["CVE-21-1234", "CVE-2021-123", "2021-44228", "CVE-2021-4422x"])
def test_cve_ids_bad_named(bad: str) -> None:
    with pytest.raises(Invalid) as exc:
        v.cve_ids(f"CVE-2021-44228 {bad}")
    assert f"'{bad}'" in str(exc.value)
    assert "CVE-2024-12345" in str(exc.value)


@pytest.mark.parametrize(("text", "expected"), [("1", "1"), ("123456", "123456"),
                                                ("  4242 ", "4242"), ("#0042", "42")])
def test_filter_number_ok(text: str, expected: str) -> None:
    assert v.filter_number(text) == expected


@pytest.mark.parametrize("text", ["", "1234567", "12a", "-5", "1 2", "١٢"])
def test_filter_number_bad(text: str) -> None:
    with pytest.raises(Invalid, match="digits only"):
        v.filter_number(text)


def test_repdv_entries_ok() -> None:
    text = "203.0.113.7\n2001:DB8::1\n[::1]\nBad.Example.com.\nbücher.example\nevil[.]example\n" \
           "203.0.113.7"
    assert v.repdv_entries(text) == [
        "203.0.113.7", "2001:db8::1", "::1", "bad.example.com", "xn--bcher-kva.example",
        "evil.example",
    ]


@pytest.mark.parametrize(
    "bad", ["999.1.1.1", "localhost", "http://x.example.com/", "bad_host!.com", "a..b.com",
            "-x.com", "10.0.0.0/8"]
)
def test_repdv_entries_bad_named(bad: str) -> None:
    with pytest.raises(Invalid) as exc:
        v.repdv_entries(f"203.0.113.7\n{bad}")
    assert f"'{bad}'" in str(exc.value)


def test_repdv_entries_empty() -> None:
    with pytest.raises(Invalid, match="at least one"):
        v.repdv_entries(" \n ")


# ---------------------------------------------------------------------------- change window


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01 22:00", datetime(2025, 3, 1, 22, 0, tzinfo=UTC)),
        ("2025-03-01 22:00 UTC", datetime(2025, 3, 1, 22, 0, tzinfo=UTC)),
        ("2025-03-01T22:00Z", datetime(2025, 3, 1, 22, 0, tzinfo=UTC)),
        ("2025-03-01 22:00 UTC+2", datetime(2025, 3, 1, 20, 0, tzinfo=UTC)),
        ("2025-03-01 22:00 Europe/Berlin", datetime(2025, 3, 1, 21, 0, tzinfo=UTC)),
        ("2025-07-01 22:00 europe/berlin", datetime(2025, 7, 1, 20, 0, tzinfo=UTC)),
    ],
)
def test_parse_datetime(text: str, expected: datetime) -> None:
    value = v.parse_datetime(text)
    assert value.tzinfo is not None
    assert value == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("tomorrow", "not a date and time"),
        ("2025-02-30 10:00", "not a real date"),
        ("2025-03-01 25:00", "not a real date"),
        ("2025-03-01 10:00 Nowhere/City", "not a time zone"),
        ("2025-03-30 02:30 Europe/Berlin", "does not exist in that time zone"),
    ],
)
def test_parse_datetime_bad(text: str, fragment: str) -> None:
    with pytest.raises(Invalid, match=fragment):
        v.parse_datetime(text)


def test_change_window_ok() -> None:
    start, end = v.change_window("2025-03-01 22:00 Europe/Berlin", "2025-03-02 02:00 Europe/Berlin")
    assert start == "2025-03-01T22:00:00+01:00"
    assert end == "2025-03-02T02:00:00+01:00"
    assert datetime.fromisoformat(end) - datetime.fromisoformat(start) == timedelta(hours=4)


def test_change_window_mixed_zones_compared_as_instants() -> None:
    # 22:00 in Berlin is 21:00 UTC, so 21:30 UTC is after it.
    _, end = v.change_window("2025-03-01 22:00 Europe/Berlin", "2025-03-01 21:30 UTC")
    assert end.endswith("+00:00")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2025-03-01 22:00", "2025-03-01 21:00"),
        ("2025-03-01 22:00", "2025-03-01 22:00"),
        ("2025-03-01 22:00 UTC", "2025-03-01 22:30 Europe/Berlin"),
    ],
)
def test_change_window_end_before_start(start: str, end: str) -> None:
    with pytest.raises(Invalid) as exc:
        v.change_window(start, end)
    assert "must be after the start" in str(exc.value)


def test_change_window_end_without_zone_takes_the_start_zone() -> None:
    from flows.validators import change_window

    start, end = change_window("2026-12-01 22:00 Europe/Berlin", "2026-12-02 02:00")
    assert start.endswith("+01:00")
    assert end == "2026-12-02T02:00:00+01:00"
