"""What every API schema module shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

Schema = TypeVar("Schema", bound=BaseModel)


def read_model(schema: type[Schema], source: object, **given: Any) -> Schema:
    """`schema` filled from `source`'s attributes of the same names, except the
    fields `given` explicitly (ids made strings, names of related rows...)."""
    copied = {name: getattr(source, name) for name in schema.model_fields if name not in given}
    return schema.model_validate(copied | given)


def trusted_model(schema: type[Schema], source: object, **given: Any) -> Schema:
    """`read_model` without validation, for rows of the store's own typed columns
    read by the thousand (a roadmap's items): the columns' types are the fields'."""
    copied = {name: getattr(source, name) for name in schema.model_fields if name not in given}
    return schema.model_construct(**copied, **given)


def assume_utc(moment: datetime | None) -> datetime | None:
    """A query's time without a zone is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
