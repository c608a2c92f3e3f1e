"""The dashboard's chart geometry and row rules, by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.roadmap.burnup import BurnPoint, sample_days
from app.web.auth import local_path
from app.web.charts import Scale, bar, burn_up, shares
from app.web.rows import web_url
from app.web.views import monday_of

SCALE = Scale(date(2026, 1, 1), date(2026, 1, 11), 100)  # 10 days on 100 px


def test_a_scale_maps_days_linearly() -> None:
    assert (SCALE.x(date(2026, 1, 1)), SCALE.x(date(2026, 1, 6)), SCALE.x(date(2026, 1, 11))) == (
        0, 50, 100,
    )  # fmt: skip


def test_month_ticks_thin_out_to_stay_readable() -> None:
    year = Scale(date(2026, 1, 1), date(2026, 12, 31), 1200)  # ~100 px a month: every month
    assert [label for _, label in year.months()][:3] == ["Jan 26", "Feb 26", "Mar 26"]
    narrow = Scale(date(2026, 1, 1), date(2026, 12, 31), 240)  # ~20 px a month: every 3rd
    assert [label for _, label in narrow.months()] == ["Jan 26", "Apr 26", "Jul 26", "Oct 26"]
    edge = Scale(date(2026, 1, 1), date(2026, 2, 3), 340)  # Feb 1 is 20 px from the end
    assert [label for _, label in edge.months()] == ["Jan 26"]


def test_a_bar_spans_start_to_target_with_the_forecast_range() -> None:
    span = bar(SCALE, date(2026, 1, 2), date(2026, 1, 8), date(2026, 1, 9), date(2026, 1, 10))
    assert (span.x, span.width, span.forecast_x, span.forecast_width) == (10, 60, 80, 10)
    backwards = bar(SCALE, date(2026, 1, 8), date(2026, 1, 2), None, None)  # created late
    assert (backwards.x, backwards.width) == (10, 60)
    unknown = bar(SCALE, date(2026, 1, 2), None, None, None)
    assert (unknown.width, unknown.forecast_x) == (2.0, None)  # a mark, not nothing


@pytest.mark.parametrize(
    ("done", "doing", "total", "expected"),
    [(5, 3, 10, (50, 30, 20)), (0, 0, 0, (0, 0, 100)), (1, 1, 3, (33.3, 33.3, 33.4))],
)
def test_progress_shares(
    done: float, doing: float, total: float, expected: tuple[float, float, float]
) -> None:
    split = shares(done, doing, total)
    assert (split.done, split.in_progress, split.todo) == expected


def test_a_burn_up_scales_counts_upward_from_the_bottom() -> None:
    points = [BurnPoint(date(2026, 1, 1), 2, 0), BurnPoint(date(2026, 1, 11), 4, 1)]
    chart = burn_up(points, width=100, height=40)
    assert (chart.scope, chart.done, chart.top) == ("0.0,20.0 100.0,0.0", "0.0,40.0 100.0,30.0", 4)


def test_burn_up_days_spread_from_creation_to_today() -> None:
    days = sample_days(date(2026, 1, 1), date(2026, 1, 10), points=4)
    assert days == [date(2026, 1, 1), date(2026, 1, 4), date(2026, 1, 7), date(2026, 1, 10)]
    assert sample_days(date(2026, 1, 1), date(2026, 1, 1)) == [date(2026, 1, 1)]


def test_since_monday() -> None:
    assert monday_of(date(2026, 12, 4)) == datetime(2026, 11, 30, tzinfo=UTC)  # a Friday
    assert monday_of(date(2026, 11, 30)) == datetime(2026, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "link"),
    [("https://x.example/1", "https://x.example/1"), ("http://x.example", "http://x.example"),
     ("javascript:alert(1)", None), ("data:text/html,hi", None), ("", None), (None, None)],
)  # fmt: skip
def test_only_web_urls_are_links(url: str | None, link: str | None) -> None:
    assert web_url(url) == link


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/teams?x=1", "/teams?x=1"), ("https://evil.example", "/"), ("//evil.example", "/"),
     ("/\\evil.example", "/"), (None, "/"), ("teams", "/")],
)  # fmt: skip
def test_after_login_only_local_paths(target: str | None, expected: str) -> None:
    assert local_path(target) == expected
