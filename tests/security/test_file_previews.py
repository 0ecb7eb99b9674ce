"""Issue 24: case files shown in the console. Only bytes that really are a PNG, JPEG, GIF or
WebP image, or plain UTF-8 text, are served inline; every attempt to get something else
rendered in the console's origin (an SVG or HTML page, a disguised .png, a PDF, a polyglot)
stays a download, and every served file carries nosniff and a sandboxing CSP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web import samples
from tests.web.desk import ANN, Desk

SANDBOX = "sandbox; default-src 'none'; img-src 'self'"


@pytest.fixture(params=["local", "database"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """The console on SQLite with files in the folder, and on PostgreSQL with files in the
    database (its default there; store/blobs)."""
    d = Desk(tmp_path / "home", request.getfixturevalue("pg_url")
             if request.param == "database" else None)
    assert d.service.files.kind == request.param
    yield d
    d.close()


def case_with(desk: Desk, files: dict[str, bytes]) -> tuple[str, dict[str, str]]:
    """A case holding `files` (name → bytes); (number, name → sha256)."""
    refs = {name: desk.service.files.put_bytes(data, name) for name, data in files.items()}
    number = desk.case(attachments=[{"name": n, "size": r.size, "sha256": r.sha256}
                                    for n, r in refs.items()])
    return number, {n: r.sha256 for n, r in refs.items()}


def assert_sealed(headers: object) -> None:
    """The headers every served case file carries, exactly once."""
    raw = headers.multi_items()  # type: ignore[attr-defined]
    assert [v for k, v in raw if k == "content-security-policy"] == [SANDBOX]
    assert [v for k, v in raw if k == "x-content-type-options"] == ["nosniff"]


IMAGES = {"shot.png": samples.png(), "photo.jpg": samples.JPEG, "anim.gif": samples.GIF,
          "pic.webp": samples.WEBP}


def test_real_images_and_text_are_shown_inline(desk: Desk) -> None:
    number, shas = case_with(desk, {**IMAGES, "agent.log": samples.LOG})
    c = desk.client(ANN)
    for name, media in (("shot.png", "image/png"), ("photo.jpg", "image/jpeg"),
                        ("anim.gif", "image/gif"), ("pic.webp", "image/webp"),
                        ("agent.log", "text/plain; charset=utf-8")):
        r = c.get(f"/cases/{number}/files/{shas[name]}/view")
        assert r.status_code == 200, name
        assert r.headers["content-type"] == media, name
        assert r.headers["content-disposition"].startswith("inline;"), name
        assert_sealed(r.headers)


ATTEMPTS = {
    "drawing.svg": samples.SVG,  # SVG runs script when opened as a page
    "drawing-svg.png": samples.SVG,  # ... named as a picture
    "page.png": samples.HTML,  # HTML named as a picture
    "page.txt": samples.HTML,  # HTML named as text
    "spaced.log": b"\n\n   \t" + samples.HTML,  # markup after blank lines
    "bom.txt": "\ufeff".encode() + samples.HTML,  # markup after a byte-order mark
    "page.html": b"just words, but named as a page",  # plain text named as markup
    "report.pdf": samples.PDF,
    "report.txt": samples.PDF,  # a PDF named as text
    "samples.zip": samples.ZIP,
    "utf16.txt": "hello".encode("utf-16"),  # not UTF-8
    "latin1.txt": "caf\xe9 cr\xe8me".encode("latin-1"),  # not UTF-8
    "nul.txt": b"text\x00with a NUL",
    "escape.txt": b"text with \x1b[31m a terminal escape",
    "empty.txt": b"",
}


@pytest.mark.parametrize("name", sorted(ATTEMPTS))
def test_anything_else_stays_a_download(desk: Desk, name: str) -> None:
    number, shas = case_with(desk, {name: ATTEMPTS[name]})
    c = desk.client(ANN)
    for path in (f"/cases/{number}/files/{shas[name]}/view",
                 f"/cases/{number}/files/{shas[name]}"):
        r = c.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"] == "application/octet-stream", path
        assert r.headers["content-disposition"].startswith("attachment;"), path
        assert_sealed(r.headers)
    page = c.get(f"/cases/{number}").text
    assert f'<img src="/cases/{number}/files/{shas[name]}/view"' not in page
    assert 'class="preview"' not in page
    assert "pwned" not in page  # not even escaped: no preview at all


def test_a_polyglot_is_only_ever_an_image(desk: Desk) -> None:
    """PNG bytes followed by a page: served as image/png (never HTML), nosniff, sandboxed."""
    number, shas = case_with(desk, {"poly.html": samples.png() + samples.HTML})
    r = desk.client(ANN).get(f"/cases/{number}/files/{shas['poly.html']}/view")
    assert r.headers["content-type"] == "image/png"
    assert_sealed(r.headers)


def test_a_file_of_another_case_or_a_made_up_path_is_not_served(desk: Desk) -> None:
    number, _ = case_with(desk, {"agent.log": samples.LOG})
    other = desk.service.files.put_bytes(samples.png(), "elsewhere.png")
    desk.case("Another customer's case", email="eve@evil.example",
              attachments=[{"name": "elsewhere.png", "size": other.size,
                            "sha256": other.sha256}])
    c = desk.client(ANN)
    for sha in (other.sha256, "0" * 64, "..%2F..%2Fcasebot.db", "%2e%2e"):
        for tail in ("/view", ""):
            assert c.get(f"/cases/{number}/files/{sha}{tail}").status_code == 404, sha


def test_a_hostile_file_name_cannot_add_a_header(desk: Desk) -> None:
    name = 'x".png'
    number, shas = case_with(desk, {name: samples.png()})
    r = desk.client(ANN).get(f"/cases/{number}/files/{shas[name]}/view")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("inline;")
    assert 'x".png' not in disposition  # quoted, not a second parameter


def test_the_case_page_shows_thumbnails_and_escaped_text(desk: Desk) -> None:
    number, shas = case_with(desk, {"shot.png": samples.png(), "agent.log": samples.LOG})
    page = desk.client(ANN).get(f"/cases/{number}").text
    assert (f'<img src="/cases/{number}/files/{shas["shot.png"]}/view" alt="Image shot.png"'
            in page)
    assert "blocked &lt;script&gt;alert(1)&lt;/script&gt; in GET /login" in page
    assert "<script>" not in page


def test_a_download_streams_every_byte_from_where_the_files_live(desk: Desk,
                                                                 tmp_path: Path) -> None:
    """A file of several chunks (store/blobs: 1 MB each) comes back whole, with its length
    and the sealed download headers; on PostgreSQL no byte of it is on this machine's disk."""
    data = os.urandom(3 * 2**20 + 77)
    number, shas = case_with(desk, {"memory.dmp": data, "notes.txt": b"plain notes\n"})
    c = desk.client(ANN)
    with c.stream("GET", f"/cases/{number}/files/{shas['memory.dmp']}") as r:
        assert r.status_code == 200
        assert r.headers["content-length"] == str(len(data))
        assert r.headers["content-disposition"] == 'attachment; filename="memory.dmp"'
        assert_sealed(r.headers)
        got = b"".join(r.iter_bytes())
    assert got == data
    view = c.get(f"/cases/{number}/files/{shas['notes.txt']}/view")
    assert view.content == b"plain notes\n"
    assert view.headers["content-disposition"] == 'inline; filename="notes.txt"'
    if desk.service.files.kind == "database":
        assert not (tmp_path / "home" / "attachments").exists()
        assert not any((tmp_path / "home" / "blob-temp").glob("*"))
