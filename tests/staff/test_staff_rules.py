"""Staff edit the screening rules: draft, validation, warnings, tests, preview, publish."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import AuditEvent, RuleSetVersion, Submission, TestCase
from intake.screening import rules, ruleset_format
from intake.staff.rules import preview, rulesets
from tests import journeys


def form_of(page: str) -> dict[str, str]:
    """The values a browser would send from the editor page (selected options, checked boxes,
    text inputs, textareas), for posting it back with changes."""
    data: dict[str, str] = {}
    for name, body in re.findall(
        r'<select class="input" id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', page, re.S
    ):
        selected = re.search(r'<option value="([^"]*)" selected>', body)
        first = re.search(r'<option value="([^"]*)"', body)
        data[name] = (selected or first).group(1)
    for name, value in re.findall(
        r'<input class="input[^"]*" id="[^"]+" name="([^"]+)"\s+'
        r'type="[a-z]+" value="([^"]*)"',
        page,
    ):
        data[name] = value
    for name, value in re.findall(
        r'<textarea class="input textarea" id="[^"]+" name="([^"]+)"'
        r"[^>]*>(.*?)</textarea>",
        page,
        re.S,
    ):
        data[name] = value
    for name, value in re.findall(r'name="([^"]+)" type="checkbox" value="([^"]+)" checked', page):
        data[name] = value
    return {k: html.unescape(v) for k, v in data.items()}


def audit(app, action):
    with app.app_context():
        return [
            e.details
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


def test_rules_page_shows_conditions_in_words(staff_client):
    page = staff_client.get("/staff/rules/").text
    assert (
        "This is the first time you have had back pain is Yes and (How old are you? is at "
        "least 50 or How old are you? is under 20)" in page
    )
    assert page.count('badge--emergency">Safety') == 15  # E1–E8 and G1–G7
    assert "Version 1" in page and "APTA 2013" in page and "reviewed Mon 23 Nov 2026" in page


def test_rules_due_for_review_are_listed(tmp_path):
    from tests.conftest import create_staff, login, make_app

    app = make_app(f"sqlite:///{tmp_path / 'r.db'}", tmp_path, RULE_REVIEW_DAYS=-1)
    create_staff(app)
    client = app.test_client()
    login(client)
    page = client.get("/staff/rules/").text
    assert "Due for review" in page and "New bladder disturbance with back pain" in page


def edit(client, rule_id, **changes):
    page = client.get(f"/staff/rules/draft/rule/{rule_id}").text
    data = form_of(page)
    data.update(changes)
    return client.post(f"/staff/rules/draft/rule/{rule_id}", data=data)


def test_admin_changes_a_threshold_then_publish_is_refused_by_a_test_case(app, admin_client):
    admin_client.post("/staff/rules/draft")
    refused = edit(admin_client, "G4_age_new_onset", g1_r0_value="55", action="save")
    assert refused.status_code == 422
    assert "Confirm that you mean to change a safety rule" in refused.text
    saved = edit(
        admin_client, "G4_age_new_onset", g1_r0_value="55", action="save", confirm_safety="y"
    )
    assert saved.status_code == 302
    draft = admin_client.get("/staff/rules/draft").text
    assert "<strong>Changed</strong>" in draft and "<code>G4_age_new_onset</code>" in draft
    assert "When: How old are you? is at least 50 → is at least 55" in draft
    assert "Safety rules changed: G4_age_new_onset" in draft
    assert "First back pain at 50 (G4 boundary)" in draft  # the failing test case
    response = admin_client.post(
        "/staff/rules/draft/publish", data={"note": "G4 at 55", "confirm_safety": "y"}
    )
    # the draft page again, saying why at the top, the note kept, the case linked to its editor
    assert response.status_code == 422
    page = response.text
    assert "Not published: fix these first" in page
    assert "G4 at 55</textarea>" in page
    assert re.search(
        r'<a href="/staff/rules/tests/\d+">Test case ‘First back pain at 50 \(G4 boundary\)’ '
        r"gave suitable, expected see_doctor",
        page,
    ), page
    with app.app_context():
        assert db.session.scalar(select(func.count(RuleSetVersion.id))) == 1
    assert audit(app, "rules_edit") == [{"safety": True, "change": "edit"}]


def test_staff_cannot_change_safety_rules_but_can_change_others(app, staff_client):
    staff_client.post("/staff/rules/draft")
    refused = edit(staff_client, "E1_bladder", title="Bladder", action="save", confirm_safety="y")
    assert "Only an admin can change a safety rule" in refused.text
    ok = edit(staff_client, "diabetes", outcome="info", action="save")
    assert ok.status_code == 302
    response = staff_client.post("/staff/rules/draft/publish", data={"note": "Diabetes note"})
    assert response.status_code == 302
    with app.app_context():
        version = rulesets.current_version()
        assert version.number == 2 and version.note == "Diabetes note"
        diabetes = next(r for r in version.data["rules"] if r["id"] == "diabetes")
        assert diabetes["outcome"] == "info"
        assert rulesets.current_draft() is None
    assert audit(app, "rules_publish")[0]["note"] == "Diabetes note"


def test_rule_texts_lose_invisible_characters(app, staff_client):
    staff_client.post("/staff/rules/draft")
    texts = {
        "title": "Has\u202e diabetes\u200b",
        "patient_message": "We\u2066 check\u2069 your\ufeff sugar first.",
        "staff_note": "Ask\u200d about\u200e hypos",
        "source": "NICE\u2060 NG28",
    }
    assert edit(staff_client, "diabetes", action="save", **texts).status_code == 302
    with app.app_context():
        rule = next(r for r in rulesets.current_draft().data["rules"] if r["id"] == "diabetes")
    assert {name: rule[name] for name in texts} == {
        "title": "Has diabetes",
        "patient_message": "We check your sugar first.",
        "staff_note": "Ask about hypos",
        "source": "NICE NG28",
    }


def test_publishing_changes_new_screenings_and_submissions_keep_their_version(app, staff_client):
    diabetic = journeys.variant(
        journeys.BACK_PAIN_SUITABLE, needling_safety={"safety_checklist": ["diabetes"]}
    )
    patient = app.test_client()
    journeys.walk(patient, diabetic)
    patient.post("/check")
    staff_client.post("/staff/rules/draft")
    edit(staff_client, "diabetes", outcome="not_advised", action="save")
    published = staff_client.post("/staff/rules/draft/publish", data={"note": "Stricter"})
    assert published.status_code == 302
    second = app.test_client()
    journeys.walk(second, diabetic)
    second.post("/check")
    with app.app_context():
        first, later = db.session.scalars(select(Submission).order_by(Submission.id)).all()
        assert (first.outcome, first.ruleset_version.number) == ("review", 1)
        assert (later.outcome, later.ruleset_version.number) == ("not_advised", 2)


def test_publishing_needs_a_note(staff_client):
    staff_client.post("/staff/rules/draft")
    edit(staff_client, "diabetes", title="Has diabetes", action="save")
    response = staff_client.post("/staff/rules/draft/publish", data={"note": " "})
    assert "Write a short note" in response.text


def test_new_rule_with_problems_is_saved_but_not_published(app, staff_client):
    staff_client.post("/staff/rules/draft")
    page = staff_client.post(
        "/staff/rules/draft/rule/new",
        data={
            "id": "sex_check",
            "title": "",
            "outcome": "review",
            "patient_message": "",
            "g0_r0_fact": "sex",
            "g0_r0_op": "eq",
            "g0_r0_value": "robot",
            "action": "save",
            "enabled": "y",
        },
    )
    assert page.status_code == 302  # saved in the draft
    draft = staff_client.get("/staff/rules/draft").text
    assert "Fix these before publishing" in draft
    assert "Rule &#39;sex_check&#39; needs a title." in draft
    assert "Rule &#39;sex_check&#39; needs a patient message" in draft
    assert "compares &#39;What sex were you registered at birth?&#39; with &#39;robot&#39;" in draft
    refused = staff_client.post("/staff/rules/draft/publish", data={"note": "x"})
    assert refused.status_code == 422


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            {"g0_r0_fact": "blood_thiners", "g0_r0_op": "is_true"},
            "refers to question &#39;blood_thiners&#39;, which does not exist",
        ),
        (
            {"g0_r0_fact": "age", "g0_r0_op": "ge", "g0_r0_value": "fifty"},
            "compares the number &#39;How old are you?&#39; with the text &#39;fifty&#39;",
        ),
        (
            {"g0_r0_fact": "sex", "g0_r0_op": "ge", "g0_r0_value": "3"},
            "uses &#39;is at least&#39; on &#39;What sex were you registered at birth?&#39;",
        ),
    ],
)
def test_editor_shows_validation_problems(staff_client, rows, message):
    staff_client.post("/staff/rules/draft")
    data = {
        "id": "checked",
        "title": "Checked",
        "outcome": "review",
        "patient_message": "A message.",
        "enabled": "y",
        "action": "save",
        **rows,
    }
    staff_client.post("/staff/rules/draft/rule/new", data=data)
    page = staff_client.get("/staff/rules/draft/rule/checked").text
    assert message in page


def test_editor_refuses_a_wrong_date_then_a_taken_id(staff_client):
    staff_client.post("/staff/rules/draft")
    data = {
        "id": "diabetes",
        "title": "Diabetes again",
        "outcome": "review",
        "patient_message": "Hi.",
        "reviewed": "31/02/2026",
        "enabled": "y",
        "action": "save",
        "g0_r0_fact": "diabetes",
        "g0_r0_op": "is_true",
    }
    wrong_date = staff_client.post("/staff/rules/draft/rule/new", data=data)
    assert wrong_date.status_code == 422
    assert "<title>Error: Add a rule" in wrong_date.text
    assert '<a href="#reviewed">Enter a date like 4/12/2026</a>' in wrong_date.text
    assert 'id="reviewed" name="reviewed"\n    type="text" value="31/02/2026"' in wrong_date.text
    # typed as every staff date is, or as it is stored: both taken
    for typed in ("23/11/2026", "2026-11-23"):
        taken = staff_client.post("/staff/rules/draft/rule/new", data=dict(data, reviewed=typed))
        assert taken.status_code == 422
        taken_id = "A rule called &#39;diabetes&#39; already exists"
        assert f'<a href="#id">{taken_id}</a>' in taken.text
        assert "Enter a date" not in taken.text
    draft = staff_client.get("/staff/rules/draft").text
    assert "Diabetes again" not in draft


def test_editor_warns_about_rules_that_can_never_fire(staff_client):
    staff_client.post("/staff/rules/draft")
    staff_client.post(
        "/staff/rules/draft/rule/new",
        data={
            "id": "never",
            "title": "Never",
            "outcome": "review",
            "patient_message": "Hi.",
            "enabled": "y",
            "action": "save",
            "match": "all",
            "g0_match": "all",
            "g0_r0_fact": "age",
            "g0_r0_op": "ge",
            "g0_r0_value": "60",
            "g0_r1_fact": "age",
            "g0_r1_op": "lt",
            "g0_r1_value": "20",
        },
    )
    staff_client.post(
        "/staff/rules/draft/rule/new",
        data={
            "id": "apart",
            "title": "Apart",
            "outcome": "review",
            "patient_message": "Hi.",
            "enabled": "y",
            "action": "save",
            "match": "all",
            "g0_match": "all",
            "g0_r0_fact": "sex",
            "g0_r0_op": "eq",
            "g0_r0_value": "male",
            "g0_r1_fact": "pregnant",
            "g0_r1_op": "is_true",
        },
    )
    staff_client.post(
        "/staff/rules/draft/rule/new",
        data={
            "id": "again",
            "title": "Again",
            "outcome": "review",
            "patient_message": "Hi.",
            "enabled": "y",
            "action": "save",
            "g0_r0_fact": "diabetes",
            "g0_r0_op": "is_true",
        },
    )
    draft = staff_client.get("/staff/rules/draft").text
    assert (
        "Rule &#39;never&#39; can never fire: &#39;How old are you?&#39; cannot be under 20"
        in draft
    )
    assert (
        "Rule &#39;apart&#39;: it needs answers that are never asked of the same patient" in draft
    )
    assert "Rule &#39;again&#39; has the same condition as rule &#39;diabetes&#39;" in draft


def test_editor_adds_and_removes_rows_without_javascript(staff_client):
    staff_client.post("/staff/rules/draft")
    page = edit(staff_client, "diabetes", action="add_row:0").text
    assert 'name="g0_r1_fact"' in page
    data = form_of(page)
    data.update(
        {"g0_r1_fact": "age", "g0_r1_op": "ge", "g0_r1_value": "60", "action": "remove_row:0:0"}
    )
    page = staff_client.post("/staff/rules/draft/rule/diabetes", data=data).text
    assert 'name="g0_r1_fact"' not in page
    assert "How old are you? is at least 60" in page
    page = staff_client.post(
        "/staff/rules/draft/rule/diabetes", data=dict(form_of(page), action="add_group")
    ).text
    assert 'name="g1_r0_fact"' in page


def test_impact_preview_counts_before_and_after(app, staff_client):
    for profile in (
        journeys.BLOOD_THINNERS,
        journeys.BLOOD_THINNERS,
        journeys.BACK_PAIN_SUITABLE,
        journeys.SADDLE_NUMBNESS,
    ):
        client = app.test_client()
        journeys.walk(client, profile)
        client.post("/check")
    staff_client.post("/staff/rules/draft")
    edit(staff_client, "anticoagulant", outcome="not_advised", action="save")
    page = staff_client.get("/staff/rules/draft?preview=1000").text
    assert "4 submissions re-screened" in page
    rows = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td><td>([^<]+)'
        r"</td></tr>",
        page,
    )
    table = {label: (int(a), int(b), delta) for label, a, b, delta in rows}
    assert table["Clinician review needed"] == (2, 0, "-2")
    assert table["Dry needling not advised"] == (0, 2, "+2")
    assert table["Urgent: emergency advice given"] == (1, 1, "+0")
    assert page.count("Dry needling not advised</td>") == 2  # the two changed submissions


def test_preview_of_many_submissions_is_fast_enough(app):
    with app.app_context():
        version = rulesets.current_version()
        base = {
            "pain_regions": ["neck"],
            "nprs_now": 5,
            "age": 40,
            "medication_classes": ["anticoagulant"],
        }
        db.session.add_all(
            Submission(
                token=f"t{i}",
                reference=f"DN-T{i:05d}",
                answers=dict(base, age=20 + i % 60),
                scores={},
                fired=[],
                outcome="review",
                questionnaire_version="x",
                ruleset_version_id=version.id,
            )
            for i in range(3000)
        )
        db.session.commit()
        data = rules.default_data()
        for rule in data["rules"]:
            if rule["id"] == "anticoagulant":
                rule["outcome"] = "not_advised"
        result = preview.preview(data, None)
        assert result.screened == 3000
        assert result.before["review"] == 3000 and result.after["not_advised"] == 3000
        assert len(result.changed) == 200  # listed up to 200


def test_history_diff_and_restore(app, admin_client):
    admin_client.post("/staff/rules/draft")
    edit(admin_client, "diabetes", outcome="info", action="save")
    admin_client.post("/staff/rules/draft/publish", data={"note": "Diabetes as a note"})
    diff = admin_client.get("/staff/rules/diff?a=1&b=2").text
    assert "Outcome: review (Clinician review needed) → info (note for staff only)" in diff, diff
    history = admin_client.get("/staff/rules/history").text
    assert "Diabetes as a note" in history and "Restore version 1 as a new version" in history
    response = admin_client.post("/staff/rules/versions/1/restore")
    assert response.status_code == 302
    with app.app_context():
        current = rulesets.current_version()
        assert current.number == 3 and current.note == "Restored version 1"
        assert (
            current.data
            == db.session.scalars(select(RuleSetVersion).where(RuleSetVersion.number == 1))
            .one()
            .data
        )
    assert audit(app, "rules_restore") == [{"restored_from": 1, "safety_rules": []}]
    assert admin_client.get("/staff/rules/diff?a=1&b=99").status_code == 404


def test_test_case_from_a_submission(app, staff_client):
    """Anonymous: the structured answers, without the reference or the written answers."""
    client = app.test_client()
    runner_on_warfarin = journeys.variant(
        journeys.SPORTS_INJURY, medication={"medication_classes": ["anticoagulant"]}
    )
    journeys.walk(client, runner_on_warfarin)
    client.post("/check")
    client.post("/booking", data=journeys.BOOKING)
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        submission_id, reference = submission.id, submission.reference
        assert submission.answers["sport_return_goal"] == "Half marathon in spring"
    assert "Save as a test case" in staff_client.get("/staff/requests/1").text
    saved = staff_client.post(f"/staff/rules/tests/from-submission/{submission_id}")
    assert saved.status_code == 302
    with app.app_context():
        case = db.session.scalars(select(TestCase).where(TestCase.author != "system")).one()
        assert case.name == "From a request: review #1"
        assert case.expected_outcome == "review" and case.expected_rules == ["anticoagulant"]
        assert case.source_submission_id is None
        assert "sport_name" not in case.answers and "sport_return_goal" not in case.answers
        assert case.answers["sport_injury_kind"] == "muscle"
        row = repr([case.name, case.answers, case.expected_rules, case.author])
        assert reference not in row and "Running" not in row and "Half marathon" not in row
    page = staff_client.get("/staff/rules/tests").text
    assert "From a request: review #1" in page and page.count("<td>Pass</td>") == 23
    assert reference not in page
    assert audit(app, "test_case_add") == [{"mode": "request"}]


def test_discard_draft(staff_client):
    staff_client.post("/staff/rules/draft")
    assert staff_client.post("/staff/rules/draft/discard").status_code == 302
    assert staff_client.get("/staff/rules/draft").status_code == 404


def test_cli_export_import_and_test(app, runner, tmp_path):
    path = tmp_path / "rules.yaml"
    assert runner.invoke(args=["rules", "export", str(path)]).exit_code == 0
    assert "G4_age_new_onset" in path.read_text()
    result = runner.invoke(args=["rules", "test"])
    assert result.exit_code == 0 and "22 passed, 0 failed." in result.output
    path.write_text(path.read_text().replace("value: 50", "value: 55"))
    refused = runner.invoke(args=["rules", "import", str(path), "--publish", "--note", "55"])
    assert refused.exit_code != 0
    assert "First back pain at 50 (G4 boundary)' gave suitable" in refused.output
    assert runner.invoke(args=["rules", "import", str(path)]).exit_code == 0
    failing = runner.invoke(args=["rules", "test", "--draft"])
    assert failing.exit_code == 1 and "FAIL First back pain at 50" in failing.output
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "rules: [{id: x, outcome: sometimes}]\nindication: {condition: {fact: nope, op: is_true}}\n"
    )
    result = runner.invoke(args=["rules", "check", str(broken)])
    assert result.exit_code == 1 and "refers to question 'nope'" in result.output
    path.write_text(path.read_text().replace("value: 55", "value: 50"))
    same = runner.invoke(args=["rules", "import", str(path), "--publish", "--note", "same"])
    assert same.exit_code == 0
    assert "No changes: version 1 is already this rule set." in same.output
    path.write_text(path.read_text().replace("Diabetes", "Diabetes (type 1 or 2)", 1))
    ok = runner.invoke(args=["rules", "import", str(path), "--publish", "--note", "wording"])
    assert ok.exit_code == 0 and "Published version 2." in ok.output


def exported(runner, tmp_path) -> tuple:
    """The rule set in force, written by `rules export` and read back: (path, data)."""
    path = tmp_path / "rules.yaml"
    assert runner.invoke(args=["rules", "export", str(path)]).exit_code == 0
    return path, ruleset_format.load_yaml(path.read_text())


def versions(app) -> list[int]:
    with app.app_context():
        return [v.number for v in reversed(rulesets.versions())]


def test_cli_publish_needs_a_note(app, runner, tmp_path):
    path, _ = exported(runner, tmp_path)
    path.write_text(path.read_text().replace("Diabetes", "Diabetes (type 1 or 2)", 1))
    for note in ([], ["--note", " "]):
        result = runner.invoke(args=["rules", "import", str(path), "--publish", *note])
        assert result.exit_code == 2, result.output
        assert "--note is required with --publish: say what changed and why." in result.output
    assert versions(app) == [1]


def test_cli_does_not_publish_an_identical_rule_set_again(app, runner, tmp_path):
    path, _ = exported(runner, tmp_path)
    for _ in range(2):
        result = runner.invoke(args=["rules", "import", str(path), "--publish", "--note", "again"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "No changes: version 1 is already this rule set."
    assert versions(app) == [1] and audit(app, "rules_publish") == []


def test_cli_changing_a_safety_rule_needs_confirm_safety_and_lists_the_changes(
    app, runner, tmp_path
):
    path, data = exported(runner, tmp_path)
    e1 = next(rule for rule in data["rules"] if rule["id"] == "E1_bladder")
    e1["title"] = "Bladder trouble"
    e1["staff_note"] = "Same day"
    data["rules"].remove(next(rule for rule in data["rules"] if rule["id"] == "E8_fever_unwell"))
    path.write_text(ruleset_format.dump_yaml(data))
    args = ["rules", "import", str(path), "--publish", "--note", "E1 wording, no E8"]
    refused = runner.invoke(args=args)
    assert refused.exit_code == 1
    lines = refused.output.splitlines()
    # every change in the rules list's words (not field names), safety rules marked
    assert lines[:4] == [
        "Changes from the version in force:",
        "  E8_fever_unwell removed [safety rule]: when Fever, chills or feeling very unwell is "
        "Yes, gives emergency (Urgent: emergency advice given)",
        "  E1_bladder changed [safety rule]: Title: “New bladder disturbance with back pain” → "
        "“Bladder trouble”",
        "  E1_bladder changed [safety rule]: Note for staff: “Possible cauda equina syndrome "
        "(retention, incontinence, altered urine flow sensation).” → “Same day”",
    ]
    assert "safety rules (E8_fever_unwell, E1_bladder)" in refused.output
    assert "run again with --confirm-safety" in refused.output
    assert versions(app) == [1]
    draft = runner.invoke(args=["rules", "import", str(path)])
    assert draft.exit_code == 0 and "Title: “New bladder disturbance" in draft.output
    assert "(E8_fever_unwell, E1_bladder): an admin confirms them when publishing" in draft.output
    confirmed = runner.invoke(args=[*args, "--confirm-safety"])
    assert confirmed.exit_code == 0, confirmed.output
    assert "  E1_bladder changed [safety rule]: Title:" in confirmed.output
    assert "Published version 2." in confirmed.output
    assert versions(app) == [1, 2]
    [event] = audit(app, "rules_publish")
    assert event["safety_rules"] == ["E8_fever_unwell", "E1_bladder"]


def test_test_case_by_filling_the_questionnaire_in_test_mode(app, staff_client):
    response = staff_client.post("/staff/rules/tests/fill")
    assert response.headers["Location"].endswith("/questions/about_you")
    for step, data in journeys.BLOOD_THINNERS.items():
        staff_client.post(f"/questions/{step}", data=data)
    response = staff_client.post("/check")
    assert response.headers["Location"].endswith("/staff/rules/tests/new")
    page = staff_client.get("/staff/rules/tests/new").text
    assert "The published rules give <strong>Clinician review needed</strong>" in page
    missing = staff_client.post("/staff/rules/tests/new", data={"expected_outcome": "review"})
    assert missing.status_code == 422 and "Enter a name for the test case" in missing.text
    response = staff_client.post(
        "/staff/rules/tests/new",
        data={
            "name": "Warfarin\u200b patient\u202e",  # invisible characters are dropped
            "expected_outcome": "review",
            "expected_rules": ["anticoagulant"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        case = db.session.scalars(select(TestCase).where(TestCase.name == "Warfarin patient")).one()
        assert case.answers["medication_classes"] == ["anticoagulant"]
        assert case.expected_rules == ["anticoagulant"]
        assert db.session.scalar(select(func.count(Submission.id))) == 0  # no submission
    assert "Warfarin patient" in staff_client.get("/staff/rules/tests").text


@pytest.mark.parametrize(
    ("asked", "limit"),
    [("all", 200_000), ("100000", 100_000), ("5000000", 200_000), ("0", 1000), ("x", 1000)],
)
def test_a_preview_never_reaches_past_its_cap(app, asked, limit):
    """ "All" and any larger number re-screen at most PREVIEW_MAX, so a clinic chain's preview
    stays inside gunicorn's timeout (the draft page runs it in the request)."""
    from intake.staff.rules.forms import PREVIEW_MAX, PreviewForm

    assert PREVIEW_MAX == 200_000
    with app.test_request_context(f"/staff/rules/draft?preview={asked}"):
        from flask import request

        assert PreviewForm(request.args).limit == limit


def test_the_all_choice_says_where_it_stops(app, staff_client):
    staff_client.post("/staff/rules/draft")
    page = staff_client.get("/staff/rules/draft").text
    assert '<option value="all">all submissions (up to the last 200,000)</option>' in page
