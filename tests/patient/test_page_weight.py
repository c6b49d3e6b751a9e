"""Page weight and third parties: every patient page, as the Flask test client gets it.

For each page in tests.e2e.PATIENT_PAGES: the HTML plus every same-origin stylesheet, script
and image it references (and what those stylesheets reference), uncompressed, is at most
60 KB; nothing is loaded from another origin; and nothing hides behind <noscript>.

What a phone downloads is measured too, with the static files built as in production (into a
temporary folder): each file as the app sends it to a browser accepting gzip, plus the HTML
gzipped as the reverse proxy would (nginx's default level, 1). Together at most 9 KB.
"""

from __future__ import annotations

import gzip
import re
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from intake import static_files
from tests.conftest import make_app
from tests.e2e import PATIENT_PAGES, AppHooks, PatientPage, add_boom_route, prepare, token

LIMIT = 60 * 1024
#: Gzip bytes per page: 1.5 times the heaviest page measured (the check page, 6030 bytes).
GZIP_LIMIT = 9 * 1024
#: nginx's gzip_comp_level default: the least a proxy compresses the HTML.
HTML_GZIP_LEVEL = 1
ORIGIN = "http://localhost"
#: Elements whose URLs the browser loads by itself (links to other sites are fine).
LOADING_TAGS = {
    "link": ("href",),
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.I)


