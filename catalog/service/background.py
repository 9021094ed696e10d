"""The service's background: the committer thread, the scheduler and the local pool.

They run either as threads of the web process (``Threads``: tests, small set-ups) or in a
child process of their own (``ChildProcess``: what `catalog serve` runs). In a child they
do not compete with request handling for Python's interpreter lock, so taking reports and
committing them each get a core. Everything they share with the web process goes through
the state file (journal, leases); the child reports its state over a pipe and takes
requests for cycles the same way. The child dies with the web process (Linux: at once,
by the kernel; elsewhere within a second); if the child dies, the web process kills itself
so that a supervisor restarts the whole service, which then recovers like after any crash.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from catalog.service.runtime import Service

log = logging.getLogger(__name__)

STATE_EVERY_S = 0.2
"""How often the child sends its state to the web process."""


class Background(Protocol):
    """What the web process needs from the background, wherever it runs."""

    def request_cycle(self, reason: str) -> None:
        """Ask for a full cycle (coalesced)."""

    def state(self) -> dict[str, Any]:
        """Scheduler and committer summaries, cycles run, failed steps, whether settled."""

    def stop(self) -> None:
        """Stop (the committer finishes the batch in hand)."""


def start_threads(svc: Service) -> None:
    """Start the committer thread, the local pool and the scheduler in this process."""
    from catalog.service.drain import Drainer, make_committer
    from catalog.service.pool import LocalPool
    from catalog.service.schedule import Scheduler

    svc.committer = make_committer(svc)
    svc.drainer = Drainer(svc)
    svc.scheduler = Scheduler(svc)
    if svc.settings.replan_after_commit:
        svc.drainer.on_commit = svc.scheduler.request_replan
    svc.drainer.start()
    if svc.settings.local_workers > 0:
        svc.pool = LocalPool(svc)
        svc.pool.start()
    svc.scheduler.start()


def settled(svc: Service) -> bool:
    """Nothing left to do: no cycle running or asked for, journal empty, no local job open."""
    scheduler, pool, drainer = svc.scheduler, svc.pool, svc.drainer
    if scheduler is None or drainer is None or not scheduler.idle() or scheduler.cycles == 0:
        return False
    if svc.journal.counts()["pending"] or not drainer.idle.is_set():
        return False
    if pool is not None and pool.busy():
        return False
    local = set(svc.settings.local_queues) if pool is not None else set()
    return not any(
        lease.queue in local and lease.state in ("offered", "leased", "reported")
        for lease in svc.leases.all()
    )


def failed_steps(svc: Service) -> list[str]:
    """Steps of the last cycle and re-plan that failed, with why."""
    out = []
    scheduler = svc.scheduler
    for record in (scheduler.last_cycle, scheduler.last_replan) if scheduler else ():
        for name, step in (record or {}).get("steps", {}).items():
            if not step["ok"]:
                out.append(f"{name}: {step['detail']}")
    return out


def state_of(svc: Service) -> dict[str, Any]:
    """The background's state as the web process shows it."""
    scheduler, drainer = svc.scheduler, svc.drainer
    return {
        "cycle": scheduler.summary() if scheduler else None,
        "committer": drainer.summary() if drainer else None,
        "cycles": scheduler.cycles if scheduler else 0,
        "reloads": (scheduler.cycles + scheduler.replans) if scheduler else 0,
        "failed_steps": failed_steps(svc),
        "settled": settled(svc),
    }


class Threads:
    """The background as threads of this process."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        start_threads(svc)

    def request_cycle(self, reason: str) -> None:
        """Ask the scheduler for a cycle."""
        assert self.svc.scheduler is not None
        self.svc.scheduler.request(reason)

    def state(self) -> dict[str, Any]:
        """The state, read directly."""
        return state_of(self.svc)

    def stop(self) -> None:
        """Stop the threads."""
        for part in (self.svc.scheduler, self.svc.pool, self.svc.drainer):
            if part is not None:
                part.stop()


class ChildProcess:
    """The background in a child process, driven over a pipe."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        ctx = multiprocessing.get_context("spawn")
        self._conn, theirs = ctx.Pipe()
        self._proc = ctx.Process(
            target=child_main,
            args=(str(svc.config.root), svc.settings.model_dump_json(), theirs, os.getpid()),
            name="catalog-background",
        )
        self._proc.start()
        theirs.close()
        self._state: dict[str, Any] = {"settled": False, "cycles": 0, "reloads": 0}
        self._lock = threading.Lock()
        self._stopping = False
        self._listener = threading.Thread(target=self._listen, name="background", daemon=True)
        self._listener.start()

    def _listen(self) -> None:
        reloads = 0
        while True:
            try:
                state = self._conn.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                self._state = state
            if state["reloads"] != reloads:
                # Pulls and syncs may have changed worker records (their keys sign reports).
                reloads = state["reloads"]
                self.svc.live.reload()
        if not self._stopping:
            log.critical("the background process died; stopping the service to restart whole")
            os.kill(os.getpid(), signal.SIGKILL)

    def request_cycle(self, reason: str) -> None:
        """Ask the child's scheduler for a cycle."""
        with self._lock:
            self._conn.send({"cycle": reason})

    def state(self) -> dict[str, Any]:
        """The child's last reported state."""
        with self._lock:
            return dict(self._state)

    def stop(self) -> None:
        """Ask the child to stop and wait for it."""
        self._stopping = True
        with self._lock, contextlib.suppress(OSError):
            self._conn.send({"stop": True})
        self._proc.join(timeout=300)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout=10)
        self._conn.close()


def _die_with(parent: int) -> None:
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def child_main(root: str, settings_json: str, conn: Connection, parent: int) -> None:
    """Entry point of the background process: run the threads, report state, obey."""
    from catalog.config import load_config
    from catalog.service.runtime import build_service
    from catalog.service.settings import ServiceSettings

    _die_with(parent)
    # Ctrl-C reaches the whole process group; the web process decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    config = load_config(Path(root))
    svc = build_service(config, ServiceSettings.model_validate_json(settings_json))
    background = Threads(svc)
    svc.background = background
    seq = 0
    try:
        while os.getppid() == parent:
            if conn.poll(STATE_EVERY_S):
                message = conn.recv()
                if message.get("stop"):
                    break
                if "cycle" in message:
                    background.request_cycle(str(message["cycle"]))
            seq += 1
            conn.send({**state_of(svc), "seq": seq})
    except (EOFError, OSError):
        pass  # the web process is gone
    finally:
        svc.stop()
