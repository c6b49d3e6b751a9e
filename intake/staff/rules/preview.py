"""The impact preview: recent submissions re-screened with the published rules and a draft.

It runs inside the draft page's request, so 100,000 submissions must take seconds, not
gunicorn's 30 s timeout. How (`impact` has the reasoning; figures in the README's Benchmarks):

- For a submission the rules in force screened, "before" is its stored outcome, as it always
  was. Those the change cannot alter by severity are counted by outcome in SQL, unread.
- Of the others, the database sends only the answers the changed rules read (`Impact.inputs`,
  a few JSON values each); the submissions on which no changed rule fires keep their outcome.
- The rest (and submissions an older version screened) are read as (id, answers as JSON
  text, outcome, version) with the database driver's own cursor (`preview_rows`: on
  PostgreSQL a chunk ahead, so the server works meanwhile), in `impact.Chunk`s, and screened
  outcome-only (`impact.Rescreen`).
- Past `IN_PROCESS_ROWS` of those, and while the machine has an idle core (`_cores`), the
  chunks go to min(cores, 4) worker processes forked by a fork server (`_context`): a fresh
  interpreter that imports only the pure screening code and gets raw text, so no database
  connection, lock or thread of the web worker is copied into them (which is how forked web
  workers break). They are shut down when the preview ends, however it ends, and exit by
  themselves if the web worker is killed. The web worker only reads and sends meanwhile.

The result is what screening every submission with `rules.screen` gives (tests/staff/
test_preview.py checks it on SQLite and PostgreSQL).
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import (
    FIRST_COMPLETED,
    CancelledError,
    Future,
    ProcessPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, Text, and_, case, cast, func, literal, not_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL
from sqlalchemy.sql.elements import ColumnElement

from intake.extensions import db
from intake.models import Submission
from intake.screening import impact, rules
from intake.staff.rules.preview_rows import driver_rows
from intake.staff.rules.rulesets import current_version

log = logging.getLogger(__name__)

#: Rows read per query round trip and handed to a worker at a time.
CHUNK = 2000
#: Rows screened in the web worker itself before worker processes are started.
IN_PROCESS_ROWS = 10_000
#: Answer ids that go into a JSON path as they are (with any other, every answer is read).
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_]+")


@dataclass
class Preview:
    """Outcome counts before and after a change, over recent submissions."""

    screened: int
    before: Counter
    after: Counter
    changed: list[tuple[Submission, str, str]]
    seconds: float
    #: how many of them had their answers read and screened (the rest provably kept theirs)
    read: int = 0
    #: the worker processes that screened them (0: this process alone)
    workers: int = 0


def preview(
    data: Mapping[str, Any],
    limit: int | None = 1000,
    pain_band_cuts=(4, 6),
    show: int = 200,
    *,
    workers: int | None = None,
) -> Preview:
    """Re-screen the last `limit` submissions (None: all) with the published rules and with
    `data`; count outcomes before and after and list (up to `show`) the submissions that
    change, newest first. `workers`: processes to use past IN_PROCESS_ROWS (default: see
    `_cores`, with a core left to a database server on this machine; 1 screens everything
    here)."""
    started = time.perf_counter()
    after_rules = rules.compile_ruleset(data)
    current = current_version()
    before_rules = rules.compile_ruleset(current.data)  # 2 ms; no cache to go stale
    tally, read, pool = impact.Tally(), 0, None
    window = _window(limit)
    if window is not None:
        rescreen = impact.Rescreen(before_rules, after_rules, current.id, pain_band_cuts)
        if workers is None:
            workers = _cores(spare=1 if _database_server_here(db.engine.url) else 0)
        pool = _Pool((current.data, dict(data), current.id, pain_band_cuts), workers)
        try:
            read = _count_window(tally, window, rescreen, pool)
        finally:
            pool.close()
    shown = sorted(tally.changed, reverse=True)[:show]  # newest first
    by_id = (
        {
            s.id: s
            for s in db.session.scalars(
                select(Submission).where(Submission.id.in_([i for i, _, _ in shown]))
            )
        }
        if shown
        else {}
    )
    return Preview(
        screened=sum(tally.before.values()),
        before=tally.before,
        after=tally.after,
        changed=[(by_id[i], old, new) for i, old, new in shown],
        seconds=time.perf_counter() - started,
        read=read,
        workers=pool.started if pool is not None else 0,
    )


def _window(limit: int | None) -> ColumnElement[bool] | None:
    """The last `limit` submissions as an id range, so every query here sees the same rows
    while patients keep submitting; None when there are none."""
    newest = db.session.scalar(select(func.max(Submission.id)))
    if newest is None or (limit is not None and limit < 1):
        return None
    if limit is None:
        return Submission.id <= newest
    oldest = db.session.scalar(
        select(Submission.id)
        .where(Submission.id <= newest)
        .order_by(Submission.id.desc())
        .offset(limit - 1)
        .limit(1)
    )
    return Submission.id.between(oldest, newest) if oldest is not None else Submission.id <= newest


def _count_window(
    tally: impact.Tally, window: ColumnElement[bool], rescreen: impact.Rescreen, pool: _Pool
) -> int:
    """Count the outcomes of the submissions in `window` before and after into `tally`;
    returns how many had their answers read."""
    change = rescreen.impact
    trusted = and_(  # "before" is the stored outcome, as it was before issue 16
        Submission.ruleset_version_id == rescreen.current_id,
        Submission.outcome.in_(rules.OUTCOMES),
    )
    kept = and_(trusted, Submission.outcome.in_(sorted(change.kept_outcomes)))
    inputs = change.inputs
    if inputs is not None and not all(_PLAIN_KEY.fullmatch(name) for name in inputs):
        inputs = None
    read_all = not_(trusted) if inputs is not None else not_(kept)
    how = case((kept, "kept"), (read_all, "read"), else_="check")
    query = (
        select(Submission.outcome, how, func.count())
        .where(window)
        .group_by(Submission.outcome, how)
    )
    to_read = 0
    for outcome, what, count in db.session.execute(query):
        if what == "kept":
            tally.before[outcome] += count
            tally.after[outcome] += count
        elif what == "read":
            to_read += count
    if to_read > IN_PROCESS_ROWS:
        pool.start()  # its processes start up while the inputs are checked
    recheck = []
    if inputs is not None:
        recheck = _check_inputs(tally, change, inputs, and_(window, trusted, not_(kept)))
    with closing(_rows(and_(window, read_all))) as chunks:
        screened = pool.run(rescreen, itertools.chain(chunks, _rows_by_id(recheck)))
    tally.add(screened)
    return sum(screened.before.values())


def _check_inputs(
    tally: impact.Tally,
    change: impact.Impact,
    inputs: tuple[str, ...],
    where: ColumnElement[bool],
) -> list[int]:
    """Read only the changed rules' inputs of these submissions: count those the change
    cannot alter, and return the ids of the others, to read in full and screen."""
    values = [_answer(name) for name in inputs]
    query = select(Submission.id, Submission.outcome, *values).where(where)
    recheck = []
    with closing(driver_rows(query, CHUNK)) as parts:
        for part in parts:
            for row in part:
                if change.may_change_stored(row[2:]):
                    recheck.append(row[0])
                else:
                    tally.before[row[1]] += 1
                    tally.after[row[1]] += 1
    return recheck


def _answer(name: str) -> ColumnElement[str]:
    """One stored answer as JSON text (NULL when not answered): the database picks it out,
    so the rest of the answers are neither sent nor decoded. `name` is a plain id. (The app
    stores answers with json.dumps of a dict: no key twice, where SQLite would take the first
    and json.loads the last.)"""
    if db.session.get_bind().dialect.name == "postgresql":
        picked = type_coerce(Submission.answers, JSONB).op("->")(literal(name, Text))
        return cast(picked, Text)
    path = literal(f'$."{name}"', Text)
    return type_coerce(Submission.answers, Text).op("->", return_type=Text)(path)


def _rows(where: ColumnElement[bool]) -> Iterator[impact.Chunk]:
    """These submissions, newest first, in chunks (answers as JSON text)."""
    query = _full_rows().where(where).order_by(Submission.id.desc())
    with closing(driver_rows(query, CHUNK)) as parts:
        yield from map(impact.chunk_of, parts)


def _rows_by_id(ids: list[int]) -> Iterator[impact.Chunk]:
    """The submissions with these ids, in chunks, as `_rows` gives them."""
    for start in range(0, len(ids), CHUNK):
        query = _full_rows().where(Submission.id.in_(ids[start : start + CHUNK]))
        with closing(driver_rows(query, CHUNK)) as parts:
            yield from map(impact.chunk_of, parts)


def _full_rows() -> Select:
    return select(
        Submission.id,
        cast(Submission.answers, Text),
        Submission.outcome,
        Submission.ruleset_version_id,
    )


class _Pool:
    """Screens chunks of rows: here, or past IN_PROCESS_ROWS (or once started) in worker
    processes. Should the workers fail (one killed, or starting one impossible here), their
    chunks are screened here instead: the preview is slower, never wrong or lost."""

    def __init__(self, setup: tuple, workers: int | None):
        self.setup = setup  # start_worker's arguments: plain data, so it can be sent
        self.size = _cores() if workers is None else max(1, workers)
        self.executor: ProcessPoolExecutor | None = None
        self.failed = False
        self.started = 0  # worker processes started

    def start(self) -> None:
        """Start the worker processes (once), unless one process is all it may use."""
        if self.executor is None and not self.failed and self.size > 1 and _spawn_is_safe():
            self.executor = ProcessPoolExecutor(
                max_workers=self.size,
                mp_context=_context(),
                initializer=impact.start_worker,
                initargs=self.setup,
            )
            self.started = self.size

    def run(self, rescreen: impact.Rescreen, chunks: Iterable[impact.Chunk]) -> impact.Tally:
        """The tally of every chunk (`changed` in no particular order)."""
        tally = impact.Tally()
        pending: dict[Future, impact.Chunk] = {}
        seen = 0
        for chunk in chunks:
            seen += len(chunk.ids)
            if seen > IN_PROCESS_ROWS:
                self.start()
            if self.executor is None:
                tally.add(rescreen(chunk))
                continue
            # Only reading and sending here: screening in this process too would hold the GIL
            # that the threads feeding the workers need, and starve them.
            while len(pending) >= 2 * self.size:  # chunks are megabytes: a few wait at once
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                self._collect(done, pending, tally, rescreen)
            if self.executor is not None:
                pending[self.executor.submit(impact.rescreen_in_worker, chunk)] = chunk
            else:
                tally.add(rescreen(chunk))
        self._collect(list(pending), pending, tally, rescreen)
        return tally

    def _collect(
        self,
        futures: Iterable[Future],
        pending: dict[Future, impact.Chunk],
        tally: impact.Tally,
        rescreen: impact.Rescreen,
    ) -> None:
        """Count these finished chunks; those of failed workers are screened here."""
        for future in futures:
            chunk = pending.pop(future)
            try:
                tally.add(future.result())
            except (BrokenProcessPool, CancelledError):  # cancelled: by close() below
                if not self.failed:
                    log.warning("impact preview: worker processes failed; screening in-process")
                self.failed = True
                self.close()
                tally.add(rescreen(chunk))

    def close(self) -> None:
        """Stop the worker processes, dropping chunks not started (after an error)."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


