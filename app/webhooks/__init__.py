"""Inbound webhooks: verified, stored durably, answered 202, applied by the inbox."""
