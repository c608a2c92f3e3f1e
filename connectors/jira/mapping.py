"""A Jira connection's options (`settings`) and the field ids found on its site.

settings = {
    "story_points_field": "customfield_10028",   # else found by name through /field
    "sprint_field": "customfield_10020",         # likewise
    "target_date_field": "customfield_10402",    # Product Discovery "Target date"
    "start_date_field": "customfield_10015",
    "cancelled_resolutions": ["Won't Do", "Duplicate"],   # replace the default list
    "teams": {"PAY": "payments"},                # project key → team (default: the key)
    "time_zone": "Europe/Paris",                 # else the API user's, from /myself
}
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from connectors.base.contract import ConnectionConfig
from connectors.base.http import FailureType, VendorError
from connectors.jira.normalize import (
    DEFAULT_CANCELLED,
    SPRINT_NAMES,
    START_DATE_NAMES,
    STORY_POINT_NAMES,
    TARGET_DATE_NAMES,
    JiraMapping,
    StatusCategories,
)
from connectors.jira.payloads import FieldInfo, Status

# Jira Cloud's usual ids, for webhooks (which cannot ask /field) when none is configured.
CLOUD_STORY_POINTS = "customfield_10016"
CLOUD_SPRINT = "customfield_10020"


class JiraSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    story_points_field: str | None = None
    sprint_field: str | None = None
    target_date_field: str | None = None
    start_date_field: str | None = None
    cancelled_resolutions: tuple[str, ...] | None = None
    teams: dict[str, str] = {}
    time_zone: str | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            known_zone(value)
        return value

    @classmethod
    def of(cls, config: ConnectionConfig) -> JiraSettings:
        try:
            return cls.model_validate(config.settings)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
            )
            raise VendorError(
                f"the Jira settings of {config.name} are invalid: {problems}", FailureType.CONFIG
            ) from None

    @property
    def cancelled(self) -> frozenset[str]:
        if self.cancelled_resolutions is None:
            return DEFAULT_CANCELLED
        return frozenset(name.lower() for name in self.cancelled_resolutions)


def known_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise VendorError(f"unknown time zone {name!r}", FailureType.CONFIG) from None


def mapping_for(
    config: ConnectionConfig,
    settings: JiraSettings,
    fields: Iterable[FieldInfo] | None,
    statuses: Iterable[Status] = (),
) -> JiraMapping:
    """The mapping of a connection: configured ids first, then ids found by name in
    the site's field list; without a list (webhooks), Jira Cloud's usual ids. The
    site's statuses give the category of each status a changelog names."""
    found = list(fields) if fields is not None else None
    return JiraMapping(
        site_url=site_of(config.base_url),
        story_points_field=settings.story_points_field
        or _by_name(found, STORY_POINT_NAMES, CLOUD_STORY_POINTS),
        sprint_field=settings.sprint_field or _by_name(found, SPRINT_NAMES, CLOUD_SPRINT),
        target_date_field=settings.target_date_field or _by_name(found, TARGET_DATE_NAMES, None),
        start_date_field=settings.start_date_field or _by_name(found, START_DATE_NAMES, None),
        cancelled=settings.cancelled,
        teams=settings.teams,
        team=config.team,
        statuses=StatusCategories.of(statuses),
    )


def _by_name(
    fields: list[FieldInfo] | None, names: tuple[str, ...], fallback: str | None
) -> str | None:
    if fields is None:
        return fallback
    for name in names:  # in order of preference
        for field in fields:
            if field.custom and field.name.strip().lower() == name:
                return field.id
    return None


def site_of(base_url: str) -> str:
    """The site a browse link lives on: the base URL without an /ex/jira/{cloudId} API path."""
    root = base_url.rstrip("/")
    return root.split("/ex/jira/", 1)[0] if "/ex/jira/" in root else root
