"""The impact preview's reads through the database driver (issue 16): the same rows as
SQLAlchemy gives, and on PostgreSQL a chunk ahead in a thread whose errors and early end
reach the caller."""

from __future__ import annotations

import threading
from contextlib import closing

import pytest
from sqlalchemy import Text, cast, select

from intake.extensions import db
from intake.models import Submission
from intake.staff.rules import preview_rows
from tests.staff.test_preview import mixed, store


class _Cursor:
    """A cursor with `parts` lists to fetch, failing at `fail_at` (an index) if given."""

    def __init__(self, parts: int, fail_at: int | None = None):
        self.parts, self.fail_at, self.fetched = parts, fail_at, 0
        self.threads: set[str] = set()

    def fetchmany(self, size: int) -> list[tuple]:
        self.threads.add(threading.current_thread().name)
        if self.fetched == self.fail_at:
            raise RuntimeError("the server went away")
        if self.fetched == self.parts:
            return []
        self.fetched += 1
        return [(self.fetched, i) for i in range(size)]


def test_reading_ahead_gives_every_part_in_order_from_another_thread() -> None:
    cursor = _Cursor(parts=5)
    parts = list(preview_rows._ahead(cursor, 3))
    assert [part[0][0] for part in parts] == [1, 2, 3, 4, 5] and all(len(p) == 3 for p in parts)
    assert cursor.threads == {"preview-rows"}


def test_an_error_while_reading_ahead_is_raised_to_the_reader() -> None:
    read = []
    with pytest.raises(RuntimeError, match="went away"):
        for part in preview_rows._ahead(_Cursor(parts=5, fail_at=2), 3):
            read.append(part[0][0])
    assert read == [1, 2]


def test_stopping_early_ends_the_reading_thread() -> None:
    cursor = _Cursor(parts=1000)
    with closing(preview_rows._ahead(cursor, 3)) as parts:
        next(parts)
    assert not any(t.name == "preview-rows" for t in threading.enumerate())
    assert cursor.fetched <= 4  # one read, one queued, one being put, one more at most


@pytest.mark.parametrize("size", [1, 7, 1000])
def test_driver_rows_are_the_rows_sqlalchemy_gives(app, size: int) -> None:
    with app.app_context():
        store(mixed(50))
        query = select(
            Submission.id,
            cast(Submission.answers, Text),
            Submission.outcome,
            Submission.ruleset_version_id,
        ).where(Submission.outcome.in_(["review", "suitable"]), Submission.id > 3)
        expected = [tuple(row) for row in db.session.execute(query.order_by(Submission.id))]
        parts = list(preview_rows.driver_rows(query.order_by(Submission.id), size))
        assert [row for part in parts for row in part] == expected
        assert all(0 < len(part) <= size for part in parts) and len(expected) > 10
        assert db.session.scalar(select(Submission.id).limit(1)) is not None  # usable after
