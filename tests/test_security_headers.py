"""The security headers are flask-talisman's, header for header, though each is worked out once
(hardening.SecurityHeaders), and signed session cookies are not signed again for nothing
(hardening.SessionCookies) yet still end. Issue 16: "question page GET / POST vs bare Flask"."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask_limiter import Limiter
from flask_talisman import Talisman

from intake import hardening
from tests.conftest import make_app
from tests.journeys import BACK_PAIN_SUITABLE
from tests.patient.test_lean_requests import started

HTTPS = "https://intake.example.test"
#: Headers that differ between any two responses (a new id, a new cookie).
OWN = {"X-Request-ID", "Set-Cookie"}


def headers_of(response) -> list[tuple[str, str]]:
    return [(name, value) for name, value in response.headers.items() if name not in OWN]


def both_apps(tmp_path, monkeypatch, **settings):
    """(this app, the same app with plain Talisman) on one database."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    ours = make_app(url, tmp_path, TESTING=False, SECRET_KEY="k" * 40, **settings)
    with monkeypatch.context() as patch:
        patch.setattr(hardening, "SecurityHeaders", Talisman)
        plain = make_app(url, tmp_path, TESTING=False, SECRET_KEY="k" * 40, **settings)
    return ours, plain


@pytest.mark.parametrize(
    "settings",
    [{}, {"HSTS": True}, {"FORCE_HTTPS": True}, {"FORCE_HTTPS": True, "HSTS": True}],
    ids=["default", "hsts", "force-https", "force-https-hsts"],
)
def test_every_header_is_talismans(tmp_path, monkeypatch, settings):
    ours, plain = both_apps(tmp_path, monkeypatch, **settings)
    requests = [
        ("GET", "/", {}, {}),
        ("GET", "/privacy", {}, {}),
        ("GET", "/staff/login", {}, {}),
        ("GET", "/no-such-page", {}, {}),
        ("GET", "/healthz", {}, {}),  # Talisman's per-view options: never redirected
        ("GET", "/static/css/app.css", {}, {}),
        ("GET", "/", {"base_url": HTTPS}, {}),
        ("GET", "/staff/login", {"base_url": HTTPS}, {}),
        ("GET", "/healthz", {"base_url": HTTPS}, {}),
        ("GET", "/", {}, {"X-Forwarded-Proto": "https"}),
        ("POST", "/start", {"base_url": HTTPS}, {}),
        ("GET", "/questions/about_you?x=1", {}, {}),
    ]
    compared = 0
    for _ in range(2):  # the first response of a view works the headers out, later ones reuse
        for method, path, options, headers in requests:
            got = [
                app.test_client().open(path, method=method, headers=headers, **options)
                for app in (ours, plain)
            ]
            assert got[0].status_code == got[1].status_code, (path, options)
            assert headers_of(got[0]) == headers_of(got[1]), (path, options, headers)
            compared += 1
    assert compared == 2 * len(requests)
    csp = ours.test_client().get("/").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp


def test_a_question_page_has_talismans_headers(tmp_path, monkeypatch):
    ours, plain = both_apps(tmp_path, monkeypatch, WTF_CSRF_ENABLED=False)
    pages = []
    for app in (ours, plain):
        client = app.test_client()
        url = started(client, pages=2)
        pages.append((client.get(url, base_url=HTTPS), client.post(url, base_url=HTTPS)))
    for ours_response, plain_response in zip(*pages, strict=True):
        assert headers_of(ours_response) == headers_of(plain_response)


def signed_at(app, client) -> float:
    """When the session cookie the client holds was signed."""
    cookie = client.get_cookie("session").value
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(cookie, return_timestamp=True)[1].timestamp()


def test_an_unchanged_patient_session_is_not_signed_again_on_every_page(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 's.db'}", tmp_path)
    client = app.test_client()
    url = started(client, pages=1)
    client.get(url)  # Flask-Login marks the new permanent session once
    unchanged = [client.get(url) for _ in range(3)]
    assert all(r.status_code == 200 for r in unchanged)
    assert not any("Set-Cookie" in r.headers for r in unchanged)
    step = url.rsplit("/", 1)[-1]
    assert "Set-Cookie" not in client.post(url, data=BACK_PAIN_SUITABLE[step]).headers
    # a change is saved at once
    assert "Set-Cookie" in client.post("/finish").headers


def test_an_old_cookie_is_signed_again_and_an_expired_one_ends(tmp_path, monkeypatch):
    lifetime = 240  # seconds: an unchanged cookie is signed again after 10 s (a twenty-fourth)
    app = make_app(f"sqlite:///{tmp_path / 's.db'}", tmp_path, PERMANENT_SESSION_LIFETIME=lifetime)
    client = app.test_client()
    url = started(client, pages=1)
    client.get(url)
    first, now = signed_at(app, client), time.time()

    def clock(seconds: float) -> None:
        monkeypatch.setattr(time, "time", lambda: now + seconds)

    clock(5)
    assert "Set-Cookie" not in client.get(url).headers
    clock(12)
    assert "Set-Cookie" in client.get(url).headers
    assert signed_at(app, client) >= first + 11  # it lasts from now on
    clock(lifetime + 5)
    assert client.get(url).status_code == 200  # past the first signature's lifetime: alive
    clock(2 * lifetime + 10)
    assert client.get(url).status_code == 404  # a lifetime after the last request: ended


def test_posts_only_counts_posts_and_leaves_gets_alone():
    app = Flask(__name__)
    limiter = Limiter(key_func=lambda: "one", app=app, storage_uri="memory://")

    @app.route("/form", methods=["GET", "POST"])
    @hardening.posts_only(limiter.limit("2 per minute", methods=["POST"]))
    def form():
        return "ok"

    client = app.test_client()
    assert [client.get("/form").status_code for _ in range(5)] == [200] * 5
    assert [client.post("/form").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/form").status_code == 200


def test_posts_only_leaves_default_limits_to_count_gets():
    app = Flask(__name__)
    limiter = Limiter(
        key_func=lambda: "one", app=app, storage_uri="memory://", default_limits=["2 per minute"]
    )

    @app.route("/form", methods=["GET", "POST"])
    @hardening.posts_only(limiter.limit("5 per minute", methods=["POST"]))
    def form():
        return "ok"

    client = app.test_client()
    assert [client.get("/form").status_code for _ in range(3)] == [200, 200, 429]
