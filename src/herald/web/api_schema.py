"""The API's one error shape in its OpenAPI schema.

``web/errors.py`` answers every error under /api with ``{"error": {"status", "code",
"message", "details"?}}``. FastAPI's generated schema documents its own validation error
instead; ``install`` rewrites the schema so that every /api/v1 operation documents the real
shape: 422 for operations with parameters, 404 for paths with parameters, and ``default``
for any other error (403, 405, 429, 500...).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

API_PREFIX = "/api/v1"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
REPLACED = ("HTTPValidationError", "ValidationError")


class ErrorDetail(BaseModel):
    loc: list[str] = Field(description="Where the problem is: source and name of the field")
    message: str


class ErrorInfo(BaseModel):
    status: int = Field(description="The HTTP status code")
    code: str = Field(description="A stable machine-readable code, such as not_found")
    message: str = Field(description="What went wrong, for people")
    details: list[ErrorDetail] | None = Field(
        default=None, description="For invalid requests: each invalid field"
    )


class Error(BaseModel):
    """Every error the API returns."""

    error: ErrorInfo


def _json(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def _components() -> dict[str, Any]:
    schema = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = schema.pop("$defs", {})
    return {**defs, "Error": schema}


def _document_operation(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if operation.get("parameters") or "422" in responses:
        responses["422"] = _json("The request is not valid: see details")
    if "{" in path:
        responses["404"] = _json("Not found")
    responses["default"] = _json("Any other error, in the same shape")


def _unreferenced(document: dict[str, Any], name: str) -> bool:
    return f'"#/components/schemas/{name}"' not in json.dumps(document)


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (an OpenAPI schema) with the error shape on every /api/v1 operation."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_components())
    for path, item in document.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options"}:
                _document_operation(path, operation)
    for name in REPLACED:
        if name in schemas and _unreferenced(document, name):
            del schemas[name]
    return document


def install(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI schema document the one error shape."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
