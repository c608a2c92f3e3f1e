"""Connections: the vendor accounts Issuebridge pulls from."""
