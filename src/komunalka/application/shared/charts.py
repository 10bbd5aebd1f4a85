"""What a chart shows, as a short digest: equal digests draw equal pictures, so a picture may be
kept under it (``adapters/chart_cache.py``) and a browser's copy revalidated by it (ETag)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

# Bump when the drawing changes, so pictures kept under the old look are not served again.
CHART_LOOK = 2


def chart_digest(title: str, labels: Sequence[str], values: Sequence[float], unit: str) -> str:
    shown = json.dumps(
        [CHART_LOOK, title, list(labels), [float(v) for v in values], unit],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(shown.encode()).hexdigest()[:32]
