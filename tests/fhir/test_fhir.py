"""The FHIR R4 export: every resource validated offline with fhir.resources' R4B models, and
checked against its Questionnaire (answer types, choices, bounds, required items), references
resolved inside each Bundle, the NPRS LOINC code, the staff download (login, audit, content
type, 404) and `flask export fhir` (dates, chunks, clean errors)."""

from __future__ import annotations

import datetime as dt
import json
import operator

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select, update

from intake.extensions import db
from intake.fhir import naming, observations, questionnaires, records, responses
from intake.followup.models import FollowUp
from intake.models import AuditEvent, BookingRequest, Submission, utcnow
from intake.screening import branching, facts
from intake.screening import questionnaire as intake
from tests import journeys

NOW = utcnow().replace(microsecond=0)
#: every patient profile of tests/journeys.py, found by shape so new ones are covered too
PROFILES = {
    name: value
    for name, value in vars(journeys).items()
    if name.isupper() and isinstance(value, dict) and "about_you" in value
}
#: someone answering for another person, with a past needling reaction (the consent page and
#: a free-text follow-up question), so the text and show-if paths are exported too
PROFILES["CARER"] = journeys.variant(
    journeys.BACK_PAIN_SUITABLE,
    about_you={"respondent": ["someone_else"]},
    consent={"unable_to_consent": ["no"]},
    needling_safety={
        "previous_needling": ["yes_reaction"],
        "previous_needling_reaction": ["Felt faint for a minute"],
    },
    goals={"goals": ["less_pain"], "goal_notes": ["Evenings are hard"]},
)
PSFS = [{"activity": "Running", "score": 3}, {"activity": "Climbing stairs", "score": 6}]
FIRST = {
    "nprs_now": 3,
    "peg_pain_avg_week": 4,
    "peg_enjoyment_interference": 2,
    "peg_activity_interference": 3,
    "psfs": [6, 8],
    "pgic": 2,
    "pain_medicine_days": 1,
    "pain_medicine_kinds": ["nsaid"],
    "sport_return": "partly",
    "sport_return_date": None,
    "after_effects": ["none"],
    "after_effects_other": None,
}
SECOND = dict(
    FIRST,
    nprs_now=1,
    psfs=[9, None],
    pgic=1,
    pain_medicine_days=0,
    pain_medicine_kinds=[],
    sport_return="fully",
    sport_return_date="2026-05-02",
    after_effects=["soreness", "other"],
    after_effects_other="Tired the next day",
)
VALUE_OF_TYPE = {
    "boolean": "valueBoolean",
    "choice": "valueCoding",
    "integer": "valueInteger",
    "string": "valueString",
    "text": "valueString",
    "date": "valueDate",
}


def book(app, profile=journeys.BLOOD_THINNERS, **booking) -> int | None:
    """A booking request made through the patient journey (None when the outcome offers no
    booking); copied from tests/staff/test_staff.py."""
    client = app.test_client()
    journeys.walk(client, profile)
    client.post("/check")
    if client.post("/booking", data=dict(journeys.BOOKING, **booking)).status_code != 302:
        return None
    with app.app_context():
        return db.session.scalars(
            select(BookingRequest.id).order_by(BookingRequest.id.desc())
        ).first()


def add_followup(app, request_id: int, number: int, answers, status="answered", at=NOW) -> None:
    with app.app_context():
        db.session.add(
            FollowUp(
                booking_request_id=request_id,
                number=number,
                weeks=(2, 6, 12)[number - 1],
                due_at=at - dt.timedelta(days=1),
                expires_at=at + dt.timedelta(days=20),
                status=status,
                sent_at=at - dt.timedelta(days=1),
                answered_at=at if status == "answered" else None,
                answers=answers,
                flags=[],
            )
        )
        db.session.commit()


