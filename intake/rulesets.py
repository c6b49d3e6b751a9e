"""Staff-side operations on rule sets: the published version in force, and seeding."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select

from intake import rules
from intake.extensions import db
from intake.models import RuleSetVersion


class NoRuleSet(RuntimeError):
    """No rule set has been published yet (run `flask rules seed`)."""


def current_version() -> RuleSetVersion:
    """The published rule-set version in force (the highest number)."""
    version = db.session.scalars(
        select(RuleSetVersion).order_by(RuleSetVersion.number.desc()).limit(1)
    ).first()
    if version is None:
        raise NoRuleSet("No screening rules are published: run `flask --app wsgi rules seed`.")
    return version


@lru_cache(maxsize=32)
def _compiled(version_id: int, number: int) -> rules.RuleSet:
    version = db.session.get(RuleSetVersion, version_id)
    return rules.compile_ruleset(version.data)


def compiled(version: RuleSetVersion) -> rules.RuleSet:
    """The compiled rule set of a version; versions are immutable, so this is cached."""
    return _compiled(version.id, version.number)


def seed_default() -> RuleSetVersion | None:
    """Publish the shipped default rules as version 1 unless a version exists; flushes."""
    if db.session.scalars(select(RuleSetVersion.id).limit(1)).first() is not None:
        return None
    data = rules.default_data()
    rules.compile_ruleset(data)  # refuses invalid shipped rules loudly
    version = RuleSetVersion(number=1, data=data, note="Default rules shipped with Intake")
    db.session.add(version)
    db.session.flush()
    return version
