"""The geometry of the dashboard's inline SVG charts: pure arithmetic from dates
and figures to coordinates, so templates only place what is computed here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.roadmap.burnup import BurnPoint


@dataclass(frozen=True)
class Scale:
    """Days from `start` to `end` onto `width` pixels (at least one day wide)."""

    start: date
    end: date
    width: float

    @classmethod
    def spanning(cls, days: list[date], width: float, pad_days: int = 7) -> Scale:
        if not days:
            today = date.today()
            return cls(today - timedelta(days=pad_days), today + timedelta(days=pad_days), width)
        return cls(min(days) - timedelta(days=pad_days), max(days) + timedelta(days=pad_days),
                   width)  # fmt: skip

    def x(self, day: date) -> float:
        span = max((self.end - self.start).days, 1)
        return round((day - self.start).days / span * self.width, 1)

    def months(self, min_gap: float = 56) -> list[tuple[float, str]]:
        """A tick at the first of every month (or every 2nd, 3rd, 6th, 12th: as many
        as fit `min_gap` pixels apart), labelled like 'Mar 26'."""
        month_px = self.width * 30.4 / max((self.end - self.start).days, 1)
        step = next((n for n in (1, 2, 3, 6) if n * month_px >= min_gap), 12)
        ticks, day = [], date(self.start.year, self.start.month, 1)
        while day <= self.end:
            fits = self.x(day) <= self.width - 30  # room for the label's text
            if day >= self.start and (day.month - 1) % step == 0 and fits:
                ticks.append((self.x(day), day.strftime("%b %y")))
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return ticks


@dataclass(frozen=True)
class Bar:
    """One roadmap item's row: its span start → target, and the forecast range."""

    x: float
    width: float
    forecast_x: float | None
    forecast_width: float | None


def bar(scale: Scale, start: date, target: date | None, p50: date | None,
        p85: date | None) -> Bar:  # fmt: skip
    # An item created after its target date still shows where its span lies.
    first, last = sorted((start, target or start))
    left, right = scale.x(first), scale.x(last)
    if p50 is None or p85 is None:
        return Bar(left, max(right - left, 2.0), None, None)
    low, high = scale.x(p50), scale.x(p85)
    return Bar(left, max(right - left, 2.0), low, max(high - low, 2.0))


@dataclass(frozen=True)
class Shares:
    """Done, in progress and to do as percentages of the whole (summing to 100)."""

    done: float
    in_progress: float
    todo: float


def shares(done: float, in_progress: float, total: float) -> Shares:
    if total <= 0:
        return Shares(0.0, 0.0, 100.0)
    first = round(100 * done / total, 1)
    second = round(100 * in_progress / total, 1)
    return Shares(first, second, round(max(100 - first - second, 0.0), 1))


@dataclass(frozen=True)
class BurnUp:
    """Two polylines (scope and done) in a `width` by `height` box, counts upward."""

    scope: str
    done: str
    top: int
    width: float
    height: float


def burn_up(points: list[BurnPoint], width: float = 480, height: float = 160) -> BurnUp:
    top = max([p.scope for p in points] + [1])
    scale = Scale.spanning([p.day for p in points], width, pad_days=0)

    def line(values: list[int]) -> str:
        return " ".join(
            f"{scale.x(p.day)},{round(height - v / top * height, 1)}"
            for p, v in zip(points, values, strict=True)
        )

    return BurnUp(
        line([p.scope for p in points]), line([p.done for p in points]), top, width, height
    )
