"""A small threaded load generator for the signed real-time API: keep-alive HTTP/1.1 clients on loopback.

Each client thread takes the next payer from a shared list, signs a notification of his payment (a new channel
transaction each, so every request is a new payment) and posts it, recording the latency of each answer.
Runs in its own process (``python bench/loadgen.py --spec spec.json``) so that it competes with the server for
the CPU like any other client would, and prints its figures as one JSON line.

The spec (JSON): ``url`` (http://127.0.0.1:PORT), ``channel``, ``key_id``, ``secret``, ``payers`` (a list of
``{"id_number", "insurance", "coverage_year", "amount"}``), ``clients``, ``seconds``, ``warmup``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import itertools
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlsplit


def sign(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The same HMAC as ``liangxian.collection.realtime.signature_of`` (kept apart: no Django here)."""
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def load(spec: dict[str, Any]) -> dict[str, Any]:
    """Drive the server for ``warmup + seconds``; count and time only the answers after the warm-up."""
    parts = urlsplit(spec["url"])
    path = f"/api/collection/notify/{spec['channel']}"
    payers = spec["payers"]
    counter = itertools.count()
    lock = threading.Lock()
    started = time.perf_counter()
    measure_from = started + spec.get("warmup", 2.0)
    stop_at = measure_from + spec["seconds"]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    outcomes: dict[str, int] = {}

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
        mine: list[float] = []
        my_status: dict[str, int] = {}
        my_outcome: dict[str, int] = {}
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                break
            n = next(counter)
            if n >= len(payers):
                break
            payer = payers[n]
            body = json.dumps(
                {
                    "txn_no": f"BENCH{n:010d}",
                    "id_number": payer["id_number"],
                    "insurance": payer["insurance"],
                    "coverage_year": payer["coverage_year"],
                    "amount": payer["amount"],
                    "paid_at": "2026-11-02T12:30:00+08:00",
                    "account": f"o{n:027d}",
                }
            ).encode()
            stamp, nonce = str(int(time.time())), secrets.token_hex(12)
            headers = {
                "Content-Type": "application/json",
                "X-Liangxian-Key": spec["key_id"],
                "X-Liangxian-Timestamp": stamp,
                "X-Liangxian-Nonce": nonce,
                "X-Liangxian-Signature": sign(spec["secret"], stamp, nonce, body),
            }
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                status = str(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
                status, answer = "error", b""
            t1 = time.perf_counter()
            if t0 >= measure_from and t1 <= stop_at:
                mine.append(t1 - t0)
                my_status[status] = my_status.get(status, 0) + 1
                if status == "200":
                    outcome = json.loads(answer).get("outcome", "?")
                    my_outcome[outcome] = my_outcome.get(outcome, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in my_status.items():
                statuses[k] = statuses.get(k, 0) + v
            for k, v in my_outcome.items():
                outcomes[k] = outcomes.get(k, 0) + v

    threads = [threading.Thread(target=client) for _ in range(spec["clients"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    measured = min(spec["seconds"], max(1e-9, time.perf_counter() - measure_from))
    ok = statuses.get("200", 0)
    return {
        "requests": len(latencies),
        "ok": ok,
        "statuses": statuses,
        "outcomes": outcomes,
        "seconds": measured,
        "per_second": ok / measured,
        "p50_ms": (percentile(latencies, 0.50) or 0) * 1000,
        "p99_ms": (percentile(latencies, 0.99) or 0) * 1000,
        "max_ms": (max(latencies) if latencies else 0) * 1000,
        "exhausted": next(counter) >= len(payers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--spec", required=True, help="the load's spec as a JSON file")
    args = parser.parse_args()
    with open(args.spec, encoding="utf-8") as handle:
        spec = json.load(handle)
    print(json.dumps(load(spec)))


if __name__ == "__main__":
    main()
