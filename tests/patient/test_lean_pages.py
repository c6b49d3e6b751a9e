"""A question page does less work for the same result (issue 16, "question page GET / POST vs
bare Flask"): facts worked out once per answer set, unanswered fields rendered once per process
with the same HTML, the draft read in one round trip outside the session. Counted, never timed.
"""

from __future__ import annotations

import re

from sqlalchemy import event

from intake.extensions import db
from intake.forms import ChoiceView, FieldView
from intake.patient import field_html, page_html
from intake.patient.forms import question_field
from intake.screening import branching, facts, questionnaire
from tests.journeys import BACK_PAIN_SUITABLE, walk
from tests.patient.test_lean_requests import RoundTrips, started

CSRF = re.compile(r'name="csrf_token" value="[^"]*"')


def counted_work_out(monkeypatch) -> list[int]:
    """Each time facts are worked out (not taken from `derived_once`), an entry."""
    calls: list[int] = []
    work_out = facts.work_out

    def counted(answers, *args):
        calls.append(1)
        return work_out(answers, *args)

    monkeypatch.setattr(facts, "work_out", counted)
    return calls


def test_a_question_page_works_out_the_facts_once(client, monkeypatch):
    """About ten derive() calls on a GET (steps shown, questions shown, the first unanswered
    step, the step before) and 23 on a POST each worked the facts out again."""
    url = started(client, pages=4)
    step = url.rsplit("/", 1)[-1]
    calls = counted_work_out(monkeypatch)
    assert client.get(url).status_code == 200
    assert len(calls) == 1
    calls.clear()
    assert client.post(url, data=BACK_PAIN_SUITABLE[step]).status_code == 302
    # the saved answers, the page's answers as parsed (again for each question it hides),
    # the answers as saved
    assert len(calls) <= 4, len(calls)


def test_derived_once_notices_changed_answers_and_hands_out_copies():
    answers = {"pain_map_lower_back": True, "wpi_lower_back": True, "age": 15}
    with facts.derived_once():
        first = facts.derive(answers, 16)
        assert first["guardian_consent_required"] is True
        first["scribbled"] = 1  # a caller's own copy
        assert "scribbled" not in facts.derive(answers, 16)
        answers["age"] = 40  # changed in place: worked out again
        assert facts.derive(answers, 16)["guardian_consent_required"] is False
        assert facts.derive(answers, 18) == facts.work_out(answers, 18)
    assert facts.derive(answers, 16) == facts.work_out(answers, 16)


def test_the_draft_is_read_in_one_round_trip_without_a_transaction(app, monkeypatch):
    client = app.test_client()
    url = started(client, pages=2)
    client.get(url)
    client.get("/check")  # redirected to the first page still to answer
    with app.app_context():
        trips = RoundTrips(db.engine, monkeypatch)
    for page in (url, "/check"):
        response, sent = trips.during(lambda page=page: client.get(page))
        assert response.status_code in (200, 302)
        assert len(sent) == 1 and sent[0].startswith("SELECT"), sent


def test_back_from_the_result_is_one_round_trip_too(app, monkeypatch):
    client = app.test_client()
    walk(client, BACK_PAIN_SUITABLE)
    assert client.post("/check").headers["Location"].endswith("/result")
    with app.app_context():
        trips = RoundTrips(db.engine, monkeypatch)
    response, sent = trips.during(lambda: client.get("/questions/needling_safety"))
    assert response.headers["Location"].endswith("/result")
    assert len(sent) == 1 and sent[0].startswith("SELECT"), sent


def test_the_draft_read_for_a_page_is_returned_to_the_pool(app):
    client = app.test_client()
    url = started(client)
    with app.app_context():
        engine = db.engine
    checked_out = []
    event.listen(engine, "checkout", lambda *args: checked_out.append(1))
    event.listen(engine, "checkin", lambda *args: checked_out.pop())
    for _ in range(3):
        assert client.get(url).status_code == 200
    assert checked_out == []