def set_booking(app, request_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(
            update(BookingRequest).where(BookingRequest.id == request_id).values(**values)
        )
        db.session.commit()


# Checking resources ------------------------------------------------------------------------------


def validate(resource: dict) -> None:
    """The R4B model of its type accepts it (fhir.resources, offline)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def references(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for value in node.values() for r in references(value)]
    if isinstance(node, list):
        return [r for value in node for r in references(value)]
    return []


def answers_by_link(items: list) -> dict[str, list]:
    """Every answer of a response, by linkId (repeating groups add up)."""
    found: dict[str, list] = {}
    for item in items:
        found.setdefault(item["linkId"], []).extend(item.get("answer", []))
        for link, answers in answers_by_link(item.get("item", [])).items():
            found.setdefault(link, []).extend(answers)
    return found


_COMPARE = {"=": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt,
            ">=": operator.ge, "<=": operator.le}  # fmt: skip


def holds(item: dict, answers: dict[str, list]) -> bool:
    """Whether an item's enableWhen holds for these answers (FHIR R4 semantics)."""
    results = []
    for cond in item["enableWhen"]:
        given = answers.get(cond["question"], [])
        if cond["operator"] == "exists":
            results.append(bool(given) == cond["answerBoolean"])
            continue
        key = next(k for k in cond if k.startswith("answer"))
        wanted, value_key = cond[key], "value" + key.removeprefix("answer")
        if key == "answerCoding":
            results.append(any(
                (a[value_key]["system"], a[value_key]["code"]) == (wanted["system"], wanted["code"])
                for a in given if value_key in a
            ))  # fmt: skip
        else:
            compare = _COMPARE[cond["operator"]]
            results.append(any(compare(a[value_key], wanted) for a in given if value_key in a))
    return any(results) if item.get("enableBehavior") == "any" else all(results)


def conforms(response_items: list, question_items: list, answers: dict[str, list]) -> None:
    """Response items follow their Questionnaire items: same place, right value types, only
    offered choices, numbers in bounds, repeats only where allowed, required ones answered."""
    by_link = {item["linkId"]: item for item in question_items}
    seen: dict[str, int] = {}
    for item in response_items:
        asked = by_link[item["linkId"]]  # a KeyError: an item the Questionnaire lacks there
        seen[item["linkId"]] = seen.get(item["linkId"], 0) + 1
        if asked["type"] == "group":
            assert "answer" not in item
            conforms(item["item"], asked["item"], answers)
            continue
        assert item["answer"], item
        assert len(item["answer"]) == 1 or asked.get("repeats"), item
        for answer in item["answer"]:
            values = [key for key in answer if key.startswith("value")]
            assert values == [VALUE_OF_TYPE[asked["type"]]], (item, asked["type"])
            value = answer[values[0]]
            if asked["type"] == "integer":
                assert type(value) is int
                bounds = {e["url"]: e["valueInteger"] for e in asked.get("extension", [])}
                assert (
                    bounds.get(naming.MIN_VALUE, value)
                    <= value
                    <= bounds.get(naming.MAX_VALUE, value)
                )
            elif asked["type"] == "boolean":
                assert type(value) is bool
            elif asked["type"] == "choice":
                assert value in [option["valueCoding"] for option in asked["answerOption"]]
            elif asked["type"] == "date":
                assert dt.date.fromisoformat(value).isoformat() == value
            else:
                assert isinstance(value, str) and len(value) <= asked.get("maxLength", 10**6)
    for link, count in seen.items():
        assert count == 1 or by_link[link].get("repeats"), link
    for asked in question_items:  # required and enabled: answered
        if asked.get("required") and ("enableWhen" not in asked or holds(asked, answers)):
            assert asked["linkId"] in seen, f"required {asked['linkId']} missing"


def check_bundle(bundle: dict) -> dict[str, list[dict]]:
    """Validate a Bundle and every resource in it; references resolve inside it; each
    QuestionnaireResponse conforms to its Questionnaire. Returns resources by type."""
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    entries = bundle["entry"]
    full_urls = [entry["fullUrl"] for entry in entries]
    assert len(set(full_urls)) == len(full_urls)
    by_type: dict[str, list[dict]] = {}
    for entry in entries:
        resource = entry["resource"]
        validate(resource)
        assert entry["fullUrl"].endswith(f"/fhir/{resource['resourceType']}/{resource['id']}")
        by_type.setdefault(resource["resourceType"], []).append(resource)
    base = full_urls[0].rsplit("/", 2)[0]
    for entry in entries:
        for target in references(entry["resource"]):
            assert f"{base}/{target}" in full_urls, f"{target} does not resolve"
    canonical = {f"{q['url']}|{q['version']}": q for q in by_type["Questionnaire"]}
    for response in by_type.get("QuestionnaireResponse", []):
        check_response(response, canonical[response["questionnaire"]])
    for found in by_type.get("Observation", []):
        check_observation(found)
    return by_type


def check_response(response: dict, questionnaire: dict) -> None:
    validate(response)
    assert response["status"] == "completed"
    assert response["authored"].endswith("Z")
    conforms(response["item"], questionnaire["item"], answers_by_link(response["item"]))


def check_observation(found: dict) -> None:
    validate(found)
    assert found["status"] == "final"
    assert found["category"][0]["coding"][0]["code"] == "survey"
    assert found["subject"]["reference"].startswith("Patient/")
    assert found["derivedFrom"][0]["reference"].startswith("QuestionnaireResponse/")
    assert found["effectiveDateTime"].endswith("Z")
    codes = {(c["system"], c["code"]) for c in found["code"]["coding"]}
    app_codes = [code for system, code in codes if system.endswith("/CodeSystem/intake-measures")]
    assert len(app_codes) == 1
    assert ((naming.LOINC, naming.NPRS_LOINC) in codes) == app_codes[0].startswith("nprs-")
    if app_codes[0] in ("nprs-now", "nprs-average-week", "pgic", "pain-medicine-days"):
        assert type(found["valueInteger"]) is int
    if app_codes[0] in ("peg", "psfs-mean"):
        quantity = found["valueQuantity"]
        assert type(quantity["value"]) in (int, float) and quantity["code"] == "{score}"


def unsaved(answers: dict) -> Submission:
    """A submission that was never stored, for the pure builders."""
    return Submission(
        id=1,
        reference="DN-TEST00",
        answers=answers,
        scores={},
        created_at=NOW,
        questionnaire_version=intake.VERSION,
    )


def by_code(found: list[dict]) -> dict[str, dict]:
    return {
        next(c["code"] for c in o["code"]["coding"] if c["system"] != naming.LOINC): o
        for o in found
    }


def download(client, request_id: int):
    response = client.get(f"/staff/requests/{request_id}/fhir")
    assert response.status_code == 200, response.status_code
    return response, json.loads(response.data)


# The staff download ------------------------------------------------------------------------------


def test_an_intake_alone_downloads_as_a_valid_bundle(app, staff_client):
    request_id = book(app, journeys.BACK_PAIN_SUITABLE)
    response, bundle = download(staff_client, request_id)
    assert response.mimetype == "application/fhir+json"
    with app.app_context():
        reference = db.session.get(BookingRequest, request_id).submission.reference
    assert response.headers["Content-Disposition"] == f"attachment; filename={reference}.fhir.json"
    found = check_bundle(bundle)
    assert {kind: len(items) for kind, items in found.items() if kind != "Observation"} == {
        "Questionnaire": 2,
        "Patient": 1,
        "QuestionnaireResponse": 1,
    }
    person = found["Patient"][0]
    assert person["id"] == f"request-{request_id}"
    assert person["identifier"][0]["value"] == reference
    assert person["name"] == [{"text": journeys.BOOKING["name"]}]
    assert {t["system"]: t["value"] for t in person["telecom"]} == {
        "email": "ada@example.com",
        "phone": "+447911123456",
    }
    intake_qr = found["QuestionnaireResponse"][0]
    assert intake_qr["questionnaire"].endswith(f"/fhir/Questionnaire/intake|{intake.VERSION}")
    scores = by_code(found["Observation"])
    assert set(scores) == {
        "nprs-now", "nprs-average-week", "peg", "pain-medicine-typical-week", "startback-total",
    }  # fmt: skip
    assert scores["nprs-now"]["valueInteger"] == 6
    assert scores["nprs-average-week"]["valueInteger"] == 5
    for code in ("nprs-now", "nprs-average-week"):
        assert {"system": "http://loinc.org", "code": "72514-3"}.items() <= scores[code]["code"][
            "coding"
        ][0].items()
    assert scores["peg"]["valueQuantity"]["value"] == pytest.approx(4.67)
    assert (
        scores["pain-medicine-typical-week"]["valueCodeableConcept"]["coding"][0]["code"] == "1_2"
    )
    startback = scores["startback-total"]
    assert startback["valueInteger"] == 1
    parts = {c["code"]["coding"][0]["code"]: c for c in startback["component"]}
    assert parts["startback-risk"]["valueCodeableConcept"]["coding"][0]["code"] == "low"
    assert parts["startback-psychosocial"]["valueInteger"] == 0
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export_fhir")
        ).one()
        assert event.target == f"booking_request:{request_id}"
        assert event.actor == "staff@clinic.example.com"


