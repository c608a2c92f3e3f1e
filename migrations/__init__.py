"""Alembic migrations of the Issuebridge store (a package, so installs carry it)."""
