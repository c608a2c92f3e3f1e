"""app/alerts/evaluate.py: when a state crosses, on hand-built observations."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

from app.alerts.evaluate import AT_RISK, CREEP, TARGET_DATE_MOVED, Observation, Rule, evaluate

AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
ITEM = uuid.UUID(int=1)
RULE = Rule(uuid.UUID(int=100), team=None, roadmap_item_id=None, creep_threshold_pct=10.0)
SEEN = Observation(
    item_id=ITEM, key="IDEA-1", title="Checkout", url="https://acme.atlassian.net/browse/IDEA-1",
    team="product", teams=frozenset({"web", "payments"}), creep_pct=None, at_risk=False,
    risk_reasons=(), target_date=date(2027, 6, 30),
)  # fmt: skip


def run(*observations: Observation, rule: Rule = RULE) -> list[list[tuple[str, str]]]:
    """Evaluate each observation in turn, keeping the states: the alerts of each round."""
    last: dict[tuple[uuid.UUID, uuid.UUID, str], str] = {}
    rounds = []
    for seen in observations:
        changes, notices = evaluate([rule], [seen], last, AT)
        last |= {change.key: change.new for change in changes}
        rounds.append([(notice.kind, notice.payload["text"]) for notice in notices])
    return rounds


def test_creep_alerts_once_per_crossing() -> None:
    creep = [replace(SEEN, creep_pct=pct) for pct in (None, 4.0, 12.5, 30.0, 9.9, 10.0)]
    assert [[kind for kind, _ in notices] for notices in run(*creep)] == [
        [], [], [CREEP], [], [], [CREEP],  # no baseline; below; crosses; stays; back; again
    ]  # fmt: skip
    assert run(*creep)[2][0][1] == "Scope creep on IDEA-1 Checkout: 12.5% (threshold 10%)"


def test_the_threshold_is_the_target_s() -> None:
    rule = replace(RULE, creep_threshold_pct=25.0)
    creep = [replace(SEEN, creep_pct=pct) for pct in (0.0, 12.5, 30.0)]
    assert run(*creep, rule=rule) == [[], [], [(CREEP, "Scope creep on IDEA-1 Checkout: 30% "
                                                        "(threshold 25%)")]]  # fmt: skip


def test_becoming_at_risk_alerts_and_staying_at_risk_does_not() -> None:
    risky = replace(SEEN, at_risk=True, risk_reasons=("internal dates after target",))
    assert run(SEEN, risky, risky, SEEN, risky) == [
        [], [(AT_RISK, "IDEA-1 Checkout is at risk: internal dates after target")], [], [],
        [(AT_RISK, "IDEA-1 Checkout is at risk: internal dates after target")],
    ]  # fmt: skip


def test_an_item_already_at_risk_when_the_target_is_made_is_not_news() -> None:
    assert run(replace(SEEN, at_risk=True, risk_reasons=("x",))) == [[]]


def test_every_move_of_the_target_date_but_setting_or_clearing_it() -> None:
    dates = [date(2027, 6, 30), date(2027, 7, 14), date(2027, 7, 14), date(2027, 7, 10), None,
             date(2027, 8, 1)]  # fmt: skip
    rounds = run(*(replace(SEEN, target_date=d) for d in dates))
    assert rounds == [
        [], [(TARGET_DATE_MOVED, "Target date of IDEA-1 Checkout moved 2027-06-30 → 2027-07-14 "
                                 "(+14 days)")],
        [], [(TARGET_DATE_MOVED, "Target date of IDEA-1 Checkout moved 2027-07-14 → 2027-07-10 "
                                 "(-4 days)")],
        [], [],
    ]  # fmt: skip


def test_a_target_sees_only_what_it_watches() -> None:
    moved = replace(SEEN, target_date=date(2027, 7, 1))
    for rule, alerted in (
        (replace(RULE, team="web"), True),  # a team delivering it
        (replace(RULE, team="product"), True),  # the team owning it
        (replace(RULE, team="mobile"), False),
        (replace(RULE, roadmap_item_id=ITEM), True),
        (replace(RULE, roadmap_item_id=uuid.UUID(int=2)), False),
    ):
        assert bool(run(SEEN, moved, rule=rule)[1]) is alerted, rule


def test_the_payload() -> None:
    changes, notices = evaluate(
        [RULE], [replace(SEEN, target_date=date(2027, 7, 3))],
        {(RULE.target_id, ITEM, TARGET_DATE_MOVED): "2027-06-30"}, AT,
    )  # fmt: skip
    [notice] = notices
    assert notice.payload == {
        "text": "Target date of IDEA-1 Checkout moved 2027-06-30 → 2027-07-03 (+3 days)",
        "kind": "target_date_moved",
        "roadmap_item": {"id": str(ITEM), "key": "IDEA-1", "title": "Checkout",
                         "url": "https://acme.atlassian.net/browse/IDEA-1"},
        "creep_pct": None, "creep_threshold_pct": 10.0,
        "old_target_date": "2027-06-30", "new_target_date": "2027-07-03",
        "at_risk": False, "risk_reasons": [], "at": "2026-12-04T12:00:00+00:00",
    }  # fmt: skip
    assert {change.key[2] for change in changes} == {TARGET_DATE_MOVED, AT_RISK}


def test_an_item_a_team_joins_already_at_risk_is_news_to_the_team() -> None:
    alone = replace(SEEN, teams=frozenset())
    joined = replace(SEEN, at_risk=True, risk_reasons=("late",), teams=frozenset({"mobile"}))
    assert run(alone, joined, rule=replace(RULE, team="mobile")) == [
        [], [(AT_RISK, "IDEA-1 Checkout is at risk: late")],
    ]  # fmt: skip