class References(HTMLParser):
    """The URLs a page makes the browser load."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (tag, url)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and name in LOADING_TAGS.get(tag, ()):
                for url in _srcset(value) if name == "srcset" else [value]:
                    self.urls.append((tag, url.strip()))
            if value and name == "style":
                self.urls += [("style", url) for url in css_urls(value)]


def _srcset(value: str) -> list[str]:
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


def css_urls(css: str) -> list[str]:
    """Every url(...) and @import target in a stylesheet."""
    return [match.group(2) or match.group(4) for match in CSS_URL.finditer(css)]


def is_other_origin(url: str) -> bool:
    """Absolute http(s) or protocol-relative URLs (to anywhere but this app)."""
    url = url.strip().lower()
    return url.startswith(("http://", "https://", "//"))


@dataclass
class Weight:
    """What one page costs a phone."""

    name: str
    status: int
    html: str
    files: dict[str, int] = field(default_factory=dict)  # same-origin path -> bytes
    gzipped: dict[str, int] = field(default_factory=dict)  # same path -> bytes sent with gzip
    foreign: list[str] = field(default_factory=list)  # "tag: url" loaded from elsewhere

    @property
    def total(self) -> int:
        return len(self.html.encode()) + sum(self.files.values())

    @property
    def html_gzip(self) -> int:
        return len(gzip.compress(self.html.encode(), HTML_GZIP_LEVEL, mtime=0))

    @property
    def gzip_total(self) -> int:
        return self.html_gzip + sum(self.gzipped.values())


class ClientHttp:
    """tests.e2e.Http over the Flask test client."""

    def __init__(self, client):
        self.client = client

    @staticmethod
    def _result(response) -> tuple[str, str]:
        assert response.status_code < 500, (response.request.path, response.status_code)
        return response.request.path, response.get_data(as_text=True)

    def get(self, path: str) -> tuple[str, str]:
        return self._result(self.client.get(path, follow_redirects=True))

    def post(self, path: str, data: dict) -> tuple[str, str]:
        return self._result(self.client.post(path, data=data, follow_redirects=True))


def fetch(app, spec: PatientPage):
    """The response a patient gets for this page."""
    client = app.test_client()
    hooks = AppHooks(app, lambda: client.get_cookie("session").value)
    path = prepare(ClientHttp(client), spec, hooks)
    response = client.get(path)
    if spec.submit is not None:
        csrf = token(response.get_data(as_text=True))
        if spec.drop_cookies:
            client.delete_cookie("session")
        action = urllib.parse.urljoin(path, _form_action(response.get_data(as_text=True)) or path)
        data = {**spec.submit, "csrf_token": csrf}
        response = client.post(action, data=data, follow_redirects=True)
    return response


def _form_action(html: str) -> str | None:
    found = re.search(r'<form method="post"(?: action="([^"]*)")?', html)
    return found.group(1) if found else None


def weigh(app, spec: PatientPage) -> Weight:
    """The page and everything same-origin it makes the browser load."""
    response = fetch(app, spec)
    page_url = urllib.parse.urljoin(ORIGIN, response.request.path)
    weight = Weight(spec.name, response.status_code, response.get_data(as_text=True))
    parser = References()
    parser.feed(weight.html)
    queue = [(tag, urllib.parse.urljoin(page_url, url)) for tag, url in parser.urls]
    for tag, url in parser.urls:
        if is_other_origin(url):
            weight.foreign.append(f"<{tag}> {url}")
    client = app.test_client()
    while queue:
        tag, url = queue.pop(0)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "data" or f"{parts.scheme}://{parts.netloc}" != ORIGIN:
            continue
        if parts.path in weight.files:
            continue
        resource = client.get(parts.path)
        assert resource.status_code == 200, f"{spec.name}: {parts.path} -> {resource.status_code}"
        body = resource.get_data()
        weight.files[parts.path] = len(body)
        weight.gzipped[parts.path] = _gzip_size(client, parts.path, body)
        if parts.path.endswith(".css"):
            for ref in css_urls(body.decode()):
                if is_other_origin(ref):
                    weight.foreign.append(f"{parts.path}: url({ref})")
                queue.append(("css", urllib.parse.urljoin(url, ref)))
    return weight


def _gzip_size(client, path: str, body: bytes) -> int:
    """The bytes sent to a browser that accepts gzip: built CSS and JS must come compressed."""
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    if path.endswith((".css", ".js")):
        assert response.headers.get("Content-Encoding") == "gzip", f"{path} is not compressed"
        assert gzip.decompress(response.get_data()) == body
    return len(response.get_data())


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> dict[str, Weight]:
    """Every patient page, weighed once (real CSRF on and static files built, as in production)."""
    tmp = tmp_path_factory.mktemp("weight")
    static_files.build(static_files.SOURCE, tmp / "static")
    app = make_app(
        f"sqlite:///{tmp / 'weight.db'}",
        tmp,
        WTF_CSRF_ENABLED=True,
        STATIC_BUILD_DIR=tmp / "static",
    )
    add_boom_route(app)
    return {spec.name: weigh(app, spec) for spec in PATIENT_PAGES}


@pytest.mark.parametrize("spec", PATIENT_PAGES, ids=[spec.name for spec in PATIENT_PAGES])
def test_page_is_light_and_loads_nothing_from_elsewhere(weights, spec):
    weight = weights[spec.name]
    assert weight.status == spec.status, (spec.name, weight.status)
    assert "/static/css/" in " ".join(weight.files), f"{spec.name}: no stylesheet found"
    assert weight.total <= LIMIT, (
        f"{spec.name} weighs {weight.total} bytes (limit {LIMIT}): HTML "
        f"{len(weight.html.encode())} + {weight.files}"
    )
    assert weight.gzip_total <= GZIP_LIMIT, (
        f"{spec.name} sends {weight.gzip_total} bytes gzipped (limit {GZIP_LIMIT}): HTML "
        f"{weight.html_gzip} + {weight.gzipped}"
    )
    assert not weight.foreign, f"{spec.name} loads from another origin: {weight.foreign}"
    assert "<noscript" not in weight.html.lower(), f"{spec.name} has <noscript> content"


def test_report_the_heaviest_pages(weights, capsys):
    ranked = sorted(weights.values(), key=lambda weight: weight.total, reverse=True)
    by_gzip = max(weights.values(), key=lambda weight: weight.gzip_total)
    with capsys.disabled():
        print("\nPage weight (HTML + same-origin CSS/JS/images), uncompressed and gzipped:")
        for weight in ranked[:5]:
            print(
                f"  {weight.name:<36} {weight.total / 1024:6.1f} KB "
                f"(HTML {len(weight.html.encode()) / 1024:.1f} KB), "
                f"gzip {weight.gzip_total / 1024:5.1f} KB (HTML {weight.html_gzip / 1024:.1f} KB)"
            )
        print(f"  largest: {ranked[0].name}, {ranked[0].total} bytes of {LIMIT} allowed")
        print(f"  largest gzipped: {by_gzip.name}, {by_gzip.gzip_total} of {GZIP_LIMIT} allowed")
    assert ranked[0].total <= LIMIT
    assert by_gzip.gzip_total <= GZIP_LIMIT


def test_the_checks_catch_what_they_should():
    """The parser finds other-origin references in every form the test looks for."""
    html = (
        '<link rel="stylesheet" href="https://cdn.example/x.css">'
        '<script src="//cdn.example/x.js"></script>'
        '<img src="/static/a.png" srcset="/static/a.png 1x, http://img.example/a.png 2x">'
        '<iframe src="https://video.example/embed"></iframe>'
        '<a href="https://example.com/">a link is fine</a>'
    )
    parser = References()
    parser.feed(html)
    foreign = [url for _, url in parser.urls if is_other_origin(url)]
    assert foreign == [
        "https://cdn.example/x.css",
        "//cdn.example/x.js",
        "http://img.example/a.png",
        "https://video.example/embed",
    ]
    css = "@import 'https://fonts.example/f.css'; a { background: url(//x.example/i.png) }"
    assert [url for url in css_urls(css) if is_other_origin(url)] == [
        "https://fonts.example/f.css",
        "//x.example/i.png",
    ]
