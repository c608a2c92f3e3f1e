"""Scope tracking: baselines of roadmap items, and the changes of their scope."""
