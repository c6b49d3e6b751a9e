"""Reading many rows for the impact preview with the database driver's own cursor.

SQLAlchemy's rows cost as much again as reading them (issue 16), so the preview's big reads
go through the driver's cursor, in the session's transaction, as plain tuples:

- SQLite: `fetchmany`, here. Reading ahead in a thread gained nothing (2.3-3.0 s either
  way, reading and screening 100,000): SQLite works in this process, mostly under the GIL.
- PostgreSQL (psycopg): a server-side cursor, fetched from by a thread of its own one chunk
  ahead. psycopg lets go of the GIL while it waits for the server, so the server turns the
  next rows' answers into text (1.4-1.8 s of its CPU for 100,000) while these are screened,
  rather than in turns. Reading and screening 100,000 answer sets alone (load average 1.2):
  2.3-2.9 s reading ahead, 4.0-4.4 s a FETCH at a time, 3.4-4.1 s with psycopg's `stream`
  (the server stops once the socket's buffers are full).
  The session must not be used meanwhile (the preview does not).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select

from intake.extensions import db

_END = object()


def driver_rows(query: Select, size: int) -> Iterator[list[tuple]]:
    """The rows of `query` in lists of `size` tuples, read as the module docstring says.
    Close it (or read it to the end) before using the session again."""
    connection = db.session.connection()
    compiled = query.compile(connection, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.params
    if compiled.positiontup is not None:  # SQLite's "?" placeholders
        params = tuple(params[name] for name in compiled.positiontup)
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        cursor = driver.cursor(name="intake_preview_rows")
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(str(compiled), params)
        if connection.dialect.name == "postgresql":
            yield from _ahead(cursor, size)
        else:
            while part := cursor.fetchmany(size):
                yield part
    finally:
        cursor.close()


def _ahead(cursor: Any, size: int) -> Iterator[list[tuple]]:
    """`cursor.fetchmany(size)` until it is empty, fetched by another thread a list ahead.
    Its errors are raised here; closed early, this waits for the thread's fetch to end."""
    parts: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                parts.put(item, timeout=0.05)
                return
            except queue.Full:
                pass

    def read() -> None:
        end: object = _END
        try:
            while not stop.is_set() and (part := cursor.fetchmany(size)):
                put(part)
        except BaseException as error:
            end = error
        put(end)

    reader = threading.Thread(target=read, name="preview-rows", daemon=True)
    reader.start()
    try:
        while (item := parts.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        reader.join()