def every_field_view() -> list[FieldView]:
    """Each question's field as a question page shows it unanswered, in every way it can be
    shown (hidden, a follow-up), and a few made up."""
    views = []
    for question in questionnaire.QUESTIONS.values():
        for hidden in (False, True):
            view = question_field(question, [])
            view.follow_up = branching.FOLLOW_UPS.get(question.id)
            view.hidden = hidden
            views.append(view)
    views.append(FieldView("x", "x", "textarea", "Notes", hint="A <b>hint</b>", max_length=9))
    views.append(
        FieldView(
            "y", "y", "select", "Pick", choices=[ChoiceView("1", "One"), ChoiceView("2", "“Two”")]
        )
    )
    return views


def test_an_unanswered_field_is_the_field_macros_html(app):
    with app.test_request_context():
        macro = app.jinja_env.get_template("macros/fields.html").module.field
        for view in every_field_view():
            fresh = str(macro(view))
            assert str(field_html.unanswered_field(macro, view)) == fresh  # kept
            assert str(field_html.unanswered_field(macro, view)) == fresh  # from the copy


def test_a_field_with_an_answer_or_an_error_is_never_kept(app):
    calls = []

    def macro(view):
        calls.append(view)
        return f"<p>{view.values} {view.error}</p>"

    field_html._kept.clear()
    answered = FieldView("age", "age", "number", "Age", values=["45"])
    wrong = FieldView("age", "age", "number", "Age", error="Enter your age")
    for view in (answered, answered, wrong, wrong):
        field_html.unanswered_field(macro, view)
    assert len(calls) == 4
    assert field_html._kept == {}
    field_html.unanswered_field(macro, FieldView("age", "age", "number", "Age"))
    field_html.unanswered_field(macro, FieldView("age", "age", "number", "Age"))
    assert len(calls) == 5 and len(field_html._kept) == 1


def test_every_value_of_a_field_tells_kept_fields_apart(app):
    """Two views differing in any one value never share HTML."""
    with app.test_request_context():
        macro = app.jinja_env.get_template("macros/fields.html").module.field
        base = FieldView("q", "q", "radios", "Q?", choices=[ChoiceView("a", "A", "hint")])
        first = str(field_html.unanswered_field(macro, base))
        other = FieldView("q", "q", "radios", "Q?", choices=[ChoiceView("a", "A", "other")])
        assert str(field_html.unanswered_field(macro, other)) != first
        hidden = FieldView("q", "q", "radios", "Q?", choices=base.choices, hidden=True)
        assert " hidden>" in str(field_html.unanswered_field(macro, hidden))


def test_question_pages_look_as_before(app, client, monkeypatch):
    """Every question page of a journey is, byte for byte, what rendering the template and
    each of its fields with the macro gives: kept pages and fields change nothing."""
    steps = list(BACK_PAIN_SUITABLE)
    url = started(client, pages=0)
    for number, step in enumerate(steps):
        assert url.endswith(f"/questions/{step}"), (url, step)
        kept = [client.get(url).get_data(as_text=True) for _ in range(2)]
        with monkeypatch.context() as patch:
            patch.setitem(app.jinja_env.globals, "unanswered_field", lambda macro, f: macro(f))
            patch.setattr(page_html, "_key", lambda context: None)
            fresh = client.get(url).get_data(as_text=True)
        assert kept[0] == kept[1] == fresh, step
        assert 'name="csrf_token" value="' in fresh
        url = client.post(url, data=BACK_PAIN_SUITABLE[step]).headers["Location"]
        if number + 1 < len(steps):
            continue
        assert url.endswith("/check")


def test_a_kept_page_carries_each_patients_own_token(tmp_path, monkeypatch):
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'k.db'}", tmp_path, WTF_CSRF_ENABLED=True)
    rendered = []
    render = page_html.form_page
    monkeypatch.setattr(
        page_html, "form_page", lambda *a, **k: rendered.append(1) or render(*a, **k)
    )
    page_html._kept.clear()
    first, second = app.test_client(), app.test_client()
    urls, tokens = [], []
    for client in (first, second):
        token = token_in(client.get("/"))
        urls.append(client.post("/start", data={"csrf_token": token}).headers["Location"])
        tokens.append(token)
    assert urls[0] == urls[1] and tokens[0] != tokens[1]
    pages = [client.get(urls[0]) for client in (first, second)]
    assert len(rendered) == 1 and len(page_html._kept) == 1  # the second from the copy
    assert [token_in(page) for page in pages] == tokens
    step = urls[0].rsplit("/", 1)[-1]
    answers = {**BACK_PAIN_SUITABLE[step], "csrf_token": tokens[1]}
    assert second.post(urls[0], data=answers).status_code == 302
    assert first.post(urls[0], data=answers).status_code == 400  # another patient's token


