"""Writer processes for the reliability tests.

A writer drains a queue of batches (one JSON file per batch) through the committer, the way
the sync service does: recover at start-up, apply a batch, mark it done (delete its file),
push. Writers run as real processes forked from a fork server that imported this module
once (``writers()``), so each starts in milliseconds and can be SIGKILLed anywhere; each
writer leads its own process group, so killing the group takes its git children too.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.context
import os
import threading
import traceback
from pathlib import Path
from typing import Any

from catalog.crashpoints import ENV_VAR, crash_point
from catalog.gitrepo import Committer, Edit, recover

Batch = dict[str, str | None]
"""path → new content (None: delete)."""


def writers() -> multiprocessing.context.ForkServerContext:
    """The process context writers start from (a fork server with the committer loaded)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    return ctx


def enqueue(queue: Path, seq: int, batch_id: str, files: Batch) -> None:
    """Add a batch to a writer's queue (atomically: a writer never sees half a batch)."""
    queue.mkdir(parents=True, exist_ok=True)
    tmp = queue / f".{seq:06d}.tmp"
    tmp.write_text(json.dumps({"id": batch_id, "files": files}))
    tmp.rename(queue / f"{seq:06d}.json")


def pending(queue: Path) -> list[dict[str, object]]:
    """The batches still queued, in order."""
    return [json.loads(p.read_text()) for p in sorted(queue.glob("*.json"))]


def drain(root: str, queue: str, crash_at: str = "", remote: str = "", ready: Any = None) -> None:
    """Recover, then apply (and push) every queued batch, marking each done.

    ``ready`` (an Event) is set once start-up is over and batches are being applied.
    """
    os.setsid()
    if crash_at:
        os.environ[ENV_VAR] = crash_at
    recover(Path(root))
    with Committer(Path(root), remote=remote or None, lock_wait=0.2) as c:
        if remote:
            c.push()  # commits the last run made but did not push
        if ready is not None:
            ready.set()
        for item in sorted(Path(queue).glob("*.json")):
            batch = json.loads(item.read_text())
            edits = [Edit(p, None if v is None else v.encode()) for p, v in batch["files"].items()]
            c.apply(edits, f"batch {batch['id']}", batch_id=batch["id"])
            item.unlink()  # the caller's mark-done
            crash_point("after-mark-done")
            if remote:
                c.push()


def commit_many(
    root: str, name: str, n: int, remote: str = "", threads: int = 1, session: bool = True
) -> None:
    """``threads`` threads each commit ``n`` new records (and push, with a remote).

    Raises SystemExit(1) if any commit raised.
    """
    if session:
        os.setsid()
    errors: list[BaseException] = []
    with Committer(Path(root), remote=remote or None, lock_timeout=300) as c:

        def work(t: int) -> None:
            try:
                for i in range(n):
                    rel = f"records/tags/{name}-{t}-{i}.yaml"
                    text = f"kind: tag\nname: {name}-{t}-{i}\n"
                    c.apply(
                        [Edit(rel, text.encode())], f"{name} {t} {i}", batch_id=f"{name}-{t}-{i}"
                    )
                    if remote:
                        c.push()
            except Exception as exc:  # reported through the exit status
                traceback.print_exc()
                errors.append(exc)

        pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
    if errors:
        raise SystemExit(1)
