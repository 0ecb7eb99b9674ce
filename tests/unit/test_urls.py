import re

import pytest

from flows.errors import Invalid
from flows.urls import NormalURL, defang, normalize_url, parse_url_list


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("example.com", "http://example.com/"),
        ("  <https://example.com/a?b=1>  ", "https://example.com/a?b=1"),
        ('"https://example.com"', "https://example.com/"),
        ("<https://example.com/x|example.com/x>", "https://example.com/x"),
        ("HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path"),
        ("http://example.com:80/", "http://example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:8080", "http://example.com:8080/"),
        ("example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com/page#section-2", "https://example.com/page"),
        ("https://example.com/?q=a+b&x=1#f", "https://example.com/?q=a+b&x=1"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/caf\u00e9", "https://example.com/caf%C3%A9"),
        ("https://example.com?", "https://example.com/"),
        ("//example.com/x", "http://example.com/x"),
        ("https://example.com./", "https://example.com/"),
        ("https://sub_domain.example.com/", "https://sub_domain.example.com/"),
    ],
)
def test_normalize(text: str, url: str) -> None:
    assert normalize_url(text).url == url


@pytest.mark.parametrize(
    "text",
    [
        "hxxps://evil[.]example[.]com",
        "hXXps://evil[.]example[.]com",
        "hxxps[://]evil(.)example(.)com",
        "https://evil.example.com",
        "https://evil.example[.]com/",
        "hxxps://evil.example.com:443",
    ],
)
def test_defanged_input(text: str) -> None:
    n = normalize_url(text)
    assert n.url == "https://evil.example.com/"
    assert n.registered_domain == "example.com"


def test_idn_host() -> None:
    n = normalize_url("https://bücher.example/straße?x=1")
    assert n.host == "xn--bcher-kva.example"
    assert n.url == "https://xn--bcher-kva.example/stra%C3%9Fe?x=1"
    assert n.host_unicode == "bücher.example"
    assert n.display.startswith("https://bücher.example/")
    assert n.is_ip is False


def test_idn_given_as_punycode_is_the_same_url() -> None:
    assert normalize_url("http://xn--bcher-kva.example").url == normalize_url(
        "http://BÜCHER.example").url
    assert normalize_url("http://xn--bcher-kva.example").display == "http://bücher.example/"


def test_fullwidth_host_is_mapped() -> None:
    # full-width letters on purpose: the host is mapped to ASCII
    assert normalize_url("http://ｅｘａｍｐｌｅ.com").url == "http://example.com/"


@pytest.mark.parametrize(
    ("text", "url", "host"),
    [
        ("http://192.0.2.10/login", "http://192.0.2.10/login", "192.0.2.10"),
        ("192.0.2.10:8080", "http://192.0.2.10:8080/", "192.0.2.10"),
        ("hxxp://192[.]0[.]2[.]10", "http://192.0.2.10/", "192.0.2.10"),
        ("http://3221225994/", "http://192.0.2.10/", "192.0.2.10"),
        ("http://0xC0.0.2.10/", "http://192.0.2.10/", "192.0.2.10"),
        ("http://[2001:DB8::1]/x", "http://[2001:db8::1]/x", "[2001:db8::1]"),
        ("https://[2001:db8:0:0::1]:8443", "https://[2001:db8::1]:8443/", "[2001:db8::1]"),
    ],
)
def test_ip_hosts(text: str, url: str, host: str) -> None:
    n = normalize_url(text)
    assert (n.url, n.host, n.is_ip) == (url, host, True)
    assert n.registered_domain == host.strip("[]")


def test_credentials_flagged_and_stripped() -> None:
    n = normalize_url("https://user:secret@bank.example.com/login")
    assert n.has_credentials is True
    assert n.url == "https://bank.example.com/login"
    assert "secret" not in n.display
    assert "user" not in n.display
    assert normalize_url("https://bank.example.com/").has_credentials is False


def test_backslash_is_read_like_a_browser() -> None:
    # Browsers visit evil.example here, not good.example; rate the host they would visit.
    n = normalize_url("http://evil.example\\@good.example/")
    assert n.host == "evil.example"


@pytest.mark.parametrize(
    ("host", "registered"),
    [
        ("a.b.example.co.uk", "example.co.uk"),
        ("www.example.com", "example.com"),
        ("example.com", "example.com"),
        ("deep.sub.example.com.au", "example.com.au"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_registered_domain(host: str, registered: str) -> None:
    assert normalize_url(f"https://{host}/").registered_domain == registered


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("javascript:alert(1)", "javascript"),
        ("JavaScript:alert(document.cookie)", "javascript"),
        ("file:///etc/passwd", "file"),
        ("file://C:/Windows/system32", "file"),
        ("data:text/html;base64,PHNjcmlwdD4=", "data"),
        ("ftp://files.example.com/x", "ftp"),
        ("mailto:bob@example.com", "mailto"),
        ("vbscript:msgbox", "vbscript"),
    ],
)
def test_disallowed_schemes(text: str, scheme: str) -> None:
    with pytest.raises(Invalid) as exc:
        normalize_url(text)
    message = str(exc.value)
    assert f"{scheme}: scheme, which is not allowed" in message
    assert "Only http:// and https:// web addresses can be rated" in message


def test_2049_char_url() -> None:
    text = "https://example.com/" + "a" * (2049 - len("https://example.com/"))
    assert len(text) == 2049
    with pytest.raises(Invalid) as exc:
        normalize_url(text)
    assert "2,049 characters" in str(exc.value)
    assert "2,048" in str(exc.value)


def test_2048_char_url_ok() -> None:
    text = "https://example.com/" + "a" * (2048 - len("https://example.com/"))
    assert normalize_url(text).url == text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Enter a web address"),
        ("http://", "no host name"),
        ("https:///", "no host name"),
        ("http://exa mple.com/", "spaces"),
        ("http://a..b.com/", "two dots"),
        ("http://-bad-.com/", "not a valid part of a host name"),
        ("http://bad!host.com/", "not a valid part of a host name"),
        ("http://xn--zz.com/", "punycode"),
        ("http://localhost/", "no domain ending"),
        ("http://example.com:99999/", "not a valid port"),
        ("http://example.com:abc/", "not a valid port"),
        ("http://[::1/", "closing"),
        ("http://[not-ip]/", "not a valid IPv6"),
        ("http://1.2.3.999/", "not a valid IP"),
        ("http://" + "a" * 64 + ".com/", "longer than 63"),
    ],
)
def test_bad_urls_name_the_input(text: str, fragment: str) -> None:
    with pytest.raises(Invalid) as exc:
        normalize_url(text)
    message = str(exc.value)
    assert fragment in message
    if text:
        assert f"'{text}'" in message or "…" in message


