"""The forecast's arithmetic, against values worked out by hand."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.roadmap.forecast import (
    LONGER_THAN_TEN_YEARS,
    MAX_WEEKS,
    WEEKS,
    Completed,
    TeamPace,
    forecast,
    shared_pace,
    weekly_pace,
)

TODAY = date(2026, 5, 4)  # a Monday


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_weekly_pace_counts_each_ticket_in_the_week_it_closed() -> None:
    completed = [
        Completed("web", at(TODAY - timedelta(days=1)), 3),  # last week
        Completed("web", at(TODAY - timedelta(days=7)), 2),  # last week's first day
        Completed("web", at(TODAY - timedelta(days=8)), 5),  # the week before
        Completed(None, at(TODAY - timedelta(days=41)), 1),  # the oldest week, no team
        Completed("web", at(TODAY - timedelta(days=43)), 8),  # too old
        Completed("web", at(TODAY), 13),  # this week is not over
    ]
    paces = weekly_pace(completed, TODAY)
    assert paces["web"] == ([0, 0, 0, 0, 5, 5], [0, 0, 0, 0, 1, 2])
    assert paces["(no team)"] == ([1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0])


def test_a_steady_pace_gives_one_date() -> None:
    paces = {"web": TeamPace([5.0] * 6, "web")}
    done = forecast({"web": 12}, paces, TODAY)  # 5, 10, 15: the third week
    assert (done.p50, done.p85, done.reason) == (TODAY + timedelta(weeks=3),) * 2 + (None,)


def test_the_slowest_team_decides() -> None:
    paces = {"web": TeamPace([10.0] * 6, "web"), "api": TeamPace([2.0] * 6, "api")}
    done = forecast({"web": 10, "api": 7}, paces, TODAY)  # web: 1 week; api: 2, 4, 6, 8
    assert (done.p50, done.p85) == (TODAY + timedelta(weeks=4),) * 2


def test_an_uneven_pace_gives_a_range() -> None:
    # 10 points in one week of three: done within w weeks with chance 1 - (2/3)^w
    # = .33, .56, .70, .80, .87: half by week 2, 85% by week 5.
    paces = {"web": TeamPace([0.0, 0.0, 10.0], "web")}
    done = forecast({"web": 10}, paces, TODAY)
    assert (done.p50, done.p85) == (TODAY + timedelta(weeks=2), TODAY + timedelta(weeks=5))


def test_no_forecast_without_a_pace_and_none_needed_when_done() -> None:
    paces = {"web": TeamPace([0.0] * 6, "web")}
    stalled = forecast({"web": 3, "api": 1}, paces, TODAY)
    assert (stalled.p50, stalled.p85) == (None, None)
    assert stalled.reason == "no completed work in 6 weeks: api, web"
    finished = forecast({"web": 0}, paces, TODAY)
    assert (finished.p50, finished.p85) == (TODAY, TODAY)


def test_the_same_futures_in_every_call() -> None:
    first = forecast({"web": 30}, {"web": TeamPace([0.0, 3.0, 9.0], "web")}, TODAY)
    again = forecast({"web": 30}, {"web": TeamPace([0.0, 3.0, 9.0], "web")}, TODAY)
    assert first == again


@given(
    st.lists(st.integers(0, 13), min_size=WEEKS, max_size=WEEKS).filter(any),
    st.lists(st.integers(0, 8), min_size=WEEKS, max_size=WEEKS).filter(any),
    st.integers(1, 400),
    st.integers(0, 400),
)
@settings(max_examples=25, deadline=None)
def test_the_forecast_is_the_first_week_a_week_by_week_search_finds(
    web: list[int], api: list[int], web_left: int, api_left: int
) -> None:
    """The forecast skips through the weeks; walking them one by one over the
    same futures must find the same first weeks for half and 85% of the runs."""
    remaining = {"web": float(web_left), "api": float(api_left)}
    likely = forecast(remaining, {"web": TeamPace(web, "w"), "api": TeamPace(api, "a")}, TODAY)
    paces = {"web": TeamPace(web, "w"), "api": TeamPace(api, "a")}

    def share(weeks: int) -> float:
        done = 1.0
        for team, left in remaining.items():
            if left > 0:
                done *= paces[team].share_done(weeks, left)
        return done

    p50 = next((w for w in range(1, MAX_WEEKS + 1) if share(w) >= 0.5), None)
    p85 = next((w for w in range(p50 or MAX_WEEKS, MAX_WEEKS + 1) if share(w) >= 0.85), None)
    if p50 is None or p85 is None:  # beyond ten years
        assert (likely.p50, likely.p85, likely.reason) == (None, None, LONGER_THAN_TEN_YEARS)
    else:
        assert (likely.p50, likely.p85) == (
            TODAY + timedelta(weeks=p50),
            TODAY + timedelta(weeks=p85),
        )


def test_a_pace_shared_between_requests_forecasts_what_a_fresh_one_does() -> None:
    weekly = (0.0, 3.0, 5.0, 0.0, 8.0, 2.0)
    fresh = forecast({"web": 30.0, "api": 4.0},
                     {"web": TeamPace(list(weekly), "web"), "api": TeamPace([1.0] * 6, "api")},
                     TODAY)  # fmt: skip
    assert (fresh.reason, fresh.p50 is None, fresh.p85 is None) == (None, False, False)
    for _ in range(2):  # the second time, from what the first worked out
        paces = {"web": shared_pace(weekly, "web"), "api": shared_pace((1.0,) * 6, "api")}
        assert forecast({"web": 30.0, "api": 4.0}, paces, TODAY) == fresh
    assert shared_pace(weekly, "web") is shared_pace(weekly, "web")


def test_remembered_forecasts_let_a_replaced_pace_go() -> None:
    """A pace that leaves the shared cache must not live on in remembered
    forecasts: making a new pace forgets them (no memory held past the cache)."""
    old = shared_pace((2.0,) * 6, "mem")
    forecast({"mem": 10.0}, {"mem": old}, TODAY)
    held = weakref.ref(old)
    del old
    shared_pace.cache_clear()  # as when the pace is evicted
    shared_pace((3.0,) * 6, "mem")  # a new pace: a team's recent weeks changed
    gc.collect()
    assert held() is None
