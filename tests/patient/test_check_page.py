"""Check your answers: one summary per part with one Change link, every answer one tap away
(in a <details> element, so it works without JavaScript), and only the pages the patient saw."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from intake.screening import questionnaire, summary
from intake.screening.questionnaire import CHECKLIST, MULTI, Choice, Question, Step
from tests import journeys
from tests.answers import patient

CHANGE = re.compile(r'<a href="([^"]+)">Change<span class="visually-hidden"> ([^<]+)</span></a>')


@dataclass
class PartOnPage:
    title: str
    line: str
    part_links: list[str]  # hrefs of "Change your answers about ..."
    step_links: list[str]  # hrefs of the detail's "Change your answers on the page ..."
    body: str


def parts_on(page: str) -> list[PartOnPage]:
    """The check page's parts as a patient sees them."""
    found = []
    for chunk in page.split('<section class="check-part"')[1:]:
        chunk = chunk.split("</section>", 1)[0]
        title = re.search(r"<h2[^>]*>([^<]+)</h2>", chunk).group(1)
        line = re.search(r'<p class="check-part__line">([^<]*)</p>', chunk).group(1)
        links = [(href, html.unescape(name)) for href, name in CHANGE.findall(chunk)]
        found.append(
            PartOnPage(
                html.unescape(title),
                html.unescape(line),
                [href for href, name in links if name.startswith("your answers about ")],
                [href for href, name in links if name.startswith("your answers on the page ")],
                chunk,
            )
        )
    return found


def check_page(client, profile) -> tuple[str, list[str]]:
    shown = journeys.walk(client, profile)
    response = client.get("/check")
    assert response.status_code == 200
    return response.get_data(as_text=True), shown


def change(step_id: str) -> str:
    return f"/questions/{step_id}?change=1"


def test_each_part_is_shown_once_with_one_change_link_to_its_first_page(client):
    page, shown = check_page(client, journeys.BACK_PAIN_SUITABLE)
    parts = parts_on(page)
    assert [p.title for p in parts] == [part.title for part in questionnaire.PARTS]
    for part, on_page in zip(questionnaire.PARTS, parts, strict=True):
        steps = [s for s in shown if questionnaire.STEPS_BY_ID[s].part == part.id]
        assert on_page.part_links == [change(steps[0])], part.id
        assert on_page.step_links == [change(s) for s in steps], part.id
    assert page.count("<details") == len(parts)
    assert page.count("<summary>See your answers") == len(parts)


def test_change_links_have_names_that_say_what_they_change(client):
    page, _ = check_page(client, journeys.BACK_PAIN_SUITABLE)
    names = [html.unescape(name) for _, name in CHANGE.findall(page)]
    assert "your answers about your pain" in names
    assert "your answers about you" in names
    assert "your answers on the page “Where you have pain”" in names
    assert len(names) == len(set(names))  # no two links read the same


def test_summary_lines_give_the_answers_in_words(client):
    page, _ = check_page(client, journeys.BACK_PAIN_SUITABLE)
    lines = {p.title: p.line for p in parts_on(page)}
    assert "45" in lines["About you"]
    assert "Lower back" in lines["Your pain"] and "wpi_" not in lines["Your pain"]
    assert "Less pain" in lines["Your pain"] and "more_movement" not in lines["Your pain"]
    for line in lines.values():
        assert line.strip() and not re.fullmatch(r"\d+ answers?", line)


def test_the_detail_holds_every_answer_in_words(client):
    page, shown = check_page(client, journeys.BACK_PAIN_SUITABLE)
    pain = next(p for p in parts_on(page) if p.title == "Your pain")
    assert '<dd class="summary__value">Lower back</dd>' in pain.body
    assert "Has a doctor told you that you have fibromyalgia?" in pain.body
    for step_id in shown:
        assert f">{html.escape(questionnaire.STEPS_BY_ID[step_id].title)}</h3>" in page
    assert '<dd class="summary__value">45</dd>' in page
    # A 0-10 rating reads as one, in the detail as in the summary line.
    assert '<dd class="summary__value">6 out of 10</dd>' in pain.body
    assert "Pain now: 6 out of 10;" in pain.line and "out of 10 out of" not in page


