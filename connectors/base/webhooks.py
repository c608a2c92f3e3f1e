"""Webhook authenticity: signatures, shared tokens and timestamps.

Every check runs on the RAW body, before any parsing, compares in constant time,
and fails closed: no configured secret means every delivery is rejected. Each
failure raises WebhookRejected, whose message never repeats a secret or a
signature.
"""

from __future__ import annotations

import hmac
import math
import re
import time
from typing import Final

_HEX_SHA256: Final = re.compile(r"[0-9a-fA-F]{64}")
# A Unix time above this in seconds would be past the year 5000: it is in milliseconds.
_MILLISECONDS_FROM: Final = 100_000_000_000


class WebhookRejected(Exception):
    """A delivery that must not be stored: unsigned, wrongly signed, or stale."""


def hmac_sha256_hex(secret: str | bytes, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of `body`, as GitHub, Jira and Linear sign deliveries."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.digest(key, body, "sha256").hex()  # one-shot: no HMAC object


def verify_hmac_signature(
    secret: str | bytes | None,
    body: bytes,
    signature_header: str | None,
    *,
    prefix: str = "sha256=",
) -> None:
    """Accept only a `<prefix><64 hex digits>` header matching HMAC-SHA256(secret, body).

    GitHub's X-Hub-Signature-256 and Jira's X-Hub-Signature use the default prefix;
    Linear's Linear-Signature has none (`prefix=""`).
    """
    if not secret:
        raise WebhookRejected("no webhook secret is configured, so no delivery can be trusted")
    if not signature_header:
        raise WebhookRejected("the delivery carries no signature")
    if not signature_header.startswith(prefix):
        raise WebhookRejected(f"the signature does not start with {prefix!r}")
    given = signature_header[len(prefix) :].strip()
    if not _HEX_SHA256.fullmatch(given):
        raise WebhookRejected("the signature is not 64 hexadecimal digits")
    if not hmac.compare_digest(hmac_sha256_hex(secret, body), given.lower()):
        raise WebhookRejected("the signature does not match the body and the configured secret")


def verify_shared_token(expected: str | None, given: str | None) -> None:
    """Accept only the configured token sent verbatim (GitLab's X-Gitlab-Token)."""
    if not expected:
        raise WebhookRejected("no webhook token is configured, so no delivery can be trusted")
    if not given:
        raise WebhookRejected("the delivery carries no token")
    # Bytes, because compare_digest refuses str with non-ASCII characters.
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise WebhookRejected("the token does not match the configured one")


def check_timestamp(
    timestamp: int | float | str | None,
    *,
    max_age_seconds: float = 60.0,
    now: float | None = None,
) -> None:
    """Accept a Unix time (seconds or milliseconds, as Linear's webhookTimestamp) no
    further than `max_age_seconds` from `now` either way: older is a replay, later a
    forgery or a broken clock."""
    seconds = _unix_seconds(timestamp)
    skew = seconds - (time.time() if now is None else now)
    if skew < -max_age_seconds:
        raise WebhookRejected(f"the delivery is {-skew:.0f} s old, more than {max_age_seconds:g} s")
    if skew > max_age_seconds:
        raise WebhookRejected(f"the delivery is dated {skew:.0f} s in the future")


def _unix_seconds(timestamp: int | float | str | None) -> float:
    if isinstance(timestamp, bool) or timestamp is None:
        raise WebhookRejected("the delivery carries no timestamp")
    try:
        value = float(timestamp)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise WebhookRejected("the delivery's timestamp is not a number")
    return value / 1000 if abs(value) >= _MILLISECONDS_FROM else value
