"""A lean HTTP/1.1 load generator: open loop (wrk2-style) and closed loop, one process, one core.

    python loadgen.py --port 8000 --mode open --rate 1000 --seconds 10 --connections 50
    python loadgen.py --port 8000 --mode closed --requests 15000 --seconds 20

Writes one JSON document on stdout (latencies in ms). Built for measuring a Python server on
a 2-core machine without the generator itself being the bottleneck: non-blocking sockets on
one epoll loop (no asyncio tasks, no streams), requests encoded once up front, responses framed
by Content-Length. Pin it to its own core (``--cpu``) and the server to the other.

Open loop: ``rate`` requests/s spread evenly over the connections, each request with a
scheduled send time. A connection carries one request at a time (no pipelining); when the
server is late, the next request goes out as soon as the previous answer arrives, and its
latency is still measured from its *scheduled* time, so a stalled server is charged for every
request it delayed (no coordinated omission). ``send_lag`` reports how late requests left
relative to their schedule, which shows whether the generator itself kept up (epoll timeouts
have millisecond resolution, so up to ~1 ms of lag is the generator's own and is included,
conservatively, in the latencies).

Closed loop: every connection sends its next request as soon as the previous answer arrives;
gives the saturation throughput.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import resource
import select
import socket
import sys
import time
from typing import Any


def encode_requests(path: str, bodies: list[bytes], host: str = "bench") -> list[bytes]:
    return [
        b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (path.encode(), host.encode(), len(body), body)
        for body in bodies
    ]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class _Connection:
    __slots__ = ("buffer", "index", "scheduled", "sent_count", "sock")

    def __init__(self, sock: socket.socket, index: int) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.scheduled = 0.0  # scheduled (open loop) or actual (closed loop) send time
        self.sent_count = 0
        self.index = index


def _take_response(conn: _Connection) -> int | None:
    """Status of one complete response at the head of the buffer (consumed), else None."""
    buffer = conn.buffer
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = bytes(buffer[:head_end]).lower()
    start = head.find(b"\r\ncontent-length:")
    if start < 0:
        raise RuntimeError("response without Content-Length")
    end = head.find(b"\r\n", start + 2)
    length = int(head[start + 17 : end if end >= 0 else len(head)])
    total = head_end + 4 + length
    if len(buffer) < total:
        return None
    status = int(head[9:12])
    del buffer[:total]
    return status


def _connect(host: str, port: int, connections: int) -> list[_Connection]:
    conns = []
    for i in range(connections):
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        conns.append(_Connection(sock, i))
    return conns


def _close(conns: list[_Connection]) -> None:
    for conn in conns:
        conn.sock.close()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_open(
    host: str,
    port: int,
    requests: list[bytes],
    rate: float,
    seconds: float,
    connections: int,
    trace: str | None = None,
) -> dict[str, Any]:
    """Offer `rate` req/s for `seconds`; latency from each request's scheduled send time."""
    conns = _connect(host, port, connections)
    by_fd = {c.sock.fileno(): c for c in conns}
    poller = select.epoll()
    for c in conns:
        poller.register(c.sock.fileno(), select.EPOLLIN)
    per_connection = max(1, int(rate * seconds / connections))
    interval = connections / rate
    n_requests = len(requests)
    latencies: list[float] = []
    sent_at: list[float] = []  # scheduled send time of each answered request, from start
    lags: list[float] = []
    errors = 0
    cpu_before = _cpu_seconds()
    start = time.perf_counter() + 0.1
    # Connection i sends its k-th request at start + (i / connections + k) * interval: the
    # connections' schedules interleave, so the server sees one request every 1 / rate seconds.
    due = [(start + i * interval / connections, i) for i in range(connections)]
    heapq.heapify(due)
    in_flight = 0
    perf_counter = time.perf_counter

    def send(conn: _Connection, scheduled: float, now: float) -> None:
        conn.scheduled = scheduled
        conn.sock.send(requests[(conn.index * per_connection + conn.sent_count) % n_requests])
        conn.sent_count += 1
        lags.append((now - scheduled) * 1000)

    while due or in_flight:
        now = perf_counter()
        while due and due[0][0] <= now:
            scheduled, i = heapq.heappop(due)
            send(conns[i], scheduled, now)
            in_flight += 1
        timeout = max(0.0, due[0][0] - perf_counter()) if due else 1.0
        for fd, _ in poller.poll(timeout):
            conn = by_fd[fd]
            data = conn.sock.recv(65536)
            if not data:
                raise RuntimeError("server closed a connection")
            conn.buffer += data
            status = _take_response(conn)
            if status is None:
                continue
            now = perf_counter()
            latencies.append((now - conn.scheduled) * 1000)
            sent_at.append(conn.scheduled - start)
            in_flight -= 1
            if status != 200:
                errors += 1
            if conn.sent_count < per_connection:
                scheduled = start + (conn.index / connections + conn.sent_count) * interval
                if scheduled <= now:
                    send(conn, scheduled, now)  # behind schedule: send at once, still charged
                    in_flight += 1
                else:
                    heapq.heappush(due, (scheduled, conn.index))
    elapsed = perf_counter() - start
    cpu = _cpu_seconds() - cpu_before
    poller.close()
    _close(conns)
    if trace:
        with open(trace, "w") as out:
            pairs = zip(sent_at, latencies, strict=True)
            out.writelines(f"{t:.6f} {latency:.3f}\n" for t, latency in pairs)
    return {
        "mode": "open",
        "connections": connections,
        "offered_rps": rate,
        "requests": len(latencies),
        "achieved_rps": len(latencies) / elapsed,
        "errors": errors,
        "p50_ms": percentile(latencies, 50),
        "p90_ms": percentile(latencies, 90),
        "p99_ms": percentile(latencies, 99),
        "p999_ms": percentile(latencies, 99.9),
        "max_ms": max(latencies),
        "send_lag_p50_ms": percentile(lags, 50),
        "send_lag_p99_ms": percentile(lags, 99),
        "client_cpu_ms_per_request": cpu * 1000 / max(1, len(latencies)),
    }


