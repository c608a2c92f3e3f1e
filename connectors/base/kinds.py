"""What Issuebridge knows of each vendor before any connector code runs: its
default API root and the shape of a scope (CONTRACT.md, `connections add`).

Jira Cloud and Aha! live on a site of the customer's own, so they have no default."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KindSpec:
    kind: str
    default_base_url: str | None  # None: every account has its own, so it must be given
    scope_pattern: re.Pattern[str] | None  # None: the vendor takes no scope
    scope_help: str

    def scope_error(self, scope: str) -> str | None:
        """Why `scope` is not valid for this kind, or None when it is."""
        if self.scope_pattern is None:
            return f"{self.kind} takes no scope, got {scope!r}"
        if not self.scope_pattern.fullmatch(scope):
            return f"invalid {self.kind} scope {scope!r}: expected {self.scope_help}"
        return None


_PATH_SEGMENT = r"[A-Za-z0-9_.-]+"

KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            "github",
            "https://api.github.com",
            re.compile(rf"{_PATH_SEGMENT}/{_PATH_SEGMENT}"),
            "owner/repo",
        ),
        KindSpec(
            "gitlab",
            "https://gitlab.com/api/v4",
            re.compile(rf"{_PATH_SEGMENT}(/{_PATH_SEGMENT})+"),
            "group/project (subgroups allowed)",
        ),
        KindSpec(
            "jira",
            None,
            re.compile(r"[A-Z][A-Z0-9_]{0,254}|jql:\S.*", re.DOTALL),
            "a project key such as PAY, or jql:<JQL>",
        ),
        KindSpec(
            "linear",
            "https://api.linear.app",
            re.compile(r"[A-Z][A-Z0-9]{0,9}"),
            "a team key such as ENG",
        ),
        KindSpec("productboard", "https://api.productboard.com", None, "nothing"),
        KindSpec("aha", None, None, "nothing"),
    )
}
