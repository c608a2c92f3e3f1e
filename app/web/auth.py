"""Who may see the dashboard, and which form posts it accepts.

With BRIDGE_API_TOKENS set, a page needs a session cookie, earned by entering
one of the tokens at /login. The cookie holds an HMAC of the token (keyed by
the token itself) rather than the token: a leaked cookie opens the dashboard
but is not an API credential, and removing the token from BRIDGE_API_TOKENS
ends every session made with it. Without tokens the pages are open, as the API is.

Every form post must come from a page of this server (Origin, else Referer), so
another site cannot make a signed-in browser press "sync now" (CSRF).
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request

from app.config import Settings
from app.errors import Forbidden

COOKIE = "bridge_session"
_PURPOSE = b"issuebridge dashboard session"


def session_mark(token: str) -> str:
    """What the session cookie of someone who entered `token` holds."""
    return hmac.new(token.encode(), _PURPOSE, hashlib.sha256).hexdigest()


def known_token(settings: Settings, offered: str) -> bool:
    """Constant time, compared with every token, so timing tells nothing."""
    matches = [hmac.compare_digest(offered.encode(), t.encode()) for t in settings.api_tokens]
    return any(matches)


def signed_in(request: Request, settings: Settings) -> bool:
    if not settings.api_tokens:
        return True
    mark = request.cookies.get(COOKIE, "")
    matches = [
        hmac.compare_digest(mark.encode(), session_mark(t).encode()) for t in settings.api_tokens
    ]
    return any(matches)


def require_same_origin(request: Request) -> None:
    """Refuse a form post that did not come from one of our own pages."""
    # Hosts, not schemes: behind a proxy that ends TLS the app itself sees http.
    sent = request.headers.get("origin") or request.headers.get("referer") or ""
    host = urlsplit(sent).netloc
    if not host or host != request.url.netloc:
        raise Forbidden("refused: a dashboard form must be posted from the dashboard itself")


def local_path(target: str | None) -> str:
    """Where to go after login: a path on this server only, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
