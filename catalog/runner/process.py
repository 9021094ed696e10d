"""Run one command with a time limit and measure what it cost.

The command runs in its own session (process group), so a timeout kills it and everything
it started. Its stdout and stderr go straight to log files (kept whole on disk; only an
excerpt travels in the report). What is measured, per run:

- wall time: monotonic clock from spawn to exit;
- CPU time and peak memory: ``os.wait4`` rusage of the command, which includes the
  children it waited for (user + system seconds; ``ru_maxrss`` is the peak resident set of
  its largest process);
- bytes read and written: ``rchar``/``wchar`` of ``/proc/<pid>/io`` read just before the
  process is reaped (Linux) — every byte passed through read/write system calls, cached or
  not, including the interpreter's own files. Elsewhere these are None.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

KILL_GRACE_S = 2.0
"""After SIGTERM on timeout, the process group gets this long before SIGKILL."""

_SETPRIV = shutil.which("setpriv")


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a command ended and what it cost."""

    returncode: int
    timed_out: bool
    started: str
    finished: str
    wall_s: float
    cpu_s: float
    max_memory_bytes: int
    read_bytes: int | None
    written_bytes: int | None


def now_iso() -> str:
    """The current UTC time, ISO 8601 with microseconds and a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _proc_io(pid: int) -> tuple[int | None, int | None]:
    try:
        text = Path(f"/proc/{pid}/io").read_text()
    except OSError:
        return None, None
    values = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    try:
        return int(values["rchar"]), int(values["wchar"])
    except (KeyError, ValueError):
        return None, None


def _kill_group(pid: int, fired: threading.Event, done: threading.Event) -> None:
    fired.set()
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not done.wait(KILL_GRACE_S):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_command(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdout: Path,
    stderr: Path,
    timeout_s: float | None,
) -> Outcome:
    """Run ``argv`` in ``cwd``; kill its process group after ``timeout_s`` seconds.

    Raises OSError when the program cannot be started at all.
    """
    # If the process running us dies (a killed Dask worker), the command dies with it
    # instead of running on unsupervised: setpriv sets the parent-death signal and execs.
    prefix = [_SETPRIV, "--pdeathsig", "KILL", "--"] if _SETPRIV else []
    program = argv[0] if "/" in argv[0] else shutil.which(argv[0], path=env.get("PATH"))
    if program is None or not os.access(cwd / program, os.X_OK):
        # Found here, so the error names the program rather than the wrapper.
        raise FileNotFoundError(errno.ENOENT, f"no executable program '{argv[0]}'", argv[0])
    started = now_iso()
    t0 = time.monotonic()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            [*prefix, *argv],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    fired = threading.Event()
    done = threading.Event()
    timer = None
    if timeout_s is not None:
        timer = threading.Timer(timeout_s, _kill_group, (proc.pid, fired, done))
        timer.daemon = True
        timer.start()
    try:
        # Wait without reaping so /proc/<pid>/io can still be read, then reap with rusage.
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        read, written = _proc_io(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        done.set()
        if timer is not None:
            timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    if fired.is_set():
        # Whatever the command left running in its group goes too.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return Outcome(
        returncode=proc.returncode,
        timed_out=fired.is_set(),
        started=started,
        finished=now_iso(),
        wall_s=round(wall, 6),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 6),
        max_memory_bytes=usage.ru_maxrss * 1024,  # Linux reports KiB
        read_bytes=read,
        written_bytes=written,
    )


def excerpt(path: Path, limit: int = 4096) -> str:
    """The head and tail of a log (about ``limit`` bytes each), noting what was left out."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            if size <= 2 * limit:
                raw = fh.read()
                return clean(raw.decode("utf-8", errors="replace"))
            head = fh.read(limit)
            fh.seek(size - limit)
            tail = fh.read(limit)
    except OSError:
        return ""
    skipped = size - 2 * limit
    text = (
        head.decode("utf-8", errors="replace")
        + f"\n[… {skipped} bytes left out; the whole log is {path} …]\n"
        + tail.decode("utf-8", errors="replace")
    )
    return clean(text)


def clean(text: str) -> str:
    """Text safe to keep in a record: no control characters but newline and tab."""
    return "".join(
        c if c in "\n\t" or not (ord(c) < 32 or 0x7F <= ord(c) < 0xA0) else "\ufffd"
        for c in re.sub("\r\n?|\u2028|\u2029", "\n", text)
    )