def test_follow_ups_and_psfs_are_in_the_bundle(app, staff_client):
    request_id = book(app, journeys.SPORTS_INJURY)
    set_booking(app, request_id, psfs_baseline=PSFS, followup_consent=True)
    add_followup(app, request_id, 1, FIRST, at=NOW - dt.timedelta(days=30))
    add_followup(app, request_id, 2, SECOND)
    add_followup(app, request_id, 3, None, status="sent")  # not answered: not exported
    _, bundle = download(staff_client, request_id)
    found = check_bundle(bundle)
    followups = [r for r in found["QuestionnaireResponse"] if r["id"].startswith("followup-")]
    assert len(followups) == 2
    assert [r["extension"][0]["valueInteger"] for r in followups] == [2, 6]
    first, second = (answers_by_link(r["item"]) for r in followups)
    assert first["psfs.activity"] == [
        {"valueString": "Running"},
        {"valueString": "Climbing stairs"},
    ]
    assert first["psfs.score"] == [{"valueInteger": 6}, {"valueInteger": 8}]
    assert second["psfs.score"] == [{"valueInteger": 9}]  # the second activity not re-rated
    assert first["after_effects"][0]["valueCoding"]["code"] == "none"
    assert [a["valueCoding"]["code"] for a in second["after_effects"]] == ["soreness", "other"]
    assert second["sport_return_date"] == [{"valueDate": "2026-05-02"}]
    assert second["after_effects_other"] == [{"valueString": "Tired the next day"}]
    assert "pain_medicine_kinds" not in second  # none taken: nothing to say
    intake_answers = answers_by_link(found["QuestionnaireResponse"][0]["item"])
    assert intake_answers["psfs.score"] == [{"valueInteger": 3}, {"valueInteger": 6}]
    assert intake_answers["sport_name"] == [{"valueString": "Running"}]

    scores = [o for o in found["Observation"] if o["id"].startswith(f"{followups[1]['id']}-")]
    later = by_code(scores)
    assert all(o["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{followups[1]['id']}"}]
               for o in scores)  # fmt: skip
    assert later["pgic"]["valueInteger"] == 1
    assert later["pain-medicine-days"]["valueInteger"] == 0
    assert later["psfs-mean"]["valueQuantity"]["value"] == 9
    assert [c["code"]["text"] for c in later["psfs-mean"]["component"]] == [
        "PSFS activity: Running"
    ]
    assert later["sport-return"]["valueCodeableConcept"]["coding"][0]["code"] == "fully"
    assert later["peg"]["valueQuantity"]["value"] == pytest.approx(3.0)
    baseline = by_code([o for o in found["Observation"] if o["id"].startswith("intake-")])
    assert baseline["psfs-mean"]["valueQuantity"]["value"] == 4.5
    ids = [(r["resourceType"], r["id"]) for r in (e["resource"] for e in bundle["entry"])]
    assert len(set(ids)) == len(ids)


