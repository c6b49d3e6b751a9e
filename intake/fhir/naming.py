"""Every URI, code and resource id of the FHIR export, in one place. Pure.

URIs are built from the clinic's BASE_URL (its own namespace, stable for as long as the clinic
keeps its address) under ``/fhir/``: canonical Questionnaires, the app's code systems and
identifier systems. They name things; nothing is served at them.

Resource ids come from database ids, so they are the same in every export (a Bundle today and
an NDJSON file next month) and a receiver can merge exports: ``request-12`` (Patient),
``intake-7`` and ``followup-31`` (QuestionnaireResponse), ``intake-7-peg`` (Observation),
``intake-questionnaire-2026-12-2`` (Questionnaire: its name and version).
References are relative (``Patient/request-12``); in a Bundle each entry's fullUrl is
``{BASE_URL}/fhir/{type}/{id}``, so a relative reference resolves to the entry with that
fullUrl (FHIR R4 §2.36.4.1) and the same references work unchanged in NDJSON.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

FHIR_VERSION = "4.0.1"
LOINC = "http://loinc.org"
#: "Pain severity - 0-10 verbal numeric rating [Score] - Reported" (clinical.md §11)
NPRS_LOINC = "72514-3"
NPRS_LOINC_DISPLAY = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM = "http://unitsofmeasure.org"
#: SDC extensions the Questionnaires use (bounds of numbers, an exclusive "None of these")
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
OPTION_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"

#: The follow-up questions' version: bump it when a follow-up question changes meaning.
FOLLOWUP_VERSION = "1"

#: The app's own codes (no LOINC code exists for these, clinical.md §11): code -> display.
MEASURE_CODES = {
    "nprs-now": "Pain now, 0-10 numeric rating scale",
    "nprs-average-week": "Average pain over the past week, 0-10 numeric rating scale",
    "peg": "PEG score: mean of average pain, interference with enjoyment and with activity (0-10)",
    "psfs-mean": "PSFS: mean rating of the patient's own activities (0 unable - 10 as before)",
    "psfs-activity": "PSFS: rating of one activity (0 unable - 10 as before)",
    "pgic": "PGIC: change since treatment began (1 very much improved - 7 very much worse)",
    "pain-medicine-typical-week": "Days taking medicine for this pain in a typical week",
    "pain-medicine-days": "Days with medicine for this pain in the past 7 days (0-7)",
    "sport-return": "Back to sport (not yet, partly, fully as before)",
    "startback-total": "STarT Back total score (0-9)",
    "startback-psychosocial": "STarT Back psychosocial subscale (0-5)",
    "startback-risk": "STarT Back risk group",
    "acr2016-criteria": "ACR 2016 fibromyalgia criteria met",
    "acr2016-wpi": "ACR 2016 Widespread Pain Index (0-19)",
    "acr2016-sss": "ACR 2016 Symptom Severity Scale (0-12)",
    "acr2016-fs": "ACR 2016 fibromyalgia severity (WPI + SSS, 0-31)",
}
STARTBACK_RISKS = {"low": "Low risk", "medium": "Medium risk", "high": "High risk"}


@dataclass(frozen=True)
class Naming:
    """The URIs of one clinic's export, built from its BASE_URL."""

    base_url: str

    @property
    def root(self) -> str:
        """Where every URI of the export starts."""
        return self.base_url.rstrip("/") + "/fhir"

    @property
    def measures(self) -> str:
        """The app's code system for scores and measures (MEASURE_CODES)."""
        return f"{self.root}/CodeSystem/intake-measures"

    @property
    def startback_risk(self) -> str:
        """The code system of STarT Back risk groups (STARTBACK_RISKS)."""
        return f"{self.root}/CodeSystem/startback-risk"

    def answers(self, question_id: str) -> str:
        """The code system of one choice question's values (its codes are the stored values)."""
        return f"{self.root}/CodeSystem/answer/{question_id}"

    def identifier(self, kind: str) -> str:
        """An identifier system: ``request`` (the patient-facing reference, DN-…), ``intake``,
        ``followup``."""
        return f"{self.root}/identifier/{kind}"

    def canonical(self, name: str) -> str:
        """The canonical URL of a Questionnaire: ``intake`` or ``followup``."""
        return f"{self.root}/Questionnaire/{name}"

    def full_url(self, reference: str) -> str:
        """A Bundle entry's fullUrl for a relative reference like ``Patient/request-12``."""
        return f"{self.root}/{reference}"


def safe_id(text: str) -> str:
    """A FHIR id (letters, digits, '-' and '.', at most 64) made from any text."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")[:64] or "x"


def reference(resource: dict) -> str:
    """The relative reference of a resource: ``Patient/request-12``."""
    return f"{resource['resourceType']}/{resource['id']}"


def instant(moment: dt.datetime) -> str:
    """A naive-UTC timestamp (what every column holds) as a FHIR instant, to the second."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


def measure_code(naming: Naming, code: str, *, loinc: bool = False) -> dict:
    """The CodeableConcept of a measure: the app's code, with LOINC 72514-3 first for NPRS.

    Both NPRS items (pain now, and average pain over the past week) carry LOINC 72514-3: that
    code names the instrument, the 0-10 numeric rating scale as the patient reports it, and
    both items are that instrument. It says nothing of the recall period, and no LOINC code
    for "average pain over the past week" on its own was found (clinical.md §11), so the app's
    code beside it tells the two apart (``nprs-now`` / ``nprs-average-week``) and so does the
    text. A receiver that knows only LOINC sees two pain scores of one moment, which is true;
    one that reads the app's code knows which is which.
    """
    codings = (
        [{"system": LOINC, "code": NPRS_LOINC, "display": NPRS_LOINC_DISPLAY}] if loinc else []
    )
    display = MEASURE_CODES[code]
    codings.append({"system": naming.measures, "code": code, "display": display})
    return {"coding": codings, "text": display}
