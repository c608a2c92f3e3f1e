"""app/digest/since.py: what `since` names, against a fixed now."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.digest.since import parse_since
from app.errors import Unprocessable

NOW = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, datetime(2026, 11, 27, 15, 30, tzinfo=UTC)),
        ("", datetime(2026, 11, 27, 15, 30, tzinfo=UTC)),
        ("7d", datetime(2026, 11, 27, 15, 30, tzinfo=UTC)),
        ("12h", datetime(2026, 12, 4, 3, 30, tzinfo=UTC)),
        (" 2w ", datetime(2026, 11, 20, 15, 30, tzinfo=UTC)),
        ("2026-11-30", datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
        ("2026-11-30T08:15:00", datetime(2026, 11, 30, 8, 15, tzinfo=UTC)),
        ("2026-11-30T08:15:00+02:00", datetime(2026, 11, 30, 6, 15, tzinfo=UTC)),
        ("2026-12-04T15:30:00Z", NOW),
    ],
)
def test_what_since_names(text: str | None, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2026-12-04T15:30:01Z", "in the future"),
        ("2026-12-05", "in the future"),
        ("tomorrow", "is not an ISO 8601 date"),
        ("7 days", "is not an ISO 8601 date"),
        ("-3d", "is not an ISO 8601 date"),
        ("2026-02-30", "is not an ISO 8601 date"),
    ],
)
def test_refused(text: str, why: str) -> None:
    with pytest.raises(Unprocessable, match=why):
        parse_since(text, NOW)
