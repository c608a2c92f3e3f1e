"""Work items: the one write path (ingest) and the read side (items API)."""
