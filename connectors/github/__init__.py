"""GitHub: the connector, its payload models and normalizer, and the simulated API."""
