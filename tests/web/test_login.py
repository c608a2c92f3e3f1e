"""Pages behind BRIDGE_API_TOKENS: a login that sets an HMAC cookie, never the
token; and form posts refused unless they come from the dashboard (CSRF)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.main import create_app
from app.web.auth import COOKIE, session_mark
from tests.conftest import settings_for, started

ORIGIN = {"Origin": "http://bridge.test"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def guarded(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in started(create_app(settings_for(db_url, api_tokens="alpha, beta"))):
        yield client


@pytest.mark.parametrize("path", ["/", "/teams", "/people", "/changes", "/connections"])
async def test_a_page_without_a_session_goes_to_login(
    guarded: httpx.AsyncClient, path: str
) -> None:
    response = await guarded.get(path + "?a=1")
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path.replace('/', '%2F')}%3Fa%3D1"
    assert (await guarded.get("/login")).status_code == 200


async def test_login_sets_an_httponly_strict_cookie_holding_an_hmac(
    guarded: httpx.AsyncClient,
) -> None:
    response = await guarded.post(
        "/login", content="token=beta&next=%2Fteams", headers=ORIGIN | FORM
    )
    assert (response.status_code, response.headers["location"]) == (303, "/teams")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={session_mark('beta')};")
    assert "beta;" not in cookie
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/"):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain http here; https requests get Secure
    assert (await guarded.get("/teams")).status_code == 200


async def test_a_wrong_token_is_401_and_sets_nothing(guarded: httpx.AsyncClient) -> None:
    response = await guarded.post("/login", content="token=gamma", headers=ORIGIN | FORM)
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert "That token is not valid." in response.text
    assert (await guarded.get("/")).status_code == 303


async def test_a_forged_cookie_is_not_a_session(guarded: httpx.AsyncClient) -> None:
    for forged in ("alpha", session_mark("gamma"), ""):
        guarded.cookies.set(COOKIE, forged)
        assert (await guarded.get("/")).status_code == 303


async def test_logout_ends_the_session(guarded: httpx.AsyncClient) -> None:
    await guarded.post("/login", content="token=alpha", headers=ORIGIN | FORM)
    assert (await guarded.get("/")).status_code == 200
    response = await guarded.post("/logout", headers=ORIGIN)
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert (await guarded.get("/")).status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil"])
async def test_login_never_sends_elsewhere(guarded: httpx.AsyncClient, target: str) -> None:
    body = httpx.QueryParams({"token": "alpha", "next": target})
    response = await guarded.post("/login", content=str(body), headers=ORIGIN | FORM)
    assert (response.status_code, response.headers["location"]) == (303, "/")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "http://evil.example"},
        {"Referer": "http://evil.example/connections"},
        {"Origin": "null"},
    ],
)
@pytest.mark.parametrize("path", ["/connections/gh/sync", "/login", "/logout"])
async def test_a_form_post_from_elsewhere_is_refused(
    guarded: httpx.AsyncClient, headers: dict[str, str], path: str
) -> None:
    guarded.cookies.set(COOKIE, session_mark("alpha"))
    response = await guarded.post(path, content="token=alpha", headers=headers | FORM)
    assert response.status_code == 403
    assert "dashboard" in response.json()["detail"]


async def test_a_login_that_is_not_a_form_is_400(guarded: httpx.AsyncClient) -> None:
    response = await guarded.post("/login", json={"token": "alpha"}, headers=ORIGIN)
    assert response.status_code == 400


async def test_the_api_still_wants_its_bearer_token_with_a_page_session(
    guarded: httpx.AsyncClient,
) -> None:
    guarded.cookies.set(COOKIE, session_mark("alpha"))
    assert (await guarded.get("/api/v1/roadmap")).status_code == 401


async def test_without_tokens_pages_are_open(client: httpx.AsyncClient) -> None:
    assert (await client.get("/")).status_code == 200
    response = await client.post("/login", content="token=x", headers=ORIGIN | FORM)
    assert (response.status_code, response.headers["location"]) == (303, "/")
