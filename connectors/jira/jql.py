"""The little of JQL Issuebridge writes and its simulator reads.

The connector writes `(<scope>) AND updated >= "yyyy/MM/dd HH:mm" ORDER BY updated ASC, key ASC`,
with the date in the Jira user's own time zone and minute precision, as Jira
reads it. The simulator parses that subset: AND of `project = K`, `project in
(A, B)`, `key = K`, `issuetype = T`, `updated|created >=|>|<=|< "date"` and
parenthesised groups, then ORDER BY. Anything else is refused, the way Jira
refuses JQL it cannot run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

DATE_FORMAT = "%Y/%m/%d %H:%M"
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
_ORDER_BY = re.compile(r"\s+ORDER\s+BY\s+(?P<order>.+)$", re.IGNORECASE | re.DOTALL)
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
_CLAUSE = re.compile(
    r"""^(?P<field>[A-Za-z]+)\s*(?P<op>>=|<=|=|>|<|\s+in\s+)\s*(?P<value>.+)$""",
    re.IGNORECASE | re.DOTALL,
)
SORTABLE = ("updated", "created", "key", "id")


class JqlError(ValueError):
    """JQL this simulator (like Jira, for its own reasons) will not run."""


def date_literal(moment: datetime, time_zone: str) -> str:
    """`moment` as a JQL date literal in the user's zone, rounded DOWN to the minute
    (so `>=` with it never skips a change made within that minute)."""
    local = moment.astimezone(ZoneInfo(time_zone))
    return f'"{local.strftime(DATE_FORMAT)}"'


def without_order(jql: str) -> str:
    """A user's JQL without its ORDER BY, so ours can be appended."""
    return _ORDER_BY.sub("", jql.strip())


@dataclass(frozen=True)
class Condition:
    field: str  # project | key | issuetype | updated | created
    op: str  # = in >= > <= <
    values: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    conditions: tuple[Condition, ...]
    order: tuple[tuple[str, bool], ...] = field(default=(("key", False),))  # (field, desc)

    @property
    def bounded(self) -> bool:
        return bool(self.conditions)


def parse(jql: str) -> Query:
    text = jql.strip()
    order: tuple[tuple[str, bool], ...] = (("key", False),)
    match = _ORDER_BY.search(text)
    if match:
        order = _order(match["order"])
        text = text[: match.start()]
    return Query(tuple(_conditions(text)), order)


def _conditions(text: str) -> list[Condition]:
    text = _unwrap(text.strip())
    if not text:
        return []
    found: list[Condition] = []
    for part in _split_and(text):
        part = part.strip()
        if part.startswith("("):
            found += _conditions(part)
        else:
            found.append(_clause(part))
    return found


def _unwrap(text: str) -> str:
    while text.startswith("(") and _closing(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str, start: int) -> int:
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise JqlError("unbalanced parentheses")


def _split_and(text: str) -> list[str]:
    """Split on top-level AND (outside parentheses and quotes)."""
    parts, depth, quoted, start = [], 0, False, 0
    for match in re.finditer(r'\(|\)|"|\s+AND\s+|\s+OR\s+', text, re.IGNORECASE):
        word = match.group().strip().upper()
        if word == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif word in ("(", ")"):
            depth += 1 if word == "(" else -1
        elif depth == 0 and word == "OR":
            raise JqlError("OR is not supported by this simulator")
        elif depth == 0:
            parts.append(text[start : match.start()])
            start = match.end()
    parts.append(text[start:])
    return parts


def _clause(text: str) -> Condition:
    match = _CLAUSE.match(text)
    if match is None:
        raise JqlError(f"Error in the JQL Query: cannot read {text!r}")
    name, op = match["field"].lower(), match["op"].strip().lower()
    if name == "issuekey":
        name = "key"
    if name not in ("project", "key", "issuetype", "updated", "created"):
        raise JqlError(f"Field '{match['field']}' is not supported by this simulator")
    values = _values(match["value"].strip(), op)
    if name in ("updated", "created") and op in ("=", "in"):
        raise JqlError(f"use a range operator with {name}")
    return Condition(name, op, values)


def _values(text: str, op: str) -> tuple[str, ...]:
    if op == "in":
        if not (text.startswith("(") and text.endswith(")")):
            raise JqlError("IN takes a parenthesised list")
        return tuple(_unquote(v) for v in text[1:-1].split(",") if v.strip())
    return (_unquote(text),)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _order(text: str) -> tuple[tuple[str, bool], ...]:
    order = []
    for part in text.split(","):
        words = part.split()
        if not words or words[0].lower() not in SORTABLE or len(words) > 2:
            raise JqlError(f"cannot order by {part.strip()!r}")
        desc = len(words) == 2 and words[1].upper() == "DESC"
        order.append((words[0].lower(), desc))
    return tuple(order)


def parse_date(value: str, time_zone: str) -> datetime:
    """A JQL date literal, read in the user's zone; relative `-15m`/`-1d` are not supported."""
    for pattern in _DATE_FORMATS:
        try:
            naive = datetime.strptime(value, pattern)  # the zone is applied below
        except ValueError:
            continue
        return naive.replace(tzinfo=ZoneInfo(time_zone))
    raise JqlError(f"Date value '{value}' for field is invalid. Valid formats: 'yyyy/MM/dd HH:mm'")


MINUTE = timedelta(minutes=1)
