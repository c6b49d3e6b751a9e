"""Static files in production: pages link content-hashed names, and those come brotli- or
gzip-compressed as the browser asks, cached as immutable; plain names keep working, and nothing
needs building for development or the tests. Every build here goes into a temporary folder.
"""

from __future__ import annotations

import gzip
import re
import shutil
from hashlib import sha256
from pathlib import Path

import brotli
import pytest
from flask import Flask, url_for
from whitenoise import WhiteNoise

from intake import ROOT, static_files
from tests.conftest import make_app

SOURCE = ROOT / "static"
YEAR = 365 * 24 * 60 * 60
HASHED = re.compile(r'/static/(css|js)/(\w+)\.([0-9a-f]{12})\.(css|js)"')


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """static/ built into a temporary folder (never into the work tree)."""
    target = tmp_path_factory.mktemp("build") / "static"
    static_files.build(SOURCE, target)
    return target


@pytest.fixture(scope="module")
def app(built, tmp_path_factory):
    """The app as in production: the build is there, so WhiteNoise serves it."""
    tmp = tmp_path_factory.mktemp("app")
    return make_app(f"sqlite:///{tmp / 'static.db'}", tmp, STATIC_BUILD_DIR=str(built))


def linked(html: str) -> dict[str, str]:
    """Plain name -> the hashed URL a page links to it by."""
    return {
        f"{kind}/{stem}.{ext}": f"/static/{kind}/{stem}.{digest}.{ext}"
        for kind, stem, digest, ext in HASHED.findall(html)
    }


