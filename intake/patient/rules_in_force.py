"""The published rule set in force, compiled once per process and version.

Published versions are immutable and never deleted (every change is a new, higher-numbered
version), so a version id names one compiled rule set for good. What can change is which
version is in force: a publish in any process (another gunicorn worker, another server, the
`rules` command). So each patient request still asks the database for the id in force, but
only for the id: `published_id_column()` folds it into the query that loads the draft, and
only an id this process has not seen yet costs a read of the rule-set data (about 23 KB of
JSON) and a compile. A publish elsewhere is therefore picked up by the next request here.

The cache is kept per SQLAlchemy engine (one per app), so several apps in one process (tests,
or two clinics' databases) never share compiled rules by accident; it holds the last few
versions each, as the version in force only ever moves forward.
"""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import Label, select
from sqlalchemy.engine import Engine

from intake.extensions import db
from intake.models import RuleSetVersion
from intake.screening import rules
from intake.staff.rules.rulesets import NoRuleSet

#: Compiled versions kept per engine: the one in force and a few before it (a publish while
#: a patient is between pages).
KEPT = 4

#: engine -> {version id: compiled rule set}
_compiled: weakref.WeakKeyDictionary[Engine, dict[int, rules.RuleSet]]
_compiled = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def published_id_column() -> Label[int]:
    """The id of the version in force (the highest number), as a column to add to a query;
    NULL when nothing is published. Reads one row of the unique index on `number`."""
    return (
        select(RuleSetVersion.id)
        .order_by(RuleSetVersion.number.desc())
        .limit(1)
        .scalar_subquery()
        .label("published_rules_id")
    )


def published_id() -> int:
    """The id of the version in force, on its own (one small query); raises NoRuleSet."""
    return _known(db.session.scalar(select(published_id_column())))


def compiled(version_id: int | None) -> rules.RuleSet:
    """The compiled rule set of a published version, from this process's cache when it has
    been compiled here before; None (nothing published) raises NoRuleSet."""
    version_id = _known(version_id)
    engine = db.engine
    cached = _compiled.get(engine, {}).get(version_id)
    if cached is not None:
        return cached
    data = db.session.scalar(select(RuleSetVersion.data).where(RuleSetVersion.id == version_id))
    if data is None:
        raise NoRuleSet(f"Rule-set version {version_id} does not exist.")
    ruleset = rules.compile_ruleset(data)
    with _lock:
        versions = _compiled.setdefault(engine, {})
        versions[version_id] = ruleset
        for old in sorted(versions)[:-KEPT]:
            del versions[old]
    return ruleset


def _known(version_id: int | None) -> int:
    if version_id is None:
        raise NoRuleSet("No screening rules are published: run `flask --app wsgi rules seed`.")
    return version_id
