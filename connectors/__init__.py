"""Vendor adapters. This package never imports `app` or SQLAlchemy.

CONNECTORS is the registry: adding a tracker means adding its folder and one
line here.
"""

from __future__ import annotations

from connectors.base.contract import Connector
from connectors.base.http import FailureType, VendorError
from connectors.github.connector import GitHubConnector
from connectors.jira.connector import JiraConnector
from connectors.linear.connector import LinearConnector

CONNECTORS: tuple[type[Connector], ...] = (GitHubConnector, JiraConnector, LinearConnector)

_BY_KIND = {connector.kind: connector for connector in CONNECTORS}


def get_connector(kind: str) -> type[Connector]:
    """The connector class of a kind; a config error for kinds not built yet."""
    try:
        return _BY_KIND[kind]
    except KeyError:
        raise VendorError(
            f"Issuebridge has no {kind} connector yet: this connection cannot sync",
            failure_type=FailureType.CONFIG,
        ) from None
