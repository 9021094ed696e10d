"""How fast does the committer write, and how fast is a record's history, next to plain git?

Builds, in a temp folder:

* a catalog of N record files (default 10,000 datasets, 100 per folder), committed once;
  then measures in that same repository, side by side:
  - single-record commits: ``Committer.apply`` of one edit vs. plain ``git add`` +
    ``git commit`` of one changed file;
  - batches of 100 records: ``Committer.apply`` of 100 edits vs. ``git add`` + ``git commit``
    of the same 100 files (target: the committer takes < 2x the plain time);
  - the same batch as round-trip edits (comments kept), for information;
* a catalog with a history of C commits (default 10,000, built with ``git fast-import``),
  and measures the history of one record: ``record_history`` (one ``git log --raw`` pass
  plus the field-level diff of each version), the ``catalog history`` command (including
  Python start-up), and ``git log --follow`` on the same file as the peer; plus
  ``file_histories`` of every record at once (what the site builder asks for).

The committer's numbers include what plain git does not do: validating every changed
record, writing each file atomically with fsync, and the compare-and-swap on the branch.
Both sides use the same repository settings (git's default ``core.fsync``; ``--fsync``
sets ``core.fsync=all`` as ``catalog init`` does).

Usage::

    python bench/git.py                      # 10,000 records, 10,000-commit history
    python bench/git.py --records 2000 --commits 2000 --single 20 --batches 3
    python bench/git.py --json
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

# This script is called git.py, like the GitPython package the catalog imports: take its
# own folder off the import path so that ``import git`` finds GitPython.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from catalog.gitrepo import Committer, Edit, file_histories, record_history  # noqa: E402

TARGET_RATIO = 2.0
PER_FOLDER = 100


def dataset(i: int, note: str = "") -> str:
    """A small valid dataset record."""
    uid = uuid.UUID(int=i + 1, version=4)
    return (
        f"# dataset {i}\nkind: dataset\nuuid: {uid}\nname: d{i}.times.npy\n"
        f"session: S{i // PER_FOLDER:03d}/2024-01-05/001\ndataset_type: spikes.times\n"
        f"data_format: npy\ndescription: '{note}'\nfile_records:\n"
        f"  - repository: local\n    relative_path: S{i // PER_FOLDER:03d}/d{i}.times.npy\n"
    )


def path_of(i: int) -> str:
    """Where dataset i lives (100 files per folder)."""
    return f"records/datasets/s{i // PER_FOLDER:03d}/d{i}.yaml"


def git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=root, input=stdin, capture_output=True, check=True
    ).stdout


def fast_import(root: Path, records: int, commits: int, seed: int = 7) -> None:
    """A repository whose first commit adds ``records`` files and whose next ``commits``
    commits each change one of them (built in one ``git fast-import`` run)."""
    git(root, "init", "-q", "--initial-branch=main")
    rng = random.Random(seed)
    out: list[bytes] = []

    def blob(text: str) -> None:
        data = text.encode()
        out.append(b"data %d\n%s\n" % (len(data), data))

    when = 1_700_000_000
    out.append(b"commit refs/heads/main\n")
    out.append(b"committer Bench <bench@example.invalid> %d +0000\n" % when)
    blob("initial catalog")
    for i in range(records):
        out.append(f"M 100644 inline {path_of(i)}\n".encode())
        blob(dataset(i))
    for n in range(commits):
        i = rng.randrange(records)
        out.append(b"commit refs/heads/main\n")
        out.append(b"committer Bench <bench@example.invalid> %d +0000\n" % (when + n + 1))
        blob(f"edit {n}")
        out.append(f"M 100644 inline {path_of(i)}\n".encode())
        blob(dataset(i, f"edit {n}"))
    git(root, "fast-import", "--quiet", stdin=b"".join(out))
    git(root, "reset", "-q", "--hard", "main")


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """Mean seconds of ``fn`` over ``repeat`` runs."""
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def bench_commits(root: Path, records: int, single: int, batches: int) -> dict[str, float]:
    """Seconds per commit: committer vs plain git, one record and 100 records."""
    counter = iter(range(1, 10**9))
    plain_i = iter(range(10**9))

    def plain(indexes: list[int]) -> None:
        n = next(counter)
        for i in indexes:
            (root / path_of(i)).write_text(dataset(i, f"plain {n}"))
        git(root, "add", "--", *[path_of(i) for i in indexes])
        git(root, "commit", "-q", "-m", f"plain {n}")

    with Committer(root) as c:

        def mine(indexes: list[int]) -> None:
            n = next(counter)
            edits = [Edit(path_of(i), dataset(i, f"mine {n}").encode()) for i in indexes]
            c.apply(edits, f"mine {n}", batch_id=f"bench-{n}")

        def mine_rt(indexes: list[int]) -> None:
            n = next(counter)

            def note(tree: Any, n: int = n) -> None:
                tree["description"] = f"round-trip {n}"

            c.apply([Edit(path_of(i), fn=note) for i in indexes], f"rt {n}")

        def one() -> list[int]:
            return [next(plain_i) % records]

        def hundred() -> list[int]:
            n = next(plain_i)
            return [(n * 100 + k) % records for k in range(100)]

        mine(one())  # warm up caches (batch ids, index)
        return {
            "plain_single_s": timed(lambda: plain(one()), single),
            "committer_single_s": timed(lambda: mine(one()), single),
            "plain_batch_s": timed(lambda: plain(hundred()), batches),
            "committer_batch_s": timed(lambda: mine(hundred()), batches),
            "committer_batch_roundtrip_s": timed(lambda: mine_rt(hundred()), batches),
        }


def bench_history(root: Path, records: int) -> dict[str, float]:
    """Seconds for one record's history, and for every record's latest commits."""
    counts: dict[str, int] = {}
    for line in git(root, "log", "--format=", "--name-only").decode().split():
        counts[line] = counts.get(line, 0) + 1
    target = max(counts, key=lambda p: counts[p])
    cli = [sys.executable, "-m", "catalog", "history", target, "--root", str(root)]
    peer = ["git", "log", "--follow", "--format=%H %aI %an %s", "--", target]
    return {
        "history_commits": float(counts[target]),
        "record_history_s": timed(lambda: record_history(root, target), 3),
        "cli_history_s": timed(lambda: subprocess.run(cli, capture_output=True, check=True), 1),
        "git_log_follow_s": timed(
            lambda: subprocess.run(peer, cwd=root, capture_output=True, check=True), 3
        ),
        "file_histories_all_s": timed(lambda: file_histories(root, limit_per_path=10), 1),
        "records": float(records),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--commits", type=int, default=10_000)
    ap.add_argument("--single", type=int, default=50, help="single-record commits timed")
    ap.add_argument("--batches", type=int, default=5, help="100-record batches timed")
    ap.add_argument("--fsync", action="store_true", help="core.fsync=all, as catalog init sets")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="catalog-bench-git-") as tmp:
        writes = Path(tmp) / "writes"
        writes.mkdir()
        fast_import(writes, args.records, 0)
        if args.fsync:
            git(writes, "config", "core.fsync", "all")
        c = bench_commits(writes, args.records, args.single, args.batches)
        hist = Path(tmp) / "history"
        hist.mkdir()
        start = time.perf_counter()
        fast_import(hist, min(args.records, 1000), args.commits)
        built = time.perf_counter() - start
        h = bench_history(hist, min(args.records, 1000))
    ratio = c["committer_batch_s"] / c["plain_batch_s"]
    result = {
        **c,
        **h,
        "build_history_s": built,
        "batch_ratio": ratio,
        "target_ratio": TARGET_RATIO,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    ms = lambda s: f"{s * 1000:8.1f} ms"  # noqa: E731
    rate = lambda s: f"{1 / s:8.1f}/s"  # noqa: E731
    rows = [
        (
            "single-record commit",
            ms(c["committer_single_s"]),
            ms(c["plain_single_s"]),
            f"{c['committer_single_s'] / c['plain_single_s']:.2f}x",
            "",
        ),
        ("  commits per second", rate(c["committer_single_s"]), rate(c["plain_single_s"]), "", ""),
        (
            "batch of 100 records",
            ms(c["committer_batch_s"]),
            ms(c["plain_batch_s"]),
            f"{ratio:.2f}x",
            f"< {TARGET_RATIO:.0f}x {'ok' if ratio < TARGET_RATIO else 'MISSED'}",
        ),
        (
            "  records per second",
            f"{100 / c['committer_batch_s']:8.0f}/s",
            f"{100 / c['plain_batch_s']:8.0f}/s",
            "",
            "",
        ),
        ("batch of 100 round-trip edits", ms(c["committer_batch_roundtrip_s"]), "", "", ""),
        (
            f"history of 1 record ({h['history_commits']:.0f} commits)",
            ms(h["record_history_s"]),
            ms(h["git_log_follow_s"]),
            f"{h['record_history_s'] / h['git_log_follow_s']:.2f}x",
            "peer: git log --follow",
        ),
        ("  catalog history (CLI, with start-up)", ms(h["cli_history_s"]), "", "", ""),
        (
            f"latest 10 commits of all {h['records']:.0f} records",
            ms(h["file_histories_all_s"]),
            "",
            "",
            "one git log pass",
        ),
    ]
    print(
        f"repository: {args.records} record files; history: {args.commits} commits "
        f"(built in {built:.1f} s); core.fsync={'all' if args.fsync else 'default'}"
    )
    print(f"{'measure':<44}{'catalog':>12}{'plain git':>12}{'ratio':>8}  note")
    for name, mine_v, peer_v, r, note in rows:
        print(f"{name:<44}{mine_v:>12}{peer_v:>12}{r:>8}  {note}")


if __name__ == "__main__":
    main()
