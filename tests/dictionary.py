"""A small, hand-made data dictionary for the condition, rule-editor and rule-analysis tests,
so every message they check is exact (the shipped one changes with the questionnaire)."""

from intake.screening.conditions import BOOLEAN, CHOICE, CHOICES, DATE, NUMBER, TEXT, FactSpec

DICTIONARY: dict[str, FactSpec] = {
    spec.id: spec
    for spec in (
        FactSpec("age", "Age", NUMBER, minimum=1, maximum=120),
        FactSpec("nprs_now", "Pain now", NUMBER, minimum=0, maximum=10),
        FactSpec("pain_region_count", "Painful areas", NUMBER, origin="derived"),
        FactSpec("peg.score", "PEG score", NUMBER, minimum=0, maximum=10, origin="score"),
        FactSpec("anticoagulant", "Takes blood thinners", BOOLEAN),
        FactSpec("pregnant", "Pregnant", BOOLEAN),
        FactSpec(
            "pain_onset",
            "How the pain started",
            CHOICE,
            ("sport", "work", "gradual"),
            ("During sport", "At work", "Gradually"),
        ),
        FactSpec(
            "medication_classes",
            "Medicines",
            CHOICES,
            ("nsaid", "opioid"),
            ("Anti-inflammatory painkillers", "Opioid painkillers"),
        ),
        FactSpec(
            "pregnancy_trimester",
            "Trimester",
            CHOICE,
            (1, 2, 3),
            ("Up to 12 weeks", "13 to 26 weeks", "27 weeks or more"),
        ),
        FactSpec("sport_name", "Sport", TEXT),
        FactSpec("sport_injury_date", "Injury date", DATE),
    )
}
