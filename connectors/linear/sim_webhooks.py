"""Signed Linear webhook deliveries of World changes, and an emitter that POSTs them.

    async with LinearWebhookEmitter("http://127.0.0.1:8000/webhooks/lin", "s3cret") as hook:
        responses = await hook.send(world, world.advance(10))

Each change becomes one `Issue` delivery as Linear sends it: `create` for a new
issue, `remove` for a deleted one, `update` for everything else (with
`updatedFrom` holding the previous title or description of an edit, and
`archivedAt` set when the issue was moved out of the team). `data` is the
webhook flavour of an issue: flat ids (`stateId`, `labelIds`...) beside the
nested state, team, labels, cycle and project.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable
from typing import Any

import httpx
import orjson

from connectors.linear.sim_render import Node, Workspace, iso, stable_id
from connectors.sim.world import Change, World

USER_AGENT = "Linear-Webhook"
ACTIONS = {"created": "create", "deleted": "remove"}
# The World's names of edited fields → Linear's.
PREVIOUS_NAMES = {"title": "title", "body": "description"}


def _ref(node: Node | None, *fields: str) -> dict[str, Any] | None:
    return None if node is None else {name: node[name] for name in ("id", *fields)}


def webhook_data(node: Node) -> dict[str, Any]:
    """An issue node as a webhook's `data`."""
    labels = [_ref(label, "name", "color") for label in node["labels"]]
    state, team, cycle = node["state"], node["team"], node["cycle"]
    return {
        "id": node["id"], "createdAt": node["createdAt"], "updatedAt": node["updatedAt"],
        "archivedAt": node["archivedAt"], "trashed": node["trashed"],
        "number": node["number"], "title": node["title"], "description": node["description"],
        "priority": node["priority"], "priorityLabel": node["priorityLabel"],
        "estimate": node["estimate"], "dueDate": node["dueDate"],
        "completedAt": node["completedAt"], "canceledAt": node["canceledAt"],
        "teamId": team["id"], "stateId": state["id"], "labelIds": node["labelIds"],
        "assigneeId": node["assignee"]["id"] if node["assignee"] else None,
        "parentId": node["parentId"], "cycleId": cycle["id"] if cycle else None,
        "projectId": node["project"]["id"] if node["project"] else None,
        "state": _ref(state, "name", "type", "color"), "team": _ref(team, "key", "name"),
        "assignee": _ref(node["assignee"], "name"), "labels": labels,
        "cycle": _ref(cycle, "number", "startsAt", "endsAt"),
        "project": _ref(node["project"], "name", "url"),
    }  # fmt: skip


def issue_delivery(
    workspace: Workspace, change: Change, *, secret: str, delivery_id: str | None = None
) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of the signed delivery of one change."""
    node = workspace.render(change.issue)
    node["updatedAt"] = iso(change.at)
    if change.kind in ("deleted", "transferred"):
        node["archivedAt"] = iso(change.at)
        node["trashed"] = True if change.kind == "deleted" else None
    payload: dict[str, Any] = {
        "action": ACTIONS.get(change.kind, "update"),
        "type": "Issue",
        "createdAt": iso(change.at),
        "data": webhook_data(node),
        "url": node["url"],
        "organizationId": stable_id("organization", workspace.slug),
        "webhookId": stable_id("webhook", workspace.slug),
        "webhookTimestamp": int(time.time() * 1000),
    }
    previous = {PREVIOUS_NAMES[k]: v for k, v in change.previous.items() if k in PREVIOUS_NAMES}
    if payload["action"] == "update" and previous:
        payload["updatedFrom"] = previous
    body = orjson.dumps(payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Linear-Delivery": delivery_id or str(uuid.uuid4()),
        "Linear-Event": "Issue",
        "Linear-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }
    return headers, body


class LinearWebhookEmitter:
    """POSTs signed Linear deliveries of World changes (issues, not pull requests)
    to one target URL."""

    def __init__(
        self, target_url: str, secret: str, *, client: httpx.AsyncClient | None = None
    ) -> None:
        self.target_url = target_url
        self.secret = secret
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=10.0)
        self._workspaces: dict[int, Workspace] = {}

    def _workspace(self, world: World) -> Workspace:
        # Ids and numbers follow from the World alone, so this workspace names every
        # issue as the simulator's own does.
        found = self._workspaces.get(id(world))
        if found is None:
            found = self._workspaces[id(world)] = Workspace(world)
        return found

    async def send(self, world: World, changes: Iterable[Change]) -> list[httpx.Response]:
        workspace = self._workspace(world)
        responses = []
        for change in changes:
            if change.issue.is_pull_request:
                continue
            headers, body = issue_delivery(workspace, change, secret=self.secret)
            responses.append(
                await self._client.post(self.target_url, content=body, headers=headers)
            )
        return responses

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def __aenter__(self) -> LinearWebhookEmitter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
