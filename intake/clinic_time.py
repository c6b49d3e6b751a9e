"""The clinic's clock (issue 13): times are stored as naive UTC and shown in CLINIC_TIMEZONE;
the promise to contact a patient within RESPONSE_WORKING_DAYS working days, and which requests
are past it. The functions at the end read those settings (the app's config by default); the
rest are pure.

A working day is Monday to Friday (public holidays are not known here). A request is due by
the end of the Nth working day after the day it arrived, in clinic time: one sent on Monday
at any hour, or on Saturday, with N = 2 is due by the end of Wednesday or Tuesday. It is
overdue from the start of the next day. Pure: every function takes `now` and the zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

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


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The `count`th working day after `day` (0: `day` itself, or the next working day when
    it falls on a weekend)."""
    if count <= 0:
        while day.weekday() in WEEKEND:
            day += dt.timedelta(days=1)
        return day
    while count:
        day += dt.timedelta(days=1)
        if day.weekday() not in WEEKEND:
            count -= 1
    return day


def respond_by(received: dt.datetime, working_days: int, tz: dt.tzinfo) -> dt.date:
    """The clinic day by the end of which a request received at `received` (naive UTC) is to
    be answered."""
    return add_working_days(local_day(received, tz), working_days)


def overdue_before(now: dt.datetime, working_days: int, tz: dt.tzinfo) -> dt.datetime:
    """The stored moment before which a request still waiting at `now` is overdue: requests
    with created_at < this are past their respond-by day. (respond_by only grows with the day
    received, so this is the start of the day after the last overdue receiving day.)"""
    today = local_day(now, tz)
    day = today
    while add_working_days(day, working_days) >= today:
        day -= dt.timedelta(days=1)
    return start_of_day(day + dt.timedelta(days=1), tz)


def is_overdue(received: dt.datetime, now: dt.datetime, working_days: int, tz: dt.tzinfo) -> bool:
    """Whether a request received at `received` and still waiting at `now` is overdue."""
    return received < overdue_before(now, working_days, tz)


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


def local_time(moment: dt.datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """A stored (naive UTC) moment as clinic time: the `local` template filter ("" for None)."""
    return to_local(moment, clinic_zone()).strftime(fmt) if moment else ""


def clinic_today(now: dt.datetime, config: Mapping[str, Any] | None = None) -> dt.date:
    """The clinic's calendar day at `now` (naive UTC)."""
    return local_day(now, clinic_zone(config))


def overdue_cutoff(now: dt.datetime, config: Mapping[str, Any] | None = None) -> dt.datetime:
    """overdue_before() with the clinic's zone and RESPONSE_WORKING_DAYS."""
    config = _config(config)
    return overdue_before(now, int(config["RESPONSE_WORKING_DAYS"]), clinic_zone(config))


def clinic_respond_by(received: dt.datetime, config: Mapping[str, Any] | None = None) -> dt.date:
    """respond_by() with the clinic's zone and RESPONSE_WORKING_DAYS."""
    config = _config(config)
    return respond_by(received, int(config["RESPONSE_WORKING_DAYS"]), clinic_zone(config))


def promise_words(config: Mapping[str, Any] | None = None) -> str:
    """The promise in a patient's words: "2 working days" (RESPONSE_WORKING_DAYS)."""
    return days_words(int(_config(config)["RESPONSE_WORKING_DAYS"]))
