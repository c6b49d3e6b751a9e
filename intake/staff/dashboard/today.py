"""Today's work (issue 13): what the desk should act on first, each a count, the first few
requests (longest waiting first) and a link to the requests list filtered to exactly those.

Two queries whatever the data: every count (each stops at COUNT_CAP, read from an index) in
one, and every pile's first rows, found by key and limited each on its own, united, in the
other. The piles are filters of the list (finding.RequestFilter), so a count, its rows and its
link always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Row, literal_column, select, union_all

from intake import clinic_time
from intake.extensions import db
from intake.models import BookingRequest, Submission
from intake.staff.requests import finding

#: rows shown under each count
ROWS_SHOWN = 5


@dataclass
class Pile:
    """One kind of work: its filter (and so its link), how many, and the first few."""

    key: str
    title: str
    #: what the count counts, singular and plural: "new request", "new requests"
    noun: tuple[str, str]
    #: what follows the count and its noun: "waiting to be contacted."
    note: str
    #: said when there is none
    empty: str
    filters: finding.RequestFilter
    count: int = 0
    rows: list[Work] = field(default_factory=list)

    @property
    def count_words(self) -> str:
        """The count as the page says it: "3", or "more than 10,000"."""
        return finding.in_words(self.count, self.filters.count_cap)

    @property
    def capped(self) -> bool:
        """Whether there are more than were counted."""
        return self.count > self.filters.count_cap

    @property
    def noun_words(self) -> str:
        """ "new request" or "new requests", to go with the count."""
        return self.noun[0] if self.count == 1 else self.noun[1]

    @property
    def args(self) -> dict[str, str]:
        """The requests list's query string showing exactly this pile, longest waiting first."""
        return self.filters.as_args()


@dataclass(frozen=True)
class Work:
    """A request in a pile: no names on the dashboard, only what says how urgent it is."""

    id: int
    reference: str
    outcome: str
    status: str
    waiting: str
    overdue: bool
    #: for call-backs: "today", "since Mon 07 Dec", "no day given"; "" otherwise
    call_back: str


def piles(context: finding.Context) -> list[Pile]:
    """The day's work for the staff member `context` names, in the order to do it."""

    def only(**filters: str) -> finding.RequestFilter:
        return finding.RequestFilter(sort="oldest", context=context, **filters)

    promise = clinic_time.promise_words()
    found = [
        Pile(
            "new",
            "New requests",
            ("new request", "new requests"),
            "waiting to be contacted.",
            "No new requests.",
            only(status="new"),
        ),
        Pile(
            "overdue",
            "Overdue",
            ("overdue request", "overdue requests"),
            f"still new after the promised {promise} (weekends skipped).",
            "Nothing overdue.",
            only(due="overdue"),
        ),
        Pile(
            "call_back",
            "Call-backs due",
            ("call-back due", "call-backs due"),
            "today or earlier (or with no call-back day given).",
            "No call-backs due.",
            only(due="call_back"),
        ),
        Pile(
            "doctor",
            "See a doctor first",
            ("see-a-doctor request", "see-a-doctor requests"),
            "not yet reached: the patient was advised to see a doctor before dry needling.",
            "No see-a-doctor requests waiting.",
            only(outcome="urgent", status="unreached"),
        ),
    ]
    if context.user_id is not None:
        found.append(
            Pile(
                "mine",
                "Assigned to you",
                ("open request assigned to you", "open requests assigned to you"),
                "(new, tried to call or contacted).",
                "Nothing open is assigned to you.",
                only(assigned="me", status="open"),
            )
        )
    _fill(found, context)
    return found


def _fill(found: list[Pile], context: finding.Context) -> None:
    """Count every pile and read its first rows: two queries."""
    counts = db.session.execute(select(*(finding.capped_count(p.filters) for p in found))).one()
    parts = []
    for index, pile in enumerate(found):
        limited = pile.filters.matching(
            literal_column(str(index)).label("pile"),
            BookingRequest.id,
            BookingRequest.created_at,
            order="oldest",
            limit=ROWS_SHOWN,
        )
        parts.append(select(*limited.subquery().c))
    listed = union_all(*parts).subquery("listed")
    rows = db.session.execute(
        select(
            listed.c.pile,
            listed.c.id,
            listed.c.created_at,
            BookingRequest.status,
            BookingRequest.call_back_on,
            Submission.reference,
            Submission.outcome,
        )
        .join(BookingRequest, BookingRequest.id == listed.c.id)
        .join(Submission, Submission.id == BookingRequest.submission_id)
        .order_by(listed.c.pile, listed.c.created_at, listed.c.id)
    ).all()
    for pile, count in zip(found, counts, strict=True):
        pile.count = count
    for row in rows:
        found[row.pile].rows.append(_work(row, context))


def _work(row: Row, context: finding.Context) -> Work:
    return Work(
        id=row.id,
        reference=row.reference,
        outcome=row.outcome,
        status=row.status,
        waiting=clinic_time.waiting_words(row.created_at, context.now),
        overdue=context.is_overdue(row.status, row.created_at),
        call_back=context.call_back_words(row.status, row.call_back_on),
    )
