"""The rules desk (issue 13): changes in words, editing and deleting test cases, publish problems
by the button, stale numbers in a rule's words, and the rules list's search and filters."""

from __future__ import annotations

import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEvent, TestCase
from intake.screening import rule_analysis, rules
from tests import journeys
from tests.staff.test_staff_rules import edit

G4 = "G4_age_new_onset"
G4_CASE = "First back pain at 50 (G4 boundary)"
G4_WORDS = "When: How old are you? is at least 50 → is at least 55"


def case_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalars(select(TestCase.id).where(TestCase.name == name)).one()


def section(page: str, start: str, end: str) -> str:
    return page.split(start, 1)[1].split(end, 1)[0]


def raise_g4_to_55(admin_client, **more):
    admin_client.post("/staff/rules/draft")
    response = edit(admin_client, G4, g1_r0_value="55", action="save", confirm_safety="y", **more)
    assert response.status_code == 302


# --- changes in words, no phantom changes ----------------------------------------------------


def test_draft_describes_a_threshold_change_in_the_words_of_the_rules_list(admin_client):
    raise_g4_to_55(admin_client)
    draft = admin_client.get("/staff/rules/draft").text
    changes = section(draft, "Changes from the published rules", "<h2>Test cases")
    assert G4_WORDS in changes
    # only the threshold: no phantom field, no raw structure
    assert changes.count("<li>When:") == 1
    assert "Enabled" not in changes and "None" not in changes and "{&#39;" not in changes
    assert "Note for staff" not in changes and "Source" not in changes


def test_saving_a_rule_unchanged_is_no_change(admin_client):
    admin_client.post("/staff/rules/draft")
    assert edit(admin_client, "diabetes", action="save").status_code == 302  # admin: safety box
    assert edit(admin_client, "needle_phobia", action="save").status_code == 302
    draft = admin_client.get("/staff/rules/draft").text
    assert "No changes." in section(draft, "Changes from the published rules", "<h2>Test cases")
    assert "Safety rules changed" not in draft


def test_history_lists_each_version_s_changes_in_words(app, admin_client):
    raise_g4_to_55(admin_client, title="First back pain at 55 or over, or under 20")
    fixed = admin_client.post(
        f"/staff/rules/tests/{case_id(app, G4_CASE)}",
        data={"name": G4_CASE, "expected_outcome": "suitable"},
    )
    assert fixed.status_code == 302
    published = admin_client.post(
        "/staff/rules/draft/publish", data={"note": "G4 at 55", "confirm_safety": "y"}
    )
    assert published.status_code == 302
    history = admin_client.get("/staff/rules/history").text
    version_2 = section(history, 'id="version-2"', 'id="version-1"')
    assert G4_WORDS in version_2
    assert (
        "Title: “First back pain at 50 or over, or under 20” → "
        "“First back pain at 55 or over, or under 20”"
    ) in version_2
    assert "Enabled" not in version_2 and "{&#39;" not in version_2
    assert "The first version." in section(history, 'id="version-1"', "</section>")
    diff = admin_client.get("/staff/rules/diff?a=1&b=2").text
    assert G4_WORDS in diff


def test_diff_words_of_added_and_removed_condition_parts():
    from intake.screening import change_words

    before = {
        "rules": [
            {
                "id": "r",
                "title": "R",
                "outcome": "review",
                "condition": {"all": [{"fact": "age", "op": "ge", "value": 50}]},
            }
        ]
    }
    after = {
        "rules": [
            {
                "id": "r",
                "title": "R",
                "outcome": "review",
                "enabled": True,
                "condition": {
                    "all": [
                        {"fact": "age", "op": "ge", "value": 50},
                        {"fact": "diabetes", "op": "is_true"},
                    ]
                },
            }
        ]
    }
    described = change_words.words(before, after, rules.dictionary())
    assert [c.text for c in described.rules[0].changes] == ["When: added You have diabetes is Yes"]
    back = change_words.words(after, before, rules.dictionary())
    assert [c.text for c in back.rules[0].changes] == ["When: removed You have diabetes is Yes"]


# --- editing and deleting test cases ---------------------------------------------------------


def audit(app, action):
    with app.app_context():
        return [
            e.details
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        ]


