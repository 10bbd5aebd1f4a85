"""A closed-loop HTTP/1.1 load generator for the API benchmark, run as a process of its own.

    python bench/loadgen.py --port 8000 --ids ids.txt --token T --key-prefix run1 --concurrency 32

Each of the keep-alive connections sends one `POST /api/v1/readings` (one reading of the next meter
in the ids file, with its own Idempotency-Key), waits for the whole answer, then sends the next,
until every meter has been sent once: the run is bounded by the file. Requests are built before
the clock starts. With `--bodies FILE --path /webhooks/telegram --header 'Name: value'` it sends
instead one `POST PATH` per line of FILE (a JSON body a line), e.g. Telegram updates to a webhook.
Prints one JSON object: counts by status, rate, latency percentiles (ms) and
the generator's own CPU time. Talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop

HOST = "127.0.0.1"


def build_requests(
    port: int, ids: list[int], value: str, token: str, key_prefix: str
) -> list[bytes]:
    requests = []
    for meter_id in ids:
        body = json.dumps(
            {"readings": [{"meter_id": meter_id, "value": value}]}, separators=(",", ":")
        ).encode()
        head = (
            f"POST /api/v1/readings HTTP/1.1\r\n"
            f"Host: {HOST}:{port}\r\n"
            f"Content-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Idempotency-Key: {key_prefix}-{meter_id}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


def build_posts(port: int, path: str, headers: list[str], bodies: list[bytes]) -> list[bytes]:
    extra = "".join(f"{h}\r\n" for h in headers)
    return [
        (
            f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"{extra}Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for body in bodies
    ]


@dataclass
class Stats:
    expect: int
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    sample_error: str = ""

    def record(self, status: int, seconds: float, body: bytes) -> None:
        self.statuses[status] += 1
        if status == self.expect:
            self.latencies.append(seconds)
        elif not self.sample_error:
            self.sample_error = f"{status}: {body[:500].decode(errors='replace')}"


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked = None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:  # aiohttp answers a multipart body (aiogram's webhook reply) in chunks
        body = bytearray()
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")  # the empty trailer
        return status, bytes(body)
    if length is None:
        raise ValueError("a response without Content-Length")
    return status, await reader.readexactly(length)


async def connection(port: int, requests: Iterator[bytes], stats: Stats) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        for request in requests:  # shared by every connection: each request is sent once
            start = time.perf_counter()
            writer.write(request)
            status, body = await read_response(reader)
            stats.record(status, time.perf_counter() - start, body)
    finally:
        writer.close()
        await writer.wait_closed()


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    rank = max(1, round(share * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


async def run(port: int, requests: list[bytes], concurrency: int, expect: int) -> dict[str, Any]:
    stats = Stats(expect)
    shared = iter(requests)
    cpu, start = time.process_time(), time.perf_counter()
    workers = min(concurrency, len(requests))
    await asyncio.gather(*(connection(port, shared, stats) for _ in range(workers)))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    ordered = sorted(stats.latencies)
    ok = len(ordered)
    return {
        "sent": len(requests),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "sample_error": stats.sample_error,
        "seconds": elapsed,
        "rate": ok / elapsed if elapsed else 0.0,
        "latencies_ms": [round(x * 1000, 3) for x in ordered],
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "loadgen_cpu_seconds": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ids", help="a file of meter ids, one a line")
    parser.add_argument("--bodies", help="a file of JSON bodies, one a line, POSTed to --path")
    parser.add_argument("--path", default="/api/v1/readings")
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--token", default="demo-resident-token")
    parser.add_argument("--key-prefix", default="run", help="Idempotency-Key = PREFIX-METER_ID")
    parser.add_argument("--value", default="1002.5")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--expect", type=int, default=201, help="the status that counts as ok")
    args = parser.parse_args()
    if args.bodies:
        bodies = [line.encode() for line in Path(args.bodies).read_text().splitlines() if line]
        requests = build_posts(args.port, args.path, args.header, bodies)
    elif args.ids:
        ids = [int(line) for line in Path(args.ids).read_text().split()]
        requests = build_requests(args.port, ids, args.value, args.token, args.key_prefix)
    else:
        parser.error("--ids or --bodies")
    # The loop the servers use too.
    result = uvloop.run(run(args.port, requests, args.concurrency, args.expect))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