def test_the_download_needs_login_and_a_real_request(app, staff_client):
    request_id = book(app)
    response = app.test_client().get(f"/staff/requests/{request_id}/fhir")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert staff_client.get("/staff/requests/987654/fhir").status_code == 404
    page = staff_client.get(f"/staff/requests/{request_id}").text
    assert f'href="/staff/requests/{request_id}/fhir"' in page and "Download as FHIR (JSON)" in page
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action)))
    assert "export_fhir" not in actions  # neither the refused nor the missing one


# Every profile and every kind of question ------------------------------------------------------


def test_every_profile_exports_every_answer_with_its_type(app):
    kinds = set()
    for name, profile in PROFILES.items():
        request_id = book(app, profile)
        with app.app_context():
            names = records.naming()
            if request_id is None:  # no booking form (an emergency): the intake alone
                submission = db.session.scalars(
                    select(Submission).order_by(Submission.id.desc())
                ).first()
                answered = responses.intake_response(names, submission, "Patient/x")
                found = observations.intake_observations(
                    names, submission, "Patient/x", f"QuestionnaireResponse/{answered['id']}", ()
                )
                check_response(answered, questionnaires.intake_questionnaire(names))
                for resource in found:
                    check_observation(resource)
            else:
                booking = db.session.get(BookingRequest, request_id)
                submission = booking.submission
                answered = check_bundle(records.bundle_of(names, booking))["QuestionnaireResponse"][
                    0
                ]
            exported = answers_by_link(answered["item"])
            for answer_id, value in submission.answers.items():
                question = intake.ASKED_BY[answer_id]
                kinds.add(question.kind)
                if value is None or value == "":
                    continue
                assert answer_id in exported, (name, answer_id)
                values = [
                    next(v for k, v in a.items() if k.startswith("value"))
                    for a in exported[answer_id]
                ]
                if question.kind == intake.MULTI:
                    codes = [v["code"] for v in values]
                    assert codes == ([str(v) for v in value] or ["none"]), (name, answer_id)
                elif question.kind == intake.SINGLE:
                    assert [v["code"] for v in values] == [str(value)], (name, answer_id)
                else:
                    assert values == [value], (name, answer_id)
            answered = {link for link, given in exported.items() if given}
            assert answered - {"psfs.activity", "psfs.score"} <= set(submission.answers)
    asked_kinds = {q.kind for q in intake.QUESTIONS.values()}
    assert asked_kinds - {intake.DATE_KIND} <= kinds  # the intake asks no date; follow-ups do


