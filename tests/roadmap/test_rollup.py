"""The rollup arithmetic, by hand."""

from __future__ import annotations

import uuid
from datetime import date

from app.roadmap.rollup import (
    INTERNAL_AFTER_TARGET,
    TARGET_PASSED,
    Medians,
    Ticket,
    estimates_of,
    roll_up,
    tally,
    team_medians,
)

TODAY = date(2026, 5, 1)
NONE = Medians({}, None)


def ticket(status: str, estimate: float | None, team: str | None = "web",
           due: date | None = None) -> Ticket:  # fmt: skip
    return Ticket(uuid.uuid4(), team, status, estimate, due)


def test_by_points_with_a_missing_estimate_at_the_team_median() -> None:
    tickets = [ticket("done", 1), ticket("todo", 3), ticket("todo", 8), ticket("done", None)]
    medians = team_medians(estimates_of(tickets))
    assert (medians.by_team, medians.overall) == ({"web": 3}, 3)
    rollup = roll_up(tally(tickets), target_date=None, medians=medians, today=TODAY)
    figures = rollup.figures
    assert (figures.tickets_total, figures.tickets_done) == (4, 2)
    assert (figures.points_total, figures.points_done) == (15, 4)  # 1+3+8+3, 1+3
    assert (rollup.progress, rollup.progress_by, rollup.points_assumed) == (4 / 15, "points", 1)


def test_by_count_when_nothing_is_estimated_and_cancelled_counts_nowhere() -> None:
    tickets = [ticket("done", None), ticket("in_progress", None), ticket("cancelled", None)]
    rollup = roll_up(tally(tickets), target_date=None, medians=NONE, today=TODAY)
    assert (rollup.figures.tickets_total, rollup.figures.tickets_done) == (2, 1)
    assert (rollup.progress, rollup.progress_by, rollup.points_assumed) == (0.5, "count", 0)


def test_per_team_figures_and_no_team() -> None:
    tickets = [ticket("done", 2, "web"), ticket("todo", 5, "api"), ticket("todo", 1, None)]
    rollup = roll_up(tally(tickets), target_date=None, medians=NONE, today=TODAY)
    assert {team: (f["tickets_total"], f["points_done"]) for team, f in rollup.teams.items()} == {
        "(no team)": (1, 0), "api": (1, 0), "web": (1, 2),
    }  # fmt: skip


def test_risks() -> None:
    late = [ticket("todo", 1, due=date(2026, 6, 2)), ticket("done", 1, due=date(2026, 5, 20))]
    rollup = roll_up(tally(late), target_date=date(2026, 6, 1), medians=NONE, today=TODAY)
    assert (rollup.internal_due, rollup.at_risk) == (date(2026, 6, 2), True)
    assert rollup.risk_reasons == [INTERNAL_AFTER_TARGET]
    passed = roll_up(tally(late), target_date=date(2026, 4, 1), medians=NONE, today=TODAY)
    assert passed.risk_reasons == [INTERNAL_AFTER_TARGET, TARGET_PASSED]
    on_time = roll_up(tally(late[1:]), target_date=date(2026, 6, 1), medians=NONE, today=TODAY)
    assert (on_time.at_risk, on_time.risk_reasons) == (False, [])


def test_work_all_done_is_at_risk_no_more_whatever_its_dates() -> None:
    done = [ticket("done", 1, due=date(2026, 6, 20)), ticket("cancelled", 1, due=date(2026, 7, 1))]
    rollup = roll_up(tally(done), target_date=date(2026, 4, 1), medians=NONE, today=TODAY)
    assert (rollup.internal_due, rollup.progress) == (date(2026, 6, 20), 1.0)
    assert (rollup.at_risk, rollup.risk_reasons) == (False, [])


def test_an_empty_rollup() -> None:
    rollup = roll_up(tally([]), target_date=None, medians=NONE, today=TODAY)
    assert (rollup.figures.tickets_total, rollup.progress, rollup.internal_due) == (0, 0.0, None)


def test_a_team_that_estimated_nothing_counts_at_the_overall_median() -> None:
    tickets = [ticket("done", 2, "api"), ticket("todo", 6, "api"), ticket("cancelled", 100, "web"),
               ticket("done", None, "web")]  # fmt: skip
    medians = team_medians(estimates_of(tickets))
    assert (medians.by_team, medians.overall) == ({"api": 4}, 4)
    rollup = roll_up(tally(tickets), target_date=None, medians=medians, today=TODAY)
    assert (rollup.figures.points_total, rollup.figures.points_done) == (12, 6)
    assert rollup.points_assumed == 1


def test_in_progress_by_count_and_by_points_at_the_median() -> None:
    tickets = [ticket("in_progress", 5), ticket("in_progress", None), ticket("todo", 1),
               ticket("done", 3), ticket("cancelled", 8)]  # fmt: skip
    medians = team_medians(estimates_of(tickets))  # web: median of 5, 1, 3 = 3
    figures = roll_up(tally(tickets), target_date=None, medians=medians, today=TODAY).figures
    assert (figures.tickets_in_progress, figures.points_in_progress) == (2, 5 + 3)
    assert (figures.tickets_total, figures.points_total) == (4, 5 + 3 + 1 + 3)