def test_pages_link_the_hashed_names(app):
    client = app.test_client()
    patient = client.get("/").get_data(as_text=True)
    staff = client.get("/staff/login").get_data(as_text=True)
    assert set(linked(patient)) == {"css/app.css", "js/app.js"}
    assert set(linked(staff)) == {"css/app.css", "css/staff.css", "js/app.js", "js/staff.js"}
    for html in (patient, staff):
        assert '/static/css/app.css"' not in html and '/static/js/app.js"' not in html
    names = static_files.hashed_names(SOURCE)
    assert linked(staff)["css/staff.css"] == "/static/" + names["css/staff.css"]


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [
        ("br", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
        ("gzip, deflate, br, zstd", "br", brotli.decompress),  # a current browser
        ("", None, bytes),
    ],
)
@pytest.mark.parametrize("name", ["css/app.css", "js/app.js", "css/staff.css", "css/print.css"])
def test_hashed_files_come_compressed_and_cached_for_good(app, name, accept, encoding, decode):
    """Through the app's own WSGI entry (WhiteNoise around Flask), as gunicorn calls it."""
    url = "/static/" + static_files.hashed_names(SOURCE)[name]
    response = app.test_client().get(url, headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == encoding
    assert decode(response.get_data()) == (SOURCE / name).read_bytes()
    if encoding:
        assert len(response.get_data()) < 0.5 * (SOURCE / name).stat().st_size
    assert response.headers["Vary"] == "Accept-Encoding"
    cache = [part.strip() for part in response.headers["Cache-Control"].split(",")]
    assert "public" in cache and "immutable" in cache
    assert int(next(p for p in cache if p.startswith("max-age="))[8:]) >= YEAR
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"].startswith(("text/css", "text/javascript"))
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_plain_names_still_work_and_are_checked_each_time(app):
    response = app.test_client().get("/static/css/app.css", headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.get_data() == (SOURCE / "css" / "app.css").read_bytes()
    assert "immutable" not in response.headers["Cache-Control"]
    assert response.headers["Cache-Control"] == "no-cache"


def test_unknown_static_files_are_404(app):
    client = app.test_client()
    assert client.get("/static/css/app.0123456789ab.css").status_code == 404
    assert client.get("/static/css/nothing.css").status_code == 404


def _tiny_app(source: Path, target: Path, **config) -> Flask:
    """An app with its own static folder, wired as the factory does."""
    app = Flask(__name__, static_folder=str(source))
    app.config.update(STATIC_BUILD_DIR=str(target), **config)
    app.add_url_rule("/", "page", lambda: url_for("static", filename="css/app.css"))
    static_files.init_app(app)
    return app


def test_the_name_follows_the_content(tmp_path):
    """A change gets a new name once built; until then, its plain name, never the old copy."""
    source, target = tmp_path / "static", tmp_path / "build"
    shutil.copytree(SOURCE, source)
    first = static_files.build(source, target)
    assert (
        _tiny_app(source, target).test_client().get("/").text == f"/static/{first['css/app.css']}"
    )

    with (source / "css" / "app.css").open("a") as css:
        css.write("\n.new { color: red }\n")
    assert _tiny_app(source, target).test_client().get("/").text == "/static/css/app.css"

    second = static_files.build(source, target)
    assert second["css/app.css"] != first["css/app.css"]
    assert {k: v for k, v in second.items() if k != "css/app.css"} == {
        k: v for k, v in first.items() if k != "css/app.css"
    }
    client = _tiny_app(source, target).test_client()
    assert client.get("/").text == f"/static/{second['css/app.css']}"
    assert client.get(f"/static/{second['css/app.css']}").text.endswith(".new { color: red }\n")
    # Workers still on the previous release find what they link to.
    assert client.get(f"/static/{first['css/app.css']}").status_code == 200


def test_without_a_build_or_in_debug_mode_names_stay_plain(tmp_path, built):
    missing = _tiny_app(SOURCE, tmp_path / "none")
    debug = _tiny_app(SOURCE, built, DEBUG=True)
    for app in (missing, debug):
        assert app.test_client().get("/").text == "/static/css/app.css"
        assert not isinstance(app.wsgi_app, WhiteNoise)
    assert isinstance(_tiny_app(SOURCE, built).wsgi_app, WhiteNoise)


def test_unbuilt_names_what_a_check_would_report(app, tmp_path):
    assert static_files.unbuilt(app) == []
    assert static_files.unbuilt(_tiny_app(SOURCE, tmp_path / "none")) == sorted(
        static_files.hashed_names(SOURCE)
    )


def test_only_what_compression_shrinks_gets_compressed_versions(tmp_path):
    source, target = tmp_path / "static", tmp_path / "build"
    (source / "img").mkdir(parents=True)
    (source / "img" / "logo.png").write_bytes(b"\x89PNG" + b"a" * 2000)  # by extension
    (source / "noise.txt").write_bytes(b"".join(sha256(bytes([i])).digest() for i in range(64)))
    (source / "words.txt").write_text("plain words " * 200)
    (source / ".hidden").write_text("never copied")
    names = static_files.build(source, target)
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert set(names) == {"img/logo.png", "noise.txt", "words.txt"}
    words = names["words.txt"]
    assert files == sorted(
        [names["img/logo.png"], names["noise.txt"], words, words + ".br", words + ".gz"]
    )


def test_the_build_command_lists_each_file(tmp_path, capsys):
    assert static_files.main(["--into", str(tmp_path / "static")]) == 0
    printed = capsys.readouterr().out
    for name, hashed in static_files.hashed_names(SOURCE).items():
        assert f"{name} -> {hashed}: plain " in printed
        assert (tmp_path / "static" / (hashed + ".br")).is_file()
    assert static_files.main(["--into", str(tmp_path / "static")]) == 0  # again: no change


def test_the_readme_says_when_to_build():
    readme = (ROOT / "README.md").read_text("utf-8")
    upgrading = readme.split("### Upgrading", 1)[1].split("###", 1)[0]
    assert ".venv/bin/python -m intake.static_files" in upgrading
    deploying = readme.split("## Deploying", 1)[1].split("###", 1)[0]
    assert "python -m intake.static_files" in deploying
