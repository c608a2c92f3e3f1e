"""Simulated vendor APIs over one generated organisation (see world.py and server.py)."""
