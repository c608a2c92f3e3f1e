"""The one error hierarchy. Each error carries the HTTP status it maps to.

BridgeError                    500  something we did not expect
├── BadRequest                 400  the input is malformed
├── Unauthorized               401  missing or wrong credentials
├── Forbidden                  403  refused whoever asks (a cross-site form post)
├── NotFound                   404  the named thing does not exist
├── Conflict                   409  the input clashes with what is stored
├── PayloadTooLarge            413  a body over the configured cap
├── Unprocessable              422  well-formed input that is not valid
└── ConfigError                500  the service itself is misconfigured
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar


class BridgeError(Exception):
    status_code = 500
    headers: ClassVar[Mapping[str, str] | None] = None  # sent with the error's answer

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(BridgeError):
    status_code = 400


class Unauthorized(BridgeError):
    status_code = 401
    headers = MappingProxyType({"WWW-Authenticate": "Bearer"})


class Forbidden(BridgeError):
    status_code = 403


class NotFound(BridgeError):
    status_code = 404


class Conflict(BridgeError):
    status_code = 409


class PayloadTooLarge(BridgeError):
    status_code = 413


class Unprocessable(BridgeError):
    status_code = 422


class ConfigError(BridgeError):
    status_code = 500
