"""A closed-loop HTTP/1.1 load generator for the API benchmark, run as a process of its own.

    python bench/loadgen.py --port 8000 --ids ids.txt --token T --key-prefix run1 --concurrency 32

Each of the keep-alive connections sends one `POST /api/v1/readings` (one reading of the next meter
in the ids file, with its own Idempotency-Key), waits for the whole answer, then sends the next,
until every meter has been sent once: the run is bounded by the file. Requests are built before
the clock starts. With `--bodies FILE --path /webhooks/telegram --header 'Name: value'` it sends
instead one `POST PATH` per line of FILE (a JSON body a line), e.g. Telegram updates to a webhook.
Prints one JSON object: counts by status, rate, latency percentiles (ms) and
the generator's own CPU time. Talks to 127.0.0.1 only.

For the simulated month (bench/month.py): `--rate R` paces the sending (request i starts no
earlier than i/R seconds after the first: an open loop, while connections are free); `--retry N`
sends a request answered otherwise than `--expect` (or whose connection broke) again, with the
same Idempotency-Key or update, up to N more times, as a client and Telegram would; `--tls`
talks TLS (any certificate); `--sources` spreads the connections over that many source
addresses 127.0.x.y, as many residents are many addresses to nginx's per-address limits;
`--acked FILE` writes the index of each request finally answered `--expect`, one a line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop

HOST = "127.0.0.1"
IDLE = 4.0  # seconds a keep-alive connection may idle before it is replaced (nginx keeps 15 s)


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
    acked: list[int] = field(default_factory=list)
    retried: int = 0
    given_up: int = 0

    def record(self, status: int, seconds: float, body: bytes) -> None:
        self.statuses[status] += 1
        if status == self.expect:
            self.latencies.append(seconds)
        elif f"{status}:" not in self.sample_error:  # one sample of each status
            self.sample_error += f"{status}: {body[:300].decode(errors='replace')}\n"


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


@dataclass
class Plan:
    """How requests are sent: the shared queue of (index, attempt), the pace, the transport."""

    port: int
    requests: list[bytes]
    rate: float = 0.0
    retry: int = 0
    tls: bool = False
    sources: int = 0
    queue: asyncio.Queue[tuple[int, int]] = field(default_factory=asyncio.Queue)
    started: float = 0.0
    issued: int = 0
    open: int = 0  # requests not yet finally answered

    async def next(self) -> tuple[int, int] | None:
        while self.open:
            try:
                item = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                await asyncio.sleep(0.05)
                continue
            if self.rate and item[1] == 0:
                self.issued += 1
                delay = self.started + (self.issued - 1) / self.rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            return item
        return None


async def _open(plan: Plan, n: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    context = None
    if plan.tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    local = (f"127.0.{n // 250}.{n % 250 + 2}", 0) if plan.sources else None
    return await asyncio.open_connection(HOST, plan.port, ssl=context, local_addr=local)


async def connection(plan: Plan, n: int, stats: Stats) -> None:
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    source = n % plan.sources if plan.sources else 0
    used = 0.0
    while (item := await plan.next()) is not None:
        index, attempt = item
        start = time.perf_counter()
        if conn is not None and start - used > IDLE:  # the server may have closed it: a new one
            conn[1].close()
            conn = None
        try:
            if conn is None:
                conn = await _open(plan, source)
            conn[1].write(plan.requests[index])
            status, body = await read_response(conn[0])
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            status, body = 0, repr(error).encode()
            conn = None
        used = time.perf_counter()
        stats.record(status, used - start, body)
        if status == stats.expect:
            stats.acked.append(index)
            plan.open -= 1
        elif attempt < plan.retry:
            stats.retried += 1
            asyncio.get_running_loop().call_later(1.0, plan.queue.put_nowait, (index, attempt + 1))
        else:
            stats.given_up += 1
            plan.open -= 1
    if conn is not None:
        conn[1].close()


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    rank = max(1, round(share * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


async def run(plan: Plan, concurrency: int, expect: int) -> dict[str, Any]:
    stats = Stats(expect)
    for index in range(len(plan.requests)):
        plan.queue.put_nowait((index, 0))
    plan.open = len(plan.requests)
    cpu, start = time.process_time(), time.perf_counter()
    plan.started = start
    workers = min(concurrency, len(plan.requests))
    await asyncio.gather(*(connection(plan, n, stats) for n in range(workers)))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    ordered = sorted(stats.latencies)
    ok = len(ordered)
    return {
        "sent": len(plan.requests),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "sample_error": stats.sample_error,
        "seconds": elapsed,
        "rate": ok / elapsed if elapsed else 0.0,
        "latencies_ms": [round(x * 1000, 3) for x in ordered],
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "loadgen_cpu_seconds": cpu,
        "acked": stats.acked,
        "retried": stats.retried,
        "given_up": stats.given_up,
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
    parser.add_argument("--rate", type=float, default=0.0, help="requests a second (0: closed)")
    parser.add_argument("--retry", type=int, default=0, help="sends again of a failed request")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--sources", type=int, default=0, help="source addresses 127.0.x.y")
    parser.add_argument("--acked", help="write here the indexes of the requests answered ok")
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
    plan = Plan(args.port, requests, args.rate, args.retry, args.tls, args.sources)
    result = uvloop.run(run(plan, args.concurrency, args.expect))
    acked = result.pop("acked")
    if args.acked:
        Path(args.acked).write_text("".join(f"{i}\n" for i in sorted(acked)))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
