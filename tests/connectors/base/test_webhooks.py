"""Webhook checks: what a genuine delivery passes, and every way a forged, broken or
stale one is rejected, never leaking the secret in the rejection."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from connectors.base.webhooks import (
    WebhookRejected,
    check_timestamp,
    hmac_sha256_hex,
    verify_hmac_signature,
    verify_shared_token,
)

SECRET = "It's a Secret to Everybody"
BODY = b"Hello, World!"
# GitHub's documented example: this secret and body give this signature.
GITHUB_EXAMPLE = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
NOW = 1_700_000_000.0


def test_hmac_sha256_hex_matches_githubs_documented_example() -> None:
    assert hmac_sha256_hex(SECRET, BODY) == GITHUB_EXAMPLE
    assert hmac_sha256_hex(SECRET.encode(), BODY) == GITHUB_EXAMPLE


@pytest.mark.parametrize(
    ("header", "prefix"),
    [
        (f"sha256={GITHUB_EXAMPLE}", "sha256="),
        (f"sha256={GITHUB_EXAMPLE.upper()}", "sha256="),
        (GITHUB_EXAMPLE, ""),
    ],
    ids=["github", "uppercase hex", "linear (no prefix)"],
)
def test_a_valid_signature_is_accepted(header: str, prefix: str) -> None:
    verify_hmac_signature(SECRET, BODY, header, prefix=prefix)


@pytest.mark.parametrize(
    ("secret", "body", "header", "reason"),
    [
        (SECRET, BODY + b" ", f"sha256={GITHUB_EXAMPLE}", "does not match"),
        ("another secret", BODY, f"sha256={GITHUB_EXAMPLE}", "does not match"),
        (SECRET, BODY, None, "no signature"),
        (SECRET, BODY, "", "no signature"),
        (SECRET, BODY, f"sha1={GITHUB_EXAMPLE}", "does not start with"),
        (SECRET, BODY, "sha256=not-hex", "64 hexadecimal digits"),
        (SECRET, BODY, f"sha256={GITHUB_EXAMPLE[:-2]}", "64 hexadecimal digits"),
        (SECRET, BODY, f"sha256={GITHUB_EXAMPLE[:-1]}é", "64 hexadecimal digits"),
        (None, BODY, f"sha256={GITHUB_EXAMPLE}", "no webhook secret"),
        ("", BODY, f"sha256={GITHUB_EXAMPLE}", "no webhook secret"),
    ],
    ids=[
        "body changed",
        "wrong secret",
        "missing",
        "empty",
        "wrong prefix",
        "not hex",
        "too short",
        "non-ascii",
        "no secret",
        "empty secret",
    ],
)
def test_a_bad_signature_is_rejected(
    secret: str | None, body: bytes, header: str | None, reason: str
) -> None:
    with pytest.raises(WebhookRejected, match=reason) as caught:
        verify_hmac_signature(secret, body, header)
    assert SECRET not in str(caught.value)


def test_signatures_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []
    original = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    verify_hmac_signature(SECRET, BODY, f"sha256={GITHUB_EXAMPLE}")
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert compared == [(expected, GITHUB_EXAMPLE)]


def test_the_shared_token_is_accepted_verbatim() -> None:
    verify_shared_token("gl-token-1", "gl-token-1")


@pytest.mark.parametrize(
    ("expected", "given", "reason"),
    [
        ("gl-token-1", "gl-token-2", "does not match"),
        ("gl-token-1", "gl-token-1 ", "does not match"),
        ("gl-token-1", "jeton-été", "does not match"),
        ("gl-token-1", None, "no token"),
        ("gl-token-1", "", "no token"),
        (None, "gl-token-1", "no webhook token"),
        ("", "", "no webhook token"),
    ],
    ids=["wrong", "padded", "non-ascii", "missing", "empty", "none configured", "both empty"],
)
def test_a_wrong_shared_token_is_rejected(
    expected: str | None, given: str | None, reason: str
) -> None:
    with pytest.raises(WebhookRejected, match=reason) as caught:
        verify_shared_token(expected, given)
    assert "gl-token-1" not in str(caught.value)


@pytest.mark.parametrize(
    "timestamp",
    [NOW * 1000, int(NOW * 1000) - 59_000, NOW + 59, str(int(NOW * 1000))],
    ids=["now in ms", "59 s old in ms", "59 s ahead in s", "header string"],
)
def test_a_fresh_timestamp_is_accepted(timestamp: float | str) -> None:
    check_timestamp(timestamp, now=NOW)


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        (int(NOW * 1000) - 61_000, "61 s old"),
        (NOW - 3600, "3600 s old"),
        (int(NOW * 1000) + 61_000, "61 s in the future"),
        (None, "no timestamp"),
        ("yesterday", "not a number"),
        ("nan", "not a number"),
        (True, "no timestamp"),
    ],
    ids=["too old (ms)", "too old (s)", "future", "missing", "not a number", "nan", "bool"],
)
def test_a_stale_or_bad_timestamp_is_rejected(timestamp: float | str | None, reason: str) -> None:
    with pytest.raises(WebhookRejected, match=reason):
        check_timestamp(timestamp, now=NOW)


def test_the_allowed_age_is_configurable() -> None:
    check_timestamp(NOW - 240, max_age_seconds=300, now=NOW)
    with pytest.raises(WebhookRejected, match="more than 30 s"):
        check_timestamp(NOW - 31, max_age_seconds=30, now=NOW)
