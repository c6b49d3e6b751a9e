"""Plain words for staff (issue 13): phone numbers as the clinic writes them, and a one-line
meaning for each score (facts from clinical.md §3 STarT Back, §4 ACR 2016, §6.2 PEG).

Used by the request page, the requests list, the clinic email and the CSV. Phone numbers are
stored in E.164; tel: links keep that form.
"""

from __future__ import annotations

import phonenumbers
from flask import current_app

#: a one-line meaning beside each score's value
SCORE_MEANINGS = {
    "startback": "Keele back-pain screen: low / medium / high risk of a poor outcome, "
    "which guides how much support to offer",
    "peg": "average of pain, and how much it gets in the way of enjoyment and activity, 0–10",
    # shown in brackets after the score in the text email: no brackets of its own
    "acr2016": "a screen for fibromyalgia, not a diagnosis",
}

NO_CONCERNS = "No concerns found"

#: each duration class (scoring.pain: the answer to "How long have you had this pain?") with
#: its span in the questionnaire's own words
DURATION_WORDS = {
    "acute": "acute (less than 6 weeks)",
    "subacute": "subacute (6 to 12 weeks)",
    "chronic": "chronic (more than 12 weeks)",
}


def phone_for(stored: str | None, region: str) -> str:
    """A stored (E.164) number in the national format when it has `region`'s country code, in
    the international format otherwise; anything that does not parse is returned as stored."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, region)
    except phonenumbers.NumberParseException:
        return stored
    # by country code: a valid-looking number the metadata does not place is still "ours"
    if number.country_code == phonenumbers.country_code_for_region(region.upper()):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone(stored: str | None) -> str:
    """phone_for() the clinic's region (PHONE_REGION); the `phone` template filter."""
    return phone_for(stored, current_app.config["PHONE_REGION"])
