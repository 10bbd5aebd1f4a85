"""Accessibility checks in headless Chromium with axe-core (WCAG 2.1 A and AA rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parents[1] / "vendor" / "axe-4.14.1.min.js"
SERIOUS = {"serious", "critical"}


async def violations(page: Any) -> list[str]:
    """The page's serious and critical WCAG 2.1 A/AA violations, as readable lines."""
    # Evaluated rather than added as a <script>: the pages' Content-Security-Policy refuses an
    # inline script, and the test watches for what it refuses.
    await page.evaluate(f"{AXE.read_text()}\n;0")
    result = await page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
        })"""
    )
    found = []
    for v in result["violations"]:
        if v["impact"] in SERIOUS:
            targets = ", ".join(str(n["target"]) for n in v["nodes"][:3])
            found.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
    return found
