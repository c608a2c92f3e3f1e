"""The roadmap's rollup now reads scope_reach, which scope tracking keeps; it must
say what the walk of the links says, after every kind of change, on both databases."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.connections.service import remove
from app.db import Database
from app.items.identity import item_id
from app.items.plan import ConnectionRef
from app.models import Connection, RoadmapTally, ScopeReach, ScopeState
from app.roadmap.repository import Reached, RoadmapRepository
from app.roadmap.service import roadmap
from connectors.base.records import Batch, Deletion, Link, WorkItem
from tests.conftest import add_connection
from tests.factories import at, work_item
from tests.items.helpers import ingest_one

TEAMS = (None, "", "web", "api", "data")  # None and "" are both no team
STATUSES = ("todo", "in_progress", "done", "cancelled")
ESTIMATES = (None, 1.0, 2.0, 3.0, 5.0, 8.0)
GITHUB_URL = "https://github.com/acme/api/issues/{}"


async def _read(database: Database, *, walk: bool) -> Reached:
    """The rollup's sums of every live roadmap item: from scope_reach, or (`walk`)
    with every root's scope forgotten inside a transaction rolled back after, so
    the links are walked."""
    async with AsyncSession(database.writer) as session:
        repository = RoadmapRepository(session)
        roots = [item.id for item, _ in await repository.roadmap_items(connection=None, team=None)]
        if walk:
            await session.execute(delete(ScopeState))
        reached = await repository.reached(roots)
        await session.rollback()
    return reached


def _comparable(reached: Reached) -> tuple[Any, ...]:
    tallies = {root: teams for root, teams in reached.tallies.items() if teams}
    estimates = sorted(reached.estimates, key=lambda e: (e.team or "", e.estimate))
    return tallies, estimates


async def _assert_reach_equals_walk(database: Database, step: str) -> Reached:
    kept = await _read(database, walk=False)
    walked = await _read(database, walk=True)
    assert _comparable(kept) == _comparable(walked), step
    return kept


@dataclass
class Org:
    """A random organisation: Jira roadmap items, epics (nested) and tickets, GitHub
    tickets; tied by vendor links, parents, references, label rules and manual links."""

    database: Database
    client: httpx.AsyncClient
    tools: dict[str, ConnectionRef]
    rng: random.Random
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    delivers: dict[str, set[str]] = field(default_factory=dict)  # vendor links of a root
    manual: list[str] = field(default_factory=list)
    minute: float = 0

    def tool_of(self, name: str) -> str:
        return "github" if name.startswith("gh") else "jira"

    def record(self, name: str) -> WorkItem:
        values = dict(self.fields[name])
        if self.tool_of(name) == "github":
            number = int(name[2:])
            return work_item(number, self.minute, **values)
        url = f"https://acme.atlassian.net/browse/{name}"
        return work_item(name, self.minute, key=name, url=url, **values)

    async def send(self, *names: str) -> None:
        self.minute += 1
        tool = self.tool_of(names[0])
        links = tuple(
            Link(source_external_id=root, target_external_id=epic, kind="implements",
                 stated_by=root)
            for root in names if root in self.delivers for epic in sorted(self.delivers[root])
        )  # fmt: skip
        batch = Batch(items=tuple(self.record(name) for name in names), links=links)
        await ingest_one(self.database, self.tools[tool], batch)

    async def delete(self, name: str) -> None:
        self.minute += 1
        gone = Deletion(external_id=name[2:] if name.startswith("gh") else name,
                        deleted_at=at(self.minute))  # fmt: skip
        await ingest_one(self.database, self.tools[self.tool_of(name)], Batch(deletions=(gone,)))
        del self.fields[name]
        for epics in self.delivers.values():
            epics.discard(name)

    def id_of(self, name: str) -> uuid.UUID:
        tool = self.tool_of(name)
        return item_id(self.tools[tool].id, name[2:] if tool == "github" else name)

    def named(self, prefix: str) -> list[str]:
        return sorted(name for name in self.fields if name.startswith(prefix))


def _ticket(rng: random.Random) -> dict[str, Any]:
    return {
        "team": rng.choice(TEAMS), "status_category": rng.choice(STATUSES),
        "estimate": rng.choice(ESTIMATES),
        "due_date": rng.choice((None, date(2026, 6, rng.randint(1, 30)))),
    }  # fmt: skip


async def _build(database: Database, client: httpx.AsyncClient, seed: int) -> Org:
    tools = {
        "jira": await add_connection(database, "jira", "jira"),
        "github": await add_connection(database, "gh", "github"),
    }
    org, rng = Org(database, client, tools, random.Random(seed)), random.Random(seed)
    for n in range(1, 9):
        labels = (f"roadmap:R-{rng.randint(1, 3)}",) if rng.random() < 0.4 else ()
        org.fields[f"gh{n}"] = _ticket(rng) | {"labels": labels}
    await org.send(*org.named("gh"))
    for n in range(1, 7):
        parent = f"E-{rng.randint(1, n - 1)}" if n > 1 and rng.random() < 0.4 else None
        org.fields[f"E-{n}"] = {"kind": "epic", "parent_external_id": parent, "estimate": 13.0}
    for n in range(1, 17):
        parent = rng.choice([None, *(f"E-{e}" for e in range(1, 7))])
        org.fields[f"T-{n}"] = _ticket(rng) | {"parent_external_id": parent}
    await org.send(*org.named("E-"), *org.named("T-"))
    for n in range(1, 4):
        org.fields[f"R-{n}"] = {
            "kind": "roadmap_item",
            "team": "product",
            "description": _mentions(rng),
            "due_date": date(2026, 7, 1),
        }
        org.delivers[f"R-{n}"] = set(rng.sample(org.named("E-"), 2))  # fmt: skip
    await org.send(*org.named("R-"))
    return org


def _mentions(rng: random.Random) -> str:
    issues = rng.sample(range(1, 9), rng.randint(0, 3))
    return "Delivered by " + " and ".join(GITHUB_URL.format(n) for n in issues)


async def _change_a_field(org: Org) -> str:
    name = org.rng.choice(org.named("T-") + org.named("gh"))
    changed = org.rng.choice(("team", "status_category", "estimate", "due_date"))
    org.fields[name] |= {changed: _ticket(org.rng)[changed]}
    await org.send(name)
    return f"{name}.{changed}"


async def _move_a_ticket(org: Org) -> str:
    name = org.rng.choice(org.named("T-"))
    org.fields[name]["parent_external_id"] = org.rng.choice([None, *org.named("E-")])
    await org.send(name)
    return f"{name} parent"


async def _rewrite_references(org: Org) -> str:
    root = org.rng.choice(org.named("R-"))
    org.fields[root]["description"] = _mentions(org.rng)
    await org.send(root)
    return f"{root} references"


async def _restate_vendor_links(org: Org) -> str:
    root = org.rng.choice(org.named("R-"))
    epics = org.named("E-")
    org.delivers[root] = set(org.rng.sample(epics, min(len(epics), org.rng.randint(0, 3))))
    await org.send(root)
    return f"{root} vendor links"


async def _relabel(org: Org) -> str:
    name = org.rng.choice(org.named("gh"))
    label = org.rng.choice(((), ("roadmap:R-1",), ("roadmap:R-2",), ("roadmap:R-3",)))
    org.fields[name]["labels"] = label
    await org.send(name)
    return f"{name} labels"


async def _delete(org: Org) -> str:
    name = org.rng.choice(org.named("T-") + org.named("gh") + org.named("E-"))
    await org.delete(name)
    return f"{name} deleted"


async def _link_by_hand(org: Org) -> str:
    source = org.rng.choice(org.named("R-") + org.named("E-"))
    target = org.rng.choice(org.named("gh") + org.named("T-"))
    body = {"from": str(org.id_of(source)), "to": str(org.id_of(target))}
    response = await org.client.post("/api/v1/links", json=body)
    assert response.status_code in (200, 201), response.text
    org.manual.append(response.json()["id"])
    return f"manual {source} -> {target}"


async def _unlink_by_hand(org: Org) -> str:
    if not org.manual:
        return await _link_by_hand(org)
    link = org.manual.pop(org.rng.randrange(len(org.manual)))
    response = await org.client.delete(f"/api/v1/links/{link}")
    assert response.status_code == 204, response.text
    return f"manual link {link} removed"


STEPS = (_change_a_field, _change_a_field, _change_a_field, _move_a_ticket, _rewrite_references,
         _restate_vendor_links, _relabel, _delete, _link_by_hand, _unlink_by_hand)  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_organisations_read_the_same_rollup_from_reach_as_from_the_walk(
    database: Database, client: httpx.AsyncClient, seed: int
) -> None:
    org = await _build(database, client, seed)
    first = await _assert_reach_equals_walk(database, "built")
    assert any(first.tallies.values()), "the organisation delivers nothing: a useless test"
    for n in range(30):
        step = await org.rng.choice(STEPS)(org)
        await _assert_reach_equals_walk(database, f"step {n}: {step}")
    async with database.job_session() as session:
        await remove(session, "gh")
    await _assert_reach_equals_walk(database, "github removed")
    name = org.rng.choice(org.named("T-"))
    org.fields[name] |= {"team": "after-removal", "estimate": 21.0}
    await org.send(name)
    await _assert_reach_equals_walk(database, "after the removal")
    await _assert_now_equals_history(client)


async def _assert_now_equals_history(client: httpx.AsyncClient) -> None:
    """A third reckoning: as of today, tickets rebuilt one by one from history."""
    today = datetime.combine(datetime.now(UTC).date(), time()).date().isoformat()
    now = (await client.get("/api/v1/roadmap")).json()["items"]
    then = (await client.get("/api/v1/roadmap", params={"as_of": today})).json()["items"]
    rollups = [entry["rollup"] | {"scope": None} for entry in now]
    assert rollups == [entry["rollup"] | {"scope": None} for entry in then]


DELIVERY = Link(source_external_id="IDEA-1", target_external_id="PAY-1", kind="implements",
                stated_by="IDEA-1")  # fmt: skip


def _jira(key: str, minute: float, **fields: Any) -> WorkItem:
    url = f"https://acme.atlassian.net/browse/{key}"
    return work_item(key, minute, key=key, url=url, **({"team": "payments"} | fields))


def _pay(n: int, minute: float, **fields: Any) -> WorkItem:
    done = {"estimate": 5.0, "status_category": "done", "due_date": date(2026, 6, 1)}
    started = {"estimate": 3.0, "status_category": "in_progress", "due_date": date(2026, 7, 15)}
    return _jira(f"PAY-{n}", minute, parent_external_id="PAY-1", **((done if n == 2 else started)
                 | fields))  # fmt: skip


@pytest.fixture
async def jira(database: Database) -> ConnectionRef:
    """IDEA-1 delivered by epic PAY-1: PAY-2 (5 points, done, due June 1) and PAY-3
    (3 points, in progress, due July 15), both of payments."""
    tool = await add_connection(database, "jira", "jira")
    records = (_jira("IDEA-1", 1, kind="roadmap_item", team="product", due_date=date(2026, 7, 31)),
               _jira("PAY-1", 1, kind="epic"), _pay(2, 1), _pay(3, 1))  # fmt: skip
    await ingest_one(database, tool, Batch(items=records, links=(DELIVERY,)))
    return tool


async def _rollup(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/v1/roadmap")
    assert response.status_code == 200, response.text
    [entry] = response.json()["items"]
    rollup: dict[str, Any] = entry["rollup"]
    return rollup


async def _stored_reach(database: Database, key: str) -> tuple[Any, ...] | None:
    async with database.job_session() as session:
        query = select(ScopeReach.team, ScopeReach.due_date, ScopeReach.estimate).where(
            ScopeReach.item_id == item_id((await _jira_id(session)), key)
        )
        row = (await session.execute(query)).one_or_none()
    return None if row is None else tuple(row)


async def _jira_id(session: AsyncSession) -> uuid.UUID:
    found: uuid.UUID = await session.scalar(select(Connection.id).where(Connection.name == "jira"))
    return found


async def test_a_ticket_moved_to_another_team_with_a_new_due_date_moves_in_the_rollup(
    database: Database, client: httpx.AsyncClient, jira: ConnectionRef
) -> None:
    changes_before = (await client.get("/api/v1/scope-changes")).json()["changes"]
    await ingest_one(
        database, jira, Batch(items=(_pay(3, 2, team="web", due_date=date(2026, 6, 10)),))
    )
    assert await _stored_reach(database, "PAY-3") == ("web", date(2026, 6, 10), 3.0)
    rollup = await _rollup(client)
    assert rollup["teams"] == {
        "payments": {"tickets_total": 1, "tickets_done": 1, "points_total": 5, "points_done": 5},
        "web": {"tickets_total": 1, "tickets_done": 0, "points_total": 3, "points_done": 0},
    }
    assert (rollup["tickets_total"], rollup["points_total"], rollup["points_done"]) == (2, 8, 5)
    assert rollup["internal_due"] == "2026-06-10"  # was July 15, after the July 31 target: no more
    assert (rollup["tickets_in_progress"], rollup["points_in_progress"]) == (1, 3)
    # A team or a due date is not the scope: no scope change is recorded for it.
    assert (await client.get("/api/v1/scope-changes")).json()["changes"] == changes_before


async def test_a_store_upgraded_before_scope_tracking_is_walked_until_a_change_tracks_it(
    database: Database, client: httpx.AsyncClient, jira: ConnectionRef
) -> None:
    async with database.job_session() as session:  # what a store from before 0006 holds
        for table in (ScopeReach, ScopeState, RoadmapTally):
            await session.execute(delete(table))
    rollup = await _rollup(client)
    assert (rollup["tickets_total"], rollup["tickets_done"]) == (2, 1)
    assert (rollup["points_total"], rollup["points_done"], rollup["internal_due"]) == (
        8, 5, "2026-07-15",
    )  # fmt: skip
    await ingest_one(database, jira, Batch(items=(_pay(2, 2, estimate=8.0),)))
    assert await _stored_reach(database, "PAY-3") == ("payments", date(2026, 7, 15), 3.0)
    rollup = await _rollup(client)
    assert (rollup["points_total"], rollup["points_done"]) == (11, 8)


async def test_tickets_of_a_removed_connection_leave_the_rollup(
    database: Database, client: httpx.AsyncClient, jira: ConnectionRef
) -> None:
    github = await add_connection(database, "gh", "github")
    await ingest_one(database, github, Batch(items=(work_item(7, 2, team="web", estimate=2.0),)))
    idea = _jira("IDEA-1", 3, kind="roadmap_item", team="product", due_date=date(2026, 7, 31),
                 description=f"Delivered by {GITHUB_URL.format(7)}")  # fmt: skip
    await ingest_one(database, jira, Batch(items=(idea,), links=(DELIVERY,)))
    assert (await _rollup(client))["tickets_total"] == 3
    async with database.job_session() as session:
        await remove(session, "gh")
    rollup = await _rollup(client)
    assert (rollup["tickets_total"], rollup["points_total"], list(rollup["teams"])) == (
        2, 8, ["payments"],
    )  # fmt: skip
    # Its departure is a scope change against the baseline (taken with the first
    # target date), once: removal is a change of scope like any other.
    changes = (await client.get("/api/v1/scope-changes")).json()["changes"]
    removed = [c for c in changes if c["type"] == "ticket_removed"]
    github_7 = str(item_id(github.id, "7"))
    assert [(c["ticket"], c["points_delta"]) for c in removed] == [(github_7, -2.0)]
    assert rollup["scope"]["removed_tickets"] == 1


async def test_vendor_links_restated_without_any_change_of_the_item_move_the_rollup(
    database: Database, client: httpx.AsyncClient, jira: ConnectionRef
) -> None:
    """The same version of IDEA-1, stating no delivery link now: nothing of the
    item changed, only what it delivers."""
    idea = _jira("IDEA-1", 1, kind="roadmap_item", team="product", due_date=date(2026, 7, 31))
    await ingest_one(database, jira, Batch(items=(idea,), links=()))
    rollup = await _rollup(client)
    assert (rollup["tickets_total"], rollup["teams"]) == (0, {})
    assert await _stored_reach(database, "PAY-2") is None
    await _assert_reach_equals_walk(database, "unlinked")
    await ingest_one(database, jira, Batch(items=(idea,), links=(DELIVERY,)))
    assert (await _rollup(client))["tickets_total"] == 2
    await _assert_reach_equals_walk(database, "linked again")


async def test_one_item_s_entry_is_the_one_the_whole_roadmap_shows(
    database: Database, client: httpx.AsyncClient
) -> None:
    await _build(database, client, seed=4)
    today = datetime.now(UTC).date()
    async with database.job_session() as session:
        whole = await roadmap(session, connection=None, team=None, today=today)
        assert any(entry.rollup.points_assumed for entry in whole.items), "no median at work"
        for entry in whole.items:
            alone = await roadmap(
                session, connection=None, team=None, today=today, only=uuid.UUID(entry.item.id)
            )
            assert alone.items == [entry]
        nobody = await roadmap(session, connection=None, team=None, today=today, only=uuid.uuid4())
    assert nobody.items == []
