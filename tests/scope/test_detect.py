"""detect(): scope before vs scope after, on hand-built scopes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from app.scope.detect import Scope, ScopeChange, TicketState, Timing, detect

A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
T3 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def scope(
    tickets: dict[uuid.UUID, tuple[float | None, str]] | None = None,
    status: str = "in_progress",
    target: date | None = date(2026, 6, 30),
    description: str | None = "Pay by card",
) -> Scope:
    states = {t: TicketState(e, s) for t, (e, s) in (tickets or {}).items()}
    return Scope(states, status, target, description)


def test_nothing_changed_is_no_change() -> None:
    same = scope({A: (3, "todo")})
    assert detect(same, scope({A: (3, "todo")}), Timing(T1)) == []


def test_tickets_added_and_removed_with_their_points() -> None:
    before = scope({A: (3, "todo"), B: (None, "todo")})
    after = scope({A: (3, "todo"), C: (5, "todo")})
    assert detect(before, after, Timing(T1)) == [
        ScopeChange("ticket_removed", B, None, None, T1, points_delta=0.0),
        ScopeChange("ticket_added", C, None, 5, T1, points_delta=5.0),
    ]


def test_an_estimate_raised_and_a_ticket_reopened_at_the_ticket_s_own_time() -> None:
    before = scope({A: (3, "done"), B: (2, "todo")})
    after = scope({A: (3, "in_progress"), B: (5, "todo")})
    timing = Timing(T1, tickets={A: T2, B: T3})
    assert detect(before, after, timing) == [
        ScopeChange("reopened", A, "done", "in_progress", T2),
        ScopeChange("estimate_changed", B, 2, 5, T3, points_delta=3.0),
    ]


def test_an_estimate_removed_counts_as_zero() -> None:
    [change] = detect(scope({A: (8, "todo")}), scope({A: (None, "todo")}), Timing(T1))
    assert (change.type, change.points_delta) == ("estimate_changed", -8.0)


def test_target_date_moved_later_earlier_and_cleared() -> None:
    timing = Timing(T1, item=T2)
    [later] = detect(scope(target=date(2026, 6, 30)), scope(target=date(2026, 7, 14)), timing)
    assert (later.type, later.old, later.new, later.days, later.at) == (
        "target_date_moved", "2026-06-30", "2026-07-14", 14, T2,
    )  # fmt: skip
    [earlier] = detect(scope(target=date(2026, 7, 14)), scope(target=date(2026, 7, 4)), timing)
    assert earlier.days == -10
    [cleared] = detect(scope(target=date(2026, 7, 4)), scope(target=None), timing)
    assert (cleared.new, cleared.days) == (None, None)


def test_a_first_target_date_is_a_commitment_not_a_move() -> None:
    assert detect(scope(target=None), scope(target=date(2026, 6, 30)), Timing(T1)) == []


def test_whitespace_only_edits_are_not_description_changes() -> None:
    before = scope(description="Pay by card\nand by bank transfer")
    after = scope(description="  Pay by   card and by\tbank transfer\n")
    assert detect(before, after, Timing(T1)) == []


def test_a_description_change_has_a_summary_of_the_words() -> None:
    before = scope(description="Pay by card and by bank transfer")
    after = scope(description="Pay by card, by bank transfer and by PayPal")
    [change] = detect(before, after, Timing(T1, item=T2))
    # "card" -> "card,"; "and" dropped; "and by PayPal" appended: 4 added, 2 removed.
    assert change.type == "description_changed"
    assert change.summary == '+4 words, -2 words; +"card, and by PayPal"; -"card and"'
    assert (change.old, change.new, change.at) == (before.description, after.description, T2)


def test_the_roadmap_item_reopened() -> None:
    [change] = detect(scope(status="done"), scope(status="todo"), Timing(T1, item=T2))
    assert (change.type, change.ticket, change.old, change.new, change.at) == (
        "reopened", None, "done", "todo", T2,
    )  # fmt: skip


def test_cancelling_is_not_reopening() -> None:
    assert detect(scope(status="done"), scope(status="cancelled"), Timing(T1)) == []


def test_the_same_change_has_the_same_fingerprint() -> None:
    one = detect(scope({}), scope({A: (3, "todo")}), Timing(T1))[0]
    again = detect(scope({}), scope({A: (3, "todo")}), Timing(T1))[0]
    later = detect(scope({}), scope({A: (3, "todo")}), Timing(T2))[0]
    assert one.fingerprint == again.fingerprint != later.fingerprint