def _context() -> multiprocessing.context.BaseContext:
    """Worker processes forked by a fork server: a process of their own that this one starts
    (with "spawn", once; it then lives as long as this one, idle) and that imports the pure
    screening code once, so the second and later previews get workers in about a tenth of a
    second rather than a second. Where there is no fork server: "spawn" every time."""
    try:
        context = multiprocessing.get_context("forkserver")
    except ValueError:  # not on this platform
        return multiprocessing.get_context("spawn")
    context.set_forkserver_preload([impact.__name__])
    return context


@cache
def _spawn_is_safe() -> bool:
    """Whether worker processes may start. Each runs the main script again (as `__mp_main__`;
    with "spawn" and, on Python 3.11, with a fork server too), which does nothing only behind
    `if __name__ == "__main__"` (gunicorn, flask, pytest and bench/ have it). A script without
    it would run again in every worker, so then the preview screens in this process only."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if path is None:  # an interactive session or `python -c`: nothing to run again
        return True
    try:
        return "__main__" in Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _cores(spare: int = 0) -> int:
    """Worker processes to use: min(cores - spare, 4) while a core is idle (the load average
    over the last minute is under cores - 1), else 1, screening here. On a busy machine they
    would only take turns with the rest (on the shared 2-core machine of the README's figures
    they made the preview slower), and the patients' pages come first. `spare`: cores left to
    the database server (`_database_server_here`)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average here
        busy = 0.0
    usable = cores - spare
    return min(usable, 4) if usable > 1 and busy < cores - 1 else 1


#: Host names of a PostgreSQL server on this machine (no host: its Unix socket).
_HERE = (None, "", "localhost", "127.0.0.1", "::1")


def _database_server_here(url: URL) -> bool:
    """Whether the database is PostgreSQL on this machine. While the preview reads, the server
    turns the stored answers into text, a core's work (1.4-1.8 s of its CPU per 100,000), so
    a core is left to it: on 2 cores, two worker processes beside it made the slowest
    preview 3.3-4.0 s, one process 2.6-3.0 s (README, Benchmarks)."""
    return url.get_backend_name() == "postgresql" and url.host in _HERE
