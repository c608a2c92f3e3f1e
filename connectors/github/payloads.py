"""GitHub's JSON, as pydantic models of only the fields Issuebridge reads.

Unknown fields are ignored (GitHub adds fields often); the whole object is kept
raw beside the normalized record anyway.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

_REPO_IN_URL = re.compile(r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)(?:/issues/(?P<number>\d+))?$")


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(Payload):
    login: str


class Label(Payload):
    name: str


class Milestone(Payload):
    number: int
    title: str
    due_on: datetime | None = None


class IssueType(Payload):
    name: str


class Issue(Payload):
    id: int
    number: int
    title: str
    body: str | None = None
    state: Literal["open", "closed"]
    state_reason: str | None = None
    html_url: str
    repository_url: str
    user: User | None = None
    labels: list[Label] = []
    assignees: list[User] = []
    milestone: Milestone | None = None
    type: IssueType | None = None
    parent_issue_url: str | None = None
    pull_request: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None

    @property
    def is_pull_request(self) -> bool:
        return self.pull_request is not None

    @property
    def repository(self) -> str:
        """owner/repo, as GitHub spells it in the issue's own API URL."""
        return repository_of(self.repository_url)


class Repository(Payload):
    full_name: str


class IssueTransfer(Payload):
    new_issue: dict[str, Any]
    new_repository: Repository


class IssuesEvent(Payload):
    """An `issues` webhook delivery."""

    action: str
    issue: dict[str, Any]
    repository: Repository
    changes: dict[str, Any] | None = None


def repository_of(api_url: str) -> str:
    match = _REPO_IN_URL.search(api_url)
    if match is None:
        raise ValueError(f"not a GitHub repository or issue API URL: {api_url!r}")
    return f"{match['owner']}/{match['repo']}"


def issue_key_of(api_url: str) -> str:
    """`owner/repo#N` of an issue API URL such as a parent_issue_url."""
    match = _REPO_IN_URL.search(api_url)
    if match is None or match["number"] is None:
        raise ValueError(f"not a GitHub issue API URL: {api_url!r}")
    return f"{match['owner']}/{match['repo']}#{match['number']}"
