"""The clinic's clock: working days across weekends, the overdue line across time zones and
daylight-saving changes, waiting in words."""

import datetime as dt

import pytest

from intake import clinic_time as ct

LONDON = ct.zone("Europe/London")
NEW_YORK = ct.zone("America/New_York")
SYDNEY = ct.zone("Australia/Sydney")

# 2026-12-07 is a Monday
MON, TUE, WED, THU, FRI, SAT, SUN = (dt.date(2026, 12, 7) + dt.timedelta(days=i) for i in range(7))


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (MON, 2, WED),
        (THU, 2, MON + dt.timedelta(days=7)),  # Fri, then Mon
        (FRI, 1, MON + dt.timedelta(days=7)),
        (SAT, 2, TUE + dt.timedelta(days=7)),
        (SUN, 1, MON + dt.timedelta(days=7)),
        (SAT, 0, MON + dt.timedelta(days=7)),
        (WED, 0, WED),
        (FRI, 5, FRI + dt.timedelta(days=7)),
    ],
)
def test_working_days_skip_weekends(day, count, expected):
    assert ct.add_working_days(day, count) == expected


ENGLAND = ct.ClosedDays(ct.public_holidays("GB-ENG"))
CHRISTMAS_EVE = dt.date(2026, 12, 24)  # a Thursday


@pytest.mark.parametrize(
    ("day", "count", "closed", "expected"),
    [
        # Christmas Day (Fri) and Boxing Day's Monday (28 Dec) are bank holidays in England
        (CHRISTMAS_EVE, 1, ENGLAND, dt.date(2026, 12, 29)),
        (CHRISTMAS_EVE, 2, ENGLAND, dt.date(2026, 12, 30)),
        (CHRISTMAS_EVE, 2, (), dt.date(2026, 12, 28)),
        (dt.date(2026, 12, 25), 0, ENGLAND, dt.date(2026, 12, 29)),  # the next working day
        # New Year: England is back on Monday 4 Jan; Scotland keeps 2 January (on Monday 4th)
        (dt.date(2026, 12, 31), 1, ENGLAND, dt.date(2027, 1, 4)),
        (
            dt.date(2026, 12, 31),
            1,
            ct.ClosedDays(ct.public_holidays("GB-SCT")),
            dt.date(2027, 1, 5),
        ),
        # the clinic's own closure, on top of the bank holidays
        (
            CHRISTMAS_EVE,
            2,
            ct.ClosedDays(ENGLAND.public, ((dt.date(2026, 12, 29), dt.date(2026, 12, 31)),)),
            dt.date(2027, 1, 5),
        ),
        (CHRISTMAS_EVE, 2, ct.ClosedDays(ct.public_holidays("none")), dt.date(2026, 12, 28)),
    ],
)
def test_working_days_skip_the_days_the_clinic_is_closed(day, count, closed, expected):
    assert ct.add_working_days(day, count, closed) == expected


def test_a_request_on_christmas_eve_is_overdue_from_new_years_eve_in_england():
    received = utc(CHRISTMAS_EVE, 15)
    assert ct.respond_by(received, 2, LONDON, ENGLAND) == dt.date(2026, 12, 30)
    assert not ct.is_overdue(received, utc(dt.date(2026, 12, 30), 23, 59), 2, LONDON, ENGLAND)
    assert ct.is_overdue(received, utc(dt.date(2026, 12, 31), 0), 2, LONDON, ENGLAND)


@pytest.mark.parametrize("code", ["XX", "GB-XYZ", "Narnia"])
def test_an_unknown_country_or_region_is_refused(code):
    with pytest.raises(LookupError):
        ct.public_holidays(code)


def utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def local(day: dt.date, hour: int, tz) -> dt.datetime:
    """Naive UTC of a clinic-local wall time."""
    return ct.to_utc(dt.datetime.combine(day, dt.time(hour), tzinfo=tz))


