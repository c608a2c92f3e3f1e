"""Syncs: pulling from a connection on demand and on a schedule."""
