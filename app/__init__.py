"""Issuebridge: one normalized store of tickets and roadmap items across trackers."""