def run_closed(
    host: str, port: int, requests: list[bytes], total: int, seconds: float, connections: int
) -> dict[str, Any]:
    """Saturation: each connection sends again as soon as its answer arrives."""
    conns = _connect(host, port, connections)
    by_fd = {c.sock.fileno(): c for c in conns}
    poller = select.epoll()
    for c in conns:
        poller.register(c.sock.fileno(), select.EPOLLIN)
    n_requests = len(requests)
    latencies: list[float] = []
    errors = 0
    issued = 0
    perf_counter = time.perf_counter
    cpu_before = _cpu_seconds()
    start = perf_counter()
    deadline = start + seconds

    def send(conn: _Connection, now: float) -> None:
        nonlocal issued
        conn.scheduled = now
        conn.sock.send(requests[issued % n_requests])
        issued += 1

    in_flight = 0
    for conn in conns:
        if issued < total:
            send(conn, perf_counter())
            in_flight += 1
    while in_flight:
        for fd, _ in poller.poll(1.0):
            conn = by_fd[fd]
            data = conn.sock.recv(65536)
            if not data:
                raise RuntimeError("server closed a connection")
            conn.buffer += data
            status = _take_response(conn)
            if status is None:
                continue
            now = perf_counter()
            latencies.append((now - conn.scheduled) * 1000)
            in_flight -= 1
            if status != 200:
                errors += 1
            if issued < total and now < deadline:
                send(conn, now)
                in_flight += 1
    elapsed = perf_counter() - start
    cpu = _cpu_seconds() - cpu_before
    poller.close()
    _close(conns)
    return {
        "mode": "closed",
        "connections": connections,
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "errors": errors,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "client_cpu_ms_per_request": cpu * 1000 / max(1, len(latencies)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/predict")
    parser.add_argument("--mode", choices=["open", "closed"], default="open")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rate", type=float, default=1000.0, help="open loop: requests/s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=15000, help="closed loop: at most")
    parser.add_argument("--body", action="append", help="request body (repeatable)")
    parser.add_argument("--cpu", type=int, help="pin this process to this CPU")
    parser.add_argument("--trace", help="open loop: write 'scheduled_s latency_ms' lines here")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    bodies = [b.encode() for b in (args.body or ['{"id": "5000000"}'])]
    requests = encode_requests(args.path, bodies)
    if args.mode == "open":
        result = run_open(
            args.host, args.port, requests, args.rate, args.seconds, args.connections, args.trace
        )
    else:
        result = run_closed(
            args.host, args.port, requests, args.requests, args.seconds, args.connections
        )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
