"""Credential encryption and where its key comes from."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.config import Settings
from app.credentials import CredentialVault, load_vault
from app.errors import ConfigError


def test_sealed_values_open_again_and_hide_the_plaintext() -> None:
    vault = CredentialVault(["k1"])
    sealed = vault.seal({"token": "ghp_abc"})
    assert b"ghp_abc" not in sealed
    assert vault.open(sealed) == {"token": "ghp_abc"}


def test_a_wrong_key_is_a_clear_error() -> None:
    sealed = CredentialVault(["k1"]).seal({"token": "t"})
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        CredentialVault(["k2"]).open(sealed)


def test_rotation_opens_old_values_with_the_second_key() -> None:
    old = CredentialVault(["old"]).seal({"token": "t"})
    rotated = load_vault(Settings(secret_key="new,old"))
    assert rotated.open(old) == {"token": "t"}
    assert CredentialVault(["new"]).open(rotated.seal({"token": "u"})) == {"token": "u"}


def test_postgres_requires_a_secret_key() -> None:
    settings = Settings(database_url="postgresql+asyncpg://u@h/db")
    with pytest.raises(ConfigError, match="BRIDGE_SECRET_KEY is required"):
        load_vault(settings)


def test_sqlite_keeps_a_generated_key_beside_the_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    sealed = load_vault(settings).seal({"token": "t"})
    key_file = tmp_path / "b.db.secret-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_vault(settings).open(sealed) == {"token": "t"}  # same key next time
