"""Errors on dashboard pages read as pages: a person in a browser gets the message
on a page with the dashboard's navigation; a client of the API (or anything not
asking for HTML) keeps getting CONTRACT.md's JSON body."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.web.views import render

# Paths that answer machines, whatever their Accept header says.
MACHINE_PATHS = ("/api/", "/webhooks/", "/healthz", "/readyz", "/metrics", "/static/", "/docs",
                 "/openapi.json")  # fmt: skip


def wants_page(request: Request) -> bool:
    path = request.url.path
    accepts = request.headers.get("accept", "")
    return not path.startswith(MACHINE_PATHS) and "text/html" in accepts


def error_page(request: Request, code: int, message: str) -> HTMLResponse:
    try:
        reason = HTTPStatus(code).phrase
    except ValueError:
        reason = "Error"
    return render(request, "error.html", code, status=code, reason=reason, message=message)