def test_enable_when_says_what_show_if_says(app):
    """For every profile's answers, each page and question with enableWhen is enabled exactly
    when the app shows it; pages FHIR cannot describe carry no enableWhen and no required."""
    names = naming.Naming("https://clinic.example")
    made = questionnaires.intake_questionnaire(names)
    steps = {item["linkId"]: item for item in made["item"]}
    described = 0
    for profile in PROFILES.values():
        client = app.test_client()
        journeys.walk(client, profile)
        client.post("/check")
    with app.app_context():
        stored_answers = db.session.scalars(select(Submission.answers)).all()
    assert len(stored_answers) == len(PROFILES)
    for stored in stored_answers:
        answers = answers_by_link(
            responses.intake_response(names, unsaved(stored), "Patient/x")["item"]
        )
        known = facts.derive(stored)
        for step in intake.STEPS:
            item = steps[step.id]
            if "enableWhen" in item:
                described += 1
                assert holds(item, answers) == branching.step_is_shown(step, known), step.id
            for question, asked in zip(
                step.questions, [i for i in item["item"] if i["type"] != "display"], strict=True
            ):
                if "enableWhen" in asked:
                    described += 1
                    assert holds(asked, answers) == branching.question_is_shown(question, known)
    assert described
    for step_id in ("back_warning_signs", "widespread_pain", "consent"):  # derived facts
        assert "enableWhen" not in steps[step_id]
        assert not any(item.get("required") for item in steps[step_id]["item"])
    assert steps["sports_injury"]["enableWhen"][0]["question"] == "pain_onset"
    pregnant = next(i for i in steps["about_you"]["item"] if i["linkId"] == "pregnant")
    assert pregnant["enableBehavior"] == "any" and len(pregnant["enableWhen"]) == 3


@pytest.mark.parametrize(
    "condition, expected",
    [
        ({"fact": "back_pain", "op": "is_true"}, None),
        ({"not": {"fact": "pregnant", "op": "is_true"}}, None),
        ({"fact": "age", "op": "ge", "value": 50}, ([(">=", 50)], None)),
        ({"fact": "sex", "op": "in", "value": ["male", "female"]},
         ([("=", "male"), ("=", "female")], "any")),
        ({"all": [{"fact": "age", "op": "lt", "value": 18}, {"fact": "pregnant", "op": "is_true"}]},
         ([("<", 18), ("=", True)], "all")),
        ({"all": [{"fact": "age", "op": "lt", "value": 18},
                  {"fact": "sex", "op": "in", "value": ["male", "female"]}]}, None),
        ({"any": [{"fact": "age", "op": "lt", "value": 18},
                  {"fact": "back_pain", "op": "is_true"}]}, None),
        ({"fact": "sex", "op": "eq", "value": "nobody"}, None),
        ({"fact": "wpi_neck", "op": "is_false"}, ([("=", False)], None)),
        ({"fact": "goals", "op": "contains", "value": "less_pain"}, ([("=", "less_pain")], None)),
    ],
)  # fmt: skip
def test_enable_when_translation(condition, expected):
    names = naming.Naming("https://clinic.example")
    said = questionnaires.enable_when(names, condition, intake.ASKED_BY)
    if expected is None:
        assert said is None
        return
    entries, behaviour = said
    simple = [
        (
            e["operator"],
            next(
                v["code"] if isinstance(v, dict) else v
                for k, v in e.items()
                if k.startswith("answer")
            ),
        )
        for e in entries
    ]
    assert (simple, behaviour) == expected


