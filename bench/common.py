"""What the benchmark scripts share: logging, checks and a free loopback port.

The scripts run as `python bench/NAME.py`, so this folder is on their path.
"""

from __future__ import annotations

import socket
import sys
import time


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"check failed: {message}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
