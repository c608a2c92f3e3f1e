"""Settings from BRIDGE_* environment variables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "API_TOKENS", "SECRET_KEY", "SCHEDULER", "WEBHOOK_MAX_BYTES"):
        monkeypatch.delenv(f"BRIDGE_{name}", raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///bridge.db"
    assert (settings.api_tokens, settings.scheduler, settings.webhook_max_bytes) == (
        (),
        True,
        26214400,
    )


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_API_TOKENS", " a, b ,,c")
    monkeypatch.setenv("BRIDGE_SCHEDULER", "off")
    monkeypatch.setenv("BRIDGE_WEBHOOK_MAX_BYTES", "1024")
    settings = Settings()
    assert (settings.api_tokens, settings.scheduler, settings.webhook_max_bytes) == (
        ("a", "b", "c"), False, 1024,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BRIDGE_DATABASE_URL", "mysql://root@localhost/db"),
        ("BRIDGE_SCHEDULER", "sometimes"),
        ("BRIDGE_WEBHOOK_MAX_BYTES", "-1"),
    ],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()
