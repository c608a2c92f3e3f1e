"""When a digest starts: an ISO 8601 date or time, or a span back from now (7d, 12h, 2w)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from app.errors import Unprocessable

SPAN = re.compile(r"^\s*(\d{1,5})\s*([hdw])\s*$")
UNITS = {"h": "hours", "d": "days", "w": "weeks"}
DEFAULT_SPAN = timedelta(days=7)
SINCE_HELP = "an ISO 8601 date (2026-11-30, midnight UTC) or time (UTC if no zone), or 12h, 7d, 2w"


def parse_since(text: str | None, now: datetime) -> datetime:
    """The aware UTC moment `text` names; 7 days before `now` when it is empty.
    A value in the future, or one that is not a date, a time or a span, is refused."""
    if text is None or not text.strip():
        return now - DEFAULT_SPAN
    moment = _span_back(text, now) or _iso(text)
    if moment is None:
        raise Unprocessable(f"since {text!r} is not {SINCE_HELP}")
    if moment > now:
        raise Unprocessable(f"since {text!r} is in the future: there is no history there yet")
    return moment


def _span_back(text: str, now: datetime) -> datetime | None:
    matched = SPAN.match(text)
    if matched is None:
        return None
    amount, unit = matched.groups()
    return now - timedelta(**{UNITS[unit]: int(amount)})


def _iso(text: str) -> datetime | None:
    text = text.strip()
    try:
        if len(text) == len("2026-11-30"):
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
