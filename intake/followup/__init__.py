"""Outcome follow-up (issue 12): short questionnaires after treatment for patients who opt in,
and what the clinic learns from them. The measures and their meaningful changes are pure
(measures.py, clinical.md §11-§12); schedule, links, the patient's form, the staff report and
the FHIR export build on them."""
