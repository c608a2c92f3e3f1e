"""Vendor adapters. This package never imports `app` or SQLAlchemy."""
