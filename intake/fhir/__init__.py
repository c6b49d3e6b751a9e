"""FHIR R4 (4.0.1) export of intakes and follow-ups (issue 12), as plain JSON dicts.

naming.py holds every URI, code and id in one place; questionnaires.py the two Questionnaires
(the intake, read from questionnaire.yaml, and the follow-up, from the follow-up form's own
questions); responses.py the QuestionnaireResponses; observations.py the scores as
Observations. Those four take records and return dicts, without touching the database.
records.py reads the database: a Bundle per booking request and NDJSON of everything since a
date, in chunks; views.py the staff download; cli.py `export fhir`. The runtime needs no FHIR
library; the tests validate the output with fhir.resources, offline.
"""
