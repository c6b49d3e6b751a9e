"""How long the rule-change impact preview takes over many stored submissions.

Run: .venv/bin/python bench/preview.py [--n 100000] [--database-url URL]

Stores N generated, valid submissions (bench/screening.py's generator) in a fresh database
(SQLite in a temporary folder by default), then times ``rulesets.preview`` over all of them
with a draft that changes one rule: every submission is read and screened with the draft;
the published rules' result is the stored outcome for submissions they screened.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intake import create_app  # noqa: E402
from intake.extensions import db  # noqa: E402
from intake.models import Submission  # noqa: E402
from intake.screening import questionnaire, rules  # noqa: E402
from intake.staff.rules import rulesets  # noqa: E402


def _generator():
    spec = importlib.util.spec_from_file_location("screening_bench", ROOT / "bench/screening.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{tmp / 'preview.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        version = rulesets.seed_default()
        db.session.commit()
        started = time.perf_counter()
        answer_sets = _generator()(
            min(args.n, 20_000), 20261123, questionnaire.MIN_AGE_SELF_CONSENT
        )
        rows = [
            {
                "token": f"t{i}",
                "reference": f"DN-B{i:07d}",
                "answers": answer_sets[i % len(answer_sets)],
                "scores": {},
                "fired": [],
                "outcome": "suitable",
                "questionnaire_version": questionnaire.VERSION,
                "ruleset_version_id": version.id,
            }
            for i in range(args.n)
        ]
        db.session.execute(Submission.__table__.insert(), rows)
        db.session.commit()
        took = time.perf_counter() - started
        print(f"stored {args.n:,} submissions in {took:.1f} s ({url.split(':')[0]})")
        draft = rules.default_data()
        for rule in draft["rules"]:
            if rule["id"] == "anticoagulant":
                rule["outcome"] = "not_advised"
        result = rulesets.preview(draft, None)
        print(
            f"preview of {result.screened:,} submissions (read, screened with the draft): "
            f"{result.seconds:.1f} s, {result.screened / result.seconds:,.0f} submissions/s"
        )
        changed = sum(1 for _ in result.changed)
        print(
            f"outcomes changed: {result.after['not_advised'] - result.before['not_advised']:+,} "
            f"not advised (first {changed} listed)"
        )
        db.session.remove()
        db.drop_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
