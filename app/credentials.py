"""Vendor credentials, encrypted at rest with a key from BRIDGE_SECRET_KEY.

BRIDGE_SECRET_KEY may list several keys separated by commas: the first seals,
all of them open, so a key can be rotated without losing what is stored.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
from pathlib import Path

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import make_url

from app.config import Settings
from app.errors import ConfigError

log = logging.getLogger(__name__)


def _fernet(secret: str) -> Fernet:
    # Any string is accepted as a key; HKDF turns it into the 32 bytes Fernet needs.
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"issuebridge credentials"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class CredentialVault:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigError("no secret key to encrypt credentials with")
        self._fernet = MultiFernet([_fernet(key) for key in keys])

    def seal(self, values: dict[str, str]) -> bytes:
        return self._fernet.encrypt(orjson.dumps(values))

    def open(self, token: bytes) -> dict[str, str]:
        try:
            values: dict[str, str] = orjson.loads(self._fernet.decrypt(token))
        except InvalidToken:
            raise ConfigError(
                "stored credentials cannot be decrypted with this BRIDGE_SECRET_KEY"
            ) from None
        return values


def load_vault(settings: Settings) -> CredentialVault:
    if settings.secret_key:
        return CredentialVault([k.strip() for k in settings.secret_key.split(",") if k.strip()])
    if not settings.is_sqlite:
        raise ConfigError("BRIDGE_SECRET_KEY is required when the database is PostgreSQL")
    return CredentialVault([_key_beside_sqlite(settings.database_url)])


def _key_beside_sqlite(database_url: str) -> str:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        log.warning(
            "BRIDGE_SECRET_KEY is not set: using a throw-away key for an in-memory database"
        )
        return secrets.token_urlsafe(32)
    path = Path(f"{database}.secret-key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    log.warning("BRIDGE_SECRET_KEY is not set: generated one and kept it in %s", path)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()