def test_normalurl_is_frozen() -> None:
    n = normalize_url("example.com")
    assert isinstance(n, NormalURL)
    with pytest.raises(AttributeError):
        n.url = "x"  # type: ignore[misc]


# ---------------------------------------------------------------------------- lists


def test_parse_url_list_basic() -> None:
    result = parse_url_list("example.com\n\n  https://example.org/x  \nhxxp://evil[.]example\n")
    assert [n.url for n in result] == [
        "http://example.com/", "https://example.org/x", "http://evil.example/",
    ]


def test_parse_url_list_whitespace_separated() -> None:
    assert len(parse_url_list("a.example b.example\tc.example")) == 3


def test_duplicates_merged_keeping_first() -> None:
    result = parse_url_list(
        "https://Example.com/a#x\nhttps://example.com:443/a\nhxxps://example[.]com/a\nb.example"
    )
    assert [n.url for n in result] == ["https://example.com/a", "http://b.example/"]


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_zero_urls(text: str) -> None:
    with pytest.raises(Invalid, match=re.escape("Enter at least one URL, one per line.")):
        parse_url_list(text)


def test_11_urls() -> None:
    text = "\n".join(f"https://site{i}.example/" for i in range(11))
    with pytest.raises(Invalid) as exc:
        parse_url_list(text)
    assert "You entered 11 URLs; the limit is 10 per request." in str(exc.value)


def test_10_urls_plus_duplicates_ok() -> None:
    text = "\n".join(f"https://site{i}.example/" for i in range(10)) + "\nHTTPS://SITE0.example"
    text += "\nhttps://site0.example/#top"
    assert len(parse_url_list(text)) == 10


def test_custom_limit() -> None:
    with pytest.raises(Invalid, match=re.escape("You entered 3 URLs; the limit is 2 per request.")):
        parse_url_list("a.example b.example c.example", max_urls=2)


def test_one_bad_line() -> None:
    with pytest.raises(Invalid) as exc:
        parse_url_list("example.com\njavascript:alert(1)")
    message = str(exc.value)
    assert "'javascript:alert(1)'" in message
    assert "not allowed" in message
    assert "Fix it and send the list again" in message


def test_several_bad_lines_listed_with_reasons() -> None:
    with pytest.raises(Invalid) as exc:
        parse_url_list("example.com\njavascript:alert(1)\nfile:///etc/passwd\nhttp://a..b.com")
    message = str(exc.value)
    assert message.startswith("3 lines are not valid")
    assert "'javascript:alert(1)'" in message
    assert "'file:///etc/passwd'" in message
    assert "'http://a..b.com'" in message
    assert "two dots" in message
    assert "example.com" not in message.replace("a..b.com", "")


# ---------------------------------------------------------------------------- defang


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://evil.example.com/x", "hxxps://evil[.]example[.]com/x"),
        ("http://evil.example.com/a.php?f=b.exe",
         "hxxp://evil[.]example[.]com/a[.]php?f=b[.]exe"),  # every dot (issue 11)
        ("http://192.0.2.1:8080/", "hxxp://192[.]0[.]2[.]1:8080/"),
        ("http://[2001:db8::1]/x.y", "hxxp://[2001:db8::1]/x[.]y"),
        ("hxxps://evil[.]example[.]com/x", "hxxps://evil[.]example[.]com/x"),
        ("evil.example.com/x", "evil[.]example[.]com/x"),
    ],
)
def test_defang(url: str, expected: str) -> None:
    assert defang(url) == expected


def test_defang_is_idempotent() -> None:
    once = defang("https://a.b.example/")
    assert defang(once) == once


def test_defang_round_trips_through_normalize() -> None:
    n = normalize_url("https://evil.example.com/x?y=1")
    assert normalize_url(defang(n.url)).url == n.url


@pytest.mark.parametrize("text", ["http://1.2.3.4/((.))", "https://a.example/x((dot))y",
                                  "https://a.example/?q=((.))"])
def test_a_path_that_refangs_into_a_defanged_one_is_still_a_fixed_point(text: str) -> None:
    """Hypothesis found "/((.))": refanging gave "/(.)", which the next pass refanged to "/."
    (and dropped as a dot segment). Such brackets stay percent-encoded in the result."""
    once = normalize_url(text)
    assert normalize_url(once.url).url == once.url
    assert "(.)" not in once.url
    assert "(dot)" not in once.url.lower()