def test_both_questionnaires_validate_and_name_their_canonical_urls():
    names = naming.Naming("https://clinic.example/")
    made = [
        questionnaires.intake_questionnaire(names),
        questionnaires.followup_questionnaire(names),
    ]
    for resource in made:
        validate(resource)
    assert [(q["url"], q["version"]) for q in made] == [
        ("https://clinic.example/fhir/Questionnaire/intake", intake.VERSION),
        ("https://clinic.example/fhir/Questionnaire/followup", naming.FOLLOWUP_VERSION),
    ]
    links = [item["linkId"] for item in made[1]["item"]]
    assert links[:5] == ["nprs_now", "peg_pain_avg_week", "peg_enjoyment_interference",
                         "peg_activity_interference", "psfs"]  # fmt: skip
    assert {"pgic", "pain_medicine_days", "sport_return", "after_effects"} <= set(links)


# The NDJSON export -------------------------------------------------------------------------------


def lines_of(text: str) -> list[dict]:
    found = [json.loads(line) for line in text.splitlines()]
    for resource in found:
        validate(resource)
    return found


def test_export_since_a_date_as_ndjson(app, runner, tmp_path, monkeypatch):
    monkeypatch.setattr(records, "CHUNK_ROWS", 1)  # several keyset chunks from few rows
    old, new, newer = book(app), book(app, journeys.FIBROMYALGIA), book(app, journeys.SPORTS_INJURY)
    set_booking(app, old, created_at=dt.datetime(2025, 12, 31, 23, 59))
    set_booking(app, new, created_at=dt.datetime(2026, 1, 1, 0, 0))
    add_followup(app, old, 1, FIRST)  # answered now: since 2026-01-01, though its request is older
    add_followup(app, newer, 1, FIRST, at=dt.datetime(2025, 6, 1))  # answered before: left out
    result = runner.invoke(args=["export", "fhir", "--since", "2026-01-01"])
    assert result.exit_code == 0, result.output
    found = lines_of(result.stdout)
    assert [r["resourceType"] for r in found[:2]] == ["Questionnaire", "Questionnaire"]
    assert "Questionnaire" not in {r["resourceType"] for r in found[2:]}
    patients = [r["id"] for r in found if r["resourceType"] == "Patient"]
    assert patients == [f"request-{new}", f"request-{newer}"]
    followup_ids = [
        r["id"]
        for r in found
        if r["id"].startswith("followup-") and r["resourceType"] == "QuestionnaireResponse"
    ]
    assert len(followup_ids) == 1
    followup = next(
        r
        for r in found
        if (r["resourceType"], r["id"]) == ("QuestionnaireResponse", followup_ids[0])
    )
    assert followup["subject"] == {"reference": f"Patient/request-{old}"}
    ids = [(r["resourceType"], r["id"]) for r in found]
    assert len(set(ids)) == len(ids)
    assert f"{len(found)} resources exported." in result.stderr

    output = tmp_path / "out.ndjson"
    result = runner.invoke(
        args=["export", "fhir", "--since", "2026-01-02", "--output", str(output)]
    )
    assert result.exit_code == 0 and result.stdout == ""
    written = lines_of(output.read_text("utf-8"))
    assert [r["id"] for r in written if r["resourceType"] == "Patient"] == [f"request-{newer}"]
    assert not list(tmp_path.glob(".*partial"))
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export_fhir")
        ).all()
    assert [(e.actor, e.details) for e in events] == [
        ("cli", {"since": "2026-01-01", "to": "stdout"}),
        ("cli", {"since": "2026-01-02", "to": "file"}),
    ]


@pytest.mark.parametrize("given", ["2026-13-01", "yesterday", "2026-1-1", "2026-W13-5", ""])
def test_a_bad_date_is_a_clean_usage_error(runner, given):
    result = runner.invoke(args=["export", "fhir", "--since", given])
    assert result.exit_code == 2
    assert "is not a date written YYYY-MM-DD" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_unwritable_output_is_a_clean_error(runner, tmp_path):
    result = runner.invoke(
        args=["export", "fhir", "--since", "2026-01-01", "--output", str(tmp_path / "no" / "f")]
    )
    assert result.exit_code == 1 and "Cannot write" in result.output
    assert not isinstance(result.exception, OSError)


def test_since_is_required(runner):
    result = runner.invoke(args=["export", "fhir"])
    assert result.exit_code == 2 and "--since" in result.output
