"""The clinic's clock (issue 13): times are stored as naive UTC and shown in CLINIC_TIMEZONE;
the promise to contact a patient within RESPONSE_WORKING_DAYS working days, and which requests
are past it. The functions at the end read those settings (the app's config by default); the
rest are pure.

A working day is Monday to Friday, except the days the clinic is closed: public holidays
(CLINIC_HOLIDAYS, from the `holidays` package) and its own closures (CLINIC_CLOSED_DAYS). A
request is due by the end of the Nth working day after the day it arrived, in clinic time: one
sent on Monday at any hour, or on Saturday, with N = 2 is due by the end of Wednesday or
Tuesday; one sent on Christmas Eve 2026 in England by the end of Wednesday 30 December. It is
overdue from the start of the next day. Pure: every function takes `now`, the zone and the
closed days.

Also how the staff pages show a date ("Fri 4 Dec 2026", with ", 14:05" where the time
matters) and read one typed (4/12/2026, 4 Dec 2026, or 2026-12-04 from a date picker).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

UTC = dt.UTC
#: Saturday and Sunday (date.weekday())
WEEKEND = frozenset({5, 6})


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    """The time zone called `name` (ZoneInfoNotFoundError for an unknown one)."""
    return ZoneInfo(name)


def to_local(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A stored (naive UTC) moment in the clinic's zone."""
    return moment.replace(tzinfo=UTC).astimezone(tz)


def to_utc(local: dt.datetime) -> dt.datetime:
    """An aware local moment as stored: naive UTC."""
    return local.astimezone(UTC).replace(tzinfo=None)


