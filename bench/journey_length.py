"""What the questionnaire costs patients: pages, questions, taps and page heights per persona.

Run: .venv/bin/python bench/journey_length.py [--git-rev REV] [--compare REV] [--pages]
     [--shots DIR]

Starts the app (`flask run`, one process, on a fresh migrated and seeded SQLite database in a
temporary folder, rate limits lifted) and walks each built-in persona through it in Chromium
(/usr/bin/chromium) at 390x844, as a patient would: start, every question page the app shows,
check your answers, see the result, the booking form, send. Pages are walked as the app shows
them, not by step id: on each page, every visible field the persona has an answer for is filled
by clicking its label (choices) or typing (text, numbers), again after each click while a
follow-up is revealed, then Continue. So the same personas also walk an earlier questionnaire
(`--git-rev REV`: the app of commit REV, unpacked with `git archive` into the temporary folder;
`--compare REV`: REV, then this tree, side by side). Old field names differ (pain_regions,
wpi_checklist, sport_injury_date, the two booking consents): each persona carries the answers
only an earlier questionnaire asked in `old` (and OLD_BOOKING the old booking form's boxes),
ignored where not asked.

Counted per persona:
- question pages: question pages shown (a follow-up page, /questions/<step>?more=1, counts);
- questions: questions answered (a checklist is one question, whatever is ticked);
- taps, in three kinds (and their total):
  - answers: on the question pages, 1 per choice ticked (a checklist's "None of these" is one)
    and 1 per text or number field filled (typing is not counted);
  - navigation: 1 for the start button, 1 per Continue, 1 for "See your result", 1 for the
    booking button, 1 for Send request;
  - booking form fields: on the booking form (tests/journeys.py BOOKING) 1 per field filled
    (name, email, phone, message), 1 per preferred day and time, 1 per consent box ticked.
  Scrolling, the Back link and "See your answers" are not counted.
- tallest page: document.documentElement.scrollHeight of the tallest question page, on arrival
  and after filling (revealed follow-ups make it taller), in px and in phone screens (px / 844);
- check page: the same height of check your answers as it first shows (details closed).

`--pages` also prints, per persona, one line per page shown: the start page, each question page
(its step id, with "?more=1" for a follow-up page), check your answers, the result and the
booking form, each with its height (px, as above: a question page's tallest state), the
questions answered on it (on the booking form: the fields filled) and its taps (its answers or
booking fields, plus the one button that leaves it); a last line adds them up, so its taps are
the persona's total.

A benchmark: it prints numbers and asserts nothing about them. A persona whose page shows an
error (an answer it lacks or that is refused) stops the run with the page's error messages.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.journey import free_port, unpack  # noqa: E402
from tests.journeys import BACK_PAIN_SUITABLE, BOOKING, FIBROMYALGIA, SPORTS_INJURY  # noqa: E402
from tests.servers import wait_for_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 390, 844
CHOICE_TYPES = ("radio", "checkbox")

Answers = dict[str, list[str]]


def flat(profile: Mapping[str, Mapping[str, list[str]]]) -> Answers:
    """A tests/journeys.py profile (step -> fields) as one field -> values mapping."""
    answers: Answers = {}
    for fields in profile.values():
        answers.update(fields)
    return answers


@dataclass(frozen=True)
class Persona:
    """A patient: answers by form field name (this questionnaire's), and `old`: the answers an
    earlier questionnaire asked under other names (pain_regions, wpi_checklist, ...)."""

    name: str
    answers: Answers
    old: Answers = field(default_factory=dict)

    def fields(self, old: bool) -> Answers:
        return self.answers | self.old if old else self.answers


#: Fields this questionnaire asks that the earlier ones did not (not reported as never asked).
NEW_ONLY = frozenset({"pain_map"})
#: The booking form's two consent boxes before they became one ("consent").
OLD_BOOKING = {"consent_privacy": ["y"], "consent_contact": ["y"]}
#: The spondyloarthritis checklist, which earlier questionnaires asked after onset at 45 or later.
OLD_AXSPA = {"axspa_checklist": ["none"]}
OLD_DATE = {"sport_injury_date": ["2026-10-01"]}
WPI_FIBRO = [a for a in FIBROMYALGIA["pain_areas"]["pain_map"] if a.startswith("wpi_")]
OLD_FIBRO_REGIONS = ["neck", "upper_back", "shoulder", "arm_hand", "hip_buttock", "leg_knee_foot"]
#: 31, 18 weeks pregnant, neck and shoulder pain for 2 months.
PREGNANT_NECK: Answers = {
    "respondent": ["self"], "age": ["31"], "sex": ["female"], "pregnant": ["yes"],
    "pregnancy_trimester": ["2"], "pain_map": ["wpi_neck", "wpi_shoulder_r"],
    "pain_duration": ["6_to_12_weeks"], "pain_onset": ["gradual"],
    "fibromyalgia_diagnosed": ["no"], "nprs_now": ["5"], "peg_pain_avg_week": ["5"],
    "peg_enjoyment_interference": ["3"], "peg_activity_interference": ["4"],
    "medication_classes": ["none"], "pain_medication_days": ["0"],
    "safety_checklist": ["none"], "previous_needling": ["no"],
    "goals": ["less_pain", "more_movement"],
}  # fmt: skip
#: A parent answering for a 15-year-old with a football knee injury.
CARER_TEEN: Answers = flat(SPORTS_INJURY) | {
    "respondent": ["someone_else"], "age": ["15"], "pain_map": ["wpi_upper_leg_r"],
    "sport_name": ["Football"], "sport_injury_kind": ["joint"], "sport_level": ["recreational"],
    "sport_return_goal": ["Play for the school team"], "medication_classes": ["none"],
    "pain_medication_days": ["0"], "previous_needling": ["no"],
    "unable_to_consent": ["no"], "guardian_consent_given": ["yes"],
}  # fmt: skip
PERSONAS = (
    Persona("runner", flat(SPORTS_INJURY), {"pain_regions": ["leg_knee_foot"], **OLD_DATE}),
    Persona("back pain", flat(BACK_PAIN_SUITABLE), {"pain_regions": ["lower_back"], **OLD_AXSPA}),
    Persona(
        "fibromyalgia",
        flat(FIBROMYALGIA),
        {"pain_regions": OLD_FIBRO_REGIONS, "wpi_checklist": WPI_FIBRO},
    ),
    Persona("pregnant, neck pain", PREGNANT_NECK, {"pain_regions": ["neck", "shoulder"]}),
    Persona("carer for a 15-year-old", CARER_TEEN, {"pain_regions": ["leg_knee_foot"], **OLD_DATE}),
)


class WalkError(Exception):
    """The persona could not go on: an unexpected page, or a page that showed errors."""


@dataclass(frozen=True)
class PageCost:
    """One page shown: its step id (or start, check, result, booking), height in px, the
    questions answered on it and its taps (answers or booking fields, and its button)."""

    name: str
    height: int
    questions: int
    taps: int


@dataclass
class Walk:
    """What one persona's walk cost."""

    persona: str
    pages: int = 0
    questions: int = 0
    answer_taps: int = 0
    navigation_taps: int = 0
    booking_taps: int = 0
    tallest: int = 0
    tallest_page: str = ""
    check: int = 0
    unused: set[str] = field(default_factory=set)
    shown: list[PageCost] = field(default_factory=list)

    @property
    def taps(self) -> int:
        return self.answer_taps + self.navigation_taps + self.booking_taps


def height(page) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


#: Every visible field of the page: [name, type, id, value]; hidden follow-ups are left out.
VISIBLE_FIELDS = """() => [...document.querySelectorAll(
    "input[name]:not([type=hidden]), textarea[name], select[name]")]
  .filter(e => e.getClientRects().length > 0)
  .map(e => [e.name, e.type || "", e.id || "", e.value])"""


def fill(page, answers: Answers, done: set[str]) -> tuple[int, int]:
    """Fill every visible field that has an answer, as a patient would, until filling reveals
    nothing more: (questions answered, taps)."""
    questions = taps = 0
    while True:
        fields = page.evaluate(VISIBLE_FIELDS)
        todo = [name for name, *_ in fields if name in answers and name not in done]
        if not todo:
            return questions, taps
        name = todo[0]
        done.add(name)
        questions += 1
        kind = next(kind for field_name, kind, *_ in fields if field_name == name)
        if kind not in CHOICE_TYPES:
            page.fill(f'[name="{name}"]', answers[name][0])
            taps += 1
            continue
        ids = {value: id_ for field_name, _, id_, value in fields if field_name == name}
        for value in answers[name]:
            if value not in ids:
                raise WalkError(f"{page.url}: no choice {value!r} for {name}")
            page.click(f'label[for="{ids[value]}"]')  # a click may reveal a follow-up
            taps += 1


def submit(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    errors = page.query_selector(".error-summary")
    if errors is not None:
        raise WalkError(f"{page.url}: {' | '.join(errors.inner_text().split(chr(10)))}")


def walk(browser, base: str, persona: Persona, old: bool, shots: Path | None) -> Walk:
    """One persona from the start page to the booking confirmation."""
    answers = persona.fields(old)
    result = Walk(persona.name)
    done: set[str] = set()
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    try:
        page.goto(base + "/")
        result.shown.append(PageCost("start", height(page), 0, 1))
        submit(page, "Start now")
        result.navigation_taps += 1
        while "/questions/" in page.url:
            result.pages += 1
            where = page.url.split("/questions/", 1)[1]
            tall = height(page)
            questions, taps = fill(page, answers, done)
            tall = max(tall, height(page))
            if shots:
                page.screenshot(path=shots / f"{slug(persona.name)}-{result.pages:02}.png")
            if tall > result.tallest:
                result.tallest, result.tallest_page = tall, where
            result.questions += questions
            result.answer_taps += taps
            result.navigation_taps += 1  # Continue
            result.shown.append(PageCost(where, tall, questions, taps + 1))
            submit(page, "Continue")
        if not page.url.endswith("/check"):
            raise WalkError(f"the questions ended at {page.url}")
        result.check = height(page)
        result.shown.append(PageCost("check", result.check, 0, 1))
        if shots:
            page.screenshot(path=shots / f"{slug(persona.name)}-check.png", full_page=True)
        submit(page, "See your result")
        result.shown.append(PageCost("result", height(page), 0, 1))
        if shots:
            page.screenshot(path=shots / f"{slug(persona.name)}-result.png", full_page=True)
        page.click('a[href$="/booking"]')
        page.wait_for_load_state()
        result.navigation_taps += 2  # See your result, the booking button
        booking_done: set[str] = set()
        contact = {k: v if isinstance(v, list) else [v] for k, v in BOOKING.items()}
        if old:
            contact |= OLD_BOOKING
        fields, taps = fill(page, contact, booking_done)
        result.shown.append(PageCost("booking", height(page), fields, taps + 1))
        if shots:
            page.screenshot(path=shots / f"{slug(persona.name)}-booking.png", full_page=True)
        submit(page, "Send request")
        result.booking_taps += taps
        result.navigation_taps += 1  # Send request
        if not page.url.endswith("/booking/sent"):
            raise WalkError(f"the booking form went to {page.url}")
        expected = (NEW_ONLY | set(persona.old)) if old else set()
        result.unused = set(answers) - done - expected
        return result
    finally:
        context.close()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@contextmanager
def app_server(tmp: Path, source: Path) -> Iterator[str]:
    """`flask run` of the app in `source` on a fresh database; yields its base URL."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "PY"))
    } | {
        "PYTHONPATH": str(source),
        "PYTHONDONTWRITEBYTECODE": "1",
        "SECRET_KEY": secrets.token_hex(32),
        "SESSION_COOKIE_SECURE": "false",  # plain http on loopback
        "INTAKE_INSTANCE_PATH": str(tmp / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "PATIENT_RATE_LIMIT": "1000000 per minute",
        "BOOKING_RATE_LIMIT": "1000000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["rules", "seed"]):
        done = subprocess.run(flask + command, cwd=source, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    port = free_port()
    log = tmp / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*flask, "run", "--no-reload", "-p", str(port)],
            cwd=source,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(process, port, lambda: log.read_text(errors="replace"))
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def measure(source: Path, old: bool, tmp: Path, shots: Path | None) -> list[Walk]:
    from playwright.sync_api import sync_playwright

    if shots:
        shots = shots / ("old" if old else "new")
        shots.mkdir(parents=True, exist_ok=True)
    with app_server(tmp, source) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            return [walk(browser, base, persona, old, shots) for persona in PERSONAS]
        finally:
            browser.close()


def screens(px: int) -> str:
    return f"{px / HEIGHT:.1f}"


def table(walks: list[Walk]) -> str:
    lines = [
        "| persona | question pages | questions | taps | answers | navigation "
        "| booking form fields | tallest page (px / screens) | check page (px / screens) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for w in walks:
        lines.append(
            f"| {w.persona} | {w.pages} | {w.questions} | {w.taps} | {w.answer_taps} | "
            f"{w.navigation_taps} | {w.booking_taps} | {w.tallest} / "
            f"{screens(w.tallest)} ({w.tallest_page}) | {w.check} / {screens(w.check)} |"
        )
    return "\n".join(lines)


def page_lines(walk: Walk) -> str:
    """One line per page the persona was shown, with what it cost."""
    lines = [f"{walk.persona}:", "  page                         height px  questions  taps"]
    for shown in walk.shown:
        lines.append(
            f"  {shown.name:<28} {shown.height:>6} ({screens(shown.height)})"
            f" {shown.questions:>6} {shown.taps:>7}"
        )
    questions = sum(shown.questions for shown in walk.shown)
    total = sum(shown.taps for shown in walk.shown)
    lines.append(f"  {'total':<28} {'':>12} {questions:>6} {total:>7}")
    return "\n".join(lines)


def comparison(before: list[Walk], after: list[Walk], rev: str) -> str:
    def change(old: int, new: int) -> str:
        return f"{old} → {new} ({(new - old) / old:+.0%})" if old else f"{old} → {new}"

    lines = [
        f"| persona ({rev} → now) | question pages | questions | taps | answers | navigation "
        "| booking form fields | tallest page (screens) | check page (screens) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for old, new in zip(before, after, strict=True):
        lines.append(
            f"| {new.persona} | {change(old.pages, new.pages)} | "
            f"{change(old.questions, new.questions)} | {change(old.taps, new.taps)} | "
            f"{change(old.answer_taps, new.answer_taps)} | "
            f"{change(old.navigation_taps, new.navigation_taps)} | "
            f"{change(old.booking_taps, new.booking_taps)} | "
            f"{screens(old.tallest)} → {screens(new.tallest)} | "
            f"{screens(old.check)} → {screens(new.check)} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--git-rev", help="walk the app of this commit instead of this tree")
    group.add_argument("--compare", metavar="REV", help="walk commit REV, then this tree")
    parser.add_argument(
        "--pages", action="store_true", help="also print each page shown, with what it cost"
    )
    parser.add_argument("--shots", type=Path, help="save a screenshot of every page here")
    args = parser.parse_args(argv)
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="intake-length-"))
    try:
        rev = args.git_rev or args.compare
        runs: list[tuple[str, list[Walk]]] = []
        if rev:
            source = unpack(rev, tmp / "source")
            (tmp / "old").mkdir()
            runs.append((rev, measure(source, True, tmp / "old", args.shots)))
        if not args.git_rev:
            (tmp / "new").mkdir()
            runs.append(("this tree", measure(ROOT, False, tmp / "new", args.shots)))
        print(f"Chromium at {WIDTH}x{HEIGHT}; a phone screen is {HEIGHT} px.")
        for name, walks in runs:
            print(f"\n{name}:\n\n{table(walks)}")
            if args.pages:
                for w in walks:
                    print(f"\n{page_lines(w)}")
            for w in walks:
                if w.unused:
                    print(f"- {w.persona}: never asked for {', '.join(sorted(w.unused))}")
        if args.compare:
            print(f"\n{comparison(runs[0][1], runs[1][1], args.compare)}")
        return 0
    except WalkError as error:
        print(f"walk stopped: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
