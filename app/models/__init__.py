"""ORM tables only, one module per table family. Importing this registers them all."""

from app.models.alerts import Alert, AlertAttempt, AlertState, AlertTarget
from app.models.base import Base
from app.models.connections import Connection
from app.models.items import ItemEvent, WorkItem
from app.models.links import ItemMention, Link
from app.models.scope import RoadmapTally, ScopeBaseline, ScopeChange, ScopeReach, ScopeState
from app.models.sync import SyncCursor, SyncLease, SyncRun
from app.models.webhooks import WebhookDelivery

__all__ = [
    "Alert",
    "AlertAttempt",
    "AlertState",
    "AlertTarget",
    "Base",
    "Connection",
    "ItemEvent",
    "ItemMention",
    "Link",
    "RoadmapTally",
    "ScopeBaseline",
    "ScopeChange",
    "ScopeReach",
    "ScopeState",
    "SyncCursor",
    "SyncLease",
    "SyncRun",
    "WebhookDelivery",
    "WorkItem",
]
