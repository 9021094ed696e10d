"""How fast `catalog serve` takes and commits signed worker reports, next to its HTTP floor.

Builds a catalog with one pending block per report, starts `catalog serve` in a
subprocess, and has 16 concurrent clients send every report (half of them twice) over
loopback. Measured in the same run:

- acknowledged reports/s: signature verified, parsed, validated, journalled (fsynced)
  before each 202;
- the same clients against a no-op handler on the same WSGI server and limits (the floor
  the HTTP stack sets);
- committed reports/s at steady state (journal → git, in batches), and how long the
  journal takes to drain after the load stops;
- the cost of verifying one signature.

Usage: python bench/service.py [--reports 20000] [--clients 16] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog.signing import verify  # noqa: E402
from tests.service.loadgen import (  # noqa: E402
    PROJECT,
    SERVICE,
    Report,
    ServerProcess,
    applied_counts,
    free_port,
    fsck_problems,
    make_load_catalog,
    make_reports,
    wait_drained,
)

BLOCKS = 50
"""Blocks per experiment record (so a batch edits a few dozen files, not one huge one)."""

BENCH_SERVICE = {**SERVICE, "batch_size": 2000, "batch_interval_s": 0.5}
"""Larger batches than the tests use: at steady state each record file is parsed and
written once for many reports."""


def noop_app() -> Any:
    """The floor: a Flask app on the same server settings that reads the body and says 202."""
    from flask import Flask, Response, request

    app = Flask("noop")

    @app.post("/api/v1/reports")
    def take() -> Response:
        request.get_data()
        return Response(b'{"ok":true,"status":202}\n', 202, content_type="application/json")

    @app.get("/healthz")
    def health() -> Response:
        return Response(b'{"ok":true}\n', 200, content_type="application/json")

    return app


def serve_noop(port: int) -> None:
    """Run the no-op app under waitress exactly as `catalog serve` runs the real one."""
    import logging

    from catalog.service.server import make_server
    from catalog.service.settings import ServiceSettings

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "all threads busy" notes

    settings = ServiceSettings.model_validate({**SERVICE, "port": port})
    make_server(noop_app(), settings).run()


class Sender(threading.Thread):
    """One client: a keep-alive connection, every report once, every other one twice."""

    def __init__(self, port: int, reports: list[Report]) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.reports = reports
        self.acked = 0
        self.requests = 0
        self.mismatched = 0

    def post(self, conn: http.client.HTTPConnection, r: Report) -> bytes:
        while True:
            try:
                conn.request("POST", "/api/v1/reports", body=r.body, headers=r.headers)
                resp = conn.getresponse()
                body = resp.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                time.sleep(0.01)
                continue
            self.requests += 1
            if resp.status != 202:
                raise RuntimeError(f"{r.key}: {resp.status} {body[:200]!r}")
            return body

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        for i, r in enumerate(self.reports):
            first = self.post(conn, r)
            self.acked += 1
            if i % 2 == 0 and self.post(conn, r) != first:
                self.mismatched += 1
        conn.close()


def blast(port: int, per_client: list[list[Report]]) -> tuple[float, list[Sender]]:
    """Send everything with one thread per client; seconds from first send to last answer."""
    senders = [Sender(port, reports) for reports in per_client]
    start = time.perf_counter()
    for s in senders:
        s.start()
    for s in senders:
        s.join()
    return time.perf_counter() - start, senders


def verify_cost(per_client: list[list[Report]], keys: dict[str, Any], n: int = 2000) -> float:
    """Microseconds to verify one report's signature."""
    from catalog.signing import public_key_text

    sample = [r for reports in per_client for r in reports][:n]
    public = {w: [public_key_text(k)] for w, k in keys.items()}
    start = time.perf_counter()
    for r in sample:
        h = r.headers
        verify(
            public[h["X-Catalog-Worker"]],
            int(h["X-Catalog-Timestamp"]),
            h["X-Catalog-Idempotency-Key"],
            r.body,
            h["X-Catalog-Signature"],
        )
    return (time.perf_counter() - start) / len(sample) * 1e6


def wait_up(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the no-op server did not start")


def measure(n_reports: int, n_clients: int) -> dict[str, Any]:
    experiments = max(1, n_reports // BLOCKS)
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        root = Path(tmp) / "catalog"
        keys = make_load_catalog(
            root, experiments=experiments, blocks=BLOCKS, workers=n_clients, service=BENCH_SERVICE
        )
        per_client = make_reports(keys, experiments, BLOCKS)
        total = sum(len(p) for p in per_client)
        verify_us = verify_cost(per_client, keys)

        port = free_port()
        noop = subprocess.Popen([sys.executable, __file__, "--serve-noop", str(port)], cwd=PROJECT)
        try:
            wait_up(port)
            noop_s, noop_senders = blast(port, per_client)
        finally:
            noop.terminate()
            noop.wait()
        noop_requests = sum(s.requests for s in noop_senders)

        with ServerProcess(root, free_port()) as server:
            start = time.perf_counter()
            load_s, senders = blast(server.port, per_client)
            load_end = time.perf_counter()
            status = wait_drained(server.url, timeout=3600)
            drained = time.perf_counter()
        requests_sent = sum(s.requests for s in senders)
        applied = applied_counts(root)
        fsck = fsck_problems(root)
    return {
        "reports": total,
        "clients": n_clients,
        "requests": requests_sent,
        "acknowledged_reports_per_s": round(total / load_s, 1),
        "requests_per_s": round(requests_sent / load_s, 1),
        "noop_requests_per_s": round(noop_requests / noop_s, 1),
        "committed_reports_per_s": round(applied / (drained - start), 1),
        "drain_after_load_s": round(drained - load_end, 2),
        "verify_us_per_report": round(verify_us, 1),
        "duplicates_answered_differently": sum(s.mismatched for s in senders),
        "applied": applied,
        "parked": len(status["parked"]),
        "fsck_clean": not fsck,
    }


def table(r: dict[str, Any]) -> str:
    rows = [
        (
            "acknowledged reports/s (verified, durable before 202)",
            r["acknowledged_reports_per_s"],
            "≥ 500",
        ),
        ("requests/s incl. duplicates", r["requests_per_s"], f"floor {r['noop_requests_per_s']}"),
        ("no-op handler requests/s (HTTP floor, same server)", r["noop_requests_per_s"], "peer"),
        ("committed reports/s (first send → journal empty)", r["committed_reports_per_s"], "≥ 500"),
        ("journal drained after load stopped (s)", r["drain_after_load_s"], "seconds"),
        ("signature verification (µs/report)", r["verify_us_per_report"], ""),
        ("reports applied / sent", f"{r['applied']} / {r['reports']}", "equal"),
        ("duplicates answered differently", r["duplicates_answered_differently"], "0"),
        ("git fsck --full --strict clean", r["fsck_clean"], "True"),
    ]
    width = max(len(name) for name, _, _ in rows)
    lines = [
        f"{r['reports']} reports, {r['clients']} clients, {r['requests']} requests",
        f"{'measure':<{width}}  {'value':>14}  target/peer",
    ]
    lines += [f"{name:<{width}}  {value!s:>14}  {target}" for name, value, target in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--serve-noop", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_noop:
        serve_noop(args.serve_noop)
        return
    result = measure(args.reports, args.clients)
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
