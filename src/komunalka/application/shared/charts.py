"""What a chart shows, as a short digest: equal digests draw equal pictures, so a picture may be
kept under it (``adapters/chart_cache.py``) and a browser's copy revalidated by it (ETag)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from komunalka.application.shared.ports import ZoneUse

# Bump when the drawing changes, so pictures kept under the old look are not served again.
CHART_LOOK = 3


def chart_digest(
    title: str,
    labels: Sequence[str],
    values: Sequence[float] | Sequence[ZoneUse],
    unit: str,
    period_axis: str = "",
) -> str:
    """The digest of a chart: one zone's values, or several zones' (``ZoneUse``)."""
    shown_values = [
        [v.name, [float(x) for x in v.values]] if isinstance(v, ZoneUse) else float(v)
        for v in values
    ]
    shown = json.dumps(
        [CHART_LOOK, title, list(labels), shown_values, unit, period_axis],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(shown.encode()).hexdigest()[:32]