def test_a_page_with_an_answer_or_an_error_is_never_kept(client):
    page_html._kept.clear()
    url = started(client, pages=0)
    for step in list(BACK_PAIN_SUITABLE)[:3]:
        assert client.get(url).status_code == 200  # unanswered: kept
        url = client.post(url, data=BACK_PAIN_SUITABLE[step]).headers["Location"]
    kept = dict(page_html._kept)
    assert len(kept) == 3
    for step in list(BACK_PAIN_SUITABLE)[:3]:  # Back: each shows its answers
        assert " checked" in client.get(f"/questions/{step}").get_data(as_text=True)
    client.post(url, data={})  # sent with errors, shown again with them
    assert client.get(url).status_code == 422
    assert page_html._kept == kept
    for parts in kept.values():
        assert " checked" not in "".join(parts) and "error-message" not in "".join(parts)


def test_the_question_template_reads_only_its_context(app):
    """A kept page is keyed by its context: the templates it renders may read nothing else
    but the app's constant globals (not the request, the session or who is logged in)."""
    from jinja2 import meta

    context = {"step", "changing", "more", "fields", "errors", "part", "part_number"}
    context |= {"parts_total", "back_url"}
    constant = {"clinic", "url_for", "csrf_token", "unanswered_field"}
    env = app.jinja_env
    macros = set(re.findall(r"{% macro (\w+)", env.loader.get_source(env, "macros/fields.html")[0]))
    constant |= macros  # imported from there
    constant |= {"_", "input_type"}  # set inside its macros, which jinja2.meta counts as read
    for name in ("patient/question.html", "base.html", "macros/fields.html"):
        read = meta.find_undeclared_variables(env.parse(env.loader.get_source(env, name)[0]))
        assert read <= context | constant, (name, read - context - constant)


def token_in(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))[1]


def test_a_sessions_csrf_token_is_signed_once_and_still_checked(tmp_path, monkeypatch):
    """Signing the token for every form page was about 6 % of a question page's GET."""
    from intake import hardening
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'c.db'}", tmp_path, WTF_CSRF_ENABLED=True)
    signed = []
    generate = hardening.generate_csrf
    monkeypatch.setattr(hardening, "generate_csrf", lambda: signed.append(1) or generate())
    client, other = app.test_client(), app.test_client()
    tokens = [token_in(client.get("/")) for _ in range(3)]
    assert len(set(tokens)) == 1 and len(signed) == 1
    assert token_in(other.get("/")) != tokens[0] and len(signed) == 2
    assert client.post("/start", data={"csrf_token": "forged"}).status_code == 400
    started_page = client.post("/start", data={"csrf_token": tokens[0]})
    assert started_page.status_code == 302
    assert token_in(client.get(started_page.headers["Location"])) == tokens[0]
    assert other.post("/start", data={"csrf_token": tokens[0]}).status_code == 400


def test_with_a_time_limit_a_kept_token_is_signed_again_early(tmp_path, monkeypatch):
    import time

    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'c.db'}", tmp_path, WTF_CSRF_ENABLED=True)
    app.config["WTF_CSRF_TIME_LIMIT"] = 600  # reused for 10 s at most
    client = app.test_client()
    now = time.time()
    first = token_in(client.get("/"))
    monkeypatch.setattr(time, "time", lambda: now + 5)
    assert token_in(client.get("/")) == first
    monkeypatch.setattr(time, "time", lambda: now + 15)
    again = token_in(client.get("/"))
    assert again != first
    assert client.post("/start", data={"csrf_token": again}).status_code == 302


def test_patient_pages_never_load_a_staff_user(client, app, monkeypatch):
    """current_user is loaded by the pages that show it, not by every template."""
    loads = []
    manager = app.login_manager
    load = manager._load_user
    monkeypatch.setattr(manager, "_load_user", lambda: loads.append(1) or load())
    url = started(client, pages=1)
    for page in ("/", url, "/privacy"):
        assert client.get(page).status_code == 200
    assert loads == []
    assert "Log in" in client.get("/staff/login").get_data(as_text=True)
    assert loads  # the staff page's header asks who is logged in
