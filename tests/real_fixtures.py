"""The real vendor payloads in shared/fixtures/real (beside the repository)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "real"


def real_files(vendor: str) -> list[Path]:
    files = sorted((REAL / vendor).glob("*.json"))
    assert files, f"no real {vendor} payloads under {REAL}: shared/ must sit beside the repo"
    return files


def load(vendor: str, name: str) -> Any:
    return json.loads((REAL / vendor / name).read_text())


def raw_bytes(vendor: str, name: str) -> bytes:
    return (REAL / vendor / name).read_bytes()
