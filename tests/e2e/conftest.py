"""Browser fixtures: a live server with real CSRF, Debian's Chromium, a phone-sized context.

pytest-playwright's `browser`, `context`, `page` and `new_context` fixtures are used unchanged;
only the launch arguments (no `playwright install`: /usr/bin/chromium), `base_url` and the
context arguments are overridden (../shared/testing.md §3). Screenshots go to
test-artifacts/screenshots/<test-name>/<nn>-<page>.png.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import make_app, require_service
from tests.e2e import AppHooks, add_boom_route, encode

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: A phone: 390 x 844 CSS pixels at 2x, touch, mobile viewport meta honoured.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
#: Staff work at a desk: 1366 x 900 CSS pixels.
DESKTOP = {
    "viewport": {"width": 1366, "height": 900},
    "is_mobile": False,
    "has_touch": False,
    "device_scale_factor": 1,
}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@dataclass
class LiveServer:
    """The app served on a free loopback port."""

    url: str
    app: object

    def hooks(self, context) -> AppHooks:
        """Reach into the app for the session of this browser context."""

        def cookie() -> str:
            return next(c["value"] for c in context.cookies() if c["name"] == "session")

        return AppHooks(self.app, cookie)


class QuietHandler(WSGIRequestHandler):
    """No access log: failures show the test's own messages, not every request."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@pytest.fixture(scope="session")
def chromium_available() -> None:
    require_service(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with CSRF protection on, as in production, on a fresh SQLite database."""
    tmp = tmp_path_factory.mktemp("live")
    app = make_app(f"sqlite:///{tmp / 'e2e.db'}", tmp, WTF_CSRF_ENABLED=True)
    add_boom_route(app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, chromium_available) -> dict:
    """Debian's Chromium, headless (keeps pytest-playwright's --headed/--slowmo handling)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """Lets tests call page.goto("/")."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """Every context is a phone."""
    return {**browser_context_args, **PHONE}


class Screenshots:
    """Numbered full-page screenshots of one test."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def __call__(self, page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{_slug(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshots:
    """`screenshot(page, "result")` saves <nn>-result.png under this test's folder."""
    folder = SCREENSHOTS / _slug(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return Screenshots(folder)


class PageHttp:
    """tests.e2e.Http over Playwright's request context, which shares the page's cookies."""

    def __init__(self, page):
        self.request = page.request

    def _result(self, response) -> tuple[str, str]:
        assert response.status < 500, (response.url, response.status)
        return re.sub(r"^https?://[^/]+", "", response.url).split("?")[0], response.text()

    def get(self, path: str) -> tuple[str, str]:
        return self._result(self.request.get(path))

    def post(self, path: str, data: dict) -> tuple[str, str]:
        return self._result(
            self.request.post(
                path,
                data=encode(data),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        )


@pytest.fixture
def http(page) -> PageHttp:
    """Fast-forward a browser session over HTTP (same cookies as `page`)."""
    return PageHttp(page)


def log_in(page, email: str) -> None:
    """Log a staff member in through the login page, as they would; ends on the dashboard."""
    from playwright.sync_api import expect

    from tests.conftest import STAFF_PASSWORD

    page.goto("/staff/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
