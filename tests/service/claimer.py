"""A worker process that claims one job, prints the claim and then hangs (to be killed).

Usage: python -m tests.service.claimer URL WORKER KEYFILE
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import requests

from catalog.signing import load_private_key, signed_headers


def main() -> None:
    url, worker, keyfile = sys.argv[1:4]
    key = load_private_key(Path(keyfile))
    body = b"{}"
    headers = {"Content-Type": "application/json"}
    headers.update(signed_headers(worker, key, uuid.uuid4().hex, body))
    resp = requests.post(f"{url}/api/v1/jobs/claim", data=body, headers=headers, timeout=30)
    sys.stdout.write(resp.text)
    sys.stdout.flush()
    time.sleep(3600)  # "working" until killed, never renewing the lease


if __name__ == "__main__":
    main()