@pytest.mark.parametrize(
    ("received_day", "overdue_from"),
    [
        (MON, THU),  # due by the end of Wednesday
        (WED, SAT),  # due by the end of Friday: overdue over the weekend
        (THU, TUE + dt.timedelta(days=7)),  # due Monday
        (FRI, WED + dt.timedelta(days=7)),  # due Tuesday
        (SAT, WED + dt.timedelta(days=7)),  # as Friday's: due Tuesday
    ],
)
def test_a_request_is_overdue_from_the_day_after_its_respond_by_day(received_day, overdue_from):
    received = local(received_day, 23, LONDON)  # late in the day still counts as that day
    assert ct.respond_by(received, 2, LONDON) == overdue_from - dt.timedelta(days=1)
    last_minute = local(overdue_from, 0, LONDON) - dt.timedelta(minutes=1)
    first_minute = local(overdue_from, 0, LONDON)
    assert not ct.is_overdue(received, last_minute, 2, LONDON)
    assert ct.is_overdue(received, first_minute, 2, LONDON)


def test_the_clinic_day_not_the_utc_day_decides():
    # 23:30 on Monday in New York is 04:30 on Tuesday in UTC: a Monday request there
    received = local(MON, 23, NEW_YORK) + dt.timedelta(minutes=30)
    assert received.date() == TUE
    assert ct.respond_by(received, 2, NEW_YORK) == WED
    assert ct.is_overdue(received, local(THU, 0, NEW_YORK), 2, NEW_YORK)
    # 08:00 on Tuesday in Sydney is still Monday in UTC: a Tuesday request there
    received = local(TUE, 8, SYDNEY)
    assert received.date() == MON
    assert ct.respond_by(received, 2, SYDNEY) == THU
    assert not ct.is_overdue(received, local(THU, 23, SYDNEY), 2, SYDNEY)
    assert ct.is_overdue(received, local(FRI, 0, SYDNEY), 2, SYDNEY)


def test_the_overdue_line_holds_across_a_clock_change():
    # London goes back an hour on Sunday 25 October 2026
    thursday = dt.date(2026, 10, 22)
    received = local(thursday, 0, LONDON)  # 23:00 UTC on Wednesday
    assert ct.respond_by(received, 2, LONDON) == dt.date(2026, 10, 26)  # Monday
    tuesday = dt.date(2026, 10, 27)
    assert ct.overdue_before(local(tuesday, 9, LONDON), 2, LONDON) == local(
        dt.date(2026, 10, 23), 0, LONDON
    )
    assert ct.is_overdue(received, local(tuesday, 0, LONDON), 2, LONDON)
    assert not ct.is_overdue(
        received, local(tuesday, 0, LONDON) - dt.timedelta(seconds=1), 2, LONDON
    )


def test_local_times_follow_summer_time():
    assert ct.to_local(utc(dt.date(2026, 7, 1), 12), LONDON).strftime("%H:%M") == "13:00"
    assert ct.to_local(utc(dt.date(2026, 12, 1), 12), LONDON).strftime("%H:%M") == "12:00"
    assert ct.start_of_day(dt.date(2026, 7, 1), LONDON) == utc(dt.date(2026, 6, 30), 23)


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (0, "0 minutes"),
        (1, "1 minute"),
        (59, "59 minutes"),
        (60, "1 hour"),
        (47 * 60, "47 hours"),
        (48 * 60, "2 days"),
        (10 * 24 * 60, "10 days"),
    ],
)
def test_waiting_in_words(minutes, words):
    start = utc(MON, 9)
    assert ct.waiting_words(start, start + dt.timedelta(minutes=minutes)) == words


def test_the_promise_in_words_follows_the_setting():
    assert ct.promise_words({"RESPONSE_WORKING_DAYS": 2}) == "2 working days"
    assert ct.promise_words({"RESPONSE_WORKING_DAYS": 1}) == "1 working day"
