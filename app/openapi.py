"""The OpenAPI document, as the API really answers.

FastAPI documents every 422 as its own validation error (`detail`: a list). The
service's own checks answer 422 too, with `detail` a sentence (app/errors.py),
so the document says `detail` is either."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def install(app: FastAPI) -> None:
    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            _widen_validation_error(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def _widen_validation_error(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    error = components.get("HTTPValidationError")
    if error is None:
        return
    listed = error["properties"]["detail"]
    error["properties"]["detail"] = {
        "title": "Detail",
        "anyOf": [{"type": "string", "description": "what is wrong, in one sentence"}, listed],
    }