def test_pages_the_patient_never_saw_are_not_on_the_check_page(client):
    page, shown = check_page(client, journeys.SPORTS_INJURY)
    assert "sports_injury" in shown
    hidden = [s for s in questionnaire.STEPS_BY_ID if s not in shown]
    assert {"back_warning_signs", "back_pain_outlook", "widespread_pain"} <= set(hidden)
    for step_id in hidden:
        assert f'href="{change(step_id)}"' not in page
        assert f">{html.escape(questionnaire.STEPS_BY_ID[step_id].title)}</h3>" not in page
    assert "Are you pregnant?" not in page  # a follow-up he was never asked


def test_a_part_change_link_opens_its_page_in_change_mode(client):
    page, _ = check_page(client, journeys.SPORTS_INJURY)
    pain = next(p for p in parts_on(page) if p.title == "Your pain")
    response = client.get(pain.part_links[0])
    assert response.status_code == 200
    assert 'class="back-link" href="/check"' in response.get_data(as_text=True)


# --- The summary functions (pure) ------------------------------------------------------------

AREAS = Question(
    "areas",
    CHECKLIST,
    "Where?",
    choices=(Choice("a_neck", "Neck"), Choice("a_knee", "Knee"), Choice("a_hip", "Hip")),
    none_label="None of these",
    summary="Pain in: {answer}",
)
GOALS = Question(
    "aims",
    MULTI,
    "Aims?",
    choices=(Choice("walk", "Walk further"), Choice("sleep", "Sleep better")),
    summary="Aims: {answer}",
)
UNSUMMARISED = Question("notes", "text", "Notes?")


def test_a_checklist_summary_joins_the_ticked_labels_or_says_none():
    ticked = {"a_neck": True, "a_knee": False, "a_hip": True}
    assert summary.summary_piece(AREAS, ticked) == "Pain in: Neck, Hip"
    none = dict.fromkeys(("a_neck", "a_knee", "a_hip"), False)
    assert summary.summary_piece(AREAS, none) == "Pain in: None of these"
    assert summary.summary_piece(AREAS, {}) is None  # not answered


def test_a_multi_summary_uses_the_choice_labels():
    assert summary.summary_piece(GOALS, {"aims": ["sleep", "walk"]}) == (
        "Aims: Sleep better, Walk further"
    )
    assert summary.summary_piece(UNSUMMARISED, {"notes": "x"}) is None  # no summary text


def test_a_summary_line_joins_pieces_or_falls_back_to_a_count():
    steps = [Step("s", "S", "S", "p", (AREAS, GOALS, UNSUMMARISED))]
    answers = {"a_neck": True, "aims": ["walk"], "notes": "hello"}
    assert summary.summary_line(steps, answers, 3) == "Pain in: Neck; Aims: Walk further"
    bare = [Step("t", "T", "T", "p", (UNSUMMARISED,))]
    assert summary.summary_line(bare, answers, 3) == "3 answers"
    assert summary.summary_line(bare, answers, 1) == "1 answer"


def test_part_summaries_leave_out_answers_to_questions_no_longer_shown():
    parts = summary.part_summaries(patient(sex="male", pregnant=True))
    about = next(p for p in parts if p.part.id == "about_you")
    labels = [label for _, rows in about.steps for _, label, _ in rows]
    assert "35" in about.line and "Pregnant" not in about.line
    assert "How old are you?" in labels and "Are you pregnant?" not in labels
    assert [p.part.id for p in parts] == [part.id for part in questionnaire.PARTS]
    assert about.first_step.id == "about_you" and about.about == "you"
