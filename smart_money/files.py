"""Writing files so that a reader never sees half of one, and JSON that strict readers accept.

Every artifact the project writes (Parquet partitions, quarantine files, cached responses, model files,
evaluation JSON) goes through :func:`write_atomic`: the bytes land in a temporary file beside the target,
which is then renamed over it, so a crash leaves the previous version intact.
"""

import json
import os
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

TEMP_SUFFIX = ".tmp"


def temp_path(path: Path) -> Path:
    """A unique hidden temporary file beside ``path`` (``.<name>.<uuid>.tmp``)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_text_atomic(path: Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text))


def json_safe(value):
    """Replace NaN/inf (undefined metrics) by None recursively, so the JSON is valid for strict readers."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def json_default(value):
    """``json.dumps(default=...)`` for numpy scalars and dates; anything else is an error."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(value, **kwargs) -> str:
    """Strict JSON (no NaN) of ``value`` with numpy scalars and dates converted."""
    return json.dumps(json_safe(value), default=json_default, allow_nan=False, **kwargs)