def test_edit_a_test_case_with_the_same_checks_as_a_new_one(app, staff_client):
    number = case_id(app, G4_CASE)
    url = f"/staff/rules/tests/{number}"
    page = staff_client.get(url).text
    assert f'value="{G4_CASE}"' in page and "The published rules give see_doctor" in page
    missing = staff_client.post(url, data={"name": "", "expected_outcome": "see_doctor"})
    assert missing.status_code == 422 and "Enter a name for the test case" in missing.text
    taken = staff_client.post(
        url, data={"name": "Fear of needles, not advised", "expected_outcome": "see_doctor"}
    )
    assert taken.status_code == 422 and "already exists" in taken.text
    outcome = staff_client.post(url, data={"name": G4_CASE, "expected_outcome": "maybe"})
    assert outcome.status_code == 422 and "Select the outcome the rules should give" in outcome.text
    unknown = staff_client.post(
        url, data={"name": G4_CASE, "expected_outcome": "review", "expected_rules": ["nope"]}
    )
    assert unknown.status_code == 422 and "Select from the options given" in unknown.text
    saved = staff_client.post(
        url,
        data={
            "name": "G4 at fifty",
            "expected_outcome": "review",
            "expected_rules": [G4, "diabetes"],
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        case = db.session.get(TestCase, number)
        assert (case.name, case.expected_outcome) == ("G4 at fifty", "review")
        assert case.expected_rules == [G4, "diabetes"] and case.answers["age"] == 50
    assert audit(app, "test_case_edit") == [
        {"changed": ["name", "expected_outcome", "expected_rules"]}
    ]
    listing = staff_client.get("/staff/rules/tests").text
    assert "G4 at fifty" in listing and "gave see_doctor, expected review" in listing


def test_change_a_test_case_s_answers_through_the_questionnaire(app, staff_client):
    staff_client.post("/staff/rules/tests/fill")
    for step, data in journeys.BLOOD_THINNERS.items():
        staff_client.post(f"/questions/{step}", data=data)
    staff_client.post("/check")
    staff_client.post(
        "/staff/rules/tests/new", data={"name": "Warfarin", "expected_outcome": "review"}
    )
    number = case_id(app, "Warfarin")
    url = f"/staff/rules/tests/{number}"
    response = staff_client.post(f"{url}/answers")
    assert response.headers["Location"].endswith("/check")
    about = dict(journeys.BLOOD_THINNERS["about_you"], age=["61"])
    staff_client.post("/questions/about_you", data=about)
    response = staff_client.post("/check")
    assert response.headers["Location"].endswith("/staff/rules/tests/new")
    assert staff_client.get("/staff/rules/tests/new").headers["Location"].endswith(url)
    page = staff_client.get(url).text
    assert "They replace the test case’s answers when you save it" in page
    with app.app_context():
        assert db.session.get(TestCase, number).answers["age"] == 45  # not saved yet
    staff_client.post(url, data={"name": "Warfarin", "expected_outcome": "review"})
    with app.app_context():
        assert db.session.get(TestCase, number).answers["age"] == 61
    assert audit(app, "test_case_edit") == [{"changed": ["answers"]}]
    assert "They replace" not in staff_client.get(url).text


def test_deleting_a_test_case_asks_first(app, staff_client):
    number = case_id(app, G4_CASE)
    listing = staff_client.get("/staff/rules/tests").text
    assert f'href="/staff/rules/tests/{number}/confirm-delete"' in listing
    assert f'action="/staff/rules/tests/{number}/delete"' not in listing  # no one-click delete
    confirm = staff_client.get(f"/staff/rules/tests/{number}/confirm-delete").text
    assert f"Delete the test case “{G4_CASE}”?" in confirm
    form = confirm.split(f'action="/staff/rules/tests/{number}/delete"', 1)[1].split("</form>")[0]
    assert 'name="csrf_token"' in form and "Yes, delete it" in form
    assert case_id(app, G4_CASE) == number  # asking deletes nothing
    assert staff_client.post(f"/staff/rules/tests/{number}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(TestCase, number) is None
    assert staff_client.get(f"/staff/rules/tests/{number}/confirm-delete").status_code == 404


# --- publish problems by the button ----------------------------------------------------------


def test_publish_problems_are_listed_by_the_button_with_links(app, admin_client):
    raise_g4_to_55(admin_client)
    edit(admin_client, "diabetes", g0_r0_fact="blood_thiners", action="save")
    draft = admin_client.get("/staff/rules/draft").text
    by_button = section(draft, '<h2 id="publish">Publish</h2>', "</form>")
    assert "Fix these before publishing" in by_button
    assert "Publish as version" in by_button  # the list is right above the button
    assert 'href="/staff/rules/draft/rule/diabetes"' in by_button
    assert "blood_thiners" in by_button
    assert "must be fixed before publishing" in draft.split('<h2 id="publish">')[0]


def test_failing_test_cases_link_to_the_test_case_by_the_button(app, admin_client):
    raise_g4_to_55(admin_client)
    draft = admin_client.get("/staff/rules/draft").text
    by_button = section(draft, '<h2 id="publish">Publish</h2>', "</form>")
    number = case_id(app, G4_CASE)
    assert f'<a href="/staff/rules/tests/{number}">Test case ‘{G4_CASE}’ gave suitable' in by_button


# --- numbers the condition no longer uses ----------------------------------------------------


def test_a_title_mentioning_the_old_threshold_is_warned_about(admin_client):
    raise_g4_to_55(admin_client)
    warning = (
        "Rule &#39;G4_age_new_onset&#39;: its title mentions 50, which its condition does not "
        "use (it uses 20 and 55)"
    )
    assert warning in admin_client.get("/staff/rules/draft").text
    assert warning in admin_client.get(f"/staff/rules/draft/rule/{G4}").text
    edit(
        admin_client,
        G4,
        title="First back pain at 55 or over, or under 20",
        action="save",
        confirm_safety="y",
    )
    assert "its title mentions" not in admin_client.get("/staff/rules/draft").text


def test_no_number_warnings_on_the_shipped_rules():
    found = [
        w
        for w in rule_analysis.warnings(rules.default_data(), rules.dictionary())
        if "mentions" in w.message
    ]
    assert found == []
    rule = {
        "id": "x",
        "title": "Over 60",
        "patient_message": "At 60 or more; call {emergency_number}",
        "condition": {"fact": "age", "op": "ge", "value": 65},
    }
    assert [w.message.split(":")[1].split(",")[0] for w in rule_analysis.stale_numbers(rule)] == [
        " its title mentions 60",
        " its message to the patient mentions 60",
    ]


# --- rules list search and filters -----------------------------------------------------------


def shown(page: str) -> list[str]:
    return re.findall(r'<tr id="rule-([^"]+)">', page)


def test_rules_list_search_and_filters(app, staff_client):
    everything = staff_client.get("/staff/rules/").text
    total = len(shown(everything))
    assert f"All {total} rules." in everything and 'role="search"' in everything
    by_id = staff_client.get("/staff/rules/?q=g4_AGE").text
    assert shown(by_id) == [G4] and f"Showing 1 of {total} rules." in by_id
    by_words = shown(staff_client.get("/staff/rules/", query_string={"q": "least 50"}).text)
    assert G4 in by_words  # the condition in words
    by_message = shown(staff_client.get("/staff/rules/?q=at+this+STAGE").text)
    assert by_message == ["pregnancy_first_trimester"]  # the patient message
    emergency = shown(staff_client.get("/staff/rules/?outcome=emergency").text)
    expected = [r["id"] for r in rules.default_data()["rules"] if r["outcome"] == "emergency"]
    assert emergency == expected and len(emergency) >= 8
    safety = shown(staff_client.get("/staff/rules/?safety=yes").text)
    assert len(safety) == 15 and "diabetes" not in safety
    others = shown(staff_client.get("/staff/rules/?safety=no").text)
    assert len(others) == total - 15 and "diabetes" in others
    both = shown(staff_client.get("/staff/rules/?safety=yes&q=back+pain&outcome=see_doctor").text)
    assert G4 in both and all(r not in both for r in expected)
    none = staff_client.get("/staff/rules/?q=zzzz").text
    assert "Showing 0 of" in none and "No rules match." in none
    assert staff_client.get("/staff/rules/?outcome=bogus").status_code == 200


def test_rules_list_due_for_review_filter(app, staff_client):
    assert shown(staff_client.get("/staff/rules/?due=y").text) == []  # all reviewed recently
    app.config["RULE_REVIEW_DAYS"] = -1
    due = shown(staff_client.get("/staff/rules/?due=y&safety=yes").text)
    assert len(due) == 15
