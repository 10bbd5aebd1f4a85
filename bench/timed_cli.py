"""Run one `komunalka` command exactly as the installed script does, and say where the time went.

    python bench/timed_cli.py REPORT.json import-registry FILE ...

Writes REPORT.json: `command` (seconds from the first line of the command to its end, imports
excluded), `rss_after_import` and `max_rss` (bytes; the kernel's peak for this process), `cpu`
(seconds of CPU, user and system, of the whole process).
The caller measures the wall time around the whole process.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import psutil

from komunalka.bootstrap.cli import main


def run(report: Path, args: list[str]) -> int:
    rss_after_import = psutil.Process().memory_info().rss
    sys.argv = ["komunalka", *args]
    start = time.perf_counter()
    code: int | str | None = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    max_rss = usage.ru_maxrss * 1024  # KiB on Linux
    timing = {
        "command": elapsed,
        "rss_after_import": rss_after_import,
        "max_rss": max_rss,
        "cpu": usage.ru_utime + usage.ru_stime,  # the whole process, start-up included
    }
    report.write_text(json.dumps(timing))
    if code in (0, None):
        return 0
    return code if isinstance(code, int) else 1


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]), sys.argv[2:]))