def local_day(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The clinic's calendar day at a stored (naive UTC) moment."""
    return to_local(moment, tz).date()


def start_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first moment of a clinic day, as stored (naive UTC); right across DST changes."""
    return to_utc(dt.datetime.combine(day, dt.time(), tzinfo=tz))


#: Days a clinic is closed besides weekends: a container of dates (`in`).
Closed = Container[dt.date]


def is_working_day(day: dt.date, closed: Closed = ()) -> bool:
    """Monday to Friday, and not a day the clinic is closed."""
    return day.weekday() not in WEEKEND and day not in closed


def add_working_days(day: dt.date, count: int, closed: Closed = ()) -> dt.date:
    """The `count`th working day after `day` (0: `day` itself, or the next working day when
    it is not one)."""
    if count <= 0:
        while not is_working_day(day, closed):
            day += dt.timedelta(days=1)
        return day
    while count:
        day += dt.timedelta(days=1)
        if is_working_day(day, closed):
            count -= 1
    return day


def respond_by(
    received: dt.datetime, working_days: int, tz: dt.tzinfo, closed: Closed = ()
) -> dt.date:
    """The clinic day by the end of which a request received at `received` (naive UTC) is to
    be answered."""
    return add_working_days(local_day(received, tz), working_days, closed)


def overdue_before(
    now: dt.datetime, working_days: int, tz: dt.tzinfo, closed: Closed = ()
) -> dt.datetime:
    """The stored moment before which a request still waiting at `now` is overdue: requests
    with created_at < this are past their respond-by day. (respond_by only grows with the day
    received, so this is the start of the day after the last overdue receiving day.)"""
    today = local_day(now, tz)
    day = today
    while add_working_days(day, working_days, closed) >= today:
        day -= dt.timedelta(days=1)
    return start_of_day(day + dt.timedelta(days=1), tz)


def is_overdue(
    received: dt.datetime, now: dt.datetime, working_days: int, tz: dt.tzinfo, closed: Closed = ()
) -> bool:
    """Whether a request received at `received` and still waiting at `now` is overdue."""
    return received < overdue_before(now, working_days, tz, closed)


@dataclass(frozen=True)
class ClosedDays:
    """The days a clinic is closed besides weekends: public holidays and its own closures."""

    public: Closed = ()
    #: its own closures: (first, last) days, both closed
    own: tuple[tuple[dt.date, dt.date], ...] = ()

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, dt.date):
            return False
        return day in self.public or any(first <= day <= last for first, last in self.own)


def public_holidays(code: str) -> Closed:
    """The public holidays of a country, or of a region after a dash ("GB-ENG", "US-NY",
    "DE-BY"), from the `holidays` package; none for "none". LookupError for one it does not
    know."""
    if code.strip().lower() == "none":
        return frozenset()
    country, _, region = code.strip().upper().partition("-")
    try:
        return holidays.country_holidays(country, subdiv=region or None)
    except NotImplementedError as error:  # what the package raises for an unknown one
        raise LookupError(str(error)) from None


def waiting_words(received: dt.datetime, now: dt.datetime) -> str:
    """How long a request has waited, as staff say it: "35 minutes", "5 hours", "3 days"."""
    minutes = max(0, int((now - received).total_seconds() // 60))
    if minutes < 60:
        return _plural(minutes, "minute")
    if minutes < 48 * 60:
        return _plural(minutes // 60, "hour")
    return _plural(minutes // (24 * 60), "day")


def days_words(count: int) -> str:
    """ "1 working day", "2 working days": the promise as patients read it."""
    return _plural(count, "working day")


# -- how staff pages show and ask for dates ------------------------------------------------

#: The date in every hint and error about a typed date: day, month, year (what the server
#: reads first, and the same day as day_text's example).
DATE_EXAMPLE = "4/12/2026"
MOMENT_STYLES = ("moment", "date", "time", "seconds")


def day_text(day: dt.date) -> str:
    """A day as staff pages show it, always with its weekday and year: "Fri 4 Dec 2026"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def shown_day(value: dt.date | str | None) -> str:
    """day_text of a date, or of one stored as text (2026-11-23, as a rule's last review is);
    anything else as it is: the `day` template filter."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return day_text(value) if isinstance(value, dt.date) else str(value or "")


def moment_text(local: dt.datetime, style: str = "moment") -> str:
    """A local moment as staff pages show it: "Fri 4 Dec 2026, 14:05" ("moment"), the day
    alone as day_text ("date"), "14:05" ("time") or "Fri 4 Dec 2026, 14:05:09" ("seconds")."""
    if style == "date":
        return day_text(local.date())
    if style == "time":
        return f"{local:%H:%M}"
    clock = f"{local:%H:%M:%S}" if style == "seconds" else f"{local:%H:%M}"
    return f"{day_text(local.date())}, {clock}"


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ),
        1,
    )
    for name in names.split()
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")  # day first
_WORDS = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")


def parse_date(raw: str, what: str = "a date") -> dt.date:
    """A date as staff type it: 23/11/2026 (day first; . and - too), 23 Nov 2026 or
    2026-11-23 (as a date picker sends it). ValueError with a message to show otherwise
    ("Enter `what` like 4/12/2026")."""
    text = " ".join(str(raw).split()).lower()[:40]
    if not text:
        raise ValueError(f"Enter {what}")
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _NUMERIC.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif (match := _WORDS.fullmatch(text)) and match.group(2) in _MONTHS:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2)], int(match.group(3))
    else:
        raise ValueError(f"Enter {what} like {DATE_EXAMPLE}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"Enter a real date, like {DATE_EXAMPLE}") from None


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


# -- with the clinic's settings --------------------------------------------------------------


def _config(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if config is not None:
        return config
    from flask import current_app

    return current_app.config


def clinic_zone(config: Mapping[str, Any] | None = None) -> ZoneInfo:
    """The clinic's time zone (CLINIC_TIMEZONE)."""
    return zone(_config(config)["CLINIC_TIMEZONE"])


def local_time(moment: dt.datetime | None, style: str = "moment") -> str:
    """A stored (naive UTC) moment in clinic time, as staff pages show it: the `local` template
    filter ("" for None). `style`: "moment" (the default), "date", "time" or "seconds" (the
    audit log) - see moment_text - or else a strftime format."""
    if not moment:
        return ""
    local = to_local(moment, clinic_zone())
    return moment_text(local, style) if style in MOMENT_STYLES else local.strftime(style)


@lru_cache(maxsize=8)
def _closed_days(code: str, own: tuple[tuple[dt.date, dt.date], ...]) -> ClosedDays:
    return ClosedDays(public_holidays(code), own)


def clinic_closed(config: Mapping[str, Any] | None = None) -> ClosedDays:
    """The days the clinic is closed (CLINIC_HOLIDAYS and CLINIC_CLOSED_DAYS)."""
    config = _config(config)
    return _closed_days(config["CLINIC_HOLIDAYS"], tuple(config["CLINIC_CLOSED_DAYS"]))


def clinic_today(now: dt.datetime, config: Mapping[str, Any] | None = None) -> dt.date:
    """The clinic's calendar day at `now` (naive UTC)."""
    return local_day(now, clinic_zone(config))


def overdue_cutoff(now: dt.datetime, config: Mapping[str, Any] | None = None) -> dt.datetime:
    """overdue_before() with the clinic's zone, RESPONSE_WORKING_DAYS and closed days."""
    config = _config(config)
    days = int(config["RESPONSE_WORKING_DAYS"])
    return overdue_before(now, days, clinic_zone(config), clinic_closed(config))


def clinic_respond_by(received: dt.datetime, config: Mapping[str, Any] | None = None) -> dt.date:
    """respond_by() with the clinic's zone, RESPONSE_WORKING_DAYS and closed days."""
    config = _config(config)
    days = int(config["RESPONSE_WORKING_DAYS"])
    return respond_by(received, days, clinic_zone(config), clinic_closed(config))


def promise_words(config: Mapping[str, Any] | None = None) -> str:
    """The promise in a patient's words: "2 working days" (RESPONSE_WORKING_DAYS)."""
    return days_words(int(_config(config)["RESPONSE_WORKING_DAYS"]))
